/** What single settings accept (src/config/fields.ts): DNS servers, job durations and numbers, the Redis prefix. */
import { formatDnsServer, loadConfig, parseDnsServer } from '../../../src/config/index.js';
import { files, get, noFiles, problemsOf } from './helpers.js';

describe('DNS server syntax', () => {
  it.each([
    ['1.2.3.4', { host: '1.2.3.4', port: 53 }, '1.2.3.4:53'],
    ['1.2.3.4:5353', { host: '1.2.3.4', port: 5353 }, '1.2.3.4:5353'],
    ['::1', { host: '::1', port: 53 }, '[::1]:53'],
    ['[::1]:5300', { host: '::1', port: 5300 }, '[::1]:5300'],
  ])('%s', (text, server, formatted) => {
    expect(parseDnsServer(text)).toEqual(server);
    expect(formatDnsServer(server)).toBe(formatted);
  });

  it.each(['', 'localhost', '1.2.3.4:', '1.2.3.4:65536', '[::1', '[nope]:53', ':53'])('rejects %j', (text) => {
    expect(parseDnsServer(text)).toBeUndefined();
  });
});

describe('job settings', () => {
  it.each([
    ['900', 900_000],
    ['900s', 900_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['1.5m', 90_000],
    ['20000ms', 20_000],
    [' 2m ', 120_000],
  ])('JOB_TIMEOUT=%j is %d ms', (text, ms) => {
    expect(loadConfig({ JOB_TIMEOUT: text }, noFiles).jobs.timeoutMs).toBe(ms);
  });

  it('reads the concurrency, the lock timeout, the recheck interval, the queue shards, the probe rates and the answer check', () => {
    const env = { JOB_CONCURRENCY: '7', JOB_LOCK_TIMEOUT: '2s', JOB_RECHECK_INTERVAL: '30s', JOB_QUEUE_SHARDS: '8', DNS_PROBE_RATE: '2000', ELB_API_RATE: '20', LB_ANSWER_CHECK: 'false', ANSWER_PROBE_RATE: '5' };
    expect(loadConfig(env, noFiles).jobs).toEqual({
      timeoutMs: 900_000,
      concurrency: 7,
      lockTimeoutMs: 2000,
      recheckMs: 30_000,
      heartbeatMs: 5000,
      queueShards: 8,
      progressIntervalMs: 1000,
      shutdownGraceMs: 5000,
      dnsQueriesPerSecond: 2000,
      elbCallsPerSecond: 20,
      answerCheck: false,
      answerProbesPerSecond: 5,
    });
  });

  it.each([
    [{ JOB_TIMEOUT: '15 minutes' }, 'JOB_TIMEOUT: must be a duration like 30s, 15m or 1h, between 10s and 24h (got "15 minutes")'],
    [{ JOB_TIMEOUT: '5s' }, 'JOB_TIMEOUT: must be a duration like 30s, 15m or 1h, between 10s and 24h (got "5s")'],
    [{ JOB_TIMEOUT: '2d' }, 'JOB_TIMEOUT: must be a duration like 30s, 15m or 1h, between 10s and 24h (got "2d")'],
    [{ JOB_CONCURRENCY: '0' }, 'JOB_CONCURRENCY: must be a whole number from 1 to 1000 (got "0")'],
    [{ JOB_CONCURRENCY: 'many' }, 'JOB_CONCURRENCY: must be a whole number from 1 to 1000 (got "many")'],
    [{ DNS_PROBE_RATE: '0' }, 'DNS_PROBE_RATE: must be a whole number from 1 to 100000 (got "0")'],
    [{ ELB_API_RATE: '2.5' }, 'ELB_API_RATE: must be a whole number from 1 to 10000 (got "2.5")'],
    [{ JOB_RECHECK_INTERVAL: '0s' }, 'JOB_RECHECK_INTERVAL: must be a duration like 30s, 15m or 1h, between 1s and 1h (got "0s")'],
    [{ JOB_LOCK_TIMEOUT: '100ms' }, 'JOB_LOCK_TIMEOUT: must be a duration like 30s, 15m or 1h, between 500ms and 10m (got "100ms")'],
    [{ JOB_QUEUE_SHARDS: '0' }, 'JOB_QUEUE_SHARDS: must be a whole number from 1 to 256 (got "0")'],
    [{ JOB_QUEUE_SHARDS: '1000' }, 'JOB_QUEUE_SHARDS: must be a whole number from 1 to 256 (got "1000")'],
    [{ JOB_HEARTBEAT_INTERVAL: '100ms' }, 'JOB_HEARTBEAT_INTERVAL: must be a duration like 30s, 15m or 1h, between 300ms and 10m (got "100ms")'],
  ])('refuses %j', (env, problem) => {
    expect(problemsOf(env)).toEqual([problem]);
  });

  it('names the YAML key and line of a bad value, and unknown keys under jobs', () => {
    const yaml = 'jobs:\n  concurrency: -3\n  retries: 4\n';
    const problems = problemsOf({ SVCBOT_CONFIG: '/c.yaml' }, files({ '/c.yaml': yaml }));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^\/c\.yaml:2: jobs\.concurrency: must be a whole number from 1 to 1000/);
    expect(problems[1]).toBe('/c.yaml:3: jobs.retries: unknown setting');
  });
});

describe('Redis prefix, progress interval, shutdown grace and the thread wait', () => {
  const PREFIX_HELP = "must be 1-64 characters: letters, digits, '-', '_' and '.' (no ':', '{', '}' or spaces)";
  const PROGRESS_HELP = 'must be a duration like 500ms, 1s or 2s, between 100ms and 1m';
  const GRACE_HELP = 'must be a duration like 0s, 2s or 5s, between 0s and 8s';
  const THREAD_WAIT_HELP = 'must be a duration like 0s, 2s or 5s, between 0s and 1m';

  it('default to svcbot, 1s and 5s', () => {
    const config = loadConfig({}, noFiles);
    expect(config.redisPrefix).toBe('svcbot');
    expect(config.jobs.progressIntervalMs).toBe(1000);
    expect(config.jobs.shutdownGraceMs).toBe(5000);
  });

  const valid: [env: NodeJS.ProcessEnv, dotted: string, expected: unknown][] = [
    [{ REDIS_PREFIX: 'svcbot-test' }, 'redisPrefix', 'svcbot-test'],
    [{ REDIS_PREFIX: 'A.b_c-1' }, 'redisPrefix', 'A.b_c-1'],
    [{ REDIS_PREFIX: 'p'.repeat(64) }, 'redisPrefix', 'p'.repeat(64)],
    [{ REDIS_PREFIX: '  ci.42  ' }, 'redisPrefix', 'ci.42'],
    [{ REDIS_PREFIX: '' }, 'redisPrefix', 'svcbot'],
    [{ JOB_PROGRESS_INTERVAL: '100ms' }, 'jobs.progressIntervalMs', 100],
    [{ JOB_PROGRESS_INTERVAL: '0.1' }, 'jobs.progressIntervalMs', 100],
    [{ JOB_PROGRESS_INTERVAL: '1.5s' }, 'jobs.progressIntervalMs', 1500],
    [{ JOB_PROGRESS_INTERVAL: ' 2s ' }, 'jobs.progressIntervalMs', 2000],
    [{ JOB_PROGRESS_INTERVAL: '60s' }, 'jobs.progressIntervalMs', 60_000],
    [{ JOB_PROGRESS_INTERVAL: '1m' }, 'jobs.progressIntervalMs', 60_000],
    [{ JOB_PROGRESS_INTERVAL: '' }, 'jobs.progressIntervalMs', 1000],
    [{ SLACK_THREAD_WAIT: '' }, 'slack.threadWaitMs', 2000],
    [{ SLACK_THREAD_WAIT: '0s' }, 'slack.threadWaitMs', 0],
    [{ SLACK_THREAD_WAIT: '500ms' }, 'slack.threadWaitMs', 500],
    [{ SLACK_THREAD_WAIT: ' 5s ' }, 'slack.threadWaitMs', 5000],
    [{ SLACK_THREAD_WAIT: '1m' }, 'slack.threadWaitMs', 60_000],
    [{ JOB_SHUTDOWN_GRACE: '0' }, 'jobs.shutdownGraceMs', 0],
    [{ JOB_SHUTDOWN_GRACE: '0s' }, 'jobs.shutdownGraceMs', 0],
    [{ JOB_SHUTDOWN_GRACE: '0ms' }, 'jobs.shutdownGraceMs', 0],
    [{ JOB_SHUTDOWN_GRACE: '250ms' }, 'jobs.shutdownGraceMs', 250],
    [{ JOB_SHUTDOWN_GRACE: '2.5s' }, 'jobs.shutdownGraceMs', 2500],
    [{ JOB_SHUTDOWN_GRACE: '8' }, 'jobs.shutdownGraceMs', 8000],
    [{ JOB_SHUTDOWN_GRACE: '8000ms' }, 'jobs.shutdownGraceMs', 8000],
    [{ JOB_SHUTDOWN_GRACE: '' }, 'jobs.shutdownGraceMs', 5000],
    [{ KUBE_RETRY_DEADLINE: '0' }, 'kube.retryDeadlineMs', 0],
    [{ KUBE_RETRY_DEADLINE: '30s' }, 'kube.retryDeadlineMs', 30_000],
    [{ KUBE_RETRY_DEADLINE: '' }, 'kube.retryDeadlineMs', 10_000],
    [{ COMMAND_RETRY_BUDGET: '0s' }, 'kube.commandRetryBudgetMs', 0],
    [{ COMMAND_RETRY_BUDGET: '1m' }, 'kube.commandRetryBudgetMs', 60_000],
    [{ COMMAND_RETRY_BUDGET: '' }, 'kube.commandRetryBudgetMs', 25_000],
  ];
  it.each(valid)('%j sets %s', (env, dotted, expected) => {
    expect(get(loadConfig(env, noFiles), dotted)).toEqual(expected);
  });

  const invalid: [env: NodeJS.ProcessEnv, problem: string][] = [
    [{ REDIS_PREFIX: 'svc:bot' }, `REDIS_PREFIX: ${PREFIX_HELP} (got "svc:bot")`],
    [{ REDIS_PREFIX: '{svcbot}' }, `REDIS_PREFIX: ${PREFIX_HELP} (got "{svcbot}")`],
    [{ REDIS_PREFIX: 'svc bot' }, `REDIS_PREFIX: ${PREFIX_HELP} (got "svc bot")`],
    [{ REDIS_PREFIX: 'svc/bot' }, `REDIS_PREFIX: ${PREFIX_HELP} (got "svc/bot")`],
    [{ REDIS_PREFIX: 'svcbøt' }, `REDIS_PREFIX: ${PREFIX_HELP} (got "svcbøt")`],
    [{ REDIS_PREFIX: 'p'.repeat(65) }, `REDIS_PREFIX: ${PREFIX_HELP} (got "${'p'.repeat(65)}")`],
    [{ SLACK_THREAD_WAIT: '61s' }, `SLACK_THREAD_WAIT: ${THREAD_WAIT_HELP} (got "61s")`],
    [{ SLACK_THREAD_WAIT: '-1s' }, `SLACK_THREAD_WAIT: ${THREAD_WAIT_HELP} (got "-1s")`],
    [{ SLACK_THREAD_WAIT: 'soon' }, `SLACK_THREAD_WAIT: ${THREAD_WAIT_HELP} (got "soon")`],
    [{ JOB_PROGRESS_INTERVAL: '99ms' }, `JOB_PROGRESS_INTERVAL: ${PROGRESS_HELP} (got "99ms")`],
    [{ JOB_PROGRESS_INTERVAL: '0' }, `JOB_PROGRESS_INTERVAL: ${PROGRESS_HELP} (got "0")`],
    [{ JOB_PROGRESS_INTERVAL: '61s' }, `JOB_PROGRESS_INTERVAL: ${PROGRESS_HELP} (got "61s")`],
    [{ JOB_PROGRESS_INTERVAL: '2m' }, `JOB_PROGRESS_INTERVAL: ${PROGRESS_HELP} (got "2m")`],
    [{ JOB_PROGRESS_INTERVAL: '1 sec' }, `JOB_PROGRESS_INTERVAL: ${PROGRESS_HELP} (got "1 sec")`],
    [{ JOB_PROGRESS_INTERVAL: '-1s' }, `JOB_PROGRESS_INTERVAL: ${PROGRESS_HELP} (got "-1s")`],
    [{ JOB_SHUTDOWN_GRACE: '8001ms' }, `JOB_SHUTDOWN_GRACE: ${GRACE_HELP} (got "8001ms")`],
    [{ JOB_SHUTDOWN_GRACE: '9' }, `JOB_SHUTDOWN_GRACE: ${GRACE_HELP} (got "9")`],
    [{ JOB_SHUTDOWN_GRACE: '10s' }, `JOB_SHUTDOWN_GRACE: ${GRACE_HELP} (got "10s")`],
    [{ JOB_SHUTDOWN_GRACE: '1m' }, `JOB_SHUTDOWN_GRACE: ${GRACE_HELP} (got "1m")`],
    [{ JOB_SHUTDOWN_GRACE: '-1s' }, `JOB_SHUTDOWN_GRACE: ${GRACE_HELP} (got "-1s")`],
    [{ JOB_SHUTDOWN_GRACE: 'later' }, `JOB_SHUTDOWN_GRACE: ${GRACE_HELP} (got "later")`],
    [{ KUBE_RETRY_DEADLINE: '6m' }, 'KUBE_RETRY_DEADLINE: must be a duration like 0s, 10s or 30s, between 0s and 5m (got "6m")'],
    [{ COMMAND_RETRY_BUDGET: '11m' }, 'COMMAND_RETRY_BUDGET: must be a duration like 0s, 25s or 1m, between 0s and 10m (got "11m")'],
  ];
  it.each(invalid)('refuses %j', (env, problem) => {
    expect(problemsOf(env)).toEqual([problem]);
  });

  const file = 'redisPrefix: ci-1\njobs:\n  progressInterval: 250ms\n  shutdownGrace: 0s\n';
  const fromFile: [yaml: string, env: NodeJS.ProcessEnv, expected: [prefix: string, progressMs: number, graceMs: number]][] = [
    [file, {}, ['ci-1', 250, 0]],
    // The environment wins over the file, setting by setting.
    [file, { REDIS_PREFIX: 'from-env', JOB_PROGRESS_INTERVAL: '3s', JOB_SHUTDOWN_GRACE: '8s' }, ['from-env', 3000, 8000]],
    [file, { JOB_SHUTDOWN_GRACE: '2s' }, ['ci-1', 250, 2000]],
    // The environment's value replaces a bad one in the file.
    ['redisPrefix: "a:b"\njobs:\n  shutdownGrace: 1h\n', { REDIS_PREFIX: 'ok', JOB_SHUTDOWN_GRACE: '1s' }, ['ok', 1000, 1000]],
    // YAML numbers are durations in seconds, like bare numbers in the environment.
    ['jobs:\n  progressInterval: 0.5\n  shutdownGrace: 0\n', {}, ['svcbot', 500, 0]],
    // Empty or missing values are not set: the defaults apply.
    ['redisPrefix: ""\njobs:\n  progressInterval:\n  shutdownGrace: ""\n', {}, ['svcbot', 1000, 5000]],
  ];
  it.each(fromFile)('file %j with %j', (yaml, env, [prefix, progressMs, graceMs]) => {
    const config = loadConfig({ SVCBOT_CONFIG: '/c.yaml', ...env }, files({ '/c.yaml': yaml }));
    expect([config.redisPrefix, config.jobs.progressIntervalMs, config.jobs.shutdownGraceMs]).toEqual([prefix, progressMs, graceMs]);
  });

  const fileProblems: [yaml: string, env: NodeJS.ProcessEnv, problem: string][] = [
    ['redisPrefix: "svc:bot"\n', {}, `/c.yaml:1: redisPrefix: ${PREFIX_HELP} (got "svc:bot")`],
    ['redisPrefix: 42\n', {}, '/c.yaml:1: redisPrefix: must be a string (got 42)'],
    ['\njobs:\n  progressInterval: 50ms\n', {}, `/c.yaml:3: jobs.progressInterval: ${PROGRESS_HELP} (got "50ms")`],
    ['jobs:\n  shutdownGrace: [5s]\n', {}, `/c.yaml:2: jobs.shutdownGrace: ${GRACE_HELP} (got a list)`],
    ['jobs:\n  shutdownGrace: true\n', {}, `/c.yaml:2: jobs.shutdownGrace: ${GRACE_HELP} (got true)`],
    ['jobs:\n  shutdownGrase: 5s\n', {}, "/c.yaml:2: jobs.shutdownGrase: unknown setting (did you mean 'shutdownGrace'?)"],
    ['redisprefix: svcbot\n', {}, "/c.yaml:1: redisprefix: unknown setting (did you mean 'redisPrefix'?)"],
    // A bad environment value is reported under its variable, whatever the file says.
    ['redisPrefix: svcbot\n', { REDIS_PREFIX: 'a b' }, `REDIS_PREFIX: ${PREFIX_HELP} (got "a b")`],
  ];
  it.each(fileProblems)('file %j with %j', (yaml, env, problem) => {
    expect(problemsOf({ SVCBOT_CONFIG: '/c.yaml', ...env }, files({ '/c.yaml': yaml }))).toEqual([problem]);
  });
});

describe('Redis Cluster and Sentinel', () => {
  const NODE_HELP = 'must be host:port, like 10.0.0.5:6379 or redis-0.redis:6379 ([v6]:port for an IPv6 address)';

  it('default to none (one Redis at REDIS_URL) and the master name mymaster', () => {
    const config = loadConfig({}, noFiles);
    expect([config.redisClusterNodes, config.redisSentinels, config.redisSentinelName]).toEqual([[], [], 'mymaster']);
  });

  it.each([
    [{ REDIS_CLUSTER_NODES: '127.0.0.1:7000, 127.0.0.1:7001' }, 'redisClusterNodes', [{ host: '127.0.0.1', port: 7000 }, { host: '127.0.0.1', port: 7001 }]],
    [{ REDIS_CLUSTER_NODES: 'redis-0.redis.svc:6379' }, 'redisClusterNodes', [{ host: 'redis-0.redis.svc', port: 6379 }]],
    [{ REDIS_SENTINELS: '[fd00::1]:26379,10.0.0.9:26379' }, 'redisSentinels', [{ host: 'fd00::1', port: 26379 }, { host: '10.0.0.9', port: 26379 }]],
    [{ REDIS_SENTINEL_NAME: 'svcbot-master' }, 'redisSentinelName', 'svcbot-master'],
  ])('%j sets %s', (env, dotted, expected) => {
    expect(get(loadConfig(env, noFiles), dotted)).toEqual(expected);
  });

  it.each([
    [{ REDIS_CLUSTER_NODES: '127.0.0.1' }, `REDIS_CLUSTER_NODES: ${NODE_HELP} (got "127.0.0.1")`],
    [{ REDIS_CLUSTER_NODES: '127.0.0.1:0' }, `REDIS_CLUSTER_NODES: ${NODE_HELP} (got "127.0.0.1:0")`],
    [{ REDIS_CLUSTER_NODES: 'redis://a:6379' }, `REDIS_CLUSTER_NODES: ${NODE_HELP} (got "redis://a:6379")`],
    [{ REDIS_SENTINELS: 'fd00::1:26379' }, `REDIS_SENTINELS: ${NODE_HELP} (got "fd00::1:26379")`],
    [{ REDIS_SENTINEL_NAME: 'my master' }, `REDIS_SENTINEL_NAME: must be 1-128 letters, digits, '-', '_' or '.' (got "my master")`],
  ])('%j: %s', (env, problem) => {
    expect(problemsOf(env, noFiles)).toEqual([problem]);
  });
});

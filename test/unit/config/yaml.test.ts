/** The YAML file named by SVCBOT_CONFIG (src/config/yaml.ts): every setting from the file, precedence, line numbers. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../src/config/index.js';
import { files, problemsOf } from './helpers.js';

describe('loadConfig with a YAML file (SVCBOT_CONFIG)', () => {
  const full = `# every setting
slack:
  botToken: xoxb-from-file
  signingSecret: file-secret
  appToken: xapp-from-file
  apiUrl: http://127.0.0.1:9999/api
  pacing: false
  threadWait: 500ms
  command: /k8s
port: 8080
healthPort: 9090
redisUrl: redis://redis:6379/1
redisPrefix: svcbot-staging
redisClusterNodes: [10.0.0.5:6379, "redis-1.redis:7000"]
redisSentinels: ["[fd00::7]:26379"]
redisSentinelName: svcbot-master
redisUsername: svcbot
redisPassword: file-redis-password
redisTls: true
dnsServers: [10.0.0.2, "[fd00::2]:5353"]
logLevel: debug
kubeconfig: /etc/kube/config
clusterName: shared
awsRegion: eu-west-1
jobs:
  timeout: 20m
  concurrency: 8
  lockTimeout: 45s
  recheckInterval: 5m
  heartbeatInterval: 3s
  queueShards: 8
  progressInterval: 2s
  shutdownGrace: 0
  dnsQueriesPerSecond: 1000
  elbCallsPerSecond: 10
  answerCheck: false
  answerProbesPerSecond: 7
http:
  bodyLimit: 256KiB
  headersTimeout: 2s
  requestTimeout: 4s
  keepAliveTimeout: 1s
  maxConnectionsPerClient: 10
  maxUnverifiedBodies: 4
kube:
  retryDeadline: 5s
  commandRetryBudget: 40s
policy:
  rules:
    - name: no-deletes
      deny: [delete]
  protectedNamespaces: [payments]
  approval:
    approvers: [U024BE7LH, S0614TZR7]
    channel: C024BE91L
    selfApproval: true
    ttl: 30m
    needs:
      createLoadBalancer: true
      deleteLoadBalancer: true
      deleteNodePort: false
audit:
  channel: G012AB3CD
  maxEntries: 500
costs:
  elbHourlyUsd:
    eu-west-1: 0.028
`;

  it('reads every setting from the file', () => {
    const config = loadConfig({ SVCBOT_CONFIG: '/etc/svcbot.yaml' }, files({ '/etc/svcbot.yaml': full }));
    expect(config).toEqual({
      slack: {
        botToken: 'xoxb-from-file',
        signingSecret: 'file-secret',
        appToken: 'xapp-from-file',
        socketMode: true,
        apiUrl: 'http://127.0.0.1:9999/api/',
        pacing: false,
        threadWaitMs: 500,
        command: '/k8s',
      },
      jobs: {
        timeoutMs: 1_200_000,
        concurrency: 8,
        lockTimeoutMs: 45_000,
        recheckMs: 300_000,
        heartbeatMs: 3000,
        queueShards: 8,
        progressIntervalMs: 2000,
        shutdownGraceMs: 0,
        dnsQueriesPerSecond: 1000,
        elbCallsPerSecond: 10,
        answerCheck: false,
        answerProbesPerSecond: 7,
      },
      http: { bodyLimitBytes: 262_144, headersTimeoutMs: 2000, requestTimeoutMs: 4000, keepAliveTimeoutMs: 1000, maxConnectionsPerClient: 10, maxUnverifiedBodies: 4 },
      kube: { retryDeadlineMs: 5000, commandRetryBudgetMs: 40_000 },
      port: 8080,
      healthPort: 9090,
      redisUrl: 'redis://redis:6379/1',
      redisPrefix: 'svcbot-staging',
      redisClusterNodes: [{ host: '10.0.0.5', port: 6379 }, { host: 'redis-1.redis', port: 7000 }],
      redisSentinels: [{ host: 'fd00::7', port: 26379 }],
      redisSentinelName: 'svcbot-master',
      redisUsername: 'svcbot',
      redisPassword: 'file-redis-password',
      redisTls: true,
      // The Sentinels' own: only with Sentinels and no cluster (a cluster wins here).
      redisSentinelPassword: undefined,
      redisSentinelTls: false,
      dnsServers: [
        { host: '10.0.0.2', port: 53 },
        { host: 'fd00::2', port: 5353 },
      ],
      logLevel: 'debug',
      kubeconfig: '/etc/kube/config',
      clusterName: 'shared',
      awsRegion: 'eu-west-1',
      clusters: [{ name: 'shared', context: undefined, kubeconfig: '/etc/kube/config', region: 'eu-west-1', clusterName: 'shared' }],
      policy: {
        rules: [{ name: 'no-deletes', effect: 'deny', subcommands: ['delete'] }],
        protectedNamespaces: ['kube-system', 'kube-public', 'kube-node-lease', 'payments'],
        approval: {
          needs: { createLoadBalancer: true, deleteLoadBalancer: true, deleteNodePort: false, allowIngress: true },
          approvers: { users: ['U024BE7LH'], groups: ['S0614TZR7'] },
          selfApproval: true,
          ttlMs: 1_800_000,
          channel: 'C024BE91L',
        },
        allow: { worldOpen: false, defaultDurationMs: 7_200_000, maxDurationMs: 86_400_000, minDurationMs: 60_000 },
      },
      audit: { channel: 'G012AB3CD', maxEntries: 500 },
      costs: { elbHourlyUsd: { 'eu-west-1': 0.028 }, nlbHourlyUsd: { 'us-east-1': 0.0225 }, albHourlyUsd: { 'us-east-1': 0.0225 } },
      orphans: { graceMs: 1_800_000, regions: ['eu-west-1'], scanRate: 10, report: { cron: '0 9 * * 1-5', timeZone: 'UTC', channel: undefined, quietWhenNone: false } },
      configFile: '/etc/svcbot.yaml',
    });
  });

  it('lets the environment win over the file, and the file over the defaults', () => {
    const config = loadConfig(
      { SVCBOT_CONFIG: '/etc/svcbot.yaml', PORT: '9090', SLACK_BOT_TOKEN: 'xoxb-from-env', DNS_SERVERS: '1.1.1.1', AWS_REGION: 'us-west-2' },
      files({ '/etc/svcbot.yaml': 'port: 8080\nlogLevel: warn\nslack:\n  botToken: xoxb-from-file\n  command: /k8s\ndnsServers: [10.0.0.2]\n' }),
    );
    expect(config.port).toBe(9090);
    expect(config.slack.botToken).toBe('xoxb-from-env');
    expect(config.slack.command).toBe('/k8s');
    expect(config.dnsServers).toEqual([{ host: '1.1.1.1', port: 53 }]);
    expect(config.logLevel).toBe('warn');
    expect(config.awsRegion).toBe('us-west-2');
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
  });

  it('treats keys without a value as not set', () => {
    const config = loadConfig({ SVCBOT_CONFIG: '/e.yaml' }, files({ '/e.yaml': 'slack:\n  # botToken: xoxb-\nport:\nclusters:\ndnsServers:\n' }));
    expect(config.port).toBe(3000);
    expect(config.slack.command).toBe('/svc');
    expect(config.clusters).toHaveLength(1);
  });

  it('accepts an empty file or one with only comments', () => {
    expect(loadConfig({ SVCBOT_CONFIG: '/e.yaml' }, files({ '/e.yaml': '' })).port).toBe(3000);
    expect(loadConfig({ SVCBOT_CONFIG: '/e.yaml' }, files({ '/e.yaml': '# nothing yet\n' })).port).toBe(3000);
  });

  it('resolves relative kubeconfig paths against the file, like kubectl', () => {
    const config = loadConfig(
      { SVCBOT_CONFIG: '/etc/svcbot/config.yaml' },
      files({
        '/etc/svcbot/config.yaml': 'kubeconfig: kube/main\nclusters:\n  - name: a\n    clusterName: a\n  - name: b\n    clusterName: b\n    kubeconfig: ../b.kubeconfig\n',
      }),
    );
    expect(config.clusters.map((c) => c.kubeconfig)).toEqual(['/etc/svcbot/kube/main', '/etc/b.kubeconfig']);
  });

  const problemCases: [yaml: string, env: NodeJS.ProcessEnv, problems: string[]][] = [
    ['port: "abc"\n', {}, ['/c.yaml:1: port: must be an integer 0-65535 (got "abc")']],
    ['port: 3000.5\n', {}, ['/c.yaml:1: port: must be an integer 0-65535 (got 3000.5)']],
    ['port: true\n', {}, ['/c.yaml:1: port: must be an integer 0-65535 (got true)']],
    ['\n\nslack:\n  botToken: xoxp-SECRET\n', {}, ['/c.yaml:4: slack.botToken: must start with xoxb-']],
    ['slack:\n  signingSecret: 12345\n', {}, ['/c.yaml:2: slack.signingSecret: must be a string']],
    ['slack: xoxb-SECRET\n', {}, ['/c.yaml:1: slack: must be a mapping (got a string)']],
    ['slak:\n  botToken: xoxb-SECRET\n', {}, ["/c.yaml:1: slak: unknown setting (did you mean 'slack'?)"]],
    ['slack:\n  token: xoxb-SECRET\n', {}, ["/c.yaml:2: slack.token: unknown setting (did you mean 'botToken'?)"]],
    ['slack:\n  webhook: https://hooks\n', {}, ['/c.yaml:2: slack.webhook: unknown setting']],
    ['slack:\n  botTokn: xoxb-SECRET\n', {}, ["/c.yaml:2: slack.botTokn: unknown setting (did you mean 'botToken'?)"]],
    ['redis_url: redis://x\n', {}, ["/c.yaml:1: redis_url: unknown setting (did you mean 'redisUrl'?)"]],
    ['dnsServers: 10.0.0.2\n', {}, ['/c.yaml:1: dnsServers: must be a list (got a string)']],
    [
      'dnsServers:\n  - 10.0.0.2\n  - 53\n',
      {},
      ['/c.yaml:3: dnsServers[1]: must be an IP address with an optional port, like 10.0.0.2, 10.0.0.2:53 or [fd00::2]:53 (got 53)'],
    ],
    ['logLevel: [info]\n', {}, ['/c.yaml:1: logLevel: must be a string (got a list)']],
    ['redisUrl: redis:SECRET\n', {}, ['/c.yaml:1: redisUrl: must be a redis:// or rediss:// URL with a host, like redis://127.0.0.1:6379']],
    ['- port: 1\n', {}, ['/c.yaml: must be a mapping of settings (got a list)']],
    ['port: [1\n', {}, ['/c.yaml:2:1: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]']],
    ['port: 1\nport: 2\n', {}, ['/c.yaml:2:1: invalid YAML: Map keys must be unique']],
    [
      `a: &a [x, x, x, x, x, x, x, x, x, x]\n${Array.from({ length: 11 }, (_, i) => `b${i}: &b${i} [${Array(10).fill(i === 0 ? '*a' : `*b${i - 1}`).join(', ')}]`).join('\n')}\n`,
      {},
      [expect.stringMatching(/^\/c\.yaml: invalid YAML: Excessive alias count/)],
    ],
    // The environment's value replaces the file's, so only the environment's problem counts.
    ['port: 99999\n', { PORT: 'abc' }, ['PORT: must be an integer 0-65535 (got "abc")']],
    ['port: 99999\n', { PORT: '80' }, []],
    // Broken file and broken environment: both reported.
    ['a: [\n', { LOG_LEVEL: 'x' }, expect.arrayContaining([expect.stringMatching(/^\/c\.yaml:\d+:\d+: invalid YAML: /), expect.stringMatching(/^LOG_LEVEL: /)])],
  ];
  it.each(problemCases)('%j with %j', (yaml, env, problems) => {
    const readFile = files({ '/c.yaml': yaml });
    if (problems.length === 0) {
      expect(() => loadConfig({ SVCBOT_CONFIG: '/c.yaml', ...env }, readFile)).not.toThrow();
      return;
    }
    const found = problemsOf({ SVCBOT_CONFIG: '/c.yaml', ...env }, readFile);
    expect(found).toEqual(problems);
    expect(found.join('\n')).not.toMatch(/SECRET/);
  });

  it('reports unreadable files with the reason', () => {
    const readFile = () => {
      throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    };
    expect(problemsOf({ SVCBOT_CONFIG: '/root/svcbot.yaml' }, readFile)).toEqual(['SVCBOT_CONFIG: cannot read /root/svcbot.yaml: permission denied']);
  });

  it('reads a real file by default', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'svcbot-config-'));
    try {
      const file = path.join(dir, 'svcbot.yaml');
      writeFileSync(file, 'clusters:\n  - name: prod\n    kubeconfig: prod.kubeconfig\n    clusterName: prod\n  - name: staging\n    kubeconfig: /k/staging\n');
      const config = loadConfig({ SVCBOT_CONFIG: file });
      expect(config.clusters.map((c) => c.name)).toEqual(['prod', 'staging']);
      expect(config.clusters[0].kubeconfig).toBe(path.join(dir, 'prod.kubeconfig'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** loadConfig (src/config/index.ts): defaults, the environment, one error listing every problem, Slack readiness. */
import path from 'node:path';
import { ConfigError, loadConfig, slackSettingsProblems } from '../../../src/config/index.js';
import { get, noFiles, problemsOf } from './helpers.js';

describe('loadConfig defaults', () => {
  it('needs no settings at all: one default cluster, no Slack credentials', () => {
    expect(loadConfig({}, noFiles)).toEqual({
      slack: {
        botToken: undefined,
        signingSecret: undefined,
        appToken: undefined,
        socketMode: false,
        apiUrl: 'https://slack.com/api/',
        pacing: true,
        threadWaitMs: 2000,
        command: '/svc',
      },
      jobs: {
        timeoutMs: 900_000,
        concurrency: 50,
        lockTimeoutMs: 10_000,
        recheckMs: 900_000,
        heartbeatMs: 5000,
        queueShards: 1,
        progressIntervalMs: 1000,
        shutdownGraceMs: 5000,
        dnsQueriesPerSecond: 600,
        elbCallsPerSecond: 5,
        answerCheck: true,
        answerProbesPerSecond: 20,
      },
      http: { bodyLimitBytes: 1_048_576, headersTimeoutMs: 5000, requestTimeoutMs: 10_000, keepAliveTimeoutMs: 5000, maxConnectionsPerClient: 64, maxUnverifiedBodies: 16 },
      kube: { retryDeadlineMs: 10_000, commandRetryBudgetMs: 25_000 },
      port: 3000,
      healthPort: 8081,
      redisUrl: 'redis://127.0.0.1:6379',
      redisPrefix: 'svcbot',
      redisClusterNodes: [],
      redisSentinels: [],
      redisSentinelName: 'mymaster',
      redisUsername: undefined,
      redisPassword: undefined,
      redisTls: false,
      redisSentinelPassword: undefined,
      redisSentinelTls: false,
      dnsServers: [],
      logLevel: 'info',
      kubeconfig: undefined,
      clusterName: 'kubernetes',
      awsRegion: undefined,
      clusters: [{ name: 'kubernetes', context: undefined, kubeconfig: undefined, region: undefined, clusterName: 'kubernetes' }],
      policy: {
        rules: [],
        protectedNamespaces: ['kube-system', 'kube-public', 'kube-node-lease'],
        approval: {
          needs: { createLoadBalancer: true, deleteLoadBalancer: true, deleteNodePort: true, allowIngress: true },
          approvers: { users: [], groups: [] },
          selfApproval: false,
          ttlMs: 3_600_000,
        },
        allow: { worldOpen: false, defaultDurationMs: 7_200_000, maxDurationMs: 86_400_000, minDurationMs: 60_000 },
      },
      audit: { channel: undefined, maxEntries: 10_000 },
      costs: { elbHourlyUsd: { 'us-east-1': 0.025 }, nlbHourlyUsd: { 'us-east-1': 0.0225 }, albHourlyUsd: { 'us-east-1': 0.0225 } },
      orphans: { graceMs: 1_800_000, regions: [], scanRate: 10, report: { cron: '0 9 * * 1-5', timeZone: 'UTC', channel: undefined, quietWhenNone: false } },
      configFile: undefined,
    });
  });

  it('reads only the env object it is given', () => {
    expect(loadConfig({ PORT: '4000' }, noFiles).port).toBe(4000);
  });

  it('is deeply frozen', () => {
    const config = loadConfig({ DNS_SERVERS: '10.0.0.2' }, noFiles);
    for (const part of [config, config.slack, config.clusters, config.clusters[0], config.dnsServers, config.dnsServers[0]]) {
      expect(Object.isFrozen(part)).toBe(true);
    }
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
  });
});

describe('loadConfig reads every environment variable', () => {
  const cases: [env: NodeJS.ProcessEnv, dotted: string, expected: unknown][] = [
    [{ SLACK_BOT_TOKEN: 'xoxb-123-abc' }, 'slack.botToken', 'xoxb-123-abc'],
    [{ SLACK_BOT_TOKEN: '  xoxb-123-abc\n' }, 'slack.botToken', 'xoxb-123-abc'],
    [{ SLACK_SIGNING_SECRET: '8f742231b10e8888abcd99yyyzzz85a5' }, 'slack.signingSecret', '8f742231b10e8888abcd99yyyzzz85a5'],
    [{ SLACK_APP_TOKEN: 'xapp-1-A1-1-ff' }, 'slack.appToken', 'xapp-1-A1-1-ff'],
    [{ SLACK_APP_TOKEN: 'xapp-1-A1-1-ff' }, 'slack.socketMode', true],
    [{ SLACK_API_URL: 'http://127.0.0.1:4000/api' }, 'slack.apiUrl', 'http://127.0.0.1:4000/api/'],
    [{ SLACK_API_URL: 'https://slack.example/api/' }, 'slack.apiUrl', 'https://slack.example/api/'],
    [{ SLACK_API_URL: 'http://[::1]:4000' }, 'slack.apiUrl', 'http://[::1]:4000/'],
    [{ SVCBOT_COMMAND: '/deploy' }, 'slack.command', '/deploy'],
    [{ SVCBOT_COMMAND: 'svc-dev' }, 'slack.command', '/svc-dev'],
    [{ PORT: '8080' }, 'port', 8080],
    [{ PORT: ' 0 ' }, 'port', 0],
    [{ PORT: '65535' }, 'port', 65535],
    [{ REDIS_URL: 'rediss://:pw@redis.internal:6380/2' }, 'redisUrl', 'rediss://:pw@redis.internal:6380/2'],
    [{ KUBECONFIG: '/home/me/.kube/config' }, 'kubeconfig', '/home/me/.kube/config'],
    [{ KUBECONFIG: 'relative/kubeconfig' }, 'clusters.0.kubeconfig', 'relative/kubeconfig'],
    [{ CLUSTER_NAME: 'prod' }, 'clusterName', 'prod'],
    [{ CLUSTER_NAME: 'prod' }, 'clusters.0.clusterName', 'prod'],
    [{ CLUSTER_NAME: 'prod' }, 'clusters.0.name', 'prod'],
    // Not a DNS label, so users would type --cluster default.
    [{ CLUSTER_NAME: 'k8s.Example_1' }, 'clusters.0.name', 'default'],
    [{ CLUSTER_NAME: 'k8s.Example_1' }, 'clusters.0.clusterName', 'k8s.Example_1'],
    [{ AWS_REGION: 'eu-west-1' }, 'awsRegion', 'eu-west-1'],
    [{ AWS_REGION: 'us-gov-west-1' }, 'clusters.0.region', 'us-gov-west-1'],
    [{ HTTP_BODY_LIMIT: '256KiB' }, 'http.bodyLimitBytes', 262_144],
    [{ HTTP_BODY_LIMIT: '500kB' }, 'http.bodyLimitBytes', 500_000],
    [{ HTTP_BODY_LIMIT: '65536' }, 'http.bodyLimitBytes', 65_536],
    [{ HTTP_HEADERS_TIMEOUT: '2s' }, 'http.headersTimeoutMs', 2000],
    // The headers arrive within the request: never a later deadline than the whole request's.
    [{ HTTP_HEADERS_TIMEOUT: '20s', HTTP_REQUEST_TIMEOUT: '8s' }, 'http.headersTimeoutMs', 8000],
    [{ HTTP_REQUEST_TIMEOUT: '30s' }, 'http.requestTimeoutMs', 30_000],
    [{ HTTP_KEEPALIVE_TIMEOUT: '500ms' }, 'http.keepAliveTimeoutMs', 500],
    [{ HTTP_MAX_CONNECTIONS_PER_CLIENT: '256' }, 'http.maxConnectionsPerClient', 256],
    [{ HTTP_MAX_UNVERIFIED_BODIES: '4' }, 'http.maxUnverifiedBodies', 4],
    [{ LOG_LEVEL: 'debug' }, 'logLevel', 'debug'],
    [{ LOG_LEVEL: 'WARN' }, 'logLevel', 'warn'],
    [{ LOG_LEVEL: 'silent' }, 'logLevel', 'silent'],
    [
      { DNS_SERVERS: '10.0.0.2, 10.0.0.3:5353,[::1]:53,fd00::2,[fd00::3],' },
      'dnsServers',
      [
        { host: '10.0.0.2', port: 53 },
        { host: '10.0.0.3', port: 5353 },
        { host: '::1', port: 53 },
        { host: 'fd00::2', port: 53 },
        { host: 'fd00::3', port: 53 },
      ],
    ],
    // Empty means unset: the default applies.
    [{ PORT: '' }, 'port', 3000],
    [{ SLACK_BOT_TOKEN: '   ' }, 'slack.botToken', undefined],
    [{ LOG_LEVEL: '' }, 'logLevel', 'info'],
    [{ DNS_SERVERS: '' }, 'dnsServers', []],
  ];
  it.each(cases)('%j sets %s', (env, dotted, expected) => {
    expect(get(loadConfig(env, noFiles), dotted)).toEqual(expected);
  });
});

describe('loadConfig reports each invalid environment variable', () => {
  const cases: [env: NodeJS.ProcessEnv, problem: string][] = [
    [{ PORT: 'abc' }, 'PORT: must be an integer 0-65535 (got "abc")'],
    [{ PORT: '65536' }, 'PORT: must be an integer 0-65535 (got "65536")'],
    [{ PORT: '-1' }, 'PORT: must be an integer 0-65535 (got "-1")'],
    [{ PORT: '80.5' }, 'PORT: must be an integer 0-65535 (got "80.5")'],
    [{ SLACK_BOT_TOKEN: 'xoxp-user-token' }, 'SLACK_BOT_TOKEN: must start with xoxb-'],
    [{ SLACK_BOT_TOKEN: 'xoxb-abc def' }, 'SLACK_BOT_TOKEN: must not contain spaces'],
    [{ SLACK_APP_TOKEN: 'xoxb-not-an-app-token' }, 'SLACK_APP_TOKEN: must start with xapp-'],
    [{ SLACK_SIGNING_SECRET: 'two words' }, 'SLACK_SIGNING_SECRET: must not contain spaces'],
    [{ SLACK_API_URL: 'ftp://slack.example/api/' }, 'SLACK_API_URL: must be an http:// or https:// URL (got "ftp://slack.example/api/")'],
    [{ SLACK_API_URL: 'slack.com/api' }, 'SLACK_API_URL: must be an http:// or https:// URL (got "slack.com/api")'],
    // A secret pasted into the wrong setting is not echoed: its kind is, to say what went where.
    [{ SLACK_API_URL: 'ftp://xoxb-1234567890-1234567890123-AbCdEfGhIjKl' }, 'SLACK_API_URL: must be an http:// or https:// URL (got "ftp://xoxb-[redacted]")'],
    [{ SLACK_API_URL: 'xapp-1-A0123-1234567890123-abcdef0123456789' }, 'SLACK_API_URL: must be an http:// or https:// URL (got "xapp-[redacted]")'],
    [{ SVCBOT_COMMAND: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' }, expect.stringMatching(/^SVCBOT_COMMAND: .*\(got "\[redacted\]"\)$/)],
    [{ SVCBOT_COMMAND: '0123456789abcdef0123456789abcdef' }, expect.stringMatching(/^SVCBOT_COMMAND: .*\(got a value shaped like a secret, not shown\)$/)],
    [{ SLACK_API_URL: 'https://x/api/?a=1' }, 'SLACK_API_URL: must not have a query or fragment (got "https://x/api/?a=1")'],
    [
      { SVCBOT_COMMAND: '/Svc' },
      'SVCBOT_COMMAND: must be a slash command like /svc: lowercase letters, digits, - and _, at most 32 characters (got "/Svc")',
    ],
    [
      { SVCBOT_COMMAND: `/${'a'.repeat(32)}` },
      `SVCBOT_COMMAND: must be a slash command like /svc: lowercase letters, digits, - and _, at most 32 characters (got "/${'a'.repeat(32)}")`,
    ],
    [{ REDIS_URL: 'http://user:hunter2@redis:6379' }, 'REDIS_URL: must be a redis:// or rediss:// URL with a host, like redis://127.0.0.1:6379'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL: must be a redis:// or rediss:// URL with a host, like redis://127.0.0.1:6379'],
    [
      { DNS_SERVERS: '10.0.0.2,dns.google' },
      'DNS_SERVERS: must be an IP address with an optional port, like 10.0.0.2, 10.0.0.2:53 or [fd00::2]:53 (got "dns.google")',
    ],
    [
      { DNS_SERVERS: '10.0.0.2:0' },
      'DNS_SERVERS: must be an IP address with an optional port, like 10.0.0.2, 10.0.0.2:53 or [fd00::2]:53 (got "10.0.0.2:0")',
    ],
    [
      { DNS_SERVERS: '[10.0.0.2]:53' },
      'DNS_SERVERS: must be an IP address with an optional port, like 10.0.0.2, 10.0.0.2:53 or [fd00::2]:53 (got "[10.0.0.2]:53")',
    ],
    [
      { DNS_SERVERS: '10.0.0.256' },
      'DNS_SERVERS: must be an IP address with an optional port, like 10.0.0.2, 10.0.0.2:53 or [fd00::2]:53 (got "10.0.0.256")',
    ],
    [{ HTTP_BODY_LIMIT: '1GiB' }, 'HTTP_BODY_LIMIT: must be a size like 256KiB, 1MiB or 65536 (bytes), between 4096 and 16777216 bytes (got "1GiB")'],
    [{ HTTP_BODY_LIMIT: '64MiB' }, 'HTTP_BODY_LIMIT: must be a size like 256KiB, 1MiB or 65536 (bytes), between 4096 and 16777216 bytes (got "64MiB")'],
    [{ HTTP_HEADERS_TIMEOUT: '10m' }, 'HTTP_HEADERS_TIMEOUT: must be a duration like 2s, 5s or 10s, between 500ms and 2m (got "10m")'],
    [{ HTTP_MAX_CONNECTIONS_PER_CLIENT: '0' }, 'HTTP_MAX_CONNECTIONS_PER_CLIENT: must be a whole number from 1 to 100000 (got "0")'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")'],
    [
      { KUBECONFIG: `/a/config${path.delimiter}/b/config` },
      `KUBECONFIG: must name one file (lists like a${path.delimiter}b, which kubectl merges, are not supported) (got "/a/config${path.delimiter}/b/config")`,
    ],
    [
      { CLUSTER_NAME: 'my cluster' },
      "CLUSTER_NAME: must be 1-106 characters: letters, digits, '.', '_' and '-', starting with a letter or digit (it becomes the AWS tag kubernetes.io/cluster/<name>) (got \"my cluster\")",
    ],
    [
      { CLUSTER_NAME: '-prod' },
      "CLUSTER_NAME: must be 1-106 characters: letters, digits, '.', '_' and '-', starting with a letter or digit (it becomes the AWS tag kubernetes.io/cluster/<name>) (got \"-prod\")",
    ],
    [
      { CLUSTER_NAME: 'c'.repeat(107) },
      `CLUSTER_NAME: must be 1-106 characters: letters, digits, '.', '_' and '-', starting with a letter or digit (it becomes the AWS tag kubernetes.io/cluster/<name>) (got "${'c'.repeat(77)}...")`,
    ],
    [{ AWS_REGION: 'mars-1' }, 'AWS_REGION: must be an AWS region like us-east-1 (got "mars-1")'],
    [{ AWS_REGION: 'US-EAST-1' }, 'AWS_REGION: must be an AWS region like us-east-1 (got "US-EAST-1")'],
    [{ SVCBOT_CONFIG: '/etc/svcbot/missing.yaml' }, 'SVCBOT_CONFIG: cannot read /etc/svcbot/missing.yaml: no such file'],
  ];
  it.each(cases)('%j', (env, problem) => {
    expect(problemsOf(env)).toEqual([problem]);
  });

  it('accepts a 106-character cluster name (the longest AWS tag key allows)', () => {
    expect(loadConfig({ CLUSTER_NAME: 'c'.repeat(106) }, noFiles).clusterName).toHaveLength(106);
  });

  it('never echoes secrets', () => {
    const secrets = { SLACK_BOT_TOKEN: 'xoxp-SECRET1', SLACK_APP_TOKEN: 'SECRET2', SLACK_SIGNING_SECRET: 'SECRET 3', REDIS_URL: 'redis:SECRET4' };
    let message = '';
    try {
      loadConfig(secrets, noFiles);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/4 problems/);
    expect(message).not.toMatch(/SECRET\d/);
  });

  it('lists every problem in ONE error message', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'abc', LOG_LEVEL: 'loud', SLACK_BOT_TOKEN: 'nope' }, noFiles);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const e = error as ConfigError;
    expect(e.name).toBe('ConfigError');
    expect(e.code).toBe('config_invalid');
    expect(e.message).toBe(
      'Invalid configuration (3 problems):\n' +
        '  - SLACK_BOT_TOKEN: must start with xoxb-\n' +
        '  - PORT: must be an integer 0-65535 (got "abc")\n' +
        '  - LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
    );
    expect(e.problems).toHaveLength(3);
    expect(Object.isFrozen(e.problems)).toBe(true);
  });

  it('says "1 problem" for one', () => {
    expect(() => loadConfig({ PORT: 'x' }, noFiles)).toThrow(/^Invalid configuration \(1 problem\):\n {2}- PORT/);
  });
});

describe('slackSettingsProblems', () => {
  const cases: [env: NodeJS.ProcessEnv, expected: RegExp[]][] = [
    [{}, [/^SLACK_BOT_TOKEN \(slack\.botToken\) is not set/, /^SLACK_SIGNING_SECRET \(slack\.signingSecret\) is not set: .*SLACK_APP_TOKEN/]],
    [{ SLACK_BOT_TOKEN: 'xoxb-1' }, [/^SLACK_SIGNING_SECRET/]],
    [{ SLACK_SIGNING_SECRET: 's' }, [/^SLACK_BOT_TOKEN/]],
    [{ SLACK_APP_TOKEN: 'xapp-1' }, [/^SLACK_BOT_TOKEN/]],
    [{ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' }, []],
    [{ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' }, []],
  ];
  it.each(cases)('%j', (env, expected) => {
    const found = slackSettingsProblems(loadConfig(env, noFiles));
    expect(found).toHaveLength(expected.length);
    expected.forEach((re, i) => expect(found[i]).toMatch(re));
  });
});

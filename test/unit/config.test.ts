import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, formatDnsServer, loadConfig, parseDnsServer, slackSettingsProblems } from '../../src/config/index.js';
import { SETTINGS } from '../../src/config/settings.js';
import type { Config } from '../../src/config/index.js';

/** A fake filesystem for SVCBOT_CONFIG. */
function files(contents: Record<string, string>) {
  return (file: string): string => {
    const text = contents[file];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file, open '${file}'`), { code: 'ENOENT' });
    return text;
  };
}

const noFiles = files({});

/** The problems loadConfig reports (fails the test if it does not throw a ConfigError). */
function problemsOf(env: NodeJS.ProcessEnv, readFile = noFiles): string[] {
  try {
    loadConfig(env, readFile);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

function get(config: Config, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((obj, k) => (obj as Record<string, unknown>)[k], config);
}

describe('loadConfig defaults', () => {
  it('needs no settings at all: one default cluster, no Slack credentials', () => {
    expect(loadConfig({}, noFiles)).toEqual({
      slack: {
        botToken: undefined,
        signingSecret: undefined,
        appToken: undefined,
        socketMode: false,
        apiUrl: 'https://slack.com/api/',
        command: '/svc',
      },
      jobs: { timeoutMs: 900_000, concurrency: 50, lockTimeoutMs: 30_000, recheckMs: 120_000, dnsQueriesPerSecond: 500, elbCallsPerSecond: 5 },
      port: 3000,
      redisUrl: 'redis://127.0.0.1:6379',
      dnsServers: [],
      logLevel: 'info',
      kubeconfig: undefined,
      clusterName: 'kubernetes',
      awsRegion: undefined,
      clusters: [{ name: 'kubernetes', context: undefined, kubeconfig: undefined, region: undefined, clusterName: 'kubernetes' }],
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

describe('loadConfig with a YAML file (SVCBOT_CONFIG)', () => {
  const full = `# every setting
slack:
  botToken: xoxb-from-file
  signingSecret: file-secret
  appToken: xapp-from-file
  apiUrl: http://127.0.0.1:9999/api
  command: /k8s
port: 8080
redisUrl: redis://redis:6379/1
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
  dnsQueriesPerSecond: 1000
  elbCallsPerSecond: 10
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
        command: '/k8s',
      },
      jobs: { timeoutMs: 1_200_000, concurrency: 8, lockTimeoutMs: 45_000, recheckMs: 300_000, dnsQueriesPerSecond: 1000, elbCallsPerSecond: 10 },
      port: 8080,
      redisUrl: 'redis://redis:6379/1',
      dnsServers: [
        { host: '10.0.0.2', port: 53 },
        { host: 'fd00::2', port: 5353 },
      ],
      logLevel: 'debug',
      kubeconfig: '/etc/kube/config',
      clusterName: 'shared',
      awsRegion: 'eu-west-1',
      clusters: [{ name: 'shared', context: undefined, kubeconfig: '/etc/kube/config', region: 'eu-west-1', clusterName: 'shared' }],
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

describe('clusters', () => {
  const load = (yaml: string, env: NodeJS.ProcessEnv = {}) => loadConfig({ SVCBOT_CONFIG: '/c.yaml', ...env }, files({ '/c.yaml': yaml }));
  const problems = (yaml: string, env: NodeJS.ProcessEnv = {}) => problemsOf({ SVCBOT_CONFIG: '/c.yaml', ...env }, files({ '/c.yaml': yaml }));

  it('come from the list, in order, the first being the default', () => {
    const config = load(`clusters:
  - name: prod
    kubeconfig: /k/prod
    context: prod-admin
    region: us-east-1
    clusterName: prod-eks
  - name: staging
    kubeconfig: /k/staging
    region: eu-west-1
    clusterName: staging-eks
`);
    expect(config.clusters).toEqual([
      { name: 'prod', context: 'prod-admin', kubeconfig: '/k/prod', region: 'us-east-1', clusterName: 'prod-eks' },
      { name: 'staging', context: undefined, kubeconfig: '/k/staging', region: 'eu-west-1', clusterName: 'staging-eks' },
    ]);
  });

  it('inherit kubeconfig, clusterName and region from the top level (file or environment)', () => {
    const config = load(
      `kubeconfig: /k/all
clusters:
  - name: a
    context: a
    clusterName: a
  - name: b
    context: b
    region: eu-west-1
`,
      { AWS_REGION: 'us-west-2', CLUSTER_NAME: 'shared' },
    );
    expect(config.clusters).toEqual([
      { name: 'a', context: 'a', kubeconfig: '/k/all', region: 'us-west-2', clusterName: 'a' },
      { name: 'b', context: 'b', kubeconfig: '/k/all', region: 'eu-west-1', clusterName: 'shared' },
    ]);
  });

  const cases: [yaml: string, env: NodeJS.ProcessEnv, expected: string[]][] = [
    ['clusters: []\n', {}, ['/c.yaml:1: clusters: must list at least one cluster (or leave it out for the default one)']],
    ['clusters: prod\n', {}, ['/c.yaml:1: clusters: must be a list (got a string)']],
    ['clusters:\n  - prod\n', {}, ['/c.yaml:2: clusters[0]: must be a mapping (got a string)']],
    ['clusters:\n  - kubeconfig: /k\n', {}, ['/c.yaml:2: clusters[0].name: is required']],
    [
      'clusters:\n  - name: Prod_1\n    kubeconfig: /k\n',
      {},
      [
        "/c.yaml:2: clusters[0].name: must be a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters (like prod-eu) (got \"Prod_1\")",
      ],
    ],
    [
      'clusters:\n  - name: a\n    kubeconfig: /k\n    cluster: x\n',
      {},
      ["/c.yaml:4: clusters[0].cluster: unknown setting (did you mean 'clusterName'?)"],
    ],
    ['clusters:\n  - name: a\n    kubeconfig: /k\n    region: moon\n', {}, ['/c.yaml:4: clusters[0].region: must be an AWS region like us-east-1 (got "moon")']],
    [
      'clusters:\n  - name: a\n    kubeconfig: /k\n    context: a\n    clusterName: a\n  - name: a\n    kubeconfig: /k\n    context: b\n    clusterName: b\n',
      {},
      ["/c.yaml:6: clusters[1].name: duplicate cluster name 'a' (also clusters[0])"],
    ],
    [
      'clusters:\n  - name: a\n    context: admin\n',
      {},
      [
        '/c.yaml:3: clusters[0].context: needs a kubeconfig file (set clusters[0].kubeconfig, kubeconfig or KUBECONFIG); without one svcbot uses the in-cluster service account, which has no contexts',
      ],
    ],
    ['clusters:\n  - name: a\n    context: admin\n', { KUBECONFIG: '/k' }, []],
    [
      'clusters:\n  - name: a\n    clusterName: a\n  - name: b\n    clusterName: b\n',
      {},
      ['/c.yaml:4: clusters[1]: uses the in-cluster configuration as clusters[0]; give each cluster its own kubeconfig or context'],
    ],
    [
      'kubeconfig: /k\nclusters:\n  - name: a\n    clusterName: a\n  - name: b\n    clusterName: b\n',
      {},
      ['/c.yaml:5: clusters[1]: uses the same kubeconfig and context as clusters[0]; give each cluster its own kubeconfig or context'],
    ],
    [
      'kubeconfig: /k\nclusters:\n  - name: a\n    context: a\n  - name: b\n    context: b\n',
      {},
      [
        "/c.yaml:5: clusters[1]: has the same clusterName 'kubernetes' and region as clusters[0], so their load balancers would share the AWS tag kubernetes.io/cluster/kubernetes; give each cluster its own clusterName",
      ],
    ],
    [
      'kubeconfig: /k\nclusters:\n  - name: a\n    context: a\n    clusterName: x\n  - name: b\n    context: b\n    clusterName: x\n',
      {},
      [
        "/c.yaml:8: clusters[1].clusterName: has the same clusterName 'x' and region as clusters[0], so their load balancers would share the AWS tag kubernetes.io/cluster/x; give each cluster its own clusterName",
      ],
    ],
    // Same cluster name in different regions: different tags in practice.
    ['kubeconfig: /k\nclusters:\n  - name: a\n    context: a\n    region: us-east-1\n  - name: b\n    context: b\n    region: eu-west-1\n', {}, []],
    // A field that failed its own check does not cause follow-up problems.
    [
      'kubeconfig: /k\nclusters:\n  - name: a\n    context: a\n  - name: b\n    context: b\n    clusterName: "bad name"\n',
      {},
      [
        "/c.yaml:7: clusters[1].clusterName: must be 1-106 characters: letters, digits, '.', '_' and '-', starting with a letter or digit (it becomes the AWS tag kubernetes.io/cluster/<name>) (got \"bad name\")",
      ],
    ],
  ];
  it.each(cases)('%j with %j', (yaml, env, expected) => {
    if (expected.length === 0) expect(load(yaml, env).clusters.length).toBeGreaterThan(0);
    else expect(problems(yaml, env)).toEqual(expected);
  });

  it('reports problems in several entries and the top level together', () => {
    const found = problems('port: x\nclusters:\n  - name: A\n  - kubeconfig: /k\n  - name: c\n    region: x\n', { LOG_LEVEL: 'nope' });
    expect(found).toEqual([
      '/c.yaml:1: port: must be an integer 0-65535 (got "x")',
      'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "nope")',
      expect.stringMatching(/^\/c\.yaml:3: clusters\[0\]\.name: must be a DNS label/),
      '/c.yaml:4: clusters[1].name: is required',
      '/c.yaml:6: clusters[2].region: must be an AWS region like us-east-1 (got "x")',
      // clusters[0] and [1] both inherit clusterName "kubernetes" and no region.
      expect.stringMatching(/^\/c\.yaml:4: clusters\[1\]: has the same clusterName 'kubernetes'/),
    ]);
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

describe('README', () => {
  it('documents every setting (env var and YAML key)', () => {
    const readme = readFileSync(path.join(process.cwd(), 'README.md'), 'utf8');
    for (const s of SETTINGS) {
      if (s.env) expect(readme).toContain(`\`${s.env}\``);
      expect(readme).toContain(`\`${s.yaml}\``);
    }
    expect(readme).toContain('`SVCBOT_CONFIG`');
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

  it('reads the concurrency, the lock timeout, the recheck interval and the probe rates', () => {
    const env = { JOB_CONCURRENCY: '7', JOB_LOCK_TIMEOUT: '2s', JOB_RECHECK_INTERVAL: '30s', DNS_PROBE_RATE: '2000', ELB_API_RATE: '20' };
    expect(loadConfig(env, noFiles).jobs).toEqual({
      timeoutMs: 900_000,
      concurrency: 7,
      lockTimeoutMs: 2000,
      recheckMs: 30_000,
      dnsQueriesPerSecond: 2000,
      elbCallsPerSecond: 20,
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

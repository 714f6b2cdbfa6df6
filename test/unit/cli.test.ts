import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { PassThrough, Writable } from 'node:stream';
import { main } from '../../src/cli.js';
import { WAYS_TO_RUN } from '../../src/cli.js';
import type { AppModule, CliDeps, CliIo, ConsoleModule, SandboxModule } from '../../src/cli.js';
import type { Adapters, SlackTokenCheck } from '../../src/app.js';
import type { Config } from '../../src/config/index.js';
import type { Logger } from '../../src/logger.js';
import { waitFor } from '../helpers/wait.js';

function capture() {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  return { stream, text: () => text };
}

function harness() {
  const stdout = capture();
  const stderr = capture();
  const io: CliIo = { stdout: stdout.stream, stderr: stderr.stream };
  return { io, stdout: stdout.text, stderr: stderr.text };
}

const never = (what: string) => () => Promise.reject(new Error(`${what} must not be loaded`));

/** Deps where nothing real is loaded unless a test says so. */
function fakeDeps(overrides: Partial<CliDeps> = {}): Partial<CliDeps> {
  return {
    loadApp: never('the app'),
    loadSandbox: never('the sandbox'),
    loadConsole: never('the console'),
    signals: new EventEmitter(),
    readFile: () => {
      throw Object.assign(new Error('no files in this test'), { code: 'ENOENT' });
    },
    stopTimeoutMs: 10_000,
    // A supported Node.js, whatever runs the tests (an old one adds a warning to svcbot start's log).
    nodeVersion: 'v24.11.1',
    ...overrides,
  };
}

const slackEnv = { SLACK_BOT_TOKEN: 'xoxb-SECRET-1', SLACK_SIGNING_SECRET: 'SECRET-2', KUBECONFIG: '/etc/svcbot/kubeconfig' };
const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

describe('svcbot help, version and usage errors', () => {
  it.each([['--help'], ['-h'], ['help']])('%s prints the usage on stdout', async (arg) => {
    const h = harness();
    expect(await main([arg], h.io, {}, fakeDeps())).toBe(0);
    expect(h.stdout()).toMatch(/^svcbot: manage Kubernetes Services/);
    expect(h.stdout()).toMatch(/\n {2}start +run the bot/);
    expect(h.stdout()).toMatch(/\n {2}sandbox +run a simulated/);
    expect(h.stdout()).toMatch(/\n {2}console +type \/svc commands in the terminal/);
    expect(h.stderr()).toBe('');
  });

  it.each([['--version'], ['-v']])('%s prints the package version', async (arg) => {
    const h = harness();
    expect(await main([arg], h.io, {}, fakeDeps())).toBe(0);
    expect(h.stdout()).toBe(`${version}\n`);
  });

  const usageErrors: [argv: string[], message: string][] = [
    [[], 'svcbot: missing command\n\n'],
    [['strat'], "svcbot: unknown command 'strat'\nDid you mean 'start'?\n\n"],
    [['sandbx'], "svcbot: unknown command 'sandbx'\nDid you mean 'sandbox'?\n\n"],
    [['consle'], "svcbot: unknown command 'consle'\nDid you mean 'console'?\n\n"],
    [['deploy'], "svcbot: unknown command 'deploy'\n\n"],
    [['--verbose', 'start'], "svcbot: unknown option '--verbose'\n\n"],
    [['help', 'strat'], "svcbot: unknown command 'strat'\nDid you mean 'start'?\n\n"],
    [['help', 'start', 'sandbox'], 'svcbot: help takes one command name (got 2)\n\n'],
  ];
  it.each(usageErrors)('%j is a usage error (exit 2, message + usage on stderr)', async (argv, message) => {
    const h = harness();
    expect(await main(argv, h.io, {}, fakeDeps())).toBe(2);
    expect(h.stderr().startsWith(message)).toBe(true);
    expect(h.stderr()).toContain('Usage: svcbot');
    expect(h.stdout()).toBe('');
  });

  it.each([
    [['help', 'start'], /^Usage: svcbot start\n/],
    [['start', '--help'], /^Usage: svcbot start\n/],
    [['start', '-h'], /^Usage: svcbot start\n/],
    [['help', 'help'], /^Usage: svcbot help \[COMMAND\]\n/],
  ])('%j prints that command\'s usage', async (argv, usage) => {
    const h = harness();
    expect(await main(argv, h.io, {}, fakeDeps())).toBe(0);
    expect(h.stdout()).toMatch(usage);
  });

  it.each([[['start', '--port', '80']], [['start', 'now']]])('%j: start takes no other arguments', async (argv) => {
    const h = harness();
    expect(await main(argv, h.io, {}, fakeDeps())).toBe(2);
    expect(h.stderr()).toMatch(/^svcbot: (unknown option '--port'|unexpected argument 'now')\n\nUsage: svcbot start/);
  });
});

describe('svcbot sandbox', () => {
  it('hands the whole argv tail and the io to runSandboxCommand and exits with its code', async () => {
    const h = harness();
    const calls: [string[], CliIo][] = [];
    const sandbox: SandboxModule = {
      runSandboxCommand: (argv, io) => {
        calls.push([argv, io]);
        return Promise.resolve(3);
      },
    };
    const code = await main(['sandbox', '--kube-port', '0', '--leak', '--help'], h.io, {}, fakeDeps({ loadSandbox: () => Promise.resolve(sandbox) }));
    expect(code).toBe(3);
    expect(calls).toEqual([[['--kube-port', '0', '--leak', '--help'], h.io]]);
  });

  it('help sandbox asks the sandbox for its own help', async () => {
    const h = harness();
    const calls: string[][] = [];
    const sandbox: SandboxModule = {
      runSandboxCommand: (argv) => {
        calls.push(argv);
        return Promise.resolve(0);
      },
    };
    expect(await main(['help', 'sandbox'], h.io, {}, fakeDeps({ loadSandbox: () => Promise.resolve(sandbox) }))).toBe(0);
    expect(calls).toEqual([['--help']]);
  });

  it('loads the real sandbox command lazily (its --help starts nothing)', async () => {
    const h = harness();
    expect(await main(['sandbox', '--help'], h.io, {}, { signals: new EventEmitter() })).toBe(0);
    expect(h.stdout()).toMatch(/^Usage: svcbot sandbox/);
  });
});

/** A fake app whose start and stop the test controls. */
function fakeApp(
  opts: { start?: () => Promise<void>; stop?: () => Promise<void>; token?: () => Promise<SlackTokenCheck>; redis?: boolean } = {},
) {
  const calls = { start: 0, stop: 0, tokenChecks: 0 };
  let config: Config | undefined;
  let logger: Logger | undefined;
  let role: string | undefined;
  let markStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  const adapters = {} as Adapters; // never looked at: the fake svcbot only records what it was given
  const module: AppModule = {
    createSlackAdapters: (c, l, options) => {
      config = c;
      logger = l;
      role = options.role;
      return adapters;
    },
    startSvcbot: async (c, a, r) => {
      calls.start += 1;
      expect([c, a, r]).toEqual([config, adapters, role]);
      await (opts.start?.() ?? Promise.resolve());
      markStarted();
      return {
        stop: () => {
          calls.stop += 1;
          return opts.stop?.() ?? Promise.resolve();
        },
      };
    },
    checkSlackToken: () => {
      calls.tokenChecks += 1;
      return opts.token?.() ?? Promise.resolve({ ok: true, team: 'T', botUser: 'svcbot' });
    },
    configuredRedisAnswers: () => Promise.resolve(opts.redis ?? true),
  };
  return { module, calls, started, config: () => config!, logger: () => logger!, role: () => role };
}

describe('svcbot start checks what it needs before it listens', () => {
  it('a bot token Slack refuses: one line, exit 2, nothing started', async () => {
    const h = harness();
    const app = fakeApp({ token: () => Promise.resolve({ ok: false, problem: 'Slack refused SLACK_BOT_TOKEN (invalid_auth): use the Bot User OAuth Token' }) });
    expect(await main(['start'], h.io, slackEnv, fakeDeps({ loadApp: () => Promise.resolve(app.module) }))).toBe(2);
    expect(h.stderr()).toBe('svcbot start: Slack refused SLACK_BOT_TOKEN (invalid_auth): use the Bot User OAuth Token\n');
    expect(app.calls).toEqual({ start: 0, stop: 0, tokenChecks: 1 });
  });

  it('SIGTERM while Slack cannot be reached yet: exit 0, nothing started', async () => {
    const h = harness();
    const signals = new EventEmitter();
    let told: (check: SlackTokenCheck) => void = () => undefined;
    const app = fakeApp({ token: () => new Promise((resolve) => (told = resolve)) });
    const running = main(['worker'], h.io, slackEnv, fakeDeps({ signals, loadApp: () => Promise.resolve(app.module) }));
    await waitFor(() => app.calls.tokenChecks === 1, { what: 'the token check' });
    signals.emit('SIGTERM');
    told({ ok: false, problem: "stopped before Slack's API answered" });
    expect(await running).toBe(0);
    expect(app.calls.start).toBe(0);
  });

  it.each(['start', 'web', 'worker'])('%s with no kubeconfig outside a pod: a configuration error in one line (exit 2)', async (command) => {
    const h = harness();
    const env = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' };
    expect(await main([command], h.io, env, fakeDeps({ loadApp: never('the app') }))).toBe(2);
    expect(h.stderr()).toBe(
      `svcbot ${command}: cluster "kubernetes" has no kubeconfig (set KUBECONFIG, or kubeconfig in SVCBOT_CONFIG) and svcbot is not running in a pod, so there is no in-cluster service account to use\n`,
    );
  });

  it('in a pod (KUBERNETES_SERVICE_HOST set) no kubeconfig is needed: the in-cluster service account', async () => {
    const h = harness();
    const signals = new EventEmitter();
    const app = fakeApp();
    const running = main(['start'], h.io, { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', KUBERNETES_SERVICE_HOST: '10.96.0.1' }, fakeDeps({ signals, loadApp: () => Promise.resolve(app.module) }));
    await app.started;
    signals.emit('SIGTERM');
    expect(await running).toBe(0);
  });

  it('Redis does not answer: it says so in one error line naming host:port (never the password), and runs on', async () => {
    const h = harness();
    const signals = new EventEmitter();
    const app = fakeApp({ redis: false });
    const running = main(['start'], h.io, { ...slackEnv, REDIS_URL: 'redis://:hunter2@10.0.0.9:6390' }, fakeDeps({ signals, loadApp: () => Promise.resolve(app.module) }));
    await app.started;
    await waitFor(() => h.stdout().includes('Redis does not answer'), { what: 'the Redis line' });
    signals.emit('SIGTERM');
    expect(await running).toBe(0);
    const line = h.stdout().split('\n').find((l) => l.includes('Redis does not answer')) ?? '';
    expect(line).toContain('Redis does not answer at 10.0.0.9:6390 (REDIS_URL)');
    expect(h.stdout()).not.toContain('hunter2');
  });
});

describe('svcbot start', () => {
  it('starts the app with the configuration and a logger, and stops it once on SIGTERM (exit 0)', async () => {
    const h = harness();
    const signals = new EventEmitter();
    const app = fakeApp();
    const running = main(['start'], h.io, { ...slackEnv, PORT: '4567', LOG_LEVEL: 'debug' }, fakeDeps({ signals, loadApp: () => Promise.resolve(app.module) }));
    await app.started;
    expect(app.config().port).toBe(4567);
    app.logger().debug({ config: app.config() }, 'config');
    signals.emit('SIGTERM');
    expect(await running).toBe(0);
    expect(app.calls).toMatchObject({ start: 1, stop: 1 });
    expect(signals.listenerCount('SIGTERM') + signals.listenerCount('SIGINT')).toBe(0);
    // The logger writes JSON to stdout at the configured level, secrets redacted.
    const records = h
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string });
    expect(records.map((r) => r.msg)).toEqual(['config', 'stopping', 'stopped']);
    expect(h.stdout()).not.toMatch(/SECRET/);
    expect(h.stderr()).toBe('');
  });

  it('stops on SIGINT too', async () => {
    const h = harness();
    const signals = new EventEmitter();
    const app = fakeApp();
    const running = main(['start'], h.io, slackEnv, fakeDeps({ signals, loadApp: () => Promise.resolve(app.module) }));
    await app.started;
    signals.emit('SIGINT');
    expect(await running).toBe(0);
    expect(app.calls.stop).toBe(1);
  });

  it('a signal during start-up stops the app once it is up', async () => {
    const h = harness();
    const signals = new EventEmitter();
    let finishStart: () => void = () => {};
    const app = fakeApp({ start: () => new Promise<void>((resolve) => (finishStart = resolve)) });
    let loaded: () => void = () => {};
    const appLoaded = new Promise<void>((resolve) => (loaded = resolve));
    const running = main(
      ['start'],
      h.io,
      slackEnv,
      fakeDeps({
        signals,
        loadApp: () => {
          loaded();
          return Promise.resolve(app.module);
        },
      }),
    );
    await appLoaded;
    signals.emit('SIGTERM');
    await waitFor(() => app.calls.start === 1, { what: 'the app to be starting' });
    finishStart();
    expect([await running, h.stderr()]).toEqual([0, '']);
    expect(app.calls).toMatchObject({ start: 1, stop: 1 });
  });

  it('a second signal while stopping exits 1 at once, without a second stop()', async () => {
    const h = harness();
    const signals = new EventEmitter();
    const app = fakeApp({ stop: () => new Promise<void>(() => {}) });
    const running = main(['start'], h.io, slackEnv, fakeDeps({ signals, loadApp: () => Promise.resolve(app.module) }));
    await app.started;
    signals.emit('SIGTERM');
    signals.emit('SIGINT');
    expect(await running).toBe(1);
    expect(app.calls.stop).toBe(1);
  });

  it('gives up with exit 1 when stop() hangs past the timeout', async () => {
    const h = harness();
    const signals = new EventEmitter();
    const app = fakeApp({ stop: () => new Promise<void>(() => {}) });
    const running = main(['start'], h.io, slackEnv, fakeDeps({ signals, stopTimeoutMs: 20, loadApp: () => Promise.resolve(app.module) }));
    await app.started;
    signals.emit('SIGTERM');
    expect(await running).toBe(1);
    expect(h.stdout()).toContain('did not stop in time');
    expect(signals.listenerCount('SIGTERM')).toBe(0);
  });

  it('exits 1 with one line when stop() fails', async () => {
    const h = harness();
    const signals = new EventEmitter();
    const app = fakeApp({ stop: () => Promise.reject(new Error('redis went away')) });
    const running = main(['start'], h.io, slackEnv, fakeDeps({ signals, loadApp: () => Promise.resolve(app.module) }));
    await app.started;
    signals.emit('SIGTERM');
    expect(await running).toBe(1);
    expect(h.stderr()).toBe('svcbot: redis went away (SVCBOT_DEBUG=1 shows details)\n');
  });

  it('reports a failure to start in one line, without a stack (exit 1)', async () => {
    const h = harness();
    const signals = new EventEmitter();
    const app = fakeApp({ start: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379\n    at TCPConnectWrap')) });
    expect(await main(['start'], h.io, slackEnv, fakeDeps({ signals, loadApp: () => Promise.resolve(app.module) }))).toBe(1);
    expect(h.stderr()).toBe('svcbot: connect ECONNREFUSED 127.0.0.1:6379 (SVCBOT_DEBUG=1 shows details)\n');
    expect(signals.listenerCount('SIGTERM')).toBe(0);
  });

  it('prints the stack with SVCBOT_DEBUG=1', async () => {
    const h = harness();
    const app = fakeApp({ start: () => Promise.reject(new Error('boom')) });
    expect(await main(['start'], h.io, { ...slackEnv, SVCBOT_DEBUG: '1' }, fakeDeps({ loadApp: () => Promise.resolve(app.module) }))).toBe(1);
    expect(h.stderr()).toMatch(/^svcbot: Error: boom\n {4}at /);
  });

  it('reports invalid configuration (every problem, no stack) and exits 2 before loading the app', async () => {
    const h = harness();
    expect(await main(['start'], h.io, { ...slackEnv, PORT: 'abc', LOG_LEVEL: 'chatty' }, fakeDeps())).toBe(2);
    expect(h.stderr()).toBe(
      'svcbot start: Invalid configuration (2 problems):\n' +
        '  - PORT: must be an integer 0-65535 (got "abc")\n' +
        '  - LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "chatty")\n',
    );
  });

  it('reads the SVCBOT_CONFIG file through deps.readFile', async () => {
    const h = harness();
    const code = await main(['start'], h.io, { ...slackEnv, SVCBOT_CONFIG: '/etc/svcbot.yaml' }, fakeDeps({ readFile: () => 'port: nope\n' }));
    expect(code).toBe(2);
    expect(h.stderr()).toContain('/etc/svcbot.yaml:1: port: must be an integer 0-65535 (got "nope")');
  });

  it('says what Slack settings are missing and exits 2', async () => {
    const h = harness();
    expect(await main(['start'], h.io, { SLACK_APP_TOKEN: 'xapp-1' }, fakeDeps())).toBe(2);
    expect(h.stderr()).toMatch(/^svcbot start: cannot connect to Slack:\n {2}- SLACK_BOT_TOKEN \(slack\.botToken\) is not set/);
    expect(h.stderr()).not.toMatch(/SLACK_SIGNING_SECRET/);
  });

  it('never loads the sandbox', async () => {
    const h = harness();
    const signals = new EventEmitter();
    const app = fakeApp();
    let sandboxLoads = 0;
    const running = main(
      ['start'],
      h.io,
      slackEnv,
      fakeDeps({
        signals,
        loadApp: () => Promise.resolve(app.module),
        loadSandbox: () => {
          sandboxLoads += 1;
          return Promise.reject(new Error('no'));
        },
      }),
    );
    await app.started;
    signals.emit('SIGTERM');
    expect(await running).toBe(0);
    expect(sandboxLoads).toBe(0);
  });
});

describe('svcbot console', () => {
  it('hands the argv tail, the io with stdin, the env and its deps to runConsoleCommand, and exits with its code', async () => {
    const h = harness();
    const stdin = new PassThrough();
    const signals = new EventEmitter();
    const calls: Parameters<ConsoleModule['runConsoleCommand']>[] = [];
    const module: ConsoleModule = {
      runConsoleCommand: (...args) => {
        calls.push(args);
        return Promise.resolve(0);
      },
    };
    const env = { USER: 'alice' };
    const code = await main(['console', '--sandbox', '--user', 'bob'], { ...h.io, stdin }, env, fakeDeps({ signals, loadConsole: () => Promise.resolve(module) }));
    expect(code).toBe(0);
    expect(calls).toHaveLength(1);
    const [argv, io, passedEnv, deps] = calls[0]!;
    expect(argv).toEqual(['--sandbox', '--user', 'bob']);
    expect(io).toEqual({ stdin, stdout: h.io.stdout, stderr: h.io.stderr });
    expect(passedEnv).toBe(env);
    expect(deps.signals).toBe(signals);
  });

  it('help console asks the console for its own help; the real one loads lazily and starts nothing', async () => {
    const h = harness();
    expect(await main(['help', 'console'], h.io, {}, { signals: new EventEmitter() })).toBe(0);
    expect(h.stdout()).toMatch(/^Usage: svcbot console \[--sandbox \| --no-sandbox\]/);
  });
});

describe('svcbot start without Slack settings', () => {
  const tty = <T extends object>(stream: T) => Object.assign(stream, { isTTY: true });

  it('at a terminal (stdin and stdout TTYs), explains the two ways to run svcbot (exit 2)', async () => {
    const h = harness();
    const io: CliIo = { stdin: tty(new PassThrough()), stdout: tty(h.io.stdout), stderr: h.io.stderr };
    expect(await main(['start'], io, {}, fakeDeps())).toBe(2);
    expect(h.stderr()).toBe(WAYS_TO_RUN);
    expect(WAYS_TO_RUN).toMatch(/SLACK_BOT_TOKEN=xoxb-… +SLACK_SIGNING_SECRET=…/);
    expect(WAYS_TO_RUN).toMatch(/SLACK_BOT_TOKEN=xoxb-… +SLACK_APP_TOKEN=xapp-…/);
    expect(WAYS_TO_RUN).toContain('README.md');
    expect(WAYS_TO_RUN).toContain('svcbot console');
    expect(WAYS_TO_RUN).toContain('npm run console');
    expect(h.stdout()).toBe('');
  });

  it.each<[string, (h: ReturnType<typeof harness>) => CliIo]>([
    ['stdout is not a TTY (piped, a container log)', (h) => ({ stdin: tty(new PassThrough()), stdout: h.io.stdout, stderr: h.io.stderr })],
    ['stdin is not a TTY', (h) => ({ stdin: new PassThrough(), stdout: tty(h.io.stdout), stderr: h.io.stderr })],
    ['there is no stdin', (h) => ({ stdout: tty(h.io.stdout), stderr: h.io.stderr })],
  ])('keeps the terse list of problems when %s', async (_what, makeIo) => {
    const h = harness();
    expect(await main(['start'], makeIo(h), {}, fakeDeps())).toBe(2);
    expect(h.stderr()).toMatch(/^svcbot start: cannot connect to Slack:\n {2}- SLACK_BOT_TOKEN/);
    expect(h.stderr()).not.toContain('svcbot console');
  });

  it('keeps the list at a terminal too when Slack is half configured (the problem is a missing setting)', async () => {
    const h = harness();
    const io: CliIo = { stdin: tty(new PassThrough()), stdout: tty(h.io.stdout), stderr: h.io.stderr };
    expect(await main(['start'], io, { SLACK_BOT_TOKEN: 'xoxb-1' }, fakeDeps())).toBe(2);
    expect(h.stderr()).toMatch(/^svcbot start: cannot connect to Slack:\n {2}- SLACK_SIGNING_SECRET/);
  });
});

describe('svcbot web and svcbot worker', () => {
  it.each([
    ['start', 'both'],
    ['web', 'web'],
    ['worker', 'worker'],
  ])('svcbot %s starts the app in the %s role and stops it on SIGTERM', async (command, role) => {
    const h = harness();
    const signals = new EventEmitter();
    const app = fakeApp();
    const running = main([command], h.io, slackEnv, fakeDeps({ signals, loadApp: () => Promise.resolve(app.module) }));
    await app.started;
    expect(app.role()).toBe(role);
    signals.emit('SIGTERM');
    expect(await running).toBe(0);
    expect(app.calls).toMatchObject({ start: 1, stop: 1 });
  });

  it('a worker needs only the bot token (it answers no Slack requests)', async () => {
    const h = harness();
    const signals = new EventEmitter();
    const app = fakeApp();
    const running = main(['worker'], h.io, { SLACK_BOT_TOKEN: 'xoxb-SECRET-1', KUBECONFIG: '/etc/svcbot/kubeconfig' }, fakeDeps({ signals, loadApp: () => Promise.resolve(app.module) }));
    await app.started;
    signals.emit('SIGTERM');
    expect(await running).toBe(0);
    expect(h.stderr()).toBe('');
  });

  it('a worker without a bot token is refused with exit 2, naming the setting and the command', async () => {
    const h = harness();
    expect(await main(['worker'], h.io, { SLACK_SIGNING_SECRET: 'SECRET-2' }, fakeDeps())).toBe(2);
    expect(h.stderr()).toMatch(/^svcbot worker: cannot connect to Slack:\n {2}- SLACK_BOT_TOKEN/);
    expect(h.stderr()).not.toMatch(/SLACK_SIGNING_SECRET/);
  });

  it('web without the signing secret is refused with exit 2', async () => {
    const h = harness();
    expect(await main(['web'], h.io, { SLACK_BOT_TOKEN: 'xoxb-SECRET-1' }, fakeDeps())).toBe(2);
    expect(h.stderr()).toMatch(/^svcbot web: cannot connect to Slack:\n {2}- SLACK_SIGNING_SECRET/);
  });

  it.each([['web'], ['worker']])('svcbot %s --help explains the role', async (command) => {
    const h = harness();
    expect(await main([command, '--help'], h.io, {}, fakeDeps())).toBe(0);
    expect(h.stdout()).toMatch(new RegExp(`^Usage: svcbot ${command}\n`));
    expect(h.stdout()).toMatch(/Redis/);
  });

  it('the top-level help lists web and worker', async () => {
    const h = harness();
    expect(await main(['--help'], h.io, {}, fakeDeps())).toBe(0);
    expect(h.stdout()).toMatch(/\n {2}web +run the Slack side only/);
    expect(h.stdout()).toMatch(/\n {2}worker +run the load-balancer jobs only/);
  });
});

describe('the Node.js version', () => {
  const WARNING_OFF = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

  /** Deps whose every module loader records the variable as it stands when the module loads. */
  function recordingDeps(env: NodeJS.ProcessEnv, seen: (string | undefined)[]) {
    const sandbox: SandboxModule = { runSandboxCommand: () => Promise.resolve(0) };
    const consoleModule: ConsoleModule = { runConsoleCommand: () => Promise.resolve(0) };
    const app = fakeApp();
    const signals = new EventEmitter();
    const record = <T>(module: T) => () => {
      seen.push(env[WARNING_OFF]);
      return Promise.resolve(module);
    };
    void app.started.then(() => signals.emit('SIGTERM'));
    return fakeDeps({ signals, loadSandbox: record(sandbox), loadConsole: record(consoleModule), loadApp: record(app.module) });
  }

  it.each([[['sandbox']], [['console']], [['help', 'console']], [['start']], [['worker']]])(
    '%j: the AWS SDK is told not to print its Node.js version warning before the command loads',
    async (argv) => {
      const h = harness();
      const env: NodeJS.ProcessEnv = { ...slackEnv };
      const seen: (string | undefined)[] = [];
      expect(await main(argv, h.io, env, recordingDeps(env, seen))).toBe(0);
      expect(seen).toEqual(['true']);
      expect(env[WARNING_OFF]).toBe('true');
    },
  );

  it.each([['false'], ['true'], ['']])('a value the user set (%j) stays', async (value) => {
    const h = harness();
    const env: NodeJS.ProcessEnv = { [WARNING_OFF]: value };
    const seen: (string | undefined)[] = [];
    expect(await main(['console'], h.io, env, recordingDeps(env, seen))).toBe(0);
    expect(seen).toEqual([value]);
    expect(env[WARNING_OFF]).toBe(value);
  });

  /** The records svcbot COMMAND logs from start to stop, on Node.js NODE_VERSION. */
  async function startLog(command: string, nodeVersion: string) {
    const h = harness();
    const signals = new EventEmitter();
    const app = fakeApp();
    const running = main([command], h.io, slackEnv, fakeDeps({ signals, nodeVersion, loadApp: () => Promise.resolve(app.module) }));
    await app.started;
    signals.emit('SIGTERM');
    expect(await running).toBe(0);
    return h
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { level: number; msg: string; nodeVersion?: string });
  }

  it.each([
    ['start', 'v20.20.2'],
    ['web', 'v20.19.0'],
    ['worker', 'v21.7.3'],
  ])('svcbot %s on Node.js %s logs one warning at start-up: past its support, Node.js 24 recommended', async (command, nodeVersion) => {
    const records = await startLog(command, nodeVersion);
    const warnings = records.filter((r) => r.level === 40);
    expect(warnings).toEqual([
      expect.objectContaining({
        nodeVersion,
        msg: `Node.js ${nodeVersion} is past its support (end of life); Node.js 24 (LTS) is recommended`,
      }),
    ]);
    expect(records[0]).toBe(warnings[0]);
  });

  it.each([['v22.0.0'], ['v24.11.1'], ['v25.2.0']])('svcbot start on Node.js %s logs no warning', async (nodeVersion) => {
    const records = await startLog('start', nodeVersion);
    expect(records.map((r) => r.msg)).toEqual(['stopping', 'stopped']);
  });
});

describe('svcbot rbac', () => {
  const configFile = ['kubeconfig: /k', 'clusters:', '  - name: shared', '    context: a', '    clusterName: shared', '    namespaces: [team-b, team-a]', '  - name: own', '    context: b', '    clusterName: own', ''].join('\n');
  const deps = () => fakeDeps({ readFile: () => configFile });
  const env = { SVCBOT_CONFIG: '/etc/svcbot/config.yaml' };

  it("writes a Role and RoleBinding in each of the first cluster's namespaces, and a ClusterRole for nodes only", async () => {
    const h = harness();
    expect(await main(['rbac'], h.io, env, deps())).toBe(0);
    const kinds = [...h.stdout().matchAll(/^kind: (\w+)\n(?:metadata:\n {2}name: ([\w-]+)\n(?: {2}namespace: ([\w-]+)\n)?)?/gm)].map((m) => [m[1], m[2], m[3]]);
    expect(kinds).toEqual([
      ['ClusterRole', 'svcbot-nodes', undefined],
      ['ClusterRoleBinding', 'svcbot-nodes', undefined],
      ['Role', 'svcbot', 'team-a'],
      ['RoleBinding', 'svcbot', 'team-a'],
      ['Role', 'svcbot', 'team-b'],
      ['RoleBinding', 'svcbot', 'team-b'],
    ]);
    expect(h.stderr()).toBe('');
  });

  it('writes the cluster-wide RBAC for a cluster without namespaces, bound to the service account given', async () => {
    const h = harness();
    expect(await main(['rbac', '--cluster', 'own', '--service-account', 'ops:bot'], h.io, env, deps())).toBe(0);
    expect(h.stdout()).toContain('kind: ClusterRole\nmetadata:\n  name: bot\n');
    expect(h.stdout()).toContain('subjects:\n  - kind: ServiceAccount\n    name: bot\n    namespace: ops\n');
    expect(h.stdout()).not.toContain('kind: Role\n');
  });

  it.each([
    [['rbac', '--cluster', 'owm'], "no cluster 'owm' is configured (configured: shared, own)\nDid you mean 'own'?"],
    [['rbac', '--service-account', 'svcbot'], '--service-account must be NAMESPACE:NAME'],
    [['rbac', '--namespace', 'x'], "unknown option '--namespace'"],
  ])('%j is a usage error (exit 2)', async (argv, message) => {
    const h = harness();
    expect(await main(argv, h.io, env, deps())).toBe(2);
    expect(h.stderr()).toContain(message);
    expect(h.stdout()).toBe('');
  });

  it('says what is wrong with the configuration', async () => {
    const h = harness();
    expect(await main(['rbac'], h.io, { SVCBOT_NAMESPACES: 'Team_A' }, fakeDeps())).toBe(2);
    expect(h.stderr()).toMatch(/^svcbot rbac: [^]*SVCBOT_NAMESPACES: must be a namespace name/);
  });
});

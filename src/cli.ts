#!/usr/bin/env node
/**
 * The `svcbot` command line. `main(argv, io, env, deps)` does everything and resolves with the exit
 * code (0 ok, 1 runtime error, 2 usage or configuration error); only the entry guard at the bottom
 * calls `process.exit`. Subcommands load their modules lazily, so `svcbot start` never loads the
 * sandbox and `svcbot sandbox` never loads the bot.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Adapters, Role, SlackTokenCheck } from './app.js';
import { clusterAccessProblems, ConfigError, loadConfig, redisDescription, slackSettingsProblems } from './config/index.js';
import type { Config } from './config/index.js';
import { didYouMean } from './domain/suggest.js';
import { DEFAULT_SERVICE_ACCOUNT, rbacYaml } from './domain/kubernetes-access.js';
import { loadSandboxModule } from './sandbox-loader.js';
import { createLogger } from './logger.js';
import type { Logger } from './logger.js';

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** What `svcbot console` reads; also tells `svcbot start` whether someone is at a terminal. */
  stdin?: NodeJS.ReadableStream;
}

/** What `svcbot start|web|worker` runs: the composition root (src/app.ts). */
export interface AppModule {
  createSlackAdapters: (config: Config, logger: Logger, options: { role: Role }) => Adapters;
  startSvcbot: (config: Config, adapters: Adapters, role: Role) => Promise<{ stop(): Promise<void> }>;
  checkSlackToken: (slack: Config['slack'], logger: Logger, opts: { signal?: AbortSignal }) => Promise<SlackTokenCheck>;
  configuredRedisAnswers: (config: Config, timeoutMs: number) => Promise<boolean>;
}

/** What `svcbot sandbox` runs (src/sandbox/main.ts). */
export interface SandboxModule {
  runSandboxCommand: (argv: string[], io: CliIo) => Promise<number>;
}

/** What `svcbot console` runs (src/console/command.ts). */
export interface ConsoleModule {
  runConsoleCommand: (
    argv: string[],
    io: Required<CliIo>,
    env: NodeJS.ProcessEnv,
    deps: { readFile: (file: string) => string; createLogger: typeof createLogger; signals: SignalSource },
  ) => Promise<number>;
}

/** Something that emits SIGTERM/SIGINT: `process`, or an EventEmitter in tests. */
export interface SignalSource {
  on(signal: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
  off(signal: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
}

export interface CliDeps {
  loadApp: () => Promise<AppModule>;
  loadSandbox: () => Promise<SandboxModule>;
  loadConsole: () => Promise<ConsoleModule>;
  signals: SignalSource;
  createLogger: typeof createLogger;
  /** Reads the SVCBOT_CONFIG file. */
  readFile: (file: string) => string;
  /** How long `stop()` may take after SIGTERM/SIGINT before svcbot gives up and exits 1. */
  stopTimeoutMs: number;
  /** The running Node.js (`process.version`): `svcbot start|web|worker` warn when it is past its support. */
  nodeVersion: string;
}

export const defaultDeps: CliDeps = {
  loadApp: () => import('./app.js'),
  loadSandbox: () => loadSandboxModule(() => import('../sandbox/main.js')),
  loadConsole: () => import('./console/command.js'),
  signals: process,
  createLogger,
  readFile: (file) => readFileSync(file, 'utf8'),
  stopTimeoutMs: 10_000,
  nodeVersion: process.version,
};

/**
 * Node.js majors before this one are past their end of life (Node.js 20 since April 2026), and the AWS
 * SDK warns about them.
 */
const OLDEST_SUPPORTED_NODE_MAJOR = 22;

/**
 * The AWS SDK prints a 9-line NodeVersionSupportWarning on Node.js < 22 when it builds its first client:
 * in the console, before the banner, where nobody can act on it. Set to "true", this variable makes
 * the SDK skip it; `svcbot start|web|worker` log one line about the Node.js version instead.
 */
const AWS_SDK_NODE_WARNING_OFF = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

interface Command {
  summary: string;
  usage: string;
  run(args: string[], ctx: Context): Promise<number>;
}

interface Context {
  io: CliIo;
  env: NodeJS.ProcessEnv;
  deps: CliDeps;
}

/** A mistake on the command line: message + usage on stderr, exit 2. */
class UsageError extends Error {
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

const START_USAGE = `Usage: svcbot start

Runs the bot: answers Slack's requests (HTTP on PORT, or Socket Mode when SLACK_APP_TOKEN is set),
manages Services on the configured clusters and runs the load-balancer jobs from Redis.
Configuration comes from environment variables and the YAML file named by SVCBOT_CONFIG
(see README.md). SIGTERM or SIGINT stops it gracefully.

Options:
  -h, --help   show this help
`;

const WEB_USAGE = `Usage: svcbot web

Runs the Slack side only: answers Slack's requests and queues load-balancer changes as jobs in Redis
(REDIS_URL) for 'svcbot worker' processes to run. Same configuration as 'svcbot start'.
SIGTERM or SIGINT stops it gracefully.

Options:
  -h, --help   show this help
`;

const WORKER_USAGE = `Usage: svcbot worker

Runs the load-balancer jobs only: takes them from Redis (REDIS_URL), works on the configured clusters
and posts progress to Slack with SLACK_BOT_TOKEN (no Slack requests are answered). Several workers on
one Redis share the jobs. SIGTERM or SIGINT stops taking jobs, hands running ones back and exits.

Options:
  -h, --help   show this help
`;

const RBAC_USAGE = `Usage: svcbot rbac [--cluster NAME] [--service-account NAMESPACE:NAME]

Writes to stdout the Kubernetes RBAC that svcbot needs on a cluster, from its configuration
(SVCBOT_CONFIG and the environment, as 'svcbot start' reads them): with the cluster's \`namespaces\`
setting, a Role and RoleBinding in each of those namespaces and a ClusterRole that only lists nodes
(a namespaced install); without it, one ClusterRole for every namespace (what manifests/ ships).
Apply it with: svcbot rbac | kubectl apply -f -

Options:
  --cluster NAME                     the configured cluster to write it for (default: the first)
  --service-account NAMESPACE:NAME   the service account svcbot runs as (default: ${DEFAULT_SERVICE_ACCOUNT.namespace}:${DEFAULT_SERVICE_ACCOUNT.name})
  -h, --help                         show this help
`;

/** A service account as NAMESPACE:NAME, each a DNS label. */
const SERVICE_ACCOUNT = /^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?):([a-z0-9]([-.a-z0-9]{0,251}[a-z0-9])?)$/;

function runRbac(args: string[], { io, env, deps }: Context): number {
  const { values } = parseOptions(args, { cluster: { type: 'string' }, 'service-account': { type: 'string' }, help: { type: 'boolean', short: 'h' } }, RBAC_USAGE);
  if (values.help) {
    io.stdout.write(RBAC_USAGE);
    return 0;
  }
  let account = DEFAULT_SERVICE_ACCOUNT;
  if (values['service-account'] !== undefined) {
    const match = SERVICE_ACCOUNT.exec(values['service-account']);
    if (!match) throw new UsageError('--service-account must be NAMESPACE:NAME (e.g. svcbot:svcbot)', RBAC_USAGE);
    account = { namespace: match[1] ?? '', name: match[3] ?? '' };
  }
  let config: Config;
  try {
    config = loadConfig(env, deps.readFile);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr.write(`svcbot rbac: ${err.message}\n`);
    return 2;
  }
  const cluster = values.cluster === undefined ? config.clusters[0] : config.clusters.find((c) => c.name === values.cluster);
  if (cluster === undefined) {
    const names = config.clusters.map((c) => c.name);
    const suggestion = didYouMean(values.cluster ?? '', names);
    throw new UsageError(`no cluster '${values.cluster ?? ''}' is configured (configured: ${names.join(', ')})${suggestion ? `\nDid you mean '${suggestion}'?` : ''}`, RBAC_USAGE);
  }
  io.stdout.write(rbacYaml(cluster.namespaces, account));
  return 0;
}

const commands: Record<string, Command> = {
  start: {
    summary: 'run the bot against Slack, the clusters and Redis (web + worker)',
    usage: START_USAGE,
    run: (args, ctx) => runStart(args, ctx, 'both'),
  },
  web: {
    summary: 'run the Slack side only (queues load-balancer jobs)',
    usage: WEB_USAGE,
    run: (args, ctx) => runStart(args, ctx, 'web'),
  },
  worker: {
    summary: 'run the load-balancer jobs only',
    usage: WORKER_USAGE,
    run: (args, ctx) => runStart(args, ctx, 'worker'),
  },
  rbac: {
    summary: "write the Kubernetes RBAC svcbot needs (a namespaced install's Roles, from the configuration)",
    usage: RBAC_USAGE,
    run: (args, ctx) => Promise.resolve().then(() => runRbac(args, ctx)),
  },
  sandbox: {
    summary: 'run a simulated Kubernetes API + AWS ELB API + DNS on loopback',
    usage: 'Usage: svcbot sandbox [options]   (svcbot sandbox --help lists them)\n',
    async run(args, { io, deps }) {
      const { runSandboxCommand } = await deps.loadSandbox();
      return runSandboxCommand(args, io);
    },
  },
  console: {
    summary: 'type /svc commands in the terminal (against the built-in sandbox by default)',
    usage: 'Usage: svcbot console [--sandbox | --no-sandbox] [--user NAME] [--verbose]   (svcbot console --help explains)\n',
    async run(args, { io, env, deps }) {
      const { runConsoleCommand } = await deps.loadConsole();
      return runConsoleCommand(args, { stdin: io.stdin ?? process.stdin, stdout: io.stdout, stderr: io.stderr }, env, {
        readFile: deps.readFile,
        createLogger: deps.createLogger,
        signals: deps.signals,
      });
    },
  },
  help: {
    summary: 'show help for a command',
    usage: 'Usage: svcbot help [COMMAND]\n',
    async run(args, ctx) {
      const [name, ...extra] = args;
      if (extra.length > 0) throw new UsageError(`help takes one command name (got ${args.length})`, commands.help!.usage);
      if (name === undefined) {
        ctx.io.stdout.write(usage());
        return 0;
      }
      const command = findCommand(name);
      // The sandbox and the console document their own options.
      if (name === 'sandbox' || name === 'console') return command.run(['--help'], ctx);
      ctx.io.stdout.write(command.usage);
      return 0;
    },
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  const list = Object.entries(commands)
    .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
    .join('\n');
  return `svcbot: manage Kubernetes Services and their AWS load balancers from Slack

Usage: svcbot <command> [options]

Commands:
${list}

Options:
  -h, --help     show this help
  -v, --version  print the version

Run 'svcbot help <command>' for a command's options. Configuration: environment variables
(SLACK_BOT_TOKEN, PORT, REDIS_URL, KUBECONFIG, ...) and SVCBOT_CONFIG=file.yaml; see README.md.
`;
}

function findCommand(name: string): Command {
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (command) return command;
  const suggestion = didYouMean(name, Object.keys(commands));
  throw new UsageError(`unknown command '${name}'${suggestion ? `\nDid you mean '${suggestion}'?` : ''}`, usage());
}

/** Node's parseArgs, with its errors turned into UsageErrors ("unknown option '--x'"). */
function parseOptions<O extends NonNullable<Parameters<typeof parseArgs>[0]>['options']>(
  args: string[],
  options: O,
  commandUsage: string,
) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false });
  } catch (err) {
    const e = err as Error & { code?: string };
    if (typeof e.code === 'string' && e.code.startsWith('ERR_PARSE_ARGS')) {
      const unknown = /Unknown option '([^']+)'/.exec(e.message);
      const positional = /Unexpected argument '([^']+)'/.exec(e.message);
      const message = unknown
        ? `unknown option '${unknown[1]}'`
        : positional
          ? `unexpected argument '${positional[1]}'`
          : (e.message.split('.')[0] ?? e.message);
      throw new UsageError(message, commandUsage);
    }
    throw err;
  }
}

function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'svcbot' && pkg.version) return pkg.version;
    } catch {
      // not here; look further up
    }
    const parent = dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}

const isTty = (stream: unknown) => (stream as { isTTY?: boolean } | undefined)?.isTTY === true;

/** No Slack setting at all: a first run, rather than a half-configured Slack app. */
function noSlackAtAll(config: Config): boolean {
  const { botToken, signingSecret, appToken } = config.slack;
  return botToken === undefined && signingSecret === undefined && appToken === undefined;
}

/** What `svcbot start` says to someone at a terminal who has set nothing up for Slack yet. */
export const WAYS_TO_RUN = `svcbot start answers Slack, and no Slack app is configured. There are two ways to run svcbot:

  1. In Slack: give svcbot your Slack app's credentials (README.md explains the app and its /svc
     slash command), then run svcbot start again:
       SLACK_BOT_TOKEN=xoxb-…  SLACK_SIGNING_SECRET=…    HTTP: Slack sends requests to PORT (3000)
       SLACK_BOT_TOKEN=xoxb-…  SLACK_APP_TOKEN=xapp-…    Socket Mode: no public URL needed

  2. Here in the terminal, with nothing to set up: the same /svc commands, against a simulated
     cluster built into svcbot (or your own, with KUBECONFIG set):
       svcbot console        (in a checkout: npm run console)
`;

async function runStart(args: string[], { io, env, deps }: Context, role: Role): Promise<number> {
  const commandUsage = role === 'web' ? WEB_USAGE : role === 'worker' ? WORKER_USAGE : START_USAGE;
  const name = role === 'both' ? 'start' : role;
  const { values } = parseOptions(args, { help: { type: 'boolean', short: 'h' } }, commandUsage);
  if (values.help) {
    io.stdout.write(commandUsage);
    return 0;
  }

  let config: Config;
  try {
    config = loadConfig(env, deps.readFile);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr.write(`svcbot ${name}: ${err.message}\n`);
    return 2;
  }
  // A worker only posts (with the bot token); it answers no Slack requests.
  const slackProblems = role === 'worker' ? slackSettingsProblems(config).filter((p) => p.startsWith('SLACK_BOT_TOKEN')) : slackSettingsProblems(config);
  if (slackProblems.length > 0 && role !== 'worker' && noSlackAtAll(config) && isTty(io.stdin) && isTty(io.stdout)) {
    io.stderr.write(WAYS_TO_RUN);
    return 2;
  }
  if (slackProblems.length > 0) {
    io.stderr.write(`svcbot ${name}: cannot connect to Slack:\n${slackProblems.map((p) => `  - ${p}\n`).join('')}`);
    return 2;
  }
  const clusterProblems = clusterAccessProblems(config, env);
  if (clusterProblems.length > 0) {
    io.stderr.write(clusterProblems.map((p) => `svcbot ${name}: ${p}\n`).join(''));
    return 2;
  }

  const logger = deps.createLogger({
    level: config.logLevel,
    pretty: (io.stdout as { isTTY?: boolean }).isTTY === true,
    destination: io.stdout,
  });
  if (Number(/^v?(\d+)/.exec(deps.nodeVersion)?.[1]) < OLDEST_SUPPORTED_NODE_MAJOR) {
    logger.warn({ nodeVersion: deps.nodeVersion }, `Node.js ${deps.nodeVersion} is past its support (end of life); Node.js 24 (LTS) is recommended`);
  }

  // Listen before starting, so a SIGTERM during start-up also stops the app (once it is up).
  let signalled: (signal: string) => void = () => {};
  const firstSignal = new Promise<string>((resolve) => (signalled = resolve));
  let signals = 0;
  let forced: (code: number) => void = () => {};
  const forcedExit = new Promise<number>((resolve) => (forced = resolve));
  let timer: NodeJS.Timeout | undefined;
  const onSignal = (signal: 'SIGTERM' | 'SIGINT') => () => {
    signals += 1;
    if (signals === 1) {
      logger.info({ signal }, 'stopping');
      timer = setTimeout(() => {
        logger.error({ timeoutMs: deps.stopTimeoutMs }, 'did not stop in time; exiting');
        forced(1);
      }, deps.stopTimeoutMs);
      signalled(signal);
    } else {
      logger.warn({ signal }, 'second signal; exiting without waiting');
      forced(1);
    }
  };
  const onTerm = onSignal('SIGTERM');
  const onInt = onSignal('SIGINT');
  deps.signals.on('SIGTERM', onTerm);
  deps.signals.on('SIGINT', onInt);

  try {
    const run = async (): Promise<number> => {
      const { createSlackAdapters, startSvcbot, checkSlackToken, configuredRedisAnswers } = await deps.loadApp();
      // A token Slack refuses would let svcbot start, then fail every reply: say so now instead.
      const stopping = new AbortController();
      void firstSignal.then(() => stopping.abort());
      const token = await checkSlackToken(config.slack, logger, { signal: stopping.signal });
      if (!token.ok) {
        if (stopping.signal.aborted) return 0;
        io.stderr.write(`svcbot ${name}: ${token.problem}\n`);
        return 2;
      }
      const app = await startSvcbot(config, createSlackAdapters(config, logger, { role }), role);
      if (!(await configuredRedisAnswers(config, 2000))) {
        logger.error(
          { redis: redisDescription(config) },
          'Redis does not answer at %s: load-balancer changes, /svc jobs and the job worker need it; svcbot keeps trying',
          redisDescription(config),
        );
      }
      await firstSignal;
      await app.stop();
      logger.info('stopped');
      return 0;
    };
    return await Promise.race([run(), forcedExit]);
  } finally {
    clearTimeout(timer);
    deps.signals.off('SIGTERM', onTerm);
    deps.signals.off('SIGINT', onInt);
  }
}

/**
 * Runs the command line `argv` (without `node` and the script). Never calls process.exit and never
 * throws: resolves with the exit code.
 */
export async function main(
  argv: readonly string[],
  io: CliIo,
  env: NodeJS.ProcessEnv,
  deps: Partial<CliDeps> = {},
): Promise<number> {
  const ctx: Context = { io, env, deps: { ...defaultDeps, ...deps } };
  try {
    // Options before the command are svcbot's own; everything after belongs to the command.
    const at = argv.findIndex((a) => !a.startsWith('-'));
    const own = at === -1 ? [...argv] : argv.slice(0, at);
    const { values } = parseOptions(
      own,
      { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' } },
      usage(),
    );
    if (values.help) {
      io.stdout.write(usage());
      return 0;
    }
    if (values.version) {
      io.stdout.write(`${packageVersion()}\n`);
      return 0;
    }
    if (at === -1) throw new UsageError('missing command', usage());
    const name = argv[at] as string;
    // Before any command loads its modules (and with them the AWS SDK). In production `env` is
    // process.env, which the SDK reads; a value the user set stays.
    env[AWS_SDK_NODE_WARNING_OFF] ??= 'true';
    return await findCommand(name).run(argv.slice(at + 1), ctx);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`svcbot: ${err.message}\n\n${err.usage}`);
      return 2;
    }
    const e = err instanceof Error ? err : new Error(String(err));
    if (env.SVCBOT_DEBUG === '1') io.stderr.write(`svcbot: ${e.stack ?? e.message}\n`);
    else io.stderr.write(`svcbot: ${(e.message.split('\n')[0] ?? '').trim() || e.name} (SVCBOT_DEBUG=1 shows details)\n`);
    return 1;
  }
}

/** True when this file is the program node was started with (also through an npm bin symlink). */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  // PID 1 in the container: main() handles SIGTERM itself; exit explicitly so a stray open handle
  // cannot keep a stopped bot alive.
  void main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }, process.env).then(
    (code) => process.exit(code),
    () => process.exit(1),
  );
}

/**
 * `svcbot console`: the `/svc` command in a terminal, through the very listeners the Slack app runs:
 * the console builds its adapters (a text chat in place of Slack) and runs `startSvcbot`, as `svcbot
 * start` does. Against the configured clusters, or — the default when no kubeconfig is
 * configured and svcbot is not in a pod, or with `--sandbox` — against the sandbox started in this
 * process. This module and the CLI are the only product code that starts the sandbox, and they load it
 * lazily.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import type { createConsoleAdapters, endpointClients, redisAnswers, removeRedisKeys, RunningSvcbot, startSvcbot } from '../app.js';
import { ConfigError, loadConfig, type ClusterConfig, type Config, type LogLevel } from '../config/index.js';
import { createLogger, type Logger } from '../logger.js';
import { historyFile, noHistoryFile, type HistoryFile } from './history.js';
import { chooseConsoleJobs, CONSOLE_JOBS_CHOICES, ConsoleJobsError, type ConsoleJobs, type ConsoleJobsChoice, type ConsoleJobsDeps } from './jobs-backend.js';
import { consoleCurl } from './curl.js';
import { openLogFile } from './log-file.js';
import { runConsole } from './loop.js';
import { findRedisServer, startPrivateRedis } from './private-redis.js';
import { loadStartSandbox, startConsoleSandbox, type ConsoleSandbox, type StartSandbox } from './sandbox.js';

export interface ConsoleIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** Something that emits SIGTERM/SIGINT: `process`, or an EventEmitter in tests. */
export interface ConsoleSignals {
  on(signal: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
  off(signal: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
}

export interface ConsoleDeps {
  /** Reads the SVCBOT_CONFIG file. */
  readFile: (file: string) => string;
  createLogger: typeof createLogger;
  /** SIGTERM (and SIGINT when the terminal does not turn Ctrl-C into a key) ends the console cleanly. */
  signals: ConsoleSignals;
  loadApp: () => Promise<{
    createConsoleAdapters: typeof createConsoleAdapters;
    startSvcbot: typeof startSvcbot;
    endpointClients: typeof endpointClients;
    redisAnswers: typeof redisAnswers;
    removeRedisKeys: typeof removeRedisKeys;
  }>;
  /**
   * Where load-balancer jobs live (src/console/jobs-backend.ts) when `--jobs` does not say; the console
   * runs their worker in-process and prints their progress here. Default `auto`.
   */
  jobs?: ConsoleJobsChoice;
  /** How the job backend is found and started (tests replace parts). */
  jobsDeps?: Partial<ConsoleJobsDeps>;
  /** The log file (default `~/.svcbot_console.log`; the terminal shows only replies). */
  logFile?: string;
  /** PATH, where `redis-server` is looked for. */
  path?: string;
  /** Loads the sandbox (lazily: a console against real clusters never loads it). */
  loadSandbox: () => Promise<StartSandbox>;
  /** The home directory: the history file and `~/.kube/config` live there. */
  homeDir: string;
  /** The history file in terminal mode (default `~/.svcbot_history`). */
  history?: HistoryFile;
  /** Sandbox settings over the console's (tests shorten the delays). */
  sandboxOptions?: Parameters<StartSandbox>[0];
}

/** The channel the console's user "types in": where jobs say they post their progress. */
const CONSOLE_CHANNEL = 'console';

export const defaultConsoleDeps: ConsoleDeps = {
  readFile: (file) => readFileSync(file, 'utf8'),
  createLogger,
  signals: process,
  loadApp: () => import('../app.js'),
  loadSandbox: loadStartSandbox,
  homeDir: homedir(),
  path: process.env.PATH,
};

export const CONSOLE_USAGE = `Usage: svcbot console [--sandbox | --no-sandbox] [--jobs WHERE] [--user NAME] [--verbose]

Reads /svc commands in the terminal and runs them through the same handlers as the Slack app,
printing each reply as text and its buttons as numbered choices (type the number to press one).
Needs no Slack app and no Redis; keeps nothing when it ends. Quit with exit, Ctrl-D or Ctrl-C twice.
In a checkout: npm run console -- [options].

Options:
  --sandbox      use a simulated cluster and AWS ELB API started in this process (the default
                 when no kubeconfig is configured and svcbot is not running in a pod)
  --no-sandbox   use the configured clusters (KUBECONFIG, or SVCBOT_CONFIG's clusters)
  --jobs WHERE   where load-balancer jobs run: auto (the default: the Redis at REDIS_URL if it
                 answers, else a redis-server of this session's own if one is installed, else this
                 process), redis, redis-server, memory, or none (changes made at once)
  --user NAME    who you are in the replies (default: $USER)
  --verbose      log at debug level (the log goes to ~/.svcbot_console.log, not the terminal)
  -h, --help     show this help
`;

interface ConsoleArgs {
  sandbox: boolean | undefined;
  jobs: ConsoleJobsChoice | undefined;
  user: string | undefined;
  verbose: boolean;
}

class ArgsError extends Error {}

export function parseConsoleArgs(argv: string[]): ConsoleArgs | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        sandbox: { type: 'boolean' },
        'no-sandbox': { type: 'boolean' },
        jobs: { type: 'string' },
        user: { type: 'string' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    const message = (err as Error).message;
    const unknown = /Unknown option '([^']+)'/.exec(message);
    const positional = /Unexpected argument '([^']+)'/.exec(message);
    throw new ArgsError(
      unknown ? `unknown option '${unknown[1]}'` : positional ? `unexpected argument '${positional[1]}'` : (message.split('.')[0] ?? message),
    );
  }
  if (values.help) return 'help';
  if (values.sandbox && values['no-sandbox']) throw new ArgsError('--sandbox and --no-sandbox contradict each other');
  const user = values.user?.trim();
  if (user !== undefined && !/^[\w.@-]{1,80}$/.test(user)) {
    throw new ArgsError('--user: a name of letters, digits, ".", "_", "@" and "-" (like alice)');
  }
  const jobs = values.jobs?.trim().toLowerCase();
  if (jobs !== undefined && !(CONSOLE_JOBS_CHOICES as readonly string[]).includes(jobs)) {
    throw new ArgsError(`--jobs: one of ${CONSOLE_JOBS_CHOICES.join(', ')}`);
  }
  return {
    sandbox: values.sandbox ? true : values['no-sandbox'] ? false : undefined,
    jobs: jobs as ConsoleJobsChoice | undefined,
    user,
    verbose: values.verbose === true,
  };
}

/** Without --sandbox/--no-sandbox: the sandbox unless the default cluster can be reached somehow. */
export function defaultsToSandbox(config: Config, env: NodeJS.ProcessEnv): boolean {
  return config.clusters[0].kubeconfig === undefined && !env.KUBERNETES_SERVICE_HOST;
}

function osUser(): string | undefined {
  try {
    const name = userInfo().username;
    return /^[\w.@-]{1,80}$/.test(name) ? name : undefined;
  } catch {
    return undefined; // no passwd entry for this uid (some containers)
  }
}

const isTty = (s: unknown) => (s as { isTTY?: boolean }).isTTY === true;

function describeCluster(c: ClusterConfig): string {
  const where = c.kubeconfig === undefined ? 'in-cluster service account' : `kubeconfig ${c.kubeconfig}`;
  return `${c.name} (${where}${c.context ? `, context ${c.context}` : ''})`;
}

export function banner(opts: {
  commandName: string;
  user: string;
  sandbox: boolean;
  clusters: readonly ClusterConfig[];
  /** A kubeconfig at ~/.kube/config the console is not using. */
  unusedKubeconfig?: string | undefined;
  /** Where load-balancer jobs run (one line). */
  jobs?: string;
  /** The log file. */
  logFile?: string;
  /** Whether the user may approve their own requests (the console's default). */
  selfApproval?: boolean;
}): string {
  const cmd = opts.commandName;
  const lines = [`svcbot console: ${cmd} in your terminal, answered by the same handlers as in Slack.`, ''];
  if (opts.sandbox) {
    lines.push(
      'Cluster: sandbox, simulated in this process (Kubernetes API, AWS ELB API and DNS on 127.0.0.1).',
      'Nothing you do here is real, and all of it is forgotten when you quit. It runs a deployment',
      '"alpine" (pods labelled app=alpine) to point Services at.',
    );
    if (opts.unusedKubeconfig) {
      lines.push(
        `(For your own cluster: KUBECONFIG=${opts.unusedKubeconfig} svcbot console --no-sandbox;`,
        ` in a checkout: KUBECONFIG=${opts.unusedKubeconfig} npm run console -- --no-sandbox)`,
      );
    }
  } else {
    const [first, ...rest] = opts.clusters;
    lines.push(`Cluster: ${first ? describeCluster(first) : '?'}${rest.length ? `; also --cluster ${rest.map(describeCluster).join(', ')}` : ''}.`);
    lines.push('These are real clusters: what you create, change and delete here happens.');
  }
  if (opts.jobs) lines.push(opts.jobs);
  if (opts.selfApproval !== undefined) {
    lines.push(
      opts.selfApproval
        ? 'Approvals: you may approve your own requests here (the console is for one person; in Slack someone else must,'
          + '\n  unless SVCBOT_SELF_APPROVAL=true). To see four eyes at work, type: as NAME (someone else), as me (you again).'
        : 'Approvals: someone else must approve your requests (SVCBOT_SELF_APPROVAL=false): type as NAME to be someone else, as me to be you again.',
    );
  }
  if (opts.logFile) lines.push(`svcbot's own log: ${opts.logFile}`);
  lines.push(
    '',
    'Try:',
    `  ${cmd} create alpine-service --selector app=alpine --port 8080:80`,
    `  ${cmd} list`,
    `  ${cmd} type alpine-service loadbalancer${opts.sandbox ? '     (an ELB, reachable within seconds)' : ''}`,
    `  ${cmd} orphans${opts.sandbox ? '                                (load balancers left behind: the sandbox starts with a few)' : ''}`,
    `  ${cmd} help`,
    '',
    `You are @${opts.user}. Lines may leave out ${cmd}; buttons come as numbered choices: type the`,
    'number to press one. Quit with exit, Ctrl-D or Ctrl-C twice.',
    '',
  );
  return `${lines.join('\n')}\n`;
}

/** A name the console accepts for `as NAME`: a Slack user ID or a handle. */
const ACTING_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/;

/**
 * The console's `as NAME` (act as someone else: another requester, an approver), `as me` (yourself again)
 * and `as` (who am I?): changes `me.userId`; undefined for any other line.
 */
export function actAs(line: string, me: { userId: string }, yourself: string): string | undefined {
  const m = /^as(?:\s+(\S+))?$/i.exec(line.trim());
  if (!m) return undefined;
  const name = m[1];
  if (name === undefined) return `You are @${me.userId}${me.userId === yourself ? '' : ` (yourself: @${yourself}; type as me)`}.`;
  if (name.toLowerCase() === 'me') {
    me.userId = yourself;
    return `You are @${yourself} again.`;
  }
  if (!ACTING_NAME.test(name)) return `"${name}" is not a name: use letters, digits, ".", "-" and "_" (e.g. as U0BOB or as bob).`;
  me.userId = name;
  return `You are now @${name}: commands and buttons act as them (as me: yourself again).`;
}

/**
 * Runs `svcbot console ARGV`; resolves with the exit code (0 after a clean quit, 2 for usage or
 * configuration errors, 1 when a cluster's clients cannot be set up).
 */
export async function runConsoleCommand(
  argv: string[],
  io: ConsoleIo,
  env: NodeJS.ProcessEnv,
  partialDeps: Partial<ConsoleDeps> = {},
): Promise<number> {
  const deps: ConsoleDeps = { ...defaultConsoleDeps, ...partialDeps };
  const fail = (code: number, message: string) => {
    io.stderr.write(`svcbot console: ${message}\n`);
    return code;
  };

  let args: ConsoleArgs | 'help';
  try {
    args = parseConsoleArgs(argv);
  } catch (err) {
    if (!(err instanceof ArgsError)) throw err;
    io.stderr.write(`svcbot console: ${err.message}\n\n${CONSOLE_USAGE}`);
    return 2;
  }
  if (args === 'help') {
    io.stdout.write(CONSOLE_USAGE);
    return 0;
  }

  let config: Config;
  try {
    // The console is a one-person sandbox: its user may approve their own requests unless configured otherwise.
    config = loadConfig(env, deps.readFile, { defaults: { 'policy.approval.selfApproval': true } });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return fail(2, err.message);
  }

  const homeKubeconfig = join(deps.homeDir, '.kube', 'config');
  const hasHomeKubeconfig = existsSync(homeKubeconfig);
  const useSandbox = args.sandbox ?? defaultsToSandbox(config, env);
  if (!useSandbox && defaultsToSandbox(config, env)) {
    return fail(
      2,
      `cluster "${config.clusters[0].name}" has no kubeconfig (KUBECONFIG is not set) and svcbot is not running in a pod.\n` +
        (hasHomeKubeconfig ? `  Use yours: KUBECONFIG=${homeKubeconfig} svcbot console --no-sandbox (in a checkout: npm run console -- --no-sandbox)\n` : '') +
        '  Or try the simulated cluster: svcbot console --sandbox (in a checkout: npm run console -- --sandbox)',
    );
  }

  const level: LogLevel = args.verbose ? (config.logLevel === 'trace' ? 'trace' : 'debug') : 'info';
  // The terminal shows replies only; svcbot's own log goes to a file (said in the banner).
  const log = openLogFile(deps.logFile ?? join(deps.homeDir, '.svcbot_console.log'));
  const logger: Logger = deps.createLogger({ level, destination: log.stream });
  const user = args.user ?? (env.USER || env.LOGNAME || env.USERNAME || osUser() || 'console');
  const terminal = isTty(io.stdin) && isTty(io.stdout);

  const abort = new AbortController();
  const onSignal = () => abort.abort();
  deps.signals.on('SIGTERM', onSignal);
  // In a terminal Ctrl-C is a key readline sees; this catches it when input is piped.
  deps.signals.on('SIGINT', onSignal);

  let sandbox: ConsoleSandbox | undefined;
  let running: RunningSvcbot | undefined;
  let jobs: ConsoleJobs | undefined;
  try {
    // A session's jobs end with it: quitting does not wait for them (their keys are removed anyway).
    let runConfig: Config = { ...config, jobs: { ...config.jobs, shutdownGraceMs: 0 } };
    if (useSandbox) {
      sandbox = await startConsoleSandbox(await deps.loadSandbox(), runConfig, deps.sandboxOptions);
      runConfig = sandbox.config;
      logger.info({ kubeApi: sandbox.kubeApi }, 'sandbox started');
    }
    const app = await deps.loadApp();
    try {
      jobs = await chooseConsoleJobs(runConfig, args.jobs ?? deps.jobs ?? 'auto', {
        redisAnswers: app.redisAnswers,
        removeRedisKeys: app.removeRedisKeys,
        findRedisServer: () => findRedisServer(deps.path),
        startPrivateRedis,
        sessionId: () => randomBytes(4).toString('hex'),
        ...deps.jobsDeps,
      });
    } catch (err) {
      if (!(err instanceof ConsoleJobsError)) throw err;
      return fail(1, `--jobs ${args.jobs ?? deps.jobs ?? ''}: ${err.message}`);
    }
    runConfig = jobs.config;
    logger.info({ jobs: jobs.describe }, 'load-balancer jobs');
    let adapters: ReturnType<typeof createConsoleAdapters>;
    try {
      adapters = app.createConsoleAdapters(runConfig, logger, {
        role: 'both',
        jobs: jobs.jobs,
        write: (text) => void io.stdout.write(text),
        ...(sandbox ? { clients: app.endpointClients(sandbox.endpoints) } : {}),
      });
    } catch (err) {
      return fail(1, `cannot set up the clusters: ${((err as Error).message.split('\n')[0] ?? '').trim()}`);
    }
    running = await app.startSvcbot(runConfig, adapters, 'both').catch(async (err: unknown) => {
      await adapters.close();
      throw err;
    });
    const { text } = adapters;
    // Let warnings the SDKs emitted while making their clients (printed on the next tick) come out
    // before the banner rather than in the middle of the prompt.
    await new Promise((resolve) => setImmediate(resolve));

    io.stdout.write(
      banner({
        commandName: config.slack.command,
        user,
        sandbox: useSandbox,
        clusters: runConfig.clusters,
        unusedKubeconfig: useSandbox && hasHomeKubeconfig && args.sandbox === undefined ? homeKubeconfig : undefined,
        jobs: jobs.describe,
        logFile: log.path,
        selfApproval: runConfig.policy.approval.selfApproval,
      }),
    );

    logger.debug({ user, sandbox: useSandbox, terminal, clusters: runConfig.clusters.map((c) => c.name) }, 'console started');
    const history = terminal ? (deps.history ?? historyFile(join(deps.homeDir, '.svcbot_history'))) : noHistoryFile;
    const me = { userId: user, channelId: CONSOLE_CHANNEL };
    await runConsole({
      input: io.stdin,
      output: io.stdout,
      run: (line) => text.command(config.slack.command, line, me),
      press: (choice) => text.press(choice.actionId, choice.value, me),
      consoleCommand: (line) => actAs(line, me, user) ?? consoleCurl(line, { dnsServers: runConfig.dnsServers }),
      commandName: config.slack.command,
      terminal,
      color: terminal && !env.NO_COLOR,
      history: history.load(),
      onCommandLine: (line) => history.append(line),
      signal: abort.signal,
    });
    return 0;
  } finally {
    deps.signals.off('SIGTERM', onSignal);
    deps.signals.off('SIGINT', onSignal);
    await running?.stop();
    await jobs?.close().catch((err: unknown) => logger.warn({ err }, 'could not remove the session\'s jobs'));
    await sandbox?.close();
    await log.close();
  }
}

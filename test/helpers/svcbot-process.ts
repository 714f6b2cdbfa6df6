/**
 * The real `svcbot` command line (src/cli.ts) run as a CHILD PROCESS from the TypeScript sources, through
 * test/ts-loader.js (SWC), so tests can crash it for real (SIGKILL) and start another. It gets ONLY the
 * environment the test gives it (plus PATH), its stdout/stderr are kept for failure messages, and every
 * process started here is tracked so `killAll()` (in afterEach/afterAll) leaves none behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LOADER = fileURLToPath(new URL('../ts-loader.js', import.meta.url));
const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

export interface SvcbotProcess {
  readonly name: string;
  readonly pid: number | undefined;
  /** Everything it printed so far (pino JSON lines on stdout, errors on stderr). */
  output(): string;
  /** True until it exits. */
  running(): boolean;
  /** Sends `signal` and waits until it has exited; resolves with how it ended. */
  kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started = new Set<ChildProcess>();
const outputs: { name: string; output: () => string }[] = [];

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function killChild(child: ChildProcess, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (!hasExited(child)) {
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  }
  started.delete(child);
  return { code: child.exitCode, signal: child.signalCode };
}

/**
 * Runs `svcbot ARGS…` with exactly `env` (and PATH) in the repository's root. A worker's probe port is any
 * free one (HEALTH_PORT=0) unless `env` says otherwise: several workers run side by side on this host.
 */
export function spawnSvcbot(name: string, args: readonly string[], env: Record<string, string>): SvcbotProcess {
  const child = spawn(process.execPath, ['--import', LOADER, CLI, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HEALTH_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.add(child);
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.on('exit', (code, signal) => {
    text += `\n[${name} exited: code ${String(code)}, signal ${String(signal)}]\n`;
  });
  const output = () => text;
  outputs.push({ name, output });
  return {
    name,
    pid: child.pid,
    output,
    running: () => !hasExited(child),
    kill: (signal) => killChild(child, signal),
  };
}

/** The first JSON log line `svcbot` printed with message `msg` (as formatted: `svcbot is listening for /svc`), once printed. */
export function loggedLine(svcbot: SvcbotProcess, msg: string): { port?: number } | undefined {
  for (const line of svcbot.output().split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { msg?: string; port?: number };
    if (entry.msg === msg) return entry;
  }
  return undefined;
}

/** SIGKILLs every svcbot child still running and waits for them to exit. */
export async function killAll(): Promise<void> {
  await Promise.all([...started].map((child) => killChild(child, 'SIGKILL')));
}

/** The output of every child started since the last call, labelled (and forgets them). */
function takeOutputs(): string {
  return outputs
    .splice(0)
    .map(({ name, output }) => `----- ${name} -----\n${output().slice(-20_000)}`)
    .join('\n');
}

/**
 * Runs a test body; if it fails, the error message gets the children's output appended (the logs of
 * the process that crashed or hung are usually the explanation), and any `more` logs (in-process ones).
 * Forgets the children's outputs either way.
 */
export async function withOutputOnFailure(body: () => Promise<void>, more: Record<string, () => string> = {}): Promise<void> {
  try {
    await body();
  } catch (err) {
    const logs = [takeOutputs(), ...Object.entries(more).map(([name, output]) => `----- ${name} -----\n${output()}`)].join('\n');
    const note = `\n\nprocess output:\n${logs}`;
    if (err instanceof Error) {
      err.message += note;
      throw err;
    }
    throw new Error(`${String(err)}${note}`, { cause: err });
  }
  takeOutputs();
}

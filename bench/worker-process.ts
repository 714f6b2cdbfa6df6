/**
 * The real `svcbot worker` (or `svcbot web`) as a child process (`node dist/src/cli.js worker`), configured
 * by the environment the bench gives it and nothing else (plus PATH). What it logs (pino JSON lines, warn and
 * above) is tallied by message, so a run can say what went wrong without keeping every line.
 */
import type { ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readCpuMs, readMemory, spawnTracked, stopChild, type ProcMemory } from './proc.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));

export interface WorkerProcess {
  readonly pid: number;
  memory(): ProcMemory | undefined;
  cpuMs(): number | undefined;
  /** Undefined while it runs. */
  exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Log lines by level, message and error message, e.g. `warn: could not wake job; its park timeout will (ECONNRESET)` -> 3. */
  logTally(): Map<string, number>;
  /** The last lines it printed that were not pino JSON (a crash, a configuration error). */
  otherOutput(): string;
  /** `signal` (default SIGTERM: svcbot hands running jobs back and exits), SIGKILL after `timeoutMs`. */
  stop(timeoutMs: number, signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; killed: boolean }>;
}

const ELB_HOSTNAME = /[a-z0-9-]+\.[a-z0-9-]+\.elb\.amazonaws\.com/g;
const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

export interface SpawnWorkerOptions {
  /** Options for `node` itself (diagnostics such as `--trace-gc`). */
  nodeArgs?: readonly string[];
  /** A file that gets a copy of everything the worker prints. */
  outputFile?: string | undefined;
}

export function spawnWorker(env: Record<string, string>, options: SpawnWorkerOptions = {}): WorkerProcess {
  return spawnSvcbot('worker', env, options);
}

/** `svcbot SUBCOMMAND` (`worker` or `web`) as a child process, watched as `spawnWorker`'s. */
export function spawnSvcbot(subcommand: 'worker' | 'web', env: Record<string, string>, { nodeArgs = [], outputFile }: SpawnWorkerOptions = {}): WorkerProcess {
  const child: ChildProcess = spawnTracked(process.execPath, [...nodeArgs, CLI, subcommand], {
    cwd: ROOT,
    // Any free probe port: the benchmark may run several workers on this host.
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HEALTH_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${process.execPath} ${CLI} ${subcommand}`);
  const copy = outputFile === undefined ? undefined : createWriteStream(outputFile);
  copy?.on('error', () => undefined);
  child.once('exit', () => copy?.end());
  const tally = new Map<string, number>();
  let other = '';
  let partial = '';
  const onLine = (line: string) => {
    if (line.trim() === '') return;
    try {
      const entry = JSON.parse(line) as { level?: unknown; msg?: unknown; err?: { message?: unknown } };
      const level = typeof entry.level === 'number' ? (LEVELS[entry.level] ?? String(entry.level)) : '?';
      const cause = typeof entry.err?.message === 'string' ? ` (${entry.err.message.split('\n')[0]?.slice(0, 160) ?? ''})` : '';
      // Load balancers' names made generic, so that one kind of failure is one entry.
      const key = `${level}: ${typeof entry.msg === 'string' ? entry.msg : line.slice(0, 120)}${cause}`.replace(ELB_HOSTNAME, 'HOST');
      tally.set(key, (tally.get(key) ?? 0) + 1);
    } catch {
      other = `${other}${line}\n`.slice(-4000);
    }
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    copy?.write(chunk);
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    copy?.write(chunk);
    other = `${other}${chunk.toString()}`.slice(-4000);
  });
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  child.once('exit', (code, signal) => {
    exited = { code, signal };
  });
  return {
    pid,
    memory: () => readMemory(pid),
    cpuMs: () => readCpuMs(pid),
    exit: () => exited,
    logTally: () => tally,
    otherOutput: () => other,
    stop: (timeoutMs, signal) => stopChild(child, timeoutMs, signal),
  };
}

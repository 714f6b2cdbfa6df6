/**
 * What a benchmark needs of other processes: their memory and CPU time read from Linux's /proc, and
 * child processes that are tracked so that everything a run started is stopped — normally by the
 * run's own cleanup, and at the latest, synchronously, when the bench process exits (Ctrl-C included).
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';

export interface ProcMemory {
  /** Resident set size now (VmRSS), KiB. */
  rssKb: number;
  /** Peak resident set size since the process started (VmHWM), KiB. */
  hwmKb: number;
}

/** VmRSS and VmHWM of `pid`; undefined when the process is gone (or /proc is not there). */
export function readMemory(pid: number): ProcMemory | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
}

/** Clock ticks a second of /proc/<pid>/stat's CPU times (USER_HZ: 100 on every Linux Node supports). */
const USER_HZ = 100;

/** CPU time (user + system) `pid` has used so far, in ms; undefined when the process is gone. */
export function readCpuMs(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after "(comm)": state is field 3, utime field 14, stime field 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? (ticks * 1000) / USER_HZ : undefined;
}

/** A free TCP port on 127.0.0.1 (free when asked: another process may take it before it is used). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('could not find a free port');
  return address.port;
}

const children = new Set<ChildProcess>();
const tmpDirs = new Set<string>();

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** `spawn`, tracked: `killEverythingNow()` kills the child if the run's own cleanup did not stop it. */
export function spawnTracked(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  const child = spawn(command, args, options);
  children.add(child);
  child.once('exit', () => children.delete(child));
  // A failure to start surfaces as an exit (and in the caller's readiness check), not as a crash here.
  child.on('error', () => undefined);
  return child;
}

/**
 * Stops `child`: `signal` (SIGTERM), then SIGKILL if it has not exited after `timeoutMs`. Resolves with
 * how it ended, and whether it had to be killed.
 */
export async function stopChild(
  child: ChildProcess,
  timeoutMs: number,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<{ code: number | null; signal: NodeJS.Signals | null; killed: boolean }> {
  let killed = false;
  if (!hasExited(child)) {
    const exited = once(child, 'exit');
    child.kill(signal);
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
  }
  children.delete(child);
  return { code: child.exitCode, signal: child.signalCode, killed };
}

/** Registers a temporary directory that `killEverythingNow()` removes if the run's cleanup did not. */
export function trackTmpDir(dir: string): void {
  tmpDirs.add(dir);
}

export function removeTmpDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tmpDirs.delete(dir);
}

/** Synchronous last resort (for `process.on('exit')`): SIGKILL every tracked child, remove every tracked directory. */
export function killEverythingNow(): void {
  for (const child of children) {
    if (!hasExited(child)) child.kill('SIGKILL');
  }
  children.clear();
  for (const dir of tmpDirs) rmSync(dir, { recursive: true, force: true });
  tmpDirs.clear();
}

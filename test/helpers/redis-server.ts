/**
 * A PRIVATE redis-server on a free loopback port, for tests that stop, restart or crash things around
 * Redis (never the shared one at 6379). With `persistDir` it keeps an append-only file there, fsynced on
 * every write, so a restart (`stop()` then `start()`, same port and dir) finds the queue as it was — as
 * production Redis behind a job queue is configured; without it a restart starts empty.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { waitFor } from './wait.js';

export interface PrivateRedis {
  readonly port: number;
  /** `redis://127.0.0.1:PORT` (with a password: `redis://:PASSWORD@127.0.0.1:PORT`) */
  readonly url: string;
  /** True while the server runs. */
  running(): boolean;
  /** Starts it again (same port, same data dir); resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it with SIGTERM (a clean shutdown: the append-only file is flushed) and waits for it to exit. */
  stop(): Promise<void>;
  /** What the server printed, for failure messages. */
  output(): string;
}

export async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const address = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

/**
 * `password`: the server's `requirepass` (its default user's password); `url` then carries it. The
 * password is on the command line: test-only, on loopback.
 */
export async function startPrivateRedis({ persistDir, password }: { persistDir?: string; password?: string } = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const persistence = persistDir
    ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', persistDir, '--save', '']
    : ['--appendonly', 'no', '--save', ''];
  const args = ['--port', String(port), '--bind', '127.0.0.1', ...persistence, ...(password !== undefined ? ['--requirepass', password] : [])];
  let server: ChildProcess | undefined;
  let log = '';

  async function start(): Promise<void> {
    if (server && server.exitCode === null && server.signalCode === null) throw new Error('redis-server is already running');
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    server = child;
    let out = '';
    const collect = (chunk: Buffer) => {
      out += chunk.toString();
      log += chunk.toString();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`redis-server exited: ${out}`);
        return out.includes('Ready to accept connections');
      },
      { what: `the private redis-server on port ${port} to start`, timeoutMs: 5000, intervalMs: 10 },
    );
  }

  async function stop(): Promise<void> {
    const child = server;
    server = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  }

  await start();
  return {
    port,
    url: password !== undefined ? `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}` : `redis://127.0.0.1:${port}`,
    running: () => server !== undefined && server.exitCode === null && server.signalCode === null,
    start,
    stop,
    output: () => log,
  };
}

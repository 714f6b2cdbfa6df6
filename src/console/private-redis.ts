/**
 * A private `redis-server` for one console session: the second step of the console's job backend ladder
 * (src/console/jobs-backend.ts), when no Redis answers at REDIS_URL but one is installed. It listens on a
 * free loopback port, keeps nothing on disk (no RDB, no AOF; its working directory is a temporary one),
 * and is stopped and its directory removed when the session ends — or when this process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface PrivateRedis {
  url: string;
  stop(): Promise<void>;
}

/** The `redis-server` on PATH, if there is one. */
export function findRedisServer(path: string | undefined): string | undefined {
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `binary` on a free loopback port and resolves once it accepts connections (its "Ready to accept
 * connections" line), or rejects with what it printed if it does not within `timeoutMs`.
 */
export async function startPrivateRedis(binary: string, timeoutMs = 5000): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'svcbot-console-redis-'));
  const port = await freePort();
  const child: ChildProcess = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within ${timeoutMs} ms: ${output.trim().split('\n').at(-1) ?? ''}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (code ${String(code)}): ${output.trim().split('\n').at(-1) ?? ''}`));
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  const stop = async () => {
    process.removeListener('exit', kill);
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
      if (child.exitCode === null && child.signalCode === null) kill();
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await ready;
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `redis://127.0.0.1:${port}`, stop };
}

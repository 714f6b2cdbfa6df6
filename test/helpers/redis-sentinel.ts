/**
 * A Redis Sentinel for tests: one `redis-server --sentinel` on a free loopback port monitoring a private
 * master (quorum 1), in a temporary directory of its own (Sentinel rewrites its configuration file).
 * `masterPassword` is the master's `requirepass` (Sentinel's `auth-pass`); `password` the Sentinel's own.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis-server.js';
import { waitFor } from './wait.js';

export interface LocalSentinel {
  readonly port: number;
  /** Stops the Sentinel and removes its directory. */
  stop(): Promise<void>;
}

export async function startSentinel(options: { masterName: string; masterPort: number; masterPassword?: string; password?: string }): Promise<LocalSentinel> {
  const dir = await mkdtemp(join(tmpdir(), 'svcbot-sentinel-'));
  const port = await freePort();
  const conf = join(dir, 'sentinel.conf');
  const lines = [
    `port ${port}`,
    'bind 127.0.0.1',
    `dir ${dir}`,
    `sentinel monitor ${options.masterName} 127.0.0.1 ${options.masterPort} 1`,
    ...(options.masterPassword !== undefined ? [`sentinel auth-pass ${options.masterName} ${options.masterPassword}`] : []),
    ...(options.password !== undefined ? [`requirepass ${options.password}`] : []),
  ];
  await writeFile(conf, `${lines.join('\n')}\n`);
  const child = spawn('redis-server', [conf, '--sentinel'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`redis sentinel exited: ${out}`);
        return out.includes(`+monitor master ${options.masterName}`);
      },
      { what: 'the Sentinel to monitor the master', timeoutMs: 5000, intervalMs: 10 },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, stop };
}

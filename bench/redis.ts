/**
 * A private redis-server for one benchmark run: on a free loopback port, nothing saved, killed at the
 * end. Nobody else talks to it, so its own counters (`INFO`: total_commands_processed, used_memory)
 * measure only what the run did — minus the commands the bench itself sends through `stats`, which
 * counts them and subtracts them.
 */
import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort, spawnTracked, stopChild } from './proc.js';

export interface RedisReading {
  /** Commands processed since the server started, not counting the ones `RedisStats` sent. */
  commands: number;
  /** used_memory, bytes. */
  usedMemory: number;
  /** Calls so far by command (INFO commandstats; commands run by Lua scripts count too), including the bench's own. */
  calls: Map<string, number>;
}

export interface RedisStats {
  /** One `INFO` round trip. */
  read(): Promise<RedisReading>;
  /** Sizes of BullMQ's lists and sets for a queue: how many jobs are in each state. */
  jobCounts(prefix: string, queueName: string): Promise<Record<'wait' | 'active' | 'delayed' | 'prioritized' | 'completed' | 'failed', number>>;
  /** The `progress` field of each job (BullMQ's job hash), parsed; undefined for a job without one. */
  jobProgress(prefix: string, queueName: string, jobIds: readonly string[]): Promise<unknown[]>;
  /** Any command on this connection (counted as the bench's own, like the others), e.g. SCAN or HLEN. */
  send(command: string, ...args: (string | number)[]): Promise<unknown>;
  /** Connections subscribed to `channel` (PUBSUB NUMSUB). */
  subscribers(channel: string): Promise<number>;
  close(): Promise<void>;
}

export interface PrivateRedis {
  readonly url: string;
  readonly pid: number | undefined;
  /** A connection of the bench's own, whose commands `read()` leaves out of the count. */
  stats(): Promise<RedisStats>;
  stop(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const child: ChildProcess = spawnTracked(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within 5 s: ${output}`)), 5000);
    const check = () => {
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (code ${String(code)}) — is it installed? ${output}`));
    });
  });
  const url = `redis://127.0.0.1:${port}`;

  return {
    url,
    pid: child.pid,
    stats: () => nodeStats(url),
    async stop() {
      await stopChild(child, 5000);
    },
  };
}

/**
 * A connection of the bench's own to one redis-server (a private one, or one node of a Redis Cluster),
 * whose commands `read()` leaves out of the count.
 */
export async function nodeStats(url: string): Promise<RedisStats> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', () => undefined);
  await redis.connect();
  // Commands this connection has sent that the server has processed (INFO is counted after it runs).
  // Calls are serialized, so that each reading knows exactly how many of its own came before it.
  let sent = 0;
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(op: () => Promise<T>): Promise<T> => {
    const next = chain.then(op);
    chain = next.catch(() => undefined);
    return next;
  };
  const info = async () => {
    const text = (await redis.call('INFO', 'stats', 'memory', 'commandstats')) as string;
    sent += 1;
    return text;
  };
  // Everything before the first reading (connecting included) is a constant offset; count from here.
  const first = await info();
  const field = (text: string, name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(text)?.[1] ?? Number.NaN);
  const offset = field(first, 'total_commands_processed');
  return {
    read: () =>
      serial(async () => {
        const before = sent;
        const text = await info();
        const calls = new Map<string, number>();
        for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(m[1] ?? '', Number(m[2]));
        return { commands: field(text, 'total_commands_processed') - offset - before, usedMemory: field(text, 'used_memory'), calls };
      }),
    jobCounts: (prefix, queueName) =>
      serial(async () => {
        const k = (s: string) => `${prefix}:${queueName}:${s}`;
        const [wait, active, delayed, prioritized, completed, failed] = await Promise.all([
          redis.llen(k('wait')),
          redis.llen(k('active')),
          redis.zcard(k('delayed')),
          redis.zcard(k('prioritized')),
          redis.zcard(k('completed')),
          redis.zcard(k('failed')),
        ]);
        sent += 6;
        return { wait, active, delayed, prioritized, completed, failed };
      }),
    jobProgress: (prefix, queueName, jobIds) =>
      serial(async () => {
        const pipeline = redis.pipeline();
        for (const id of jobIds) pipeline.hget(`${prefix}:${queueName}:${id}`, 'progress');
        const replies = (await pipeline.exec()) ?? [];
        sent += jobIds.length;
        return replies.map(([err, value]) => {
          if (err || typeof value !== 'string') return undefined;
          try {
            return JSON.parse(value) as unknown;
          } catch {
            return undefined;
          }
        });
      }),
    send: (command, ...args) =>
      serial(async () => {
        const reply = await redis.call(command, ...args);
        sent += 1;
        return reply;
      }),
    subscribers: (channel) =>
      serial(async () => {
        const reply = (await redis.call('PUBSUB', 'NUMSUB', channel)) as [string, number];
        sent += 1;
        return Number(reply[1]);
      }),
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

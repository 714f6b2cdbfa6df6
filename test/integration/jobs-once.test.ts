/** The exactly-once guard on real Redis (own key prefix): one effect per key, whoever runs it and however often. */
import { Redis } from 'ioredis';
import { createRedisOnceGuard } from '../../src/adapters/queue/once.js';
import { workerAlive } from '../../src/adapters/queue/ownership.js';
import { TransientJobError } from '../../src/ports/jobs.js';
import { waitFor } from '../helpers/wait.js';
import { REDIS_URL } from './jobs-harness.js';

const prefix = `svcbot-test-once-${Math.random().toString(36).slice(2, 10)}`;
let redis: Redis;
beforeAll(() => {
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

test('concurrent and repeated runs: the effect happens once; later runs get its stored result', async () => {
  const guard = createRedisOnceGuard(redis, { prefix });
  let effects = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const effect = async () => {
    effects += 1;
    await gate;
    return { channel: 'C1', ts: '1.1' };
  };
  const first = guard.run('job-a:endpoint', effect);
  // A second attempt while the first is posting: told to retry later, no second effect.
  await expect(guard.run('job-a:endpoint', effect)).rejects.toBeInstanceOf(TransientJobError);
  release();
  await expect(first).resolves.toEqual({ channel: 'C1', ts: '1.1' });
  await expect(guard.run('job-a:endpoint', effect)).resolves.toEqual({ channel: 'C1', ts: '1.1' });
  expect(effects).toBe(1);
});

test('a failed effect releases the claim, so a retry does it', async () => {
  const guard = createRedisOnceGuard(redis, { prefix });
  await expect(guard.run('job-b', () => Promise.reject(new Error('slack down')))).rejects.toThrow('slack down');
  await expect(guard.run('job-b', () => Promise.resolve('posted'))).resolves.toBe('posted');
});

test('a claim left by a crashed attempt expires after its lease', async () => {
  const guard = createRedisOnceGuard(redis, { prefix, leaseMs: 100 });
  await redis.set(`${prefix}:once:job-c`, 'pending', 'PX', 100);
  await expect(guard.run('job-c', () => Promise.resolve(1))).rejects.toBeInstanceOf(TransientJobError);
  await waitFor(async () => (await redis.exists(`${prefix}:once:job-c`)) === 0, { what: 'the lease to expire' });
  await expect(guard.run('job-c', () => Promise.resolve(2))).resolves.toBe(2);
});

describe('a claim that names its owner', () => {
  const alive = new Set<string>();
  const guardOf = (ownerId: string) => createRedisOnceGuard(redis, { prefix, leaseMs: 60_000, ownerId, ownerAlive: (owner) => Promise.resolve(alive.has(owner)) });

  test("is taken over at once when its owner is no longer alive (a SIGKILLed worker's claim), not after the lease", async () => {
    alive.clear();
    alive.add('worker-a');
    let effects = 0;
    const never = new Promise<string>(() => undefined);
    // worker-a claims and dies mid-effect (its effect never ends).
    void guardOf('worker-a').run('job-d:endpoint', () => ((effects += 1), never));
    await waitFor(async () => (await redis.get(`${prefix}:once:job-d:endpoint`)) === 'pending:worker-a', { what: "worker-a's claim" });
    // While worker-a lives, worker-b waits.
    await expect(guardOf('worker-b').run('job-d:endpoint', () => Promise.resolve('b'))).rejects.toBeInstanceOf(TransientJobError);
    alive.delete('worker-a');
    await expect(guardOf('worker-b').run('job-d:endpoint', () => ((effects += 1), Promise.resolve('b')))).resolves.toBe('b');
    expect(effects).toBe(2);
    // Done: anyone gets the stored result, the dead owner's claim is gone.
    await expect(guardOf('worker-c').run('job-d:endpoint', () => Promise.resolve('c'))).resolves.toBe('b');
  });

  test("its own claim is not taken over by the same owner (another attempt in the same process waits), nor one without an owner", async () => {
    alive.clear();
    await redis.set(`${prefix}:once:job-e`, 'pending:worker-a', 'PX', 60_000);
    await expect(guardOf('worker-a').run('job-e', () => Promise.resolve(1))).rejects.toBeInstanceOf(TransientJobError);
    await redis.set(`${prefix}:once:job-f`, 'pending', 'PX', 60_000);
    await expect(guardOf('worker-b').run('job-f', () => Promise.resolve(1))).rejects.toBeInstanceOf(TransientJobError);
  });

  test('of two attempts taking over the same dead claim at once, one does the effect', async () => {
    alive.clear();
    await redis.set(`${prefix}:once:job-g`, 'pending:worker-dead', 'PX', 60_000);
    let effects = 0;
    const results = await Promise.allSettled(['worker-b', 'worker-c'].map((id) => guardOf(id).run('job-g', () => ((effects += 1), Promise.resolve(id)))));
    expect(effects).toBe(1);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof TransientJobError)).toHaveLength(1);
  });
});

test("workerAlive: a worker with a heartbeat lapsing in the future in any queue's set is alive; lapsed, resigned (0) or absent is not", async () => {
  const [seconds] = await redis.time();
  const now = Number(seconds) * 1000;
  const a = `${prefix}:{q1}:svcbot:workers`;
  const b = `${prefix}:{q2}:svcbot:workers`;
  await redis.zadd(a, now + 60_000, 'live', now - 1000, 'lapsed', 0, 'resigned');
  await redis.zadd(b, now - 1000, 'live');
  expect(await workerAlive(redis, [b, a], 'live')).toBe(true);
  expect(await workerAlive(redis, [a, b], 'lapsed')).toBe(false);
  expect(await workerAlive(redis, [a, b], 'resigned')).toBe(false);
  expect(await workerAlive(redis, [a, b], 'nobody')).toBe(false);
});

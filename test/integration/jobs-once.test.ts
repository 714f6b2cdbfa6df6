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
  // Long enough that a loaded machine still runs the first attempt inside it.
  const guard = createRedisOnceGuard(redis, { prefix, leaseMs: 1000 });
  await redis.set(`${prefix}:once:job-c`, 'pending', 'PX', 1000);
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

  test("its own claim is not taken over while an attempt of the same process runs it, nor one without an owner", async () => {
    alive.clear();
    const a = guardOf('worker-a');
    let release!: (v: number) => void;
    const first = a.run('job-e', () => new Promise<number>((r) => (release = r)));
    await waitFor(async () => (await redis.get(`${prefix}:once:job-e`)) === 'pending:worker-a', { what: "worker-a's claim" });
    await expect(a.run('job-e', () => Promise.resolve(2))).rejects.toBeInstanceOf(TransientJobError);
    release(1);
    await expect(first).resolves.toBe(1);
    await redis.set(`${prefix}:once:job-f`, 'pending', 'PX', 60_000);
    await expect(guardOf('worker-b').run('job-f', () => Promise.resolve(1))).rejects.toBeInstanceOf(TransientJobError);
  });

  test('its own claim that no attempt of the process runs (the done write was lost) is taken over by the process', async () => {
    alive.clear();
    alive.add('worker-a');
    await redis.set(`${prefix}:once:job-h`, 'pending:worker-a', 'PX', 60_000);
    await expect(guardOf('worker-a').run('job-h', () => Promise.resolve('again'))).resolves.toBe('again');
  });

  test('a claim lasts ownedLeaseMs (default 15 minutes) when it names its owner, leaseMs when it does not', async () => {
    await guardOf('worker-a').run('job-i', () => new Promise<string>((r) => setImmediate(() => r('x'))).then(async (x) => {
      expect(await redis.pttl(`${prefix}:once:job-i`)).toBeGreaterThan(14 * 60_000);
      return x;
    }));
    await createRedisOnceGuard(redis, { prefix, leaseMs: 30_000 }).run('job-j', async () => {
      const ttl = await redis.pttl(`${prefix}:once:job-j`);
      expect(ttl).toBeGreaterThan(20_000);
      expect(ttl).toBeLessThanOrEqual(30_000);
    });
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

describe('recover: looking for a dead attempt\'s effect before doing it again', () => {
  const alive = new Set<string>();
  const guardOf = (ownerId: string) => createRedisOnceGuard(redis, { prefix, ownerId, ownerAlive: (owner) => Promise.resolve(alive.has(owner)) });

  test('a first claim never asks recover', async () => {
    let asked = 0;
    const result = await guardOf('worker-a').run('job-r1', () => Promise.resolve('posted'), { recover: () => ((asked += 1), Promise.resolve('found')) });
    expect([result, asked]).toEqual(['posted', 0]);
  });

  test("taking a dead owner's claim over: what recover finds is the result (stored), and the effect is not done", async () => {
    alive.clear();
    await redis.set(`${prefix}:once:job-r2`, 'pending:worker-dead', 'PX', 60_000);
    let effects = 0;
    const found = { channel: 'C1', ts: '1.5' };
    await expect(guardOf('worker-b').run('job-r2', () => ((effects += 1), Promise.resolve({ channel: 'C1', ts: '9.9' })), { recover: () => Promise.resolve(found) })).resolves.toEqual(found);
    expect(effects).toBe(0);
    await expect(guardOf('worker-c').run('job-r2', () => Promise.resolve({ channel: 'C1', ts: '7.7' }))).resolves.toEqual(found);
  });

  test('taking over, recover finding nothing: the effect is done', async () => {
    alive.clear();
    await redis.set(`${prefix}:once:job-r3`, 'pending:worker-dead', 'PX', 60_000);
    await expect(guardOf('worker-b').run('job-r3', () => Promise.resolve('posted'), { recover: () => Promise.resolve(undefined) })).resolves.toBe('posted');
  });

  test('a failed effect with a recover leaves `retry`: the next attempt, in any process, looks first', async () => {
    alive.clear();
    alive.add('worker-a');
    const timedOut = guardOf('worker-a').run('job-r4', () => Promise.reject(new Error('the post timed out (Slack may have taken it)')), { recover: () => Promise.resolve(undefined) });
    await expect(timedOut).rejects.toThrow('timed out');
    expect(await redis.get(`${prefix}:once:job-r4`)).toBe('retry');
    let effects = 0;
    await expect(guardOf('worker-b').run('job-r4', () => ((effects += 1), Promise.resolve('again')), { recover: () => Promise.resolve('it was there') })).resolves.toBe('it was there');
    expect(effects).toBe(0);
  });

  test('recover failing (Slack not answering) leaves `retry` and fails the attempt; the next one looks again', async () => {
    alive.clear();
    await redis.set(`${prefix}:once:job-r5`, 'pending:worker-dead', 'PX', 60_000);
    let effects = 0;
    await expect(guardOf('worker-b').run('job-r5', () => ((effects += 1), Promise.resolve('x')), { recover: () => Promise.reject(new Error('slack down')) })).rejects.toThrow('slack down');
    expect(await redis.get(`${prefix}:once:job-r5`)).toBe('retry');
    await expect(guardOf('worker-b').run('job-r5', () => ((effects += 1), Promise.resolve('posted')), { recover: () => Promise.resolve(undefined) })).resolves.toBe('posted');
    expect(effects).toBe(1);
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

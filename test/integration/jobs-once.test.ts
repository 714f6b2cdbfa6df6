/** The exactly-once guard on real Redis (own key prefix): one effect per key, whoever runs it and however often. */
import { Redis } from 'ioredis';
import { createRedisOnceGuard } from '../../src/adapters/queue/once.js';
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

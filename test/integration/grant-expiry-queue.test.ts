/**
 * The grants' expiry queue on the real Redis (a key prefix of its own, removed afterwards): a grant's
 * expiry is one delayed job whatever its id looks like (BullMQ refuses custom ids that read as
 * integers, and a random hex id is all digits now and then), scheduled twice it is still one job, and
 * cancelling removes it; its worker closes at once with Redis gone, leaving nothing to keep the process up.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { createGrantExpiryQueue, expiryJobId, startGrantExpiryWorker } from '../../src/adapters/queue/grant-expiry.js';
import { liveHandles, startDroppingRedis } from '../helpers/unreachable-redis.js';
import { waitFor } from '../helpers/wait.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `svcbot-test-${Math.random().toString(36).slice(2, 10)}`;
const redisUrl = new URL(REDIS_URL);
const target = { host: redisUrl.hostname, port: Number(redisUrl.port || 6379) };
const expiry = createGrantExpiryQueue({ redis: { url: REDIS_URL }, prefix, logger: pino({ level: 'silent' }) });
const inspect = new Queue<{ grantId: string }>('grant-expiry', { connection: target, prefix });

afterAll(async () => {
  await expiry.close();
  await inspect.close();
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

test.each(['12345678', '0000ffff', '7e3a'])('grant %s: one delayed job at its time, however often scheduled; cancelled, none', async (grantId) => {
  const at = Date.now() + 60_000;
  await expiry.schedule(grantId, at);
  await expiry.schedule(grantId, at);
  const job = await inspect.getJob(expiryJobId(grantId));
  expect(job?.data).toEqual({ grantId });
  expect(await job?.isDelayed()).toBe(true);
  expect((await inspect.getDelayed()).filter((j) => j.data.grantId === grantId)).toHaveLength(1);
  await expiry.cancel(grantId);
  expect(await inspect.getJob(expiryJobId(grantId))).toBeUndefined();
});

test('the expiry worker closes at once with Redis unreachable and leaves no timer or connection behind (the process can exit)', async () => {
  // A "Redis" that drops every connection: BullMQ keeps reconnecting until the worker is closed.
  const dropper = await startDroppingRedis();
  const baseline = liveHandles();
  const worker = startGrantExpiryWorker({
    redis: { url: dropper.url },
    prefix,
    logger: pino({ level: 'silent' }),
    expire: () => Promise.resolve(),
    stalled: { lockDurationMs: 5000, stalledIntervalMs: 5000 },
    closeTimeoutMs: 500,
  });
  await waitFor(() => dropper.connections() >= 4, { what: 'the worker to keep reconnecting' });
  const t0 = Date.now();
  await worker.close();
  expect(Date.now() - t0).toBeLessThan(3000);
  await dropper.close();
  await waitFor(() => liveHandles().timers <= baseline.timers && liveHandles().sockets <= baseline.sockets - 1, {
    what: `the worker's timers and sockets to be gone (baseline ${JSON.stringify(baseline)}, now ${JSON.stringify(liveHandles())})`,
  });
});

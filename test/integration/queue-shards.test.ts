/**
 * Jobs spread over several queues (JOB_QUEUE_SHARDS) on the real Redis, through the adapters the app
 * composes (`createRedisJobQueue`, `createRedisJobWorker`): every queue gets work, a Service's jobs stay
 * in one queue, and a change of the shard count — in either order of web and worker restarts — leaves no
 * job behind: a retired queue is still worked, looked up, listed and cancelled in, and a worker started
 * with the old count starts working a newer configuration's queues.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createRedisJobQueue, createRedisJobWorker, type RedisJobWorker } from '../../src/adapters/queue/index.js';
import { shardQueueNames } from '../../src/adapters/queue/shards.js';
import type { BullmqLbJobQueue } from '../../src/adapters/queue/bullmq-queue.js';
import { lbJobId, type LbJobData } from '../../src/domain/lb-jobs.js';
import type { JobProcessor } from '../../src/ports/jobs.js';
import { waitFor } from '../helpers/wait.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = pino({ level: 'silent' });
const redis = { url: REDIS_URL };

let prefix: string;
const opened: { close(): Promise<void> }[] = [];
let admin: Redis;

beforeEach(() => {
  prefix = `svcbot-test-shards-${Math.random().toString(36).slice(2, 10)}`;
  admin = new Redis(REDIS_URL);
});
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
  const keys = await admin.keys(`${prefix}:*`);
  if (keys.length > 0) await admin.del(...keys);
  admin.disconnect();
});

function job(name: string, cluster = 'prod'): LbJobData {
  return { version: 1, operation: 'provision', cluster, namespace: 'default', name, requester: { userId: 'U1', channelId: 'C1' }, requestedAt: Date.now() };
}

/** The web side's queue with `shards`; `registryRefreshMs` short where the test waits for it to look again (default 30 s). */
function webQueue(shards: number, registryRefreshMs?: number): BullmqLbJobQueue {
  const queue = createRedisJobQueue({ redis, prefix, logger, shards, ...(registryRefreshMs !== undefined ? { registryRefreshMs } : {}) });
  opened.push(queue);
  return queue;
}

function worker(shards: number, processor: JobProcessor<LbJobData, unknown>, registryRefreshMs?: number): RedisJobWorker {
  const runtime = createRedisJobWorker({
    redis,
    prefix,
    logger,
    shards,
    concurrency: 8,
    lockTimeoutMs: 5000,
    graceMs: 100,
    closeTimeoutMs: 3000,
    heartbeatMs: 2000,
    ...(registryRefreshMs !== undefined ? { registryRefreshMs } : {}),
  });
  opened.push(runtime);
  runtime.start(processor);
  return runtime;
}

/** How many jobs (of any state) each BullMQ queue under the prefix holds. */
async function jobsPerQueue(names: readonly string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const name of names) {
    const queue = new Queue(name, { connection: { url: REDIS_URL }, prefix });
    const n = await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
    counts[name] = Object.values(n).reduce((a, b) => a + b, 0);
    await queue.close();
  }
  return counts;
}

test('40 Services over 4 queues: every queue gets jobs, a Service\'s operations share one, list and counts see them all, a worker runs them all', async () => {
  const queue = webQueue(4);
  for (let i = 0; i < 40; i++) await queue.enqueue(job(`web-${i}`, i % 2 === 0 ? 'prod' : 'staging'));
  await queue.enqueue({ ...job('web-0'), operation: 'delete' });
  const perQueue = await jobsPerQueue(shardQueueNames(4));
  expect(Object.values(perQueue).every((n) => n > 0)).toBe(true);
  expect(Object.values(perQueue).reduce((a, b) => a + b, 0)).toBe(41);
  // web-0's delete is where its provision is.
  const holding = await Promise.all(
    shardQueueNames(4).map(async (name) => {
      const q = new Queue(name, { connection: { url: REDIS_URL }, prefix });
      const ids = [await q.getJob(lbJobId('provision', 'prod', 'default', 'web-0')), await q.getJob(lbJobId('delete', 'prod', 'default', 'web-0'))];
      await q.close();
      return ids.filter(Boolean).length;
    }),
  );
  expect(holding.sort()).toEqual([0, 0, 0, 2]);
  expect((await queue.list('prod')).length).toBe(21);
  expect(await queue.counts()).toEqual({ waiting: 41, active: 0, parked: 0 });

  const ran = new Set<string>();
  worker(4, (ctx) => {
    ran.add(ctx.id);
    return Promise.resolve('ok');
  });
  await waitFor(() => ran.size === 41, { what: 'every job to run', timeoutMs: 15_000 });
  await waitFor(async () => (await queue.counts()).waiting === 0 && (await queue.list('staging')).every((j) => j.state === 'completed'), {
    what: 'every job recorded completed',
  });
});

test('from 1 queue to 4: a job waiting in the old queue is a duplicate for the new web side, listed and cancelled by it, and run by the new worker', async () => {
  const before = webQueue(1);
  await before.enqueue(job('old-a'));
  await before.enqueue(job('old-b'));
  await before.close();

  const after = webQueue(4);
  // Unfinished in the retired queue: the same change is under way, not a second job.
  expect(await after.enqueue(job('old-a'))).toEqual({ jobId: lbJobId('provision', 'prod', 'default', 'old-a'), duplicate: true });
  expect((await after.list('prod')).map((j) => j.name).sort()).toEqual(['old-a', 'old-b']);
  expect(await after.cancel(lbJobId('provision', 'prod', 'default', 'old-b'), 'U9')).toBe('cancelled');
  expect((await after.list('prod')).find((j) => j.name === 'old-b')?.state).toBe('cancelled');
  await after.enqueue(job('new-c'));

  const ran: string[] = [];
  worker(4, (ctx) => {
    ran.push(ctx.data.name);
    return Promise.resolve('ok');
  });
  await waitFor(() => ran.length === 2, { what: 'the old and the new job to run', timeoutMs: 15_000 });
  expect(ran.sort()).toEqual(['new-c', 'old-a']);
  await waitFor(async () => (await after.list('prod')).filter((j) => j.state === 'completed').length === 2, { what: 'both recorded completed' });
});

test('a worker started with 1 queue starts working the queues a web side with 4 added, at its next look at the registry', async () => {
  const ran: string[] = [];
  worker(
    1,
    (ctx) => {
      ran.push(ctx.data.name);
      return Promise.resolve('ok');
    },
    200,
  );
  const newer = webQueue(4);
  const names = ['n-0', 'n-1', 'n-2', 'n-3', 'n-4', 'n-5', 'n-6', 'n-7'];
  for (const name of names) await newer.enqueue(job(name));
  await waitFor(() => ran.length === names.length, { what: "the old worker to run the new queues' jobs", timeoutMs: 15_000 });
  expect(ran.sort()).toEqual(names);
});

test('a web side with the old count lists and cancels jobs in the newer queues once it has looked again', async () => {
  const newer = webQueue(4);
  await newer.enqueue(job('in-a-shard'));
  const older = webQueue(1, 100);
  await waitFor(async () => (await older.list('prod')).some((j) => j.name === 'in-a-shard'), { what: 'the old web side to see the job', timeoutMs: 5000 });
  expect(await older.enqueue(job('in-a-shard'))).toMatchObject({ duplicate: true });
  expect(await older.cancel(lbJobId('provision', 'prod', 'default', 'in-a-shard'), 'U9')).toBe('cancelled');
});

/**
 * What is particular to the BullMQ queue adapter and worker runtime, on the real Redis (REDIS_URL), each test
 * under its own key prefix, removed afterwards: retention, a cancel that races with a worker, shutdown,
 * stalled-job recovery, Redis unreachable. What every job backend does (queue, run, park, wake, retry,
 * cancel, supersede) is in test/contract/job-backend.contract.ts, which this adapter passes too.
 */
import { randomBytes } from 'node:crypto';
import { liveHandles, startDroppingRedis } from '../helpers/unreachable-redis.js';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createBullmqLbJobQueue, type BullmqLbJobQueue, type BullmqLbJobQueueOptions } from '../../src/adapters/queue/bullmq-queue.js';
import { startLbWorker, type LbWorker, type StartLbWorkerOptions } from '../../src/adapters/queue/bullmq-worker.js';
import { cancelledKey } from '../../src/adapters/queue/keys.js';
import { lbJobId, type LbJobData } from '../../src/domain/lb-jobs.js';
import { jobStop, PermanentJobError } from '../../src/ports/jobs.js';
import type { LbJobSummary } from '../../src/ports/queue.js';
import { waitFor } from '../helpers/wait.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const QUEUE = 'lb-jobs';
const logger = pino({ level: 'silent' });

let prefix: string;
let inspect: Queue<LbJobData>;
let redis: Redis;
const toClose: { close(): Promise<void> }[] = [];

beforeEach(() => {
  prefix = `svcbot-test-${randomBytes(6).toString('hex')}`;
  inspect = new Queue<LbJobData>(QUEUE, { connection: { url: REDIS_URL }, prefix });
  redis = new Redis(REDIS_URL);
});

afterEach(async () => {
  for (const c of toClose.splice(0).reverse()) await c.close();
  await inspect.obliterate({ force: true });
  await inspect.close();
  // Anything else under this test's own prefix (the cancel records).
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

function jobData(name: string, overrides: Partial<LbJobData> = {}): LbJobData {
  return {
    version: 1,
    operation: 'provision',
    cluster: 'prod',
    namespace: 'default',
    name,
    requester: { userId: 'U1', channelId: 'C1' },
    requestedAt: Date.now(),
    ...overrides,
  };
}

function makeQueue(options: Partial<BullmqLbJobQueueOptions> = {}): BullmqLbJobQueue {
  const q = createBullmqLbJobQueue({ redis: { url: REDIS_URL }, queueName: QUEUE, prefix, logger, ...options });
  toClose.push(q);
  return q;
}

type Options = StartLbWorkerOptions<LbJobData, unknown>;

async function makeWorker(processor: Options['processor'], options: Partial<Options> = {}): Promise<LbWorker> {
  const w = startLbWorker({ connection: { url: REDIS_URL }, queueName: QUEUE, prefix, processor, logger, backoff: { baseMs: 20, maxMs: 100 }, ...options });
  toClose.push(w);
  await w.ready;
  return w;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function jobState(q: BullmqLbJobQueue, id: string): Promise<LbJobSummary | undefined> {
  return (await q.list('prod')).find((j) => j.id === id);
}

describe('retention', () => {
  test('retention: only `count` finished jobs are kept', async () => {
    const q = makeQueue({ retention: { count: 2, ageSeconds: 3600 } });
    let done = 0;
    await makeWorker(() => Promise.resolve(done++));
    for (const name of ['a', 'b', 'c', 'd']) await q.enqueue(jobData(name));
    await waitFor(() => done === 4, { what: 'all four jobs' });
    await waitFor(async () => (await inspect.getJobCounts('completed', 'active')).active === 0, { what: 'the last completion' });
    const listed = await q.list('prod');
    expect(listed.map((j) => j.state)).toEqual(['completed', 'completed']);
    expect(await inspect.getJobCounts('completed')).toEqual({ completed: 2 });
  });
});

describe('cancel (the rest of cancel is in the job backend contract)', () => {
  test('a job cancelled just before a worker takes it starts with its signal aborted and fails as cancelled', async () => {
    const q = makeQueue();
    const { jobId } = await q.enqueue(jobData('web'));
    const job = (await inspect.getJob(jobId))!;
    // The record a cancel writes before it tries to remove the job (here the remove "lost the race").
    await redis.hset(cancelledKey(prefix, QUEUE), jobId, JSON.stringify({ by: 'U9', at: Date.now(), jobCreatedAt: job.timestamp, operation: 'provision', cluster: 'prod', namespace: 'default', name: 'web', requesterId: 'U1' }));
    const seen: unknown[] = [];
    await makeWorker((ctx) => {
      seen.push(jobStop(ctx.signal));
      return Promise.reject(new PermanentJobError('it said so'));
    });
    const cancelled = await waitFor(async () => {
      const j = await jobState(q, jobId);
      return j?.state === 'cancelled' && j;
    }, { what: 'the job to fail as cancelled' });
    expect(cancelled.failedReason).toBe('cancelled by U9');
    expect(seen).toEqual([{ kind: 'cancelled', by: 'U9' }]);
  });
});

describe('worker lifecycle', () => {
  test('close() stops taking jobs and lets a running job finish', async () => {
    const q = makeQueue();
    const started = deferred();
    const release = deferred();
    const worker = startLbWorker({
      connection: { url: REDIS_URL },
      queueName: QUEUE,
      prefix,
      logger,
      graceMs: 5000,
      processor: async () => {
        started.resolve();
        await release.promise;
        return 'done';
      },
    });
    await worker.ready;
    const { jobId } = await q.enqueue(jobData('web'));
    await started.promise;
    const closed = worker.close();
    await q.enqueue(jobData('other'));
    release.resolve();
    await closed;
    expect(await inspect.getJobState(jobId)).toBe('completed');
    expect(await inspect.getJobState(lbJobId('provision', 'prod', 'default', 'other'))).toBe('waiting');
  });

  test('close() hands a job that does not finish within the grace period back to the queue; another worker resumes it', async () => {
    const q = makeQueue({ attempts: 1 });
    const started = deferred();
    const first = startLbWorker({
      connection: { url: REDIS_URL },
      queueName: QUEUE,
      prefix,
      logger,
      graceMs: 100,
      processor: async ({ signal }) => {
        started.resolve();
        await new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
      },
    });
    await first.ready;
    const { jobId } = await q.enqueue(jobData('web'));
    await started.promise;
    const t0 = Date.now();
    await first.close();
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(['delayed', 'waiting']).toContain(await inspect.getJobState(jobId));
    const resumedBy: number[] = [];
    await makeWorker((ctx) => Promise.resolve(resumedBy.push(ctx.attemptsMade)));
    await waitFor(async () => (await inspect.getJobState(jobId)) === 'completed', { what: 'the second worker to finish the job' });
    // Handing back consumed no attempt (attempts: 1 would otherwise have failed it).
    expect(resumedBy).toEqual([0]);
  });

  test('a worker that parked jobs (through the real job context) closes in well under a second, with no false "still running"', async () => {
    const q = makeQueue();
    const lines: string[] = [];
    const capture = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const worker = startLbWorker<LbJobData, unknown>({
      connection: { url: REDIS_URL },
      queueName: QUEUE,
      prefix,
      logger: capture,
      processor: (ctx) => ctx.park(Date.now() + 60_000),
    });
    await worker.ready;
    const ids = [];
    for (const name of ['a', 'b', 'c', 'd', 'e']) ids.push((await q.enqueue(jobData(name))).jobId);
    await waitFor(async () => (await inspect.getJobCounts('delayed')).delayed === 5, { what: 'the jobs to park' });
    // Redis may answer the count before the worker has read its own reply to the last park.
    await waitFor(() => worker.parkedJobIds().length === 5, { what: 'the worker to know it parked them' });
    expect(worker.parkedJobIds().sort()).toEqual([...ids].sort());
    const t0 = Date.now();
    await worker.close();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(lines.join('')).not.toContain('still running');
  });

  test('close() hands back the jobs it parked, due now: the next worker runs them at once, not at their recheck', async () => {
    const q = makeQueue();
    const first = startLbWorker<LbJobData, unknown>({ connection: { url: REDIS_URL }, queueName: QUEUE, prefix, logger, processor: (ctx) => ctx.park(Date.now() + 60_000) });
    await first.ready;
    const { jobId } = await q.enqueue(jobData('web'));
    await waitFor(async () => (await inspect.getJobState(jobId)) === 'delayed', { what: 'the job to park' });
    await first.close();
    expect(await inspect.getJobState(jobId)).toBe('waiting');
    const resumed: string[] = [];
    await makeWorker((ctx) => Promise.resolve(resumed.push(ctx.id)));
    await waitFor(async () => (await inspect.getJobState(jobId)) === 'completed', { what: 'the next worker to run the job' });
    expect(resumed).toEqual([jobId]);
  });

  test('close() returns within its deadline even if a processor ignores its signal', async () => {
    const q = makeQueue();
    const started = deferred();
    const release = deferred();
    const worker = startLbWorker({
      connection: { url: REDIS_URL },
      queueName: QUEUE,
      prefix,
      logger,
      graceMs: 100,
      closeTimeoutMs: 1000,
      processor: async () => {
        started.resolve();
        await release.promise;
      },
    });
    await worker.ready;
    await q.enqueue(jobData('web'));
    await started.promise;
    const t0 = Date.now();
    await worker.close();
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(worker.runningJobIds()).toHaveLength(1);
    release.resolve();
    await waitFor(() => worker.runningJobIds().length === 0, { what: 'the processor to return' });
  });

  test('close() with Redis unreachable returns at once and leaves no timer or connection behind (the process can exit)', async () => {
    // A "Redis" that drops every connection: the worker keeps reconnecting until it is closed.
    const dropper = await startDroppingRedis();
    const baseline = liveHandles();
    const worker = startLbWorker({ connection: { url: dropper.url }, queueName: QUEUE, prefix, logger, processor: () => Promise.resolve() });
    await waitFor(() => dropper.connections() >= 6, { what: 'the worker to keep reconnecting' });
    const t0 = Date.now();
    await worker.close();
    expect(Date.now() - t0).toBeLessThan(2000);
    await dropper.close();
    // Every timer and socket the worker made is gone (nothing left to reconnect with).
    await waitFor(() => liveHandles().timers <= baseline.timers && liveHandles().sockets <= baseline.sockets - 1, {
      what: `the worker's timers and sockets to be gone (baseline ${JSON.stringify(baseline)}, now ${JSON.stringify(liveHandles())})`,
      timeoutMs: 3000,
    });
  });

  test('a job whose worker died (lock no longer renewed) is recovered by another worker (stalled-job recovery)', async () => {
    const q = makeQueue();
    const { jobId } = await q.enqueue(jobData('web'));
    // A "worker" that takes the job and dies: fetched by hand, its lock is never renewed.
    const dead = new Worker(QUEUE, null, { connection: { url: REDIS_URL }, prefix, lockDuration: 500, autorun: false });
    const taken = (await dead.getNextJob('dead-token')) as Job | undefined;
    expect(taken?.id).toBe(jobId);
    await dead.close(true);
    expect(await inspect.getJobState(jobId)).toBe('active');
    const resumed: string[] = [];
    await makeWorker((ctx) => Promise.resolve(resumed.push(ctx.id)), { stalled: { lockDurationMs: 500, stalledIntervalMs: 200, maxStalledCount: 2 } });
    await waitFor(async () => (await inspect.getJobState(jobId)) === 'completed', { what: 'the stalled job to be resumed', timeoutMs: 8000 });
    expect(resumed).toEqual([jobId]);
  });
});

/**
 * The BullMQ queue adapter and the worker runtime on the real Redis (REDIS_URL), each test under its own
 * key prefix, removed afterwards. Processors here are trivial: what is tested is the queue's behaviour.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
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
  const q = createBullmqLbJobQueue({ redisUrl: REDIS_URL, queueName: QUEUE, prefix, logger, ...options });
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

/** Timers and TCP sockets/servers alive in this process now. */
function liveHandles(): { timers: number; sockets: number } {
  const info = process.getActiveResourcesInfo();
  return { timers: info.filter((r) => r === 'Timeout').length, sockets: info.filter((r) => r.startsWith('TCP')).length };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function jobState(q: BullmqLbJobQueue, id: string): Promise<LbJobSummary | undefined> {
  return (await q.list('prod')).find((j) => j.id === id);
}

describe('enqueue', () => {
  test('a double submission is one job; the second is reported as a duplicate', async () => {
    const q = makeQueue();
    const first = await q.enqueue(jobData('web'));
    const second = await q.enqueue(jobData('web', { requester: { userId: 'U2', channelId: 'C1' } }));
    expect(first).toEqual({ jobId: lbJobId('provision', 'prod', 'default', 'web'), duplicate: false });
    expect(second).toEqual({ jobId: first.jobId, duplicate: true });
    expect(await inspect.getJobCounts('waiting')).toEqual({ waiting: 1 });
    const [listed] = await q.list('prod');
    expect(listed).toMatchObject({ id: first.jobId, operation: 'provision', cluster: 'prod', namespace: 'default', name: 'web', state: 'waiting', requesterId: 'U1' });
    expect(listed?.createdAt).toBeInstanceOf(Date);
  });

  test('other operations and other clusters are other jobs; list shows only the cluster asked for', async () => {
    const q = makeQueue();
    await q.enqueue(jobData('web'));
    await q.enqueue(jobData('web', { operation: 'delete' }));
    await q.enqueue(jobData('web', { cluster: 'staging' }));
    expect((await q.list('prod')).map((j) => j.id).sort()).toEqual(['delete.prod.default.web', 'provision.prod.default.web']);
    expect((await q.list('staging')).map((j) => j.id)).toEqual(['provision.staging.default.web']);
    expect(await q.list('nowhere')).toEqual([]);
  });

  test('a finished job kept for /svc jobs is replaced by a new submission', async () => {
    const q = makeQueue();
    const seen: string[] = [];
    await makeWorker(async (ctx) => {
      seen.push(ctx.data.requester.userId);
      await ctx.saveState({ step: 'ready' });
      return 'ok';
    });
    const { jobId } = await q.enqueue(jobData('web'));
    const done = await waitFor(async () => {
      const j = await jobState(q, jobId);
      return j?.state === 'completed' && j;
    }, { what: 'the job to complete' });
    expect(done).toMatchObject({ step: 'ready', finishedAt: expect.any(Date) });
    expect(await q.enqueue(jobData('web', { requester: { userId: 'U2', channelId: 'C1' } }))).toEqual({ jobId, duplicate: false });
    await waitFor(() => seen.length === 2, { what: 'the second job to run' });
    expect(seen).toEqual(['U1', 'U2']);
  });

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

describe('retries', () => {
  test('transient errors are retried with backoff until the job succeeds', async () => {
    const q = makeQueue({ attempts: 5 });
    const tries: number[] = [];
    await makeWorker((ctx) => {
      tries.push(Date.now());
      if (tries.length < 3) return Promise.reject(new Error('503 Service Unavailable'));
      return Promise.resolve(ctx.attemptsMade);
    });
    const { jobId } = await q.enqueue(jobData('web'));
    const done = await waitFor(async () => {
      const j = await jobState(q, jobId);
      return j?.state === 'completed' && j;
    }, { what: 'the job to complete' });
    expect(tries).toHaveLength(3);
    expect(done.attemptsMade).toBe(3); // two failed attempts and the one that completed
    // base 20 ms: the first retry waits 10–20 ms, the second 20–40 ms (jitter keeps at least half).
    expect(tries[1]! - tries[0]!).toBeGreaterThanOrEqual(10);
    expect(tries[2]! - tries[1]!).toBeGreaterThanOrEqual(20);
  });

  test("the port's PermanentJobError fails the job at once, with its message", async () => {
    const q = makeQueue({ attempts: 5 });
    let runs = 0;
    await makeWorker(() => {
      runs++;
      return Promise.reject(new PermanentJobError('403 Forbidden: cannot patch services'));
    });
    const { jobId } = await q.enqueue(jobData('web'));
    const failed = await waitFor(async () => {
      const j = await jobState(q, jobId);
      return j?.state === 'failed' && j;
    }, { what: 'the job to fail' });
    expect(runs).toBe(1);
    expect(failed).toMatchObject({ failedReason: '403 Forbidden: cannot patch services', finishedAt: expect.any(Date) });
  });

  test('after the last attempt the job fails with the last error', async () => {
    const q = makeQueue({ attempts: 2 });
    let runs = 0;
    await makeWorker(() => Promise.reject(new Error(`Throttling ${++runs}`)));
    const { jobId } = await q.enqueue(jobData('web'));
    const failed = await waitFor(async () => {
      const j = await jobState(q, jobId);
      return j?.state === 'failed' && j;
    }, { what: 'the job to fail' });
    expect(runs).toBe(2);
    expect(failed.failedReason).toBe('Throttling 2');
  });
});

describe('cancel', () => {
  test('a waiting job is removed and shows as cancelled; again it is finished; an unknown id is not found', async () => {
    const q = makeQueue();
    const { jobId } = await q.enqueue(jobData('web'));
    expect(await q.cancel(jobId, 'U9')).toBe('cancelled');
    expect(await inspect.getJob(jobId)).toBeUndefined();
    expect(await jobState(q, jobId)).toMatchObject({ state: 'cancelled', failedReason: 'cancelled by U9', requesterId: 'U1', finishedAt: expect.any(Date) });
    expect(await q.cancel(jobId, 'U9')).toBe('finished');
    expect(await q.cancel('provision.prod.default.nope', 'U9')).toBe('not_found');
    expect(await q.cancel('not a job id', 'U9')).toBe('not_found');
  });

  test('a cancelled job does not linger once the Service is submitted again', async () => {
    const q = makeQueue();
    const { jobId } = await q.enqueue(jobData('web'));
    await q.cancel(jobId, 'U9');
    expect(await q.enqueue(jobData('web'))).toEqual({ jobId, duplicate: false });
    expect((await q.list('prod')).map((j) => j.state)).toEqual(['waiting']);
  });

  test('an active job is aborted through its signal on the worker holding it, fails as cancelled and is not retried', async () => {
    const q = makeQueue({ attempts: 5 });
    const started = deferred();
    let runs = 0;
    let abortReason: unknown;
    const worker = await makeWorker(async ({ signal }) => {
      runs++;
      started.resolve();
      await new Promise<void>((_, reject) => {
        signal.addEventListener('abort', () => {
          abortReason = jobStop(signal);
          reject(new Error('aborted'));
        });
      });
    });
    const { jobId } = await q.enqueue(jobData('web'));
    await started.promise;
    expect(await jobState(q, jobId)).toMatchObject({ state: 'active' });
    expect(await q.cancel(jobId, 'U9')).toBe('cancelled');
    const cancelled = await waitFor(async () => {
      const j = await jobState(q, jobId);
      return j?.state === 'cancelled' && j;
    }, { what: 'the job to stop' });
    expect(cancelled.failedReason).toBe('cancelled by U9');
    expect(abortReason).toEqual({ kind: 'cancelled', by: 'U9' });
    expect(runs).toBe(1);
    expect(worker.runningJobIds()).toEqual([]);
    expect(await q.cancel(jobId, 'U9')).toBe('finished');
  });

  test('an active job that parks itself as it is cancelled runs once more, sees the cancel, and ends cancelled at once', async () => {
    const q = makeQueue({ attempts: 5 });
    const started = deferred();
    const seen: unknown[] = [];
    await makeWorker(async (ctx) => {
      seen.push(jobStop(ctx.signal));
      started.resolve();
      if (!ctx.signal.aborted) await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
      return ctx.park(Date.now() + 60_000);
    });
    const { jobId } = await q.enqueue(jobData('web'));
    await started.promise;
    const t0 = Date.now();
    expect(await q.cancel(jobId, 'U9')).toBe('cancelled');
    const cancelled = await waitFor(async () => {
      const j = await jobState(q, jobId);
      return j?.state === 'cancelled' && j;
    }, { what: 'the job to end as cancelled' });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(cancelled.failedReason).toBe('cancelled by U9');
    // The second run started with the cancel already in its signal (and parked again: it fails anyway).
    expect(seen).toEqual([undefined, { kind: 'cancelled', by: 'U9' }]);
  });

  test('a parked job is woken by its cancel and ended by its processor at once (not when its wait is over)', async () => {
    const q = makeQueue();
    const runs: unknown[] = [];
    await makeWorker(async (ctx) => {
      const stop = jobStop(ctx.signal);
      runs.push(stop);
      if (stop?.kind === 'cancelled') throw new PermanentJobError(`cancelled by ${stop.by}`);
      return ctx.park(Date.now() + 60_000);
    });
    const { jobId } = await q.enqueue(jobData('web'));
    await waitFor(async () => (await jobState(q, jobId))?.state === 'delayed', { what: 'the job to park' });
    const t0 = Date.now();
    expect(await q.cancel(jobId, 'U9')).toBe('cancelled');
    const cancelled = await waitFor(async () => {
      const j = await jobState(q, jobId);
      return j?.state === 'cancelled' && j;
    }, { what: 'the job to end as cancelled' });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(cancelled).toMatchObject({ failedReason: 'cancelled by U9', finishedAt: expect.any(Date) });
    expect(runs).toEqual([undefined, { kind: 'cancelled', by: 'U9' }]);
  });

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
    let connections = 0;
    const dropper = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => dropper.listen(0, '127.0.0.1', resolve));
    const { port } = dropper.address() as AddressInfo;
    const baseline = liveHandles();
    const worker = startLbWorker({ connection: { url: `redis://127.0.0.1:${port}` }, queueName: QUEUE, prefix, logger, processor: () => Promise.resolve() });
    await waitFor(() => connections >= 6, { what: 'the worker to keep reconnecting' });
    const t0 = Date.now();
    await worker.close();
    expect(Date.now() - t0).toBeLessThan(2000);
    await new Promise<void>((resolve) => dropper.close(() => resolve()));
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

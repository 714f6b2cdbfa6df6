/**
 * The load-balancer worker (started through src/runtime/worker.ts): a BullMQ Worker around a processor, with svcbot's retry policy, cross-process
 * cancellation and a bounded shutdown.
 *
 * Retries: jobs carry `attempts` and `backoff: { type: BACKOFF_TYPE }` (set by the queue adapter); this
 * worker's backoff strategy spaces transient failures exponentially with jitter (backoff.ts). A processor
 * that throws `UnrecoverableError` fails the job at once. A processor that waits for the world (AWS, DNS)
 * parks its job with `job.moveToDelayed(ts, token)` + `throw new DelayedError()` instead of holding a slot.
 *
 * Stalled-job recovery (a worker that dies, even by SIGKILL, loses its jobs to another worker):
 * - `lockDurationMs` (30 s): each active job has a lock in Redis; the worker renews all its locks in one
 *   batched call every lockDuration/2. A dead worker stops renewing.
 * - `stalledIntervalMs` (30 s): every worker runs the stalled check this often; a job whose lock has
 *   expired goes back to waiting and another worker takes it, resuming from the cluster's actual state
 *   (the processors are idempotent steps). Worst case before a dead worker's job resumes: about
 *   lockDuration + stalledInterval (60 s).
 * - `maxStalledCount` (2): a job that stalls more often than this (it keeps killing its worker) fails
 *   instead of crash-looping through the fleet.
 *
 * Cancellation (see adapters/queue/keys.ts): the worker subscribes to the queue's cancel channel; a
 * message for a job it holds aborts that job's AbortSignal (`worker.cancelJob`). A job that starts after
 * it was cancelled (a cancel that raced with a worker taking it) is failed before its processor runs, and
 * after a reconnection of the subscriber the worker re-reads the cancel records of the jobs it holds, so
 * no cancel is lost to a dropped pub/sub message. A cancelled job fails as `cancelled by USER` without
 * retries; the cluster is left as it is.
 *
 * Shutdown (`close()`, on SIGTERM): stop taking jobs at once (a job fetched in that instant is handed
 * straight back); let running processors finish for `graceMs`; then abort their signals and hand the jobs
 * that stop back to the queue (moved to delayed for "now", no attempt consumed) so another worker resumes
 * them; wait until BullMQ has recorded every outcome; then close BullMQ with force and the Redis
 * connections. After `closeTimeoutMs` close() returns regardless: a processor that ignores its signal
 * keeps its job locked until the lock expires and stalled-job recovery gives it to another worker. With
 * Redis unreachable close() still returns and leaves no timer or reconnecting connection behind.
 */
import { DelayedError, UnrecoverableError, Worker, type Job, type Processor } from 'bullmq';
import { Redis } from 'ioredis';
import type { LbJobData } from '../../domain/lb-jobs.js';
import type { Logger } from '../../logger.js';
import { DEFAULT_BACKOFF, backoffDelay, type BackoffSettings } from './backoff.js';
import { DEFAULT_QUEUE_NAME } from './bullmq-queue.js';
import { BACKOFF_TYPE, DEFAULT_PREFIX, cancelChannel, cancelReason, cancelledKey, parseCancelMessage, parseCancelRecord } from './keys.js';

export interface StalledSettings {
  lockDurationMs: number;
  stalledIntervalMs: number;
  maxStalledCount: number;
}

export const DEFAULT_STALLED: StalledSettings = { lockDurationMs: 30_000, stalledIntervalMs: 30_000, maxStalledCount: 2 };

export interface StartLbWorkerOptions<D = LbJobData> {
  /** Redis, e.g. `{ url: config.redisUrl }`. */
  connection: { url: string };
  queueName?: string;
  prefix?: string;
  /** `(job, token, signal) => Promise<result>`; the signal fires on cancel and at shutdown. */
  processor: Processor<D>;
  /** Jobs processed at once by this worker (parked jobs hold no slot). */
  concurrency?: number;
  logger: Logger;
  backoff?: BackoffSettings;
  stalled?: Partial<StalledSettings>;
  /** How long close() lets running processors finish before aborting them and handing their jobs back. */
  graceMs?: number;
  /** close() returns within this time whatever the processors do. */
  closeTimeoutMs?: number;
  /** Worker name stored on the jobs it processes (`processedBy`). */
  name?: string;
}

export interface LbWorker {
  /** Resolves once the worker is connected and listening for cancels. */
  ready: Promise<void>;
  /** Ids of the jobs this worker is running now. */
  runningJobIds(): string[];
  close(): Promise<void>;
}

interface Running {
  timestamp: number;
  cancelledBy?: string;
}

export function startLbWorker<D = LbJobData>(options: StartLbWorkerOptions<D>): LbWorker {
  const queueName = options.queueName ?? DEFAULT_QUEUE_NAME;
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const stalled: StalledSettings = { ...DEFAULT_STALLED, ...options.stalled };
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const graceMs = options.graceMs ?? 5000;
  const closeTimeoutMs = options.closeTimeoutMs ?? 9000;
  const log = options.logger.child({ component: 'worker', queue: queueName });
  const cancelled = cancelledKey(prefix, queueName);
  const running = new Map<string, Running>();
  // Jobs whose processor has returned while BullMQ records the outcome in Redis (until its
  // 'completed'/'failed' event): close() waits for these too before it drops the connections.
  const settling = new Set<string>();
  const idleWaiters: (() => void)[] = [];
  let closeStarted = false;
  let shuttingDown = false;

  function isIdle(): boolean {
    return running.size === 0 && settling.size === 0;
  }
  function notifyIfIdle(): void {
    if (isIdle()) for (const wake of idleWaiters.splice(0)) wake();
  }
  /** Resolves once no processor runs and no outcome is being recorded. */
  function idle(): Promise<void> {
    return isIdle() ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve));
  }

  async function cancelRecordFor(jobId: string, timestamp: number): Promise<string | undefined> {
    const record = parseCancelRecord(await commands.hget(cancelled, jobId));
    return record && record.jobCreatedAt === timestamp ? record.by : undefined;
  }

  function requestCancel(jobId: string, by: string): void {
    const entry = running.get(jobId);
    if (!entry || entry.cancelledBy !== undefined) return;
    entry.cancelledBy = by;
    log.info({ jobId, by }, 'job cancel requested');
    worker.cancelJob(jobId, cancelReason(by));
  }

  // Three declared parameters: BullMQ passes an AbortSignal only to processors that take one.
  async function processJob(job: Job<D>, token: string | undefined, signal: AbortSignal | undefined): Promise<unknown> {
    const jobId = job.id ?? '';
    if (closeStarted && token !== undefined) {
      // Fetched in the last instant before close() paused the worker: hand it straight back.
      await job.moveToDelayed(Date.now(), token);
      throw new DelayedError('handed back at shutdown');
    }
    const entry: Running = { timestamp: job.timestamp };
    running.set(jobId, entry);
    try {
      const cancelledBy = await cancelRecordFor(jobId, job.timestamp);
      if (cancelledBy !== undefined) throw new UnrecoverableError(cancelReason(cancelledBy));
      const result: unknown = await options.processor(job, token, signal);
      settling.add(jobId);
      return result;
    } catch (err) {
      if (entry.cancelledBy !== undefined) {
        if (err instanceof DelayedError) {
          // It parked itself as it was cancelled: bring it back now, so that it fails as cancelled when it
          // starts (the check above) instead of when its wait is over.
          await job.promote().catch(() => undefined);
          throw err;
        }
        settling.add(jobId);
        throw new UnrecoverableError(cancelReason(entry.cancelledBy));
      }
      if (shuttingDown && signal?.aborted && token !== undefined && !(err instanceof DelayedError)) {
        // Hand the job back: due now, no attempt consumed; another worker (or this one restarted) resumes it.
        await job.moveToDelayed(Date.now(), token);
        log.info({ jobId }, 'job handed back at shutdown');
        throw new DelayedError('handed back at shutdown');
      }
      // A parked job (DelayedError) was moved by the processor itself; anything else BullMQ records as failed.
      if (!(err instanceof DelayedError)) settling.add(jobId);
      throw err;
    } finally {
      running.delete(jobId);
      notifyIfIdle();
    }
  }

  const worker = new Worker<D>(queueName, processJob, {
    connection: { url: options.connection.url, maxRetriesPerRequest: null, disconnectTimeout: 500 },
    prefix,
    concurrency: options.concurrency ?? 10,
    lockDuration: stalled.lockDurationMs,
    stalledInterval: stalled.stalledIntervalMs,
    maxStalledCount: stalled.maxStalledCount,
    settings: {
      backoffStrategy: (attemptsMade: number, type?: string) => (type === BACKOFF_TYPE ? backoffDelay(attemptsMade, backoff) : backoff.baseMs),
    },
    ...(options.name !== undefined ? { name: options.name } : {}),
  });
  let lastErrorLogged = 0;
  worker.on('error', (err: Error) => {
    if (Date.now() - lastErrorLogged > 10_000) {
      lastErrorLogged = Date.now();
      log.warn({ err: err.message }, 'worker: Redis or processing error');
    }
  });
  const settled = (jobId: string | undefined): void => {
    if (jobId !== undefined && settling.delete(jobId)) notifyIfIdle();
  };
  worker.on('completed', (job) => settled(job.id));
  worker.on('failed', (job, err) => {
    if (job) log.info({ jobId: job.id, attemptsMade: job.attemptsMade, err: err.message }, 'job attempt failed');
    settled(job?.id);
  });
  worker.on('stalled', (jobId) => log.warn({ jobId }, 'job stalled (its worker stopped renewing its lock); back to waiting'));

  // Cancel records are read on a connection of our own (BullMQ's are internal); cancel requests from
  // any process arrive by pub/sub on another (a subscribed connection can't run commands).
  const commands = new Redis(options.connection.url, { maxRetriesPerRequest: null, disconnectTimeout: 500 });
  commands.on('error', () => {
    // Reported by the worker's 'error' handler; reconnects by itself.
  });
  const subscriber = new Redis(options.connection.url, { maxRetriesPerRequest: null, disconnectTimeout: 500 });
  subscriber.on('error', () => {
    // The worker's own 'error' handler reports Redis being down; the subscriber reconnects by itself.
  });
  subscriber.on('message', (_channel: string, message: string) => {
    const m = parseCancelMessage(message);
    if (m) requestCancel(m.jobId, m.by);
  });
  subscriber.on('ready', () => {
    // (Re)subscribed: a cancel published while we were disconnected is in the records.
    for (const [jobId, entry] of running) {
      cancelRecordFor(jobId, entry.timestamp)
        .then((by) => by !== undefined && requestCancel(jobId, by))
        .catch(() => undefined);
    }
  });
  const subscribed = subscriber.subscribe(cancelChannel(prefix, queueName)).then(() => undefined);
  const ready = Promise.all([worker.waitUntilReady(), subscribed]).then(() => undefined);
  ready.catch(() => undefined);

  let closing: Promise<void> | undefined;
  return {
    ready,
    runningJobIds: () => [...running.keys()],
    close() {
      // Not BullMQ's graceful close(): it waits for the worker's main loop, which never ends while Redis
      // is unreachable, and keeps its lock-renewal timer and reconnecting connections alive meanwhile.
      // svcbot drains its own processors instead, then closes BullMQ with force (nothing left to wait for).
      closing ??= (async () => {
        const started = Date.now();
        const deadline = started + Math.max(0, closeTimeoutMs - 500);
        const left = () => Math.max(0, deadline - Date.now());
        closeStarted = true;
        // Stop fetching jobs (does not wait for running ones).
        await withDeadline(worker.pause(true).catch(() => undefined), Math.min(250, left()));
        const drained = await withDeadline(idle().then(() => true), Math.min(graceMs, left()));
        if (drained === undefined && running.size > 0) {
          shuttingDown = true;
          log.info({ jobs: [...running.keys()] }, 'shutdown: aborting running jobs to hand them back');
          worker.cancelAllJobs('svcbot worker shutting down');
        }
        const settledAll = await withDeadline(idle().then(() => true), Math.max(0, left() - 300));
        if (settledAll === undefined) {
          log.warn({ jobs: [...running.keys(), ...settling] }, 'shutdown: jobs still running; left to stalled-job recovery');
        }
        await withDeadline(worker.close(true).catch(() => undefined), Math.max(100, left()));
        for (const client of [subscriber, commands]) {
          await withDeadline(client.quit().catch(() => undefined), 250);
          client.disconnect();
        }
        log.info({ ms: Date.now() - started }, 'worker closed');
      })();
      return closing;
    },
  };
}

/** `promise`, or undefined after `ms` (the timer is cleared either way). */
async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

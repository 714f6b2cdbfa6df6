/**
 * The job port's worker on BullMQ: runs a port `JobProcessor` with svcbot's retry policy, cross-process
 * cancellation and a bounded shutdown. The port's errors are mapped here and only here: `JobParked` (the
 * context moved the job to delayed) becomes BullMQ's `DelayedError`, `PermanentJobError` its
 * `UnrecoverableError`; anything else fails the attempt and BullMQ retries it.
 *
 * Retries: jobs carry `attempts` and `backoff: { type: BACKOFF_TYPE }` (set by the queue adapter); this
 * worker's backoff strategy spaces transient failures exponentially with jitter (backoff.ts).
 *
 * Stalled-job recovery (a worker that dies, even by SIGKILL, loses its jobs to another worker):
 * - `lockDurationMs` (10 s): each active job has a lock in Redis; the worker renews all its locks in one
 *   batched call every lockDuration/2. A dead worker stops renewing.
 * - `stalledIntervalMs` (5 s): every worker runs the stalled check this often; the first check that
 *   finds an active job marks it, the next one moves it back to waiting if its lock has expired, and
 *   another worker takes it, resuming from the cluster's actual state (the processors are idempotent
 *   steps). Worst case before a dead worker's job resumes: about lockDuration + 2 × stalledInterval
 *   (20 s; see `stalledSettings` in index.ts, which derives both from JOB_LOCK_TIMEOUT).
 * - `maxStalledCount` (2): a job that stalls more often than this (it keeps killing its worker) fails
 *   instead of crash-looping through the fleet.
 *
 * Stopping a job: each running job has an AbortSignal whose reason is a port `JobStop`. Cancellation (see
 * keys.ts): the worker subscribes to the queue's cancel channel; a message for a job it holds aborts that
 * job's signal (`cancelled`). A job that starts after it was cancelled (a cancel that raced with a worker
 * taking it, or a parked job the cancel woke up) starts with its signal already aborted, so the processor
 * can say so before the job fails as `cancelled by USER` (no retries; the cluster is left as it is). After
 * a reconnection of the subscriber the worker re-reads the cancel records of the jobs it holds, so no
 * cancel is lost to a dropped pub/sub message. A job stopped while it parked is woken at once, to end now.
 *
 * Parked jobs and a worker that dies (ownership.ts): a parked job's wake-ups live in this process, so
 * this worker records in Redis which jobs it parked and keeps a heartbeat (`heartbeatMs`). Nobody
 * rechecks a live worker's parked jobs; when its heartbeat lapses (SIGKILL, a lost host) another worker
 * adopts them within about 1.33 × heartbeatMs and promotes them, so they run now and park again where
 * their wake-ups can be registered.
 *
 * Shutdown (`close()`, on SIGTERM): stop taking jobs at once (a job fetched in that instant is handed
 * straight back); let running processors finish for `graceMs`; then abort their signals (`shutdown`) and
 * hand the jobs that stop back to the queue (moved to delayed for "now", no attempt consumed) so another
 * worker resumes them; hand back the jobs this worker parked too (due now), since what would wake them
 * lives in this process, and resign its ownership (a parked job not handed back in time is adopted by
 * another worker at its next beat); wait until BullMQ has recorded every outcome; then close BullMQ with
 * force and the Redis connections. After `closeTimeoutMs` close() returns regardless: a processor that ignores its
 * signal keeps its job locked until the lock expires and stalled-job recovery gives it to another worker.
 * With Redis unreachable close() still returns and leaves no timer or reconnecting connection behind.
 */
import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../../ports/logger.js';
import { JobParked, PermanentJobError, type JobContext, type JobProcessor, type JobStop, type JobWorker } from '../../ports/jobs.js';
import { DEFAULT_BACKOFF, backoffDelay, type BackoffSettings } from '../../domain/backoff.js';
import { DEFAULT_QUEUE_NAME } from './bullmq-queue.js';
import { BACKOFF_TYPE, DEFAULT_PREFIX, cancelChannel, cancelReason, cancelledKey, parseStopMessage, parseCancelRecord } from './keys.js';
import { bullmqWaker } from './waker.js';
import { bullmqConnection, bullmqQueueName, connectRedis, type RedisConnection, type RedisTarget } from '../redis/connection.js';
import { createParkOwnership, type ParkOwnership } from './ownership.js';
import { withDeadline } from '../../domain/deadline.js';

interface StalledSettings {
  lockDurationMs: number;
  stalledIntervalMs: number;
  maxStalledCount: number;
}

const DEFAULT_STALLED: StalledSettings = { lockDurationMs: 10_000, stalledIntervalMs: 5_000, maxStalledCount: 2 };

export interface StartLbWorkerOptions<D, R> {
  /** Redis, e.g. `{ url: config.redisUrl }` (see redis/connection.ts). */
  connection: RedisTarget;
  queueName?: string;
  prefix?: string;
  processor: JobProcessor<D, R>;
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
  /** Its id in the heartbeat set (default: host:pid:random); a process's queue workers share one. */
  workerId?: string;
  /**
   * A worker whose heartbeat is silent this long is taken for dead and its parked jobs are adopted by
   * another (it beats three times as often). Default 5 s.
   */
  heartbeatMs?: number;
  /** Told of each adoption this worker makes: the lapsed worker's id and the jobs it adopted (tests). */
  onAdopted?: (lapsedWorker: string, jobIds: readonly string[]) => void;
  /**
   * Connections shared with the process's workers of other queues (shard-workers.ts), which close them:
   * one for commands, one subscribed to every queue's cancel channel. By default the worker makes its own.
   */
  shared?: { commands: RedisConnection; subscriber: RedisConnection };
}

export interface LbWorker extends JobWorker {
  /** Ids of the jobs this worker is running now. */
  runningJobIds(): string[];
  /** Ids of the jobs this worker parked and has not run again since (what close() hands back). */
  parkedJobIds(): string[];
  /** This worker's id in the heartbeat set (unique per start). */
  readonly workerId: string;
  /**
   * Stops at once as a worker that dies does: its heartbeat stops, nothing is handed back, its Redis
   * connections are cut (tests of adoption; a running job is left to stalled-job recovery).
   */
  crash(): Promise<void>;
}

interface Running {
  timestamp: number;
  controller: AbortController;
  /** Why the job's signal fired, if it did. */
  stop?: JobStop;
}

/** A worker id unique to this start: `name-or-host:pid:random`. */
export function newWorkerId(name?: string): string {
  return `${name ?? hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/** `park()` of a job already told to end (cancelled, superseded): it stays active and runs again at once. */
class StoppedBeforeParking extends Error {}

/** The port's view of one BullMQ job run. */
function contextFor<D>(job: Job<D>, token: string | undefined, entry: Running, ownership: ParkOwnership): JobContext<D> {
  const attempts = job.opts.attempts ?? 1;
  return {
    id: job.id ?? '',
    data: job.data,
    attemptsMade: job.attemptsMade,
    lastAttempt: job.attemptsMade + 1 >= attempts,
    signal: entry.controller.signal,
    savedState: job.progress,
    saveState: (state) => job.updateProgress(state),
    async park(untilMs) {
      if (entry.stop?.kind === 'cancelled' || entry.stop?.kind === 'superseded') throw new StoppedBeforeParking();
      // Owned first: a worker that dies between the two leaves an active job, which stalled-job recovery takes.
      await ownership.parking(job.id ?? '');
      await job.moveToDelayed(untilMs, token);
      throw new JobParked(untilMs);
    },
  };
}

export function startLbWorker<D, R>(options: StartLbWorkerOptions<D, R>): LbWorker {
  const queueName = bullmqQueueName(options.connection, options.queueName ?? DEFAULT_QUEUE_NAME);
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const stalled: StalledSettings = { ...DEFAULT_STALLED, ...options.stalled };
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const graceMs = options.graceMs ?? 5000;
  const closeTimeoutMs = options.closeTimeoutMs ?? 9000;
  const log = options.logger.child({ component: 'worker', queue: queueName });
  const cancelled = cancelledKey(prefix, queueName);
  const running = new Map<string, Running>();
  /** Jobs this worker parked: their wake-ups live in this process, so close() hands them back. */
  const parked = new Set<string>();
  // Jobs whose processor has returned while BullMQ records the outcome in Redis (until its
  // 'completed'/'failed' event): close() waits for these too before it drops the connections.
  const settling = new Set<string>();
  const idleWaiters: (() => void)[] = [];
  let closeStarted = false;

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

  /** Aborts a running job's signal with `stop` (the first reason wins). */
  function stopJob(jobId: string, stop: JobStop): void {
    const entry = running.get(jobId);
    if (!entry || entry.stop !== undefined) return;
    entry.stop = stop;
    if (stop.kind === 'cancelled') log.info({ jobId, by: stop.by }, 'job cancel requested');
    entry.controller.abort(stop);
  }

  async function processJob(job: Job<D>, token: string | undefined): Promise<R> {
    const jobId = job.id ?? '';
    if (closeStarted && token !== undefined) {
      // Fetched in the last instant before close() paused the worker: hand it straight back.
      await job.moveToDelayed(Date.now(), token);
      throw new DelayedError('handed back at shutdown');
    }
    parked.delete(jobId);
    const entry: Running = { timestamp: job.timestamp, controller: new AbortController() };
    running.set(jobId, entry);
    let parkedNow = false;
    try {
      const cancelledBy = await cancelRecordFor(jobId, job.timestamp);
      // Cancelled before it started: the processor runs with its signal aborted and ends the job.
      if (cancelledBy !== undefined) stopJob(jobId, { kind: 'cancelled', by: cancelledBy });
      const ctx = contextFor(job, token, entry, ownership);
      let result: R;
      try {
        result = await options.processor(ctx);
      } catch (err) {
        // Told to end just as it was about to park: one more run, with the signal aborted from the start,
        // lets it end now (and say so); a processor that parks again instead fails below, as cancelled.
        if (!(err instanceof StoppedBeforeParking)) throw err;
        result = await options.processor(ctx);
      }
      settling.add(jobId);
      return result;
    } catch (err) {
      if (err instanceof JobParked) {
        parkedNow = true;
        // The context moved the job to delayed. Stopped meanwhile: run it again now, so that it ends
        // now (its next run sees the stop) instead of when its wait is over.
        if (entry.stop?.kind === 'cancelled' || entry.stop?.kind === 'superseded') await job.promote().catch(() => undefined);
        else parked.add(jobId);
        throw new DelayedError(err.message);
      }
      if (entry.stop?.kind === 'cancelled') {
        settling.add(jobId);
        throw new UnrecoverableError(cancelReason(entry.stop.by));
      }
      if (err instanceof StoppedBeforeParking) {
        settling.add(jobId);
        throw new UnrecoverableError('stopped (superseded) and would not end');
      }
      if (err instanceof PermanentJobError) {
        settling.add(jobId);
        throw new UnrecoverableError(err.message);
      }
      if (entry.stop?.kind === 'shutdown' && token !== undefined) {
        // Hand the job back: due now, no attempt consumed; another worker (or this one restarted) resumes it.
        await job.moveToDelayed(Date.now(), token);
        log.info({ jobId }, 'job handed back at shutdown');
        throw new DelayedError('handed back at shutdown');
      }
      // Anything else: this attempt failed; BullMQ records it and retries with backoff if attempts are left.
      settling.add(jobId);
      throw err;
    } finally {
      // Not parked (finished, failed, retrying, handed back): no worker owns it any more. (With Redis
      // unreachable, not waited for: BullMQ records the outcome when it is back, and this with it.)
      if (!parkedNow) {
        const ended = ownership.ended(jobId).catch(() => undefined);
        if (commands.status === 'ready') await ended;
      }
      running.delete(jobId);
      notifyIfIdle();
    }
  }

  // BullMQ makes the worker's connections from options on one Redis; a Cluster client it is given (closed at the end).
  const workerConnection = bullmqConnection(options.connection, { disconnectTimeout: 500 });
  const worker = new Worker<D, R>(queueName, processJob, {
    connection: workerConnection.connection,
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
  // any process arrive by pub/sub on another (a subscribed connection can't run commands). Both may be
  // shared with the process's workers of other queues, which then close them.
  const commands = options.shared?.commands ?? connectRedis(options.connection, { maxRetriesPerRequest: null, disconnectTimeout: 500 });
  const onCommandsError = (): void => {
    // Reported by the worker's 'error' handler; reconnects by itself.
  };
  commands.on('error', onCommandsError);
  // Hands parked jobs back at close (promotes them), on the commands connection.
  const handBack = new Queue(queueName, { connection: commands, prefix });
  handBack.on('error', () => {
    // As above.
  });
  const waker = bullmqWaker(handBack);
  const ownership = createParkOwnership({
    redis: commands,
    prefix,
    queueName,
    workerId: options.workerId ?? newWorkerId(options.name),
    heartbeatMs: options.heartbeatMs ?? 5000,
    wake: (jobIds) => wakeAll(jobIds),
    onAdoptedAway: () => parked.clear(),
    ...(options.onAdopted ? { onAdopted: options.onAdopted } : {}),
    logger: log,
  });
  const subscriber = options.shared?.subscriber ?? connectRedis(options.connection, { maxRetriesPerRequest: null, disconnectTimeout: 500 });
  const channel = cancelChannel(prefix, queueName);
  const onSubscriberError = (): void => {
    // The worker's own 'error' handler reports Redis being down; the subscriber reconnects by itself.
  };
  const onStopMessage = (from: string, message: string): void => {
    if (from !== channel) return;
    const m = parseStopMessage(message);
    if (m && 'by' in m) stopJob(m.jobId, { kind: 'cancelled', by: m.by });
    else if (m) stopJob(m.jobId, { kind: 'superseded', by: m.supersededBy });
  };
  const onResubscribed = (): void => {
    // (Re)subscribed: a cancel published while we were disconnected is in the records.
    for (const [jobId, entry] of running) {
      cancelRecordFor(jobId, entry.timestamp)
        .then((by) => by !== undefined && stopJob(jobId, { kind: 'cancelled', by }))
        .catch(() => undefined);
    }
  };
  subscriber.on('error', onSubscriberError);
  subscriber.on('message', onStopMessage);
  subscriber.on('ready', onResubscribed);
  const subscribed = subscriber.subscribe(channel).then(() => undefined);
  /** Lets go of the connections: closes its own, or stops listening on shared ones (their owner closes them). */
  async function releaseConnections(gracefully: boolean): Promise<void> {
    subscriber.off('message', onStopMessage).off('ready', onResubscribed);
    if (options.shared) {
      subscriber.off('error', onSubscriberError);
      commands.off('error', onCommandsError);
      return;
    }
    for (const client of [subscriber, commands]) {
      if (gracefully) await withDeadline(client.quit().catch(() => undefined), 250);
      client.disconnect();
    }
  }
  const ready = Promise.all([worker.waitUntilReady(), subscribed, ownership.start()]).then(() => undefined);
  ready.catch(() => undefined);

  /**
   * Promotes adopted jobs, 500 at a time; resolves the ids of those that no longer exist. A job that is
   * not delayed (running, waiting) needs nothing: whoever runs it parks it again under its own name.
   */
  async function wakeAll(jobIds: readonly string[]): Promise<string[]> {
    const gone: string[] = [];
    for (let i = 0; i < jobIds.length; i += 500) {
      await Promise.all(
        jobIds.slice(i, i + 500).map(async (id) => {
          const job = await handBack.getJob(id);
          if (job === undefined) gone.push(id);
          else await job.promote().catch(() => undefined);
        }),
      );
    }
    return gone;
  }

  /** Promotes the jobs this worker parked (due now), a batch at a time, until `ms` have passed. */
  async function handBackParked(ms: number): Promise<string[]> {
    const deadline = Date.now() + ms;
    const ids = [...parked];
    const handed: string[] = [];
    for (let i = 0; i < ids.length && Date.now() < deadline; i += 200) {
      const batch = ids.slice(i, i + 200);
      const woken = await withDeadline(Promise.all(batch.map((id) => waker.wake(id).catch(() => false))), Math.max(0, deadline - Date.now()));
      if (woken === undefined) break;
      batch.forEach((id, k) => woken[k] && handed.push(id));
    }
    return handed;
  }

  let closing: Promise<void> | undefined;
  return {
    ready,
    runningJobIds: () => [...running.keys()],
    parkedJobIds: () => [...parked],
    workerId: ownership.workerId,
    async crash() {
      closeStarted = true;
      ownership.stop();
      await releaseConnections(false);
      await worker.close(true).catch(() => undefined);
    },
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
          log.info({ jobs: [...running.keys()] }, 'shutdown: aborting running jobs to hand them back');
          for (const jobId of running.keys()) stopJob(jobId, { kind: 'shutdown' });
        }
        const settledAll = await withDeadline(idle().then(() => true), Math.max(0, left() - 1800));
        if (settledAll === undefined) {
          log.warn({ jobs: [...running.keys(), ...settling] }, 'shutdown: jobs still running; left to stalled-job recovery');
        }
        await withDeadline(worker.close(true).catch(() => undefined), Math.max(100, left() - 1500));
        // Only now (this worker can no longer take them itself): what would wake them lives in this process.
        let handed: string[] = [];
        if (parked.size > 0) {
          const count = parked.size;
          handed = await handBackParked(Math.min(1500, Math.max(0, left() - 400)));
          log.info({ parked: count, handedBack: handed.length }, 'shutdown: parked jobs handed back (due now)');
        }
        // The rest (if time ran out) is adopted by another worker at its next beat. Redis unreachable: the
        // heartbeat lapses by itself and another worker adopts them.
        if (commands.status === 'ready') await withDeadline(ownership.resign(handed).catch(() => undefined), Math.min(1000, Math.max(100, left() - 300)));
        else ownership.stop();
        await withDeadline(handBack.close().catch(() => undefined), 250);
        await releaseConnections(true);
        workerConnection.close();
        log.info({ ms: Date.now() - started }, 'worker closed');
      })();
      return closing;
    },
  };
}

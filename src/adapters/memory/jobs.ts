/**
 * The job port in this process's memory: the queue, the worker, the waker, the exactly-once guard and the
 * newest-change records, with no Redis. What `svcbot console` runs on when no Redis can be had (see
 * src/console/jobs-backend.ts); production always uses Redis (src/adapters/queue/), since jobs must
 * survive the process and be shared by several.
 *
 * The same contract as the BullMQ adapter (test/contract/job-backend.contract.ts): one job per id, a
 * second submission of an unfinished one is a duplicate and a finished one is replaced; a processor's
 * `park()` delays the job until a timer or the waker; `PermanentJobError` fails it at once, any other error
 * is retried with the same jittered backoff, up to `attempts`; cancel removes a waiting job, wakes a
 * parked one and signals a running one (`cancelled`), whose processor ends it; `supersede` wakes or
 * signals the Service's other jobs. Everything is forgotten with the process.
 */
import { lbJobId, parseLbJobId, requestIdOf, type LbJobData, type LbOperation } from '../../domain/lb-jobs.js';
import type { LatestChanges } from '../../ports/changes.js';
import {
  JobParked,
  PermanentJobError,
  TransientJobError,
  type JobContext,
  type JobProcessor,
  type JobStop,
  type JobWaker,
  type JobWorker,
  type OnceGuard,
  type OnceOptions,
} from '../../ports/jobs.js';
import type { Logger } from '../../ports/logger.js';
import type { CancelOutcome, LbJobQueue, LbJobState, LbJobSummary } from '../../ports/queue.js';
import { DEFAULT_BACKOFF, backoffDelay, type BackoffSettings } from '../../domain/backoff.js';
import { cancelReason, stepOf } from '../queue/keys.js';
import { createMemoryLatestChanges } from './latest-changes.js';

export interface MemoryJobsOptions {
  logger: Logger;
  /** Jobs run at once (parked ones hold no slot). Default 10. */
  concurrency?: number;
  /** Tries per job for transient errors. Default 8, as with Redis. */
  attempts?: number;
  backoff?: BackoffSettings;
  /** At most this many finished jobs are kept for `/svc jobs`. Default 1000. */
  keepFinished?: number;
  /** How long close() lets running processors finish before aborting them. Default 0. */
  graceMs?: number;
}

export interface MemoryJobs {
  queue: LbJobQueue;
  changes: LatestChanges;
  once: OnceGuard;
  waker: JobWaker;
  /** Starts running jobs with `processor` (once). */
  start<R>(processor: JobProcessor<LbJobData, R>): JobWorker;
  close(): Promise<void>;
}

type State = 'waiting' | 'active' | 'delayed' | 'completed' | 'failed';

interface Job {
  id: string;
  data: LbJobData;
  createdAt: number;
  state: State;
  attemptsMade: number;
  /** What the processor saved (`saveState`). */
  progress: unknown;
  finishedAt?: number;
  failedReason?: string;
  /** Who cancelled it, if anyone did. */
  cancelledBy?: string;
  timer?: NodeJS.Timeout;
  /** While it runs. */
  run?: { controller: AbortController; stop?: JobStop };
}

/** `park()` of a job already told to end: it runs again at once, with the stop in its signal. */
class StoppedBeforeParking extends Error {}

const OPERATIONS: readonly LbOperation[] = ['provision', 'retype', 'delete'];

export function createMemoryJobs(options: MemoryJobsOptions): MemoryJobs {
  const log = options.logger.child({ component: 'memory-jobs' });
  const concurrency = options.concurrency ?? 10;
  const attempts = options.attempts ?? 8;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const keepFinished = options.keepFinished ?? 1000;
  const jobs = new Map<string, Job>();
  /** Ids of waiting jobs, oldest first. */
  const waiting: string[] = [];
  const runs = new Set<Promise<void>>();
  let processor: JobProcessor<LbJobData, unknown> | undefined;
  let closed = false;

  const isFinished = (job: Job) => job.state === 'completed' || job.state === 'failed';

  function clearTimer(job: Job): void {
    if (job.timer) clearTimeout(job.timer);
    job.timer = undefined;
  }

  function makeWaiting(job: Job): void {
    clearTimer(job);
    job.state = 'waiting';
    waiting.push(job.id);
    queueMicrotask(pump);
  }

  function delay(job: Job, untilMs: number): void {
    clearTimer(job);
    job.state = 'delayed';
    job.timer = setTimeout(() => {
      job.timer = undefined;
      if (job.state === 'delayed') makeWaiting(job);
    }, Math.max(0, untilMs - Date.now()));
    job.timer.unref();
  }

  function finish(job: Job, state: 'completed' | 'failed', reason?: string): void {
    clearTimer(job);
    job.state = state;
    job.finishedAt = Date.now();
    if (reason !== undefined) job.failedReason = reason;
    const finished = [...jobs.values()].filter(isFinished).sort((a, b) => (a.finishedAt ?? 0) - (b.finishedAt ?? 0));
    for (const old of finished.slice(0, Math.max(0, finished.length - keepFinished))) jobs.delete(old.id);
  }

  function stop(job: Job, reason: JobStop): void {
    if (!job.run || job.run.stop) return;
    job.run.stop = reason;
    job.run.controller.abort(reason);
  }

  function context(job: Job): JobContext<LbJobData> {
    const run = job.run as NonNullable<Job['run']>;
    return {
      id: job.id,
      data: job.data,
      attemptsMade: job.attemptsMade,
      lastAttempt: job.attemptsMade + 1 >= attempts,
      signal: run.controller.signal,
      savedState: job.progress,
      saveState: (state) => {
        job.progress = structuredClone(state);
        return Promise.resolve();
      },
      park(untilMs) {
        if (run.stop?.kind === 'cancelled' || run.stop?.kind === 'superseded') return Promise.reject(new StoppedBeforeParking());
        delay(job, untilMs);
        return Promise.reject(new JobParked(untilMs));
      },
    };
  }

  async function runJob(job: Job, process: JobProcessor<LbJobData, unknown>): Promise<void> {
    job.state = 'active';
    job.run = { controller: new AbortController() };
    if (job.cancelledBy !== undefined) stop(job, { kind: 'cancelled', by: job.cancelledBy });
    const ctx = context(job);
    try {
      try {
        await process(ctx);
      } catch (err) {
        if (!(err instanceof StoppedBeforeParking)) throw err;
        await process(ctx);
      }
      job.attemptsMade += 1; // an attempt that ended (as BullMQ counts them), not one that parked
      finish(job, 'completed');
    } catch (err) {
      const stopped = job.run.stop;
      if (!(err instanceof JobParked) && stopped?.kind !== 'shutdown') job.attemptsMade += 1;
      if (err instanceof JobParked) {
        // Stopped as it parked: run it again now, so that it ends now.
        if (stopped?.kind === 'cancelled' || stopped?.kind === 'superseded') makeWaiting(job);
      } else if (stopped?.kind === 'cancelled') {
        finish(job, 'failed', cancelReason(stopped.by));
      } else if (err instanceof PermanentJobError || err instanceof StoppedBeforeParking) {
        finish(job, 'failed', err.message);
      } else if (stopped?.kind === 'shutdown') {
        job.state = 'waiting'; // this process is closing; nothing will run it again
      } else {
        const message = err instanceof Error ? err.message : String(err);
        if (job.attemptsMade >= attempts) finish(job, 'failed', message);
        else {
          log.debug({ jobId: job.id, attemptsMade: job.attemptsMade, err: message }, 'job attempt failed; retrying');
          delay(job, Date.now() + backoffDelay(job.attemptsMade, backoff));
        }
      }
    } finally {
      job.run = undefined;
    }
  }

  function pump(): void {
    if (closed || !processor) return;
    const process = processor;
    while (runs.size < concurrency) {
      const id = waiting.shift();
      if (id === undefined) return;
      const job = jobs.get(id);
      if (job?.state !== 'waiting') continue;
      const p: Promise<void> = runJob(job, process)
        .catch((err: unknown) => log.error({ err, jobId: id }, 'job run failed unexpectedly'))
        .finally(() => {
          runs.delete(p);
          pump();
        });
      runs.add(p);
    }
  }

  function summarize(job: Job): LbJobSummary | undefined {
    const ref = parseLbJobId(job.id);
    if (!ref) return undefined;
    let state: LbJobState = job.state;
    if (state === 'failed' && job.cancelledBy !== undefined) state = 'cancelled';
    const summary: LbJobSummary = { id: job.id, ...ref, state, createdAt: new Date(job.createdAt), requesterId: job.data.requester.userId, attemptsMade: job.attemptsMade };
    const step = stepOf(job.progress);
    if (step !== undefined) summary.step = step;
    if (job.finishedAt !== undefined) summary.finishedAt = new Date(job.finishedAt);
    if (state === 'cancelled') summary.failedReason = cancelReason(job.cancelledBy ?? '');
    else if (state === 'failed' && job.failedReason !== undefined) summary.failedReason = job.failedReason;
    if (job.state === 'active' && job.cancelledBy !== undefined) summary.cancelRequested = true;
    return summary;
  }

  /** Makes a parked job run now; false while it runs (it is about to park: try again shortly). */
  function wake(id: string): boolean {
    const job = jobs.get(id);
    if (!job) return true;
    if (job.state === 'active') return false;
    if (job.state === 'delayed') makeWaiting(job);
    return true;
  }

  const queue: LbJobQueue = {
    enqueue(data) {
      const jobId = lbJobId(data.operation, data.cluster, data.namespace, data.name);
      const existing = jobs.get(jobId);
      if (existing && !isFinished(existing)) return Promise.resolve({ jobId, duplicate: true });
      if (existing) clearTimer(existing);
      const job: Job = { id: jobId, data: { ...data, requestId: requestIdOf(data) }, createdAt: Date.now(), state: 'waiting', attemptsMade: 0, progress: undefined };
      jobs.set(jobId, job);
      makeWaiting(job);
      return Promise.resolve({ jobId, duplicate: false });
    },
    list(cluster) {
      const summaries = [...jobs.values()].flatMap((job) => (job.data.cluster === cluster ? [summarize(job)].filter((s) => s !== undefined) : []));
      const when = (s: LbJobSummary) => (s.finishedAt ?? s.createdAt).getTime();
      return Promise.resolve(summaries.sort((a, b) => when(b) - when(a)));
    },
    get(jobId) {
      const job = jobs.get(jobId);
      return Promise.resolve(job ? summarize(job) : undefined);
    },
    cancel(jobId, by): Promise<CancelOutcome> {
      const job = jobs.get(jobId);
      if (!job || !parseLbJobId(jobId)) return Promise.resolve('not_found');
      if (isFinished(job)) return Promise.resolve('finished');
      job.cancelledBy = by;
      if (job.state === 'waiting') {
        const at = waiting.indexOf(jobId);
        if (at >= 0) waiting.splice(at, 1);
        finish(job, 'failed', cancelReason(by));
      } else if (job.state === 'delayed') {
        makeWaiting(job); // its processor ends it (and says so) when it runs, now
      } else {
        stop(job, { kind: 'cancelled', by });
      }
      return Promise.resolve('cancelled');
    },
    counts() {
      const counts = { waiting: 0, active: 0, parked: 0 };
      for (const job of jobs.values()) {
        if (job.state === 'delayed') counts.parked += 1;
        else if (job.state === 'waiting' || job.state === 'active') counts[job.state] += 1;
      }
      return Promise.resolve(counts);
    },
    supersede(ref, by) {
      for (const operation of OPERATIONS) {
        const job = jobs.get(lbJobId(operation, ref.cluster, ref.namespace, ref.name));
        if (!job || job.id === by.jobId) continue;
        if (job.state === 'delayed') makeWaiting(job);
        else if (job.state === 'active') stop(job, { kind: 'superseded', by });
      }
      return Promise.resolve();
    },
  };

  // `retry`: an effect with a `recover` failed (it may have taken place): the next attempt looks first.
  const done = new Map<string, { result: unknown } | 'pending' | 'retry'>();
  const once: OnceGuard = {
    async run<T>(key: string, effect: () => Promise<T>, options: OnceOptions<T> = {}): Promise<T> {
      const entry = done.get(key);
      if (entry === 'pending') throw new TransientJobError(`another attempt is doing "${key}" right now`);
      if (entry !== undefined && entry !== 'retry') return entry.result as T;
      done.set(key, 'pending');
      try {
        const found = entry === 'retry' && options.recover ? await options.recover() : undefined;
        const result = found !== undefined ? found : await effect();
        done.set(key, { result });
        return result;
      } catch (err) {
        if (options.recover) done.set(key, 'retry');
        else done.delete(key);
        throw err;
      }
    },
  };

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    for (const job of jobs.values()) clearTimer(job);
    if (runs.size > 0 && (options.graceMs ?? 0) > 0) {
      await Promise.race([Promise.allSettled([...runs]), new Promise((resolve) => setTimeout(resolve, options.graceMs).unref())]);
    }
    for (const job of jobs.values()) if (job.run) stop(job, { kind: 'shutdown' });
    // Processors see their signal at their next step; what they still do is forgotten with the process.
    await Promise.race([Promise.allSettled([...runs]), new Promise((resolve) => setTimeout(resolve, 200).unref())]);
  }

  return {
    queue,
    changes: createMemoryLatestChanges(),
    once,
    waker: { wake: (id) => Promise.resolve(wake(id)) },
    start(p) {
      if (processor) throw new Error('the job worker is already started');
      processor = p;
      queueMicrotask(pump);
      return { ready: Promise.resolve(), close };
    },
    close,
  };
}

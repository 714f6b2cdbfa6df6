/**
 * What a load-balancer processor needs from the job it runs, kept apart from BullMQ: its id and data,
 * the state remembered between attempts, and `park` (wait without holding a worker slot). `bullmqJobContext`
 * builds one from a BullMQ job; tests and other runtimes can build their own.
 */
import type { LbJobData } from '../src/domain/lb-jobs.js';
import { emptyState, type LbJobState } from '../src/domain/progress.js';
import { DelayedError } from './errors.js';

/** The part of a BullMQ Job the processors use (structural, so jobs/ need not import BullMQ). */
export interface QueueJob {
  id?: string | undefined;
  data: LbJobData;
  attemptsMade: number;
  opts: { attempts?: number | undefined };
  progress: unknown;
  updateProgress(progress: object): Promise<void>;
  moveToDelayed(timestamp: number, token?: string): Promise<void>;
}

export interface JobContext {
  id: string;
  data: LbJobData;
  /** Attempts that failed before this one. */
  attemptsMade: number;
  /** True when a transient failure now would not be retried. */
  lastAttempt: boolean;
  /** Aborted when the job is cancelled. */
  signal?: AbortSignal;
  /** The state saved by earlier attempts (empty the first time). */
  state: LbJobState;
  saveState(state: LbJobState): Promise<void>;
  /**
   * Hands the job back to the queue until `untilMs` (or until something wakes it earlier) and ends this
   * run: it never returns normally (with BullMQ it throws DelayedError, which the Worker understands).
   */
  park(untilMs: number): Promise<never>;
}

function isState(value: unknown): value is LbJobState {
  return typeof value === 'object' && value !== null && typeof (value as { doneAt?: unknown }).doneAt === 'object';
}

/** A JobContext over a BullMQ job; the state lives in the job's `progress`, which `/svc jobs` can show. */
export function bullmqJobContext(job: QueueJob, token?: string, signal?: AbortSignal): JobContext {
  const attempts = job.opts.attempts ?? 1;
  return {
    id: job.id ?? '',
    data: job.data,
    attemptsMade: job.attemptsMade,
    lastAttempt: job.attemptsMade + 1 >= attempts,
    ...(signal ? { signal } : {}),
    state: isState(job.progress) ? job.progress : emptyState(),
    saveState: (state) => job.updateProgress(state),
    async park(untilMs) {
      await job.moveToDelayed(untilMs, token);
      throw new DelayedError(`parked until ${new Date(untilMs).toISOString()}`);
    },
  };
}

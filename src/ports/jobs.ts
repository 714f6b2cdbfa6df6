/**
 * The job port: what a job processor sees of the queue that runs it, with no queue library in sight.
 * A processor is `(ctx) => Promise<result>`; it reads its data and saved state from `ctx`, waits without
 * holding a worker slot with `ctx.park()`, and ends in one of three ways:
 *
 * - it returns a result: the job is complete;
 * - it throws `PermanentJobError`: the job fails at once, without retries;
 * - it throws anything else: the job fails this attempt and is retried with backoff (if attempts are left).
 *
 * The queue adapter (src/adapters/queue/) maps these to its library (for BullMQ: `DelayedError`,
 * `UnrecoverableError`); jobs never import the library's classes, and the adapter never guesses a
 * class by its name.
 */
import type { ChangeRecord } from '../domain/changes.js';

/** Why a job's signal fired. */
export type JobStop =
  /** `/svc cancel`: end the job now; the cluster is left as it is. */
  | { kind: 'cancelled'; by: string }
  /** A newer change of the same Service was asked for: end quietly, that change reports. */
  | { kind: 'superseded'; by: ChangeRecord }
  /** The worker is shutting down: stop at the next step and let the job be handed back (not ended). */
  | { kind: 'shutdown' };

/** The reason a job's signal carries, or undefined when it has not fired (or fired for another reason). */
export function jobStop(signal: AbortSignal | undefined): JobStop | undefined {
  if (!signal?.aborted) return undefined;
  const reason: unknown = signal.reason;
  if (typeof reason !== 'object' || reason === null) return { kind: 'shutdown' };
  const kind = (reason as { kind?: unknown }).kind;
  return kind === 'cancelled' || kind === 'superseded' || kind === 'shutdown' ? (reason as JobStop) : { kind: 'shutdown' };
}

export interface JobContext<D> {
  /** The queue's id of this job (unique per submission). */
  readonly id: string;
  readonly data: D;
  /** Attempts that failed before this one. */
  readonly attemptsMade: number;
  /** True when a transient failure now would not be retried. */
  readonly lastAttempt: boolean;
  /** Fires on cancel, when superseded, and when the worker shuts down; `jobStop(signal)` tells which. */
  readonly signal: AbortSignal;
  /** What the last `saveState` stored (undefined the first time); the processor validates it. */
  readonly savedState: unknown;
  /** Stores the job's state for later attempts and runs (and for `/svc jobs`). */
  saveState(state: object): Promise<void>;
  /**
   * Hands the job back to the queue until `untilMs` (or until a `JobWaker` wakes it earlier) and ends this
   * run: it never returns normally (it throws `JobParked`, which the processor must let through).
   */
  park(untilMs: number): Promise<never>;
}

export type JobProcessor<D, R> = (ctx: JobContext<D>) => Promise<R>;

/** Thrown by `JobContext.park`: not a failure; the adapter turns it into its queue's "delayed". */
export class JobParked extends Error {
  constructor(readonly untilMs: number) {
    super(`parked until ${new Date(untilMs).toISOString()}`);
    this.name = new.target.name;
  }
}

/** "Do not retry": the job fails at once with this message. */
export class PermanentJobError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** "Retry later": a failure worth another attempt (the queue spaces attempts with backoff). */
export class TransientJobError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Makes a parked job run now. */
export interface JobWaker {
  /**
   * Resolves false when the job is still running (it is about to park: try again shortly), true otherwise
   * (woken, already waiting, or gone).
   */
  wake(jobId: string): Promise<boolean>;
}

/**
 * Exactly-once side effects for jobs that may run more than once (retries, takeover after a crash):
 * `run(key, effect)` does `effect` unless it already ran for `key`, and returns its (stored) result.
 * While another attempt holds the key it throws `TransientJobError`.
 */
export interface OnceGuard {
  run<T>(key: string, effect: () => Promise<T>, options?: OnceOptions<T>): Promise<T>;
}

export interface OnceOptions<T> {
  /**
   * Looks for the effect of an earlier attempt that may have happened without being recorded (the attempt
   * died, or failed not knowing whether it took effect: a post that timed out): asked before the effect
   * whenever the key was claimed before and not recorded as done. Its result (e.g. the message found in
   * Slack) is recorded as the effect's; undefined: not found, the effect runs.
   */
  recover?: () => Promise<T | undefined>;
}

/** A running worker: takes jobs from the queue and runs them with a processor. */
export interface JobWorker {
  /** Resolves once the worker is connected and listening. */
  readonly ready: Promise<void>;
  /**
   * Stops taking jobs, lets running ones finish for a grace period, hands the rest back to the queue
   * (due at once: another worker resumes them), and closes its connections.
   */
  close(): Promise<void>;
}

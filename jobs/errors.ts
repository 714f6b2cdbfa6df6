/**
 * Transient or permanent: the adapters mark the errors they translate (`BotError.transient`); jobs read
 * that mark. Transient failures are rethrown so the queue retries them with backoff; permanent ones end
 * the job at once.
 */
import { BotError } from '../src/domain/errors.js';

/**
 * "Do not retry": BullMQ's Worker fails a job at once on an error named `UnrecoverableError` (it checks
 * the name as well as the class), so jobs/ need not import BullMQ.
 */
export class UnrecoverableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnrecoverableError';
  }
}

/** "Parked, not failed": BullMQ's Worker leaves a job alone on an error named `DelayedError` (after moveToDelayed). */
export class DelayedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DelayedError';
  }
}

/** An error that is worth retrying later. */
export class TransientJobError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export function isTransientJobError(err: unknown): boolean {
  if (err instanceof TransientJobError) return true;
  if (err instanceof Error && err.name === 'UnrecoverableError') return false;
  if (err instanceof BotError) return err.transient;
  // Anything else is unexpected (no adapter translated it): a bug fails at once; the rest (a Redis
  // connection lost while saving the job's state, say) is retried, bounded by the job's attempts.
  return !(err instanceof TypeError || err instanceof RangeError || err instanceof SyntaxError);
}

/** The words to show a user for a failure. */
export function failureReason(err: unknown): string {
  if (err instanceof BotError) return err.userMessage;
  if (err instanceof Error) return err.message;
  return String(err);
}

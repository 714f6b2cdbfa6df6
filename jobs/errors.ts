/**
 * Transient or permanent: the adapters mark the errors they translate (`BotError.transient`); jobs read
 * that mark. Transient failures are rethrown so the queue retries them with backoff; permanent ones end
 * the job at once (`PermanentJobError`, from the job port).
 */
import { BotError } from '../src/domain/errors.js';
import { PermanentJobError, TransientJobError } from '../src/ports/jobs.js';

export function isTransientJobError(err: unknown): boolean {
  if (err instanceof TransientJobError) return true;
  if (err instanceof PermanentJobError) return false;
  if (err instanceof BotError) return err.transient;
  // Anything else is unexpected (no adapter translated it): a bug fails at once; the rest (a Redis
  // connection lost while saving the job's state, say) is retried, bounded by the job's attempts.
  return !(err instanceof TypeError || err instanceof RangeError || err instanceof SyntaxError);
}

/** AWS refused for rate: the job waits and runs again, without spending an attempt (see lb-job.ts). */
export function isThrottled(err: unknown): boolean {
  return err instanceof BotError && err.throttled;
}

/**
 * How long a throttled job waits before it runs again: 2 s, doubling with each throttled run in a row,
 * at most 60 s, the second half of it at random (so that the jobs AWS throttled together do not come back
 * together).
 */
export function throttledWaitMs(runs: number, random: () => number = Math.random): number {
  const nominal = Math.min(60_000, 2000 * 2 ** Math.min(Math.max(0, runs - 1), 10));
  return Math.round(nominal / 2 + (random() * nominal) / 2);
}

/** The words to show a user for a failure. */
export function failureReason(err: unknown): string {
  if (err instanceof BotError) return err.userMessage;
  if (err instanceof Error) return err.message;
  return String(err);
}

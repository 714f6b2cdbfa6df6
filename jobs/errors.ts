/**
 * Transient or permanent: the adapters mark the errors they translate (`BotError.transient`); jobs read
 * that mark. Transient failures are rethrown so the queue retries them with backoff; permanent ones end
 * the job at once (`PermanentJobError`, from the job port).
 */
import { backoffDelay, type BackoffSettings } from '../src/domain/backoff.js';
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

/** How long a throttled job waits before it runs again: 1–2 s, doubling with each throttled run in a row, at most 30–60 s. */
const THROTTLED_BACKOFF: BackoffSettings = { baseMs: 2000, maxMs: 60_000 };

export function throttledWaitMs(runs: number, random: () => number = Math.random): number {
  return backoffDelay(runs, THROTTLED_BACKOFF, random);
}

/** The words to show a user for a failure. */
export function failureReason(err: unknown): string {
  if (err instanceof BotError) return err.userMessage;
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * Retry delays for transient errors: exponential with "equal jitter" — half of the exponential delay
 * is kept, the other half is random — so that the jobs that hit the same throttling or outage do not
 * all come back at the same moment, while each still waits at least half the nominal delay.
 *
 * attempt 1: 0.5–1 × base, attempt 2: 1–2 × base, attempt n: 2^(n-2)..2^(n-1) × base, capped at `maxMs`.
 */
export interface BackoffSettings {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffSettings = { baseMs: 1000, maxMs: 60_000 };

/** The delay before retry number `attemptsMade` (1 after the first failure). `random` returns [0, 1). */
export function backoffDelay(attemptsMade: number, settings: BackoffSettings = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(attemptsMade));
  const nominal = Math.min(settings.maxMs, settings.baseMs * 2 ** Math.min(n - 1, 30));
  const half = nominal / 2;
  return Math.round(half + random() * half);
}

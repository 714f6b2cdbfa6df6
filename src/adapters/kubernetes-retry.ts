/**
 * Retrying one Kubernetes API call that failed with a transient error: a 5xx, 429 Too Many Requests
 * (waiting at least its `Retry-After`), 408, a connection reset or refused, a timeout. Jittered
 * exponential backoff, bounded by a deadline: the call's own (`callDeadlineMs`) and, when a caller
 * has one, the caller's (a command's budget); no retry starts that could not finish its wait in time.
 *
 * Only calls that are safe to repeat are given to it. Reads always are. A write is repeated only
 * together with what its repeat means: an earlier attempt that failed in transit may have been applied,
 * so the repeat can meet its own effect — a create answers 409 AlreadyExists, a delete 404, a
 * conditional patch 409 Conflict. `settleRepeat` decides what such an error means (read the object
 * and compare); it is asked only after a retried attempt, so a first answer is never second-guessed.
 */
import { ApiException } from '@kubernetes/client-node';
import { networkCode } from './kubernetes-errors.js';
import { backoffDelay } from '../domain/backoff.js';

export interface RetrySettings {
  /** A call is not retried once this long has passed since it started (ms); 0 = never retried. */
  readonly callDeadlineMs: number;
  /** The first retry waits 0.5–1 × this (ms); each one after twice as long… */
  readonly baseDelayMs: number;
  /** …up to this (ms). */
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetrySettings = Object.freeze({ callDeadlineMs: 10_000, baseDelayMs: 100, maxDelayMs: 2_000 });

/** Time as the retries see it (a fake one in tests). */
export interface RetryClock {
  now(): number;
  /** Resolves after `ms`, or at once when `signal` is aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** In [0, 1): the jitter. */
  random(): number;
}

export const systemClock: RetryClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    }),
  random: () => Math.random(),
};

/** What a transient failure was, as a user reads it (`HTTP 500`, `ECONNRESET`), and how long it asked us to wait. */
export interface TransientFailure {
  readonly problem: string;
  readonly retryAfterMs?: number;
}

/** `Retry-After` in ms: delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function retryAfterMs(headers: Readonly<Record<string, string>> | undefined, now: number): number | undefined {
  const entry = Object.entries(headers ?? {}).find(([k]) => k.toLowerCase() === 'retry-after');
  const value = entry?.[1]?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The failure, if trying the same request again later can help; undefined for the rest (4xx but 408/429, bugs). */
export function transientFailure(err: unknown, now: number): TransientFailure | undefined {
  if (err instanceof ApiException) {
    const code = err.code;
    if (code < 500 && code !== 429 && code !== 408) return undefined;
    const wait = code === 429 || code === 503 ? retryAfterMs(err.headers, now) : undefined;
    return { problem: `HTTP ${code}`, ...(wait === undefined ? {} : { retryAfterMs: wait }) };
  }
  const net = networkCode(err);
  return net === undefined ? undefined : { problem: net };
}

export interface RetryOptions<T> {
  settings: RetrySettings;
  clock?: RetryClock;
  /** The caller's own deadline (epoch ms), if sooner than the call's. */
  deadline?: number;
  /** Once aborted, no retry starts and a wait ends (then the last error is thrown). */
  signal?: AbortSignal;
  /** Told before each retry's wait: what failed, the number of the retry coming (1, 2, …) and the wait (ms). */
  onRetry?: (failure: TransientFailure, retry: number, waitMs: number) => void;
  /**
   * Asked when an attempt after a transient failure fails with a permanent error: that error may be the
   * first attempt's own effect. Resolve `{ value }` when it is (the call succeeded), undefined when it is
   * a real error (then it is thrown).
   */
  settleRepeat?: (err: unknown) => Promise<{ value: T } | undefined>;
}

/** Runs `attempt` until it succeeds, fails permanently, or the deadline leaves no room for another try. */
export async function retryTransient<T>(attempt: () => Promise<T>, options: RetryOptions<T>): Promise<T> {
  const { settings, clock = systemClock, onRetry, settleRepeat, signal } = options;
  const deadline = Math.min(clock.now() + settings.callDeadlineMs, options.deadline ?? Infinity);
  for (let retry = 0; ; retry++) {
    try {
      return await attempt();
    } catch (err) {
      let failure = transientFailure(err, clock.now());
      let last = err;
      if (!failure) {
        if (retry === 0 || !settleRepeat) throw err;
        try {
          const settled = await settleRepeat(err);
          if (settled) return settled.value;
        } catch (settleErr) {
          // The read that would decide failed: in transit, try again; otherwise that is the answer.
          failure = transientFailure(settleErr, clock.now());
          if (!failure) throw settleErr;
          last = settleErr;
        }
        if (!failure) throw err;
      }
      const backoff = backoffDelay(retry + 1, { baseMs: settings.baseDelayMs, maxMs: settings.maxDelayMs }, () => clock.random());
      const delay = Math.max(backoff, failure.retryAfterMs ?? 0);
      if (clock.now() + delay > deadline || signal?.aborted) throw last;
      onRetry?.(failure, retry + 1, delay);
      await clock.sleep(delay, signal);
      if (signal?.aborted) throw last;
    }
  }
}

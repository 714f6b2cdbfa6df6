/**
 * The orphan scan's pace: at most `ratePerSecond` ELB calls a second per region, their starts evenly
 * spaced (never a burst), one pacer for both APIs of a region — AWS throttles the ELB API per account
 * and region, classic and v2 alike. Paced under the limit, the scan is not throttled in the first place;
 * left to themselves, the two AWS SDK clients' adaptive retry each slow down on `Throttling` and recover
 * slowly, and a scan sharing one window between them got ~70 calls/s through a limit of 100.
 *
 * A call that still fails `Throttling` (the SDK's retries gave up: something else is spending the
 * account's budget) halves the rate, down to a hundredth of it (at least 0.2/s); each call that succeeds
 * wins back a twentieth, up to `ratePerSecond` — AIMD, as jobs/prober.ts does. The pacer of a region outlives
 * a scan, so the next scan starts at the rate the last one ended with.
 */
import { setTimeout as sleepFor } from 'node:timers/promises';
import { isThrottledAwsError } from './aws-errors.js';

export interface PacerOptions {
  ratePerSecond: number;
  /** Clock in ms (tests). */
  now?: () => number;
  /** Waits `ms`, or rejects when `signal` aborts (tests). */
  sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
}

export interface Pacer {
  /** Runs `call` at its turn: the calls of all callers start one every 1,000 / rate ms, in the order they asked. */
  run<T>(call: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Calls a second it lets start now (below `ratePerSecond` after throttling). */
  readonly rate: number;
}

const defaultSleep = (ms: number, signal: AbortSignal | undefined): Promise<void> => sleepFor(ms, undefined, signal ? { signal } : {});

export function createPacer(options: PacerOptions): Pacer {
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? defaultSleep;
  const maxRate = options.ratePerSecond;
  const minRate = Math.min(maxRate, Math.max(0.2, maxRate / 100));
  let rate = maxRate;
  /** When the last call given a turn starts (or started). */
  let last = Number.NEGATIVE_INFINITY;

  return {
    get rate() {
      return rate;
    },
    async run(call, signal) {
      signal?.throwIfAborted();
      // The turn is taken at once, so that callers are served in order and the spacing holds between them.
      const at = Math.max(now(), last + 1000 / rate);
      last = at;
      const wait = at - now();
      if (wait > 0) await sleep(wait, signal);
      try {
        const answer = await call();
        rate = Math.min(maxRate, rate + maxRate / 20);
        return answer;
      } catch (err) {
        if (isThrottledAwsError(err)) rate = Math.max(minRate, rate / 2);
        throw err;
      }
    },
  };
}

/** One pacer per region, made on first use: what both inventories of svcbot share. */
export function regionPacers(ratePerSecond: number): (region: string) => Pacer {
  const pacers = new Map<string, Pacer>();
  return (region) => {
    const pacer = pacers.get(region) ?? createPacer({ ratePerSecond });
    pacers.set(region, pacer);
    return pacer;
  };
}

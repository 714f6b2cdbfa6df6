/**
 * A shared, rate-limited prober: jobs waiting for something only polling can tell (a hostname resolving,
 * instances coming InService, an ELB disappearing) register a check here and park; the prober runs the
 * checks round-robin at a bounded rate and wakes a job as soon as its check passes.
 *
 * One loop (one timer) per prober whatever the number of waiting jobs; at most `ratePerSecond` checks a
 * second and `concurrency` at once. Fair: every registered check runs once before any runs twice, so with
 * N checks waiting each runs about every N / ratePerSecond seconds — that bound is the trade-off between
 * the load put on DNS (or the ELB API) and how soon after the condition holds the job hears of it.
 * Registration is per job id: re-registering replaces the job's check, so a job parked many times holds
 * one entry. Entries are in-memory: after a crash the job's park timeout wakes it and it registers again.
 */
import type { Logger } from '../src/logger.js';

export interface ProberOptions {
  name: string;
  ratePerSecond: number;
  concurrency?: number;
  /** Called with a job id whose check passed. */
  wake: (jobId: string) => void;
  logger?: Logger;
}

export interface Prober {
  /**
   * Runs `check` until it resolves true, then wakes `jobId`. Replaces the job's earlier check. With `ttlMs`
   * the check is dropped after that long (a parked job re-registers when its park timeout wakes it, so
   * checks of jobs removed from the queue, e.g. cancelled, do not run forever).
   */
  register(jobId: string, check: () => Promise<boolean>, ttlMs?: number): void;
  forget(jobId: string): void;
  readonly size: number;
  /** Checks run so far. */
  readonly probes: number;
  close(): Promise<void>;
}

export function createProber(opts: ProberOptions): Prober {
  const concurrency = opts.concurrency ?? Math.max(1, Math.ceil(opts.ratePerSecond / 5));
  /** Insertion order is the round-robin order: a checked entry goes to the back. */
  const checks = new Map<string, () => Promise<boolean>>();
  const expiries = new Map<string, number>();
  const running = new Set<string>();
  /** Job ids registered since the last tick, probed before the round-robin. */
  let fresh: string[] = [];
  const inFlight = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let probes = 0;
  let tokens = 0;
  let lastRefill = Date.now();
  const tickMs = Math.max(5, Math.min(100, Math.floor(1000 / opts.ratePerSecond)));

  function runOne(jobId: string, check: () => Promise<boolean>): void {
    running.add(jobId);
    probes += 1;
    const p = check()
      .then(
        (ok) => {
          if (ok && checks.get(jobId) === check) {
            checks.delete(jobId);
            expiries.delete(jobId);
            opts.wake(jobId);
          }
        },
        (err: unknown) => opts.logger?.debug({ err, jobId, prober: opts.name }, 'probe failed; will retry'),
      )
      .finally(() => {
        running.delete(jobId);
        inFlight.delete(p);
      });
    inFlight.add(p);
  }

  function tick(): void {
    const t = Date.now();
    tokens = Math.min(opts.ratePerSecond, tokens + ((t - lastRefill) / 1000) * opts.ratePerSecond);
    lastRefill = t;
    // Newly registered checks first, so a job that has just parked hears at once of a condition already true.
    while (fresh.length > 0 && tokens >= 1 && running.size < concurrency) {
      const jobId = fresh.shift() ?? '';
      const check = checks.get(jobId);
      if (!check || running.has(jobId)) continue;
      tokens -= 1;
      checks.delete(jobId);
      checks.set(jobId, check);
      runOne(jobId, check);
    }
    for (const [jobId, check] of checks) {
      if (tokens < 1 || running.size >= concurrency) break;
      if (running.has(jobId)) continue;
      if ((expiries.get(jobId) ?? Infinity) < t) {
        checks.delete(jobId);
        expiries.delete(jobId);
        continue;
      }
      tokens -= 1;
      checks.delete(jobId);
      checks.set(jobId, check); // to the back of the line
      runOne(jobId, check);
    }
    if (checks.size === 0 && running.size === 0) {
      clearInterval(timer);
      timer = undefined;
    }
  }

  return {
    register(jobId, check, ttlMs) {
      if (closed) return;
      checks.delete(jobId);
      checks.set(jobId, check);
      if (ttlMs === undefined) expiries.delete(jobId);
      else expiries.set(jobId, Date.now() + ttlMs);
      fresh.push(jobId);
      if (!timer) {
        lastRefill = Date.now();
        tokens = Math.max(tokens, 1);
        timer = setInterval(tick, tickMs);
        timer.unref();
        tick();
      }
    },
    forget(jobId) {
      checks.delete(jobId);
      expiries.delete(jobId);
    },
    get size() {
      return checks.size;
    },
    get probes() {
      return probes;
    },
    async close() {
      closed = true;
      clearInterval(timer);
      timer = undefined;
      checks.clear();
      expiries.clear();
      fresh = [];
      await Promise.allSettled([...inFlight]);
    },
  };
}

/**
 * A shared, rate-limited prober: jobs waiting for something only polling can tell (a hostname resolving,
 * instances coming InService, an ELB disappearing) register a check here and park; the prober runs the
 * checks at a bounded rate and wakes a job as soon as its check passes.
 *
 * One timer per prober whatever the number of waiting jobs; at most `ratePerSecond` checks a second and
 * `concurrency` at once; each check at most once every `minIntervalMs` (one load balancer waiting for DNS
 * costs 2 queries a second, not as many as the rate allows). Checks run earliest-due first: a newly
 * registered check is due at once (a job that has just parked hears at once of a condition already true),
 * a failed one is due again after its interval. With N checks due all the time, each runs about every
 * N / ratePerSecond seconds: that bound is the trade-off between the load put on DNS (or the ELB API) and
 * how soon after the condition holds the job hears of it.
 *
 * Registration is per job id: re-registering replaces the job's check, so a job parked many times holds
 * one entry. Entries are in-memory: after a crash the queue adopts the dead worker's parked jobs (its
 * heartbeat lapses) and runs them again, and each registers again where it runs.
 */
import type { Logger } from '../src/ports/logger.js';

export interface ProberOptions {
  name: string;
  ratePerSecond: number;
  concurrency?: number;
  /** The shortest time between two runs of one check (default 500 ms). */
  minIntervalMs?: number;
  /** Called with a job id whose check passed. */
  wake: (jobId: string) => void;
  /**
   * Whether a check's failure means the service refused for rate (AWS `Throttling`). Each such failure
   * halves the prober's rate (down to a hundredth of `ratePerSecond`, at least 0.2/s); each passing or negative check wins
   * back a twentieth of it, up to `ratePerSecond` — AIMD, as TCP and the AWS SDK's adaptive mode do.
   */
  isThrottled?: (err: unknown) => boolean;
  logger?: Logger;
  /** Clock (tests). */
  now?: () => number;
}

interface RegisterOptions {
  /** Drop the check after this long (a parked job registers again when its park timeout wakes it). */
  ttlMs?: number;
}

export interface Prober {
  /** Runs `check` until it resolves true, then wakes `jobId`. Replaces the job's earlier check. */
  register(jobId: string, check: () => Promise<boolean>, options?: RegisterOptions): void;
  forget(jobId: string): void;
  readonly size: number;
  /** Checks run so far. */
  readonly probes: number;
  /** Checks a second it runs now (below `ratePerSecond` while the service throttles). */
  readonly rate: number;
  close(): Promise<void>;
}

interface Entry {
  jobId: string;
  check: () => Promise<boolean>;
  dueAt: number;
  expiresAt: number;
}

/** A binary min-heap of entries by `dueAt`; replaced or forgotten entries are skipped when they surface. */
class DueHeap {
  private readonly items: Entry[] = [];

  get length(): number {
    return this.items.length;
  }

  peek(): Entry | undefined {
    return this.items[0];
  }

  push(entry: Entry): void {
    const a = this.items;
    a.push(entry);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((a[parent] as Entry).dueAt <= entry.dueAt) break;
      a[i] = a[parent] as Entry;
      i = parent;
    }
    a[i] = entry;
  }

  pop(): Entry | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const r = l + 1;
      const child = r < a.length && (a[r] as Entry).dueAt < (a[l] as Entry).dueAt ? r : l;
      if ((a[child] as Entry).dueAt >= last.dueAt) break;
      a[i] = a[child] as Entry;
      i = child;
    }
    a[i] = last;
    return top;
  }

  clear(): void {
    this.items.length = 0;
  }
}

export function createProber(opts: ProberOptions): Prober {
  const now = opts.now ?? Date.now;
  const concurrency = opts.concurrency ?? Math.max(1, Math.ceil(opts.ratePerSecond / 5));
  const minIntervalMs = opts.minIntervalMs ?? 500;

  /** The live entry of each job; the heap may also hold replaced ones, skipped when they surface. */
  const entries = new Map<string, Entry>();
  const due = new DueHeap();
  const inFlight = new Set<Promise<void>>();
  let running = 0;
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Infinity;
  let closed = false;
  let probes = 0;
  let tokens = 1;
  let lastRefill = now();
  const maxRate = opts.ratePerSecond;
  const minRate = Math.min(maxRate, Math.max(0.2, maxRate / 100));
  let rate = maxRate;

  function isLive(entry: Entry): boolean {
    return entries.get(entry.jobId) === entry;
  }

  function runOne(entry: Entry): void {
    running += 1;
    probes += 1;
    const p = entry
      .check()
      .then(
        (ok) => {
          rate = Math.min(maxRate, rate + maxRate / 20);
          if (!isLive(entry)) return;
          if (ok) {
            entries.delete(entry.jobId);
            opts.wake(entry.jobId);
            return;
          }
          entry.dueAt = now() + minIntervalMs;
          due.push(entry);
        },
        (err: unknown) => {
          if (opts.isThrottled?.(err)) {
            rate = Math.max(minRate, rate / 2);
            opts.logger?.debug({ prober: opts.name, rate }, 'throttled: the prober slows down');
          }
          opts.logger?.debug({ err, jobId: entry.jobId, prober: opts.name }, 'probe failed; will retry');
          if (!isLive(entry)) return;
          entry.dueAt = now() + minIntervalMs;
          due.push(entry);
        },
      )
      .finally(() => {
        running -= 1;
        inFlight.delete(p);
        schedule();
      });
    inFlight.add(p);
  }

  /** Drops replaced or forgotten entries from the top of the heap; returns its first live entry. */
  function top(): Entry | undefined {
    let first = due.peek();
    while (first && !isLive(first)) {
      due.pop();
      first = due.peek();
    }
    return first;
  }

  function tick(): void {
    timer = undefined;
    timerAt = Infinity;
    const t = now();
    tokens = Math.min(Math.max(1, rate), tokens + ((t - lastRefill) / 1000) * rate);
    lastRefill = t;
    while (tokens >= 1 && running < concurrency) {
      const entry = top();
      if (!entry || entry.dueAt > t) break;
      due.pop();
      if (entry.expiresAt < t) {
        entries.delete(entry.jobId);
        continue;
      }
      tokens -= 1;
      runOne(entry);
    }
    schedule();
  }

  /** One timer, set for when the next check is due and a token is there (a finishing probe reschedules). */
  function schedule(): void {
    if (closed) return;
    const dueAt = top()?.dueAt ?? Infinity;
    if (dueAt === Infinity || running >= concurrency) {
      if (timer) clearTimeout(timer);
      timer = undefined;
      timerAt = Infinity;
      return;
    }
    const t = now();
    const tokenAt = tokens >= 1 ? t : lastRefill + ((1 - tokens) / rate) * 1000;
    const at = Math.max(dueAt, tokenAt, t);
    if (timer && timerAt <= at) return;
    if (timer) clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(tick, Math.max(0, at - t));
    timer.unref();
  }

  return {
    register(jobId, check, options = {}) {
      if (closed) return;
      const t = now();
      // Due at once: the condition may hold already (a job that has just parked hears of it at once).
      const entry: Entry = { jobId, check, dueAt: t, expiresAt: options.ttlMs === undefined ? Infinity : t + options.ttlMs };
      entries.set(jobId, entry);
      due.push(entry);
      schedule();
    },
    forget(jobId) {
      entries.delete(jobId);
    },
    get size() {
      return entries.size;
    },
    get probes() {
      return probes;
    },
    get rate() {
      return rate;
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      entries.clear();
      due.clear();
      await Promise.allSettled([...inFlight]);
    },
  };
}

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
 * Learning (`learn`, used for DNS): a name rarely resolves much sooner than the others did. The prober
 * keeps the shortest waits it has seen (a conservative lower bound each: the time of the last failed
 * check) and, for a check younger than that by more than `marginMs`, spaces its probes out — halfway to
 * the expected time, at most `maxIntervalMs`. Those early probes are speculative and only spend what the
 * rate leaves over: checks that are due and old enough to pass ("hot") always run first. With many load
 * balancers waiting, this is what keeps the delay from "resolvable" to "announced" near `minIntervalMs`
 * instead of N / rate. A name that resolves earlier than any before is heard of within half of its
 * remaining lead (when the rate allows), and teaches the prober a shorter wait.
 *
 * Registration is per job id: re-registering replaces the job's check, so a job parked many times holds
 * one entry. Entries are in-memory: after a crash the job's recheck timeout wakes it and it registers again.
 */
import type { Logger } from '../src/logger.js';

export interface ProberOptions {
  name: string;
  ratePerSecond: number;
  concurrency?: number;
  /** The shortest time between two runs of one check (default 500 ms). */
  minIntervalMs?: number;
  /** Learn how long waits last and probe young checks less often (see above). */
  learn?: LearnOptions | boolean;
  /** Called with a job id whose check passed. */
  wake: (jobId: string) => void;
  logger?: Logger;
  /** Clock (tests). */
  now?: () => number;
}

export interface LearnOptions {
  /** Waits remembered (the newest). Default 50. */
  samples?: number;
  /** Waits seen before the estimate is used. Default 5. */
  minSamples?: number;
  /** Probes start at full pace this long before the expected time. Default 1 s. */
  marginMs?: number;
  /** The longest gap between two probes of a young check. Default 30 s. */
  maxIntervalMs?: number;
}

export interface RegisterOptions {
  /** Drop the check after this long (a parked job registers again when its recheck timeout wakes it). */
  ttlMs?: number;
  /** When the wait began (epoch ms), e.g. when the load balancer came into service; default: now. */
  since?: number;
}

export interface Prober {
  /**
   * Runs `check` until it resolves true, then wakes `jobId`. Replaces the job's earlier check (keeping
   * when its wait began, unless `since` says otherwise).
   */
  register(jobId: string, check: () => Promise<boolean>, options?: RegisterOptions | number): void;
  forget(jobId: string): void;
  readonly size: number;
  /** Checks run so far. */
  readonly probes: number;
  /** The wait the prober expects (learning probers, once they have seen enough), in ms. */
  readonly expectedWaitMs: number | undefined;
  close(): Promise<void>;
}

/**
 * The shortest waits seen: a conservative estimate of how long a wait lasts at least. The minimum of the
 * newest `samples` lower bounds, once there are `minSamples`.
 */
export class WaitEstimator {
  private readonly seen: number[] = [];
  constructor(
    private readonly samples = 50,
    private readonly minSamples = 5,
  ) {}

  /** A wait that lasted at least `ms`. */
  record(ms: number): void {
    this.seen.push(Math.max(0, ms));
    if (this.seen.length > this.samples) this.seen.shift();
  }

  get estimateMs(): number | undefined {
    return this.seen.length >= this.minSamples ? Math.min(...this.seen) : undefined;
  }
}

/**
 * How long after a failed probe to probe again: `minIntervalMs` once the check is within `marginMs` of
 * the expected wait (or when nothing is expected); before that, halfway to it, at most `maxIntervalMs`.
 */
export function nextProbeDelay(ageMs: number, expectedMs: number | undefined, opts: { minIntervalMs: number; marginMs: number; maxIntervalMs: number }): number {
  if (expectedMs === undefined) return opts.minIntervalMs;
  const lead = expectedMs - opts.marginMs - ageMs;
  if (lead <= 0) return opts.minIntervalMs;
  return Math.min(opts.maxIntervalMs, Math.max(opts.minIntervalMs, lead / 2));
}

/**
 * What a check that passed at `passedAt` teaches about how long waits last (a lower bound), if anything:
 * nothing without a failure before it; from a full-pace check only when the last failure was close
 * (within two intervals); from a speculative (cold) one always.
 */
export function learntWait(check: { since: number; lastFailedAt: number | undefined; cold: boolean }, passedAt: number, minIntervalMs: number): number | undefined {
  if (check.lastFailedAt === undefined) return undefined;
  const close = passedAt - check.lastFailedAt <= 2 * minIntervalMs + 100;
  return close || check.cold ? check.lastFailedAt - check.since : undefined;
}

interface Entry {
  jobId: string;
  /** A speculative probe of a young check (learning): runs only on the rate hot checks leave over. */
  cold: boolean;
  check: () => Promise<boolean>;
  since: number;
  dueAt: number;
  expiresAt: number;
  /** When the last failed probe of this check started (the condition did not hold then). */
  lastFailedAt: number | undefined;
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
  const learn = opts.learn === true ? {} : opts.learn || undefined;
  const estimator = learn ? new WaitEstimator(learn.samples, learn.minSamples) : undefined;
  const delayOptions = { minIntervalMs, marginMs: learn?.marginMs ?? 1000, maxIntervalMs: learn?.maxIntervalMs ?? 30_000 };

  /** The live entry of each job; the heap may also hold replaced ones, skipped when they surface. */
  const entries = new Map<string, Entry>();
  const hot = new DueHeap();
  const cold = new DueHeap();
  const inFlight = new Set<Promise<void>>();
  let running = 0;
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Infinity;
  let closed = false;
  let probes = 0;
  let tokens = 1;
  let lastRefill = now();

  function isLive(entry: Entry): boolean {
    return entries.get(entry.jobId) === entry;
  }

  function runOne(entry: Entry): void {
    running += 1;
    probes += 1;
    const startedAt = now();
    const p = entry
      .check()
      .then(
        (ok) => {
          if (!isLive(entry)) return;
          if (ok) {
            entries.delete(entry.jobId);
            // Only a wait seen failing says how long it lasted at least (a first probe that passes says nothing),
            // and only a close one says it well: when probes fell behind (the rate could not keep up), the last
            // failure may be long before the name resolved, and learning from it would widen the window of
            // names probed at full pace, so probes fall further behind. A speculative probe that passes is
            // kept either way: the wait was shorter than expected, and that must be learnt.
            const learnt = learntWait(entry, startedAt, minIntervalMs);
            if (learnt !== undefined) estimator?.record(learnt);
            opts.wake(entry.jobId);
            return;
          }
          entry.lastFailedAt = startedAt;
          const t = now();
          const expected = estimator?.estimateMs;
          entry.dueAt = t + nextProbeDelay(t - entry.since, expected, delayOptions);
          entry.cold = expected !== undefined && entry.dueAt - entry.since < expected - delayOptions.marginMs;
          enqueue(entry);
        },
        (err: unknown) => {
          opts.logger?.debug({ err, jobId: entry.jobId, prober: opts.name }, 'probe failed; will retry');
          if (!isLive(entry)) return;
          entry.dueAt = now() + minIntervalMs;
          enqueue(entry);
        },
      )
      .finally(() => {
        running -= 1;
        inFlight.delete(p);
        schedule();
      });
    inFlight.add(p);
  }

  function enqueue(entry: Entry): void {
    (entry.cold ? cold : hot).push(entry);
  }

  /** Drops replaced or forgotten entries from the top of a heap; returns its first live entry. */
  function topOf(heap: DueHeap): Entry | undefined {
    let top = heap.peek();
    while (top && !isLive(top)) {
      heap.pop();
      top = heap.peek();
    }
    return top;
  }

  /** The next check to run now: a due hot one first, then a due cold one. */
  function nextDue(t: number): Entry | undefined {
    for (const heap of [hot, cold]) {
      const top = topOf(heap);
      if (top && top.dueAt <= t) {
        heap.pop();
        return top;
      }
    }
    return undefined;
  }

  function tick(): void {
    timer = undefined;
    timerAt = Infinity;
    const t = now();
    tokens = Math.min(Math.max(1, opts.ratePerSecond), tokens + ((t - lastRefill) / 1000) * opts.ratePerSecond);
    lastRefill = t;
    while (tokens >= 1 && running < concurrency) {
      const entry = nextDue(t);
      if (!entry) break;
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
    const dueAt = Math.min(topOf(hot)?.dueAt ?? Infinity, topOf(cold)?.dueAt ?? Infinity);
    if (dueAt === Infinity || running >= concurrency) {
      if (timer) clearTimeout(timer);
      timer = undefined;
      timerAt = Infinity;
      return;
    }
    const t = now();
    const tokenAt = tokens >= 1 ? t : lastRefill + ((1 - tokens) / opts.ratePerSecond) * 1000;
    const at = Math.max(dueAt, tokenAt, t);
    if (timer && timerAt <= at) return;
    if (timer) clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(tick, Math.max(0, at - t));
    timer.unref();
  }

  return {
    register(jobId, check, options) {
      if (closed) return;
      const o: RegisterOptions = typeof options === 'number' ? { ttlMs: options } : (options ?? {});
      const t = now();
      const previous = entries.get(jobId);
      const since = o.since ?? previous?.since ?? t;
      const expected = estimator?.estimateMs;
      const entry: Entry = {
        jobId,
        // Checked at once either way (the condition may hold already), but a young one only on spare rate.
        cold: expected !== undefined && t - since < expected - delayOptions.marginMs,
        check,
        since,
        dueAt: t,
        expiresAt: o.ttlMs === undefined ? Infinity : t + o.ttlMs,
        lastFailedAt: undefined,
      };
      entries.set(jobId, entry);
      enqueue(entry);
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
    get expectedWaitMs() {
      return estimator?.estimateMs;
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      entries.clear();
      hot.clear();
      cold.clear();
      await Promise.allSettled([...inFlight]);
    },
  };
}

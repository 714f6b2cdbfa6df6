/**
 * Readiness: whether this process can do its work now — every dependency's check passed. A probe answers
 * within a bound (each check gets `timeoutMs`, all run at once) and a storm of probes costs the
 * dependencies little: a report is reused for `cacheMs`, and while one is being made, every probe waits
 * for that one (single flight) instead of starting its own checks.
 */
import type { ReadinessCheck } from '../ports/health.js';

interface CheckOutcome {
  readonly ok: boolean;
  /** Why not, in words (ok: false only). */
  readonly problem?: string;
}

interface ReadinessReport {
  readonly ready: boolean;
  /** Each check by name. */
  readonly checks: Readonly<Record<string, CheckOutcome>>;
}

export interface Readiness {
  report(): Promise<ReadinessReport>;
}

export interface ReadinessOptions {
  /** A check that has not answered within this long counts as failed (ms). Default 800: a probe answers within a second. */
  timeoutMs?: number;
  /** A report is reused for this long (ms). Default 5000. */
  cacheMs?: number;
  now?: () => number;
}

/** One check's outcome within `timeoutMs`. */
async function outcome(check: ReadinessCheck, timeoutMs: number): Promise<CheckOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<CheckOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, problem: `no answer within ${timeoutMs} ms` }), timeoutMs);
  });
  try {
    return await Promise.race([
      check.check().then(
        (): CheckOutcome => ({ ok: true }),
        (err: unknown): CheckOutcome => ({ ok: false, problem: err instanceof Error ? err.message : String(err) }),
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function makeReadiness(checks: readonly ReadinessCheck[], options: ReadinessOptions = {}): Readiness {
  const { timeoutMs = 800, cacheMs = 5000, now = Date.now } = options;
  let last: { at: number; report: ReadinessReport } | undefined;
  let making: Promise<ReadinessReport> | undefined;

  async function make(): Promise<ReadinessReport> {
    const outcomes = await Promise.all(checks.map(async (c) => [c.name, await outcome(c, timeoutMs)] as const));
    const report = { ready: outcomes.every(([, o]) => o.ok), checks: Object.fromEntries(outcomes) };
    last = { at: now(), report };
    return report;
  }

  return {
    report() {
      if (last && now() - last.at < cacheMs) return Promise.resolve(last.report);
      making ??= make().finally(() => {
        making = undefined;
      });
      return making;
    },
  };
}

/**
 * Waking parked jobs through the port's `JobWaker`: `wakeSoon` retries a wake that arrives while the job
 * is still running, and `WatchWakeups` wakes a job on the next change of the Service it waits for (one
 * watch per cluster, one subscription per waiting job id, replaced when the job parks again).
 */
import type { Logger } from '../src/ports/logger.js';
import type { ServiceView } from '../src/domain/views.js';
import type { JobWaker } from '../src/ports/jobs.js';
import type { ServiceRef, ServiceWatch } from '../src/ports/service-watch.js';

/**
 * Wakes with retries: a wake that arrives while the job is still active (it saw the old state and is on
 * its way to parking, or is in a slow step) is tried again after `retryMs`, the wait doubling up to
 * `maxRetryMs`, for up to `retryForMs`, so it is not lost: a parked job is not rechecked while its
 * worker lives (JOB_RECHECK_INTERVAL defaults to the job's timeout), so a lost wake-up would cost it
 * its deadline.
 */
export function wakeSoon(
  waker: JobWaker,
  logger?: Logger,
  { retryMs = 50, maxRetryMs = 1000, retryForMs = 60_000 } = {},
): (jobId: string) => void {
  return (jobId) => {
    const deadline = Date.now() + retryForMs;
    let waitMs = retryMs;
    const again = (): void => {
      setTimeout(attempt, Math.min(waitMs, Math.max(0, deadline - Date.now()))).unref();
      waitMs = Math.min(maxRetryMs, waitMs * 2);
    };
    const attempt = (): void => {
      waker.wake(jobId).then(
        (done) => {
          if (!done && Date.now() < deadline) again();
        },
        // Redis refusing (a failover, a restart): tried again in the same way.
        (err: unknown) => {
          if (Date.now() < deadline) again();
          else logger?.warn({ err, jobId }, 'could not wake job; it waits for its park timeout');
        },
      );
    };
    attempt();
  };
}

export interface WatchWakeups {
  /**
   * Wakes `jobId` once the Service `ref` (as the watch sees it) satisfies `until` (replacing the job's earlier
   * subscription). The watch's current view is checked right after subscribing, so a change that happened
   * between the job's read and its subscription is not lost. With `ttlMs` the subscription lapses after
   * that long (swept as new ones come), like the probers' checks.
   */
  wakeOnChange(jobId: string, ref: ServiceRef, until: (service: ServiceView | undefined) => boolean, ttlMs?: number): void;
  forget(jobId: string): void;
  readonly size: number;
  close(): void;
}

export function createWatchWakeups(watch: ServiceWatch, wake: (jobId: string) => void): WatchWakeups {
  const subscriptions = new Map<string, { unsubscribe: () => void; expiresAt: number }>();
  let registrations = 0;
  const forget = (jobId: string) => {
    subscriptions.get(jobId)?.unsubscribe();
    subscriptions.delete(jobId);
  };
  const sweep = () => {
    const now = Date.now();
    for (const [jobId, s] of subscriptions) if (s.expiresAt < now) forget(jobId);
  };
  return {
    wakeOnChange(jobId, ref, until, ttlMs) {
      forget(jobId);
      const fire = () => {
        forget(jobId);
        wake(jobId);
      };
      const unsubscribe = watch.subscribe(ref, (svc) => {
        if (until(svc)) fire();
      });
      subscriptions.set(jobId, { unsubscribe, expiresAt: ttlMs === undefined ? Infinity : Date.now() + ttlMs });
      // The watch may already have seen the change the job is waiting for.
      const current = watch.get(ref);
      if (current !== undefined && until(current)) {
        fire();
        return;
      }
      registrations += 1;
      // Amortised: one sweep per as many registrations as there are subscriptions.
      if (registrations >= Math.max(1000, subscriptions.size)) {
        registrations = 0;
        sweep();
      }
    },
    forget,
    get size() {
      return subscriptions.size;
    },
    close() {
      for (const s of subscriptions.values()) s.unsubscribe();
      subscriptions.clear();
    },
  };
}

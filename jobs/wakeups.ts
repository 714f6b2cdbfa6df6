/**
 * Waking parked jobs. A parked job is a BullMQ delayed job; `JobWaker.wake` promotes it so a worker runs
 * it now. `WatchWakeups` wakes a job on the next change of the Service it waits for (one watch per
 * cluster, one subscription per waiting job id, replaced when the job parks again).
 */
import type { Logger } from '../src/logger.js';
import type { ServiceView } from '../src/domain/views.js';
import type { ServiceRef, ServiceWatch } from '../src/ports/service-watch.js';

export interface JobWaker {
  /**
   * Makes a parked job run now. Resolves false when the job is still active (it is about to park: the
   * caller should try again shortly), true otherwise (promoted, already waiting, or gone).
   */
  wake(jobId: string): Promise<boolean>;
}

/** The part of a BullMQ Queue the waker uses. */
export interface WakeableQueue {
  getJob(id: string): Promise<{ getState(): Promise<string>; promote(): Promise<void> } | undefined>;
}

/** A JobWaker over a BullMQ queue: promote the job if it is delayed. */
export function bullmqWaker(queue: WakeableQueue): JobWaker {
  return {
    async wake(jobId) {
      const job = await queue.getJob(jobId);
      if (!job) return true;
      try {
        await job.promote(); // the common case: parked (delayed), so one round trip
        return true;
      } catch {
        // Not delayed when promote ran: still active (about to park) — or it parked since, between the two
        // calls (now 'delayed'): try again either way. Waiting or finished: nothing to do.
        const state = await job.getState();
        return state !== 'active' && state !== 'delayed';
      }
    },
  };
}

/**
 * Wakes with retries: a wake that arrives while the job is still active (it saw the old state and is on
 * its way to parking) is tried again every `retryMs` for up to `retryForMs`, so it is not lost.
 */
export function wakeSoon(waker: JobWaker, logger?: Logger, { retryMs = 50, retryForMs = 5000 } = {}): (jobId: string) => void {
  return (jobId) => {
    const deadline = Date.now() + retryForMs;
    const attempt = (): void => {
      waker.wake(jobId).then(
        (done) => {
          if (!done && Date.now() < deadline) setTimeout(attempt, retryMs).unref();
        },
        (err: unknown) => logger?.warn({ err, jobId }, 'could not wake job; its park timeout will'),
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

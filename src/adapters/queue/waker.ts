/**
 * The port's JobWaker over a BullMQ queue: a parked job is a BullMQ delayed job, and waking it promotes it
 * so that a worker runs it now.
 */
import type { JobWaker } from '../../ports/jobs.js';

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

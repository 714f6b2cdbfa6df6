/**
 * The schedules port in this process's memory: one timer per schedule, for the console without Redis and
 * for tests. One process, so "once per tick" holds by construction; the schedules are forgotten with it.
 *
 * Ticks follow the Redis adapter's (BullMQ's) rhythm: the next tick is armed when a tick starts, from
 * the later of its due time and now; a tick that comes due while the previous one still runs waits for
 * it (and the ticks that pass meanwhile are skipped, not queued up).
 */
import { checkSchedule, nextTick } from '../../domain/cron.js';
import type { Logger } from '../../ports/logger.js';
import type { CronSchedule, ScheduledTask, Schedules } from '../../ports/schedule.js';
import { withDeadline } from '../../domain/deadline.js';

export interface MemorySchedulesOptions {
  logger: Logger;
  /** How long close() waits for a running tick before aborting its signal. Default 5 s. */
  graceMs?: number;
  /** How long close() then waits for the aborted tick to end. Default 1 s. */
  abortWaitMs?: number;
}

interface Entry {
  name: string;
  schedule: CronSchedule;
  run: ScheduledTask;
  timer?: NodeJS.Timeout;
  /** The tick running now, if any. */
  running?: { done: Promise<void>; controller: AbortController };
  /** A tick that came due while another ran: it starts when that one ends. */
  pendingDueAt?: number;
}

// setTimeout fires at once for a delay past 2^31-1 ms (24.8 days): longer waits are made of several.
const MAX_TIMER_MS = 2 ** 31 - 1;

export function createMemorySchedules(options: MemorySchedulesOptions): Schedules {
  const log = options.logger.child({ component: 'schedules' });
  const graceMs = options.graceMs ?? 5000;
  const abortWaitMs = options.abortWaitMs ?? 1000;
  const entries = new Map<string, Entry>();
  let closed = false;

  function arm(entry: Entry, dueAt: number): void {
    clearTimeout(entry.timer);
    const wait = Math.min(Math.max(0, dueAt - Date.now()), MAX_TIMER_MS);
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      if (Date.now() < dueAt) arm(entry, dueAt);
      else if (entry.running) entry.pendingDueAt = dueAt;
      else start(entry, dueAt);
    }, wait);
    // A schedule alone does not keep the process alive.
    entry.timer.unref();
  }

  function start(entry: Entry, dueAt: number): void {
    arm(entry, nextTick(entry.schedule, Math.max(dueAt, Date.now())));
    const controller = new AbortController();
    const done = (async () => {
      try {
        await entry.run({ dueAt, signal: controller.signal });
      } catch (err) {
        log.error({ schedule: entry.name, dueAt: new Date(dueAt).toISOString(), err: err instanceof Error ? err.message : String(err) }, 'scheduled task failed');
      }
    })().finally(() => {
      entry.running = undefined;
      const pending = entry.pendingDueAt;
      entry.pendingDueAt = undefined;
      if (pending !== undefined && !closed) start(entry, pending);
    });
    entry.running = { done, controller };
  }

  return {
    every(name, schedule, run) {
      if (closed) return Promise.reject(new Error(`schedule "${name}": the schedules are closed`));
      try {
        checkSchedule(name, schedule);
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
      const entry = entries.get(name) ?? { name, schedule, run };
      entries.set(name, entry);
      entry.schedule = schedule;
      entry.run = run;
      // A replaced pattern takes effect from now; a tick running under the old one finishes.
      entry.pendingDueAt = undefined;
      arm(entry, nextTick(schedule, Date.now()));
      return Promise.resolve();
    },

    async close() {
      closed = true;
      for (const entry of entries.values()) {
        clearTimeout(entry.timer);
        entry.timer = undefined;
        entry.pendingDueAt = undefined;
      }
      const running = [...entries.values()].flatMap((e) => (e.running ? [e.running] : []));
      if (running.length === 0) return;
      const allDone = Promise.all(running.map((r) => r.done)).then(() => true);
      if ((await withDeadline(allDone, graceMs)) === undefined) {
        log.info({ schedules: [...entries.values()].filter((e) => e.running).map((e) => e.name) }, 'shutdown: aborting running scheduled tasks');
        for (const r of running) r.controller.abort(new Error('shutting down'));
        if ((await withDeadline(allDone, abortWaitMs)) === undefined) log.warn('shutdown: scheduled tasks still running; left behind');
      }
    },
  };
}

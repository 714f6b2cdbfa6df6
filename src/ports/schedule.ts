/**
 * Tasks run on a cron schedule (the scheduled orphan report): once per tick across every process of a
 * deployment, however many of them register the task. The Redis adapter (src/adapters/queue/schedules.ts)
 * shares the ticks between processes; the memory one (src/adapters/memory/schedules.ts) is one process's.
 */

/** One tick of a schedule, as its task sees it. */
export interface ScheduledTick {
  /** Epoch ms the tick was due (not when it runs: a tick taken late says how late). */
  dueAt: number;
  /**
   * Aborted when this process closes while the task runs, after a grace period: the task should stop at
   * a safe point and throw. On Redis the tick is then handed to another process, which runs it again.
   */
  signal: AbortSignal;
}

export interface CronSchedule {
  /**
   * A cron pattern of five fields (minute hour day-of-month month day-of-week), or six with a leading
   * seconds field (tests tick every second with `* * * * * *`).
   */
  cron: string;
  /** The IANA time zone the pattern is read in (`Europe/Berlin`, `UTC`). */
  timeZone: string;
}

export type ScheduledTask = (tick: ScheduledTick) => Promise<void>;

export interface Schedules {
  /**
   * Runs `run` at every tick of `schedule`, once per tick however many processes call `every` with the
   * same `name` (letters, digits, '.', '_', '-'). Replaces the schedule an earlier call made under that
   * name, in this process or any other, an earlier deployment's included: a changed pattern takes
   * effect, and there is never more than one schedule per name. A run that throws is logged, and the
   * next tick runs as usual (a tick is not retried: a late report is no use). Ticks of one name run one
   * at a time in a process. Rejects on an invalid pattern or time zone, or when the schedule cannot be
   * stored (Redis unreachable).
   */
  every(name: string, schedule: CronSchedule, run: ScheduledTask): Promise<void>;
  /**
   * Stops running ticks in this process; the schedules stay, for the other processes (and the next
   * deployment). Waits for a running tick for a grace period, then aborts its signal. Prompt when idle.
   */
  close(): Promise<void>;
}

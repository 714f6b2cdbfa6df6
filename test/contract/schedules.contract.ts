/**
 * What every Schedules adapter does, on Redis and in memory alike, with real time: the schedules tick
 * every second or every other (six-field patterns, seconds first), so a suite takes some seconds.
 * Waits for ticks are events (a promise resolved at the Nth run) under a deadline; only "no more ticks"
 * is a fixed wait, as an absence can only be.
 */
import type { Logger } from '../../src/ports/logger.js';
import type { Schedules, ScheduledTick } from '../../src/ports/schedule.js';

interface SchedulesSubject {
  schedules: Schedules;
  teardown(): Promise<void>;
}

export type MakeSchedules = (options: { logger: Logger; graceMs: number }) => Promise<SchedulesSubject>;

const EVERY_SECOND = { cron: '* * * * * *', timeZone: 'UTC' };
const EVERY_OTHER_SECOND = { cron: '*/2 * * * * *', timeZone: 'UTC' };
/** Noon on the first of January: never during a test. */
const YEARLY = { cron: '0 12 1 1 *', timeZone: 'Europe/Berlin' };

export interface LoggedLine {
  level: string;
  obj: Record<string, unknown>;
  msg: string;
}

/** A logger that keeps what is logged, with its child bindings. */
export function capturingLogger(lines: LoggedLine[], bindings: Record<string, unknown> = {}): Logger {
  const at =
    (level: string) =>
    (first: unknown, ...rest: unknown[]): void => {
      if (typeof first === 'string') lines.push({ level, obj: { ...bindings }, msg: first });
      else lines.push({ level, obj: { ...bindings, ...(first as Record<string, unknown>) }, msg: typeof rest[0] === 'string' ? rest[0] : '' });
    };
  return {
    child: (more) => capturingLogger(lines, { ...bindings, ...more }),
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
  };
}

/** Ticks of a task as they run; `reached(n)` resolves when n have started (fails after `timeoutMs`). */
export class TickLog {
  readonly ticks: { dueAt: number; startedAt: number }[] = [];
  private waiters: { done: () => boolean; resolve: () => void }[] = [];

  record(tick: ScheduledTick): void {
    this.ticks.push({ dueAt: tick.dueAt, startedAt: Date.now() });
    for (const w of this.waiters.filter((w) => w.done())) w.resolve();
    this.waiters = this.waiters.filter((w) => !w.done());
  }

  reached(n: number, timeoutMs = 8000): Promise<void> {
    return this.until(() => this.ticks.length >= n, `${n} ticks`, timeoutMs);
  }

  /** Resolves when a tick due at `dueAt` has started. */
  ran(dueAt: number, timeoutMs = 8000): Promise<void> {
    return this.until(() => this.ticks.some((t) => t.dueAt === dueAt), `the tick due at ${new Date(dueAt).toISOString()}`, timeoutMs);
  }

  private until(done: () => boolean, what: string, timeoutMs: number): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms (${this.ticks.length} ticks)`)), timeoutMs);
      this.waiters.push({ done, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }
}

/** A promise and the function that resolves it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function schedulesContract(name: string, make: MakeSchedules): void {
  describe(`Schedules (${name})`, () => {
    let subject: SchedulesSubject;
    let lines: LoggedLine[];

    async function start(graceMs = 5000): Promise<Schedules> {
      lines = [];
      subject = await make({ logger: capturingLogger(lines), graceMs });
      return subject.schedules;
    }
    afterEach(() => subject.teardown());

    test('runs the task at every tick, with the whole second it was due', async () => {
      const schedules = await start();
      const log = new TickLog();
      await schedules.every('tick', EVERY_SECOND, (tick) => Promise.resolve(log.record(tick)));
      await log.reached(3);
      const dues = log.ticks.map((t) => t.dueAt);
      for (const [i, t] of log.ticks.entries()) {
        expect(t.dueAt % 1000).toBe(0);
        expect(t.startedAt).toBeGreaterThanOrEqual(t.dueAt);
        // On time (a loaded machine gets some slack).
        expect(t.startedAt - t.dueAt).toBeLessThan(900);
        if (i > 0) expect(t.dueAt).toBeGreaterThan(dues[i - 1]!);
      }
    });

    test('every() again under the same name replaces the schedule and the task', async () => {
      const schedules = await start();
      const yearly = new TickLog();
      await schedules.every('report', YEARLY, (tick) => Promise.resolve(yearly.record(tick)));
      const first = new TickLog();
      await schedules.every('report', EVERY_SECOND, (tick) => Promise.resolve(first.record(tick)));
      await first.reached(1);
      const second = new TickLog();
      await schedules.every('report', EVERY_OTHER_SECOND, (tick) => Promise.resolve(second.record(tick)));
      const replacedAt = Date.now();
      await second.reached(2);
      expect(yearly.ticks).toEqual([]);
      // The replaced task starts no tick once every() has returned, and the new pattern is the one kept.
      expect(first.ticks.filter((t) => t.startedAt > replacedAt)).toEqual([]);
      for (const t of second.ticks) expect(t.dueAt % 2000).toBe(0);
    });

    test('a failing run is logged, and the next tick runs as usual', async () => {
      const schedules = await start();
      const log = new TickLog();
      await schedules.every('flaky', EVERY_SECOND, (tick) => {
        log.record(tick);
        return log.ticks.length === 1 ? Promise.reject(new Error('AWS said no')) : Promise.resolve();
      });
      await log.reached(2);
      expect(log.ticks[1]!.dueAt).toBeGreaterThan(log.ticks[0]!.dueAt);
      const failed = lines.filter((l) => l.level === 'error');
      expect(failed).toHaveLength(1);
      expect(failed[0]!.obj).toMatchObject({ schedule: 'flaky', dueAt: new Date(log.ticks[0]!.dueAt).toISOString(), err: 'AWS said no' });
    });

    test('ticks of one schedule do not overlap in a process', async () => {
      const schedules = await start();
      const log = new TickLog();
      let running = 0;
      let most = 0;
      await schedules.every('slow', EVERY_SECOND, async (tick) => {
        log.record(tick);
        most = Math.max(most, ++running);
        await sleep(1500);
        running--;
      });
      await log.reached(3, 12_000);
      expect(most).toBe(1);
    });

    test('rejects a name, pattern or time zone it cannot use', async () => {
      const schedules = await start();
      const run = () => Promise.resolve();
      await expect(schedules.every('has space', EVERY_SECOND, run)).rejects.toThrow(/schedule name/);
      await expect(schedules.every('x', { cron: '0 9 * *', timeZone: 'UTC' }, run)).rejects.toThrow(/five fields/);
      await expect(schedules.every('x', { cron: '0 25 * * *', timeZone: 'UTC' }, run)).rejects.toThrow(/five fields/);
      await expect(schedules.every('x', { cron: '0 9 * * *', timeZone: 'Mars/Olympus' }, run)).rejects.toThrow(/IANA time zone/);
    });

    test('close() stops the ticks, and returns at once when no tick runs', async () => {
      const schedules = await start();
      const log = new TickLog();
      await schedules.every('stop', EVERY_SECOND, (tick) => Promise.resolve(log.record(tick)));
      await log.reached(1);
      const started = Date.now();
      await schedules.close();
      expect(Date.now() - started).toBeLessThan(1000);
      const count = log.ticks.length;
      await sleep(2200);
      expect(log.ticks).toHaveLength(count);
      await expect(schedules.every('stop', EVERY_SECOND, () => Promise.resolve())).rejects.toThrow(/closed/);
    });

    test('close() waits for a running tick', async () => {
      const schedules = await start();
      const log = new TickLog();
      const release = gate();
      let finished = false;
      await schedules.every('wait', EVERY_SECOND, async (tick) => {
        log.record(tick);
        await release.opened;
        finished = true;
      });
      await log.reached(1);
      const closed = schedules.close().then(() => finished);
      await sleep(300);
      release.open();
      expect(await closed).toBe(true);
    });

    test('close() aborts the signal of a tick that outlasts the grace period', async () => {
      const schedules = await start(300);
      const log = new TickLog();
      let signal: AbortSignal | undefined;
      await schedules.every('stuck', EVERY_SECOND, async (tick) => {
        log.record(tick);
        signal = tick.signal;
        await new Promise((_, reject) => tick.signal.addEventListener('abort', () => reject(new Error('stopped')), { once: true }));
      });
      await log.reached(1);
      const started = Date.now();
      await schedules.close();
      expect(signal?.aborted).toBe(true);
      expect(Date.now() - started).toBeLessThan(2000);
    });
  });
}

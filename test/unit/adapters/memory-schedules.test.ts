/**
 * The memory Schedules on a fake clock: ticks weeks apart (past what one setTimeout can wait), in the
 * schedule's time zone, and ticks that come due while one runs (they wait for it, and are not queued up).
 */
import { jest } from '@jest/globals';
import { createMemorySchedules } from '../../../src/adapters/memory/schedules.js';
import type { ScheduledTick } from '../../../src/ports/schedule.js';
import { quietLogger } from '../../helpers/governance.js';

afterEach(() => {
  jest.useRealTimers();
});

test('a tick months away (past the 24.8 days a timer can wait) runs when due, in its time zone', async () => {
  jest.useFakeTimers({ now: Date.parse('2025-02-01T00:00:00Z') });
  const schedules = createMemorySchedules({ logger: quietLogger });
  const dues: number[] = [];
  await schedules.every('yearly', { cron: '0 12 1 1 *', timeZone: 'Europe/Berlin' }, (tick: ScheduledTick) => Promise.resolve(void dues.push(tick.dueAt)));
  // Noon in Berlin on 1 January is 11:00 UTC.
  const due = Date.parse('2026-01-01T11:00:00Z');
  await jest.advanceTimersByTimeAsync(due - Date.now() - 1);
  expect(dues).toEqual([]);
  await jest.advanceTimersByTimeAsync(1);
  expect(dues).toEqual([due]);
  await schedules.close();
});

test('a tick due while the previous one runs starts when it ends; the ones passed meanwhile are skipped', async () => {
  jest.useFakeTimers({ now: Date.parse('2025-03-03T08:59:30Z') });
  const schedules = createMemorySchedules({ logger: quietLogger });
  const started: { dueAt: number; at: number }[] = [];
  await schedules.every('minutely', { cron: '* * * * *', timeZone: 'UTC' }, async (tick) => {
    started.push({ dueAt: tick.dueAt, at: Date.now() });
    // The first run lasts two and a half minutes.
    if (started.length === 1) await new Promise((resolve) => setTimeout(resolve, 150_000));
  });
  await jest.advanceTimersByTimeAsync(30_000 + 150_000 + 60_000);
  const nine = Date.parse('2025-03-03T09:00:00Z');
  expect(started).toEqual([
    { dueAt: nine, at: nine },
    // 09:01 came due during the first run and waits for it; 09:02 passed meanwhile and is skipped.
    { dueAt: nine + 60_000, at: nine + 150_000 },
    // From then on the schedule goes on from now.
    { dueAt: nine + 180_000, at: nine + 180_000 },
  ]);
  await schedules.close();
});

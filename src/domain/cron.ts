/**
 * Cron schedules as the schedules port takes them (five fields, or six with seconds first, in an IANA
 * time zone): checked the same way by both adapters, and the next tick computed by the memory one with
 * the same parser BullMQ's job schedulers use (cron-parser), so both tick at the same instants.
 */
import { CronExpressionParser } from 'cron-parser';
import type { CronSchedule } from '../ports/schedule.js';

const NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** Throws an Error saying what is wrong with the schedule's name, pattern or time zone. */
export function checkSchedule(name: string, schedule: CronSchedule): void {
  if (!NAME.test(name)) throw new Error(`schedule name "${name}": 1-64 letters, digits, '.', '_' or '-'`);
  try {
    new Intl.DateTimeFormat('en', { timeZone: schedule.timeZone });
  } catch {
    throw new Error(`schedule "${name}": "${schedule.timeZone}" is not an IANA time zone`);
  }
  // cron-parser fills in missing fields (a 4-field pattern parses), so the count is checked here.
  const fields = schedule.cron.trim().split(/\s+/).length;
  let valid = fields === 5 || fields === 6;
  try {
    if (valid) CronExpressionParser.parse(schedule.cron, { tz: schedule.timeZone });
  } catch {
    valid = false;
  }
  if (!valid) throw new Error(`schedule "${name}": "${schedule.cron}" is not a cron pattern of five fields (or six, seconds first)`);
}

/** The first tick of `schedule` strictly after `afterMs` (epoch ms). */
export function nextTick(schedule: CronSchedule, afterMs: number): number {
  return CronExpressionParser.parse(schedule.cron, { tz: schedule.timeZone, currentDate: new Date(afterMs) }).next().getTime();
}

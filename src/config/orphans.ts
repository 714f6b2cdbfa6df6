/**
 * The orphan report's settings: how young a load balancer may be and still be left alone, which regions
 * are scanned and how fast, when and where the scheduled report goes, and what each kind of load balancer
 * costs.
 */
import { z } from 'zod';
import { boolean, channel, cronPattern, duration, field, fieldWithDefault, integer, list, mapping, regionEntry, timeZone } from './fields.js';

const reportSchema = z.strictObject(
  {
    cron: fieldWithDefault('orphans.report.cron', cronPattern),
    timeZone: fieldWithDefault('orphans.report.timeZone', timeZone),
    channel: field(channel),
    quietWhenNone: fieldWithDefault('orphans.report.quietWhenNone', boolean),
  },
  mapping,
);

export const orphansSchema = z.strictObject(
  {
    // 0 turns the grace off; a week is longer than any load balancer takes to be made or deleted.
    grace: fieldWithDefault('orphans.grace', duration(0, 7 * 24 * 3_600_000, '0s, 30m or 2h')),
    regions: z.array(field(regionEntry), list).optional(),
    // Per region; AWS's ELB limits are tens of calls a second per account and region, far below 1,000.
    scanRate: fieldWithDefault('orphans.scanRate', integer(1, 1_000)),
    report: reportSchema.prefault(() => ({})),
  },
  mapping,
);

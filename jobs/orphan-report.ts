/**
 * The scheduled orphan report: at each tick of ORPHAN_REPORT_CRON (once per tick however many workers
 * run: the schedule's job is BullMQ's), scan everything, compare with what the previous report listed,
 * and post the report in ORPHAN_REPORT_CHANNEL — or nothing, when there is nothing to report and the
 * team asked for quiet (`orphans.report.quietWhenNone`).
 *
 * What the previous report listed is swapped for this one's in one step in Redis. A scan that could not
 * see everything (a region or a cluster missing) never says that something has gone: what it could not
 * see is carried over to the next report, and "gone" waits for a scan that saw it.
 */
import { changesSince, reportedKeys, type OrphanReport } from '../src/domain/orphan-report.js';
import type { Logger } from '../src/ports/logger.js';
import type { OrphanStateStore } from '../src/ports/orphan-state.js';
import type { Replies } from '../src/ports/replies.js';
import type { ScheduledTick } from '../src/ports/schedule.js';
import { renderOrphanReport } from '../src/render/orphans.js';

export interface ScheduledOrphanReportDeps {
  /** Scans and judges everything (the orphan commands' `reportOf({})`). */
  report: () => Promise<OrphanReport>;
  state: Pick<OrphanStateStore, 'swapReported'>;
  replies: Pick<Replies, 'post'>;
  channel: string;
  quietWhenNone: boolean;
  commandName: string;
  logger: Logger;
}

export type ScheduledReportOutcome = 'posted' | 'quiet';

function nothingToReport(report: OrphanReport): boolean {
  return report.orphans.length === 0 && report.lostClusters.length === 0 && report.missing.length === 0;
}

export async function postScheduledOrphanReport(deps: ScheduledOrphanReportDeps, tick: ScheduledTick): Promise<ScheduledReportOutcome> {
  const report = await deps.report();
  // Stopping mid-scan leaves parts unread: that is no report to post (another worker runs the tick again).
  if (tick.signal.aborted) throw new Error('the scheduled orphan report was cut short: svcbot is stopping');
  const current = reportedKeys(report);
  const previous = await deps.state.swapReported(current);
  let changes = changesSince(previous, report);
  if (report.missing.length > 0 && changes.gone.length > 0) {
    // Not seen is not gone: remember them for the next report, and say nothing about them now.
    await deps.state.swapReported([...new Set([...current, ...changes.gone])].sort());
    changes = { ...changes, gone: [] };
  }
  const log = deps.logger.child({ dueAt: new Date(tick.dueAt).toISOString() });
  if (deps.quietWhenNone && nothingToReport(report)) {
    log.info('scheduled orphan report: no orphans, nothing posted (quiet when none)');
    return 'quiet';
  }
  const message = renderOrphanReport(report, { commandName: deps.commandName, query: { page: 0 }, changes });
  await deps.replies.post(deps.channel, message);
  log.info({ orphans: report.orphans.length, added: changes.added.length, gone: changes.gone.length, missing: report.missing.length }, 'scheduled orphan report posted');
  return 'posted';
}

/**
 * The orphan report as Block Kit: a title with the totals, what the scan could not see, one block per
 * orphan on the page (what, whose, why, cost) with its Delete / Snooze / Ignore buttons, the clusters
 * svcbot does not know, the idle load balancers, and what was left out, counted. Long reports are pages
 * with a "Show more" button, never cut silently.
 */
import type { OrphanReport } from '../domain/orphan-report.js';
import type { Verdict } from '../domain/orphans.js';
import { ACTION_IDS, markupFreeJson, parseButtonJson } from './actions.js';
import { actions, context, lineSections, reply, section, type Block, type ButtonSpec, type Reply } from './blocks.js';
import { code, escapeMrkdwn, plural } from './mrkdwn.js';
import { humanDuration, utcTime } from './time.js';

/** Orphans on one page: each is a section and an actions block, within the 50 blocks of a message. */
export const ORPHANS_PER_PAGE = 10;

/** What the report was asked for, carried by "Show more" to draw the next page of the same report. */
export interface OrphanQuery {
  cluster?: string;
  region?: string;
  all?: boolean;
  page: number;
}

export interface OrphanRenderOptions {
  commandName: string;
  query: OrphanQuery;
  /** For the scheduled report: what is new and what has gone since the previous one. */
  changes?: { isFirst: boolean; added: readonly string[]; gone: readonly string[] };
}

const KIND_WORDS = { classic: 'classic', network: 'network (NLB)', application: 'application (ALB)', gateway: 'gateway (GWLB)' } as const;

function usd(amount: number): string {
  return `$${amount.toFixed(2)}`;
}

function why(verdict: Verdict): string {
  if (verdict.status !== 'orphan') return '';
  switch (verdict.reason) {
    case 'service-gone':
      return 'its Service is gone';
    case 'not-load-balancer':
      return 'its Service is no longer of type LoadBalancer';
    case 'recreated':
      return 'its Service was recreated and has another load balancer';
  }
}

function serviceWords(verdict: Verdict): string {
  if (verdict.status !== 'orphan' && verdict.status !== 'in-use') return '';
  return `Service ${code(`${verdict.namespace}/${verdict.name}`)} on cluster ${code(verdict.cluster)}`;
}

/** The value of an orphan's buttons: its key (ARN, or region/name). */
export function orphanKeyValue(key: string): string {
  return markupFreeJson(key);
}

/** The key in an orphan button's value, or undefined when it is not one of ours. */
export function parseOrphanKeyValue(value: string): string | undefined {
  const parsed = parseButtonJson(value);
  return typeof parsed === 'string' && parsed !== '' ? parsed : undefined;
}

/** The value of a "Show more" button: the query of the next page, as JSON. */
export function orphanQueryValue(query: OrphanQuery): string {
  return markupFreeJson({ c: query.cluster, r: query.region, a: query.all ? 1 : undefined, p: query.page });
}

/** The query in a "Show more" button's value, or undefined when it is not one of ours. */
export function parseOrphanQueryValue(value: string): OrphanQuery | undefined {
  const parsed = parseButtonJson(value);
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { c, r, a, p } = parsed as Record<string, unknown>;
  if (!Number.isSafeInteger(p) || (p as number) < 0) return undefined;
  if ((c !== undefined && typeof c !== 'string') || (r !== undefined && typeof r !== 'string') || (a !== undefined && a !== 1)) return undefined;
  return { page: p as number, ...(c !== undefined ? { cluster: c } : {}), ...(r !== undefined ? { region: r } : {}), ...(a === 1 ? { all: true } : {}) };
}

function orphanButtons(key: string, name: string, monthly: string): ButtonSpec[] {
  return [
    {
      actionId: ACTION_IDS.orphanDelete,
      value: orphanKeyValue(key),
      label: 'Delete',
      style: 'danger',
      confirm: {
        title: 'Delete this load balancer?',
        text: `Asks for approval to delete ${name} (${monthly}/month). Its full description goes into the audit log first, so that it could be recreated.`,
        confirm: 'Ask to delete',
        deny: 'Cancel',
      },
    },
    { actionId: ACTION_IDS.orphanSnooze, value: orphanKeyValue(key), label: 'Snooze 7 days' },
    { actionId: ACTION_IDS.orphanIgnore, value: orphanKeyValue(key), label: 'Ignore' },
  ];
}

export function renderOrphanReport(report: OrphanReport, options: OrphanRenderOptions): Reply {
  const now = new Date(report.scannedAt);
  const { query, commandName } = options;
  const where = [query.cluster !== undefined ? `cluster ${code(query.cluster)}` : '', query.region !== undefined ? `region ${code(query.region)}` : ''].filter(Boolean).join(', ');
  const count = report.orphans.length;
  const title =
    count === 0 && report.lostClusters.length === 0
      ? `*No orphaned load balancers*${where ? ` in ${where}` : ''}.`
      : `*${plural(count, 'orphaned load balancer')}*${where ? ` in ${where}` : ''}${report.lostClusters.length > 0 ? ` and ${plural(report.lostClusters.reduce((n, g) => n + g.entries.length, 0), 'load balancer')} of unknown clusters` : ''}: about ${usd(report.monthlyUsd)}/month, ${usd(report.soFarUsd)} so far.`;
  const blocks: Block[] = [section(title)];
  const text: string[] = [title];

  if (report.missing.length > 0) {
    const missing = `:warning: Not in this report (not judged, never called orphans): ${report.missing.map((m) => `${m.kind} ${code(m.name)} (${escapeMrkdwn(m.problem)})`).join('; ')}.`;
    blocks.push(section(missing));
    text.push(missing);
  }

  if (options.changes && !options.changes.isFirst) {
    const { added, gone } = options.changes;
    const changed = added.length === 0 && gone.length === 0 ? 'Nothing new since the last report.' : `Since the last report: ${added.length} new, ${gone.length} gone${gone.length > 0 ? ` (${gone.slice(0, 5).map((k) => code(k)).join(', ')}${gone.length > 5 ? ', …' : ''})` : ''}.`;
    blocks.push(context(changed));
    text.push(changed);
  }

  const pages = Math.max(1, Math.ceil(count / ORPHANS_PER_PAGE));
  const page = Math.min(query.page, pages - 1);
  const shown = report.orphans.slice(page * ORPHANS_PER_PAGE, (page + 1) * ORPHANS_PER_PAGE);
  const added = new Set(options.changes?.added ?? []);
  for (const entry of shown) {
    const { lb, verdict, cost } = entry;
    const isNew = options.changes && !options.changes.isFirst && added.has(entry.key) ? ' :new:' : '';
    const lines = [
      `*${code(lb.name)}*${isNew} · ${KIND_WORDS[lb.kind]} · ${code(lb.region)} · ${code(lb.dnsName)}`,
      `${serviceWords(verdict)}: ${why(verdict)}${verdict.status === 'orphan' && verdict.idle ? '; nothing in service behind it' : ''}`,
      `Created ${utcTime(lb.createdAt, now)} (${humanDuration(report.scannedAt - lb.createdAt)} ago) · ${usd(cost.soFarUsd)} so far · ${usd(cost.monthlyUsd)}/month + ${cost.usageExtra}`,
    ];
    if (!entry.deletable) lines.push('_Tagged `shared`: not the cluster’s to delete, so svcbot offers no buttons._');
    blocks.push(section(lines));
    text.push(lines[0] ?? '');
    if (entry.deletable) blocks.push(actions(orphanButtons(entry.key, lb.name, usd(cost.monthlyUsd))));
  }
  if (page + 1 < pages) {
    const next = { ...query, page: page + 1 };
    blocks.push(actions([{ actionId: ACTION_IDS.orphansMore, value: orphanQueryValue(next), label: `Show more (page ${page + 2} of ${pages})` }]));
    text.push(`Page ${page + 1} of ${pages}.`);
  }

  if (report.lostClusters.length > 0) {
    const lines = report.lostClusters.map(
      (g) => `• cluster ${code(g.awsCluster)} unknown — ${plural(g.entries.length, 'load balancer')}, ${usd(g.monthlyUsd)}/month: ${g.entries.slice(0, 5).map((e) => code(e.lb.name)).join(', ')}${g.entries.length > 5 ? ', …' : ''}`,
    );
    blocks.push(...lineSections(['*Clusters svcbot is not configured for* (their load balancers may have outlived them):', ...lines], 3));
    text.push(...lines);
  }

  if (report.idle.length > 0) {
    const lines = report.idle.map((e) => `• ${code(e.lb.name)} — ${serviceWords(e.verdict)}: ${e.lb.registered === undefined ? 'nothing' : `0 of ${e.lb.registered}`} in service (a selector that matches no ready pod, or a dead backend)`);
    blocks.push(...lineSections(['*Idle* (in use, but nothing behind them answers):', ...lines], 3));
    text.push(...lines);
  }

  if (report.others.length > 0) {
    const lines = report.others.map((e) => `• ${code(e.lb.name)} — ${otherWords(e.verdict)}`);
    blocks.push(...lineSections(['*Also scanned*:', ...lines], 3));
  }

  const counted = [
    report.unmanagedCount > 0 ? `${plural(report.unmanagedCount, 'unmanaged load balancer')} (no cluster tag: not judged)` : '',
    report.settlingCount > 0 ? `${report.settlingCount} being made or torn down (within the grace period or with a job running)` : '',
    report.snoozedCount > 0 ? `${report.snoozedCount} snoozed` : '',
    report.ignoredCount > 0 ? `${report.ignoredCount} ignored (${code(`${commandName} orphans --ignored`)} lists them)` : '',
  ].filter(Boolean);
  const footer = `${counted.length > 0 ? `Also: ${counted.join(' · ')}. ` : ''}Costs are estimates from list prices; traffic is billed on top.`;
  blocks.push(context(footer));
  text.push(footer);
  return reply('ephemeral', text.join('\n'), blocks);
}

function otherWords(verdict: Verdict): string {
  switch (verdict.status) {
    case 'ingress':
      return `an Ingress's (${code(verdict.stack)} on cluster ${code(verdict.cluster)})${verdict.idle ? ', idle' : ''}`;
    case 'cluster-only':
      return `tagged for cluster ${code(verdict.cluster)} but names no Service: not svcbot's to judge`;
    case 'unknown':
      return `cluster ${code(verdict.cluster)} could not be listed`;
    case 'other-namespace':
      return `a Service's in namespace ${code(verdict.namespace)} of cluster ${code(verdict.cluster)}, where svcbot does not work: not svcbot's to judge`;
    case 'settling':
      return verdict.why === 'young' ? 'within the grace period' : 'its Service has a svcbot job running';
    default:
      return '';
  }
}

/**
 * `/svc orphans` and `/svc orphan delete|snooze|ignore|unignore`: the orphan report on demand, and what
 * the team does about one orphaned load balancer — each checked against the policy for the person asking.
 *
 * An action on one load balancer judges it again first, by itself (its description and tags from AWS, the
 * one Service it names, that cluster's running jobs), never from an old report: a Service recreated since,
 * or a load balancer someone else deleted, is seen. Deleting one goes through approval; once approved it
 * is judged once more, its full description goes into the audit log (so that it could be recreated), AWS
 * is asked to delete it, and svcbot watches until AWS no longer lists it. An approved deletion cut short by
 * a dying process is resumed by the approvals' sweeper; it is safe to run twice (a load balancer already
 * gone is reported as such).
 */
import type { Access, Acting } from './access.js';
import type { ApprovalRequests } from './approval-requests.js';
import { approvalNeeded, type ApprovalRequest, type ChangeSummary } from './approvals.js';
import type { AuditTrail } from './audit-trail.js';
import type { Command } from './command.js';
import { BotError } from './errors.js';
import { buildReport, costOf, loadBalancerKey, type LoadBalancerPrices, type OrphanReport, type ReportFilter } from './orphan-report.js';
import { scanForOrphans, UNFINISHED_JOB_STATES, type OrphanScanSources } from './orphan-scan.js';
import { attribute, classify, deletable, type ClassifyContext, type ListedService, type ScannedLoadBalancer, type Verdict } from './orphans.js';
import type { LoadBalancerRecord } from './load-balancer-record.js';
import type { ApprovalNeeds } from './policy.js';
import type { OperationResult } from './results.js';
import { inScope } from './namespace-scope.js';
import type { Logger } from '../ports/logger.js';
import type { IgnoredOrphan, OrphanStateStore } from '../ports/orphan-state.js';

export type OrphanCommand = Extract<Command, { kind: 'orphans' | 'orphan' }>;

export function isOrphanCommand(command: Command): command is OrphanCommand {
  return command.kind === 'orphans' || command.kind === 'orphan';
}

/** How long a report's later pages may be read from it rather than from a new scan. */
const REPORT_REUSE_MS = 10 * 60_000;

/** How long Snooze leaves a load balancer out of reports. */
export const SNOOZE_MS = 7 * 24 * 3_600_000;

/** One load balancer, found by its key, as a scan would see it, with its full description for the record. */
export interface FoundLoadBalancer {
  lb: ScannedLoadBalancer;
  /** Everything needed to recreate it: goes into the audit log before it is deleted. */
  record: LoadBalancerRecord;
  /** The record in a few lines, for people. */
  summary: string[];
}

/** The AWS side of acting on one load balancer. */
export interface OrphanTarget {
  /** The load balancer named by `key` (ARN, or REGION/NAME of a classic or v2 one); undefined when AWS does not list it. */
  find(key: string): Promise<FoundLoadBalancer | undefined>;
  /** Deletes it; `gone` when it was gone already. */
  delete(lb: ScannedLoadBalancer): Promise<'deleted' | 'gone'>;
  /** Whether AWS still lists it. */
  isListed(lb: ScannedLoadBalancer): Promise<boolean>;
}

export type OrphanResult =
  | { kind: 'report'; report: OrphanReport; query: { cluster?: string; region?: string; all?: boolean; page: number } }
  | { kind: 'ignored-list'; entries: IgnoredOrphan[]; now: number }
  | { kind: 'snoozed'; key: string; name: string; until: number }
  | { kind: 'ignored'; entry: IgnoredOrphan; already: boolean }
  | { kind: 'unignored'; key: string; name?: string; found: boolean }
  /** A deletion: asked for approval, or (approved, or no approval needed) done. */
  | { kind: 'operation'; result: OperationResult };

export interface OrphanCommandsDeps {
  /** What a scan covers (regions, clusters, inventories, jobs, grace). */
  sources: OrphanScanSources;
  target: OrphanTarget;
  state: OrphanStateStore;
  access: Pick<Access, 'check'>;
  audit: Pick<AuditTrail, 'record'>;
  approvals: Pick<ApprovalRequests, 'request'>;
  needs: ApprovalNeeds;
  prices: LoadBalancerPrices;
  logger: Logger;
  now?: () => number;
  /** How long a deletion watches for AWS to stop listing the load balancer (default 90 s, within an approved run's lease). */
  goneTimeoutMs?: number;
  /** Between two looks (default 2 s). */
  pollMs?: number;
  wait?: (ms: number) => Promise<void>;
  /** Told of each complete report (every region and cluster scanned): the metrics' orphan gauges. */
  onFullReport?: (report: OrphanReport) => void;
}

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Why svcbot will not act on it, in words; undefined when it is an orphan it may act on. */
function notActionable(verdict: Verdict, name: string, forDelete: boolean): string | undefined {
  switch (verdict.status) {
    case 'orphan':
      return verdict.shared ? `Load balancer \`${name}\` is tagged \`shared\`: it is not the cluster's to delete or set aside.` : undefined;
    case 'lost-cluster':
      if (verdict.shared) return `Load balancer \`${name}\` is tagged \`shared\`: it is not the cluster's to delete or set aside.`;
      return forDelete
        ? `Load balancer \`${name}\` belongs to cluster \`${verdict.awsCluster}\`, which svcbot is not configured for: svcbot cannot tell whether its Service still exists, so it does not delete it. Snooze or ignore it, or delete it in AWS.`
        : undefined;
    case 'unmanaged':
      return `Load balancer \`${name}\` has no cluster tag: svcbot does not judge it.`;
    case 'in-use':
      return `Load balancer \`${name}\` is in use by Service \`${verdict.namespace}/${verdict.name}\` on cluster \`${verdict.cluster}\`: it is not an orphan.`;
    case 'ingress':
      return `Load balancer \`${name}\` belongs to Ingress \`${verdict.stack}\` on cluster \`${verdict.cluster}\`: it is not a Service's orphan.`;
    case 'cluster-only':
      return `Load balancer \`${name}\` is tagged for cluster \`${verdict.cluster}\` but names no Service: svcbot does not judge it.`;
    case 'other-namespace':
      return `Load balancer \`${name}\` belongs to a Service in namespace \`${verdict.namespace}\` of cluster \`${verdict.cluster}\`, where svcbot does not work: svcbot cannot see that Service, so it does not judge it.`;
    case 'unknown':
      return `Cluster \`${verdict.cluster}\` could not be read, so svcbot cannot tell whether \`${name}\` is an orphan. Nothing was changed; try again.`;
    case 'settling':
      return `Load balancer \`${name}\` is ${verdict.why === 'young' ? 'younger than the grace period' : 'being changed by a svcbot job'}: it may be being made or torn down. Nothing was changed.`;
  }
}

/** Two keys of one load balancer: equal, or REGION/NAME naming the same one as an ARN or a classic key. */
function sameLoadBalancer(typed: string, entry: Pick<IgnoredOrphan, 'key' | 'name'>): boolean {
  if (typed === entry.key) return true;
  const slash = typed.indexOf('/');
  if (typed.startsWith('arn:') || slash === -1) return false;
  const region = typed.slice(0, slash);
  const name = typed.slice(slash + 1);
  const entryRegion = entry.key.startsWith('arn:') ? entry.key.split(':')[3] : entry.key.slice(0, entry.key.indexOf('/'));
  return entryRegion === region && entry.name === name;
}

export function makeOrphanCommands(deps: OrphanCommandsDeps) {
  const { sources, target, state, access, audit, approvals, needs, prices, logger, now = Date.now } = deps;
  const { goneTimeoutMs = 90_000, pollMs = 2000, wait: pause = wait } = deps;
  /** The newest report of each question (cluster, region, all), for its later pages. */
  const recentReports = new Map<string, OrphanReport>();

  /** The policy's check for an action on a load balancer of `verdict` (its Service's cluster and namespace when known). */
  function allow(acting: Acting, verdict: Verdict, name: string, approved?: ApprovalRequest): Promise<void> {
    const where = verdict.status === 'orphan' ? { cluster: verdict.cluster, namespace: verdict.namespace } : {};
    return access.check(acting, { subcommand: 'orphan', ...where }, { service: verdict.status === 'orphan' ? verdict.name : name, ...(approved ? { requestId: approved.id } : {}) });
  }

  /**
   * Judges one load balancer now, as a scan would: its cluster's one Service it names and that cluster's
   * running jobs are read for it (not the whole cluster). Undefined when AWS does not list it.
   */
  async function judge(key: string): Promise<{ found: FoundLoadBalancer; verdict: Verdict } | undefined> {
    const found = await target.find(key);
    if (!found) return undefined;
    const { lb } = found;
    const services = new Map<string, Map<string, ListedService>>();
    const busy = new Set<string>();
    const who = attribute(lb.tags);
    const cluster = who.owner === 'none' ? undefined : sources.clusters.find((c) => c.awsName === who.cluster && (c.region === undefined || c.region === lb.region));
    if (cluster && who.owner === 'service' && inScope(cluster.namespaces, who.namespace)) {
      try {
        const listed = new Map<string, ListedService>();
        try {
          const service = await sources.registry.get(cluster.name).cluster.getService(who.namespace, who.name);
          listed.set(`${who.namespace}/${who.name}`, { type: service.type, uid: service.uid });
        } catch (err) {
          if (!(err instanceof BotError && err.code === 'not_found')) throw err;
        }
        for (const job of await sources.jobs.list(cluster.name)) {
          if (UNFINISHED_JOB_STATES.has(job.state)) busy.add(`${job.cluster}/${job.namespace}/${job.name}`);
        }
        services.set(cluster.name, listed);
      } catch (err) {
        // Not listed: the verdict is "unknown", and nothing is done about it.
        logger.info({ err, cluster: cluster.name }, 'could not read the cluster to judge a load balancer');
      }
    } else if (cluster) {
      services.set(cluster.name, new Map());
    }
    const context: ClassifyContext = { clusters: sources.clusters, services, busy, graceMs: sources.graceMs, now: now() };
    return { found, verdict: classify(lb, context) };
  }

  function notListed(key: string): BotError {
    return new BotError('not_found', `AWS does not list a load balancer \`${key}\` (deleted already, or another region or name?). \`orphans\` shows the current ones.`);
  }

  /** A scan of what `filter` asks for, judged, priced and with what the team set aside left out. */
  async function reportOf(filter: ReportFilter, options: { signal?: AbortSignal } = {}): Promise<OrphanReport> {
    if (filter.region !== undefined && !sources.regions.includes(filter.region)) {
      throw new BotError('invalid', `svcbot does not scan region \`${filter.region}\`: it scans ${sources.regions.map((r) => `\`${r}\``).join(', ')} (ORPHAN_REGIONS).`);
    }
    const scan = await scanForOrphans(
      {
        ...sources,
        regions: filter.region === undefined ? sources.regions : [filter.region],
        // One cluster asked for: only its Services are listed (the others' load balancers are not shown).
        clusters: filter.cluster === undefined ? sources.clusters : sources.clusters.filter((c) => c.name === filter.cluster),
      },
      { ...options, onUnexpected: (err, part) => logger.error({ err, part }, 'orphan scan: unexpected error') },
    );
    const setAside = await state.setAside(now());
    const built = buildReport(scan.scanned, scan.context, { prices, filter, setAside: { snoozedUntil: setAside.snoozedUntil, ignored: new Set(setAside.ignored.map((i) => i.key)) }, missing: scan.missing });
    if (filter.region === undefined && filter.cluster === undefined && scan.missing.length === 0) deps.onFullReport?.(built);
    return built;
  }

  async function report(command: Extract<OrphanCommand, { kind: 'orphans' }>, acting: Acting): Promise<OrphanResult> {
    const cluster = command.cluster === undefined ? undefined : sources.registry.get(command.cluster).cluster.name;
    // The report spans clusters: only rules about no cluster in particular apply, unless one is asked for.
    await access.check(acting, { subcommand: 'orphans', ...(cluster === undefined ? {} : { cluster }) });
    if (command.ignored) {
      const { ignored } = await state.setAside(now());
      return { kind: 'ignored-list', entries: ignored, now: now() };
    }
    const filter = { ...(cluster === undefined ? {} : { cluster }), ...(command.region === undefined ? {} : { region: command.region }), ...(command.all ? { all: true } : {}) };
    // "Show more" (a later page) reads the report this process made for the same question a moment ago, if
    // any: a scan of a large account takes minutes, and the pages of one report should agree.
    const key = JSON.stringify([filter.cluster, filter.region, filter.all]);
    const recent = recentReports.get(key);
    const report = command.page > 0 && recent !== undefined && now() - recent.scannedAt < REPORT_REUSE_MS ? recent : await reportOf(filter);
    recentReports.set(key, report);
    return { kind: 'report', report, query: { ...filter, page: command.page } };
  }

  /** Snooze or ignore: the load balancer must be an orphan (or of a lost cluster) the team may set aside. */
  async function setAside(command: Extract<OrphanCommand, { kind: 'orphan' }>, acting: Acting): Promise<OrphanResult> {
    const judged = await judge(command.key);
    if (!judged) throw notListed(command.key);
    const { lb } = judged.found;
    const refusal = notActionable(judged.verdict, lb.name, false);
    if (refusal) throw new BotError('invalid', refusal);
    await allow(acting, judged.verdict, lb.name);
    const key = loadBalancerKey(lb);
    const about = judged.verdict.status === 'orphan' ? { cluster: judged.verdict.cluster, namespace: judged.verdict.namespace, service: judged.verdict.name } : {};
    const typed = acting.commandText === undefined ? {} : { command: acting.commandText };
    if (command.action === 'snooze') {
      const until = now() + SNOOZE_MS;
      await state.snooze(key, until);
      await audit.record({ action: 'change', userId: acting.userId, ...typed, ...about, result: `snoozed orphaned load balancer ${lb.name} (${key}) for 7 days` });
      return { kind: 'snoozed', key, name: lb.name, until };
    }
    const entry: IgnoredOrphan = { key, name: lb.name, by: acting.userId, at: now(), reason: command.reason ?? '' };
    const outcome = await state.ignore(entry);
    if (outcome === 'ignored') {
      await audit.record({ action: 'change', userId: acting.userId, ...typed, ...about, result: `ignored orphaned load balancer ${lb.name} (${key}): ${entry.reason}` });
      return { kind: 'ignored', entry, already: false };
    }
    const { ignored } = await state.setAside(now());
    return { kind: 'ignored', entry: ignored.find((i) => i.key === key) ?? entry, already: true };
  }

  async function unignore(command: Extract<OrphanCommand, { kind: 'orphan' }>, acting: Acting): Promise<OrphanResult> {
    // The load balancer may be gone by now: taking it back into reports needs no look at AWS.
    await access.check(acting, { subcommand: 'orphan' });
    const { ignored } = await state.setAside(now());
    const entry = ignored.find((i) => sameLoadBalancer(command.key, i));
    if (!entry || !(await state.unignore(entry.key))) return { kind: 'unignored', key: command.key, found: false };
    await audit.record({ action: 'change', userId: acting.userId, ...(acting.commandText === undefined ? {} : { command: acting.commandText }), result: `took load balancer ${entry.name} (${entry.key}) back into orphan reports` });
    return { kind: 'unignored', key: entry.key, name: entry.name, found: true };
  }

  /** Until AWS no longer lists it, or `goneTimeoutMs`. */
  async function watchGone(lb: ScannedLoadBalancer): Promise<boolean> {
    const deadline = now() + goneTimeoutMs;
    for (;;) {
      if (!(await target.isListed(lb))) return true;
      if (now() >= deadline) return false;
      await pause(pollMs);
    }
  }

  async function remove(command: Extract<OrphanCommand, { kind: 'orphan' }>, acting: Acting & { channelId?: string; responseUrl?: string }, approved?: ApprovalRequest): Promise<OrphanResult> {
    const judged = await judge(command.key);
    if (!judged) {
      if (!approved?.change.loadBalancer) throw notListed(command.key);
      // Approved, and gone since: someone else deleted it, or an interrupted run had. Nothing bills any more.
      const { loadBalancer, cluster, namespace, name } = approved.change;
      await audit.record({ action: 'change', userId: acting.userId, ...(acting.commandText === undefined ? {} : { command: acting.commandText }), cluster, namespace, service: name, requestId: approved.id, result: `load balancer ${loadBalancer.name} (${loadBalancer.key}) was gone already: no further charges` });
      return {
        kind: 'operation',
        result: { kind: 'load-balancer-deleted', result: { key: loadBalancer.key, name: loadBalancer.name, kind: loadBalancer.kind as ScannedLoadBalancer['kind'], region: loadBalancer.region, service: { cluster, namespace, name }, monthlyUsd: approved.cost?.monthlyUsd ?? 0, gone: true, alreadyGone: true, summary: [] } },
      };
    }
    const { found, verdict } = judged;
    const { lb } = found;
    const key = loadBalancerKey(lb);
    const refusal = notActionable(verdict, lb.name, true);
    if (refusal || verdict.status !== 'orphan' || !deletable(verdict)) {
      throw new BotError(approved ? 'stale_request' : 'invalid', `${refusal ?? `Load balancer \`${lb.name}\` is not an orphan svcbot may delete.`}${approved ? ' It changed since the request: nothing was deleted.' : ''}`);
    }
    await allow(acting, verdict, lb.name, approved);
    const cost = costOf(lb, prices, now());
    const service = { cluster: verdict.cluster, namespace: verdict.namespace, name: verdict.name };
    if (!approved) {
      const why = approvalNeeded(command, undefined, needs);
      if (why !== undefined) {
        const change: ChangeSummary = { kind: 'delete-load-balancer', ...service, ports: [], loadBalancer: { key, name: lb.name, kind: lb.kind, region: lb.region } };
        // The request keeps the canonical key: what runs once approved names exactly this load balancer.
        const { request, alreadyWaiting } = await approvals.request(
          { command: { ...command, key }, change, why, cost: { region: lb.region, hourlyUsd: cost.hourlyUsd, monthlyUsd: cost.monthlyUsd } },
          acting,
        );
        return { kind: 'operation', result: { kind: 'approval-requested', request, ...(alreadyWaiting ? { alreadyWaiting: true as const } : {}) } };
      }
    }
    const about = { userId: acting.userId, ...(acting.commandText === undefined ? {} : { command: acting.commandText }), cluster: service.cluster, namespace: service.namespace, service: service.name, ...(approved ? { requestId: approved.id } : {}) };
    // The description first, in full: if the deletion turns out to be a mistake, this is how to recreate it.
    await audit.record({ ...about, action: 'change', result: `deleting orphaned load balancer ${lb.name} (${key}); its description is kept with this entry: ${found.summary.join('; ')}`, snapshot: found.record });
    const outcome = await target.delete(lb);
    const gone = await watchGone(lb);
    await audit.record({
      ...about,
      action: 'change',
      result: gone
        ? `deleted orphaned load balancer ${lb.name} (${key}): AWS no longer lists it, no further charges (about $${cost.monthlyUsd.toFixed(2)}/month saved)`
        : `asked AWS to delete orphaned load balancer ${lb.name} (${key}); AWS still listed it ${Math.round(goneTimeoutMs / 1000)} s later`,
    });
    logger.info({ key, gone, outcome }, 'deleted an orphaned load balancer');
    return {
      kind: 'operation',
      result: { kind: 'load-balancer-deleted', result: { key, name: lb.name, kind: lb.kind, region: lb.region, service, monthlyUsd: cost.monthlyUsd, gone, alreadyGone: outcome === 'gone', summary: found.summary } },
    };
  }

  return {
    /** The report svcbot itself asks for (the scheduled one): no person, no policy check. */
    reportOf,
    run(command: OrphanCommand, acting: Acting & { channelId?: string; responseUrl?: string }, options: { approved?: ApprovalRequest } = {}): Promise<OrphanResult> {
      if (command.kind === 'orphans') return report(command, acting);
      switch (command.action) {
        case 'delete':
          return remove(command, acting, options.approved);
        case 'snooze':
        case 'ignore':
          return setAside(command, acting);
        case 'unignore':
          return unignore(command, acting);
      }
    },
  };
}

export type OrphanCommands = ReturnType<typeof makeOrphanCommands>;

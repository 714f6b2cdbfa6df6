/**
 * The orphan report: every scanned load balancer judged (`classify`), priced, sorted into what the
 * report shows, with what it could not see said out loud, and compared with the previous report. Pure.
 */
import { classify, deletable, type ClassifyContext, type ScannedLoadBalancer, type Verdict } from './orphans.js';

/** USD an hour by region for each kind; a region not listed costs what `defaultRegion` costs. */
export interface LoadBalancerPrices {
  classic: Readonly<Record<string, number>>;
  network: Readonly<Record<string, number>>;
  application: Readonly<Record<string, number>>;
  gateway: Readonly<Record<string, number>>;
}

/** us-east-1's list prices: classic $0.025/h; NLB, ALB and GWLB $0.0225/h plus capacity units. */
export const DEFAULT_LOAD_BALANCER_PRICES: LoadBalancerPrices = {
  classic: { 'us-east-1': 0.025 },
  network: { 'us-east-1': 0.0225 },
  application: { 'us-east-1': 0.0225 },
  gateway: { 'us-east-1': 0.0125 },
};

const HOURS_PER_MONTH = 730;

export interface Cost {
  hourlyUsd: number;
  monthlyUsd: number;
  /** Since the load balancer was made, at today's price. */
  soFarUsd: number;
  /** NLB/ALB/GWLB: capacity units are billed on top (classic: data processed). */
  usageExtra: 'data processed' | 'capacity units';
}

function cents(usd: number): number {
  return Math.round(usd * 100) / 100;
}

export function costOf(lb: Pick<ScannedLoadBalancer, 'kind' | 'region' | 'createdAt'>, prices: LoadBalancerPrices, now: number): Cost {
  const table = prices[lb.kind];
  const hourlyUsd = table[lb.region] ?? table['us-east-1'] ?? DEFAULT_LOAD_BALANCER_PRICES[lb.kind]['us-east-1'] ?? 0;
  const hours = Math.max(0, now - lb.createdAt) / 3600_000;
  return {
    hourlyUsd,
    monthlyUsd: cents(hourlyUsd * HOURS_PER_MONTH),
    soFarUsd: cents(hourlyUsd * hours),
    usageExtra: lb.kind === 'classic' ? 'data processed' : 'capacity units',
  };
}

/** How a report names a load balancer across scans: its ARN (v2) or region and name (classic). */
export function loadBalancerKey(lb: Pick<ScannedLoadBalancer, 'arn' | 'region' | 'name'>): string {
  return lb.arn ?? `${lb.region}/${lb.name}`;
}

interface ReportEntry {
  key: string;
  lb: ScannedLoadBalancer;
  verdict: Verdict;
  cost: Cost;
  /** Offered for deletion (an owned orphan); shared, unmanaged and Ingress load balancers never are. */
  deletable: boolean;
}

/** What the user asked to see. */
export interface ReportFilter {
  cluster?: string;
  region?: string;
  /** Also the idle ones in use, the Ingresses', the cluster-only and the settling ones. */
  all?: boolean;
}

/** Part of the scan that failed: its load balancers or Services are not in the report. */
export interface MissingPart {
  kind: 'region' | 'cluster';
  name: string;
  /** In words, for the report. */
  problem: string;
}

/** What the user set aside: snoozed until a time, or ignored with a reason. */
export interface SetAside {
  snoozedUntil?: ReadonlyMap<string, number>;
  ignored?: ReadonlySet<string>;
}

interface LostCluster {
  awsCluster: string;
  entries: ReportEntry[];
  monthlyUsd: number;
}

export interface OrphanReport {
  scannedAt: number;
  /** Owned or shared orphans of managed clusters, oldest first. */
  orphans: ReportEntry[];
  /** Load balancers of clusters svcbot does not know, by cluster. */
  lostClusters: LostCluster[];
  /** In use, but nothing behind them in service. */
  idle: ReportEntry[];
  /** With `all`: the Ingresses', the cluster-only, the settling and the unknown ones. */
  others: ReportEntry[];
  /** Load balancers with no cluster tag: counted only. */
  unmanagedCount: number;
  settlingCount: number;
  snoozedCount: number;
  ignoredCount: number;
  missing: MissingPart[];
  /** Monthly USD of the orphans and the lost clusters' load balancers. */
  monthlyUsd: number;
  soFarUsd: number;
}

function byAge(a: ReportEntry, b: ReportEntry): number {
  return a.lb.createdAt - b.lb.createdAt || a.key.localeCompare(b.key);
}

function clusterOfVerdict(verdict: Verdict): string | undefined {
  return 'cluster' in verdict ? verdict.cluster : undefined;
}

export function buildReport(
  scanned: readonly ScannedLoadBalancer[],
  context: ClassifyContext,
  options: { prices: LoadBalancerPrices; filter?: ReportFilter; setAside?: SetAside; missing?: readonly MissingPart[] },
): OrphanReport {
  const filter = options.filter ?? {};
  const report: OrphanReport = {
    scannedAt: context.now,
    orphans: [],
    lostClusters: [],
    idle: [],
    others: [],
    unmanagedCount: 0,
    settlingCount: 0,
    snoozedCount: 0,
    ignoredCount: 0,
    missing: [...(options.missing ?? [])],
    monthlyUsd: 0,
    soFarUsd: 0,
  };
  const lost = new Map<string, LostCluster>();
  for (const lb of scanned) {
    if (filter.region !== undefined && lb.region !== filter.region) continue;
    const verdict = classify(lb, context);
    if (filter.cluster !== undefined && clusterOfVerdict(verdict) !== filter.cluster) continue;
    const key = loadBalancerKey(lb);
    const entry: ReportEntry = { key, lb, verdict, cost: costOf(lb, options.prices, context.now), deletable: deletable(verdict) };
    const counted = verdict.status === 'orphan' || verdict.status === 'lost-cluster';
    if (counted && options.setAside?.ignored?.has(key)) {
      report.ignoredCount++;
      continue;
    }
    if (counted && (options.setAside?.snoozedUntil?.get(key) ?? 0) > context.now) {
      report.snoozedCount++;
      continue;
    }
    switch (verdict.status) {
      case 'orphan':
        report.orphans.push(entry);
        break;
      case 'lost-cluster': {
        const group = lost.get(verdict.awsCluster) ?? { awsCluster: verdict.awsCluster, entries: [], monthlyUsd: 0 };
        group.entries.push(entry);
        group.monthlyUsd = cents(group.monthlyUsd + entry.cost.monthlyUsd);
        lost.set(verdict.awsCluster, group);
        break;
      }
      case 'unmanaged':
        report.unmanagedCount++;
        break;
      case 'settling':
        report.settlingCount++;
        if (filter.all) report.others.push(entry);
        break;
      case 'in-use':
        if (verdict.idle) report.idle.push(entry);
        break;
      case 'ingress':
      case 'cluster-only':
      case 'unknown':
      case 'other-namespace':
        if (filter.all) report.others.push(entry);
        break;
    }
  }
  report.orphans.sort(byAge);
  report.idle.sort(byAge);
  report.others.sort(byAge);
  report.lostClusters = [...lost.values()].sort((a, b) => b.monthlyUsd - a.monthlyUsd || a.awsCluster.localeCompare(b.awsCluster));
  for (const group of report.lostClusters) group.entries.sort(byAge);
  const costed = [...report.orphans, ...report.lostClusters.flatMap((g) => g.entries)];
  report.monthlyUsd = cents(costed.reduce((sum, e) => sum + e.cost.monthlyUsd, 0));
  report.soFarUsd = cents(costed.reduce((sum, e) => sum + e.cost.soFarUsd, 0));
  return report;
}

/** The keys a scheduled report remembers, to say next time what is new and what has gone. */
export function reportedKeys(report: OrphanReport): string[] {
  return [...report.orphans, ...report.lostClusters.flatMap((g) => g.entries)].map((e) => e.key).sort();
}

/** What is new since the previous report's keys, and which of those keys are gone. */
export function changesSince(previous: readonly string[] | undefined, report: OrphanReport): { isFirst: boolean; added: string[]; gone: string[] } {
  const now = reportedKeys(report);
  if (previous === undefined) return { isFirst: true, added: now, gone: [] };
  const before = new Set(previous);
  const current = new Set(now);
  return { isFirst: false, added: now.filter((k) => !before.has(k)), gone: previous.filter((k) => !current.has(k)) };
}

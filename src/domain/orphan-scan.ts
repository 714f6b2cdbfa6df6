/**
 * One orphan scan: every configured region's load balancers and every configured cluster's Services,
 * listed once each and all at the same time, then judged together. A region or a cluster that cannot be
 * listed is named in the report as missing; its load balancers are never called orphans because of it
 * (a cluster that could not be listed makes its load balancers "unknown", not orphaned), and the rest of
 * the report stands.
 */
import type { ClusterRegistry } from '../ports/clusters.js';
import type { LoadBalancerInventory } from '../ports/load-balancer-inventory.js';
import type { LbJobQueue } from '../ports/queue.js';
import { BotError } from './errors.js';
import type { MissingPart } from './orphan-report.js';
import type { ClassifyContext, ListedService, ScannedLoadBalancer } from './orphans.js';

export interface OrphanScanSources {
  /** The AWS regions to scan (`ORPHAN_REGIONS`). */
  regions: readonly string[];
  /** svcbot's clusters with their AWS names, for attribution. */
  clusters: readonly { name: string; awsName: string; region: string | undefined; namespaces?: readonly string[] | undefined }[];
  registry: ClusterRegistry;
  inventory: LoadBalancerInventory;
  /** Unfinished jobs: their Services' load balancers are being made or torn down. */
  jobs: Pick<LbJobQueue, 'list'>;
  graceMs: number;
  now: () => number;
}

export interface OrphanScan {
  scanned: ScannedLoadBalancer[];
  context: ClassifyContext;
  missing: MissingPart[];
}

/** The job states of a load balancer still being made or torn down. */
export const UNFINISHED_JOB_STATES: ReadonlySet<string> = new Set(['waiting', 'active', 'delayed']);

/** What went wrong, in words fit for the report (a BotError's message; anything else, its class). */
function problemOf(err: unknown): string {
  if (err instanceof BotError) return err.userMessage;
  return 'an unexpected error (see the logs)';
}

export async function scanForOrphans(sources: OrphanScanSources, options: { signal?: AbortSignal; onUnexpected?: (err: unknown, part: MissingPart) => void } = {}): Promise<OrphanScan> {
  const missing: MissingPart[] = [];
  const fail = (kind: MissingPart['kind'], name: string, err: unknown): void => {
    const part = { kind, name, problem: problemOf(err) };
    missing.push(part);
    if (!(err instanceof BotError)) options.onUnexpected?.(err, part);
  };
  const signal = options.signal;
  const regionScans = sources.regions.map(async (region) => {
    try {
      return await sources.inventory.scan(region, signal ? { signal } : {});
    } catch (err) {
      fail('region', region, err);
      return [];
    }
  });
  const services = new Map<string, Map<string, ListedService>>();
  const busy = new Set<string>();
  const clusterScans = sources.clusters.map(async ({ name }) => {
    try {
      const [listed, jobs] = await Promise.all([sources.registry.get(name).cluster.listServices(null), sources.jobs.list(name)]);
      services.set(name, new Map(listed.map((s) => [`${s.namespace}/${s.name}`, { type: s.type, uid: s.uid }])));
      for (const job of jobs) if (UNFINISHED_JOB_STATES.has(job.state)) busy.add(`${job.cluster}/${job.namespace}/${job.name}`);
    } catch (err) {
      fail('cluster', name, err);
    }
  });
  const [scanned] = await Promise.all([Promise.all(regionScans), Promise.all(clusterScans)]);
  missing.sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
  return {
    scanned: scanned.flat(),
    context: { clusters: sources.clusters, services, busy, graceMs: sources.graceMs, now: sources.now() },
    missing,
  };
}

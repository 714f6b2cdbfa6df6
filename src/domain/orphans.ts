/**
 * Orphaned load balancers: who a load balancer belongs to, read from its tags, and whether that owner
 * still wants it. Pure: the scan (the ELB APIs, the Service lists) happens in adapters and arrives here
 * as plain records.
 *
 * Who owns a load balancer, by the tags the two Kubernetes controllers that make them write:
 * - the in-tree AWS cloud provider (classic ELBs and `service.beta.kubernetes.io/aws-load-balancer-type:
 *   nlb`): `kubernetes.io/cluster/<cluster>` = `owned` or `shared`, and `kubernetes.io/service-name` =
 *   `<namespace>/<name>`; clusters from before Kubernetes 1.6 tag `KubernetesCluster=<cluster>`;
 * - the AWS Load Balancer Controller: `elbv2.k8s.aws/cluster` = `<cluster>`, and `service.k8s.aws/stack`
 *   = `<namespace>/<name>` for a Service's NLB or `ingress.k8s.aws/stack` for an Ingress's (or an
 *   IngressGroup's) ALB.
 *
 * What becomes of it:
 * - **orphan**: its cluster is one svcbot manages and the Service it names is gone, is no longer of
 *   type LoadBalancer, or is a newer Service of the same name whose load balancer is another one (the
 *   in-tree provider names a load balancer after its Service's UID: `a` + the UID without dashes, 32
 *   characters);
 * - **lost cluster**: its cluster tag names a cluster svcbot is not configured for;
 * - **unmanaged**: no cluster tag at all — counted, never called an orphan;
 * - **ingress**: an Ingress's load balancer — svcbot manages Services, so it is listed under its
 *   Ingress and never called an orphan;
 * - **cluster only**: tagged for a managed cluster but naming no Service or Ingress — made by
 *   something else (a tool, a person), not svcbot's to judge: listed, never called an orphan;
 * - **in use**: the Service wants it; flagged **idle** when nothing behind it is in service;
 * - **unknown**: its cluster could not be listed in this scan — never guessed to be an orphan;
 * - **settling**: younger than the grace period, or its Service has a svcbot job running: being made or
 *   torn down, not an orphan yet.
 * A `shared` cluster tag means the load balancer is not the cluster's to delete: reported, never
 * offered for deletion; nor is an unmanaged or an Ingress's one.
 */
import { inScope } from './namespace-scope.js';

type LoadBalancerKind = 'classic' | 'network' | 'application' | 'gateway';

/** One load balancer as a scan found it. */
export interface ScannedLoadBalancer {
  region: string;
  name: string;
  /** ELBv2's ARN; classic load balancers have none. */
  arn?: string;
  kind: LoadBalancerKind;
  dnsName: string;
  /** Epoch ms. */
  createdAt: number;
  tags: Readonly<Record<string, string>>;
  /** How many instances (classic) or targets (v2) are in service / healthy; undefined = not known. */
  inService?: number;
  /** How many instances or targets are registered at all; undefined = not known. */
  registered?: number;
}

/** Who a load balancer says it belongs to. */
export type Attribution =
  | { owner: 'service'; cluster: string; namespace: string; name: string; shared: boolean; controller: 'in-tree' | 'aws-load-balancer-controller' }
  | { owner: 'ingress'; cluster: string; stack: string; shared: boolean }
  /** A cluster tag, but no Service or Ingress tag: made by something else for the cluster. */
  | { owner: 'cluster'; cluster: string; shared: boolean }
  | { owner: 'none' };

const CLUSTER_TAG_PREFIX = 'kubernetes.io/cluster/';
const LEGACY_CLUSTER_TAG = 'KubernetesCluster';
const SERVICE_NAME_TAG = 'kubernetes.io/service-name';
const LBC_CLUSTER_TAG = 'elbv2.k8s.aws/cluster';
const LBC_SERVICE_TAG = 'service.k8s.aws/stack';
const LBC_INGRESS_TAG = 'ingress.k8s.aws/stack';

function namespacedName(value: string | undefined): { namespace: string; name: string } | undefined {
  if (value === undefined) return undefined;
  const slash = value.indexOf('/');
  if (slash <= 0 || slash === value.length - 1 || value.indexOf('/', slash + 1) !== -1) return undefined;
  return { namespace: value.slice(0, slash), name: value.slice(slash + 1) };
}

/** The cluster a load balancer's tags name, and whether it is only shared with that cluster. */
function clusterOf(tags: Readonly<Record<string, string>>): { cluster: string; shared: boolean } | undefined {
  for (const [key, value] of Object.entries(tags)) {
    if (key.startsWith(CLUSTER_TAG_PREFIX) && key.length > CLUSTER_TAG_PREFIX.length) {
      return { cluster: key.slice(CLUSTER_TAG_PREFIX.length), shared: value === 'shared' };
    }
  }
  const lbc = tags[LBC_CLUSTER_TAG];
  if (lbc) return { cluster: lbc, shared: false };
  const legacy = tags[LEGACY_CLUSTER_TAG];
  if (legacy) return { cluster: legacy, shared: false };
  return undefined;
}

export function attribute(tags: Readonly<Record<string, string>>): Attribution {
  const cluster = clusterOf(tags);
  if (!cluster) return { owner: 'none' };
  const ingress = tags[LBC_INGRESS_TAG];
  if (ingress) return { owner: 'ingress', cluster: cluster.cluster, stack: ingress, shared: cluster.shared };
  const lbcService = namespacedName(tags[LBC_SERVICE_TAG]);
  if (lbcService) return { owner: 'service', ...cluster, ...lbcService, controller: 'aws-load-balancer-controller' };
  const inTree = namespacedName(tags[SERVICE_NAME_TAG]);
  if (inTree) return { owner: 'service', ...cluster, ...inTree, controller: 'in-tree' };
  return { owner: 'cluster', ...cluster };
}

/**
 * The name the in-tree AWS cloud provider gives a Service's load balancer: `a` + its UID without
 * dashes, cut to 32 characters (`cloudprovider.DefaultLoadBalancerName`).
 */
export function inTreeLoadBalancerName(serviceUid: string): string {
  return `a${serviceUid.replace(/-/g, '')}`.slice(0, 32);
}

/** A Service as the scan's one list per cluster found it. */
export interface ListedService {
  type: string;
  uid: string;
}

/** A cluster svcbot manages, as its load balancers' tags name it. */
interface ManagedCluster {
  /** svcbot's name for it (what users type after `--cluster`). */
  name: string;
  /** `kubernetes.io/cluster/<awsName>`. */
  awsName: string;
  /** Its load balancers' region; undefined = any. */
  region: string | undefined;
  /** The namespaces svcbot works in there (a namespaced install); undefined = every namespace. */
  namespaces?: readonly string[] | undefined;
}

export interface ClassifyContext {
  clusters: readonly ManagedCluster[];
  /**
   * The Services of each cluster (svcbot's name) by `namespace/name`; a cluster missing here could not
   * be listed in this scan.
   */
  services: ReadonlyMap<string, ReadonlyMap<string, ListedService>>;
  /** `cluster/namespace/name` of the Services with a svcbot job running. */
  busy: ReadonlySet<string>;
  /** Load balancers younger than this (ms) are settling; 0 = no grace. */
  graceMs: number;
  now: number;
}

type OrphanReason = 'service-gone' | 'not-load-balancer' | 'recreated';

export type Verdict =
  | { status: 'orphan'; cluster: string; namespace: string; name: string; reason: OrphanReason; shared: boolean; idle: boolean }
  | { status: 'lost-cluster'; awsCluster: string; shared: boolean }
  | { status: 'unmanaged' }
  | { status: 'ingress'; cluster: string; stack: string; idle: boolean }
  /** Tagged for a managed cluster but naming no Service or Ingress: made by something else. */
  | { status: 'cluster-only'; cluster: string; idle: boolean }
  | { status: 'in-use'; cluster: string; namespace: string; name: string; idle: boolean }
  | { status: 'unknown'; cluster: string }
  /** A Service's, in a namespace a namespaced install does not work in: svcbot cannot see it, so it does not judge. */
  | { status: 'other-namespace'; cluster: string; namespace: string }
  | { status: 'settling'; why: 'young' | 'job-running' };

/** Nothing behind it in service, as far as the scan could tell (AWS Trusted Advisor's "idle"). */
function isIdle(lb: Pick<ScannedLoadBalancer, 'inService'>): boolean {
  return lb.inService === 0;
}

function managedCluster(ctx: ClassifyContext, awsName: string, region: string): ManagedCluster | undefined {
  return ctx.clusters.find((c) => c.awsName === awsName && (c.region === undefined || c.region === region));
}

export function classify(lb: ScannedLoadBalancer, ctx: ClassifyContext): Verdict {
  const who = attribute(lb.tags);
  if (who.owner === 'none') return { status: 'unmanaged' };
  const cluster = managedCluster(ctx, who.cluster, lb.region);
  if (!cluster) return { status: 'lost-cluster', awsCluster: who.cluster, shared: who.shared };
  if (who.owner === 'ingress') return { status: 'ingress', cluster: cluster.name, stack: who.stack, idle: isIdle(lb) };
  if (ctx.graceMs > 0 && ctx.now - lb.createdAt < ctx.graceMs) return { status: 'settling', why: 'young' };
  if (who.owner === 'service' && !inScope(cluster.namespaces, who.namespace)) return { status: 'other-namespace', cluster: cluster.name, namespace: who.namespace };
  const services = ctx.services.get(cluster.name);
  if (!services) return { status: 'unknown', cluster: cluster.name };
  if (who.owner === 'cluster') return { status: 'cluster-only', cluster: cluster.name, idle: isIdle(lb) };
  if (ctx.busy.has(`${cluster.name}/${who.namespace}/${who.name}`)) return { status: 'settling', why: 'job-running' };
  const where = { cluster: cluster.name, namespace: who.namespace, name: who.name };
  const service = services.get(`${who.namespace}/${who.name}`);
  const orphan = (reason: OrphanReason): Verdict => ({ status: 'orphan', ...where, reason, shared: who.shared, idle: isIdle(lb) });
  if (!service) return orphan('service-gone');
  if (service.type !== 'LoadBalancer') return orphan('not-load-balancer');
  // Only the in-tree provider derives the name from the UID; the controller's names carry a hash.
  if (who.controller === 'in-tree' && inTreeLoadBalancerName(service.uid) !== lb.name) return orphan('recreated');
  return { status: 'in-use', ...where, idle: isIdle(lb) };
}

/** Whether svcbot may offer to delete it: an orphan of a cluster that owns it. */
export function deletable(verdict: Verdict): boolean {
  return verdict.status === 'orphan' && !verdict.shared;
}

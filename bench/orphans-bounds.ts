/**
 * The arithmetic of `bench/orphans`, pure: how many calls of each kind the issue allows a scan of N load
 * balancers and S Services (its targets), and the least time the calls a scan actually made can take
 * under the sandbox's rate limit and latency (the lower bound its wall time is compared with).
 */

/** The largest page of `DescribeLoadBalancers` and `DescribeTargetGroups`, and of a Kubernetes list as svcbot asks for it. */
const ELB_PAGE = 400;
const TAGS_PER_CALL = 20;
const KUBE_PAGE = 500;

/** Calls the issue allows one API for `n` load balancers: ⌈n/400⌉ describe pages and ⌈n/20⌉ tag calls. */
export function elbTargets(n: number): { describePages: number; tagCalls: number } {
  return { describePages: Math.ceil(n / ELB_PAGE), tagCalls: Math.ceil(n / TAGS_PER_CALL) };
}

/**
 * Pages of one unfiltered `DescribeTargetGroups` over `groups` target groups (400 a page, the largest):
 * at least one, even with none.
 */
export function targetGroupPages(groups: number): number {
  return Math.max(1, Math.ceil(groups / ELB_PAGE));
}

/**
 * List pages of one walk over a cluster's `s` Services. An empty cluster still costs one page, and a
 * count that is a multiple of the page size costs no extra one: the API server sends no `continue` token
 * once the last item is in the page.
 */
export function kubeListPages(s: number): number {
  return Math.max(1, Math.ceil(s / KUBE_PAGE));
}

export interface ScanCallsMade {
  /** Every ELB call that was answered (throttled answers left out: they do not count against the window). */
  elbCalls: number;
  /** The ELB API's limit, calls per second over a sliding one-second window. */
  ratePerSecond: number;
  /** Describe pages of each API: each page names the next, so they run one after another. */
  describePagesPerApi: readonly number[];
  elbLatencyMs: number;
  /** List pages of each cluster's walk (one after another within a cluster). */
  kubePagesPerCluster: readonly number[];
  kubeLatencyMs: number;
}

export interface LowerBound {
  /** The rate limit's share: all answered calls at exactly the limit, ms. */
  rateMs: number;
  /** The longest chain of describe pages (one API), ms. */
  describeChainMs: number;
  /** The longest list walk (one cluster), ms. */
  kubeChainMs: number;
  /** The least wall time for these calls: the largest of the three, ms. */
  boundMs: number;
}

/**
 * The least time the calls can take: the calls at the rate limit, or the longest chain of calls that
 * must wait for each other (describe pages; list pages), whichever is longer. A lower bound, not a
 * model: it ignores that tags need the pages first and that a one-second window admits its first
 * `rate` calls at once.
 */
export function lowerBound(made: ScanCallsMade): LowerBound {
  const rateMs = made.ratePerSecond > 0 ? (made.elbCalls / made.ratePerSecond) * 1000 : 0;
  const describeChainMs = Math.max(0, ...made.describePagesPerApi) * made.elbLatencyMs;
  const kubeChainMs = Math.max(0, ...made.kubePagesPerCluster) * made.kubeLatencyMs;
  return { rateMs, describeChainMs, kubeChainMs, boundMs: Math.max(rateMs, describeChainMs, kubeChainMs) };
}

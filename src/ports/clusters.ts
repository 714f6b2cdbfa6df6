/** The configured clusters, each with its Kubernetes API and its AWS region's load balancers. */
import type { ClusterGateway, RetryBudget } from './cluster.js';
import type { LoadBalancerGateway } from './load-balancers.js';
import type { NodeSecurityGroups } from './node-security-groups.js';
import type { IngressRules } from './ingress-rules.js';

export interface ClusterTarget {
  cluster: ClusterGateway;
  loadBalancers: LoadBalancerGateway;
  /** The EC2 security groups of its nodes (absent: svcbot cannot tell whether a node port is open). */
  nodeSecurityGroups?: NodeSecurityGroups;
  /** Opens and closes inbound rules of its region's security groups (`/svc allow`; absent: no EC2 access). */
  ingressRules?: IngressRules;
  /** The AWS region of its load balancers, when configured (for cost estimates). */
  region?: string;
  /** A namespaced install's namespaces (the only ones `cluster` works in); absent: every namespace. */
  namespaces?: readonly string[];
}

export interface ClusterRegistry {
  /** Configured cluster names; the first is the default. */
  readonly names: readonly string[];
  /**
   * The named cluster, or the default one. Throws BotError `unknown_cluster` for a name not configured.
   * With `budget`, the cluster's calls stop retrying transient errors at the budget's end and tell its
   * `onRetry` before each retry.
   */
  get(name?: string, budget?: RetryBudget): ClusterTarget;
}

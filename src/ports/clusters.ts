/** The configured clusters, each with its Kubernetes API and its AWS region's load balancers. */
import type { ClusterGateway } from './cluster.js';
import type { LoadBalancerGateway } from './load-balancers.js';

export interface ClusterTarget {
  cluster: ClusterGateway;
  loadBalancers: LoadBalancerGateway;
  /** The AWS region of its load balancers, when configured (for cost estimates). */
  region?: string;
}

export interface ClusterRegistry {
  /** Configured cluster names; the first is the default. */
  readonly names: readonly string[];
  /** The named cluster, or the default one. Throws BotError `unknown_cluster` for a name not configured. */
  get(name?: string): ClusterTarget;
}

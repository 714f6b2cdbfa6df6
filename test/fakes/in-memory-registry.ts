/**
 * An in-memory ClusterRegistry over in-memory clusters and load balancers, plus `fakeWorld()`, the usual
 * set-up of unit tests: one or more clusters whose LoadBalancer Services get an ELB at once.
 */
import { BotError } from '../../src/domain/errors.js';
import { didYouMean } from '../../src/domain/grammar/index.js';
import type { ClusterRegistry, ClusterTarget } from '../../src/ports/clusters.js';
import { InMemoryCluster, type InMemoryClusterOptions } from './in-memory-cluster.js';
import { InMemoryLoadBalancers } from './in-memory-load-balancers.js';

export interface InMemoryTarget extends ClusterTarget {
  cluster: InMemoryCluster;
  loadBalancers: InMemoryLoadBalancers;
}

export class InMemoryClusterRegistry implements ClusterRegistry {
  readonly names: readonly string[];
  private readonly targets: Map<string, InMemoryTarget>;

  /** The first target is the default cluster. */
  constructor(targets: readonly InMemoryTarget[]) {
    if (targets.length === 0) throw new Error('InMemoryClusterRegistry: at least one cluster');
    this.targets = new Map(targets.map((t) => [t.cluster.name, t]));
    this.names = targets.map((t) => t.cluster.name);
  }

  get(name?: string): InMemoryTarget {
    const target = this.targets.get(name ?? this.names[0] ?? '');
    if (target) return target;
    const suggestion = name === undefined ? undefined : didYouMean(name, this.names);
    throw new BotError(
      'unknown_cluster',
      `There is no cluster \`${name ?? ''}\` configured.` +
        (suggestion ? ` Did you mean \`${suggestion}\`?` : '') +
        ` Configured: ${this.names.map((n) => `\`${n}\``).join(', ')}.`,
    );
  }
}

/** A cluster whose LoadBalancer Services get an ELB (and its hostname) from `loadBalancers` at once. */
export function fakeTarget(opts: Omit<InMemoryClusterOptions, 'provisionLoadBalancer'> & { provision?: boolean } = {}): InMemoryTarget {
  const loadBalancers = new InMemoryLoadBalancers();
  const { provision = true, ...clusterOpts } = opts;
  const cluster = new InMemoryCluster({
    ...clusterOpts,
    ...(provision ? { provisionLoadBalancer: (svc) => loadBalancers.provisionFor(svc) } : {}),
  });
  return { cluster, loadBalancers };
}

/** A registry of fake clusters named `names` (default: one, `sandbox`); the first is the default. */
export function fakeWorld(names: readonly string[] = ['sandbox'], opts: Omit<Parameters<typeof fakeTarget>[0], 'name'> = {}) {
  const targets = names.map((name) => fakeTarget({ ...opts, name }));
  return { registry: new InMemoryClusterRegistry(targets), targets };
}

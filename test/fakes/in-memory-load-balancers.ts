/**
 * An in-memory LoadBalancerGateway: classic ELBs keyed by DNS name, each tagged with the Service it
 * serves. `provisionFor` is what the cloud controller does for a LoadBalancer Service; wire it into an
 * InMemoryCluster (`provisionLoadBalancer`) to get hostnames that this gateway then finds.
 *
 * Test controls: `failNext(error)`, `failUntilCleared(error)`, `retag(name, owner)`, `remove(name)`.
 */
import { createHash } from 'node:crypto';
import type { LoadBalancerView, ServiceView } from '../../src/domain/views.js';
import { clone } from './in-memory-cluster.js';
import type { LoadBalancerGateway } from '../../src/ports/load-balancers.js';

interface StoredLoadBalancer {
  view: LoadBalancerView;
  /** The `kubernetes.io/service-name` tag: `namespace/name`, or undefined for an untagged ELB. */
  owner: string | undefined;
}

export interface InMemoryLoadBalancersOptions {
  region?: string;
  /** EC2 instance ids registered behind every new load balancer (default: three). */
  instanceIds?: string[];
}

export class InMemoryLoadBalancers implements LoadBalancerGateway {
  private readonly byName = new Map<string, StoredLoadBalancer>();
  private readonly failures: unknown[] = [];
  private outage: { error: unknown } | undefined;
  private readonly region: string;
  private readonly instanceIds: string[];
  /** Every findForService call, in order. */
  readonly lookups: { namespace: string; name: string; hostname: string }[] = [];

  constructor(opts: InMemoryLoadBalancersOptions = {}) {
    this.region = opts.region ?? 'us-east-1';
    this.instanceIds = opts.instanceIds ?? ['i-0a1b2c3d4e5f60001', 'i-0a1b2c3d4e5f60002', 'i-0a1b2c3d4e5f60003'];
  }

  /**
   * Creates the classic ELB for a LoadBalancer Service, as the AWS cloud provider does (named `a` + the
   * UID without dashes, one TCP listener per port to its node port, tagged with the Service) and returns
   * its DNS name.
   */
  provisionFor(service: Pick<ServiceView, 'namespace' | 'name' | 'uid' | 'ports'>): string {
    const name = `a${service.uid.replace(/-/g, '')}`.slice(0, 32);
    const digits = BigInt(`0x${createHash('sha256').update(name).digest('hex').slice(0, 12)}`) % 10_000_000_000n;
    const dnsName = `${name}-${digits.toString()}.${this.region}.elb.amazonaws.com`;
    const firstNodePort = service.ports[0]?.nodePort;
    this.add({
      owner: `${service.namespace}/${service.name}`,
      view: {
        name,
        dnsName,
        scheme: 'internet-facing',
        listeners: service.ports.map((p) => ({
          protocol: 'TCP',
          loadBalancerPort: p.port,
          instanceProtocol: 'TCP',
          instancePort: p.nodePort ?? 0,
        })),
        ...(firstNodePort
          ? { healthCheck: { target: `TCP:${firstNodePort}`, interval: 10, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 6 } }
          : {}),
        instances: this.instanceIds.map((instanceId) => ({ instanceId, state: 'InService' as const })),
        createdAt: new Date(),
      },
    });
    return dnsName;
  }

  /** Puts a load balancer in place as given. */
  add(lb: { view: LoadBalancerView; owner: string | undefined }): this {
    this.byName.set(lb.view.name, clone(lb));
    return this;
  }

  /** Changes (or, with undefined, removes) the `kubernetes.io/service-name` tag. */
  retag(name: string, owner: string | undefined): this {
    const lb = this.byName.get(name);
    if (!lb) throw new Error(`InMemoryLoadBalancers: no load balancer ${name}`);
    lb.owner = owner;
    return this;
  }

  remove(name: string): this {
    this.byName.delete(name);
    return this;
  }

  get names(): string[] {
    return [...this.byName.keys()];
  }

  /** The next findForService call throws `error` (queued). */
  failNext(error: unknown): this {
    this.failures.push(error);
    return this;
  }

  /** Every findForService call throws `error` until the returned function is called (an outage, throttling). */
  failUntilCleared(error: unknown): () => void {
    this.outage = { error };
    return () => {
      this.outage = undefined;
    };
  }

  async findForService(input: { namespace: string; name: string; hostname: string }): Promise<LoadBalancerView | undefined> {
    await Promise.resolve();
    this.lookups.push({ ...input });
    if (this.failures.length > 0) throw this.failures.shift();
    if (this.outage) throw this.outage.error;
    const host = input.hostname.toLowerCase().replace(/\.$/, '');
    const lb = [...this.byName.values()].find((l) => l.view.dnsName.toLowerCase() === host);
    if (!lb || lb.owner !== `${input.namespace}/${input.name}`) return undefined;
    return clone(lb.view);
  }
}

/**
 * The simulated AWS cloud controller: what Kubernetes' AWS cloud provider (the service controller of the
 * cloud-controller-manager) does for Services of type LoadBalancer, written from its documented behaviour.
 *
 * - A LoadBalancer Service gets the finalizer `service.kubernetes.io/load-balancer-cleanup` at once, then,
 *   after the provisioning delay, a classic ELB named `a` + its UID without dashes (cut to 32 characters),
 *   tagged with the cluster and the Service, one TCP listener per port (service port -> node port), a TCP
 *   health check on the first node port and every node registered; then `status.loadBalancer.ingress`.
 * - Deleting the Service (it has a `deletionTimestamp`, held by the finalizer) or changing its type away
 *   from LoadBalancer deletes the ELB, then clears the status and removes the finalizer.
 * - Every step records an Event on the Service, as the real controller does.
 * - Like the cloud node controller, it gives a node without an ExternalIP one (a loopback address in the
 *   cluster's block, which the data plane listens on: `KubeCluster.assignNodeExternalIP`).
 * - Faults: `failProvisioning` (Warning `SyncLoadBalancerFailed`, retried with backoff, no hostname) and
 *   `leakLoadBalancers` (the Service goes, the ELB stays: an orphan).
 */
import type { ElbStore, Listener } from '../elb/store.js';
import type { Faults } from '../faults.js';
import type { KubeCluster } from '../kube/cluster.js';
import type { Service } from '../kube/types.js';

const LB_CLEANUP_FINALIZER = 'service.kubernetes.io/load-balancer-cleanup';

export interface CloudControllerOptions {
  cluster: KubeCluster;
  elb: ElbStore;
  faults: Faults;
  clusterName: string;
  /** Time from a Service becoming type LoadBalancer to its ELB existing. */
  provisionDelayMs: number;
  /** Time from a deletion (or type change away) to the ELB being gone. */
  deprovisionDelayMs: number;
}

type Work = 'provision' | 'deprovision';

interface Pending {
  work: Work;
  timer: NodeJS.Timeout;
  attempt: number;
}

const MAX_RETRY_DELAY_MS = 60_000;

/** ELB name the AWS cloud provider derives from a Service's UID. */
function loadBalancerNameFor(service: Service): string {
  return `a${service.metadata.uid.replace(/-/g, '')}`.slice(0, 32);
}

function instanceIdOf(providerId: unknown): string | undefined {
  if (typeof providerId !== 'string') return undefined;
  const id = providerId.split('/').pop();
  return id && id.startsWith('i-') ? id : undefined;
}

export class CloudController {
  private readonly pending = new Map<string, Pending>();
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly opts: CloudControllerOptions) {}

  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.opts.cluster.onChange((ev) => {
      if (ev.resource === 'nodes' && ev.type !== 'DELETED') {
        this.opts.cluster.assignNodeExternalIP(ev.object.metadata.name);
        return;
      }
      if (ev.resource !== 'services') return;
      const { namespace = 'default', name } = ev.object.metadata;
      if (ev.type === 'DELETED') {
        this.cancel(key(namespace, name));
        return;
      }
      this.reconcile(namespace, name);
    });
    for (const node of this.opts.cluster.listNodes()) this.opts.cluster.assignNodeExternalIP(node.metadata.name);
    for (const svc of this.opts.cluster.listServices()) {
      this.reconcile(svc.metadata.namespace ?? 'default', svc.metadata.name);
    }
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }

  /** Number of Services with provisioning or teardown work scheduled. */
  get pendingWork(): number {
    return this.pending.size;
  }

  private reconcile(namespace: string, name: string): void {
    const { cluster } = this.opts;
    const svc = cluster.getService(namespace, name);
    if (!svc) return;
    const k = key(namespace, name);
    const hasFinalizer = svc.metadata.finalizers?.includes(LB_CLEANUP_FINALIZER) ?? false;
    const wantsLoadBalancer = svc.spec.type === 'LoadBalancer' && !svc.metadata.deletionTimestamp;

    if (wantsLoadBalancer) {
      if (!hasFinalizer) {
        // Writing the finalizer re-enters reconcile through onChange.
        cluster.updateService(namespace, name, (s) => {
          s.metadata.finalizers = [...(s.metadata.finalizers ?? []), LB_CLEANUP_FINALIZER];
        });
        return;
      }
      const provisioned = (svc.status?.loadBalancer?.ingress?.length ?? 0) > 0;
      if (provisioned) {
        this.syncListeners(svc);
        if (this.pending.get(k)?.work === 'provision') this.cancel(k);
        return;
      }
      if (this.pending.get(k)?.work !== 'provision') {
        this.cancel(k);
        cluster.recordEvent(svc, 'Normal', 'EnsuringLoadBalancer', 'Ensuring load balancer');
        this.schedule(k, 'provision', this.opts.provisionDelayMs, 0);
      }
      return;
    }

    if (hasFinalizer) {
      if (this.pending.get(k)?.work !== 'deprovision') {
        this.cancel(k);
        cluster.recordEvent(svc, 'Normal', 'DeletingLoadBalancer', 'Deleting load balancer');
        this.schedule(k, 'deprovision', this.opts.deprovisionDelayMs, 0);
      }
      return;
    }
    this.cancel(k);
  }

  private schedule(k: string, work: Work, delayMs: number, attempt: number): void {
    const timer = setTimeout(() => {
      this.pending.delete(k);
      const [namespace = '', name = ''] = splitKey(k);
      if (work === 'provision') this.provision(namespace, name, attempt);
      else this.deprovision(namespace, name);
    }, delayMs);
    timer.unref();
    this.pending.set(k, { work, timer, attempt });
  }

  private cancel(k: string): void {
    const p = this.pending.get(k);
    if (p) clearTimeout(p.timer);
    this.pending.delete(k);
  }

  private provision(namespace: string, name: string, attempt: number): void {
    const { cluster, elb, faults, clusterName } = this.opts;
    const svc = cluster.getService(namespace, name);
    if (!svc || svc.spec.type !== 'LoadBalancer' || svc.metadata.deletionTimestamp) return;

    const failure = faults.settings.failProvisioning;
    if (failure !== null) {
      cluster.recordEvent(
        svc,
        'Warning',
        'SyncLoadBalancerFailed',
        `Error syncing load balancer: failed to ensure load balancer: ${failure}`,
      );
      // The real service controller retries failed syncs with exponential backoff.
      const delay = Math.min(Math.max(this.opts.provisionDelayMs, 500) * 2 ** attempt, MAX_RETRY_DELAY_MS);
      this.schedule(key(namespace, name), 'provision', delay, attempt + 1);
      return;
    }

    const lbName = loadBalancerNameFor(svc);
    const listeners = listenersFor(svc);
    const lb =
      elb.get(lbName) ??
      elb.create({
        name: lbName,
        listeners,
        scheme: 'internet-facing',
        availabilityZones: zonesOf(cluster, this.opts.elb.region),
        tags: {
          [`kubernetes.io/cluster/${clusterName}`]: 'owned',
          'kubernetes.io/service-name': `${namespace}/${name}`,
        },
      });
    const firstNodePort = listeners[0]?.instancePort;
    if (firstNodePort !== undefined) {
      elb.configureHealthCheck(lbName, {
        target: `TCP:${firstNodePort}`,
        interval: 10,
        timeout: 5,
        unhealthyThreshold: 6,
        healthyThreshold: 2,
      });
    }
    const instances = cluster
      .listNodes()
      .map((n) => instanceIdOf(n.spec?.providerID))
      .filter((id): id is string => id !== undefined);
    elb.registerInstances(lbName, instances);

    cluster.updateService(namespace, name, (s) => {
      s.status = { ...s.status, loadBalancer: { ingress: [{ hostname: lb.dnsName }] } };
    });
    cluster.recordEvent(svc, 'Normal', 'EnsuredLoadBalancer', 'Ensured load balancer');
  }

  private deprovision(namespace: string, name: string): void {
    const { cluster, elb, faults } = this.opts;
    const svc = cluster.getService(namespace, name);
    if (!svc) return;
    if (svc.spec.type === 'LoadBalancer' && !svc.metadata.deletionTimestamp) return; // changed back meanwhile
    if (!faults.settings.leakLoadBalancers) elb.delete(loadBalancerNameFor(svc));
    cluster.recordEvent(svc, 'Normal', 'DeletedLoadBalancer', 'Deleted load balancer');
    cluster.updateService(namespace, name, (s) => {
      if (s.status?.loadBalancer) s.status = { ...s.status, loadBalancer: {} };
      s.metadata.finalizers = (s.metadata.finalizers ?? []).filter((f) => f !== LB_CLEANUP_FINALIZER);
    });
  }

  /** The real controller keeps listeners in step with the Service's ports and node ports. */
  private syncListeners(svc: Service): void {
    const lb = this.opts.elb.get(loadBalancerNameFor(svc));
    if (!lb) return;
    const wanted = listenersFor(svc);
    if (JSON.stringify(wanted) === JSON.stringify(lb.listeners)) return;
    this.opts.elb.replaceListeners(lb.name, wanted);
    const firstNodePort = wanted[0]?.instancePort;
    if (firstNodePort !== undefined) {
      this.opts.elb.configureHealthCheck(lb.name, { ...lb.healthCheck, target: `TCP:${firstNodePort}` });
    }
  }
}

function listenersFor(svc: Service): Listener[] {
  return (svc.spec.ports ?? [])
    .filter((p) => p.nodePort !== undefined && (p.protocol ?? 'TCP') === 'TCP')
    .map((p) => ({
      protocol: 'TCP',
      loadBalancerPort: p.port,
      instanceProtocol: 'TCP',
      instancePort: p.nodePort as number,
    }));
}

/** The zones the nodes run in (the real provider uses the subnets of those zones). */
function zonesOf(cluster: KubeCluster, region: string): string[] {
  const zones = new Set(
    cluster
      .listNodes()
      .map((n) => n.metadata.labels?.['topology.kubernetes.io/zone'])
      .filter((z): z is string => typeof z === 'string' && z.startsWith(region)),
  );
  return zones.size > 0 ? [...zones].sort() : [`${region}a`];
}

function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function splitKey(k: string): [string, string] {
  const i = k.indexOf('/');
  return [k.slice(0, i), k.slice(i + 1)];
}

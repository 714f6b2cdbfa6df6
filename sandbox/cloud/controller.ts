/**
 * The simulated AWS cloud controller: what Kubernetes' AWS cloud provider (the service controller of the
 * cloud-controller-manager) does for Services of type LoadBalancer, written from its documented behaviour.
 *
 * - A LoadBalancer Service gets the finalizer `service.kubernetes.io/load-balancer-cleanup` at once, then,
 *   after the provisioning delay, a classic ELB named `a` + its UID without dashes (cut to 32 characters),
 *   tagged with the cluster and the Service, one TCP listener per port (service port -> node port), a
 *   health check (`TCP:<first node port>`; with `externalTrafficPolicy: Local`,
 *   `HTTP:<healthCheckNodePort>/healthz`) and every node registered; then `status.loadBalancer.ingress`.
 * - With the EC2 store (`ec2`), the ELB gets a security group of its own, `k8s-elb-<lbName>`, in its VPC,
 *   tagged `kubernetes.io/cluster/<cluster>=owned`, letting in each listener port (TCP) from each CIDR
 *   of `spec.loadBalancerSourceRanges` (else the `service.beta.kubernetes.io/load-balancer-source-ranges`
 *   annotation, else 0.0.0.0/0) and ICMP type 3 code 4 (path MTU discovery) from the same ranges; the
 *   nodes' group gets a rule letting that group in (all traffic). The rules follow the Service's ports
 *   and source ranges when they change (rules added by hand are then replaced, as the provider does).
 *   Without the EC2 store, the ELB carries the VPC's shared default group, as before.
 * - Deleting the Service (it has a `deletionTimestamp`, held by the finalizer) or changing its type away
 *   from LoadBalancer deletes the ELB, then clears the status and removes the finalizer. Whenever an ELB
 *   goes (this way or through DeleteLoadBalancer), its `k8s-elb-` group and the nodes' rule for it go
 *   too.
 * - Every step records an Event on the Service, as the real controller does.
 * - Like the cloud node controller, it gives a node without an ExternalIP one (a loopback address in the
 *   cluster's block, which the data plane listens on: `KubeCluster.assignNodeExternalIP`).
 * - Faults: `failProvisioning` (Warning `SyncLoadBalancerFailed`, retried with backoff, no hostname) and
 *   `leakLoadBalancers` (the Service goes, the ELB stays: an orphan).
 */
import type { Ec2Store, PermissionInput } from '../ec2/store.js';
import type { IngressRule } from '../ec2/ingress.js';
import type { ElbStore, Listener } from '../elb/store.js';
import type { Faults } from '../faults.js';
import type { KubeCluster } from '../kube/cluster.js';
import type { Service } from '../kube/types.js';

const LB_CLEANUP_FINALIZER = 'service.kubernetes.io/load-balancer-cleanup';
const SOURCE_RANGES_ANNOTATION = 'service.beta.kubernetes.io/load-balancer-source-ranges';

export interface CloudControllerOptions {
  cluster: KubeCluster;
  elb: ElbStore;
  /** The EC2 state: when given, each ELB gets a security group of its own (else the shared default one). */
  ec2?: Ec2Store;
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
  private unsubscribeElb: (() => void) | undefined;
  /** ELB name -> the ports and source ranges its security group's rules were last set from. */
  private readonly appliedIngress = new Map<string, string>();

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
    this.unsubscribeElb = this.opts.elb.onChange((ev) => {
      if (ev.type === 'deleted') this.removeSecurityGroup(ev.lb.name);
    });
    for (const node of this.opts.cluster.listNodes()) this.opts.cluster.assignNodeExternalIP(node.metadata.name);
    for (const svc of this.opts.cluster.listServices()) {
      this.reconcile(svc.metadata.namespace ?? 'default', svc.metadata.name);
    }
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.unsubscribeElb?.();
    this.unsubscribeElb = undefined;
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
        this.syncSecurityGroup(svc);
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
    let securityGroupId: string | undefined;
    try {
      securityGroupId = this.ensureSecurityGroup(svc, lbName, listeners);
    } catch (err) {
      cluster.recordEvent(svc, 'Warning', 'SyncLoadBalancerFailed', `Error syncing load balancer: failed to ensure load balancer: ${messageOf(err)}`);
      const delay = Math.min(Math.max(this.opts.provisionDelayMs, 500) * 2 ** attempt, MAX_RETRY_DELAY_MS);
      this.schedule(key(namespace, name), 'provision', delay, attempt + 1);
      return;
    }
    const lb =
      elb.get(lbName) ??
      elb.create({
        name: lbName,
        listeners,
        scheme: 'internet-facing',
        availabilityZones: zonesOf(cluster, this.opts.elb.region),
        ...(securityGroupId === undefined ? {} : { securityGroups: [securityGroupId] }),
        tags: {
          [`kubernetes.io/cluster/${clusterName}`]: 'owned',
          'kubernetes.io/service-name': `${namespace}/${name}`,
        },
      });
    const target = healthCheckTargetFor(svc, listeners);
    if (target !== undefined) {
      elb.configureHealthCheck(lbName, { target, interval: 10, timeout: 5, unhealthyThreshold: 6, healthyThreshold: 2 });
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
    if (!faults.settings.leakLoadBalancers) {
      elb.delete(loadBalancerNameFor(svc));
      // Its group went with the ELB; this catches one made for an ELB that never came (a failed sync).
      this.removeSecurityGroup(loadBalancerNameFor(svc));
    }
    cluster.recordEvent(svc, 'Normal', 'DeletedLoadBalancer', 'Deleted load balancer');
    cluster.updateService(namespace, name, (s) => {
      if (s.status?.loadBalancer) s.status = { ...s.status, loadBalancer: {} };
      s.metadata.finalizers = (s.metadata.finalizers ?? []).filter((f) => f !== LB_CLEANUP_FINALIZER);
    });
  }

  /**
   * The real controller keeps listeners in step with the Service's ports and node ports, and the
   * health check with its first node port (or its health check node port, for policy Local).
   */
  private syncListeners(svc: Service): void {
    const lb = this.opts.elb.get(loadBalancerNameFor(svc));
    if (!lb) return;
    const wanted = listenersFor(svc);
    if (JSON.stringify(wanted) !== JSON.stringify(lb.listeners)) this.opts.elb.replaceListeners(lb.name, wanted);
    const target = healthCheckTargetFor(svc, wanted);
    if (target !== undefined && target !== lb.healthCheck.target) {
      this.opts.elb.configureHealthCheck(lb.name, { ...lb.healthCheck, target });
    }
  }

  /**
   * The ELB's own security group, `k8s-elb-<lbName>`: created when missing, its rules set to the
   * Service's listener ports and source ranges, the nodes' group opened to it. Returns its id;
   * undefined without the EC2 store. Throws the EC2 store's error (a source range it refuses).
   */
  private ensureSecurityGroup(svc: Service, lbName: string, listeners: Listener[]): string | undefined {
    const { ec2, clusterName } = this.opts;
    if (!ec2) return undefined;
    const { namespace = 'default', name } = svc.metadata;
    const group =
      this.findSecurityGroup(lbName) ??
      ec2.createSecurityGroup({
        groupName: securityGroupNameFor(lbName),
        description: `Security group for Kubernetes ELB ${lbName} (${namespace}/${name})`,
        tags: { [`kubernetes.io/cluster/${clusterName}`]: 'owned' },
      });
    this.setIngress(group.groupId, group.ingress, svc, listeners);
    this.appliedIngress.set(lbName, ingressKey(svc, listeners));
    const nodes = ec2.findGroup(ec2.nodesSecurityGroupId);
    if (nodes && !nodes.ingress.some((r) => r.protocol === '-1' && 'groupId' in r.source && r.source.groupId === group.groupId)) {
      ec2.authorizeIngress({ groupId: nodes.groupId }, [{ protocol: '-1', fromPort: undefined, toPort: undefined, cidrs: [], groups: [{ groupId: group.groupId }] }]);
    }
    return group.groupId;
  }

  /** After a change of the Service's ports or source ranges, its ELB group's rules follow. */
  private syncSecurityGroup(svc: Service): void {
    const lbName = loadBalancerNameFor(svc);
    const listeners = listenersFor(svc);
    if (!this.opts.ec2 || this.appliedIngress.get(lbName) === ingressKey(svc, listeners)) return;
    const group = this.findSecurityGroup(lbName);
    if (!group || !this.opts.elb.get(lbName)?.securityGroups.includes(group.groupId)) return;
    try {
      this.setIngress(group.groupId, group.ingress, svc, listeners);
      this.appliedIngress.set(lbName, ingressKey(svc, listeners));
    } catch (err) {
      this.opts.cluster.recordEvent(svc, 'Warning', 'SyncLoadBalancerFailed', `Error syncing load balancer: failed to ensure load balancer: ${messageOf(err)}`);
    }
  }

  /** Authorizes the rules the Service wants that the group lacks, then revokes those it does not want. */
  private setIngress(groupId: string, current: readonly IngressRule[], svc: Service, listeners: Listener[]): void {
    const ec2 = this.opts.ec2;
    if (!ec2) return;
    const wanted = wantedIngress(svc, listeners);
    const have = new Set(current.map(ruleKey));
    const missing = wanted.filter((p) => !have.has(permissionKey(p)));
    if (missing.length > 0) ec2.authorizeIngress({ groupId }, missing);
    const keep = new Set(wanted.map(permissionKey));
    const extra = current.filter((r) => !keep.has(ruleKey(r)));
    if (extra.length > 0) ec2.revokeIngress({ groupId }, extra.map(permissionOf));
  }

  /** The `k8s-elb-<lbName>` group this cluster owns, if there is one. */
  private findSecurityGroup(lbName: string): { groupId: string; ingress: IngressRule[] } | undefined {
    const { ec2, clusterName } = this.opts;
    if (!ec2) return undefined;
    return ec2.describeSecurityGroups([], [], [
      { name: 'group-name', values: [securityGroupNameFor(lbName)] },
      { name: `tag:kubernetes.io/cluster/${clusterName}`, values: ['owned'] },
    ])[0];
  }

  /** An ELB is gone: the nodes' rules for its group are revoked, then the group deleted (as the provider does). */
  private removeSecurityGroup(lbName: string): void {
    const ec2 = this.opts.ec2;
    this.appliedIngress.delete(lbName);
    const group = this.findSecurityGroup(lbName);
    if (!ec2 || !group) return;
    try {
      for (const other of ec2.describeSecurityGroups([], [], [])) {
        const referring = other.ingress.filter((r) => 'groupId' in r.source && r.source.groupId === group.groupId);
        if (referring.length > 0) ec2.revokeIngress({ groupId: other.groupId }, referring.map(permissionOf));
      }
      ec2.deleteSecurityGroup(group.groupId);
    } catch {
      // Left behind, as a security group the provider failed to delete is on AWS: DescribeSecurityGroups shows it.
    }
  }
}

function securityGroupNameFor(lbName: string): string {
  return `k8s-elb-${lbName}`;
}

/** `spec.loadBalancerSourceRanges`, else the provider's annotation (comma-separated), else 0.0.0.0/0. */
function sourceRangesOf(svc: Service): string[] {
  const fromSpec = (svc.spec.loadBalancerSourceRanges ?? []).map((r) => r.trim()).filter((r) => r !== '');
  if (fromSpec.length > 0) return [...new Set(fromSpec)];
  const annotation = svc.metadata.annotations?.[SOURCE_RANGES_ANNOTATION] ?? '';
  const fromAnnotation = annotation.split(',').map((r) => r.trim()).filter((r) => r !== '');
  return fromAnnotation.length > 0 ? [...new Set(fromAnnotation)] : ['0.0.0.0/0'];
}

/** One rule per (listener port, source range), plus ICMP "fragmentation needed" from each range. */
function wantedIngress(svc: Service, listeners: Listener[]): PermissionInput[] {
  const ranges = sourceRangesOf(svc);
  const ports = [...new Set(listeners.map((l) => l.loadBalancerPort))];
  return [
    ...ports.flatMap((port) => ranges.map((cidr) => ({ protocol: 'tcp', fromPort: String(port), toPort: String(port), cidrs: [{ cidr }], groups: [] }))),
    ...ranges.map((cidr) => ({ protocol: 'icmp', fromPort: '3', toPort: '4', cidrs: [{ cidr }], groups: [] })),
  ];
}

function ingressKey(svc: Service, listeners: Listener[]): string {
  return JSON.stringify([listeners.map((l) => l.loadBalancerPort), sourceRangesOf(svc)]);
}

function ruleKey(r: IngressRule): string {
  return `${r.protocol}|${r.fromPort}|${r.toPort}|${'cidr' in r.source ? r.source.cidr : r.source.groupId}`;
}

/** The key of a one-source permission as `wantedIngress` makes them (tcp or icmp from one CIDR). */
function permissionKey(p: PermissionInput): string {
  return `${p.protocol ?? ''}|${p.fromPort ?? ''}|${p.toPort ?? ''}|${p.cidrs[0]?.cidr ?? ''}`;
}

function permissionOf(r: IngressRule): PermissionInput {
  return {
    protocol: r.protocol,
    fromPort: String(r.fromPort),
    toPort: String(r.toPort),
    cidrs: 'cidr' in r.source ? [{ cidr: r.source.cidr }] : [],
    groups: 'groupId' in r.source ? [{ groupId: r.source.groupId }] : [],
  };
}

/** What the provider sets: `TCP:<first node port>`, or for policy Local `HTTP:<healthCheckNodePort>/healthz`. */
function healthCheckTargetFor(svc: Service, listeners: Listener[]): string | undefined {
  const { externalTrafficPolicy, healthCheckNodePort } = svc.spec;
  if (externalTrafficPolicy === 'Local' && healthCheckNodePort) return `HTTP:${healthCheckNodePort}/healthz`;
  const first = listeners[0]?.instancePort;
  return first === undefined ? undefined : `TCP:${first}`;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
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

/**
 * An in-memory ClusterGateway: what the Kubernetes adapter + a cluster do, for unit tests of the domain.
 * It passes the same contract suite as the real adapter against the sandbox (test/contract/), so a test
 * that uses it can trust the codes and messages it sees. It is written from the port's documentation and
 * the Kubernetes API conventions, not from the adapter's code.
 *
 * Seeds (like the sandbox): namespaces default, kube-system, kube-public, kube-node-lease; three Ready
 * EKS-like nodes; deployment `alpine` in `default` (matchLabels app=alpine) with two running pods that
 * have container port 80 named `http`.
 *
 * Test controls: `failNext(method, error)` makes the next call of a method throw; `writes` lists every
 * change made (so a test can assert that nothing changed); `addNamespace`, `addDeployment`, `addPod`,
 * `recordEvent`, `setLoadBalancerHostnames` shape the world.
 */
import { randomUUID } from 'node:crypto';
import type { ServiceType } from '../../src/domain/command.js';
import { BotError } from '../../src/domain/errors.js';
import type { ServiceManifest } from '../../src/domain/manifest.js';
import type { EventView, NodeView, PodEndpointView, ServicePortView, ServiceView } from '../../src/domain/views.js';
import type { ClusterGateway } from '../../src/ports/cluster.js';

const LB_CLEANUP_FINALIZER = 'service.kubernetes.io/load-balancer-cleanup';

const NODE_PORT_MIN = 30000;
const NODE_PORT_MAX = 32767;

interface FakeContainerPort {
  name?: string;
  containerPort: number;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
}

export interface FakePod {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  ip: string;
  nodeName: string;
  ready: boolean;
  ports: FakeContainerPort[];
}

export interface FakeDeployment {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface InMemoryClusterOptions {
  /** The configured cluster name (default `sandbox`). */
  name?: string;
  /** Number of seeded nodes (default 3), or the nodes themselves. */
  nodes?: number | NodeView[];
  /** Seed the `alpine` deployment and its pods (default true). */
  seed?: boolean;
  /**
   * Called when a Service needs a load balancer; the hostname it returns is published in the Service's
   * status at once (undefined: the load balancer stays pending, as while the cloud provisions it).
   */
  provisionLoadBalancer?: (service: ServiceView) => string | undefined;
  now?: () => Date;
}

type Method = Exclude<keyof ClusterGateway, 'name'>;

interface StoredEvent {
  namespace: string;
  service: string;
  /** UID of the Service the event is about (events outlive their Service). */
  uid: string | undefined;
  event: EventView;
}

const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const IANA_SVC_NAME = /^(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/**
 * A deep copy of plain data and Dates. Not `structuredClone`: under jest it makes objects of another realm,
 * whose Dates fail `instanceof Date` (and `expect.any(Date)`) in the test.
 */
export function clone<T>(value: T): T {
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => clone(v)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clone(v)])) as T;
  }
  return value;
}

function seededNodes(count: number): NodeView[] {
  return Array.from({ length: count }, (_, i) => {
    const x = 11 + i;
    const name = `ip-10-0-1-${x}.us-east-1.compute.internal`;
    const instance = `i-${x.toString(16).padStart(17, '0')}`;
    return { name, internalIP: `10.0.1.${x}`, externalIP: `203.0.113.${x}`, hostname: name, ready: true, providerID: `aws:///us-east-1a/${instance}` };
  });
}

export class InMemoryCluster implements ClusterGateway {
  readonly name: string;
  /** Every change made to the cluster, in order (`create default/web`, `patch …`, `delete …`). Dry runs are not changes. */
  readonly writes: string[] = [];
  private readonly namespaces = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);
  private readonly services = new Map<string, ServiceView>();
  private readonly deployments = new Map<string, FakeDeployment>();
  private readonly pods: FakePod[] = [];
  private readonly events: StoredEvent[] = [];
  private readonly nodes: NodeView[];
  private readonly failures = new Map<Method, unknown[]>();
  private readonly usedNodePorts = new Set<number>();
  private nextClusterIP = 10;
  /** The last resourceVersion given out: every change of a Service gets a new one. */
  private version = 0;
  private nextNodePort = 30080;
  private readonly provision: ((service: ServiceView) => string | undefined) | undefined;
  private readonly now: () => Date;

  constructor(opts: InMemoryClusterOptions = {}) {
    this.name = opts.name ?? 'sandbox';
    this.nodes = typeof opts.nodes === 'object' ? clone(opts.nodes) : seededNodes(opts.nodes ?? 3);
    this.provision = opts.provisionLoadBalancer;
    this.now = opts.now ?? (() => new Date());
    if (opts.seed ?? true) {
      this.addDeployment('default', 'alpine', { matchLabels: { app: 'alpine' } });
      const http: FakeContainerPort = { name: 'http', containerPort: 80, protocol: 'TCP' };
      const [first, second] = this.nodes;
      this.addPod({ namespace: 'default', name: 'alpine-5d8f7c9b4-x2k9p', labels: { app: 'alpine' }, ip: '10.244.0.2', nodeName: first?.name ?? '', ready: true, ports: [http] });
      this.addPod({ namespace: 'default', name: 'alpine-5d8f7c9b4-q7w4m', labels: { app: 'alpine' }, ip: '10.244.1.2', nodeName: (second ?? first)?.name ?? '', ready: true, ports: [http] });
    }
  }

  /* ------------------------------------------------------------------------------ test controls */

  /** The next call of `method` throws `error` (queued: several calls fail in turn). */
  failNext(method: Method, error: unknown): this {
    const queue = this.failures.get(method) ?? [];
    queue.push(error);
    this.failures.set(method, queue);
    return this;
  }

  addNamespace(name: string): this {
    this.namespaces.add(name);
    return this;
  }

  addDeployment(namespace: string, name: string, selector: FakeDeployment): this {
    this.namespaces.add(namespace);
    this.deployments.set(key(namespace, name), clone(selector));
    return this;
  }

  addPod(pod: FakePod): this {
    this.pods.push(clone(pod));
    return this;
  }

  /**
   * Records an Event about the Service `namespace/service` as it is now (a repeat of the same type, reason and
   * message bumps its count). Events stay when the Service goes, but are not listed for a new one of the same name.
   */
  recordEvent(namespace: string, service: string, event: Pick<EventView, 'type' | 'reason' | 'message'> & { lastSeen?: Date }): this {
    const lastSeen = event.lastSeen ?? this.now();
    const uid = this.services.get(key(namespace, service))?.uid;
    const same = this.events.find(
      (e) =>
        e.namespace === namespace &&
        e.service === service &&
        e.uid === uid &&
        e.event.type === event.type &&
        e.event.reason === event.reason &&
        e.event.message === event.message,
    );
    if (same) {
      same.event.count += 1;
      same.event.lastSeen = lastSeen;
    } else {
      this.events.push({ namespace, service, uid, event: { type: event.type, reason: event.reason, message: event.message, count: 1, lastSeen } });
    }
    return this;
  }

  /** Publishes load balancer hostnames in a Service's status, as the cloud controller does once the LB exists. */
  setLoadBalancerHostnames(namespace: string, name: string, hostnames: string[]): this {
    const svc = this.services.get(key(namespace, name));
    if (!svc) throw new Error(`InMemoryCluster: no Service ${namespace}/${name}`);
    svc.loadBalancerHostnames = [...hostnames];
    return this;
  }

  /** Puts a Service in place as it is (no validation, no allocation): for states svcbot can't create, like ExternalName. */
  putService(view: Omit<ServiceView, 'cluster'>): this {
    this.namespaces.add(view.namespace);
    this.services.set(key(view.namespace, view.name), { ...clone(view), cluster: this.name });
    for (const p of view.ports) if (p.nodePort) this.usedNodePorts.add(p.nodePort);
    return this;
  }

  /* ------------------------------------------------------------------------------ ClusterGateway */

  createService(manifest: ServiceManifest, opts: { dryRun?: boolean } = {}): Promise<ServiceView> {
    return this.op('createService', () => {
      const { namespace, name } = manifest.metadata;
      const ctx = `Service \`${name}\` in namespace \`${namespace}\``;
      if (!this.namespaces.has(namespace)) throw this.noNamespace(namespace);
      // As the API server: validation first, then the store refuses a taken name.
      const causes = validate(manifest);
      if (causes.length > 0) {
        throw new BotError('invalid', `Kubernetes rejected ${ctx}:\n${causes.map((c) => `• ${c}`).join('\n')}`);
      }
      if (this.services.has(key(namespace, name))) {
        throw new BotError(
          'already_exists',
          `${ctx} already exists on cluster \`${this.name}\` — use \`type\` to change its type, or \`delete\` it first.`,
        );
      }
      const type = manifest.spec.type;
      const dryRun = opts.dryRun === true;
      const taken = new Set(this.usedNodePorts);
      const ports: ServicePortView[] = manifest.spec.ports.map((p) => {
        const view: ServicePortView = {
          ...(p.name ? { name: p.name } : {}),
          port: p.port,
          targetPort: p.targetPort ?? p.port,
          protocol: p.protocol,
        };
        if (type !== 'ClusterIP') view.nodePort = this.allocateNodePort(taken);
        return view;
      });
      const view: ServiceView = {
        cluster: this.name,
        namespace,
        name,
        uid: randomUUID(),
        resourceVersion: String(++this.version),
        type,
        clusterIP: `10.100.${Math.floor(this.nextClusterIP / 250)}.${(this.nextClusterIP % 250) + 1}`,
        ports,
        selector: { ...manifest.spec.selector },
        loadBalancerHostnames: [],
        createdAt: this.now(),
        deleting: false,
        finalizers: [],
      };
      if (dryRun) return clone(view);
      this.nextClusterIP++;
      for (const p of ports) if (p.nodePort) this.usedNodePorts.add(p.nodePort);
      this.services.set(key(namespace, name), view);
      this.writes.push(`create ${namespace}/${name}`);
      if (type === 'LoadBalancer') this.ensureLoadBalancer(view);
      return clone(view);
    });
  }

  getService(namespace: string, name: string): Promise<ServiceView> {
    return this.op('getService', () => {
      return clone(this.require(namespace, name));
    });
  }

  listServices(namespace: string | null): Promise<ServiceView[]> {
    return this.op('listServices', () => {
      return [...this.services.values()]
        .filter((s) => namespace === null || s.namespace === namespace)
        .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name))
        .map(clone);
    });
  }

  setServiceType(namespace: string, name: string, type: ServiceType, opts: { resourceVersion?: string } = {}): Promise<ServiceView> {
    return this.op('setServiceType', () => {
      const svc = this.require(namespace, name);
      if (opts.resourceVersion !== undefined && opts.resourceVersion !== svc.resourceVersion) throw this.changedMeanwhile(namespace, name);
      if (svc.type === type) return clone(svc);
      const before = svc.type;
      if (type === 'ClusterIP') {
        for (const p of svc.ports) {
          if (p.nodePort) this.usedNodePorts.delete(p.nodePort);
          delete p.nodePort;
        }
      } else {
        for (const p of svc.ports) {
          if (!p.nodePort) {
            p.nodePort = this.allocateNodePort(this.usedNodePorts);
            this.usedNodePorts.add(p.nodePort);
          }
        }
      }
      svc.type = type;
      this.writes.push(`patch ${namespace}/${name} type=${type}`);
      svc.resourceVersion = String(++this.version);
      if (type === 'LoadBalancer') this.ensureLoadBalancer(svc);
      else if (before === 'LoadBalancer') this.releaseLoadBalancer(svc);
      return clone(svc);
    });
  }

  deleteService(namespace: string, name: string, opts: { uid?: string; resourceVersion?: string } = {}): Promise<ServiceView | undefined> {
    return this.op('deleteService', () => {
      const svc = this.require(namespace, name);
      // The API server's delete preconditions: each one given must hold.
      if ((opts.uid !== undefined && opts.uid !== svc.uid) || (opts.resourceVersion !== undefined && opts.resourceVersion !== svc.resourceVersion)) {
        throw this.changedMeanwhile(namespace, name);
      }
      this.writes.push(`delete ${namespace}/${name}`);
      svc.resourceVersion = String(++this.version);
      if (svc.finalizers.length === 0) {
        this.forget(svc);
        return undefined;
      }
      // Held by the load balancer's finalizer, which the (simulated) cloud controller removes shortly.
      svc.deleting = true;
      this.recordEvent(namespace, name, { type: 'Normal', reason: 'DeletingLoadBalancer', message: 'Deleting load balancer' });
      const timer = setTimeout(() => {
        if (this.services.get(key(namespace, name)) === svc) this.forget(svc);
      }, 0);
      timer.unref();
      return clone(svc);
    });
  }

  listNodes(): Promise<NodeView[]> {
    return this.op('listNodes', () => {
      return clone(this.nodes);
    });
  }

  getDeploymentSelector(namespace: string, name: string): Promise<Record<string, string>> {
    return this.op('getDeploymentSelector', () => {
      const dep = this.deployments.get(key(namespace, name));
      if (!dep) {
        if (!this.namespaces.has(namespace)) throw this.noNamespace(namespace);
        throw new BotError('not_found', `No Deployment \`${name}\` in namespace \`${namespace}\` on cluster \`${this.name}\`.`);
      }
      if (dep.matchExpressions?.length) {
        throw new BotError(
          'invalid',
          `Deployment \`${name}\` selects its pods with matchExpressions, which a Service selector can't express; create the Service with \`--selector\` instead.`,
        );
      }
      const labels = dep.matchLabels ?? {};
      if (Object.keys(labels).length === 0) {
        throw new BotError('invalid', `Deployment \`${name}\` has no matchLabels to copy into a Service selector.`);
      }
      return { ...labels };
    });
  }

  listServiceEndpoints(namespace: string, name: string): Promise<PodEndpointView[]> {
    return this.op('listServiceEndpoints', () => {
      const svc = this.services.get(key(namespace, name));
      if (!svc || svc.type === 'ExternalName') return [];
      const selector = Object.entries(svc.selector);
      if (selector.length === 0) return [];
      const ipNumber = (ip: string) => ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
      const out: PodEndpointView[] = [];
      const selected = this.pods
        .filter((p) => p.namespace === namespace && selector.every(([k, v]) => p.labels[k] === v))
        .sort((a, b) => ipNumber(a.ip) - ipNumber(b.ip));
      for (const pod of selected) {
        for (const sp of svc.ports) {
          const port =
            typeof sp.targetPort === 'number'
              ? sp.targetPort
              : pod.ports.find((cp) => cp.name === sp.targetPort && (cp.protocol ?? 'TCP') === sp.protocol)?.containerPort;
          if (port === undefined) continue;
          out.push({
            ip: pod.ip,
            port,
            protocol: sp.protocol,
            ...(sp.name ? { portName: sp.name } : {}),
            ready: pod.ready,
            nodeName: pod.nodeName,
            podName: pod.name,
          });
        }
      }
      return out;
    });
  }

  listServiceEvents(namespace: string, name: string): Promise<EventView[]> {
    return this.op('listServiceEvents', () => {
      const uid = this.services.get(key(namespace, name))?.uid;
      if (uid === undefined) return [];
      return this.events
        .filter((e) => e.namespace === namespace && e.service === name && (e.uid === undefined || e.uid === uid))
        .map((e) => clone(e.event))
        .sort((a, b) => a.lastSeen.getTime() - b.lastSeen.getTime());
    });
  }

  /* ------------------------------------------------------------------------------ internals */

  /** Runs one call asynchronously, as over the network: an injected failure, else `fn`'s result. */
  private async op<T>(method: Method, fn: () => T): Promise<T> {
    await Promise.resolve();
    const queue = this.failures.get(method);
    if (queue && queue.length > 0) throw queue.shift();
    return fn();
  }

  private require(namespace: string, name: string): ServiceView {
    const svc = this.services.get(key(namespace, name));
    if (svc) return svc;
    if (!this.namespaces.has(namespace)) throw this.noNamespace(namespace);
    throw new BotError('not_found', `No Service \`${name}\` in namespace \`${namespace}\` on cluster \`${this.name}\`.`);
  }

  /** A conditional write (a UID or resourceVersion precondition) on a Service that is not in that state: permanent. */
  private changedMeanwhile(namespace: string, name: string): BotError {
    return new BotError('conflict', `Service \`${name}\` in namespace \`${namespace}\` was changed by someone else meanwhile; try again.`, { transient: false });
  }

  private noNamespace(namespace: string): BotError {
    return new BotError('not_found', `There is no namespace \`${namespace}\` on cluster \`${this.name}\`.`);
  }

  private allocateNodePort(taken: Set<number>): number {
    for (let i = 0; i <= NODE_PORT_MAX - NODE_PORT_MIN; i++) {
      const candidate = NODE_PORT_MIN + ((this.nextNodePort - NODE_PORT_MIN + i) % (NODE_PORT_MAX - NODE_PORT_MIN + 1));
      if (!taken.has(candidate)) {
        taken.add(candidate);
        this.nextNodePort = candidate + 1 > NODE_PORT_MAX ? NODE_PORT_MIN : candidate + 1;
        return candidate;
      }
    }
    throw new BotError('invalid', 'Kubernetes rejected the Service: no node ports left in range 30000-32767.');
  }

  private ensureLoadBalancer(svc: ServiceView): void {
    if (!svc.finalizers.includes(LB_CLEANUP_FINALIZER)) svc.finalizers.push(LB_CLEANUP_FINALIZER);
    this.recordEvent(svc.namespace, svc.name, { type: 'Normal', reason: 'EnsuringLoadBalancer', message: 'Ensuring load balancer' });
    const hostname = this.provision?.(clone(svc));
    svc.resourceVersion = String(++this.version);
    if (hostname !== undefined) {
      svc.loadBalancerHostnames = [hostname];
      this.recordEvent(svc.namespace, svc.name, { type: 'Normal', reason: 'EnsuredLoadBalancer', message: 'Ensured load balancer' });
    }
  }

  private releaseLoadBalancer(svc: ServiceView): void {
    this.recordEvent(svc.namespace, svc.name, { type: 'Normal', reason: 'DeletingLoadBalancer', message: 'Deleting load balancer' });
    svc.loadBalancerHostnames = [];
    svc.finalizers = svc.finalizers.filter((f) => f !== LB_CLEANUP_FINALIZER);
    svc.resourceVersion = String(++this.version);
  }

  private forget(svc: ServiceView): void {
    for (const p of svc.ports) if (p.nodePort) this.usedNodePorts.delete(p.nodePort);
    this.services.delete(key(svc.namespace, svc.name));
  }
}

/** The API server's validation of the fields svcbot sends, as `field: message` causes. */
function validate(manifest: ServiceManifest): string[] {
  const causes: string[] = [];
  const { name } = manifest.metadata;
  if (!DNS_1035_LABEL.test(name) || name.length > 63) {
    causes.push(
      `metadata.name: Invalid value: "${name}": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character`,
    );
  }
  const ports = manifest.spec.ports;
  if (ports.length === 0) causes.push('spec.ports: Required value');
  const names = new Set<string>();
  const seen = new Set<string>();
  ports.forEach((p, i) => {
    const path = `spec.ports[${i}]`;
    if (ports.length > 1 && !p.name) causes.push(`${path}.name: Required value`);
    else if (p.name) {
      if (names.has(p.name)) causes.push(`${path}.name: Duplicate value: "${p.name}"`);
      names.add(p.name);
    }
    if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) {
      causes.push(`${path}.port: Invalid value: ${p.port}: must be between 1 and 65535, inclusive`);
    }
    const target = p.targetPort;
    if (typeof target === 'number' && (!Number.isInteger(target) || target < 1 || target > 65535)) {
      causes.push(`${path}.targetPort: Invalid value: ${target}: must be between 1 and 65535, inclusive`);
    }
    if (typeof target === 'string' && (!IANA_SVC_NAME.test(target) || target.length > 15 || target.includes('--'))) {
      causes.push(`${path}.targetPort: Invalid value: "${target}": must be a valid port name`);
    }
    const portKey = `${p.protocol}/${p.port}`;
    if (seen.has(portKey)) causes.push(`${path}: Duplicate value: {"port":${p.port},"protocol":"${p.protocol}"}`);
    seen.add(portKey);
  });
  return causes;
}

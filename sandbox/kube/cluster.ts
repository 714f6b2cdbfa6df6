/**
 * The simulated Kubernetes cluster: store, registry, control loops and seed objects, plus the
 * in-process API the sandbox's cloud controller and tests use. Serve it over HTTP with
 * `createKubeApiServer(cluster, faults)` from ./server.ts.
 *
 * Seeds: namespaces default, kube-system, kube-public, kube-node-lease; N EKS-like nodes
 * `ip-10-0-1-X.<region>.compute.internal` (InternalIP 10.0.1.X, ExternalIP 127.0.B.X — a loopback
 * address the data plane listens on, B the cluster's `nodeAddressBlock` — providerID
 * aws:///<zone>/i-<17 hex>); deployment `alpine` in `default` (2 replicas of
 * httpd:2.4-alpine, containerPort 80 named `http`) and its two running pods.
 */
import { createHash, randomInt } from 'node:crypto';
import { DeploymentController, EndpointsController, Kubelet, NamespaceController, newMeta, type ControllerContext } from './controllers.js';
import { KubeApiError } from './errors.js';
import { unknownFields } from './openapi.js';
import { Registry, timestamp } from './registry.js';
import { createResources, SYSTEM_NAMESPACES, type Resources } from './resources.js';
import { ServiceAllocator } from './services.js';
import { Store, cloneObject, type ChangeType } from './store.js';
import type { Event, KubeObject, Node, Service } from './types.js';

export interface ClusterOptions {
  clusterName: string;
  region: string;
  nodes: number;
  now?: () => Date;
  /** How many events the watch history keeps (default 5000). */
  watchHistorySize?: number;
  /**
   * B in the nodes' ExternalIPs 127.0.B.X (1-254): loopback addresses, so that the host reaches the
   * node ports. Random by default, so that sandboxes running side by side do not take each other's.
   */
  nodeAddressBlock?: number;
}

export interface ClusterChange {
  type: ChangeType;
  /** Plural resource name: `services`, `pods`, `endpoints`, ... */
  resource: string;
  /** The stored object (read-only: it is frozen). */
  object: KubeObject;
}

const EVENT_COMPONENT = 'service-controller';

export class KubeCluster {
  readonly options: Readonly<ClusterOptions>;
  /** @internal the object store (tests and the HTTP server use it). */
  readonly store: Store;
  /** @internal REST semantics over the store. */
  readonly registry: Registry;
  /** @internal the served resources. */
  readonly resources: Resources;
  /** @internal cluster IP and node port allocations. */
  readonly allocator: ServiceAllocator;
  private readonly now: () => Date;
  private readonly nodeAddressBlock: number;
  private watchCount = 0;

  constructor(opts: ClusterOptions) {
    this.options = Object.freeze({ ...opts });
    this.now = opts.now ?? (() => new Date());
    this.nodeAddressBlock = opts.nodeAddressBlock ?? randomInt(1, 255);
    this.store = new Store(opts.watchHistorySize);
    this.allocator = new ServiceAllocator();
    this.resources = createResources(this.allocator);
    this.registry = new Registry({
      store: this.store,
      now: this.now,
      unknownFields,
      onWatchCount: (delta) => {
        this.watchCount += delta;
      },
    });
    const ctx: ControllerContext = { store: this.store, registry: this.registry, resources: this.resources, now: this.now };
    const controllers = [new Kubelet(ctx), new EndpointsController(ctx), new DeploymentController(ctx), new NamespaceController(ctx)];
    this.store.subscribe((ev) => {
      for (const c of controllers) {
        try {
          c.handle(ev);
        } catch (err) {
          // A refused write (e.g. a pod for a namespace being deleted) is the controller's
          // problem, as in a real cluster, not the problem of whoever made the write it reacted to.
          if (!(err instanceof KubeApiError)) throw err;
        }
      }
    });
    this.seed();
  }

  /** Number of open watch connections. */
  get openWatches(): number {
    return this.watchCount;
  }

  /**
   * Calls `listener` after every committed write of any resource, synchronously and in commit
   * order (a write made from inside a listener is announced after the current one). Returns the
   * unsubscribe function.
   */
  onChange(listener: (ev: ClusterChange) => void): () => void {
    return this.store.subscribe((ev) => listener({ type: ev.type, resource: ev.resource, object: ev.object }));
  }

  getService(namespace: string, name: string): Service | undefined {
    const svc = this.store.get('services', namespace, name);
    return svc ? (cloneObject(svc) as Service) : undefined;
  }

  listServices(): Service[] {
    return this.store.list('services').map((s) => cloneObject(s) as Service);
  }

  /**
   * Read-modify-write of a Service, status included, as a controller does. Returns the stored
   * result, or undefined when the Service does not exist (or is gone after the write: emptying
   * the finalizers of a Service with a deletionTimestamp deletes it). Throws a KubeApiError when
   * the mutated Service is invalid.
   */
  updateService(namespace: string, name: string, mutate: (svc: Service) => void): Service | undefined {
    const existing = this.store.get('services', namespace, name);
    if (!existing) return undefined;
    const copy = cloneObject(existing) as Service;
    mutate(copy);
    copy.metadata.resourceVersion = existing.metadata.resourceVersion;
    this.registry.update(this.resources.services, namespace, name, copy, { trusted: true, fieldValidation: 'Ignore' });
    return this.getService(namespace, name);
  }

  listNodes(): Node[] {
    return this.store.list('nodes').map((n) => cloneObject(n) as Node);
  }

  /**
   * Gives a node that has no ExternalIP one in the cluster's loopback block (127.0.B.X, X free, the last
   * octet of its InternalIP when that is free), as the cloud node controller fills in a node's addresses
   * from its instance. Returns the address, or undefined when the node is gone, has one, or none is free.
   */
  assignNodeExternalIP(name: string): string | undefined {
    const node = this.store.get('nodes', '', name) as Node | undefined;
    if (!node || node.status?.addresses?.some((a) => a.type === 'ExternalIP')) return undefined;
    const prefix = `127.0.${this.nodeAddressBlock}.`;
    const taken = new Set(
      (this.store.list('nodes') as Node[]).flatMap((n) => (n.status?.addresses ?? []).filter((a) => a.type === 'ExternalIP').map((a) => a.address)),
    );
    const internal = Number(node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address.split('.')[3]);
    const candidates = [...(internal >= 1 && internal <= 254 ? [internal] : []), ...Array.from({ length: 254 }, (_, i) => i + 1)];
    const octet = candidates.find((x) => !taken.has(`${prefix}${x}`));
    if (octet === undefined) return undefined;
    const address = `${prefix}${octet}`;
    const next = cloneObject(node);
    next.status = { ...next.status, addresses: [...(next.status?.addresses ?? []), { type: 'ExternalIP', address }] };
    this.store.update('nodes', next);
    return address;
  }

  /**
   * Records an Event about a Service from the service controller; a repeat of the same type,
   * reason and message bumps `count` and `lastTimestamp` of the existing Event. Like the real
   * event recorder it is best effort: nothing is recorded in a namespace being deleted.
   */
  recordEvent(service: Service, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const namespace = service.metadata.namespace ?? 'default';
    const ns = this.store.get('namespaces', '', namespace);
    if (!ns || ns.metadata.deletionTimestamp !== undefined) return;
    const now = this.now();
    const existing = this.store
      .list('events', namespace)
      .find((e) => {
        const ev = e as Event;
        return (
          ev.involvedObject?.uid === service.metadata.uid &&
          ev.reason === reason &&
          ev.message === message &&
          ev.type === type &&
          ev.source?.component === EVENT_COMPONENT
        );
      }) as Event | undefined;
    if (existing) {
      const next = cloneObject(existing);
      next.count = (existing.count ?? 1) + 1;
      next.lastTimestamp = timestamp(now);
      this.store.update('events', next);
      return;
    }
    const nanos = BigInt(now.getTime()) * 1_000_000n + BigInt(this.store.resourceVersion % 1_000_000);
    const event: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: newMeta(this.controllerContext(), namespace, `${service.metadata.name}.${nanos.toString(16)}`),
      involvedObject: {
        kind: 'Service',
        namespace,
        name: service.metadata.name,
        uid: service.metadata.uid,
        apiVersion: 'v1',
        resourceVersion: service.metadata.resourceVersion,
      },
      reason,
      message,
      source: { component: EVENT_COMPONENT },
      firstTimestamp: timestamp(now),
      lastTimestamp: timestamp(now),
      count: 1,
      type,
      eventTime: null,
      reportingComponent: EVENT_COMPONENT,
      reportingInstance: '',
    };
    if (this.store.get('events', namespace, event.metadata.name)) return;
    this.store.create('events', event);
  }

  /** Forgets the watch history: resuming a watch from any earlier resourceVersion gets 410 Gone. */
  compactWatchHistory(): void {
    this.store.compact();
  }

  private controllerContext(): ControllerContext {
    return { store: this.store, registry: this.registry, resources: this.resources, now: this.now };
  }

  /* --------------------------------------------------------------------------------- seeds */

  private seed(): void {
    const { registry, resources } = this;
    for (const name of SYSTEM_NAMESPACES) {
      registry.create(resources.namespaces, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    }
    for (let i = 1; i <= this.options.nodes; i++) this.store.create('nodes', this.node(i));
    registry.create(resources.deployments, 'default', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'alpine', labels: { app: 'alpine' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'alpine' } },
        template: {
          metadata: { labels: { app: 'alpine' } },
          spec: {
            containers: [{ name: 'httpd', image: 'httpd:2.4-alpine', ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }] }],
          },
        },
      },
    });
  }

  private node(i: number): Node {
    const { region, clusterName } = this.options;
    const x = 10 + i;
    const zone = `${region}${'abc'[(i - 1) % 3]}`;
    const name = `ip-10-0-1-${x}.${region}.compute.internal`;
    const digest = createHash('sha256').update(`${clusterName}/${region}/${i}`).digest('hex');
    const instanceId = `i-${digest.slice(0, 17)}`;
    const now = timestamp(this.now());
    const condition = (type: string, status: 'True' | 'False', reason: string, message: string) => ({
      type,
      status,
      lastHeartbeatTime: now,
      lastTransitionTime: now,
      reason,
      message,
    });
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: newMeta(this.controllerContext(), undefined, name, {
        labels: {
          'beta.kubernetes.io/arch': 'amd64',
          'beta.kubernetes.io/instance-type': 'm5.large',
          'beta.kubernetes.io/os': 'linux',
          'eks.amazonaws.com/nodegroup': `${clusterName}-nodes`,
          'failure-domain.beta.kubernetes.io/region': region,
          'failure-domain.beta.kubernetes.io/zone': zone,
          'kubernetes.io/arch': 'amd64',
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          'node.kubernetes.io/instance-type': 'm5.large',
          'topology.kubernetes.io/region': region,
          'topology.kubernetes.io/zone': zone,
        },
        annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
      }),
      spec: {
        podCIDR: `10.244.${i - 1}.0/24`,
        podCIDRs: [`10.244.${i - 1}.0/24`],
        providerID: `aws:///${zone}/${instanceId}`,
      },
      status: {
        addresses: [
          { type: 'InternalIP', address: `10.0.1.${x}` },
          { type: 'ExternalIP', address: `127.0.${this.nodeAddressBlock}.${x}` },
          { type: 'Hostname', address: name },
          { type: 'InternalDNS', address: name },
        ],
        capacity: { cpu: '2', 'ephemeral-storage': '20959212Ki', memory: '7910464Ki', pods: '29' },
        allocatable: { cpu: '1930m', 'ephemeral-storage': '18242267924', memory: '7220288Ki', pods: '29' },
        conditions: [
          condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
          condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
          condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
          condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
        ],
        daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
        nodeInfo: {
          architecture: 'amd64',
          bootID: digest.slice(17, 53),
          containerRuntimeVersion: 'containerd://1.7.20',
          kernelVersion: '6.1.102-111.182.amzn2023.x86_64',
          kubeProxyVersion: 'v1.31.0-eks-sandbox',
          kubeletVersion: 'v1.31.0-eks-sandbox',
          machineID: digest.slice(0, 32),
          operatingSystem: 'linux',
          osImage: 'Amazon Linux 2023.5.20240819',
          systemUUID: digest.slice(32, 64),
        },
      },
    };
  }
}

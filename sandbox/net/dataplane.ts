/**
 * The sandbox's data plane: TCP traffic along the path a cluster on AWS gives it.
 *
 * Inside the cluster (an in-process virtual network, nothing bound on the host): `dialInternal(ip,
 * port)` connects as a pod would — to a pod IP and container port (see ./pods.ts for what a pod
 * serves), to a cluster IP and Service port (kube-proxy: a ready endpoint from the Service's
 * EndpointSlices, round-robin per Service port, then its target port), or to a node's address and a
 * node port. `resolveInternal(name, namespace)` is cluster DNS (./cluster-dns.ts).
 *
 * From the host (real sockets on loopback, ./host-listeners.ts): each node's ExternalIP (a 127.x.y.z
 * address) listens on every node port and forwards to the Service, as kube-proxy does; each classic
 * load balancer's addresses (what its DNS name resolves to) listen on its listener ports and forward to
 * the node port of an InService instance (round-robin). Direct host → node port connections pass the
 * node-port gate first (the nodes' security group; allow all by default); the load balancer's do not.
 * Host → load balancer connections pass the load-balancer gate first (its security groups; allow all
 * by default).
 *
 * A connection that nothing serves is refused: `dialInternal` rejects with `code: 'ECONNREFUSED'`; a
 * loopback listener has already accepted, so it resets the connection (the client sees ECONNRESET
 * right after connecting, or a closed socket).
 */
import { isIPv4 } from 'node:net';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import type { ElbStore, LoadBalancer } from '../elb/store.js';
import type { KubeCluster } from '../kube/cluster.js';
import type { Node, Service, ServicePort } from '../kube/types.js';
import { resolveClusterName } from './cluster-dns.js';
import { ClusterView, externalIPOf, instanceIdOf } from './cluster-view.js';
import { connectionRefused } from './errors.js';
import { HostListeners, type BindFailure } from './host-listeners.js';
import { createBusyboxHttpdServer, createHttpdServer } from './httpd.js';
import { connectedPair } from './pair.js';
import { isPodServing, podServiceOn } from './pods.js';
import { splice } from './splice.js';

export type { BindFailure } from './host-listeners.js';

/** Decides whether a connection from the host to a node's node port may pass (the nodes' security group). */
export type NodePortGate = (node: { name: string; instanceId?: string }, port: number, remoteAddress: string) => boolean;

/** Decides whether a connection from the host to a load balancer's listener may pass (its security groups). */
export type LoadBalancerGate = (lb: { name: string; securityGroups: readonly string[] }, port: number, remoteAddress: string) => boolean;

/** One hop a connection took, for tests and debugging (`onHop`). */
export type Hop =
  | { kind: 'pod'; namespace: string; pod: string; ip: string; port: number; serves: 'http' | 'echo' | 'busybox-httpd' }
  | { kind: 'service'; namespace: string; service: string; port: number; endpoint: string }
  | { kind: 'nodePort'; node: string; port: number; from: 'host' | 'loadBalancer' | 'cluster' }
  | { kind: 'loadBalancer'; name: string; port: number; instanceId: string }
  | { kind: 'refused'; address: string; port: number; why: string };

export interface DataPlaneOptions {
  cluster: KubeCluster;
  elb: ElbStore;
  /** Called when a loopback listener cannot be opened (also kept in `bindFailures`). */
  onBindFailure?: (failure: BindFailure) => void;
  /**
   * Open loopback listeners for node ports and load balancers (default true). False keeps the data path
   * in-process only (`dialInternal`): for benchmarks with thousands of Services, where the listeners
   * would cost a file descriptor each and a look over every Service at each change.
   */
  hostListeners?: boolean;
  /** At most this many loopback listeners (default 4096); those beyond are bind failures (`EMFILE`). */
  maxHostListeners?: number;
}

const allowAll = (): boolean => true;
const DEFAULT_MAX_HOST_LISTENERS = 4096;

/** Only loopback addresses are bound: anything else is not this host's to take. */
function isLoopback(ip: string | undefined): ip is string {
  return ip !== undefined && isIPv4(ip) && ip.startsWith('127.');
}

export class DataPlane {
  private readonly view: ClusterView;
  private readonly listeners: HostListeners;
  private readonly httpd = createHttpdServer();
  /** The index page each BusyBox httpd connection serves. */
  private readonly busyboxPages = new WeakMap<object, string | undefined>();
  private readonly busybox = createBusyboxHttpdServer((connection) =>
    typeof connection === 'object' && connection !== null ? this.busyboxPages.get(connection) : undefined,
  );
  private readonly streams = new Set<Duplex>();
  private readonly roundRobin = new Map<string, number>();
  private readonly hopListeners = new Set<(hop: Hop) => void>();
  private gate: NodePortGate = allowAll;
  private lbGate: LoadBalancerGate = allowAll;
  private unsubscribe: (() => void)[] = [];
  private closing: Promise<void> | undefined;
  private pendingReconcile: Promise<void> | undefined;

  constructor(private readonly opts: DataPlaneOptions) {
    this.view = new ClusterView(opts.cluster);
    this.listeners = new HostListeners((socket, address, port) => this.acceptFromHost(socket, address, port), {
      ...(opts.onBindFailure ? { onFailure: opts.onBindFailure } : {}),
      max: opts.maxHostListeners ?? DEFAULT_MAX_HOST_LISTENERS,
    });
  }

  /** Starts following the cluster and the load balancers, opening loopback listeners to match. */
  start(): void {
    if (this.unsubscribe.length > 0 || this.closing || this.opts.hostListeners === false) return;
    this.unsubscribe = [
      this.opts.cluster.onChange((ev) => {
        if (ev.resource === 'services' || ev.resource === 'nodes') this.scheduleReconcile();
      }),
      this.opts.elb.onChange(() => this.scheduleReconcile()),
    ];
    this.reconcile();
  }

  /** Listeners that could not be opened (EACCES, EADDRINUSE), oldest first. */
  get bindFailures(): readonly BindFailure[] {
    return this.listeners.failures;
  }

  /** The loopback addresses and ports listening now. */
  get hostListeners(): { address: string; port: number }[] {
    return this.listeners.open;
  }

  /** Resolves once every loopback listener wanted so far is open (or failed) and every unwanted one closed. */
  async settled(): Promise<void> {
    await this.pendingReconcile;
    await this.listeners.settled();
  }

  /** The gate host → node:nodePort connections pass (`startSandbox` sets the nodes' security group). */
  get nodePortGate(): NodePortGate {
    return this.gate;
  }

  /** Sets the gate for host → node:nodePort connections (the nodes' security group); undefined allows all. */
  setNodePortGate(gate: NodePortGate | undefined): void {
    this.gate = gate ?? allowAll;
  }

  /** The gate host → load balancer listener connections pass (`startSandbox` sets its security groups). */
  get loadBalancerGate(): LoadBalancerGate {
    return this.lbGate;
  }

  /** Sets the gate for host → load balancer listener connections (its security groups); undefined allows all. */
  setLoadBalancerGate(gate: LoadBalancerGate | undefined): void {
    this.lbGate = gate ?? allowAll;
  }

  /** Hears every hop of every connection; returns the unsubscribe function. */
  onHop(listener: (hop: Hop) => void): () => void {
    this.hopListeners.add(listener);
    return () => this.hopListeners.delete(listener);
  }

  /**
   * Connects as a pod inside the cluster would, to a pod IP, a cluster IP or a node address (Internal
   * or External) with a node port. Rejects with `code: 'ECONNREFUSED'` when nothing serves there.
   */
  dialInternal(ip: string, port: number): Promise<Duplex> {
    try {
      return Promise.resolve(this.route(ip, port));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Cluster DNS: the addresses `name` resolves to from a pod in `namespace`; rejects with ENOTFOUND. */
  resolveInternal(name: string, namespace = 'default'): Promise<string[]> {
    try {
      return Promise.resolve(resolveClusterName(this.view, name, namespace));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Closes every listener and every connection, in the cluster and on the host. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const off of this.unsubscribe) off();
      this.unsubscribe = [];
      await this.pendingReconcile;
      await this.listeners.close();
      for (const stream of this.streams) stream.destroy();
      this.streams.clear();
      this.httpd.close();
      this.busybox.close();
    })();
    return this.closing;
  }

  /* ------------------------------------------------------------------------------- routing */

  private route(ip: string, port: number): Duplex {
    if (this.closing) throw connectionRefused(ip, port, 'the sandbox is closed');
    const pod = this.view.podByIP(ip);
    if (pod) return this.dialPod(ip, port);
    const service = this.view.serviceByClusterIP(ip);
    if (service) return this.dialClusterIP(service, ip, port);
    const node = this.view.nodeByAddress(ip, 'InternalIP') ?? this.view.nodeByAddress(ip, 'ExternalIP');
    if (node) return this.dialNodePort(node, port, 'cluster');
    throw this.refuse(ip, port, 'no pod, Service or node has this address');
  }

  private dialPod(ip: string, port: number): Duplex {
    const pod = this.view.podByIP(ip);
    if (!pod) throw this.refuse(ip, port, 'no pod has this IP');
    const where = `pod ${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
    if (!isPodServing(pod)) throw this.refuse(ip, port, `${where} is not running and ready`);
    const serves = podServiceOn(pod, port);
    if (!serves) throw this.refuse(ip, port, `nothing listens on port ${port} of ${where}`);
    this.emitHop({
      kind: 'pod',
      namespace: pod.metadata.namespace ?? 'default',
      pod: pod.metadata.name,
      ip,
      port,
      serves: typeof serves === 'string' ? serves : 'busybox-httpd',
    });
    const [client, server] = connectedPair();
    this.keep(client);
    this.keep(server);
    if (serves === 'http') this.httpd.emit('connection', server);
    else if (serves === 'echo') server.pipe(server);
    else {
      this.busyboxPages.set(server, serves.busybox);
      this.busybox.emit('connection', server);
    }
    return client;
  }

  private dialClusterIP(service: Service, ip: string, port: number): Duplex {
    const servicePort = service.spec.ports?.find((p) => p.port === port && (p.protocol ?? 'TCP') === 'TCP');
    if (!servicePort) throw this.refuse(ip, port, `Service ${serviceName(service)} has no TCP port ${port}`);
    return this.dialService(service, servicePort, ip, port);
  }

  /** kube-proxy: a ready endpoint of the Service port, round-robin, at its target port. */
  private dialService(service: Service, servicePort: ServicePort, ip: string, port: number, nodeName?: string): Duplex {
    const endpoints = this.view.readyEndpoints(service, servicePort, nodeName);
    if (endpoints.length === 0) {
      throw this.refuse(ip, port, `Service ${serviceName(service)} has no ready endpoint${nodeName ? ` on node ${nodeName}` : ''}`);
    }
    const key = `${service.metadata.uid}/${servicePort.name ?? ''}/${nodeName ?? ''}`;
    const n = this.roundRobin.get(key) ?? 0;
    this.roundRobin.set(key, n + 1);
    const endpoint = endpoints[n % endpoints.length]!;
    this.emitHop({
      kind: 'service',
      namespace: service.metadata.namespace ?? 'default',
      service: service.metadata.name,
      port: servicePort.port,
      endpoint: `${endpoint.ip}:${endpoint.port}`,
    });
    return this.dialPod(endpoint.ip, endpoint.port);
  }

  private dialNodePort(node: Node, port: number, from: 'host' | 'loadBalancer' | 'cluster'): Duplex {
    const address = externalIPOf(node) ?? node.metadata.name;
    const owner = this.view.serviceByNodePort(port);
    if (!owner) throw this.refuse(address, port, `no Service has node port ${port}`);
    this.emitHop({ kind: 'nodePort', node: node.metadata.name, port, from });
    // externalTrafficPolicy: Local keeps traffic from outside on the node it arrived at.
    const local = from !== 'cluster' && owner.service.spec.externalTrafficPolicy === 'Local' ? node.metadata.name : undefined;
    return this.dialService(owner.service, owner.port, address, port, local);
  }

  private dialLoadBalancer(lb: LoadBalancer, address: string, port: number): Duplex {
    const listener = lb.listeners.find((l) => l.loadBalancerPort === port);
    if (!listener) throw this.refuse(address, port, `load balancer ${lb.name} has no listener on port ${port}`);
    const healthy = this.opts.elb
      .instanceHealth(lb.name)
      .filter((h) => h.state === 'InService')
      .map((h) => ({ instanceId: h.instanceId, node: this.view.nodeByInstanceId(h.instanceId) }))
      .filter((h): h is { instanceId: string; node: Node } => h.node !== undefined);
    if (healthy.length === 0) throw this.refuse(address, port, `load balancer ${lb.name} has no instance InService`);
    const key = `elb/${lb.name}/${port}`;
    const n = this.roundRobin.get(key) ?? 0;
    this.roundRobin.set(key, n + 1);
    const target = healthy[n % healthy.length]!;
    this.emitHop({ kind: 'loadBalancer', name: lb.name, port, instanceId: target.instanceId });
    return this.dialNodePort(target.node, listener.instancePort, 'loadBalancer');
  }

  /* ------------------------------------------------------------------------- host side */

  /** One reconcile for a burst of changes (a write and the controllers' writes it sets off). */
  private scheduleReconcile(): void {
    this.pendingReconcile ??= new Promise<void>((resolve) => {
      setImmediate(() => {
        this.pendingReconcile = undefined;
        this.reconcile();
        resolve();
      });
    });
  }

  /** What every loopback listener should be: nodes' ExternalIPs × node ports, load balancers' addresses × listener ports. */
  private reconcile(): void {
    if (this.closing) return;
    const wanted: { address: string; port: number }[] = [];
    const nodePorts = this.view.nodePorts();
    for (const node of this.view.nodes()) {
      const ip = externalIPOf(node);
      if (!isLoopback(ip)) continue;
      for (const port of nodePorts) wanted.push({ address: ip, port });
    }
    for (const lb of this.opts.elb.list()) {
      for (const address of lb.addresses.filter(isLoopback)) {
        for (const l of lb.listeners) wanted.push({ address, port: l.loadBalancerPort });
      }
    }
    this.listeners.want(wanted);
  }

  private acceptFromHost(socket: net.Socket, address: string, port: number): void {
    socket.on('error', () => undefined);
    let target: Duplex;
    try {
      target = this.routeFromHost(socket, address, port);
    } catch {
      socket.resetAndDestroy();
      return;
    }
    splice(socket, target);
  }

  private routeFromHost(socket: net.Socket, address: string, port: number): Duplex {
    const node = this.view.nodeByAddress(address, 'ExternalIP');
    if (node) {
      const instanceId = instanceIdOf(node);
      const remote = socket.remoteAddress ?? '';
      if (!this.gate({ name: node.metadata.name, ...(instanceId ? { instanceId } : {}) }, port, remote)) {
        throw this.refuse(address, port, `the node-port gate refused ${remote}`);
      }
      return this.dialNodePort(node, port, 'host');
    }
    const lb = this.opts.elb.list().find((l) => l.addresses.includes(address));
    if (lb) {
      const remote = socket.remoteAddress ?? '';
      if (lb.listeners.some((l) => l.loadBalancerPort === port) && !this.lbGate({ name: lb.name, securityGroups: lb.securityGroups }, port, remote)) {
        throw this.refuse(address, port, `the load-balancer gate refused ${remote}`);
      }
      return this.dialLoadBalancer(lb, address, port);
    }
    throw this.refuse(address, port, 'no node or load balancer has this address');
  }

  /* ------------------------------------------------------------------------------ helpers */

  private keep(stream: Duplex): void {
    this.streams.add(stream);
    stream.on('close', () => this.streams.delete(stream));
    stream.on('error', () => undefined);
  }

  private refuse(address: string, port: number, why: string): Error {
    this.emitHop({ kind: 'refused', address, port, why });
    return connectionRefused(address, port, why);
  }

  private emitHop(hop: Hop): void {
    for (const listener of this.hopListeners) listener(hop);
  }
}

function serviceName(service: Service): string {
  return `${service.metadata.namespace ?? 'default'}/${service.metadata.name}`;
}

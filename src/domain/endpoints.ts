/**
 * Where a Service can be reached from, worked out from its view and the cluster's nodes: a structured
 * answer (addresses + notes) that renderers turn into words.
 */
import type { Protocol } from './command.js';
import type { NodeView, ServicePortView, ServiceView } from './views.js';

/** The default NodePort range of kube-apiserver (`--service-node-port-range`). */
export const NODE_PORT_RANGE = { min: 30000, max: 32767 } as const;

const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

type EndpointKind = 'load-balancer' | 'node-port' | 'cluster-ip' | 'cluster-dns';

/** `cluster`: only from pods (or nodes) inside the cluster; `outside`: from outside the cluster too. */
type ReachableFrom = 'cluster' | 'outside';

export interface ReachableEndpoint {
  kind: EndpointKind;
  from: ReachableFrom;
  host: string;
  port: number;
  protocol: Protocol;
  /** The Service port this address leads to, and its name. */
  servicePort: number;
  portName?: string;
  /** `http://HOST:PORT` (or `https://`) when the port looks like a web port. */
  url?: string;
  /** For `node-port`: which node, and which of its addresses `host` is. */
  node?: { name: string; addressType: 'ExternalIP' | 'InternalIP' | 'Hostname' };
}

export interface PortRef {
  port: number;
  protocol: Protocol;
}

export type ReachabilityNote =
  /** A ClusterIP Service: nothing outside the cluster can reach it. */
  | { kind: 'cluster-only' }
  /** `clusterIP: None`: the DNS name resolves to the ready pods' IPs; there is no virtual IP. */
  | { kind: 'headless' }
  /** The cluster IP has not been allocated yet. */
  | { kind: 'cluster-ip-pending' }
  /** An ExternalName Service: its DNS name is a CNAME to `externalName`. */
  | { kind: 'external-name'; externalName: string }
  /** The nodes' security group must allow these node ports (from wherever clients are). */
  | { kind: 'security-group'; ports: PortRef[] }
  /** These nodes have no ExternalIP: their node ports are reachable from inside the VPC only. */
  | { kind: 'internal-ip-only'; nodes: string[] }
  /** Nodes left out because they are not Ready. */
  | { kind: 'nodes-not-ready'; nodes: string[] }
  /** No Ready node has an address, so no node port address can be given. */
  | { kind: 'no-node-addresses' }
  /** The type needs node ports but none is allocated yet. */
  | { kind: 'node-ports-pending' }
  /** A LoadBalancer Service whose load balancer has no hostname yet. */
  | { kind: 'load-balancer-provisioning' }
  /** A classic ELB forwards TCP only: these ports are not reachable through it. */
  | { kind: 'load-balancer-unsupported-protocol'; ports: PortRef[] }
  /** The Service has no ports. */
  | { kind: 'no-ports' }
  /** The Service is being deleted; these addresses are going away. */
  | { kind: 'deleting' };

export type ReachabilityNoteKind = ReachabilityNote['kind'];

export interface Reachability {
  /** Outside-reachable addresses first (load balancer, node ports), then cluster-internal ones. */
  endpoints: ReachableEndpoint[];
  notes: ReachabilityNote[];
}

export interface ReachabilityOptions {
  /** The cluster's DNS domain; `cluster.local` unless configured otherwise. */
  clusterDomain?: string;
}

const WEB_PORTS = new Set([80, 8080, 8000, 3000, 5000, 8888]);
const TLS_PORTS = new Set([443, 8443]);
const WEB_NAME = /^(?:http|web|www|ui|http-.+|.+-http|web-.+|.+-web)$/i;
const TLS_NAME = /^(?:https|tls|https-.+|.+-https)$/i;

/** `http`/`https` if a TCP port looks like a web port (by number or by name), else undefined. */
export function webScheme(port: Pick<ServicePortView, 'name' | 'port' | 'protocol'>): 'http' | 'https' | undefined {
  if (port.protocol !== 'TCP') return undefined;
  const name = port.name ?? '';
  if (TLS_NAME.test(name)) return 'https';
  if (WEB_NAME.test(name)) return 'http';
  if (name !== '') return undefined; // a named port that says it is something else (e.g. `metrics`, `grpc`)
  if (TLS_PORTS.has(port.port)) return 'https';
  if (WEB_PORTS.has(port.port)) return 'http';
  return undefined;
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host; // IPv6 literal
}

function nodeAddress(node: NodeView): ReachableEndpoint['node'] & { host: string } | undefined {
  if (node.externalIP) return { name: node.name, addressType: 'ExternalIP', host: node.externalIP };
  if (node.internalIP) return { name: node.name, addressType: 'InternalIP', host: node.internalIP };
  if (node.hostname) return { name: node.name, addressType: 'Hostname', host: node.hostname };
  return undefined;
}

function portFields(p: ServicePortView): Pick<ReachableEndpoint, 'servicePort' | 'portName'> {
  return p.name === undefined ? { servicePort: p.port } : { servicePort: p.port, portName: p.name };
}

function clusterDnsName(service: Pick<ServiceView, 'name' | 'namespace'>, clusterDomain = DEFAULT_CLUSTER_DOMAIN): string {
  return `${service.name}.${service.namespace}.svc.${clusterDomain}`;
}

function loadBalancerPart(service: ServiceView, endpoints: ReachableEndpoint[], notes: ReachabilityNote[]): void {
  const supported = service.ports.filter((p) => p.protocol === 'TCP');
  const unsupported = service.ports.filter((p) => p.protocol !== 'TCP');
  if (unsupported.length > 0) {
    notes.push({
      kind: 'load-balancer-unsupported-protocol',
      ports: unsupported.map((p) => ({ port: p.port, protocol: p.protocol })),
    });
  }
  if (service.loadBalancerHostnames.length === 0) {
    notes.push({ kind: 'load-balancer-provisioning' });
    return;
  }
  for (const host of service.loadBalancerHostnames) {
    for (const p of supported) {
      const scheme = webScheme(p);
      const endpoint: ReachableEndpoint = {
        kind: 'load-balancer',
        from: 'outside',
        host,
        port: p.port,
        protocol: p.protocol,
        ...portFields(p),
      };
      if (scheme) endpoint.url = `${scheme}://${hostForUrl(host)}:${p.port}`;
      endpoints.push(endpoint);
    }
  }
}

function nodePortPart(service: ServiceView, nodes: NodeView[], endpoints: ReachableEndpoint[], notes: ReachabilityNote[]): void {
  const withNodePort = service.ports.filter((p): p is ServicePortView & { nodePort: number } => p.nodePort !== undefined);
  if (withNodePort.length < service.ports.length) notes.push({ kind: 'node-ports-pending' });
  if (withNodePort.length === 0) return;

  const notReady = nodes.filter((n) => !n.ready).map((n) => n.name);
  const addressed = nodes.filter((n) => n.ready).flatMap((n) => nodeAddress(n) ?? []);
  for (const address of addressed) {
    for (const p of withNodePort) {
      endpoints.push({
        kind: 'node-port',
        from: 'outside',
        host: address.host,
        port: p.nodePort,
        protocol: p.protocol,
        ...portFields(p),
        node: { name: address.name, addressType: address.addressType },
      });
    }
  }
  if (notReady.length > 0) notes.push({ kind: 'nodes-not-ready', nodes: notReady });
  if (addressed.length === 0) notes.push({ kind: 'no-node-addresses' });
  const internalOnly = addressed.filter((a) => a.addressType !== 'ExternalIP').map((a) => a.name);
  if (internalOnly.length > 0) notes.push({ kind: 'internal-ip-only', nodes: internalOnly });
  notes.push({ kind: 'security-group', ports: withNodePort.map((p) => ({ port: p.nodePort, protocol: p.protocol })) });
}

function clusterPart(service: ServiceView, clusterDomain: string, endpoints: ReachableEndpoint[], notes: ReachabilityNote[]): void {
  const dnsName = clusterDnsName(service, clusterDomain);
  const headless = service.clusterIP === 'None';
  const clusterIP = headless ? undefined : service.clusterIP;
  if (headless) notes.push({ kind: 'headless' });
  else if (!clusterIP) notes.push({ kind: 'cluster-ip-pending' });

  if (clusterIP) {
    for (const p of service.ports) {
      endpoints.push({ kind: 'cluster-ip', from: 'cluster', host: clusterIP, port: p.port, protocol: p.protocol, ...portFields(p) });
    }
  }
  for (const p of service.ports) {
    // A headless name resolves to pod IPs, so clients connect to the container port, not the Service port.
    const port = headless && typeof p.targetPort === 'number' ? p.targetPort : p.port;
    endpoints.push({ kind: 'cluster-dns', from: 'cluster', host: dnsName, port, protocol: p.protocol, ...portFields(p) });
  }
}

/**
 * The addresses a Service can be reached at, and what to know about them:
 * - ClusterIP: `CLUSTER_IP:PORT` and `NAME.NAMESPACE.svc.cluster.local:PORT`, inside the cluster only
 *   (headless: the DNS name only);
 * - NodePort: each Ready node's ExternalIP (else InternalIP) with each node port, a security-group reminder,
 *   plus the cluster-internal addresses;
 * - LoadBalancer: each load balancer hostname with each (TCP) port, or a "being provisioned" note, plus
 *   node ports and cluster-internal addresses;
 * - ExternalName: the DNS name, a CNAME to the external name.
 */
export function reachableEndpoints(service: ServiceView, nodes: NodeView[], options: ReachabilityOptions = {}): Reachability {
  const clusterDomain = options.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN;
  const endpoints: ReachableEndpoint[] = [];
  const notes: ReachabilityNote[] = [];
  if (service.deleting) notes.push({ kind: 'deleting' });

  if (service.type === 'ExternalName') {
    notes.push({ kind: 'external-name', externalName: service.externalName ?? '' });
    const dnsName = clusterDnsName(service, clusterDomain);
    for (const p of service.ports) {
      endpoints.push({ kind: 'cluster-dns', from: 'cluster', host: dnsName, port: p.port, protocol: p.protocol, ...portFields(p) });
    }
    return { endpoints, notes };
  }

  if (service.ports.length === 0) {
    notes.push({ kind: 'no-ports' });
    return { endpoints, notes };
  }
  if (service.type === 'LoadBalancer') loadBalancerPart(service, endpoints, notes);
  if (service.type === 'LoadBalancer' || service.type === 'NodePort') nodePortPart(service, nodes, endpoints, notes);
  else notes.push({ kind: 'cluster-only' });
  clusterPart(service, clusterDomain, endpoints, notes);
  return { endpoints, notes };
}

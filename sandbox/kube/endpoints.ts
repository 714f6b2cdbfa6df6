/**
 * What the endpoints and endpointslice controllers compute for a Service: its ready (and not ready)
 * pod addresses, with ports resolved from each service port's targetPort (a number, or the name
 * of a container port of the pod). Pure functions; the cluster stores the results.
 */
import type {
  EndpointAddress,
  EndpointPort,
  EndpointSlice,
  Endpoints,
  Pod,
  Service,
  ServicePort,
} from './types.js';
import { matchesMap } from './selectors.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const SLICE_CONTROLLER = 'endpointslice-controller.k8s.io';
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';

function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** The pods a Service selects (none for a Service without selector). */
function selectedPods(svc: Service, pods: Pod[]): Pod[] {
  const selector = svc.spec.selector;
  if (!selector || Object.keys(selector).length === 0) return [];
  const ns = svc.metadata.namespace;
  return pods.filter((p) => p.metadata.namespace === ns && matchesMap(selector, p.metadata.labels));
}

/** True when the Service's endpoints are computed by the controllers (it has a selector). */
export function managesEndpoints(svc: Service): boolean {
  return svc.spec.type !== 'ExternalName' && Object.keys(svc.spec.selector ?? {}).length > 0;
}

/** Resolves a service port against a pod: the numeric targetPort, or the named container port. */
function resolveTargetPort(port: ServicePort, pod: Pod): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  const protocol = port.protocol ?? 'TCP';
  for (const c of pod.spec.containers ?? []) {
    for (const cp of c.ports ?? []) {
      if (cp.name === target && (cp.protocol ?? 'TCP') === protocol) return cp.containerPort;
    }
  }
  return undefined;
}

interface PodEndpoint {
  pod: Pod;
  ports: EndpointPort[];
  ready: boolean;
  terminating: boolean;
}

function podEndpoints(svc: Service, pods: Pod[]): PodEndpoint[] {
  const out: PodEndpoint[] = [];
  for (const pod of selectedPods(svc, pods)) {
    if (!pod.status?.podIP) continue;
    if (pod.status.phase === 'Succeeded' || pod.status.phase === 'Failed') continue;
    const ports: EndpointPort[] = [];
    for (const sp of svc.spec.ports ?? []) {
      const port = resolveTargetPort(sp, pod);
      if (port === undefined) continue;
      const ep: EndpointPort = { port, protocol: (sp.protocol ?? 'TCP') };
      if (sp.name) ep.name = sp.name;
      if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
      ports.push(ep);
    }
    const terminating = pod.metadata.deletionTimestamp !== undefined;
    out.push({ pod, ports, ready: isPodReady(pod) && !terminating, terminating });
  }
  return out;
}

function portsKey(ports: EndpointPort[]): string {
  return JSON.stringify([...ports].sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '') || a.port - b.port));
}

function address(pod: Pod): EndpointAddress {
  const addr: EndpointAddress = {
    ip: pod.status!.podIP!,
    targetRef: { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid },
  };
  if (pod.spec.nodeName) addr.nodeName = pod.spec.nodeName;
  return addr;
}

function ipOrder(a: { ip: string }, b: { ip: string }): number {
  const n = (ip: string) => ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  return n(a.ip) - n(b.ip);
}

/** The `subsets` of the Service's Endpoints object (undefined when there are none). */
export function endpointSubsets(svc: Service, pods: Pod[]): Endpoints['subsets'] {
  const groups = new Map<string, { ports: EndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }>();
  const publishNotReady = svc.spec.publishNotReadyAddresses === true;
  for (const pe of podEndpoints(svc, pods)) {
    if (pe.terminating && !publishNotReady) continue;
    // Endpoints list a pod only with the ports it resolves (headless Services may have none).
    if (pe.ports.length === 0 && (svc.spec.ports?.length ?? 0) > 0) continue;
    const key = portsKey(pe.ports);
    let g = groups.get(key);
    if (!g) {
      g = { ports: pe.ports, ready: [], notReady: [] };
      groups.set(key, g);
    }
    (pe.ready || publishNotReady ? g.ready : g.notReady).push(address(pe.pod));
  }
  if (groups.size === 0) return undefined;
  return [...groups.values()].map((g) => {
    const subset: NonNullable<Endpoints['subsets']>[number] = {};
    if (g.ready.length) subset.addresses = g.ready.sort(ipOrder);
    if (g.notReady.length) subset.notReadyAddresses = g.notReady.sort(ipOrder);
    if (g.ports.length) subset.ports = g.ports;
    return subset;
  });
}

/** The body (addressType, endpoints, ports) of each EndpointSlice of the Service, one per port mapping. */
export function endpointSliceBodies(svc: Service, pods: Pod[], zoneOf: (node: string) => string | undefined): Pick<EndpointSlice, 'addressType' | 'endpoints' | 'ports'>[] {
  const groups = new Map<string, { ports: EndpointPort[]; endpoints: EndpointSlice['endpoints'] }>();
  for (const pe of podEndpoints(svc, pods)) {
    if (pe.ports.length === 0 && (svc.spec.ports?.length ?? 0) > 0) continue;
    const key = portsKey(pe.ports);
    let g = groups.get(key);
    if (!g) {
      g = { ports: pe.ports, endpoints: [] };
      groups.set(key, g);
    }
    const endpoint: EndpointSlice['endpoints'][number] = {
      addresses: [pe.pod.status!.podIP!],
      conditions: { ready: pe.ready, serving: isPodReady(pe.pod), terminating: pe.terminating },
      targetRef: { kind: 'Pod', namespace: pe.pod.metadata.namespace, name: pe.pod.metadata.name, uid: pe.pod.metadata.uid },
    };
    if (pe.pod.spec.nodeName) {
      endpoint.nodeName = pe.pod.spec.nodeName;
      const zone = zoneOf(pe.pod.spec.nodeName);
      if (zone) endpoint.zone = zone;
    }
    g.endpoints.push(endpoint);
  }
  const slicePorts = (ports: EndpointPort[]) =>
    ports.map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP', ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) }));
  if (groups.size === 0) {
    // The controller keeps one placeholder slice for a selected-but-empty Service.
    return [{ addressType: 'IPv4', endpoints: [], ports: [] }];
  }
  return [...groups.values()].map((g) => ({
    addressType: 'IPv4' as const,
    endpoints: g.endpoints.sort((a, b) => ipOrder({ ip: a.addresses[0]! }, { ip: b.addresses[0]! })),
    ports: slicePorts(g.ports),
  }));
}

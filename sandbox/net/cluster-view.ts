/**
 * The lookups the data plane makes in the cluster's state, as kube-proxy and the CNI see it: pods by
 * IP, Services by cluster IP or node port, a Service port's ready endpoints from its EndpointSlices,
 * nodes by address or EC2 instance id. Reads only; every dial looks again, so a change applies to the
 * next connection.
 */
import type { KubeCluster } from '../kube/cluster.js';
import type { EndpointSlice, Node, Pod, Service, ServicePort } from '../kube/types.js';

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface Endpoint {
  ip: string;
  port: number;
  nodeName?: string;
}

export class ClusterView {
  constructor(private readonly cluster: KubeCluster) {}

  podByIP(ip: string): Pod | undefined {
    let found: Pod | undefined;
    this.cluster.store.scan('pods', undefined, undefined, (obj) => {
      const pod = obj as Pod;
      if (pod.status?.podIP === ip || pod.status?.podIPs?.some((p) => p.ip === ip)) {
        // A pod being deleted may still hold an IP the kubelet has given a new pod: prefer the live one.
        found = pod;
        return pod.metadata.deletionTimestamp !== undefined;
      }
      return true;
    });
    return found;
  }

  serviceByClusterIP(ip: string): Service | undefined {
    return this.services().find((s) => s.spec.clusterIP === ip || s.spec.clusterIPs?.includes(ip));
  }

  service(namespace: string, name: string): Service | undefined {
    return this.cluster.store.get('services', namespace, name) as Service | undefined;
  }

  /** The Service and port that own a TCP node port (NodePort and LoadBalancer Services). */
  serviceByNodePort(nodePort: number): { service: Service; port: ServicePort } | undefined {
    for (const service of this.services()) {
      if (service.spec.type !== 'NodePort' && service.spec.type !== 'LoadBalancer') continue;
      const port = service.spec.ports?.find((p) => p.nodePort === nodePort && (p.protocol ?? 'TCP') === 'TCP');
      if (port) return { service, port };
    }
    return undefined;
  }

  /** Every TCP node port in use, with its Service (what every node's kube-proxy opens). */
  nodePorts(): number[] {
    const ports: number[] = [];
    for (const service of this.services()) {
      if (service.spec.type !== 'NodePort' && service.spec.type !== 'LoadBalancer') continue;
      for (const p of service.spec.ports ?? []) {
        if (p.nodePort !== undefined && (p.protocol ?? 'TCP') === 'TCP') ports.push(p.nodePort);
      }
    }
    return ports;
  }

  /**
   * The ready endpoints of one Service port, from the Service's EndpointSlices (the slice port whose
   * name is the Service port's name), in a stable order; with `nodeName`, only those on that node.
   */
  readyEndpoints(service: Service, port: ServicePort, nodeName?: string): Endpoint[] {
    const namespace = service.metadata.namespace ?? 'default';
    const portName = port.name ?? '';
    const out: Endpoint[] = [];
    for (const obj of this.cluster.store.list('endpointslices', namespace)) {
      const slice = obj as EndpointSlice;
      if (slice.metadata.labels?.[SERVICE_NAME_LABEL] !== service.metadata.name) continue;
      if (slice.addressType !== 'IPv4') continue;
      const slicePort = slice.ports?.find((p) => (p.name ?? '') === portName && (p.protocol ?? 'TCP') === 'TCP');
      if (slicePort?.port === undefined) continue;
      for (const ep of slice.endpoints) {
        // kube-proxy treats a missing `ready` as ready (the EndpointSlice API's documented meaning).
        if (ep.conditions?.ready === false) continue;
        if (nodeName !== undefined && ep.nodeName !== nodeName) continue;
        for (const ip of ep.addresses) {
          out.push({ ip, port: slicePort.port, ...(ep.nodeName ? { nodeName: ep.nodeName } : {}) });
        }
      }
    }
    return out.sort((a, b) => (a.ip === b.ip ? a.port - b.port : a.ip < b.ip ? -1 : 1));
  }

  nodes(): Node[] {
    return this.cluster.store.list('nodes') as Node[];
  }

  nodeByAddress(ip: string, type: 'ExternalIP' | 'InternalIP'): Node | undefined {
    return this.nodes().find((n) => n.status?.addresses?.some((a) => a.type === type && a.address === ip));
  }

  nodeByInstanceId(instanceId: string): Node | undefined {
    return this.nodes().find((n) => instanceIdOf(n) === instanceId);
  }

  /** Every Service, in every namespace. */
  services(): Service[] {
    return this.cluster.store.list('services') as Service[];
  }
}

export function instanceIdOf(node: Node): string | undefined {
  const providerID = node.spec?.providerID;
  if (typeof providerID !== 'string') return undefined;
  const id = providerID.split('/').pop();
  return id?.startsWith('i-') ? id : undefined;
}

export function externalIPOf(node: Node): string | undefined {
  return node.status?.addresses?.find((a) => a.type === 'ExternalIP')?.address;
}

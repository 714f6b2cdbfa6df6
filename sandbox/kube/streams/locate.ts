/**
 * Where a proxy request goes, as the apiserver's service and pod REST "resource locations" decide:
 *
 * - `services/[SCHEME:]NAME[:PORT]`: PORT is a service port's name or number (none: the unnamed
 *   port); the target is a ready address of the Service's Endpoints that has that port, taken in turn.
 *   No such port, no Endpoints or no ready address: 503 `no endpoints available for service "NAME"`.
 * - `pods/[SCHEME:]NAME[:PORT]`: the pod's IP and PORT (none: its first container port).
 */
import { KubeApiError, badRequest, notFound, serviceUnavailable } from '../errors.js';
import type { KubeCluster } from '../cluster.js';
import type { Endpoints, Pod, Service } from '../types.js';

export interface ProxyTarget {
  ip: string;
  port: number;
  scheme: 'http' | 'https';
}

/** `[scheme:]name[:port]`, as the apiserver splits a proxy subresource's name. */
function splitSchemeNamePort(id: string): { scheme: string; name: string; port: string } {
  const parts = id.split(':');
  if (parts.length === 1) return { scheme: '', name: parts[0]!, port: '' };
  if (parts.length === 2) return { scheme: '', name: parts[0]!, port: parts[1]! };
  if (parts.length === 3) return { scheme: parts[0]!, name: parts[1]!, port: parts[2]! };
  throw badRequest(`invalid service request ${JSON.stringify(id)}`);
}

function schemeOf(scheme: string, id: string): 'http' | 'https' {
  if (scheme === '' || scheme === 'http') return 'http';
  if (scheme === 'https') return 'https';
  throw badRequest(`invalid service request ${JSON.stringify(id)}`);
}

export class ProxyLocator {
  private turn = 0;

  constructor(private readonly cluster: KubeCluster) {}

  service(namespace: string, id: string): ProxyTarget {
    const { scheme, name, port } = splitSchemeNamePort(id);
    const proto = schemeOf(scheme, id);
    const svc = this.cluster.store.get('services', namespace, name) as Service | undefined;
    if (!svc) throw notFound({ group: '', resource: 'services' }, name);
    let portName = port;
    if (/^\d+$/.test(port)) {
      const sp = (svc.spec?.ports ?? []).find((p) => p.port === Number(port));
      if (!sp) throw serviceUnavailable(`no service port ${Number(port)} found for service "${name}"`);
      portName = sp.name ?? '';
    }
    const eps = this.cluster.store.get('endpoints', namespace, name) as Endpoints | undefined;
    const candidates: ProxyTarget[] = [];
    for (const subset of eps?.subsets ?? []) {
      const ep = (subset.ports ?? []).find((p) => (p.name ?? '') === portName);
      if (!ep) continue;
      for (const a of subset.addresses ?? []) candidates.push({ ip: a.ip, port: ep.port, scheme: proto });
    }
    if (candidates.length === 0) throw serviceUnavailable(`no endpoints available for service "${name}"`);
    return candidates[this.turn++ % candidates.length]!;
  }

  pod(namespace: string, id: string): ProxyTarget & { pod: Pod } {
    const { scheme, name, port } = splitSchemeNamePort(id);
    const proto = schemeOf(scheme, id);
    const pod = this.cluster.store.get('pods', namespace, name) as Pod | undefined;
    if (!pod) throw notFound({ group: '', resource: 'pods' }, name);
    let portNum: number | undefined;
    if (port === '') portNum = pod.spec.containers.flatMap((c) => c.ports ?? [])[0]?.containerPort;
    else if (/^\d+$/.test(port)) portNum = Number(port);
    else portNum = pod.spec.containers.flatMap((c) => c.ports ?? []).find((p) => p.name === port)?.containerPort;
    if (portNum === undefined || portNum < 1 || portNum > 65535) throw badRequest(`invalid port ${JSON.stringify(port)} for pod "${name}"`);
    const ip = pod.status?.podIP;
    if (!ip) throw new KubeApiError(503, 'ServiceUnavailable', `pod "${name}" has no IP address (phase ${pod.status?.phase ?? 'Pending'})`);
    return { ip, port: portNum, scheme: proto, pod };
  }
}

/**
 * Cluster DNS as a pod sees it (CoreDNS's `kubernetes` plugin and the pod's resolv.conf, `search
 * NS.svc.cluster.local svc.cluster.local cluster.local`, `ndots:5`): `NAME.NS.svc.cluster.local`,
 * `NAME.NS.svc`, `NAME.NS` and, from a pod in NS, `NAME` resolve to a Service's cluster IP; a headless
 * Service's names resolve to its ready endpoints' addresses; an IP address stands for itself.
 */
import { isIP } from 'node:net';
import type { ClusterView } from './cluster-view.js';
import { nameNotFound } from './errors.js';

const DOMAIN = 'cluster.local';

/** The names a resolver with the pod's search list tries for `name`, in order. */
function searchCandidates(name: string, namespace: string): string[] {
  const fqdn = name.toLowerCase().replace(/\.$/, '');
  if (name.endsWith('.')) return [fqdn];
  const dots = fqdn.split('.').length - 1;
  const searched = [`${fqdn}.${namespace}.svc.${DOMAIN}`, `${fqdn}.svc.${DOMAIN}`, `${fqdn}.${DOMAIN}`];
  return dots >= 5 ? [fqdn, ...searched] : [...searched, fqdn];
}

export function resolveClusterName(view: ClusterView, name: string, namespace = 'default'): string[] {
  if (isIP(name)) return [name];
  for (const candidate of searchCandidates(name, namespace)) {
    const match = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local$/.exec(candidate);
    if (!match) continue;
    const service = view.service(match[2] ?? '', match[1] ?? '');
    if (!service || service.spec.type === 'ExternalName') continue;
    const clusterIP = service.spec.clusterIP;
    if (clusterIP && clusterIP !== 'None') return [clusterIP];
    const addresses = new Set<string>();
    for (const port of service.spec.ports ?? [{ port: 0 }]) {
      for (const ep of view.readyEndpoints(service, port)) addresses.add(ep.ip);
    }
    if (addresses.size > 0) return [...addresses];
  }
  throw nameNotFound(name);
}

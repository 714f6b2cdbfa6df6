/**
 * A namespaced install: svcbot works in a cluster's configured namespaces only (its service account has
 * Roles there and no cluster-wide Service access). `scopeToNamespaces` puts that limit on a cluster's
 * gateway, so that every path — a slash command, a button, an approved request, a job — is refused the
 * same way, in words, before any request reaches the API server (which would only answer 403), and a
 * list across "all namespaces" lists the configured ones.
 */
import type { ClusterGateway } from '../ports/cluster.js';
import { BotError } from './errors.js';

/** The refusal for a namespace outside the cluster's configured ones. */
function namespaceNotManaged(cluster: string, namespace: string, namespaces: readonly string[], change: boolean): BotError {
  return new BotError(
    'not_allowed',
    `svcbot works only in ${namespaces.length === 1 ? 'namespace' : 'namespaces'} ${namespaces.map((n) => `\`${n}\``).join(', ')} on cluster \`${cluster}\`, not in \`${namespace}\`.` +
      `${change ? ' Nothing was changed.' : ''} (An admin adds a namespace to the \`namespaces\` setting and re-applies the RBAC that \`svcbot rbac\` writes.)`,
  );
}

/** Whether svcbot works in `namespace` of a cluster configured with `namespaces` (undefined: every one). */
export function inScope(namespaces: readonly string[] | undefined, namespace: string): boolean {
  return namespaces === undefined || namespaces.includes(namespace);
}

/** `gateway` limited to `namespaces`; the gateway itself when undefined (every namespace). */
export function scopeToNamespaces(gateway: ClusterGateway, namespaces: readonly string[] | undefined): ClusterGateway {
  if (namespaces === undefined) return gateway;
  /** The refusal (rejected, as the port's calls fail) for a namespace not among them; undefined for one that is. */
  const refused = (namespace: string, change = false): Promise<never> | undefined =>
    namespaces.includes(namespace) ? undefined : Promise.reject(namespaceNotManaged(gateway.name, namespace, namespaces, change));
  return {
    name: gateway.name,
    createService: (manifest, opts) => refused(manifest.metadata.namespace, true) ?? gateway.createService(manifest, opts),
    getService: (namespace, name) => refused(namespace) ?? gateway.getService(namespace, name),
    async listServices(namespace) {
      if (namespace !== null) return refused(namespace) ?? gateway.listServices(namespace);
      // "Every namespace" is every namespace svcbot may read: one list each (it may not list them all at once).
      const lists = await Promise.all(namespaces.map((n) => gateway.listServices(n)));
      return lists.flat();
    },
    setServiceType: (namespace, name, type, opts) => refused(namespace, true) ?? gateway.setServiceType(namespace, name, type, opts),
    deleteService: (namespace, name, opts) => refused(namespace, true) ?? gateway.deleteService(namespace, name, opts),
    listNodes: () => gateway.listNodes(),
    getDeploymentSelector: (namespace, name) => refused(namespace) ?? gateway.getDeploymentSelector(namespace, name),
    listServiceEndpoints: (namespace, name) => refused(namespace) ?? gateway.listServiceEndpoints(namespace, name),
    listServiceEvents: (namespace, name) => refused(namespace) ?? gateway.listServiceEvents(namespace, name),
  };
}

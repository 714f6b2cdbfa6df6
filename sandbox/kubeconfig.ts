import { stringify } from 'yaml';

/** Name of the kubeconfig context (and user) that acts as the sandbox's admin, whatever RBAC enforces. */
const ADMIN_CONTEXT = 'sandbox-admin';

/**
 * A kubeconfig for the sandbox's apiserver: plain HTTP on loopback. With `restricted`, its current
 * context's user impersonates that RBAC-restricted user (`as:`, sent as `Impersonate-User` by kubectl
 * and @kubernetes/client-node alike: what svcbot runs as), and the context `sandbox-admin` is the admin
 * (for test setup, `kubectl --context sandbox-admin`); without, the one user needs no credentials and
 * may do anything.
 * `insecure-skip-tls-verify` is there because @kubernetes/client-node refuses an `http://` server
 * without it (kubectl accepts both).
 */
export function sandboxKubeconfig(
  server: string,
  contextName: string,
  opts: { restricted?: { user: string }; current?: 'restricted' | 'admin' } = {},
): string {
  const admin = { name: ADMIN_CONTEXT, context: { cluster: contextName, user: ADMIN_CONTEXT, namespace: 'default' } };
  const adminUser = { name: ADMIN_CONTEXT, user: {} };
  if (!opts.restricted) {
    return stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: contextName, cluster: { server, 'insecure-skip-tls-verify': true } }],
      users: [{ name: `${contextName}-admin`, user: {} }],
      contexts: [{ name: contextName, context: { cluster: contextName, user: `${contextName}-admin`, namespace: 'default' } }],
      'current-context': contextName,
      preferences: {},
    });
  }
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: contextName, cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: opts.restricted.user, user: { as: opts.restricted.user } }, adminUser],
    contexts: [{ name: contextName, context: { cluster: contextName, user: opts.restricted.user, namespace: 'default' } }, admin],
    'current-context': opts.current === 'admin' ? ADMIN_CONTEXT : contextName,
    preferences: {},
  });
}

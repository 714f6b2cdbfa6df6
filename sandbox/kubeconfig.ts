import { stringify } from 'yaml';

/**
 * A kubeconfig for the sandbox's apiserver: plain HTTP on loopback, no credentials needed.
 * `insecure-skip-tls-verify` is there because @kubernetes/client-node refuses an `http://` server
 * without it (kubectl accepts both).
 */
export function sandboxKubeconfig(server: string, contextName: string): string {
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

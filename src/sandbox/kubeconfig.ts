import { stringify } from 'yaml';

/** A kubeconfig for the sandbox's apiserver: plain HTTP on loopback, no credentials needed. */
export function sandboxKubeconfig(server: string, contextName: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: contextName, cluster: { server } }],
    users: [{ name: `${contextName}-admin`, user: {} }],
    contexts: [{ name: contextName, context: { cluster: contextName, user: `${contextName}-admin`, namespace: 'default' } }],
    'current-context': contextName,
    preferences: {},
  });
}

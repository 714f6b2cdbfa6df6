/**
 * Connection reuse for `@kubernetes/client-node` 1.x. Its KubeConfig builds a new http(s).Agent, without
 * keep-alive, for every request, so each API call pays a TCP (and TLS) handshake. Here each KubeConfig
 * keeps keep-alive agents, one per distinct set of agent options (server, CA, client certificate…), so a
 * rotated client certificate still gets a fresh agent while steady traffic reuses connections.
 */
import { createHash } from 'node:crypto';
import type { Agent } from 'node:http';
import type * as k8s from '@kubernetes/client-node';

type CreateAgent = (cluster: k8s.Cluster | null, agentOptions: Record<string, unknown>) => Agent;

/** Agents kept per KubeConfig before the oldest is closed (each distinct certificate makes one). */
const MAX_AGENTS = 4;

function optionsKey(cluster: k8s.Cluster | null, options: Record<string, unknown>): string {
  return createHash('sha256')
    .update(JSON.stringify({ server: cluster?.server, proxy: cluster?.proxyUrl, options }))
    .digest('hex');
}

/** Makes `kc` reuse connections across API calls; returns a function that closes its sockets. */
export function reuseConnections(kc: k8s.KubeConfig): () => void {
  // createAgent is private in the typings; it is the one place every request's agent comes from.
  const target = kc as unknown as { createAgent: CreateAgent };
  const original = target.createAgent.bind(kc);
  const agents = new Map<string, Agent>();
  target.createAgent = (cluster, agentOptions) => {
    const key = optionsKey(cluster, agentOptions);
    let agent = agents.get(key);
    if (!agent) {
      agent = original(cluster, { ...agentOptions, keepAlive: true, maxSockets: 50, maxFreeSockets: 10 });
      agents.set(key, agent);
      if (agents.size > MAX_AGENTS) {
        const [oldestKey, oldest] = agents.entries().next().value as [string, Agent];
        agents.delete(oldestKey);
        oldest.destroy();
      }
    }
    return agent;
  };
  return () => {
    for (const agent of agents.values()) agent.destroy();
    agents.clear();
  };
}

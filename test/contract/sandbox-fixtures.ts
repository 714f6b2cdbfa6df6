/**
 * The real adapters, built by the real registry (`createClusterRegistry` with its injectable client
 * factories), pointed at an in-process sandbox: what the integration tests run the contracts against.
 */
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import * as k8s from '@kubernetes/client-node';
import { createClusterRegistry, type ClusterRegistryHandle } from '../../src/adapters/clusters.js';
import type { RetrySettings } from '../../src/adapters/kubernetes-retry.js';
import type { ClusterConfig } from '../../src/config/index.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../sandbox/index.js';

/** Fast enough for tests: load balancers in 50 ms, their DNS names in 100 ms. */
const FAST_SANDBOX: SandboxOptions = {
  kubeconfigPath: null,
  provisionDelayMs: 50,
  dnsDelayMs: 100,
  instanceWarmupMs: 50,
};

export function clusterConfig(name: string, region = 'us-east-1'): ClusterConfig {
  return { name, context: undefined, kubeconfig: undefined, region, clusterName: name, namespaces: undefined };
}

export function sandboxKubeConfig(sandbox: Sandbox, server?: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(sandbox.kubeconfigYaml);
  if (server === undefined) return kc;
  // The same credentials, another API server address (e.g. a port nobody listens on).
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('sandbox kubeconfig has no current cluster');
  kc.clusters = kc.clusters.map((c) => (c.name === cluster.name ? { ...c, server } : c));
  return kc;
}

export function sandboxElbClient(sandbox: Sandbox): ElasticLoadBalancingClient {
  return new ElasticLoadBalancingClient({
    region: sandbox.info.region,
    endpoint: sandbox.info.elbEndpoint,
    credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
    // One attempt: a throttled or failing call shows at once instead of after the SDK's backoff.
    maxAttempts: 1,
  });
}

export interface SandboxTarget {
  sandbox: Sandbox;
  registry: ClusterRegistryHandle;
  close(): Promise<void>;
}

/** A sandbox and a one-cluster registry of real adapters pointed at it (cluster name = the sandbox's). */
export async function startSandboxTarget(options: SandboxOptions = {}, retry: Partial<RetrySettings> = {}): Promise<SandboxTarget> {
  const sandbox = await startSandbox({ ...FAST_SANDBOX, ...options });
  const registry = createClusterRegistry(
    [clusterConfig(sandbox.info.clusterName, sandbox.info.region)],
    {
      loadKubeConfig: () => sandboxKubeConfig(sandbox),
      createElbClient: () => sandboxElbClient(sandbox),
    },
    retry,
  );
  return {
    sandbox,
    registry,
    async close() {
      registry.close();
      await sandbox.close();
    },
  };
}

/**
 * The console's sandbox: started in this process (loaded lazily, so a console against real clusters
 * never loads it) and wired in as the one cluster `sandbox`, through the same client factories the
 * Slack app takes.
 */
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { KubeConfig } from '@kubernetes/client-node';
import type { AppOverrides } from '../app.js';
import { parseDnsServer, type ClusterConfig, type Config } from '../config/index.js';
import type { Sandbox, SandboxOptions } from '../../sandbox/index.js';

export type StartSandbox = (options: SandboxOptions) => Promise<Sandbox>;

export const loadStartSandbox = async (): Promise<StartSandbox> => (await import('../../sandbox/index.js')).startSandbox;

/** Quick enough to watch a load balancer appear, slow enough to see it happen. */
export const CONSOLE_SANDBOX_OPTIONS: SandboxOptions = {
  kubeconfigPath: null,
  clusterName: 'sandbox',
  provisionDelayMs: 2000,
  dnsDelayMs: 5000,
  instanceWarmupMs: 2000,
};

export interface ConsoleSandbox {
  /** The configuration with the sandbox as its only cluster. */
  config: Config;
  overrides: AppOverrides;
  /** Kubernetes API base URL, for the log. */
  kubeApi: string;
  close(): Promise<void>;
}

/** Starts the sandbox and points a copy of `config` at it. */
export async function startConsoleSandbox(start: StartSandbox, config: Config, options: SandboxOptions = {}): Promise<ConsoleSandbox> {
  const sandbox = await start({ ...CONSOLE_SANDBOX_OPTIONS, ...options });
  const { info } = sandbox;
  const cluster: ClusterConfig = {
    name: 'sandbox',
    context: undefined,
    kubeconfig: undefined,
    region: info.region,
    clusterName: info.clusterName,
  };
  const dns = parseDnsServer(info.dnsServer);
  return {
    config: { ...config, clusters: [cluster], clusterName: info.clusterName, awsRegion: info.region, dnsServers: dns ? [dns] : [] },
    overrides: {
      loadKubeConfig: () => {
        const kc = new KubeConfig();
        kc.loadFromString(sandbox.kubeconfigYaml);
        return kc;
      },
      createElbClient: () =>
        new ElasticLoadBalancingClient({
          region: info.region,
          endpoint: info.elbEndpoint,
          // The sandbox accepts any credentials; these keep the SDK from looking for real ones.
          credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
        }),
    },
    kubeApi: info.kubeApi,
    close: () => sandbox.close(),
  };
}

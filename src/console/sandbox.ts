/**
 * The console's sandbox: started in this process (loaded lazily, so a console against real clusters
 * never loads it) and wired in as the one cluster `sandbox`, through the composition root's clients for
 * a cluster at fixed addresses (its kubeconfig YAML and its ELB endpoint).
 */
import { parseDnsServer, type ClusterConfig, type Config } from '../config/index.js';
import type { Sandbox, SandboxOptions } from '../../sandbox/index.js';
import { loadSandboxModule } from '../sandbox-loader.js';

export type StartSandbox = (options: SandboxOptions) => Promise<Sandbox>;

export const loadStartSandbox = async (): Promise<StartSandbox> => (await loadSandboxModule(() => import('../../sandbox/index.js'))).startSandbox;

/** Quick enough to watch a load balancer appear, slow enough to see it happen. */
const CONSOLE_SANDBOX_OPTIONS: SandboxOptions = {
  kubeconfigPath: null,
  clusterName: 'sandbox',
  provisionDelayMs: 2000,
  dnsDelayMs: 5000,
  instanceWarmupMs: 2000,
};

export interface ConsoleSandbox {
  /** The configuration with the sandbox as its only cluster. */
  config: Config;
  /** Where the sandbox's Kubernetes API and ELB API are. */
  endpoints: { kubeconfigYaml: string; elbEndpoint: string; region: string };
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
    endpoints: { kubeconfigYaml: sandbox.kubeconfigYaml, elbEndpoint: info.elbEndpoint, region: info.region },
    kubeApi: info.kubeApi,
    close: () => sandbox.close(),
  };
}

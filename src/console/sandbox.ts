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

/**
 * Load balancers the console's sandbox starts with, as a real account has them, for `orphans` to show: one
 * left behind by a Service of the sandbox's cluster that is gone (as a cloud controller that missed the
 * deletion leaves it), one of a cluster svcbot is not configured for (an NLB of the AWS Load Balancer
 * Controller), and one with no cluster tag at all.
 */
function seedLoadBalancers(sandbox: Sandbox): void {
  const zones = [`${sandbox.info.region}a`];
  sandbox.elb.create({
    name: 'a7f3c9e1d2b04c8e9f6a5b3c2d1e0f9a',
    listeners: [{ protocol: 'TCP', loadBalancerPort: 80, instanceProtocol: 'TCP', instancePort: 31380 }],
    availabilityZones: zones,
    tags: { [`kubernetes.io/cluster/${sandbox.info.clusterName}`]: 'owned', 'kubernetes.io/service-name': 'default/old-web' },
  });
  sandbox.elbv2.createLoadBalancer({
    name: 'k8s-shop-checkout-7f3a',
    type: 'network',
    subnets: ['subnet-1'],
    tags: { 'elbv2.k8s.aws/cluster': 'old-prod', 'service.k8s.aws/stack': 'shop/checkout', 'service.k8s.aws/resource': 'LoadBalancer' },
  });
  sandbox.elb.create({ name: 'legacy-vpn', listeners: [{ protocol: 'TCP', loadBalancerPort: 1194, instanceProtocol: 'TCP', instancePort: 1194 }], availabilityZones: zones });
}

export interface ConsoleSandbox {
  /** The configuration with the sandbox as its only cluster. */
  config: Config;
  /** Where the sandbox's Kubernetes, ELB and EC2 APIs are. */
  endpoints: { kubeconfigYaml: string; elbEndpoint: string; ec2Endpoint: string; region: string };
  /** Kubernetes API base URL, for the log. */
  kubeApi: string;
  close(): Promise<void>;
}

/** Starts the sandbox and points a copy of `config` at it. */
export async function startConsoleSandbox(start: StartSandbox, config: Config, options: SandboxOptions = {}): Promise<ConsoleSandbox> {
  const sandbox = await start({ ...CONSOLE_SANDBOX_OPTIONS, ...options });
  const { info } = sandbox;
  seedLoadBalancers(sandbox);
  const cluster: ClusterConfig = {
    name: 'sandbox',
    context: undefined,
    kubeconfig: undefined,
    region: info.region,
    clusterName: info.clusterName,
    namespaces: undefined,
  };
  const dns = parseDnsServer(info.dnsServer);
  return {
    config: {
      ...config,
      clusters: [cluster],
      clusterName: info.clusterName,
      awsRegion: info.region,
      dnsServers: dns ? [dns] : [],
      // The sandbox's one region; no grace: a load balancer left behind is an orphan at once, to look at.
      orphans: { ...config.orphans, regions: [info.region], graceMs: 0 },
    },
    endpoints: { kubeconfigYaml: sandbox.kubeconfigYaml, elbEndpoint: info.elbEndpoint, ec2Endpoint: info.ec2Endpoint, region: info.region },
    kubeApi: info.kubeApi,
    close: () => sandbox.close(),
  };
}

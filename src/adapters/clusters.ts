/**
 * Builds the ClusterRegistry from configuration: one Kubernetes client per cluster, and the ELB clients —
 * classic and v2, one of each per region, shared by the clusters of that region and the orphan scan — and
 * one EC2 client per region, for the nodes' security groups.
 */
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EC2Client } from '@aws-sdk/client-ec2';
import * as k8s from '@kubernetes/client-node';
import type { ClusterConfig } from '../config/index.js';
import { BotError } from '../domain/errors.js';
import { didYouMean } from '../domain/grammar/index.js';
import { scopeToNamespaces } from '../domain/namespace-scope.js';
import type { RetryBudget } from '../ports/cluster.js';
import type { ClusterRegistry, ClusterTarget } from '../ports/clusters.js';
import { createElbGateway } from './elb.js';
import { createEc2SecurityGroups } from './ec2-security-groups.js';
import { createEc2IngressRules } from './ec2-ingress-rules.js';
import type { IngressRules } from '../ports/ingress-rules.js';
import type { NodeSecurityGroups } from '../ports/node-security-groups.js';
import { createKubernetesGateway } from './kubernetes.js';
import { reuseConnections } from './kubernetes-connections.js';
import { DEFAULT_RETRY, type RetrySettings } from './kubernetes-retry.js';
import { meterAwsClient } from './aws-metrics.js';
import type { Metrics } from '../ports/metrics.js';

/** Loads the kubeconfig a cluster names (or the in-cluster service account) and selects its context. */
function loadKubeConfig(cluster: ClusterConfig): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  if (cluster.kubeconfig === undefined) {
    kc.loadFromCluster();
  } else {
    kc.loadFromFile(cluster.kubeconfig);
  }
  if (cluster.context !== undefined) {
    if (!kc.getContextObject(cluster.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new Error(
        `cluster "${cluster.name}": kubeconfig ${cluster.kubeconfig ?? '(in-cluster)'} has no context "${cluster.context}"` +
          (known.length ? ` (it has: ${known.join(', ')})` : ''),
      );
    }
    kc.setCurrentContext(cluster.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new Error(`cluster "${cluster.name}": kubeconfig ${cluster.kubeconfig ?? '(in-cluster)'} has no current context`);
  }
  return kc;
}

export interface ClusterRegistryHandle extends ClusterRegistry {
  /** The Kubernetes client configuration of a configured cluster (the Service watch shares it). */
  kubeConfig(name: string): k8s.KubeConfig;
  /** The classic ELB client of a region: the one its clusters use, or a new one for a region without clusters. */
  elbClient(region: string): ElasticLoadBalancingClient;
  /** The ELBv2 client (NLB, ALB) of a region, made on first use. */
  elbV2Client(region: string): ElasticLoadBalancingV2Client;
  close(): void;
}

export interface ClusterClientFactories {
  /** Loads a cluster's kubeconfig (default: the configured file and context, or in-cluster). */
  loadKubeConfig?: (cluster: ClusterConfig) => k8s.KubeConfig;
  /**
   * Makes a cluster's ELB client. The default takes the endpoint and credentials from the AWS SDK's own
   * standard chain (AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING, AWS_PROFILE, IRSA…).
   */
  createElbClient?: (where: Pick<ClusterConfig, 'region'>) => ElasticLoadBalancingClient;
  /** Makes a region's ELBv2 client (the orphan scan's NLBs and ALBs), from the same chain by default. */
  createElbV2Client?: (where: Pick<ClusterConfig, 'region'>) => ElasticLoadBalancingV2Client;
  /** Makes a region's EC2 client (the nodes' security groups), from the same chain by default (AWS_ENDPOINT_URL_EC2…). */
  createEc2Client?: (where: Pick<ClusterConfig, 'region'>) => EC2Client;
  /** How long the nodes' security groups are reused (ms; default 30 s, 0: asked every time). */
  securityGroupCacheMs?: number;
}

/**
 * How every ELB client of svcbot retries: the AWS SDK's adaptive mode, whose client-side rate limiter
 * slows the client's calls down when AWS answers `Throttling` and speeds them up again when it stops,
 * and retries throttled, 5xx and network failures with backoff. The clusters of one region share one
 * client (the registry makes one per region and endpoint), so that their calls share AWS's per-account,
 * per-region rate as AWS counts it. A call still throttled after these attempts fails with a throttled
 * BotError, and a job waits for it (see jobs/lb-job.ts) instead of failing.
 */
const ELB_RETRY = { retryMode: 'adaptive', maxAttempts: 5 } as const;

/** One client per region for the clusters of one registry's factory (AWS limits the rate per account and region). */
function perRegion<C>(make: (region: string | undefined) => C): (cluster: Pick<ClusterConfig, 'region'>) => C {
  const clients = new Map<string, C>();
  return (cluster) => {
    const key = cluster.region ?? '';
    const client = clients.get(key) ?? make(cluster.region);
    clients.set(key, client);
    return client;
  };
}

function defaultElbClients(): (cluster: Pick<ClusterConfig, 'region'>) => ElasticLoadBalancingClient {
  return perRegion((region) => new ElasticLoadBalancingClient({ ...ELB_RETRY, ...(region ? { region } : {}) }));
}

/** EC2 is asked while a user waits for an answer: one quick retry at most (the caller's deadline is short). */
const EC2_RETRY = { maxAttempts: 2 } as const;

function defaultEc2Clients(): (cluster: Pick<ClusterConfig, 'region'>) => EC2Client {
  return perRegion((region) => new EC2Client({ ...EC2_RETRY, ...(region ? { region } : {}) }));
}

function defaultElbV2Clients(): (cluster: Pick<ClusterConfig, 'region'>) => ElasticLoadBalancingV2Client {
  return perRegion((region) => new ElasticLoadBalancingV2Client({ ...ELB_RETRY, ...(region ? { region } : {}) }));
}

/**
 * Clients for a cluster reached at fixed addresses rather than through files and the AWS SDK's chain: a
 * kubeconfig given as YAML, and an ELB endpoint with static credentials (the sandbox accepts any).
 */
export function endpointClients(endpoints: { kubeconfigYaml: string; elbEndpoint: string; ec2Endpoint?: string; region: string }): ClusterClientFactories {
  const { ec2Endpoint } = endpoints;
  return {
    loadKubeConfig: () => {
      const kc = new k8s.KubeConfig();
      kc.loadFromString(endpoints.kubeconfigYaml);
      return kc;
    },
    createElbClient: perRegion(
      (region) =>
        new ElasticLoadBalancingClient({
          ...ELB_RETRY,
          region: region ?? endpoints.region,
          endpoint: endpoints.elbEndpoint,
          credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
        }),
    ),
    createElbV2Client: perRegion(
      (region) =>
        new ElasticLoadBalancingV2Client({
          ...ELB_RETRY,
          region: region ?? endpoints.region,
          endpoint: endpoints.elbEndpoint,
          credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
        }),
    ),
    ...(ec2Endpoint === undefined
      ? {}
      : {
          createEc2Client: perRegion(
            (region) =>
              new EC2Client({
                ...EC2_RETRY,
                region: region ?? endpoints.region,
                endpoint: ec2Endpoint,
                credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
              }),
          ),
        }),
  };
}

export function createClusterRegistry(
  clusters: readonly ClusterConfig[],
  {
    loadKubeConfig: load = loadKubeConfig,
    createElbClient: makeElbClient = defaultElbClients(),
    createElbV2Client: makeElbV2Client = defaultElbV2Clients(),
    createEc2Client: makeEc2Client = defaultEc2Clients(),
    securityGroupCacheMs,
  }: ClusterClientFactories = {},
  /** Retries of transient Kubernetes API failures, over DEFAULT_RETRY. */
  retrySettings: Partial<RetrySettings> = {},
  /** Where Kubernetes and AWS requests are counted (default: nowhere). */
  metrics: Pick<Metrics, 'kubernetesRequest' | 'awsRequest'> = { kubernetesRequest: () => undefined, awsRequest: () => undefined },
): ClusterRegistryHandle {
  const retry: RetrySettings = { ...DEFAULT_RETRY, ...retrySettings };
  const createElbClient = (where: Pick<ClusterConfig, 'region'>) => meterAwsClient(makeElbClient(where), 'elb', metrics);
  const createElbV2Client = (where: Pick<ClusterConfig, 'region'>) => meterAwsClient(makeElbV2Client(where), 'elbv2', metrics);
  // The factories hand clusters of one region the same client: destroyed once.
  const elbClients = new Set<ElasticLoadBalancingClient>();
  // One NodeSecurityGroups (and its cache) per EC2 client, i.e. per region.
  const ec2Readers = new Map<EC2Client, NodeSecurityGroups>();
  const securityGroupsOf = (where: Pick<ClusterConfig, 'region'>): NodeSecurityGroups => {
    const client = meterAwsClient(makeEc2Client(where), 'ec2', metrics);
    const reader = ec2Readers.get(client) ?? createEc2SecurityGroups(client, securityGroupCacheMs === undefined ? {} : { cacheMs: securityGroupCacheMs });
    ec2Readers.set(client, reader);
    return reader;
  };
  // The same client changes rules (one per region, as the readers).
  const ec2Writers = new Map<EC2Client, IngressRules>();
  const ingressRulesOf = (where: Pick<ClusterConfig, 'region'>): IngressRules => {
    const client = meterAwsClient(makeEc2Client(where), 'ec2', metrics);
    const writer = ec2Writers.get(client) ?? createEc2IngressRules(client);
    ec2Writers.set(client, writer);
    return writer;
  };
  const byRegion = new Map<string, ElasticLoadBalancingClient>();
  const v2ByRegion = new Map<string, ElasticLoadBalancingV2Client>();
  const closeConnections: (() => void)[] = [];
  const targets = new Map<string, ClusterTarget>();
  const kubeConfigs = new Map<string, k8s.KubeConfig>();
  const scopes = new Map(clusters.map((c) => [c.name, c.namespaces]));
  // A namespaced install's gateway refuses other namespaces in words, before the API server says 403.
  const gateway = (name: string, kubeConfig: k8s.KubeConfig, budget?: RetryBudget) =>
    scopeToNamespaces(createKubernetesGateway({ name, kubeConfig, retry, metrics, ...(budget ? { budget } : {}) }), scopes.get(name));
  for (const c of clusters) {
    const elb = createElbClient(c);
    elbClients.add(elb);
    if (c.region !== undefined && !byRegion.has(c.region)) byRegion.set(c.region, elb);
    const kubeConfig = load(c);
    kubeConfigs.set(c.name, kubeConfig);
    closeConnections.push(reuseConnections(kubeConfig));
    targets.set(c.name, {
      cluster: gateway(c.name, kubeConfig),
      loadBalancers: createElbGateway(elb),
      nodeSecurityGroups: securityGroupsOf(c),
      ingressRules: ingressRulesOf(c),
      ...(c.region === undefined ? {} : { region: c.region }),
      ...(c.namespaces === undefined ? {} : { namespaces: c.namespaces }),
    });
  }
  const names = clusters.map((c) => c.name);
  return {
    names,
    get(name, budget) {
      const key = name ?? names[0] ?? '';
      const target = targets.get(key);
      const kubeConfig = kubeConfigs.get(key);
      // A budget gets a gateway of its own (cheap: the clients share the kubeconfig's connections).
      if (target && kubeConfig && budget) return { ...target, cluster: gateway(key, kubeConfig, budget) };
      if (target) return target;
      const suggestion = name === undefined ? undefined : didYouMean(name, names);
      throw new BotError(
        'unknown_cluster',
        `There is no cluster \`${name ?? ''}\` configured.` +
          (suggestion ? ` Did you mean \`${suggestion}\`?` : '') +
          ` Configured: ${names.map((n) => `\`${n}\``).join(', ')}.`,
      );
    },
    kubeConfig(name) {
      const kc = kubeConfigs.get(name);
      if (!kc) throw new Error(`no cluster ${name} configured`);
      return kc;
    },
    elbClient(region) {
      const client = byRegion.get(region) ?? createElbClient({ region });
      byRegion.set(region, client);
      elbClients.add(client);
      return client;
    },
    elbV2Client(region) {
      const client = v2ByRegion.get(region) ?? createElbV2Client({ region });
      v2ByRegion.set(region, client);
      return client;
    },
    close() {
      for (const client of elbClients) client.destroy();
      for (const client of v2ByRegion.values()) client.destroy();
      for (const client of new Set([...ec2Readers.keys(), ...ec2Writers.keys()])) client.destroy();
      for (const close of closeConnections) close();
    },
  };
}

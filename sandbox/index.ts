/**
 * The sandbox: a simulated Kubernetes cluster (the real HTTP API), the AWS Elastic Load Balancing Query
 * API (classic, and a subset of ELBv2 on the same endpoint), a minimal EC2 Query API (the nodes as
 * instances, their security groups) and a DNS server for the load balancers' names, all on loopback, wired together by a simulated AWS cloud controller. Start it in-process with
 * `startSandbox()`, or from the CLI with `svcbot sandbox`.
 *
 * It is an independent implementation written from the Kubernetes and AWS documentation: nothing here
 * imports svcbot's own logic, so tests of svcbot against it can fail.
 */
import { writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import { resolve } from 'node:path';
import { CloudController } from './cloud/controller.js';
import { startDnsServer, elbDnsSource } from './dns/server.js';
import { createEc2ApiServer } from './ec2/server.js';
import { Ec2Store } from './ec2/store.js';
import { ElbStore } from './elb/store.js';
import { IamPolicy } from './elb/iam.js';
import { createElbApiServer, SANDBOX_ADMIN_ACCESS_KEY_ID } from './elb/server.js';
import { ElbV2Store } from './elb/v2store.js';
import { Faults, type FaultSettings } from './faults.js';
import { KubeCluster } from './kube/cluster.js';
import { RbacPolicy } from './kube/rbac.js';
import { createKubeApiServer } from './kube/server.js';
import type { InternalNetwork } from './kube/streams/network.js';
import { sandboxKubeconfig } from './kubeconfig.js';
import { DataPlane, type BindFailure } from './net/dataplane.js';
import { clusterHealthProbe } from './net/health-probe.js';

export { Faults, type FaultSettings } from './faults.js';
export { KubeCluster } from './kube/cluster.js';
export { ElbStore } from './elb/store.js';
export { ElbV2Store } from './elb/v2store.js';
export { Ec2Store } from './ec2/store.js';
export { DataPlane, type BindFailure, type Hop, type LoadBalancerGate, type NodePortGate } from './net/dataplane.js';
export type { InternalNetwork } from './kube/streams/network.js';

export interface SandboxOptions {
  /** Loopback address to listen on. */
  host?: string;
  /** Kubernetes API port; 0 = any free port. */
  kubePort?: number;
  /** ELB API port; 0 = any free port. */
  elbPort?: number;
  /** EC2 API port; 0 = any free port. */
  ec2Port?: number;
  /** DNS (UDP) port; 0 = any free port. */
  dnsPort?: number;
  clusterName?: string;
  region?: string;
  nodes?: number;
  /** Delay from a Service becoming type LoadBalancer to its ELB and hostname existing. */
  provisionDelayMs?: number;
  /** Delay from a deletion or type change to the ELB being gone (default: the provisioning delay). */
  deprovisionDelayMs?: number;
  /** Delay from a load balancer's creation to its DNS name resolving. */
  dnsDelayMs?: number;
  /**
   * Delay from registration to a node being InService behind a classic load balancer (from then on
   * while its health check passes), and to a target being `healthy` in an ELBv2 target group.
   */
  instanceWarmupMs?: number;
  /** Where to write the kubeconfig; null writes none. */
  kubeconfigPath?: string | null;
  faults?: Partial<FaultSettings>;
  /**
   * Enforce RBAC: `yaml` holds Role/ClusterRole/RoleBinding/ClusterRoleBinding documents (other kinds
   * are ignored), and every request made with the sandbox's kubeconfig (`kubeconfigYaml`, the file)
   * acts as the user `as` (e.g. `system:serviceaccount:svcbot:svcbot`: its kubeconfig user impersonates
   * it), as does any request impersonating it (`kubectl --as`). `adminKubeconfigYaml` (the file's
   * `sandbox-admin` context) stays unrestricted, for setting up what a test needs.
   */
  rbac?: { yaml: string; as: string };
  /**
   * Enforce this IAM policy (JSON) on the ELB and EC2 APIs: actions it does not allow answer `AccessDenied`.
   * Requests signed with the access key `sandbox-admin` (`sandboxAdminCredentials`) are never refused.
   */
  iamPolicy?: string;
  /**
   * Called when the data plane cannot open a loopback listener (EACCES for a port under 1024 without
   * privilege, EADDRINUSE): the sandbox goes on without it (see `dataPlane.bindFailures`).
   */
  onBindFailure?: (failure: BindFailure) => void;
  /**
   * Loopback listeners for node ports and load balancers (default true); false keeps the data path
   * in-process (`dataPlane.dialInternal`), for benchmarks with thousands of Services.
   */
  hostListeners?: boolean;
  /**
   * The cluster network the apiserver's proxy, port-forward and exec reach pods and Services through
   * (`dialInternal`, `resolveInternal`); default: the sandbox's own data plane (`dataPlane`).
   */
  network?: InternalNetwork;
}

/** Credentials the IAM policy never refuses, for test setup (any other key is svcbot's, under the policy). */
export const sandboxAdminCredentials = { accessKeyId: SANDBOX_ADMIN_ACCESS_KEY_ID, secretAccessKey: 'sandbox' } as const;

/** What `svcbot sandbox` prints once ready, as one JSON line. */
export interface SandboxInfo {
  kubeconfig: string | null;
  kubeApi: string;
  elbEndpoint: string;
  /** Endpoint URL of the EC2 API (DescribeInstances, DescribeSecurityGroups, security group ingress). */
  ec2Endpoint: string;
  dnsServer: string;
  region: string;
  clusterName: string;
  /** Environment variables that point svcbot (and the AWS CLI) at this sandbox. */
  env: Record<string, string>;
}

export interface Sandbox {
  readonly info: SandboxInfo;
  /** The kubeconfig, as YAML, whether or not it was written to a file (acts as `rbac.as` when RBAC is enforced). */
  readonly kubeconfigYaml: string;
  /** A kubeconfig whose user is the sandbox's admin: never refused by RBAC (the `deny` fault knob still applies). */
  readonly adminKubeconfigYaml: string;
  readonly faults: Faults;
  readonly cluster: KubeCluster;
  readonly elb: ElbStore;
  /** ELBv2 load balancers and target groups (names apart from the classic ones, as on AWS). */
  readonly elbv2: ElbV2Store;
  /** The nodes as EC2 instances and their security groups; `ec2.allowsIngress` gates traffic to node ports. */
  readonly ec2: Ec2Store;
  readonly controller: CloudController;
  /**
   * The data path: `dialInternal(ip, port)` and `resolveInternal(name, namespace)` inside the cluster,
   * loopback listeners on the nodes' ExternalIPs (node ports) and the load balancers' addresses.
   */
  readonly dataPlane: DataPlane;
  /**
   * Every request the enforced RBAC (`rbac`) or IAM policy (`iamPolicy`) refused, as its error message,
   * oldest first: a test run under a policy asserts there are none. (The `deny` fault knob's refusals
   * are not listed: they are what a test asked for.)
   */
  readonly refusals: readonly string[];
  close(): Promise<void>;
}

export const sandboxDefaults = {
  host: '127.0.0.1',
  clusterName: 'sandbox',
  region: 'us-east-1',
  nodes: 3,
  provisionDelayMs: 3000,
  dnsDelayMs: 10_000,
  instanceWarmupMs: 4000,
  kubeconfigPath: './sandbox.kubeconfig',
} as const;

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const host = options.host ?? sandboxDefaults.host;
  const clusterName = options.clusterName ?? sandboxDefaults.clusterName;
  const region = options.region ?? sandboxDefaults.region;
  const provisionDelayMs = options.provisionDelayMs ?? sandboxDefaults.provisionDelayMs;
  const kubeconfigOption = options.kubeconfigPath === undefined ? sandboxDefaults.kubeconfigPath : options.kubeconfigPath;

  const faults = new Faults(options.faults);
  const cluster = new KubeCluster({ clusterName, region, nodes: options.nodes ?? sandboxDefaults.nodes });
  const elb = new ElbStore({
    region,
    dnsDelayMs: options.dnsDelayMs ?? sandboxDefaults.dnsDelayMs,
    instanceWarmupMs: options.instanceWarmupMs ?? sandboxDefaults.instanceWarmupMs,
  });
  const elbv2 = new ElbV2Store({
    region,
    dnsDelayMs: options.dnsDelayMs ?? sandboxDefaults.dnsDelayMs,
    targetWarmupMs: options.instanceWarmupMs ?? sandboxDefaults.instanceWarmupMs,
  });
  const ec2 = new Ec2Store({
    region,
    clusterName,
    vpcId: elb.vpcId,
    loadBalancerSecurityGroupId: elb.defaultSecurityGroup,
    nodes: () => cluster.listNodes(),
    loadBalancerAddresses: (groupId) => [
      ...elb.list().filter((lb) => lb.securityGroups.includes(groupId)).flatMap((lb) => lb.addresses),
      ...elbv2.listLoadBalancers().filter((lb) => lb.securityGroups.includes(groupId)).flatMap((lb) => lb.addresses),
    ],
  });
  const controller = new CloudController({
    cluster,
    elb,
    ec2,
    faults,
    clusterName,
    provisionDelayMs,
    deprovisionDelayMs: options.deprovisionDelayMs ?? provisionDelayMs,
  });
  elb.setSecurityGroupNames((groupId) => ec2.findGroup(groupId)?.groupName);
  // An instance is InService once warmed up while its health check target passes in the cluster now.
  elb.setHealthProbe(clusterHealthProbe(cluster));
  const dataPlane = new DataPlane({
    cluster,
    elb,
    ...(options.onBindFailure ? { onBindFailure: options.onBindFailure } : {}),
    ...(options.hostListeners === undefined ? {} : { hostListeners: options.hostListeners }),
  });
  // The nodes' security group decides who reaches a node port from the host, as on AWS (the load
  // balancer's own connections do not ask: the nodes' group lets the load balancers' group in).
  dataPlane.setNodePortGate((node, port, remote) => node.instanceId !== undefined && ec2.allowsIngress(node.instanceId, port, remote));
  // A load balancer's own security groups decide who reaches its listeners. One that carries only the
  // shared default group (created through the ELB API without any) or groups EC2 does not know stays
  // open to all, as before.
  dataPlane.setLoadBalancerGate((lb, port, remote) => {
    const own = lb.securityGroups.filter((g) => g !== elb.defaultSecurityGroup && ec2.findGroup(g) !== undefined);
    return own.length === 0 || ec2.groupsAllowIngress(own, port, remote);
  });

  const refusals: string[] = [];
  const onRefusal = (message: string) => refusals.push(message);
  const rbac = options.rbac
    ? { policy: new RbacPolicy(options.rbac.yaml), as: options.rbac.as, onRefusal }
    : undefined;
  const kubeServer = createKubeApiServer(cluster, faults, rbac, { network: options.network ?? dataPlane });
  const iamPolicy = options.iamPolicy === undefined ? undefined : new IamPolicy(options.iamPolicy);
  const elbServer = createElbApiServer(elb, faults, { region, v2: elbv2, ...(iamPolicy ? { iamPolicy, onRefusal } : {}) });
  const ec2Server = createEc2ApiServer(ec2, { region, ...(iamPolicy ? { iamPolicy, onRefusal } : {}) });
  const started: { close(): Promise<void> }[] = [];
  try {
    const kubePort = await listen(kubeServer, options.kubePort ?? 0, host);
    started.push({ close: () => closeServer(kubeServer) });
    const elbPort = await listen(elbServer, options.elbPort ?? 0, host);
    started.push({ close: () => closeServer(elbServer) });
    const ec2Port = await listen(ec2Server, options.ec2Port ?? 0, host);
    started.push({ close: () => closeServer(ec2Server) });
    const dns = await startDnsServer(elbDnsSource(elb, elbv2), { host, port: options.dnsPort ?? 0 });
    started.push(dns);
    controller.start();
    // After the controller: it brings a load balancer's listeners in step with a Service first.
    dataPlane.start();
    started.push(dataPlane);

    const urlHost = host.includes(':') ? `[${host}]` : host;
    const kubeApi = `http://${urlHost}:${kubePort}`;
    const elbEndpoint = `http://${urlHost}:${elbPort}`;
    const ec2Endpoint = `http://${urlHost}:${ec2Port}`;
    const dnsServer = `${urlHost}:${dns.port}`;
    const restricted = rbac ? { user: rbac.as } : undefined;
    const kubeconfigYaml = sandboxKubeconfig(kubeApi, clusterName, { restricted });
    const adminKubeconfigYaml = sandboxKubeconfig(kubeApi, clusterName, { restricted, current: 'admin' });
    let kubeconfig: string | null = null;
    if (kubeconfigOption !== null) {
      kubeconfig = resolve(kubeconfigOption);
      await writeFile(kubeconfig, kubeconfigYaml, { mode: 0o600 });
    }
    const env: Record<string, string> = {
      ...(kubeconfig ? { KUBECONFIG: kubeconfig } : {}),
      CLUSTER_NAME: clusterName,
      AWS_REGION: region,
      AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING: elbEndpoint,
      // The same endpoint answers ELBv2 (NLB, ALB): the SDK's variable for that client has its own name.
      AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: elbEndpoint,
      AWS_ENDPOINT_URL_EC2: ec2Endpoint,
      // The AWS SDK signs every request; the sandbox accepts any credentials.
      AWS_ACCESS_KEY_ID: 'sandbox',
      AWS_SECRET_ACCESS_KEY: 'sandbox',
      DNS_SERVERS: dnsServer,
    };
    const info: SandboxInfo = { kubeconfig, kubeApi, elbEndpoint, ec2Endpoint, dnsServer, region, clusterName, env };

    let closing: Promise<void> | undefined;
    return {
      info,
      kubeconfigYaml,
      adminKubeconfigYaml,
      refusals,
      faults,
      cluster,
      elb,
      elbv2,
      ec2,
      controller,
      dataPlane,
      close: () => {
        closing ??= (async () => {
          controller.stop();
          await Promise.all(started.map((s) => s.close()));
        })();
        return closing;
      },
    };
  } catch (err) {
    controller.stop();
    await Promise.allSettled(started.map((s) => s.close()));
    throw err;
  }
}

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolvePort((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolveClose) => {
    server.close(() => resolveClose());
    server.closeAllConnections();
  });
}

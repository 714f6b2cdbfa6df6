/**
 * The sandbox as a whole, through the real clients: a LoadBalancer Service gets a classic ELB (tags,
 * listeners, health check, instances) and a hostname that resolves after the DNS delay, and loses the ELB
 * when the Service is deleted or changes type; the cloud-controller fault knobs; the ELBv2 API on the
 * same endpoint, with its load balancers' names in the same DNS server.
 */
import {
  DescribeInstanceHealthCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
} from '@aws-sdk/client-elastic-load-balancing';
import {
  CreateLoadBalancerCommand,
  DescribeLoadBalancersCommand as DescribeV2LoadBalancersCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type * as k8s from '@kubernetes/client-node';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { sandboxClients } from '../helpers/sandbox-clients.js';
import { waitFor } from '../helpers/wait.js';

const FINALIZER = 'service.kubernetes.io/load-balancer-cleanup';

let sandbox: Sandbox;
let clients: ReturnType<typeof sandboxClients>;

beforeAll(async () => {
  sandbox = await startSandbox({
    kubeconfigPath: null,
    clusterName: 'lifecycle',
    region: 'eu-west-1',
    nodes: 3,
    provisionDelayMs: 50,
    dnsDelayMs: 300,
    instanceWarmupMs: 100,
  });
  clients = sandboxClients(sandbox);
});

afterAll(() => sandbox.close());
afterEach(() => sandbox.faults.reset());

function lbService(name: string, ports: k8s.V1ServicePort[] = [{ port: 8080, targetPort: 80 }]): k8s.V1Service {
  return {
    metadata: { name },
    spec: { type: 'LoadBalancer', selector: { app: 'alpine' }, ports },
  };
}

async function hostnameOf(name: string): Promise<string | undefined> {
  const svc = await clients.core.readNamespacedService({ name, namespace: 'default' });
  return svc.status?.loadBalancer?.ingress?.[0]?.hostname;
}

async function describeLb(name: string) {
  const out = await clients.elb.send(new DescribeLoadBalancersCommand({ LoadBalancerNames: [name] }));
  return out.LoadBalancerDescriptions?.[0];
}

async function lbExists(name: string): Promise<boolean> {
  const out = await clients.elb.send(new DescribeLoadBalancersCommand({}));
  return (out.LoadBalancerDescriptions ?? []).some((d) => d.LoadBalancerName === name);
}

function elbNameFor(uid: string): string {
  return `a${uid.replace(/-/g, '')}`.slice(0, 32);
}

async function serviceGone(name: string): Promise<boolean> {
  try {
    await clients.core.readNamespacedService({ name, namespace: 'default' });
    return false;
  } catch (err) {
    return (err as { code?: number }).code === 404;
  }
}

test('a LoadBalancer Service gets a tagged classic ELB, a resolving hostname, and loses the ELB on delete', async () => {
  const created = await clients.core.createNamespacedService({
    namespace: 'default',
    body: lbService('alpine-service', [
      { name: 'http', port: 8080, targetPort: 80 },
      { name: 'https', port: 8443, targetPort: 443 },
    ]),
  });
  const uid = created.metadata!.uid!;
  const nodePorts = created.spec!.ports!.map((p) => p.nodePort!);
  expect(nodePorts.every((p) => p >= 30000 && p <= 32767)).toBe(true);

  const hostname = await waitFor(() => hostnameOf('alpine-service'), { what: 'the load balancer hostname' });
  const name = elbNameFor(uid);
  expect(hostname).toMatch(new RegExp(`^${name}-\\d+\\.eu-west-1\\.elb\\.amazonaws\\.com$`));

  const svc = await clients.core.readNamespacedService({ name: 'alpine-service', namespace: 'default' });
  expect(svc.metadata?.finalizers).toContain(FINALIZER);

  const lb = await describeLb(name);
  expect(lb?.DNSName).toBe(hostname);
  expect(lb?.ListenerDescriptions?.map((l) => l.Listener)).toEqual([
    { Protocol: 'TCP', LoadBalancerPort: 8080, InstanceProtocol: 'TCP', InstancePort: nodePorts[0] },
    { Protocol: 'TCP', LoadBalancerPort: 8443, InstanceProtocol: 'TCP', InstancePort: nodePorts[1] },
  ]);
  expect(lb?.HealthCheck?.Target).toBe(`TCP:${nodePorts[0]}`);
  const nodes = await clients.core.listNode();
  const instanceIds = nodes.items.map((n) => n.spec!.providerID!.split('/').pop());
  expect(lb?.Instances?.map((i) => i.InstanceId).sort()).toEqual(instanceIds.sort());

  const tags = await clients.elb.send(new DescribeTagsCommand({ LoadBalancerNames: [name] }));
  const tagMap = Object.fromEntries((tags.TagDescriptions?.[0]?.Tags ?? []).map((t) => [t.Key, t.Value]));
  expect(tagMap).toEqual({
    'kubernetes.io/cluster/lifecycle': 'owned',
    'kubernetes.io/service-name': 'default/alpine-service',
  });

  const health = await waitFor(async () => {
    const h = await clients.elb.send(new DescribeInstanceHealthCommand({ LoadBalancerName: name }));
    return h.InstanceStates?.every((s) => s.State === 'InService') && h.InstanceStates;
  }, { what: 'instances in service' });
  expect(health).toHaveLength(3);

  const addresses = await waitFor(() => clients.resolver.resolve4(hostname), { what: 'the hostname to resolve' });
  expect(addresses.length).toBeGreaterThan(0);
  expect(addresses.every((a) => a.startsWith('127.'))).toBe(true);

  const events = await clients.core.listNamespacedEvent({
    namespace: 'default',
    fieldSelector: `involvedObject.name=alpine-service,involvedObject.kind=Service`,
  });
  expect(events.items.map((e) => e.reason)).toEqual(expect.arrayContaining(['EnsuringLoadBalancer', 'EnsuredLoadBalancer']));

  await clients.core.deleteNamespacedService({ name: 'alpine-service', namespace: 'default' });
  await waitFor(() => serviceGone('alpine-service'), { what: 'the Service to go' });
  expect(await lbExists(name)).toBe(false);
});

test('the hostname does not resolve before the DNS delay has passed', async () => {
  const created = await clients.core.createNamespacedService({ namespace: 'default', body: lbService('dns-delay') });
  const hostname = await waitFor(() => hostnameOf('dns-delay'), { what: 'hostname' });
  const lb = sandbox.elb.get(elbNameFor(created.metadata!.uid!))!;
  if (Date.now() < lb.dnsVisibleAt - 50) {
    await expect(clients.resolver.resolve4(hostname)).rejects.toMatchObject({ code: 'ENOTFOUND' });
  }
  await waitFor(() => clients.resolver.resolve4(hostname), { what: 'resolution' });
  expect(Date.now()).toBeGreaterThanOrEqual(lb.dnsVisibleAt);
  await clients.core.deleteNamespacedService({ name: 'dns-delay', namespace: 'default' });
  await waitFor(() => serviceGone('dns-delay'), { what: 'deletion' });
});

test('changing the type away from LoadBalancer deletes the ELB and clears status and finalizer; back again re-provisions', async () => {
  const created = await clients.core.createNamespacedService({ namespace: 'default', body: lbService('flip') });
  const name = elbNameFor(created.metadata!.uid!);
  await waitFor(() => hostnameOf('flip'), { what: 'hostname' });

  await clients.core.patchNamespacedService(
    { name: 'flip', namespace: 'default', body: [{ op: 'replace', path: '/spec/type', value: 'NodePort' }] },
  );
  await waitFor(async () => !(await lbExists(name)), { what: 'the ELB to be deleted' });
  const svc = await waitFor(async () => {
    const s = await clients.core.readNamespacedService({ name: 'flip', namespace: 'default' });
    return !(s.metadata?.finalizers ?? []).includes(FINALIZER) && s;
  }, { what: 'the finalizer to go' });
  expect(svc.spec?.type).toBe('NodePort');
  expect(svc.status?.loadBalancer?.ingress ?? []).toEqual([]);

  await clients.core.patchNamespacedService(
    { name: 'flip', namespace: 'default', body: [{ op: 'replace', path: '/spec/type', value: 'LoadBalancer' }] },
  );
  await waitFor(() => hostnameOf('flip'), { what: 'a new hostname' });
  expect(await lbExists(name)).toBe(true);

  await clients.core.deleteNamespacedService({ name: 'flip', namespace: 'default' });
  await waitFor(() => serviceGone('flip'), { what: 'deletion' });
  expect(await lbExists(name)).toBe(false);
});

test('a deleted LoadBalancer Service is held by its finalizer until the ELB is gone', async () => {
  sandbox.controller.stop(); // freeze the controller so the held state can be observed
  try {
    await clients.core.createNamespacedService({
      namespace: 'default',
      body: { ...lbService('held'), metadata: { name: 'held', finalizers: [FINALIZER] } },
    });
    await clients.core.deleteNamespacedService({ name: 'held', namespace: 'default' });
    const svc = await clients.core.readNamespacedService({ name: 'held', namespace: 'default' });
    expect(svc.metadata?.deletionTimestamp).toBeDefined();
  } finally {
    sandbox.controller.start();
  }
  await waitFor(() => serviceGone('held'), { what: 'the controller to release the finalizer' });
});

test('failProvisioning: a Warning SyncLoadBalancerFailed Event and no hostname', async () => {
  sandbox.faults.set({ failProvisioning: 'quota reached' });
  await clients.core.createNamespacedService({ namespace: 'default', body: lbService('doomed') });
  const event = await waitFor(async () => {
    const events = await clients.core.listNamespacedEvent({
      namespace: 'default',
      fieldSelector: 'involvedObject.name=doomed',
    });
    return events.items.find((e) => e.reason === 'SyncLoadBalancerFailed');
  }, { what: 'the failure Event' });
  expect(event.type).toBe('Warning');
  expect(event.message).toContain('quota reached');
  expect(await hostnameOf('doomed')).toBeUndefined();

  // Once the fault clears, the controller's retry provisions it.
  sandbox.faults.set({ failProvisioning: null });
  await waitFor(() => hostnameOf('doomed'), { what: 'provisioning after the fault clears', timeoutMs: 5000 });
  await clients.core.deleteNamespacedService({ name: 'doomed', namespace: 'default' });
  await waitFor(() => serviceGone('doomed'), { what: 'deletion' });
});

test('leakLoadBalancers: the Service goes, its ELB stays behind as an orphan', async () => {
  const created = await clients.core.createNamespacedService({ namespace: 'default', body: lbService('leaky') });
  await waitFor(() => hostnameOf('leaky'), { what: 'hostname' });
  sandbox.faults.set({ leakLoadBalancers: true });
  await clients.core.deleteNamespacedService({ name: 'leaky', namespace: 'default' });
  await waitFor(() => serviceGone('leaky'), { what: 'the Service to go' });
  const orphan = await describeLb(elbNameFor(created.metadata!.uid!));
  expect(orphan?.LoadBalancerName).toBe(elbNameFor(created.metadata!.uid!));
});

test('the ELBv2 API answers on the ELB endpoint, and a new load balancer resolves in the sandbox DNS', async () => {
  const v2 = new ElasticLoadBalancingV2Client({
    region: sandbox.info.region,
    endpoint: sandbox.info.elbEndpoint,
    credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
    maxAttempts: 1,
  });
  try {
    const created = await v2.send(new CreateLoadBalancerCommand({ Name: 'v2-nlb', Type: 'network', Subnets: ['subnet-0a1b2c3d'] }));
    const lb = created.LoadBalancers![0]!;
    expect(lb.DNSName).toMatch(/^v2-nlb-[0-9a-f]{16}\.elb\.eu-west-1\.amazonaws\.com$/);
    expect(sandbox.elbv2.getLoadBalancer(lb.LoadBalancerArn!)?.name).toBe('v2-nlb');
    const addresses = await waitFor(() => clients.resolver.resolve4(lb.DNSName!), { what: 'the NLB name to resolve' });
    expect(addresses.sort()).toEqual([...sandbox.elbv2.getLoadBalancer(lb.LoadBalancerArn!)!.addresses].sort());
    const { LoadBalancers } = await v2.send(new DescribeV2LoadBalancersCommand({ Names: ['v2-nlb'] }));
    expect(LoadBalancers?.[0]?.State?.Code).toBe('active');
    // Classic and v2 names are apart: the classic API does not list it.
    expect(await lbExists('v2-nlb')).toBe(false);
  } finally {
    v2.destroy();
  }
});

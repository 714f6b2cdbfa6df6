/**
 * A classic load balancer's instances follow its health check (sandbox/net/health-probe.ts, set by
 * startSandbox as the ELB store's probe): `TCP:<nodePort>` passes while the Service has a ready
 * endpoint, `HTTP:<healthCheckNodePort>/healthz` (externalTrafficPolicy Local) only on the nodes with a
 * ready local endpoint; otherwise OutOfService with reason `Instance`, and back when pods are ready
 * again. Through DescribeInstanceHealth (the real AWS SDK) and connections to the listener.
 */
import { DescribeInstanceHealthCommand, DescribeLoadBalancersCommand, type InstanceState } from '@aws-sdk/client-elastic-load-balancing';
import type * as k8s from '@kubernetes/client-node';
import { startSandbox, type Hop, type Sandbox } from '../../../sandbox/index.js';
import { sandboxClients } from '../../helpers/sandbox-clients.js';
import { waitFor } from '../../helpers/wait.js';
import { httpGet, tcpExchange } from './clients.js';

const ns = 'default';
const FAILED = 'Instance has failed at least the UnhealthyThreshold number of health checks consecutively.';

let sandbox: Sandbox;
let clients: ReturnType<typeof sandboxClients>;
const hops: Hop[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ kubeconfigPath: null, clusterName: 'lbhc', nodes: 3, provisionDelayMs: 20, dnsDelayMs: 20, instanceWarmupMs: 20 });
  clients = sandboxClients(sandbox);
  sandbox.dataPlane.onHop((hop) => hops.push(hop));
});

afterAll(async () => {
  clients.elb.destroy();
  clients.ec2.destroy();
  await sandbox.close();
});

async function createLoadBalancer(name: string, spec: Omit<k8s.V1ServiceSpec, 'type'>): Promise<{ svc: k8s.V1Service; lbName: string }> {
  await clients.core.createNamespacedService({ namespace: ns, body: { metadata: { name }, spec: { type: 'LoadBalancer', ...spec } } });
  const hostname = await waitFor(async () => (await clients.core.readNamespacedService({ name, namespace: ns })).status?.loadBalancer?.ingress?.[0]?.hostname, {
    what: `${name}'s hostname`,
  });
  await sandbox.dataPlane.settled();
  return { svc: await clients.core.readNamespacedService({ name, namespace: ns }), lbName: hostname.split('-')[0]! };
}

async function setReady(name: string, ready: boolean): Promise<void> {
  const pod = await clients.core.readNamespacedPod({ name, namespace: ns });
  const conditions = (pod.status?.conditions ?? []).map((c) =>
    c.type === 'Ready' || c.type === 'ContainersReady' ? { ...c, status: ready ? 'True' : 'False' } : c,
  );
  await clients.core.replaceNamespacedPodStatus({ name, namespace: ns, body: { ...pod, status: { ...pod.status, conditions } } });
}

/** DescribeInstanceHealth once every instance's warm-up is over (no `ELB` reason left), by instance id. */
async function settledHealth(lbName: string, wanted?: (states: InstanceState[]) => boolean): Promise<Map<string, InstanceState>> {
  const states = await waitFor(async () => {
    const answer = await clients.elb.send(new DescribeInstanceHealthCommand({ LoadBalancerName: lbName }));
    const s = answer.InstanceStates ?? [];
    return s.length > 0 && s.every((h) => h.ReasonCode !== 'ELB') && (wanted?.(s) ?? true) && s;
  }, { what: `${lbName}'s instance health` });
  return new Map(states.map((s) => [s.InstanceId!, s]));
}

async function instanceIdsByNode(): Promise<Map<string, string>> {
  const nodes = await clients.core.listNode();
  return new Map(nodes.items.map((n) => [n.metadata!.name!, n.spec!.providerID!.split('/').pop()!]));
}

test('TCP:nodePort: instances go OutOfService (reason Instance) when the Service\'s pods go unready, InService when one is back', async () => {
  for (const name of ['hc-a', 'hc-b']) {
    await clients.core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name, labels: { app: 'hc' } }, spec: { containers: [{ name: 'web', image: 'httpd', ports: [{ name: 'http', containerPort: 80 }] }] } },
    });
  }
  await waitFor(async () => (await clients.core.listNamespacedPod({ namespace: ns, labelSelector: 'app=hc' })).items.every((p) => p.status?.podIP), { what: 'the pods' });
  const { svc, lbName } = await createLoadBalancer('hc', { selector: { app: 'hc' }, ports: [{ port: 8080, targetPort: 'http' }] });
  const described = await clients.elb.send(new DescribeLoadBalancersCommand({ LoadBalancerNames: [lbName] }));
  expect(described.LoadBalancerDescriptions?.[0]?.HealthCheck?.Target).toBe(`TCP:${svc.spec!.ports![0]!.nodePort}`);
  const address = sandbox.elb.get(lbName)!.addresses[0]!;

  const healthy = await settledHealth(lbName);
  expect([...healthy.values()].map((s) => s.State)).toEqual(['InService', 'InService', 'InService']);
  expect((await httpGet(address, 8080)).status).toBe(200);

  await setReady('hc-a', false);
  await setReady('hc-b', false);
  const failing = await settledHealth(lbName, (s) => s.every((h) => h.State === 'OutOfService'));
  for (const state of failing.values()) expect(state).toMatchObject({ State: 'OutOfService', ReasonCode: 'Instance', Description: FAILED });
  hops.length = 0;
  expect(await tcpExchange(address, 8080)).toEqual({ outcome: 'reset' });
  expect(hops.at(-1)).toMatchObject({ kind: 'refused', why: `load balancer ${lbName} has no instance InService` });

  await setReady('hc-b', true);
  const back = await settledHealth(lbName, (s) => s.every((h) => h.State === 'InService'));
  for (const state of back.values()) expect(state).toMatchObject({ State: 'InService', ReasonCode: 'N/A', Description: 'N/A' });
  expect((await httpGet(address, 8080)).status).toBe(200);

  await clients.core.deleteNamespacedService({ name: 'hc', namespace: ns });
  for (const name of ['hc-a', 'hc-b']) await clients.core.deleteNamespacedPod({ name, namespace: ns });
});

test('externalTrafficPolicy Local: HTTP:healthCheckNodePort/healthz, InService only on the nodes with a ready local endpoint', async () => {
  const { svc, lbName } = await createLoadBalancer('local', {
    selector: { app: 'alpine' },
    externalTrafficPolicy: 'Local',
    ports: [{ port: 8080, targetPort: 80 }],
  });
  const healthCheckNodePort = svc.spec!.healthCheckNodePort;
  expect(healthCheckNodePort).toEqual(expect.any(Number));
  expect(sandbox.elb.get(lbName)?.healthCheck.target).toBe(`HTTP:${healthCheckNodePort}/healthz`);
  const instanceOf = await instanceIdsByNode();
  const pods = (await clients.core.listNamespacedPod({ namespace: ns, labelSelector: 'app=alpine' })).items;
  expect(pods).toHaveLength(2);
  // The scheduler spreads them: one node each, the third node has none.
  expect(new Set(pods.map((p) => p.spec!.nodeName)).size).toBe(2);

  /** InService exactly on the nodes of the ready pods. */
  const expected = (ready: k8s.V1Pod[]) => {
    const withPods = new Set(ready.map((p) => instanceOf.get(p.spec!.nodeName!)));
    return new Map([...instanceOf.values()].map((id) => [id, withPods.has(id) ? 'InService' : 'OutOfService']));
  };
  const stateOf = (health: Map<string, InstanceState>) => new Map([...health].map(([id, s]) => [id, s.State]));
  const all = await settledHealth(lbName);
  expect(stateOf(all)).toEqual(expected(pods));
  expect([...all.values()].filter((s) => s.State === 'OutOfService')).toHaveLength(1);
  for (const s of all.values()) if (s.State === 'OutOfService') expect(s).toMatchObject({ ReasonCode: 'Instance', Description: FAILED });

  const [first, second] = pods;
  await setReady(first!.metadata!.name!, false);
  const want = expected([second!]);
  const fewer = await settledHealth(lbName, (s) => s.every((h) => h.State === want.get(h.InstanceId!)));
  expect(stateOf(fewer)).toEqual(want);
  // Traffic goes only to the instance InService, and on to its own pod.
  hops.length = 0;
  expect((await httpGet(sandbox.elb.get(lbName)!.addresses[0]!, 8080)).status).toBe(200);
  expect(hops.find((h) => h.kind === 'loadBalancer')).toMatchObject({ instanceId: instanceOf.get(second!.spec!.nodeName!) });
  expect(hops.find((h) => h.kind === 'pod')).toMatchObject({ pod: second!.metadata!.name });

  await setReady(first!.metadata!.name!, true);
  const restored = await settledHealth(lbName, (s) => s.filter((h) => h.State === 'InService').length === 2);
  expect(stateOf(restored)).toEqual(expected(pods));
  await clients.core.deleteNamespacedService({ name: 'local', namespace: ns });
});

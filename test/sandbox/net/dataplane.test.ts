/**
 * The sandbox's data path, through real clients: pods that serve (httpd's page, echo), a cluster IP's
 * round-robin over ready endpoints, node ports on the nodes' loopback ExternalIPs, a classic load
 * balancer's hostname resolved through the sandbox DNS and connected to, each hop refusing when no ready
 * pod matches, the node-port gate, and the listeners released when Services go.
 */
import { DeregisterInstancesFromLoadBalancerCommand } from '@aws-sdk/client-elastic-load-balancing';
import { AuthorizeSecurityGroupIngressCommand, EC2Client, RevokeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import type * as k8s from '@kubernetes/client-node';
import { DataPlane, sandboxAdminCredentials, startSandbox, type Hop, type NodePortGate, type Sandbox } from '../../../sandbox/index.js';
import { sandboxClients } from '../../helpers/sandbox-clients.js';
import { waitFor } from '../../helpers/wait.js';
import { exchangeOver, httpGet, httpOver, tcpExchange } from './clients.js';

const IT_WORKS = '<html><body><h1>It works!</h1></body></html>\n';

let sandbox: Sandbox;
let clients: ReturnType<typeof sandboxClients>;
let ec2: EC2Client;
/** The gate startSandbox sets: the nodes' security group (EC2). */
let securityGroupGate: NodePortGate;
const hops: Hop[] = [];
/** What opens the node-port range to this host in the nodes' security group, as the tutorial does. */
const nodePortRange = { IpProtocol: 'tcp', FromPort: 30000, ToPort: 32767, IpRanges: [{ CidrIp: '127.0.0.1/32' }] };

beforeAll(async () => {
  sandbox = await startSandbox({
    kubeconfigPath: null,
    clusterName: 'dataplane',
    nodes: 2,
    provisionDelayMs: 20,
    dnsDelayMs: 50,
    instanceWarmupMs: 50,
  });
  clients = sandboxClients(sandbox);
  sandbox.dataPlane.onHop((hop) => hops.push(hop));
  securityGroupGate = sandbox.dataPlane.nodePortGate;
  ec2 = new EC2Client({ region: sandbox.info.region, endpoint: sandbox.info.ec2Endpoint, credentials: sandboxAdminCredentials, maxAttempts: 1 });
  await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: sandbox.ec2.nodesSecurityGroupId, IpPermissions: [nodePortRange] }));
});

afterAll(async () => {
  ec2.destroy();
  await sandbox.close();
});
afterEach(() => {
  sandbox.dataPlane.setNodePortGate(securityGroupGate);
  hops.length = 0;
});

const ns = 'default';

async function createService(name: string, spec: k8s.V1ServiceSpec): Promise<k8s.V1Service> {
  const svc = await clients.core.createNamespacedService({ namespace: ns, body: { metadata: { name }, spec } });
  await sandbox.dataPlane.settled();
  return svc;
}

async function deleteService(name: string): Promise<void> {
  await clients.core.deleteNamespacedService({ name, namespace: ns });
}

async function createPod(name: string, labels: Record<string, string>, container: k8s.V1Container): Promise<string> {
  await clients.core.createNamespacedPod({ namespace: ns, body: { metadata: { name, labels }, spec: { containers: [container] } } });
  return waitFor(async () => (await clients.core.readNamespacedPod({ name, namespace: ns })).status?.podIP, { what: `pod ${name}'s IP` });
}

async function setReady(name: string, ready: boolean): Promise<void> {
  const pod = await clients.core.readNamespacedPod({ name, namespace: ns });
  const conditions = (pod.status?.conditions ?? []).map((c) =>
    c.type === 'Ready' || c.type === 'ContainersReady' ? { ...c, status: ready ? 'True' : 'False' } : c,
  );
  await clients.core.replaceNamespacedPodStatus({ name, namespace: ns, body: { ...pod, status: { ...pod.status, conditions } } });
}

async function seededPodIPs(): Promise<string[]> {
  const pods = await clients.core.listNamespacedPod({ namespace: ns, labelSelector: 'app=alpine' });
  return pods.items.map((p) => p.status!.podIP!).sort();
}

async function nodeExternalIPs(): Promise<string[]> {
  const nodes = await clients.core.listNode();
  return nodes.items.map((n) => n.status!.addresses!.find((a) => a.type === 'ExternalIP')!.address);
}

function refusedCode(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => 'connected',
    (err: NodeJS.ErrnoException) => err.code,
  );
}

describe('pods', () => {
  test('an httpd pod answers HTTP on its container port with Apache\'s default page; other ports are refused', async () => {
    const [ip] = await seededPodIPs();
    const answer = await httpOver(await sandbox.dataPlane.dialInternal(ip!, 80));
    expect(answer.status).toBe(200);
    expect(answer.body).toBe(IT_WORKS);
    expect(answer.headers).toMatchObject({
      server: expect.stringMatching(/^Apache\/2\.4/) as unknown,
      'content-type': 'text/html',
      'content-length': '45',
      'accept-ranges': 'bytes',
      etag: expect.any(String) as unknown,
      'last-modified': expect.any(String) as unknown,
    });
    const missing = await httpOver(await sandbox.dataPlane.dialInternal(ip!, 80), '/nope');
    expect(missing.status).toBe(404);
    expect(missing.body).toContain('The requested URL /nope was not found on this server.');
    const head = await httpOver(await sandbox.dataPlane.dialInternal(ip!, 80), '/', 'HEAD');
    expect(head).toMatchObject({ status: 200, body: '' });

    await expect(sandbox.dataPlane.dialInternal(ip!, 8080)).rejects.toMatchObject({ code: 'ECONNREFUSED', port: 8080 });
    await expect(sandbox.dataPlane.dialInternal('10.244.99.99', 80)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  test('httpd with no declared port serves on 80; another image echoes on its declared ports only', async () => {
    const httpdIP = await createPod('bare-httpd', { app: 'bare' }, { name: 'web', image: 'docker.io/library/httpd:alpine' });
    expect((await httpOver(await sandbox.dataPlane.dialInternal(httpdIP, 80))).body).toBe(IT_WORKS);

    const echoIP = await createPod('echo', { app: 'echo' }, { name: 'echo', image: 'busybox:1.36', ports: [{ containerPort: 9000 }] });
    expect(await exchangeOver(await sandbox.dataPlane.dialInternal(echoIP, 9000), 'hello\n')).toBe('hello\n');
    expect(await refusedCode(sandbox.dataPlane.dialInternal(echoIP, 80))).toBe('ECONNREFUSED');
  });

  test('a pod that is not ready refuses', async () => {
    const ip = await createPod('sleepy', { app: 'sleepy' }, { name: 'web', image: 'httpd:2.4', ports: [{ containerPort: 80 }] });
    await setReady('sleepy', false);
    expect(await refusedCode(sandbox.dataPlane.dialInternal(ip, 80))).toBe('ECONNREFUSED');
    await setReady('sleepy', true);
    expect((await httpOver(await sandbox.dataPlane.dialInternal(ip, 80))).status).toBe(200);
  });
});

describe('cluster IPs', () => {
  test('a cluster IP goes round-robin over the ready endpoints, to their target port', async () => {
    const svc = await createService('alpine-service', { selector: { app: 'alpine' }, ports: [{ port: 8080, targetPort: 80 }] });
    const clusterIP = svc.spec!.clusterIP!;
    for (let i = 0; i < 4; i++) {
      expect((await httpOver(await sandbox.dataPlane.dialInternal(clusterIP, 8080))).body).toBe(IT_WORKS);
    }
    const reached = hops.filter((h) => h.kind === 'service').map((h) => (h as { endpoint: string }).endpoint);
    const [a, b] = (await seededPodIPs()).map((ip) => `${ip}:80`);
    expect(reached).toEqual([a, b, a, b]);
    expect(await refusedCode(sandbox.dataPlane.dialInternal(clusterIP, 80))).toBe('ECONNREFUSED');
    await deleteService('alpine-service');
  });

  test('a pod that is not ready is left out; none ready refuses', async () => {
    const ipA = await createPod('rr-a', { app: 'rr' }, { name: 'web', image: 'httpd', ports: [{ name: 'http', containerPort: 80 }] });
    await createPod('rr-b', { app: 'rr' }, { name: 'web', image: 'httpd', ports: [{ name: 'http', containerPort: 80 }] });
    const svc = await createService('rr', { selector: { app: 'rr' }, ports: [{ port: 80, targetPort: 'http' }] });
    await setReady('rr-b', false);
    for (let i = 0; i < 3; i++) await httpOver(await sandbox.dataPlane.dialInternal(svc.spec!.clusterIP!, 80));
    expect(hops.filter((h) => h.kind === 'pod').map((h) => (h as { ip: string }).ip)).toEqual([ipA, ipA, ipA]);

    await setReady('rr-a', false);
    expect(await refusedCode(sandbox.dataPlane.dialInternal(svc.spec!.clusterIP!, 80))).toBe('ECONNREFUSED');
    expect(hops.at(-1)).toMatchObject({ kind: 'refused', why: 'Service default/rr has no ready endpoint' });
    await deleteService('rr');
  });

  test('cluster DNS names resolve to the cluster IP from the right namespace; unknown names are ENOTFOUND', async () => {
    const svc = await createService('named', { selector: { app: 'alpine' }, ports: [{ port: 8080, targetPort: 80 }] });
    const ip = svc.spec!.clusterIP!;
    for (const name of ['named', 'named.default', 'named.default.svc', 'named.default.svc.cluster.local', 'named.default.svc.cluster.local.']) {
      expect(await sandbox.dataPlane.resolveInternal(name, 'default')).toEqual([ip]);
    }
    expect(await sandbox.dataPlane.resolveInternal('named.default', 'kube-system')).toEqual([ip]);
    await expect(sandbox.dataPlane.resolveInternal('named', 'kube-system')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(sandbox.dataPlane.resolveInternal('nothing.default.svc.cluster.local')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await deleteService('named');
  });
});

describe('node ports on the nodes\' loopback addresses', () => {
  test('every node listens on the node port and forwards to the Service; the Service\'s deletion closes it', async () => {
    const svc = await createService('np', { type: 'NodePort', selector: { app: 'alpine' }, ports: [{ port: 8080, targetPort: 80 }] });
    const nodePort = svc.spec!.ports![0]!.nodePort!;
    const ips = await nodeExternalIPs();
    expect(ips).toHaveLength(2);
    for (const ip of ips) {
      expect(ip).toMatch(/^127\./);
      const answer = await httpGet(ip, nodePort);
      expect(answer).toMatchObject({ status: 200, body: IT_WORKS });
    }
    // From inside the cluster too, on the node's InternalIP.
    expect((await httpOver(await sandbox.dataPlane.dialInternal('10.0.1.11', nodePort))).status).toBe(200);

    await deleteService('np');
    await sandbox.dataPlane.settled();
    for (const ip of ips) expect(await tcpExchange(ip, nodePort)).toEqual({ outcome: 'refused' });
    expect(sandbox.dataPlane.hostListeners.filter((l) => l.port === nodePort)).toEqual([]);
  });

  test('a node added without an ExternalIP gets a loopback one and listens on the node ports; its deletion closes them', async () => {
    const svc = await createService('np-new-node', { type: 'NodePort', selector: { app: 'alpine' }, ports: [{ port: 8080, targetPort: 80 }] });
    const nodePort = svc.spec!.ports![0]!.nodePort!;
    const before = await nodeExternalIPs();
    await clients.core.createNode({ body: { metadata: { name: 'ip-10-0-1-50.us-east-1.compute.internal' }, spec: { providerID: 'aws:///us-east-1a/i-0123456789abcdef0' } } });
    const node = await clients.core.readNode({ name: 'ip-10-0-1-50.us-east-1.compute.internal' });
    const ip = node.status?.addresses?.find((a) => a.type === 'ExternalIP')?.address;
    expect(ip).toMatch(new RegExp(`^${before[0]!.split('.').slice(0, 3).join('\\.')}\\.\\d+$`));
    expect(before).not.toContain(ip);
    await sandbox.dataPlane.settled();
    expect((await httpGet(ip!, nodePort)).body).toBe(IT_WORKS);

    await clients.core.deleteNode({ name: 'ip-10-0-1-50.us-east-1.compute.internal' });
    await sandbox.dataPlane.settled();
    expect(await tcpExchange(ip!, nodePort)).toEqual({ outcome: 'refused' });
    await deleteService('np-new-node');
  });

  test('the gate decides for host connections to a node port (node, instance, port, client address)', async () => {
    const svc = await createService('gated', { type: 'NodePort', selector: { app: 'alpine' }, ports: [{ port: 8080, targetPort: 80 }] });
    const nodePort = svc.spec!.ports![0]!.nodePort!;
    const [ip] = await nodeExternalIPs();
    const asked: unknown[] = [];
    sandbox.dataPlane.setNodePortGate((node, port, remote) => {
      asked.push({ node, port, remote });
      return false;
    });
    expect(await tcpExchange(ip!, nodePort)).toEqual({ outcome: 'reset' });
    expect(asked).toEqual([
      { node: { name: 'ip-10-0-1-11.us-east-1.compute.internal', instanceId: expect.stringMatching(/^i-[0-9a-f]{17}$/) as unknown }, port: nodePort, remote: '127.0.0.1' },
    ]);
    sandbox.dataPlane.setNodePortGate(() => true);
    expect((await httpGet(ip!, nodePort)).status).toBe(200);
    await deleteService('gated');
  });

  test('the nodes\' security group is the gate: a node port is closed to the host until its address is authorized', async () => {
    const svc = await createService('sg', { type: 'NodePort', selector: { app: 'alpine' }, ports: [{ port: 8080, targetPort: 80 }] });
    const nodePort = svc.spec!.ports![0]!.nodePort!;
    const [ip] = await nodeExternalIPs();
    const groupId = sandbox.ec2.nodesSecurityGroupId;
    await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [nodePortRange] }));
    try {
      expect(await tcpExchange(ip!, nodePort)).toEqual({ outcome: 'reset' });
      expect(hops.at(-1)).toMatchObject({ kind: 'refused', why: 'the node-port gate refused 127.0.0.1' });
      const onePort = { IpProtocol: 'tcp', FromPort: nodePort, ToPort: nodePort, IpRanges: [{ CidrIp: '127.0.0.1/32' }] };
      await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [onePort] }));
      expect((await httpGet(ip!, nodePort)).body).toBe(IT_WORKS);
      await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [onePort] }));
      expect(await tcpExchange(ip!, nodePort)).toEqual({ outcome: 'reset' });
    } finally {
      await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [nodePortRange] }));
    }
    await deleteService('sg');
  });

  test('a listener that cannot be opened is recorded, and the sandbox goes on', async () => {
    const [ip] = await nodeExternalIPs();
    const net = await import('node:net');
    const squatter = net.createServer();
    // Something else holds a port in the node-port range on the node's address.
    const port = await waitFor(
      () =>
        new Promise<number | false>((resolve) => {
          const candidate = 30000 + Math.floor(Math.random() * 2768);
          squatter.once('error', () => resolve(false));
          squatter.listen(candidate, ip, () => resolve(candidate));
        }),
      { what: 'a free port in the node-port range' },
    );
    try {
      await createService('squatted', { type: 'NodePort', selector: { app: 'alpine' }, ports: [{ port: 80, targetPort: 80, nodePort: port }] });
      expect(sandbox.dataPlane.bindFailures).toContainEqual(expect.objectContaining({ address: ip, port, code: 'EADDRINUSE' }));
      expect(sandbox.dataPlane.hostListeners).toContainEqual({ address: (await nodeExternalIPs())[1], port });
      await deleteService('squatted');
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });
});

describe('load balancers', () => {
  async function hostnameOf(name: string): Promise<string | undefined> {
    const svc = await clients.core.readNamespacedService({ name, namespace: ns });
    return svc.status?.loadBalancer?.ingress?.[0]?.hostname;
  }

  async function resolvedAndServing(name: string): Promise<{ hostname: string; addresses: string[] }> {
    const hostname = await waitFor(() => hostnameOf(name), { what: `${name}'s hostname` });
    const addresses = await waitFor(() => clients.resolver.resolve4(hostname), { what: `${hostname} to resolve` });
    await sandbox.dataPlane.settled();
    return { hostname, addresses };
  }

  test('the hostname resolves through the sandbox DNS and its listener forwards to an InService node\'s node port', async () => {
    await createService('lb', { type: 'LoadBalancer', selector: { app: 'alpine' }, ports: [{ port: 8080, targetPort: 80 }] });
    const { addresses } = await resolvedAndServing('lb');
    expect(addresses.every((a) => a.startsWith('127.'))).toBe(true);
    const answer = await waitFor(async () => {
      const a = await httpGet(addresses[0]!, 8080);
      return a.status === 200 && a;
    }, { what: 'an instance in service' });
    expect(answer.body).toBe(IT_WORKS);
    expect(hops.find((h) => h.kind === 'nodePort' && h.from === 'loadBalancer')).toBeDefined();

    // The load balancer's own connections are not subject to the node-port gate.
    sandbox.dataPlane.setNodePortGate(() => false);
    expect((await httpGet(addresses[1]!, 8080)).status).toBe(200);

    await deleteService('lb');
    await waitFor(async () => (await refusedCode(clients.core.readNamespacedService({ name: 'lb', namespace: ns }))) !== 'connected', { what: 'the Service to go' });
    await sandbox.dataPlane.settled();
    for (const address of addresses) expect(await tcpExchange(address, 8080)).toEqual({ outcome: 'refused' });
  });

  test('with no instance InService, the listener refuses', async () => {
    await createService('lb-empty', { type: 'LoadBalancer', selector: { app: 'alpine' }, ports: [{ port: 8080, targetPort: 80 }] });
    const { hostname, addresses } = await resolvedAndServing('lb-empty');
    const lbName = hostname.split('-')[0]!;
    const nodes = await clients.core.listNode();
    await clients.elb.send(
      new DeregisterInstancesFromLoadBalancerCommand({
        LoadBalancerName: lbName,
        Instances: nodes.items.map((n) => ({ InstanceId: n.spec!.providerID!.split('/').pop()! })),
      }),
    );
    expect(await tcpExchange(addresses[0]!, 8080)).toEqual({ outcome: 'reset' });
    expect(hops.at(-1)).toMatchObject({ kind: 'refused', why: `load balancer ${lbName} has no instance InService` });
    await deleteService('lb-empty');
  });

  test('a wrong selector is refused at every hop: cluster IP, node port, load balancer (its instances fail the health check)', async () => {
    const svc = await createService('wrong', { type: 'LoadBalancer', selector: { app: 'alpne' }, ports: [{ port: 8080, targetPort: 80 }] });
    const nodePort = svc.spec!.ports![0]!.nodePort!;
    const { hostname, addresses } = await resolvedAndServing('wrong');
    const lbName = hostname.split('-')[0]!;
    const health = await waitFor(() => {
      const states = sandbox.elb.instanceHealth(lbName);
      return states.every((h) => h.reasonCode === 'Instance') && states;
    }, { what: 'the warm-up to pass' });
    expect(health.map((h) => h.state)).toEqual(['OutOfService', 'OutOfService']);

    expect(await refusedCode(sandbox.dataPlane.dialInternal(svc.spec!.clusterIP!, 8080))).toBe('ECONNREFUSED');
    for (const ip of await nodeExternalIPs()) expect(await tcpExchange(ip, nodePort)).toEqual({ outcome: 'reset' });
    expect(await tcpExchange(addresses[0]!, 8080)).toEqual({ outcome: 'reset' });
    expect(hops.filter((h) => h.kind === 'refused').map((h) => (h as { why: string }).why)).toEqual([
      ...Array<string>(3).fill('Service default/wrong has no ready endpoint'),
      `load balancer ${lbName} has no instance InService`,
    ]);
    await deleteService('wrong');
  });
});

test('closing the sandbox closes its listeners and the connections through them', async () => {
  const own = await startSandbox({ kubeconfigPath: null, nodes: 1, provisionDelayMs: 20, dnsDelayMs: 20, instanceWarmupMs: 20 });
  try {
    const { core } = sandboxClients(own);
    const svc = await core.createNamespacedService({
      namespace: 'default',
      body: { metadata: { name: 'np' }, spec: { type: 'NodePort', selector: { app: 'alpine' }, ports: [{ port: 8080, targetPort: 80 }] } },
    });
    await own.dataPlane.settled();
    own.dataPlane.setNodePortGate(undefined); // allow all: this test is about closing, not the security group
    const nodePort = svc.spec!.ports![0]!.nodePort!;
    const [address] = own.dataPlane.hostListeners.map((l) => l.address);
    const net = await import('node:net');
    const open = net.connect({ host: address!, port: nodePort });
    await new Promise((resolve) => open.once('connect', resolve));
    const closed = new Promise((resolve) => open.once('close', resolve));
    open.on('error', () => undefined);
    await own.close();
    await closed;
    expect(own.dataPlane.hostListeners).toEqual([]);
    expect(await tcpExchange(address!, nodePort)).toEqual({ outcome: 'refused' });
    await expect(own.dataPlane.dialInternal('10.244.0.2', 80)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  } finally {
    await own.close();
  }
});

test('without host listeners the path stays in-process; a cap on listeners is a recorded failure, not an exhaustion', async () => {
  const own = await startSandbox({ kubeconfigPath: null, nodes: 1, hostListeners: false });
  const capped = new DataPlane({ cluster: own.cluster, elb: own.elb, maxHostListeners: 2 });
  try {
    capped.start();
    const { core } = sandboxClients(own);
    const nodePorts: number[] = [];
    for (const name of ['one', 'two', 'three']) {
      const svc = await core.createNamespacedService({
        namespace: 'default',
        body: { metadata: { name }, spec: { type: 'NodePort', selector: { app: 'alpine' }, ports: [{ port: 8080, targetPort: 80 }] } },
      });
      nodePorts.push(svc.spec!.ports![0]!.nodePort!);
    }
    await own.dataPlane.settled();
    await capped.settled();
    expect(own.dataPlane.hostListeners).toEqual([]);
    const node = (await core.listNode()).items[0]!;
    const external = node.status!.addresses!.find((a) => a.type === 'ExternalIP')!.address;
    expect(capped.hostListeners).toHaveLength(2);
    expect(capped.bindFailures).toEqual([expect.objectContaining({ address: external, code: 'EMFILE' })]);
    const refusedPort = capped.bindFailures[0]!.port;
    const [open] = capped.hostListeners;
    expect(nodePorts).toContain(refusedPort);
    // httpd answers what is not HTTP as Apache does: 400, then it closes.
    expect(await tcpExchange(external, open!.port)).toEqual({ outcome: 'answered', data: expect.stringContaining('400 Bad Request') as unknown });
    // In-process, every node port answers still.
    const internal = node.status!.addresses!.find((a) => a.type === 'InternalIP')!.address;
    expect((await httpOver(await own.dataPlane.dialInternal(internal, refusedPort))).body).toBe(IT_WORKS);
  } finally {
    await capped.close();
    await own.close();
  }
});

test('manifests/examples: the deployment\'s BusyBox httpd serves the page its command writes, behind the example Service', async () => {
  const { readFile } = await import('node:fs/promises');
  const { parse } = await import('yaml');
  const own = await startSandbox({ kubeconfigPath: null, nodes: 1 });
  try {
    const { kc, core } = sandboxClients(own);
    const k8s = await import('@kubernetes/client-node');
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    await core.createNamespace({ body: { metadata: { name: 'examples' } } });
    const deployment = parse(await readFile('manifests/examples/deployment.yaml', 'utf8')) as k8s.V1Deployment;
    await apps.createNamespacedDeployment({ namespace: 'examples', body: deployment });
    const service = parse(await readFile('manifests/examples/service.yaml', 'utf8')) as k8s.V1Service;
    const created = await core.createNamespacedService({ namespace: 'examples', body: service });
    const pods = await waitFor(async () => {
      const list = await core.listNamespacedPod({ namespace: 'examples', labelSelector: 'app=alpine' });
      return list.items.length === 2 && list.items.every((p) => p.status?.podIP) && list.items;
    }, { what: 'the example pods' });
    for (const pod of pods) {
      const answer = await httpOver(await own.dataPlane.dialInternal(pod.status!.podIP!, 80));
      expect(answer).toMatchObject({ status: 200, body: `hello from ${pod.metadata!.name}\n` });
      expect((await httpOver(await own.dataPlane.dialInternal(pod.status!.podIP!, 80), '/x')).status).toBe(404);
    }
    const port = created.spec!.ports![0]!.port;
    const viaService = await httpOver(await own.dataPlane.dialInternal(created.spec!.clusterIP!, port));
    expect(viaService.body).toMatch(/^hello from alpine-/);
  } finally {
    await own.close();
  }
});

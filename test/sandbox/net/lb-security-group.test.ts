/**
 * A classic load balancer's own security group, as the AWS cloud provider makes it (sandbox/cloud/
 * controller.ts) and as the data plane enforces it at the listener: `k8s-elb-<lbName>` with the
 * listener ports from the Service's source ranges, the nodes' group opened to it, kept in step with the
 * Service and removed with it; a client outside the ranges is reset until AuthorizeSecurityGroupIngress
 * lets it in. Through the real AWS SDK clients and plain sockets from chosen loopback addresses.
 */
import { AuthorizeSecurityGroupIngressCommand, DescribeSecurityGroupsCommand, RevokeSecurityGroupIngressCommand, type SecurityGroup } from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing';
import type * as k8s from '@kubernetes/client-node';
import { startSandbox, type Hop, type Sandbox } from '../../../sandbox/index.js';
import { sandboxClients } from '../../helpers/sandbox-clients.js';
import { waitFor } from '../../helpers/wait.js';
import { httpGet, tcpExchange } from './clients.js';

const IT_WORKS = '<html><body><h1>It works!</h1></body></html>\n';
const ns = 'default';

let sandbox: Sandbox;
let clients: ReturnType<typeof sandboxClients>;
const hops: Hop[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ kubeconfigPath: null, clusterName: 'lbsg', nodes: 2, provisionDelayMs: 20, dnsDelayMs: 20, instanceWarmupMs: 20 });
  clients = sandboxClients(sandbox);
  sandbox.dataPlane.onHop((hop) => hops.push(hop));
});

afterAll(async () => {
  clients.ec2.destroy();
  clients.elb.destroy();
  await sandbox.close();
});

afterEach(() => {
  hops.length = 0;
});

/** Creates a LoadBalancer Service and waits for its ELB, its instances InService and its listeners. */
async function createLoadBalancer(name: string, spec: Omit<k8s.V1ServiceSpec, 'type'>): Promise<{ lbName: string; address: string }> {
  await clients.core.createNamespacedService({ namespace: ns, body: { metadata: { name }, spec: { type: 'LoadBalancer', ...spec } } });
  const hostname = await waitFor(async () => (await clients.core.readNamespacedService({ name, namespace: ns })).status?.loadBalancer?.ingress?.[0]?.hostname, {
    what: `${name}'s hostname`,
  });
  const lbName = hostname.split('-')[0]!;
  await waitFor(() => sandbox.elb.instanceHealth(lbName).every((h) => h.state === 'InService'), { what: 'instances in service' });
  await sandbox.dataPlane.settled();
  return { lbName, address: sandbox.elb.get(lbName)!.addresses[0]! };
}

async function groupsNamed(groupName: string): Promise<SecurityGroup[]> {
  const answer = await clients.ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: 'group-name', Values: [groupName] },
        { Name: 'tag:kubernetes.io/cluster/lbsg', Values: ['owned'] },
        { Name: 'vpc-id', Values: [sandbox.elb.vpcId] },
      ],
    }),
  );
  return answer.SecurityGroups ?? [];
}

/** A group's ingress as `protocol:from-to:cidr` lines, sorted. */
function cidrRules(group: SecurityGroup | undefined): string[] {
  return (group?.IpPermissions ?? [])
    .flatMap((p) => (p.IpRanges ?? []).map((r) => `${p.IpProtocol}:${p.FromPort}-${p.ToPort}:${r.CidrIp}`))
    .sort();
}

/** The groups the nodes' group lets in with an all-traffic rule. */
async function groupsLettingIntoNodes(): Promise<string[]> {
  const answer = await clients.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [sandbox.ec2.nodesSecurityGroupId] }));
  return (answer.SecurityGroups?.[0]?.IpPermissions ?? [])
    .filter((p) => p.IpProtocol === '-1')
    .flatMap((p) => (p.UserIdGroupPairs ?? []).map((g) => g.GroupId ?? ''));
}

test('the ELB gets a group of its own: its listener ports from 0.0.0.0/0, the nodes opened to it, kept in step with the Service, gone with it', async () => {
  const { lbName, address } = await createLoadBalancer('web', {
    selector: { app: 'alpine' },
    ports: [
      { name: 'http', port: 8080, targetPort: 80 },
      { name: 'alt', port: 8081, targetPort: 80 },
    ],
  });
  const groupName = `k8s-elb-${lbName}`;
  const [group, ...others] = await groupsNamed(groupName);
  expect(others).toEqual([]);
  expect(group).toMatchObject({
    GroupName: groupName,
    Description: `Security group for Kubernetes ELB ${lbName} (default/web)`,
    VpcId: sandbox.elb.vpcId,
    Tags: [{ Key: 'kubernetes.io/cluster/lbsg', Value: 'owned' }],
  });
  const groupId = group!.GroupId!;
  expect(cidrRules(group)).toEqual(['icmp:3-4:0.0.0.0/0', 'tcp:8080-8080:0.0.0.0/0', 'tcp:8081-8081:0.0.0.0/0']);
  expect(await groupsLettingIntoNodes()).toContain(groupId);

  const described = await clients.elb.send(new DescribeLoadBalancersCommand({ LoadBalancerNames: [lbName] }));
  expect(described.LoadBalancerDescriptions?.[0]).toMatchObject({
    SecurityGroups: [groupId],
    SourceSecurityGroup: { OwnerAlias: '123456789012', GroupName: groupName },
  });
  expect((await httpGet(address, 8080)).body).toBe(IT_WORKS);
  expect((await httpGet(address, 8081)).body).toBe(IT_WORKS);

  // Source ranges and ports change: the rules follow, and the listener with them.
  const svc = await clients.core.readNamespacedService({ name: 'web', namespace: ns });
  svc.spec!.loadBalancerSourceRanges = ['10.1.0.0/16', '127.0.0.2/32'];
  svc.spec!.ports = svc.spec!.ports!.filter((p) => p.name === 'http');
  await clients.core.replaceNamespacedService({ name: 'web', namespace: ns, body: svc });
  expect(
    await waitFor(async () => {
      const rules = cidrRules((await groupsNamed(groupName))[0]);
      return rules.length === 4 && rules;
    }, { what: 'the rules to follow the Service' }),
  ).toEqual(['icmp:3-4:10.1.0.0/16', 'icmp:3-4:127.0.0.2/32', 'tcp:8080-8080:10.1.0.0/16', 'tcp:8080-8080:127.0.0.2/32']);
  await sandbox.dataPlane.settled();
  expect(await tcpExchange(address, 8080)).toEqual({ outcome: 'reset' });
  expect((await httpGet(address, 8080, '/', '127.0.0.2')).body).toBe(IT_WORKS);

  await clients.core.deleteNamespacedService({ name: 'web', namespace: ns });
  await waitFor(async () => (await groupsNamed(groupName)).length === 0, { what: 'the group to go' });
  expect(await groupsLettingIntoNodes()).not.toContain(groupId);
  await expect(clients.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }))).rejects.toMatchObject({ name: 'InvalidGroup.NotFound' });
});

test('a client outside the source ranges is reset at the listener; AuthorizeSecurityGroupIngress on the ELB group lets it in, Revoke shuts it out again', async () => {
  const { lbName, address } = await createLoadBalancer('ranged', {
    selector: { app: 'alpine' },
    loadBalancerSourceRanges: ['127.0.0.2/32'],
    ports: [{ port: 8080, targetPort: 80 }],
  });
  const groupId = sandbox.elb.get(lbName)!.securityGroups[0]!;
  expect(await tcpExchange(address, 8080)).toEqual({ outcome: 'reset' });
  expect(hops.at(-1)).toMatchObject({ kind: 'refused', address, port: 8080, why: 'the load-balancer gate refused 127.0.0.1' });
  expect((await httpGet(address, 8080, '/', '127.0.0.2')).body).toBe(IT_WORKS);
  expect(await tcpExchange(address, 8080, 'ping\n', '127.0.0.3')).toEqual({ outcome: 'reset' });

  const host = { IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, IpRanges: [{ CidrIp: '127.0.0.1/32' }] };
  await clients.ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [host] }));
  expect((await httpGet(address, 8080)).body).toBe(IT_WORKS);
  await clients.ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [host] }));
  expect(await tcpExchange(address, 8080)).toEqual({ outcome: 'reset' });

  await clients.core.deleteNamespacedService({ name: 'ranged', namespace: ns });
  await waitFor(async () => (await groupsNamed(`k8s-elb-${lbName}`)).length === 0, { what: 'the group to go' });
});

test('an ELB deleted through the ELB API takes its group and the nodes\' rule with it; one made through the API without groups stays open', async () => {
  const { lbName } = await createLoadBalancer('dropped', { selector: { app: 'alpine' }, ports: [{ port: 8080, targetPort: 80 }] });
  const groupId = sandbox.elb.get(lbName)!.securityGroups[0]!;
  expect(await groupsLettingIntoNodes()).toContain(groupId);
  sandbox.elb.delete(lbName);
  expect(await groupsNamed(`k8s-elb-${lbName}`)).toEqual([]);
  expect(await groupsLettingIntoNodes()).not.toContain(groupId);

  // Made by hand, in front of the Service's node port: the shared default group, not enforced.
  const nodePort = (await clients.core.readNamespacedService({ name: 'dropped', namespace: ns })).spec!.ports![0]!.nodePort!;
  const nodes = await clients.core.listNode();
  const byHand = sandbox.elb.create({
    name: 'by-hand',
    listeners: [{ protocol: 'TCP', loadBalancerPort: 8090, instanceProtocol: 'TCP', instancePort: nodePort }],
    availabilityZones: ['us-east-1a'],
  });
  expect(byHand.securityGroups).toEqual([sandbox.elb.defaultSecurityGroup]);
  sandbox.elb.registerInstances('by-hand', nodes.items.map((n) => n.spec!.providerID!.split('/').pop()!));
  await waitFor(() => sandbox.elb.instanceHealth('by-hand').every((h) => h.state === 'InService'), { what: 'instances in service' });
  await sandbox.dataPlane.settled();
  expect((await httpGet(byHand.addresses[0]!, 8090, '/', '127.0.0.3')).body).toBe(IT_WORKS);
  sandbox.elb.delete('by-hand');
  expect(sandbox.ec2.findGroup(sandbox.elb.defaultSecurityGroup)).toBeDefined();
  await clients.core.deleteNamespacedService({ name: 'dropped', namespace: ns });
});

test('without spec.loadBalancerSourceRanges, the provider\'s source-ranges annotation sets the ranges', async () => {
  await clients.core.createNamespacedService({
    namespace: ns,
    body: {
      metadata: { name: 'annotated', annotations: { 'service.beta.kubernetes.io/load-balancer-source-ranges': '127.0.0.4/32, 10.2.0.0/16' } },
      spec: { type: 'LoadBalancer', selector: { app: 'alpine' }, ports: [{ port: 8080, targetPort: 80 }] },
    },
  });
  const hostname = await waitFor(async () => (await clients.core.readNamespacedService({ name: 'annotated', namespace: ns })).status?.loadBalancer?.ingress?.[0]?.hostname, {
    what: "annotated's hostname",
  });
  const groupName = `k8s-elb-${hostname.split('-')[0]!}`;
  expect(cidrRules((await groupsNamed(groupName))[0])).toEqual(['icmp:3-4:10.2.0.0/16', 'icmp:3-4:127.0.0.4/32', 'tcp:8080-8080:10.2.0.0/16', 'tcp:8080-8080:127.0.0.4/32']);
  await clients.core.deleteNamespacedService({ name: 'annotated', namespace: ns });
  await waitFor(async () => (await groupsNamed(groupName)).length === 0, { what: 'the group to go' });
});

test('a source range EC2 refuses fails the sync (a Warning event, no load balancer); deleting the Service removes the group made for it', async () => {
  const svc = await clients.core.createNamespacedService({
    namespace: ns,
    body: {
      metadata: { name: 'bad-range', annotations: { 'service.beta.kubernetes.io/load-balancer-source-ranges': '10.0.0.0/33' } },
      spec: { type: 'LoadBalancer', selector: { app: 'alpine' }, ports: [{ port: 8080, targetPort: 80 }] },
    },
  });
  const groupName = `k8s-elb-a${svc.metadata!.uid!.replace(/-/g, '')}`.slice(0, 'k8s-elb-'.length + 32);
  const warning = await waitFor(async () => {
    const events = await clients.core.listNamespacedEvent({ namespace: ns, fieldSelector: 'involvedObject.name=bad-range' });
    return events.items.find((e) => e.reason === 'SyncLoadBalancerFailed');
  }, { what: 'the failed sync' });
  expect(warning.message).toContain('10.0.0.0/33');
  expect(warning.type).toBe('Warning');
  expect((await clients.core.readNamespacedService({ name: 'bad-range', namespace: ns })).status?.loadBalancer?.ingress).toBeUndefined();
  expect(await groupsNamed(groupName)).toHaveLength(1);

  await clients.core.deleteNamespacedService({ name: 'bad-range', namespace: ns });
  await waitFor(async () => (await groupsNamed(groupName)).length === 0, { what: 'the group to go' });
});

/**
 * What a security group lets in (sandbox/ec2/ingress.ts, the data plane's gate for node ports), and
 * the public IP an instance shows (sandbox/ec2/store.ts `publicIpOf`): CIDR edges, port ranges,
 * protocols, group sources.
 */
import { cidrContains, groupsAllowTcp, type IngressRule, parseIpv4 } from '../../sandbox/ec2/ingress.js';
import { Ec2Store, publicIpOf } from '../../sandbox/ec2/store.js';
import type { Node } from '../../sandbox/kube/types.js';

test.each([
  ['127.0.0.1/32', '127.0.0.1', true],
  ['127.0.0.1/32', '127.0.0.2', false],
  ['127.0.0.0/8', '127.255.255.255', true],
  ['127.0.0.0/8', '128.0.0.0', false],
  ['127.0.0.0/8', '126.255.255.255', false],
  ['10.0.0.0/31', '10.0.0.1', true],
  ['10.0.0.0/31', '10.0.0.2', false],
  ['0.0.0.0/0', '203.0.113.9', true],
  ['0.0.0.0/0', '255.255.255.255', true],
  ['192.168.1.77/24', '192.168.1.1', true], // host bits of the block are ignored
  ['192.168.1.77/24', '192.168.2.1', false],
  ['255.255.255.255/32', '255.255.255.255', true],
  ['127.0.0.1/33', '127.0.0.1', false], // not a CIDR block
  ['127.0.0.1', '127.0.0.1', false], // no prefix length
  ['127.0.0.0/8', '127.0.0.256', false], // not an address
  ['127.0.0.0/8', '127.0.0.01', false],
  ['127.0.0.0/8', '::1', false],
  ['127.0.0.0/8', '', false],
])('cidrContains(%s, %s) is %s', (cidr, ip, expected) => {
  expect(cidrContains(cidr, ip)).toBe(expected);
});

test('parseIpv4', () => {
  expect(parseIpv4('1.2.3.4')).toBe(0x01020304);
  expect(parseIpv4('255.255.255.255')).toBe(0xffffffff);
  for (const bad of ['1.2.3', '1.2.3.4.5', '1.2.3.-4', '1.2.3.x', ' 1.2.3.4', '1.2.3.1000']) expect(parseIpv4(bad)).toBeUndefined();
});

const rule = (r: Partial<IngressRule> & Pick<IngressRule, 'source'>): IngressRule => ({ ruleId: 'sgr-1', protocol: 'tcp', fromPort: 30000, toPort: 30010, ...r });
const nobody = () => [];

test.each([
  ['low end of the range', rule({ source: { cidr: '127.0.0.1/32' } }), 30000, true],
  ['high end of the range', rule({ source: { cidr: '127.0.0.1/32' } }), 30010, true],
  ['below the range', rule({ source: { cidr: '127.0.0.1/32' } }), 29999, false],
  ['above the range', rule({ source: { cidr: '127.0.0.1/32' } }), 30011, false],
  ['all traffic (-1) ignores ports', rule({ protocol: '-1', fromPort: -1, toPort: -1, source: { cidr: '127.0.0.0/8' } }), 65535, true],
  ['udp does not let TCP in', rule({ protocol: 'udp', source: { cidr: '127.0.0.1/32' } }), 30005, false],
  ['icmp does not let TCP in', rule({ protocol: 'icmp', fromPort: -1, toPort: -1, source: { cidr: '0.0.0.0/0' } }), 30005, false],
  ['source outside the CIDR', rule({ source: { cidr: '10.0.0.0/8' } }), 30005, false],
])('a rule: %s', (_what, r, port, expected) => {
  expect(groupsAllowTcp([{ ingress: [r] }], port, '127.0.0.1', nobody)).toBe(expected);
});

test('group sources: the members of the group, no one else; any rule of any group will do; bad ports never', () => {
  const members = (groupId: string) => (groupId === 'sg-elb' ? ['127.5.6.7'] : []);
  const groups = [{ ingress: [rule({ protocol: '-1', source: { groupId: 'sg-elb' } })] }, { ingress: [rule({ source: { cidr: '127.0.0.1/32' } })] }];
  expect(groupsAllowTcp(groups, 31000, '127.5.6.7', members)).toBe(true);
  expect(groupsAllowTcp(groups, 31000, '127.0.0.1', members)).toBe(false);
  expect(groupsAllowTcp(groups, 30001, '127.0.0.1', members)).toBe(true);
  expect(groupsAllowTcp([], 30001, '127.0.0.1', members)).toBe(false);
  for (const bad of [-1, 65536, 1.5, Number.NaN]) expect(groupsAllowTcp(groups, bad, '127.5.6.7', members)).toBe(false);
});

function nodeFixture(i: number, external: string | undefined): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: `ip-10-0-1-${10 + i}.us-east-1.compute.internal`, uid: `uid-${i}`, resourceVersion: '1', creationTimestamp: '2024-01-01T00:00:00Z' },
    spec: { providerID: `aws:///us-east-1a/i-${String(i).padStart(17, '0')}` },
    status: {
      addresses: [{ type: 'InternalIP', address: `10.0.1.${10 + i}` }, ...(external ? [{ type: 'ExternalIP' as const, address: external }] : [])],
      conditions: [],
    },
  };
}

test('publicIpOf: a loopback ExternalIP as it is; otherwise a distinct 127.0.x.y of its own, never one a load balancer uses (127.0.x.x)', () => {
  expect(publicIpOf(nodeFixture(1, '127.31.4.1'), 0)).toBe('127.31.4.1');
  expect(publicIpOf(nodeFixture(1, '203.0.113.11'), 0)).toBe('127.0.1.1');
  expect(publicIpOf(nodeFixture(2, undefined), 1)).toBe('127.0.1.2');
  const many = Array.from({ length: 250 }, (_, i) => publicIpOf(nodeFixture(i, undefined), i));
  expect(new Set(many).size).toBe(250);
  for (const ip of many) expect(ip).toMatch(/^127\.0\.\d+\.([1-9]\d*)$/);
});

test("allowsIngress follows the nodes: an instance whose node has a loopback ExternalIP counts it as a member of the nodes' group", () => {
  const nodes = [nodeFixture(1, '127.31.4.1'), nodeFixture(2, '127.31.4.2')];
  const store = new Ec2Store({ region: 'us-east-1', clusterName: 'c', vpcId: 'vpc-0123456789abcdef0', loadBalancerSecurityGroupId: 'sg-0123456789abcdef0', nodes: () => nodes });
  const [first, second] = store.instances();
  expect(first?.publicIpAddress).toBe('127.31.4.1');
  // Node to node: the nodes' group lets its own members in; the host is not one.
  expect(store.allowsIngress(first?.instanceId ?? '', 30080, '127.31.4.2')).toBe(true);
  expect(store.allowsIngress(second?.instanceId ?? '', 30080, '10.0.1.11')).toBe(true);
  expect(store.allowsIngress(first?.instanceId ?? '', 30080, '127.0.0.1')).toBe(false);
  expect(store.allowsIngress('i-99999999999999999', 30080, '127.31.4.2')).toBe(false);
});

test('a group of its own: created with all egress and no ingress, a duplicate name refused, not deleted while another group names it', () => {
  const store = new Ec2Store({ region: 'us-east-1', clusterName: 'c', vpcId: 'vpc-0123456789abcdef0', loadBalancerSecurityGroupId: 'sg-0123456789abcdef0', nodes: () => [] });
  const group = store.createSecurityGroup({ groupName: 'k8s-elb-a1', description: 'Security group for Kubernetes ELB a1 (default/web)', tags: { 'kubernetes.io/cluster/c': 'owned' } });
  expect(group).toMatchObject({ groupName: 'k8s-elb-a1', vpcId: 'vpc-0123456789abcdef0', ingress: [], tags: [['kubernetes.io/cluster/c', 'owned']] });
  expect(group.groupId).toMatch(/^sg-[0-9a-f]{17}$/);
  expect(group.egress).toEqual([expect.objectContaining({ protocol: '-1', source: { cidr: '0.0.0.0/0' } })]);
  expect(() => store.createSecurityGroup({ groupName: 'k8s-elb-a1', description: 'again' })).toThrow(expect.objectContaining({ code: 'InvalidGroup.Duplicate' }) as Error);

  expect(store.groupsAllowIngress([group.groupId], 80, '127.0.0.1')).toBe(false);
  store.authorizeIngress({ groupId: group.groupId }, [{ protocol: 'tcp', fromPort: '80', toPort: '80', cidrs: [{ cidr: '127.0.0.0/30' }], groups: [] }]);
  expect(store.groupsAllowIngress([group.groupId], 80, '127.0.0.1')).toBe(true);
  expect(store.groupsAllowIngress([group.groupId], 81, '127.0.0.1')).toBe(false);
  expect(store.groupsAllowIngress([group.groupId], 80, '127.0.0.9')).toBe(false);
  expect(store.groupsAllowIngress(['sg-99999999999999999'], 80, '127.0.0.1')).toBe(false);

  const nodes = { groupId: store.nodesSecurityGroupId };
  const fromGroup = { protocol: '-1', fromPort: undefined, toPort: undefined, cidrs: [], groups: [{ groupId: group.groupId }] };
  store.authorizeIngress(nodes, [fromGroup]);
  expect(() => store.deleteSecurityGroup(group.groupId)).toThrow(expect.objectContaining({ code: 'DependencyViolation' }) as Error);
  store.revokeIngress(nodes, [fromGroup]);
  expect(store.deleteSecurityGroup(group.groupId)).toBe(true);
  expect(store.findGroup(group.groupId)).toBeUndefined();
  expect(store.deleteSecurityGroup(group.groupId)).toBe(false);
});

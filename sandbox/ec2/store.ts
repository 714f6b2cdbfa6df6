/**
 * The sandbox's EC2 state, written from the EC2 API reference: one instance per simulated cluster node
 * (same instance id as the node's `spec.providerID` and as the load balancers register), and the
 * security groups that gate traffic to them.
 *
 * Instances are read from the nodes on every call (a node's addresses are the instance's): state
 * `running`, private IP = the node's InternalIP, public IP = its ExternalIP when that is a loopback
 * address the host can reach (see `publicIpOf`), tags `kubernetes.io/cluster/<cluster>=owned` and `Name`,
 * in the nodes' security group.
 *
 * Security groups: the load balancers' group (the id the ELB store gives load balancers created without
 * one — its VPC's `default` group, all traffic from its own members, as AWS creates it) and the nodes'
 * group `k8s-<cluster>-nodes`, which lets in nothing from outside but all traffic from the load
 * balancers' group (and from its own members, node to node). Node ports are therefore closed to the
 * host until someone authorizes its address, as on AWS. The cloud controller adds a group per load
 * balancer (`createSecurityGroup`, `deleteSecurityGroup`), and the data plane asks `groupsAllowIngress`
 * before a load balancer's listener carries a connection.
 */
import { hexId } from '../elb/store.js';
import type { Node } from '../kube/types.js';
import { groupsAllowTcp, type IngressRule, parseCidr } from './ingress.js';
import { Ec2Error, type Filter, filterMatches, invalidFilter, invalidParameterValue } from './query.js';

/** Account id the sandbox reports as owner (the ELB API reports the same). */
export const SANDBOX_ACCOUNT_ID = '123456789012';

export interface Ec2StoreOptions {
  region: string;
  clusterName: string;
  /** The VPC of the nodes and load balancers (the ELB store's `vpcId`). */
  vpcId: string;
  /** The security group the cluster's load balancers carry (the ELB store's `defaultSecurityGroup`). */
  loadBalancerSecurityGroupId: string;
  /** The cluster's nodes, read on every call. */
  nodes: () => readonly Node[];
  /** The addresses of the load balancers in a security group (their traffic's source on the nodes). */
  loadBalancerAddresses?: (groupId: string) => readonly string[];
}

export interface Instance {
  instanceId: string;
  reservationId: string;
  imageId: string;
  instanceType: string;
  launchTime: string;
  availabilityZone: string;
  subnetId: string;
  vpcId: string;
  privateDnsName: string;
  privateIpAddress: string | undefined;
  publicIpAddress: string | undefined;
  /** Always `running` (code 16): the sandbox's nodes do not stop. */
  state: { code: number; name: string };
  securityGroups: { groupId: string; groupName: string }[];
  tags: [string, string][];
}

export interface SecurityGroup {
  groupId: string;
  groupName: string;
  description: string;
  vpcId: string;
  ownerId: string;
  tags: [string, string][];
  ingress: IngressRule[];
  egress: IngressRule[];
}

/** One `IpPermissions.N` (or the legacy top-level form) as the request gave it, not yet validated. */
export interface PermissionInput {
  protocol: string | undefined;
  fromPort: string | undefined;
  toPort: string | undefined;
  cidrs: { cidr: string; description?: string }[];
  groups: { groupId?: string; groupName?: string; description?: string }[];
}

/** Which group a request names: `GroupId`, else `GroupName` (in the default VPC). */
export interface GroupRef {
  groupId?: string;
  groupName?: string;
}

const SECURITY_GROUP_ID = /^sg-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

const malformedGroupId = (id: string) => new Ec2Error('InvalidGroupId.Malformed', `Invalid id: "${id}" (expecting "sg-...")`);
const groupIdNotFound = (id: string) => new Ec2Error('InvalidGroup.NotFound', `The security group '${id}' does not exist`);

/**
 * The public IP the instance of `node` (the `index`-th node) shows: the node's ExternalIP when it is in
 * 127.0.0.0/8 (reachable from this machine), else 127.0.1.(index+1) — a stand-in until every node
 * carries a loopback ExternalIP of its own; load balancers never use 127.0.x.x.
 */
export function publicIpOf(node: Node, index: number): string {
  const external = node.status.addresses.find((a) => a.type === 'ExternalIP')?.address;
  if (external !== undefined && /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(external)) return external;
  return `127.0.${1 + Math.floor(index / 254)}.${1 + (index % 254)}`;
}

export class Ec2Store {
  private readonly groups = new Map<string, SecurityGroup>();
  private ruleSerial = 0;
  readonly nodesSecurityGroupId: string;
  readonly loadBalancerSecurityGroupId: string;

  constructor(private readonly opts: Ec2StoreOptions) {
    const { clusterName, vpcId } = opts;
    this.loadBalancerSecurityGroupId = opts.loadBalancerSecurityGroupId;
    this.nodesSecurityGroupId = hexId('sg', `nodes-sg:${vpcId}:${clusterName}`);
    const allEgress = (groupId: string): IngressRule[] => [
      { ruleId: this.newRuleId(groupId), protocol: '-1', fromPort: -1, toPort: -1, source: { cidr: '0.0.0.0/0' } },
    ];
    const lbGroup = this.loadBalancerSecurityGroupId;
    this.groups.set(lbGroup, {
      groupId: lbGroup,
      groupName: 'default',
      description: 'default VPC security group',
      vpcId,
      ownerId: SANDBOX_ACCOUNT_ID,
      tags: [],
      ingress: [{ ruleId: this.newRuleId(lbGroup), protocol: '-1', fromPort: -1, toPort: -1, source: { groupId: lbGroup } }],
      egress: allEgress(lbGroup),
    });
    const nodesGroup = this.nodesSecurityGroupId;
    this.groups.set(nodesGroup, {
      groupId: nodesGroup,
      groupName: `k8s-${clusterName}-nodes`,
      description: `Security group for the nodes of cluster ${clusterName}`,
      vpcId,
      ownerId: SANDBOX_ACCOUNT_ID,
      tags: [
        [`kubernetes.io/cluster/${clusterName}`, 'owned'],
        ['Name', `k8s-${clusterName}-nodes`],
      ],
      ingress: [
        {
          ruleId: this.newRuleId(nodesGroup),
          protocol: '-1',
          fromPort: -1,
          toPort: -1,
          source: { groupId: lbGroup },
          description: 'the cluster load balancers',
        },
        { ruleId: this.newRuleId(nodesGroup), protocol: '-1', fromPort: -1, toPort: -1, source: { groupId: nodesGroup } },
      ],
      egress: allEgress(nodesGroup),
    });
  }

  private newRuleId(groupId: string): string {
    this.ruleSerial += 1;
    return hexId('sgr', `rule:${groupId}:${this.ruleSerial}`);
  }

  // -------------------------------------------------------------------------------------------------
  // Instances

  /** Every instance, in node order. */
  instances(): Instance[] {
    const { region, clusterName, vpcId } = this.opts;
    const nodesGroup = this.groups.get(this.nodesSecurityGroupId);
    return this.opts.nodes().flatMap((node, index) => {
      const providerId = /^aws:\/\/\/([a-z0-9-]+)\/(i-[0-9a-f]+)$/.exec(node.spec.providerID ?? '');
      if (!providerId) return [];
      const [, zone = `${region}a`, instanceId = ''] = providerId;
      const address = (type: string) => node.status.addresses.find((a) => a.type === type)?.address;
      const labels = node.metadata.labels ?? {};
      const nodegroup = labels['eks.amazonaws.com/nodegroup'] ?? `${clusterName}-nodes`;
      return [
        {
          instanceId,
          reservationId: hexId('r', `reservation:${instanceId}`),
          imageId: hexId('ami', `eks-node-ami:${region}`),
          instanceType: labels['node.kubernetes.io/instance-type'] ?? 'm5.large',
          launchTime: node.metadata.creationTimestamp ?? new Date(0).toISOString(),
          availabilityZone: zone,
          // The ELB store's default subnet of the zone: nodes and load balancers share the subnets.
          subnetId: hexId('subnet', `default-subnet:${zone}`),
          vpcId,
          privateDnsName: address('InternalDNS') ?? node.metadata.name ?? '',
          privateIpAddress: address('InternalIP'),
          publicIpAddress: publicIpOf(node, index),
          state: { code: 16, name: 'running' },
          securityGroups: nodesGroup ? [{ groupId: nodesGroup.groupId, groupName: nodesGroup.groupName }] : [],
          tags: [
            ['Name', `${nodegroup}-Node`],
            [`kubernetes.io/cluster/${clusterName}`, 'owned'],
            ['eks:cluster-name', clusterName],
            ['eks:nodegroup-name', nodegroup],
          ],
        },
      ];
    });
  }

  /** DescribeInstances: `InstanceId.N` (every one must exist) and `Filter.N` (all must match). */
  describeInstances(ids: readonly string[], filters: readonly Filter[]): Instance[] {
    for (const id of ids) {
      if (!INSTANCE_ID.test(id)) throw new Ec2Error('InvalidInstanceID.Malformed', `Invalid id: "${id}" (expecting "i-...")`);
    }
    const all = this.instances();
    const missing = [...new Set(ids)].filter((id) => !all.some((i) => i.instanceId === id));
    if (missing.length === 1) throw new Ec2Error('InvalidInstanceID.NotFound', `The instance ID '${missing[0]}' does not exist`);
    if (missing.length > 1) throw new Ec2Error('InvalidInstanceID.NotFound', `The instance IDs '${missing.join(', ')}' do not exist`);
    const chosen = ids.length > 0 ? all.filter((i) => ids.includes(i.instanceId)) : all;
    return chosen.filter((instance) => filters.every((f) => filterMatchesInstance(f, instance)));
  }

  // -------------------------------------------------------------------------------------------------
  // Security groups

  /** DescribeSecurityGroups: `GroupId.N`, `GroupName.N` (every one must exist) and `Filter.N`. */
  describeSecurityGroups(ids: readonly string[], names: readonly string[], filters: readonly Filter[]): SecurityGroup[] {
    const chosen = new Map<string, SecurityGroup>();
    for (const id of ids) chosen.set(id, this.group({ groupId: id }));
    for (const name of names) {
      const group = this.group({ groupName: name });
      chosen.set(group.groupId, group);
    }
    const groups = ids.length + names.length > 0 ? [...chosen.values()] : [...this.groups.values()];
    return groups.filter((g) => filters.every((f) => filterMatchesGroup(f, g))).map(copyGroup);
  }

  /**
   * A new security group in the VPC with all egress allowed and no ingress, as CreateSecurityGroup
   * makes one (what the cloud controller does for each classic load balancer); a name the VPC already
   * has is `InvalidGroup.Duplicate`. Not an action of the EC2 API here: only the sandbox makes groups.
   */
  createSecurityGroup(input: { groupName: string; description: string; tags?: Record<string, string> }): SecurityGroup {
    const { vpcId } = this.opts;
    if ([...this.groups.values()].some((g) => g.groupName === input.groupName && g.vpcId === vpcId)) {
      throw new Ec2Error('InvalidGroup.Duplicate', `The security group '${input.groupName}' already exists for VPC '${vpcId}'`);
    }
    let groupId = hexId('sg', `group:${vpcId}:${input.groupName}`);
    for (let n = 1; this.groups.has(groupId); n++) groupId = hexId('sg', `group:${vpcId}:${input.groupName}:${n}`);
    const group: SecurityGroup = {
      groupId,
      groupName: input.groupName,
      description: input.description,
      vpcId,
      ownerId: SANDBOX_ACCOUNT_ID,
      tags: Object.entries(input.tags ?? {}),
      ingress: [],
      egress: [{ ruleId: this.newRuleId(groupId), protocol: '-1', fromPort: -1, toPort: -1, source: { cidr: '0.0.0.0/0' } }],
    };
    this.groups.set(groupId, group);
    return copyGroup(group);
  }

  /**
   * Deletes a group, as DeleteSecurityGroup does: a group another group's rule names as its source is
   * `DependencyViolation` (revoke that rule first). Returns false when there is no such group.
   */
  deleteSecurityGroup(groupId: string): boolean {
    if (!this.groups.has(groupId)) return false;
    const dependent = [...this.groups.values()].some(
      (g) => g.groupId !== groupId && g.ingress.some((r) => 'groupId' in r.source && r.source.groupId === groupId),
    );
    if (dependent) throw new Ec2Error('DependencyViolation', `resource ${groupId} has a dependent object`);
    this.groups.delete(groupId);
    return true;
  }

  /** The group with this id, as DescribeSecurityGroups shows it; undefined when there is none. */
  findGroup(groupId: string): SecurityGroup | undefined {
    const group = this.groups.get(groupId);
    return group ? copyGroup(group) : undefined;
  }

  /** The group a request names, or the EC2 error AWS answers. */
  group(ref: GroupRef): SecurityGroup {
    if (ref.groupId !== undefined && ref.groupId !== '') {
      if (!SECURITY_GROUP_ID.test(ref.groupId)) throw malformedGroupId(ref.groupId);
      const group = this.groups.get(ref.groupId);
      if (!group) throw groupIdNotFound(ref.groupId);
      return group;
    }
    if (ref.groupName !== undefined && ref.groupName !== '') {
      const group = [...this.groups.values()].find((g) => g.groupName === ref.groupName && g.vpcId === this.opts.vpcId);
      if (!group) {
        throw new Ec2Error('InvalidGroup.NotFound', `The security group '${ref.groupName}' does not exist in default VPC '${this.opts.vpcId}'`);
      }
      return group;
    }
    throw new Ec2Error('MissingParameter', 'Either groupId or groupName is required');
  }

  /**
   * AuthorizeSecurityGroupIngress: adds every rule the permissions describe, or none — a rule the group
   * already has is `InvalidPermission.Duplicate`. Returns the rules added.
   */
  authorizeIngress(ref: GroupRef, permissions: readonly PermissionInput[]): IngressRule[] {
    const group = this.group(ref);
    const wanted = this.rulesOf(permissions);
    for (const [i, rule] of wanted.entries()) {
      const earlier = wanted.slice(0, i);
      if (group.ingress.some((r) => sameRule(r, rule)) || earlier.some((r) => sameRule(r, rule))) {
        throw new Ec2Error('InvalidPermission.Duplicate', `the specified rule "${describeRule(rule)}" already exists`);
      }
    }
    const added = wanted.map((rule) => ({ ...rule, ruleId: this.newRuleId(group.groupId) }));
    group.ingress.push(...added);
    return added.map((r) => ({ ...r }));
  }

  /**
   * RevokeSecurityGroupIngress: removes the rules the permissions describe. When none of them exists the
   * call fails with `InvalidPermission.NotFound`; otherwise those the group did not have are returned as
   * `unknown` (the answer's `unknownIpPermissionSet`).
   */
  revokeIngress(ref: GroupRef, permissions: readonly PermissionInput[]): { revoked: IngressRule[]; unknown: Omit<IngressRule, 'ruleId'>[] } {
    const group = this.group(ref);
    const wanted = this.rulesOf(permissions);
    const revoked: IngressRule[] = [];
    const unknown: Omit<IngressRule, 'ruleId'>[] = [];
    for (const rule of wanted) {
      const existing = group.ingress.find((r) => sameRule(r, rule));
      if (existing) revoked.push(existing);
      else unknown.push(rule);
    }
    if (revoked.length === 0) {
      throw new Ec2Error('InvalidPermission.NotFound', 'The specified rule does not exist in this security group.');
    }
    group.ingress = group.ingress.filter((r) => !revoked.includes(r));
    return { revoked: revoked.map((r) => ({ ...r })), unknown };
  }

  /** Validates permissions and turns them into one rule per source. */
  private rulesOf(permissions: readonly PermissionInput[]): Omit<IngressRule, 'ruleId'>[] {
    if (permissions.length === 0) throw new Ec2Error('MissingParameter', 'The request must contain the parameter ipPermissions');
    return permissions.flatMap((p) => {
      const protocol = normalizeProtocol(p.protocol);
      const [fromPort, toPort] = portRange(protocol, p.fromPort, p.toPort);
      if (p.cidrs.length === 0 && p.groups.length === 0) {
        throw invalidParameterValue('The request must specify a source for the rule: a CIDR block or a security group');
      }
      const fromCidrs = p.cidrs.map(({ cidr, description }) => {
        if (!parseCidr(cidr)) throw invalidParameterValue(`Value (${cidr}) for parameter cidrIp is invalid. This is not a valid CIDR block.`);
        return { protocol, fromPort, toPort, source: { cidr }, ...(description === undefined ? {} : { description }) };
      });
      const fromGroups = p.groups.map(({ groupId, groupName, description }) => {
        const source = this.group({ ...(groupId === undefined ? {} : { groupId }), ...(groupName === undefined ? {} : { groupName }) });
        return { protocol, fromPort, toPort, source: { groupId: source.groupId }, ...(description === undefined ? {} : { description }) };
      });
      return [...fromCidrs, ...fromGroups];
    });
  }

  // -------------------------------------------------------------------------------------------------
  // The data plane's question

  /** The addresses of a group's members: its instances' private and public IPs, and its load balancers'. */
  membersOf(groupId: string): string[] {
    const fromInstances = this.instances()
      .filter((i) => i.securityGroups.some((g) => g.groupId === groupId))
      .flatMap((i) => [i.privateIpAddress, i.publicIpAddress].filter((a): a is string => a !== undefined));
    return [...fromInstances, ...(this.opts.loadBalancerAddresses?.(groupId) ?? [])];
  }

  /**
   * Whether the security groups of `instanceId` let a TCP connection to `port` from `sourceIp` in (a
   * `tcp` or all-traffic rule whose port range holds the port and whose CIDR, or group's members, holds
   * the address). False for an unknown instance. What the sandbox's data plane asks before it carries
   * a connection from the host to a node's node port; bound, so it can be handed over as it is.
   */
  readonly allowsIngress = (instanceId: string, port: number, sourceIp: string): boolean => {
    const instance = this.instances().find((i) => i.instanceId === instanceId);
    if (!instance) return false;
    const groups = instance.securityGroups.flatMap((g) => {
      const group = this.groups.get(g.groupId);
      return group ? [group] : [];
    });
    return groupsAllowTcp(groups, port, sourceIp, (groupId) => this.membersOf(groupId));
  };

  /**
   * Whether any of these groups (ids this store does not know count for nothing) lets a TCP connection
   * to `port` from `sourceIp` in: what the data plane asks before a load balancer's listener carries a
   * connection (the load balancer's security groups). Bound, like `allowsIngress`.
   */
  readonly groupsAllowIngress = (groupIds: readonly string[], port: number, sourceIp: string): boolean => {
    const groups = groupIds.flatMap((id) => {
      const group = this.groups.get(id);
      return group ? [group] : [];
    });
    return groupsAllowTcp(groups, port, sourceIp, (groupId) => this.membersOf(groupId));
  };
}

function copyGroup(g: SecurityGroup): SecurityGroup {
  return { ...g, tags: g.tags.map(([k, v]) => [k, v]), ingress: g.ingress.map((r) => ({ ...r })), egress: g.egress.map((r) => ({ ...r })) };
}

const PROTOCOL_NAMES: Record<string, string> = { tcp: 'tcp', '6': 'tcp', udp: 'udp', '17': 'udp', icmp: 'icmp', '1': 'icmp', icmpv6: 'icmpv6', '58': 'icmpv6', '-1': '-1', all: '-1' };

function normalizeProtocol(raw: string | undefined): string {
  if (raw === undefined || raw === '') throw new Ec2Error('MissingParameter', 'The request must contain the parameter ipProtocol');
  const lower = raw.toLowerCase();
  const known = Object.hasOwn(PROTOCOL_NAMES, lower) ? PROTOCOL_NAMES[lower] : undefined;
  if (known !== undefined) return known;
  if (/^\d{1,3}$/.test(lower) && Number(lower) <= 255) return String(Number(lower));
  throw invalidParameterValue(`Invalid value '${raw}' for IP protocol. Unknown protocol.`);
}

function portRange(protocol: string, from: string | undefined, to: string | undefined): [number, number] {
  const int = (name: string, value: string | undefined): number | undefined => {
    if (value === undefined || value === '') return undefined;
    if (!/^-?\d+$/.test(value)) throw invalidParameterValue(`Invalid value '${value}' for ${name}.`);
    return Number(value);
  };
  const fromPort = int('fromPort', from);
  const toPort = int('toPort', to);
  if (protocol === 'tcp' || protocol === 'udp') {
    if (fromPort === undefined || toPort === undefined) {
      throw invalidParameterValue('Invalid value for portRange. Must specify both from and to ports with TCP/UDP.');
    }
    if (fromPort < 0 || toPort > 65535 || fromPort > toPort) {
      throw invalidParameterValue(`Invalid TCP/UDP port range (${fromPort}-${toPort}): ports must be from 0 to 65535, from port first.`);
    }
    return [fromPort, toPort];
  }
  if (protocol === 'icmp' || protocol === 'icmpv6') return [fromPort ?? -1, toPort ?? -1];
  // All traffic, or a protocol without ports: AWS ignores any range given.
  return [-1, -1];
}

function sameRule(a: Omit<IngressRule, 'ruleId'>, b: Omit<IngressRule, 'ruleId'>): boolean {
  if (a.protocol !== b.protocol || a.fromPort !== b.fromPort || a.toPort !== b.toPort) return false;
  if ('cidr' in a.source && 'cidr' in b.source) return a.source.cidr === b.source.cidr;
  if ('groupId' in a.source && 'groupId' in b.source) return a.source.groupId === b.source.groupId;
  return false;
}

/** A rule as AWS words it in `InvalidPermission.Duplicate`: `peer: 127.0.0.1/32, TCP, from port: 30080, to port: 30080, ALLOW`. */
function describeRule(rule: Omit<IngressRule, 'ruleId'>): string {
  const peer = 'cidr' in rule.source ? rule.source.cidr : rule.source.groupId;
  const protocol = rule.protocol === '-1' ? 'ALL' : rule.protocol.toUpperCase();
  const ports = rule.fromPort === -1 && rule.toPort === -1 ? '' : `, from port: ${rule.fromPort}, to port: ${rule.toPort}`;
  return `peer: ${peer}, ${protocol}${ports}, ALLOW`;
}

function tagFilter(f: Filter, tags: readonly [string, string][]): boolean | undefined {
  if (f.name.startsWith('tag:')) {
    const key = f.name.slice(4);
    return tags.some(([k, v]) => k === key && filterMatches(f.values, v));
  }
  if (f.name === 'tag-key') return tags.some(([k]) => filterMatches(f.values, k));
  if (f.name === 'tag-value') return tags.some(([, v]) => filterMatches(f.values, v));
  return undefined;
}

function filterMatchesInstance(f: Filter, i: Instance): boolean {
  const byTag = tagFilter(f, i.tags);
  if (byTag !== undefined) return byTag;
  const one = (value: string | undefined) => filterMatches(f.values, value);
  switch (f.name) {
    case 'instance-id':
      return one(i.instanceId);
    case 'instance-state-name':
      return one(i.state.name);
    case 'instance-state-code':
      return one(String(i.state.code));
    case 'private-ip-address':
      return one(i.privateIpAddress);
    case 'ip-address':
      return one(i.publicIpAddress);
    case 'private-dns-name':
      return one(i.privateDnsName);
    case 'instance-type':
      return one(i.instanceType);
    case 'availability-zone':
      return one(i.availabilityZone);
    case 'vpc-id':
      return one(i.vpcId);
    case 'subnet-id':
      return one(i.subnetId);
    case 'reservation-id':
      return one(i.reservationId);
    case 'image-id':
      return one(i.imageId);
    case 'instance.group-id':
      return i.securityGroups.some((g) => one(g.groupId));
    case 'instance.group-name':
      return i.securityGroups.some((g) => one(g.groupName));
    default:
      throw invalidFilter(f.name);
  }
}

function filterMatchesGroup(f: Filter, g: SecurityGroup): boolean {
  const byTag = tagFilter(f, g.tags);
  if (byTag !== undefined) return byTag;
  const one = (value: string) => filterMatches(f.values, value);
  switch (f.name) {
    case 'group-id':
      return one(g.groupId);
    case 'group-name':
      return one(g.groupName);
    case 'vpc-id':
      return one(g.vpcId);
    case 'description':
      return one(g.description);
    case 'owner-id':
      return one(g.ownerId);
    default:
      throw invalidFilter(f.name);
  }
}

/**
 * Whether a Service's node ports can be reached from outside the VPC: the nodes' EC2 instances (from their
 * `spec.providerID`), their security groups and the inbound rules that match each node port. Pure: the
 * groups come through the NodeSecurityGroups port; what svcbot cannot tell is an answer too, in words.
 */
import type { Protocol } from './command.js';

/** One inbound rule of a security group, as EC2 describes it (`IpPermissions`). */
export interface IngressRuleView {
  /** `tcp`, `udp`, `icmp`, `-1` (every protocol), or a protocol number (`6` is tcp). */
  protocol: string;
  /** Absent (or -1) with protocol `-1`: every port. */
  fromPort?: number;
  toPort?: number;
  /** IPv4 and IPv6 source ranges (`IpRanges[].CidrIp`, `Ipv6Ranges[].CidrIpv6`). */
  cidrs: string[];
  /** Source security groups (`UserIdGroupPairs[].GroupId`). */
  groups: string[];
}

export interface SecurityGroupView {
  groupId: string;
  groupName?: string;
  ingress: IngressRuleView[];
  /** Its tags (`kubernetes.io/cluster/NAME`: the cluster's own group), when read. */
  tags?: Record<string, string>;
}

/** The instances' security groups (ids per instance) and the groups' inbound rules. */
export interface InstanceSecurityGroups {
  instances: { instanceId: string; groupIds: string[] }[];
  groups: SecurityGroupView[];
}

export interface GroupRef {
  groupId: string;
  groupName?: string;
}

/** One node port's verdict. `open`: some rule lets addresses in (which, in which group). */
export type NodePortVerdict =
  | { kind: 'open'; port: number; protocol: Protocol; openings: (GroupRef & { cidrs: string[] })[] }
  /** No rule lets any address range in; `fromGroups`: the groups whose members (inside the VPC) it lets in. */
  | { kind: 'closed'; port: number; protocol: Protocol; groups: GroupRef[]; fromGroups: string[] };

export type UnknownReason =
  /** svcbot has no EC2 access configured for the cluster (no region, or no client). */
  | 'no-ec2'
  /** EC2 refused: AccessDenied / UnauthorizedOperation. */
  | 'denied'
  /** EC2 did not answer in time. */
  | 'timeout'
  /** No Ready node to ask about. */
  | 'no-nodes'
  /** A node has no `aws:///ZONE/i-…` providerID. */
  | 'no-provider-id'
  /** The nodes' instances are not known to EC2 (another account or region?). */
  | 'no-instances'
  /** Any other failure (its words in `detail`). */
  | 'error';

export interface PortRef {
  port: number;
  protocol: Protocol;
}

export type NodePortAccess =
  | { kind: 'known'; ports: NodePortVerdict[] }
  | { kind: 'unknown'; ports: PortRef[]; reason: UnknownReason; detail?: string };

/** The instance id in an AWS providerID (`aws:///us-east-1a/i-0abc…`, or the older `aws:////i-…`), else undefined. */
export function instanceIdOf(providerID: string | undefined): string | undefined {
  const m = /^aws:\/\/\/[^/]*\/(i-[0-9a-f]+)$/.exec(providerID ?? '');
  return m?.[1];
}

const PROTOCOL_NUMBERS: Record<string, string> = { '6': 'tcp', '17': 'udp', '132': 'sctp' };

/** Whether a rule lets `protocol` traffic to `port` in. */
export function ruleMatches(rule: Pick<IngressRuleView, 'protocol' | 'fromPort' | 'toPort'>, port: number, protocol: Protocol): boolean {
  const ruleProtocol = (PROTOCOL_NUMBERS[rule.protocol] ?? rule.protocol).toLowerCase();
  if (ruleProtocol === '-1' || ruleProtocol === 'all') return true;
  if (ruleProtocol !== protocol.toLowerCase()) return false;
  const from = rule.fromPort ?? -1;
  const to = rule.toPort ?? -1;
  if (from === -1 && to === -1) return true;
  return from <= port && port <= to;
}

function refOf(group: SecurityGroupView): GroupRef {
  return group.groupName === undefined ? { groupId: group.groupId } : { groupId: group.groupId, groupName: group.groupName };
}

/** Each node port's verdict over the nodes' groups (a port is open when any group of the nodes opens it). */
export function nodePortVerdicts(groups: readonly SecurityGroupView[], ports: readonly { port: number; protocol: Protocol }[]): NodePortVerdict[] {
  return ports.map(({ port, protocol }) => {
    const openings: (GroupRef & { cidrs: string[] })[] = [];
    const fromGroups = new Set<string>();
    for (const group of groups) {
      const matching = group.ingress.filter((r) => ruleMatches(r, port, protocol));
      const cidrs = [...new Set(matching.flatMap((r) => r.cidrs))];
      for (const g of matching.flatMap((r) => r.groups)) fromGroups.add(g);
      if (cidrs.length > 0) openings.push({ ...refOf(group), cidrs });
    }
    return openings.length > 0
      ? { kind: 'open', port, protocol, openings }
      : { kind: 'closed', port, protocol, groups: groups.map(refOf), fromGroups: [...fromGroups] };
  });
}

/** What of a node (views.ts's NodeView) tells its instance. */
interface NodeInstanceRef {
  ready: boolean;
  /** `spec.providerID`. */
  providerID?: string;
}

/** The reader of the nodes' security groups: the NodeSecurityGroups port, as the domain needs it. */
export interface SecurityGroupReader {
  groupsOfInstances(instanceIds: readonly string[]): Promise<InstanceSecurityGroups>;
}

/** What the reader's failure says: the port's adapter marks refusals with code `forbidden`. */
function reasonOf(err: unknown): { reason: UnknownReason; detail?: string } {
  const code = (err as { code?: unknown })?.code;
  if (code === 'forbidden') return { reason: 'denied' };
  const message = (err as { userMessage?: unknown; message?: unknown })?.userMessage ?? (err as { message?: unknown })?.message;
  return typeof message === 'string' ? { reason: 'error', detail: message } : { reason: 'error' };
}

/**
 * Whether the node ports `ports` of the Ready `nodes` are open, asked within `timeoutMs`: never throws —
 * what cannot be told is an `unknown` answer, so the command it is part of still succeeds.
 */
export async function checkNodePortAccess(
  reader: SecurityGroupReader | undefined,
  nodes: readonly NodeInstanceRef[],
  ports: readonly PortRef[],
  timeoutMs: number,
): Promise<NodePortAccess> {
  const unknown = (reason: UnknownReason, detail?: string): NodePortAccess => ({ kind: 'unknown', ports: [...ports], reason, ...(detail === undefined ? {} : { detail }) });
  if (!reader) return unknown('no-ec2');
  const ready = nodes.filter((n) => n.ready);
  const ids = ready.map((n) => instanceIdOf(n.providerID));
  const instanceIds = [...new Set(ids.filter((id): id is string => id !== undefined))];
  if (ids.length === 0) return unknown('no-nodes');
  if (instanceIds.length === 0 || ids.some((id) => id === undefined)) return unknown('no-provider-id');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  try {
    const answer = await Promise.race([reader.groupsOfInstances(instanceIds), timeout]);
    if (answer === 'timeout') return unknown('timeout');
    const groupIds = new Set(answer.instances.flatMap((i) => i.groupIds));
    if (answer.instances.length === 0) return unknown('no-instances');
    return { kind: 'known', ports: nodePortVerdicts(answer.groups.filter((g) => groupIds.has(g.groupId)), ports) };
  } catch (err) {
    const { reason, detail } = reasonOf(err);
    return unknown(reason, detail);
  } finally {
    clearTimeout(timer);
  }
}

/** The node ports of a Service view's ports (those allocated). */
export function nodePortsOf(ports: readonly { nodePort?: number; protocol: Protocol }[]): { port: number; protocol: Protocol }[] {
  return ports.flatMap((p) => (p.nodePort === undefined ? [] : [{ port: p.nodePort, protocol: p.protocol }]));
}

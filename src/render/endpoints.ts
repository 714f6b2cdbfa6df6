/** Words for a `Reachability`: which addresses work from where, and what to know about them. */
import { NODE_PORT_RANGE, type PortRef, type Reachability, type ReachabilityNote, type ReachableEndpoint } from '../domain/endpoints.js';
import { codeList, context, section, type Block } from './blocks.js';
import { code, escapeMrkdwn, moreLine, plural } from './mrkdwn.js';
import type { GroupRef, NodePortAccess, NodePortVerdict, PortRef as AccessPortRef, UnknownReason } from '../domain/node-port-access.js';

/** How many node addresses one node-port line lists before "… and N more nodes". */
const NODES_PER_LINE = 5;

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function protocolSuffix(e: Pick<ReachableEndpoint, 'protocol'>): string {
  return e.protocol === 'TCP' ? '' : `/${e.protocol}`;
}

function portLabel(e: Pick<ReachableEndpoint, 'servicePort' | 'portName' | 'protocol'>): string {
  const name = e.portName ? ` (${code(e.portName)})` : '';
  return `port ${e.servicePort}/${e.protocol}${name}`;
}

function portRefs(ports: readonly PortRef[]): string {
  return ports.map((p) => `${p.protocol} ${p.port}`).join(', ');
}

/** One note, as a mrkdwn sentence (escaped). */
function noteText(note: ReachabilityNote): string {
  switch (note.kind) {
    case 'cluster-only':
      return 'Reachable from inside the cluster only (type ClusterIP); change its type to NodePort or LoadBalancer to reach it from outside.';
    case 'headless':
      return 'Headless Service (cluster IP `None`): its DNS name resolves straight to the ready pods\u2019 IPs, so connect to the container port; there is no virtual IP.';
    case 'cluster-ip-pending':
      return 'No cluster IP allocated yet.';
    case 'external-name':
      return `ExternalName Service: its DNS name is an alias (CNAME) for ${code(note.externalName)}.`;
    case 'security-group':
      return (
        `The nodes\u2019 security group must allow inbound ${escapeMrkdwn(portRefs(note.ports))} from your clients ` +
        `(node ports come from the ${NODE_PORT_RANGE.min}\u2013${NODE_PORT_RANGE.max} range).`
      );
    case 'internal-ip-only':
      return `${plural(note.nodes.length, 'node')} without an external IP (${codeList(note.nodes.slice(0, NODES_PER_LINE))}${note.nodes.length > NODES_PER_LINE ? ' …' : ''}): reachable from inside the VPC only.`;
    case 'nodes-not-ready':
      return `Left out, not Ready: ${codeList(note.nodes.slice(0, NODES_PER_LINE))}${note.nodes.length > NODES_PER_LINE ? ` ${moreLine(note.nodes.length - NODES_PER_LINE)}` : ''}.`;
    case 'no-node-addresses':
      return 'No Ready node with an address was found, so there is no node address to give.';
    case 'node-ports-pending':
      return 'Node ports are not allocated yet.';
    case 'load-balancer-provisioning':
      return 'The load balancer is being provisioned; its hostname shows up once AWS has created it (and its DNS name can take a few minutes more to resolve).';
    case 'load-balancer-unsupported-protocol':
      return `${escapeMrkdwn(portRefs(note.ports))}: not reachable through the load balancer (a classic ELB forwards TCP only).`;
    case 'no-ports':
      return 'The Service has no ports.';
    case 'deleting':
      return ':hourglass: The Service is being deleted; these addresses are going away.';
  }
}

function groupText(g: GroupRef): string {
  return g.groupName === undefined ? g.groupId : `${g.groupId} (${g.groupName})`;
}

function nodePortName(p: AccessPortRef): string {
  return p.protocol === 'TCP' ? `node port ${p.port}` : `node port ${p.port}/${p.protocol}`;
}

const UNKNOWN_WHY: Record<Exclude<UnknownReason, 'error'>, string> = {
  'no-ec2': 'svcbot has no EC2 access for this cluster',
  denied: 'EC2 refused svcbot: its IAM policy needs ec2:DescribeInstances and ec2:DescribeSecurityGroups',
  timeout: 'EC2 did not answer in time',
  'no-nodes': 'there is no Ready node to ask about',
  'no-provider-id': 'not every node has an AWS providerID (aws:///ZONE/i-…) naming its instance',
  'no-instances': 'EC2 does not know the nodes\u2019 instances',
};

function verdictText(v: NodePortVerdict): string {
  if (v.kind === 'open') {
    const where = v.openings.map((o) => `${o.cidrs.join(', ')} in ${groupText(o)}`).join('; to ');
    return `${nodePortName(v)}: open to ${where}`;
  }
  const groups = v.groups.length === 1 ? `the nodes\u2019 security group ${groupText(v.groups[0]!)}` : `the nodes\u2019 security groups ${v.groups.map(groupText).join(', ')}`;
  const inside = v.fromGroups.length === 0 ? '' : ` (let in from ${v.fromGroups.length === 1 ? 'group' : 'groups'} ${v.fromGroups.join(', ')})`;
  return `${nodePortName(v)}: closed by ${groups}: reachable only inside the VPC${inside}`;
}

/**
 * Bulleted mrkdwn lines, one per node port: open to which source ranges in which group(s), closed, or
 * why svcbot cannot tell (escaped: group names are anyone's text).
 */
export function nodePortAccessLines(access: NodePortAccess | undefined): string[] {
  if (!access) return [];
  if (access.kind === 'known') return access.ports.map((v) => `• ${escapeMrkdwn(verdictText(v))}`);
  const why = access.reason === 'error' ? (access.detail ?? 'EC2 answered with an error') : UNKNOWN_WHY[access.reason];
  return access.ports.map((p) => `• ${escapeMrkdwn(`${nodePortName(p)}: svcbot cannot tell whether the nodes\u2019 security groups let it in (${why})`)}`);
}

/** Bulleted mrkdwn lines for the addresses reachable from outside the cluster. */
function outsideLines(r: Reachability): string[] {
  const lines: string[] = [];
  for (const e of r.endpoints) {
    if (e.kind !== 'load-balancer') continue;
    const address = code(hostPort(e.host, e.port) + protocolSuffix(e));
    lines.push(e.url ? `• ${escapeMrkdwn(e.url)}  (${address})` : `• ${address}`);
  }
  // Node ports: one line per Service port, listing a few nodes.
  const byPort = new Map<string, ReachableEndpoint[]>();
  for (const e of r.endpoints) {
    if (e.kind !== 'node-port') continue;
    const key = `${e.servicePort}/${e.protocol}/${e.port}`;
    byPort.set(key, [...(byPort.get(key) ?? []), e]);
  }
  for (const group of byPort.values()) {
    const first = group[0];
    if (!first) continue;
    const shown = group.slice(0, NODES_PER_LINE).map((e) => code(hostPort(e.host, e.port)));
    const more = group.length > NODES_PER_LINE ? ` ${moreLine(group.length - NODES_PER_LINE, 'more nodes')}` : '';
    lines.push(`• ${portLabel(first)} \u2192 node port ${first.port}: ${shown.join(', ')}${more}`);
  }
  return lines;
}

/** Bulleted mrkdwn lines for the cluster-internal addresses, one per Service port. */
function insideLines(r: Reachability): string[] {
  const byPort = new Map<string, ReachableEndpoint[]>();
  for (const e of r.endpoints) {
    if (e.from !== 'cluster') continue;
    const key = `${e.servicePort}/${e.protocol}`;
    byPort.set(key, [...(byPort.get(key) ?? []), e]);
  }
  return [...byPort.values()].map((group) => `• ${group.map((e) => code(hostPort(e.host, e.port) + protocolSuffix(e))).join('  \u00b7  ')}`);
}

/** The notes worth showing: the security-group reminder only while some node port is not known to be open. */
function notesOf(r: Reachability, access: NodePortAccess | undefined): ReachabilityNote[] {
  const allOpen = access?.kind === 'known' && access.ports.every((p) => p.kind === 'open');
  return allOpen ? r.notes.filter((n) => n.kind !== 'security-group') : r.notes;
}

/** Sections (outside, inside) and a context of notes; `access`: the node ports' security-group verdicts. */
export function reachabilityBlocks(r: Reachability, access?: NodePortAccess): Block[] {
  const blocks: Block[] = [];
  const outside = [...outsideLines(r), ...nodePortAccessLines(access)];
  const inside = insideLines(r);
  if (outside.length > 0) blocks.push(section(['*Reachable from outside the cluster*', ...outside]));
  if (inside.length > 0) blocks.push(section(['*From inside the cluster*', ...inside]));
  const notes = notesOf(r, access);
  if (notes.length > 0) blocks.push(context(...notes.map(noteText)));
  return blocks;
}

/** Fallback-text lines: the addresses and the notes, readable without the blocks. */
export function reachabilityText(r: Reachability, access?: NodePortAccess): string[] {
  const outside = [...outsideLines(r), ...nodePortAccessLines(access)];
  const inside = insideLines(r);
  return [
    ...(outside.length > 0 ? ['From outside the cluster:', ...outside] : []),
    ...(inside.length > 0 ? ['From inside the cluster:', ...inside] : []),
    ...notesOf(r, access).map(noteText),
  ];
}

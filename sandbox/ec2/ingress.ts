/**
 * Security group ingress rules and what they let in, as the VPC documentation describes them
 * ("Security group rules"): a rule names a protocol (`tcp`, `udp`, `icmp`, a protocol number, or `-1`
 * for all traffic), a port range (meaningless for `-1`) and one source — an IPv4 CIDR block or another
 * security group, whose members' addresses are the source. Rules only allow; a packet is let in when
 * any rule of any of the instance's groups allows it. Pure functions over plain data: the sandbox's
 * data plane asks `allowsIngress` before it carries a connection to a node.
 */

/** One ingress rule (a `sgr-` rule id, as `DescribeSecurityGroupRules` shows each one). */
export interface IngressRule {
  ruleId: string;
  /** `tcp`, `udp`, `icmp`, `icmpv6`, `-1` (all traffic) or another protocol number. */
  protocol: string;
  /** The port range; both -1 when the protocol has none (all traffic, or a protocol without ports). */
  fromPort: number;
  toPort: number;
  source: { cidr: string } | { groupId: string };
  description?: string;
}

/** A dotted IPv4 address as a 32-bit unsigned number; undefined when it is not one. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

/** `a.b.c.d/n` (0 ≤ n ≤ 32); undefined when malformed. */
export function parseCidr(cidr: string): { base: number; bits: number } | undefined {
  const match = /^([^/]+)\/(\d{1,2})$/.exec(cidr);
  if (!match) return undefined;
  const base = parseIpv4(match[1] ?? '');
  const bits = Number(match[2]);
  if (base === undefined || bits > 32) return undefined;
  return { base, bits };
}

/** Whether IPv4 `ip` lies in `cidr` (host bits of the CIDR's address are ignored, as AWS ignores them). */
export function cidrContains(cidr: string, ip: string): boolean {
  const block = parseCidr(cidr);
  const address = parseIpv4(ip);
  if (!block || address === undefined) return false;
  if (block.bits === 0) return true;
  const shift = 32 - block.bits;
  return Math.floor(address / 2 ** shift) === Math.floor(block.base / 2 ** shift);
}

/** Whether the rule lets a TCP connection to `port` from `sourceIp` in. */
function ruleAllowsTcp(
  rule: IngressRule,
  port: number,
  sourceIp: string,
  membersOf: (groupId: string) => readonly string[],
): boolean {
  if (rule.protocol !== 'tcp' && rule.protocol !== '-1') return false;
  if (rule.protocol === 'tcp' && (port < rule.fromPort || port > rule.toPort)) return false;
  return 'cidr' in rule.source ? cidrContains(rule.source.cidr, sourceIp) : membersOf(rule.source.groupId).includes(sourceIp);
}

/**
 * Whether any rule of `groups` lets a TCP connection to `port` from `sourceIp` in; `membersOf` names
 * the addresses of a group's members (for rules whose source is a group).
 */
export function groupsAllowTcp(
  groups: readonly { ingress: readonly IngressRule[] }[],
  port: number,
  sourceIp: string,
  membersOf: (groupId: string) => readonly string[],
): boolean {
  if (!Number.isInteger(port) || port < 0 || port > 65535) return false;
  return groups.some((g) => g.ingress.some((rule) => ruleAllowsTcp(rule, port, sourceIp, membersOf)));
}

/**
 * The values of `/svc allow`: a source CIDR (IPv4 or IPv6, in the network form EC2 stores, written the
 * way EC2 writes it back: lowercase, IPv6 compressed) and how long the opening lasts (`30m`, `2h`, `1d`).
 * Pure; a bad value is a GrammarProblem with the fix when there is one.
 */
import { GrammarProblem, quote, slackNote } from './problem.js';

export interface Cidr {
  /** The network as EC2 writes it: `203.0.113.0/24`, `2001:db8::/32`. */
  text: string;
  family: 4 | 6;
  prefix: number;
}

function ipv4Bytes(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = parts.map((p) => (/^(0|[1-9]\d{0,2})$/.test(p) ? Number(p) : Number.NaN));
  return bytes.every((b) => b >= 0 && b <= 255) ? bytes : undefined;
}

/** The 16 bytes of an IPv6 address (`::` and an embedded IPv4 tail allowed), or undefined. */
function ipv6Bytes(text: string): number[] | undefined {
  if (!/^[0-9a-f:.]+$/i.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const words = part.split(':');
    for (const [i, word] of words.entries()) {
      if (i === words.length - 1 && word.includes('.')) {
        const v4 = ipv4Bytes(word);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-f]{1,4}$/i.test(word)) {
        out.push(parseInt(word, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

/** IPv6 as RFC 5952 writes it: lowercase, no leading zeros, the longest run of two or more zero groups as `::`. */
function ipv6Text(bytes: readonly number[]): string {
  const groups = Array.from({ length: 8 }, (_, i) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.len < 2) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`;
}

/** The bytes with every bit past `prefix` cleared. */
function network(bytes: readonly number[], prefix: number): number[] {
  return bytes.map((b, i) => {
    const keep = Math.max(0, Math.min(8, prefix - 8 * i));
    return b & ((0xff << (8 - keep)) & 0xff);
  });
}

/**
 * A source range: `203.0.113.0/24`, `198.51.100.7/32`, `2001:db8::/32`. A single address without `/N`
 * is refused with the /32 (/128) form suggested: svcbot does not guess how wide an opening should be.
 * Host bits set (`10.1.2.3/16`) are refused with the network form suggested: EC2 would store the network,
 * wider than what was written.
 */
export function parseCidr(value: string): Cidr {
  const slash = value.indexOf('/');
  const address = slash === -1 ? value : value.slice(0, slash);
  const prefixText = slash === -1 ? undefined : value.slice(slash + 1);
  const v4 = ipv4Bytes(address);
  const bytes = v4 ?? ipv6Bytes(address);
  if (!bytes) {
    throw new GrammarProblem(
      `${quote(value)}${slackNote(value)} is not an IPv4 or IPv6 range: write it as ADDRESS/PREFIX, e.g. 203.0.113.0/24, 198.51.100.7/32 or 2001:db8::/32`,
    );
  }
  const family = v4 ? 4 : 6;
  const bits = family === 4 ? 32 : 128;
  const text = (b: readonly number[]) => (family === 4 ? b.join('.') : ipv6Text(b));
  if (prefixText === undefined) {
    throw new GrammarProblem(`${quote(value)} is one address: say how wide the range is (/${bits} for that address alone)`, `--from ${text(bytes)}/${bits}`);
  }
  if (!/^(0|[1-9]\d{0,2})$/.test(prefixText) || Number(prefixText) > bits) {
    throw new GrammarProblem(`${quote(value)} has no valid prefix length: an IPv${family} range ends in /0 to /${bits}`);
  }
  const prefix = Number(prefixText);
  const net = network(bytes, prefix);
  if (net.some((b, i) => b !== bytes[i])) {
    const fixed = `${text(net)}/${prefix}`;
    throw new GrammarProblem(
      `${quote(value)} has host bits set: the /${prefix} network it lies in is ${fixed} (for that one address, use /${bits})`,
      `--from ${fixed}`,
    );
  }
  return { text: `${text(net)}/${prefix}`, family, prefix };
}

/**
 * Whether the range `cidr` (as EC2 writes it) holds `address` (an IPv4-mapped IPv6 address counts as its
 * IPv4 one); undefined when either does not parse or they are of different families.
 */
export function cidrHolds(cidr: string, address: string): boolean | undefined {
  const [base = '', prefixText = ''] = cidr.split('/');
  const range = ipv4Bytes(base) ?? ipv6Bytes(base);
  const plain = address.replace(/^::ffff:(?=\d+\.)/i, '');
  const host = ipv4Bytes(plain) ?? ipv6Bytes(plain);
  const prefix = Number(prefixText);
  if (!range || !host || range.length !== host.length || !/^\d{1,3}$/.test(prefixText) || prefix > 8 * range.length) return undefined;
  const a = network(range, prefix);
  const b = network(host, prefix);
  return a.every((byte, i) => byte === b[i]);
}

/** Whether a range lets every address in (`0.0.0.0/0`, `::/0`). */
export function isWorldOpen(cidr: Pick<Cidr, 'prefix'>): boolean {
  return cidr.prefix === 0;
}

const GRANT_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 24 * 3_600_000 };

/** The longest `--for` the grammar takes at all (the policy's `policy.allow.maxDuration` bounds it further). */
const MAX_GRANT_DURATION_MS = 7 * 24 * 3_600_000;

/** `--for`: `30m`, `2h`, `1h30m`, `1d`, `45s` -> ms. Bounds other than "more than nothing, at most a week" are the policy's. */
export function parseGrantDuration(value: string): number {
  const text = value.trim().toLowerCase();
  const parts = [...text.matchAll(/(\d{1,6})\s*(d|h|m|s)/g)];
  const joined = parts.map((p) => p[0]).join('');
  if (parts.length === 0 || joined.replace(/\s/g, '') !== text.replace(/\s/g, '')) {
    throw new GrammarProblem(
      `${quote(value)} is not a duration: write it like 30m, 2h, 1h30m or 1d`,
      /^\d+$/.test(text) ? `--for ${text}m` : undefined,
    );
  }
  const ms = parts.reduce((sum, p) => sum + Number(p[1]) * (GRANT_UNITS[p[2]!] ?? 0), 0);
  if (ms <= 0) throw new GrammarProblem(`--for ${quote(value)} is no time at all: give how long the opening lasts, e.g. 2h`);
  if (ms > MAX_GRANT_DURATION_MS) throw new GrammarProblem(`--for ${quote(value)} is more than a week: svcbot opens ports for at most 7d`);
  return ms;
}

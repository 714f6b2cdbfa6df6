/**
 * A small authoritative DNS server over UDP for the sandbox: it answers A queries for the names a
 * `DnsAnswerSource` knows (the ELB DNS names) once they are visible, like Route 53 does for a new
 * load balancer a little while after CreateLoadBalancer returns.
 *
 * Answers, as an authoritative-only server: QR and AA set, RD echoed, RA clear (no recursion here).
 * - A (or ANY) for a known, visible name: NOERROR with its addresses, TTL `ttl` (60 s by default);
 * - other types for a known, visible name: NOERROR with no answers (NODATA);
 * - unknown names, or names not visible yet: NXDOMAIN with empty answer and authority sections;
 * - classes other than IN: REFUSED; opcodes other than QUERY: NOTIMP;
 * - packets that do not parse, or that do not hold exactly one question: FORMERR.
 */
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import dnsPacket from 'dns-packet';
import type { ElbStore } from '../elb/store.js';

export interface DnsAnswerSource {
  lookup(name: string): { addresses: string[]; visibleAt: number } | undefined;
}

export interface DnsServerOptions {
  /** UDP port; 0 (the default) picks a free one. */
  port?: number;
  /** Address to bind; 127.0.0.1 by default. */
  host?: string;
  /** Clock in epoch ms; defaults to `Date.now`. */
  now?: () => number;
  /** TTL of A records, in seconds; 60 by default. */
  ttl?: number;
}

export interface DnsServer {
  host: string;
  port: number;
  close(): Promise<void>;
}

const RCODE = { NOERROR: 0, FORMERR: 1, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const QR = 1 << 15;
const OPCODE_MASK = 0xf << 11;
const EDNS_UDP_PAYLOAD = 1232;

export async function startDnsServer(source: DnsAnswerSource, opts: DnsServerOptions = {}): Promise<DnsServer> {
  const host = opts.host ?? '127.0.0.1';
  const now = opts.now ?? Date.now;
  const ttl = opts.ttl ?? 60;
  const socket = dgram.createSocket(isIPv6(host) ? 'udp6' : 'udp4');

  socket.on('message', (msg, rinfo) => {
    const reply = answer(msg, source, now(), ttl);
    if (reply) socket.send(reply, rinfo.port, rinfo.address);
  });
  // A UDP send failure concerns one client; the server keeps serving the others.
  socket.on('error', () => undefined);

  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(opts.port ?? 0, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const address = socket.address();
  let closed: Promise<void> | undefined;
  return {
    host: address.address,
    port: address.port,
    close() {
      closed ??= new Promise<void>((resolve) => socket.close(() => resolve()));
      return closed;
    },
  };
}

/**
 * The response to one datagram, or undefined when it deserves none (shorter than a DNS header, or
 * itself a response).
 */
function answer(msg: Buffer, source: DnsAnswerSource, now: number, ttl: number): Buffer | undefined {
  if (msg.length < 12) return undefined;
  const rawFlags = msg.readUInt16BE(2);
  if (rawFlags & QR) return undefined;
  const id = msg.readUInt16BE(0);
  const opcodeBits = rawFlags & OPCODE_MASK;
  const rd = rawFlags & dnsPacket.RECURSION_DESIRED;
  const headerOnly = (rcode: number): Buffer =>
    dnsPacket.encode({ type: 'response', id, flags: opcodeBits | rd | rcode });

  let query: dnsPacket.DecodedPacket;
  try {
    query = dnsPacket.decode(msg);
  } catch {
    return headerOnly(RCODE.FORMERR);
  }
  if (opcodeBits !== 0) return headerOnly(RCODE.NOTIMP);
  const questions = query.questions ?? [];
  const question = questions[0];
  if (questions.length !== 1 || !question) return headerOnly(RCODE.FORMERR);

  const flags = dnsPacket.AUTHORITATIVE_ANSWER | rd;
  const edns = (query.additionals ?? []).some((rr) => rr.type === 'OPT');
  const additionals: dnsPacket.Answer[] = edns
    ? [{ type: 'OPT', name: '.', udpPayloadSize: EDNS_UDP_PAYLOAD, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }]
    : [];
  const reply = (rcode: number, answers: dnsPacket.Answer[]): Buffer =>
    dnsPacket.encode({ type: 'response', id, flags: flags | rcode, questions: [question], answers, additionals });

  const qclass = question.class ?? 'IN';
  if (qclass !== 'IN' && qclass !== 'ANY') return reply(RCODE.REFUSED, []);
  const found = source.lookup(question.name);
  if (!found || now < found.visibleAt) return reply(RCODE.NXDOMAIN, []);
  if (question.type !== 'A' && (question.type as string) !== 'ANY') return reply(RCODE.NOERROR, []);
  return reply(
    RCODE.NOERROR,
    found.addresses.map((address) => ({ type: 'A', class: 'IN', name: question.name, ttl, data: address })),
  );
}

/** What the DNS server needs of a load balancer store: `ElbStore` (classic) and `ElbV2Store` both fit. */
interface LoadBalancerDnsIndex {
  findByDnsName(host: string): { addresses: string[]; dnsVisibleAt: number } | undefined;
}

/**
 * Resolves the DNS names of the load balancers of an `ElbStore` and of any further stores (the
 * sandbox passes its `ElbV2Store`), also with the `dualstack.` prefix AWS publishes, visible from
 * their `dnsVisibleAt`.
 */
export function elbDnsSource(store: ElbStore, ...more: LoadBalancerDnsIndex[]): DnsAnswerSource {
  const stores: LoadBalancerDnsIndex[] = [store, ...more];
  const find = (host: string) => {
    for (const s of stores) {
      const lb = s.findByDnsName(host);
      if (lb) return lb;
    }
    return undefined;
  };
  return {
    lookup(name) {
      const host = name.toLowerCase().replace(/\.$/, '');
      const lb = find(host) ?? (host.startsWith('dualstack.') ? find(host.slice(10)) : undefined);
      return lb ? { addresses: lb.addresses, visibleAt: lb.dnsVisibleAt } : undefined;
    },
  };
}

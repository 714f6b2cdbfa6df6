import dgram from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import dnsPacket from 'dns-packet';
import { type DnsAnswerSource, type DnsServer, elbDnsSource, startDnsServer } from '../../../sandbox/dns/server.js';
import { ElbStore } from '../../../sandbox/elb/store.js';
import { ElbV2Store } from '../../../sandbox/elb/v2store.js';

const NAME = 'web-1234567890.us-east-1.elb.amazonaws.com';

function resolverFor(server: DnsServer): Resolver {
  const resolver = new Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([`${server.host}:${server.port}`]);
  return resolver;
}

async function errorCode(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code;
  }
  throw new Error('expected the lookup to fail');
}

/** Sends one raw datagram and waits for the reply. */
async function exchange(server: DnsServer, packet: Buffer): Promise<Buffer> {
  const socket = dgram.createSocket('udp4');
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no DNS reply within 2 s')), 2000);
      socket.once('message', (msg) => {
        clearTimeout(timer);
        resolve(msg);
      });
      socket.once('error', reject);
      socket.send(packet, server.port, server.host);
    });
  } finally {
    socket.close();
  }
}

describe('sandbox DNS server through node:dns', () => {
  const clock = { t: 1_000_000 };
  const source: DnsAnswerSource = {
    lookup: (name) =>
      name.toLowerCase() === NAME ? { addresses: ['127.10.20.30', '127.10.20.31'], visibleAt: 1_005_000 } : undefined,
  };
  let server: DnsServer;
  beforeAll(async () => {
    server = await startDnsServer(source, { now: () => clock.t });
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers NXDOMAIN (ENOTFOUND) before the name is visible, then its addresses', async () => {
    const resolver = resolverFor(server);
    clock.t = 1_004_999;
    expect(await errorCode(resolver.resolve4(NAME))).toBe('ENOTFOUND');
    clock.t = 1_005_000;
    expect(await resolver.resolve4(NAME, { ttl: true })).toEqual([
      { address: '127.10.20.30', ttl: 60 },
      { address: '127.10.20.31', ttl: 60 },
    ]);
    expect((await resolver.resolve4(NAME.toUpperCase() + '.')).sort()).toEqual(['127.10.20.30', '127.10.20.31']);
  });

  it('answers NXDOMAIN for unknown names', async () => {
    const resolver = resolverFor(server);
    expect(await errorCode(resolver.resolve4('nope-1.us-east-1.elb.amazonaws.com'))).toBe('ENOTFOUND');
    expect(await errorCode(resolver.resolve6('nope-1.us-east-1.elb.amazonaws.com'))).toBe('ENOTFOUND');
  });

  it('answers no data (ENODATA) for other record types of a known name', async () => {
    const resolver = resolverFor(server);
    clock.t = 1_005_000;
    expect(await errorCode(resolver.resolve6(NAME))).toBe('ENODATA');
    expect(await errorCode(resolver.resolveTxt(NAME))).toBe('ENODATA');
    expect(await errorCode(resolver.resolveMx(NAME))).toBe('ENODATA');
  });

  it('sets QR and AA, echoes id, question and RD, leaves RA clear', async () => {
    clock.t = 1_005_000;
    for (const rd of [true, false]) {
      const query = dnsPacket.encode({
        type: 'query',
        id: 4242,
        flags: rd ? dnsPacket.RECURSION_DESIRED : 0,
        questions: [{ type: 'A', class: 'IN', name: 'WEB-1234567890.us-east-1.elb.amazonaws.com' }],
      });
      const reply = dnsPacket.decode(await exchange(server, query));
      expect(reply).toMatchObject({
        id: 4242,
        type: 'response',
        rcode: 'NOERROR',
        flag_qr: true,
        flag_aa: true,
        flag_rd: rd,
        flag_ra: false,
        questions: [{ type: 'A', class: 'IN', name: 'WEB-1234567890.us-east-1.elb.amazonaws.com' }],
        authorities: [],
      });
      expect(reply.answers).toEqual([
        expect.objectContaining({ type: 'A', name: 'WEB-1234567890.us-east-1.elb.amazonaws.com', ttl: 60, data: '127.10.20.30' }),
        expect.objectContaining({ type: 'A', ttl: 60, data: '127.10.20.31' }),
      ]);
    }
  });

  it('answers NXDOMAIN with empty answer and authority sections', async () => {
    const query = dnsPacket.encode({ type: 'query', id: 7, questions: [{ type: 'A', name: 'unknown.example' }] });
    const reply = dnsPacket.decode(await exchange(server, query));
    expect(reply).toMatchObject({ id: 7, rcode: 'NXDOMAIN', flag_aa: true, answers: [], authorities: [] });
  });

  it('answers FORMERR to a malformed packet, echoing its id', async () => {
    // A header announcing one question, followed by a label that runs past the end of the packet.
    const garbage = Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3f, 0x61, 0x62]);
    const reply = await exchange(server, garbage);
    expect(reply.readUInt16BE(0)).toBe(0x1234);
    const decoded = dnsPacket.decode(reply);
    expect(decoded).toMatchObject({ type: 'response', rcode: 'FORMERR', flag_rd: true, questions: [], answers: [] });
  });

  it('answers FORMERR to a query without a question, and keeps serving', async () => {
    const reply = dnsPacket.decode(await exchange(server, dnsPacket.encode({ type: 'query', id: 9, questions: [] })));
    expect(reply).toMatchObject({ id: 9, rcode: 'FORMERR' });
    clock.t = 1_005_000;
    expect(await resolverFor(server).resolve4(NAME)).toHaveLength(2);
  });
});

describe('elbDnsSource', () => {
  it('resolves a load balancer DNS name from its dnsVisibleAt, and stops after deletion', async () => {
    const clock = { t: 50_000 };
    const store = new ElbStore({ region: 'us-east-1', dnsDelayMs: 2000, instanceWarmupMs: 0, now: () => clock.t });
    const server = await startDnsServer(elbDnsSource(store), { now: () => clock.t });
    try {
      const lb = store.create({
        name: 'web',
        listeners: [{ protocol: 'TCP', loadBalancerPort: 80, instanceProtocol: 'TCP', instancePort: 30080 }],
        availabilityZones: ['us-east-1a'],
      });
      const resolver = resolverFor(server);
      expect(await errorCode(resolver.resolve4(lb.dnsName))).toBe('ENOTFOUND');
      clock.t += 2000;
      expect((await resolver.resolve4(lb.dnsName)).sort()).toEqual([...lb.addresses].sort());
      expect((await resolver.resolve4(`dualstack.${lb.dnsName}`)).sort()).toEqual([...lb.addresses].sort());
      store.delete('web');
      // A fresh resolver: c-ares may cache the positive answer for its TTL.
      expect(await errorCode(resolverFor(server).resolve4(lb.dnsName))).toBe('ENOTFOUND');
    } finally {
      await server.close();
    }
  });

  it('resolves ELBv2 load balancers too, from their dnsVisibleAt, until they are deleted', async () => {
    const clock = { t: 50_000 };
    const classic = new ElbStore({ region: 'us-east-1', dnsDelayMs: 0, instanceWarmupMs: 0, now: () => clock.t });
    const v2 = new ElbV2Store({ region: 'us-east-1', dnsDelayMs: 2000, targetWarmupMs: 0, now: () => clock.t });
    const server = await startDnsServer(elbDnsSource(classic, v2), { now: () => clock.t });
    try {
      const nlb = v2.createLoadBalancer({ name: 'web', type: 'network', subnets: ['subnet-0a1b2c3d'] });
      const alb = v2.createLoadBalancer({ name: 'api', type: 'application', subnets: ['subnet-0a1b2c3d'] });
      expect(await errorCode(resolverFor(server).resolve4(nlb.dnsName))).toBe('ENOTFOUND');
      clock.t += 2000;
      const resolver = resolverFor(server);
      expect((await resolver.resolve4(nlb.dnsName)).sort()).toEqual([...nlb.addresses].sort());
      expect((await resolver.resolve4(alb.dnsName)).sort()).toEqual([...alb.addresses].sort());
      expect((await resolver.resolve4(`dualstack.${alb.dnsName}`)).sort()).toEqual([...alb.addresses].sort());
      v2.deleteLoadBalancer(nlb.arn);
      expect(await errorCode(resolverFor(server).resolve4(nlb.dnsName))).toBe('ENOTFOUND');
    } finally {
      await server.close();
    }
  });
});

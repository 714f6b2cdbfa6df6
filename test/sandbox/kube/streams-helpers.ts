/**
 * Test helpers for the apiserver's streaming subresources (proxy, port-forward, exec): a stand-in
 * cluster network whose pods and Services answer `<h1>It works!</h1>` from an in-process HTTP server,
 * an apiserver started with it, and a minimal SPDY/3.1 client (plain upgrade, or tunneled in
 * WebSocket binary messages as kubectl 1.31+ does).
 */
import * as k8s from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { Faults } from '../../../sandbox/faults.js';
import { KubeCluster } from '../../../sandbox/kube/cluster.js';
import { RbacPolicy } from '../../../sandbox/kube/rbac.js';
import { createKubeApiServer } from '../../../sandbox/kube/server.js';
import type { InternalNetwork } from '../../../sandbox/kube/streams/network.js';
import {
  FLAG_FIN,
  FrameReader,
  FrameType,
  controlFrame,
  dataFrame,
  decodeHeaderBlock,
  encodeHeaderBlock,
  newHeaderCompressor,
  newHeaderDecompressor,
  type Headers,
} from '../../../sandbox/kube/streams/spdy.js';
import type { Pod, Service } from '../../../sandbox/kube/types.js';

export const IT_WORKS = '<h1>It works!</h1>\n';

/**
 * The stand-in network: a running pod's IP on a port its containers declare, and a Service's cluster IP
 * on one of its ports when it has a ready endpoint, reach the HTTP server; everything else is refused.
 * Names resolve to cluster IPs (`NAME`, `NAME.NS`, `NAME.NS.svc.cluster.local`).
 */
class FakeNetwork implements InternalNetwork {
  readonly dials: string[] = [];
  /** What the pods' web server saw (method and path). */
  readonly requests: string[] = [];
  private readonly web: http.Server;
  private port = 0;

  constructor(private readonly cluster: KubeCluster) {
    this.web = http.createServer((req, res) => {
      this.requests.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(IT_WORKS);
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.web.listen(0, '127.0.0.1', resolve));
    this.port = (this.web.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.web.closeAllConnections();
    await new Promise<void>((resolve) => this.web.close(() => resolve()));
  }

  dialInternal(ip: string, port: number): Promise<Duplex> {
    this.dials.push(`${ip}:${port}`);
    if (!this.serves(ip, port)) return Promise.reject(Object.assign(new Error(`connect ECONNREFUSED ${ip}:${port}`), { code: 'ECONNREFUSED' }));
    return new Promise((resolve, reject) => {
      // Half-open, as a TCP peer is: the pod's end of a connection ends its reading side only.
      const sock = net.connect({ port: this.port, host: '127.0.0.1', allowHalfOpen: true }, () => resolve(sock));
      sock.once('error', reject);
    });
  }

  resolveInternal(name: string, namespace = 'default'): Promise<string | undefined> {
    const parts = name.replace(/\.svc\.cluster\.local$/, '').split('.');
    const svc = this.cluster.store.get('services', parts[1] ?? namespace, parts[0]!) as Service | undefined;
    return Promise.resolve(svc?.spec?.clusterIP);
  }

  private serves(ip: string, port: number): boolean {
    const pods = this.cluster.store.list('pods') as Pod[];
    if (pods.some((p) => p.status?.podIP === ip && p.status.phase === 'Running' && p.spec.containers.some((c) => c.ports?.some((cp) => cp.containerPort === port)))) return true;
    const svc = (this.cluster.store.list('services') as Service[]).find((s) => s.spec?.clusterIP === ip);
    if (!svc?.spec?.ports?.some((p) => p.port === port)) return false;
    const eps = this.cluster.store.get('endpoints', svc.metadata.namespace ?? '', svc.metadata.name) as { subsets?: { addresses?: unknown[] }[] } | undefined;
    return (eps?.subsets ?? []).some((s) => (s.addresses ?? []).length > 0);
  }
}

export interface StreamsApi {
  cluster: KubeCluster;
  network: FakeNetwork;
  url: string;
  /** Unrestricted (the sandbox's admin). */
  kc: k8s.KubeConfig;
  /** Acting as `user` (impersonation), when started with a policy. */
  userKc(user: string): k8s.KubeConfig;
  close(): Promise<void>;
}

export async function startStreamsApi(policyYaml?: string): Promise<StreamsApi> {
  const cluster = new KubeCluster({ clusterName: 'test', region: 'us-east-1', nodes: 2 });
  const network = new FakeNetwork(cluster);
  await network.start();
  const rbac = policyYaml ? { policy: new RbacPolicy(policyYaml), as: 'nobody' } : undefined;
  const server = createKubeApiServer(cluster, new Faults({}), rbac, { network });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = (user?: string) => {
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'sandbox', server: url, skipTLSVerify: true }],
      users: [{ name: 'u', ...(user ? { impersonateUser: user } : {}) }],
      contexts: [{ name: 'sandbox', cluster: 'sandbox', user: 'u' }],
      currentContext: 'sandbox',
    });
    return kc;
  };
  return {
    cluster,
    network,
    url,
    kc: config(),
    userKc: config,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await network.stop();
    },
  };
}

/** The seeded `alpine` deployment's running pods (httpd:2.4-alpine, port 80 named `http`). */
export function alpinePods(cluster: KubeCluster): Pod[] {
  return (cluster.store.list('pods', 'default') as Pod[]).filter((p) => p.metadata.labels?.app === 'alpine' && p.status?.phase === 'Running');
}

/** The tutorial's Service: `alpine-service`, port 8080 to the pods' port 80. */
export async function createAlpineService(kc: k8s.KubeConfig, name = 'alpine-service', selector: Record<string, string> = { app: 'alpine' }): Promise<void> {
  await kc.makeApiClient(k8s.CoreV1Api).createNamespacedService({
    namespace: 'default',
    body: { metadata: { name }, spec: { selector, ports: [{ name: 'web', port: 8080, targetPort: 80 }] } },
  });
}

/** An HTTP/1.0 GET written on a byte stream, and everything the other side sends until it ends. */
export const HTTP_GET = 'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n';

/* ------------------------------------------------------------------ a minimal SPDY/3.1 client */

export interface SpdyClientStream {
  id: number;
  /** Resolves at the peer's SYN_REPLY. */
  replied: Promise<void>;
  /** Resolves with everything the peer sent, at its FIN (or RST_STREAM). */
  received: Promise<Buffer>;
  write(data: Buffer | string): void;
  end(): void;
}

/** The client side of a SPDY/3.1 session over `write` (frames out) and `feed` (bytes in). */
export class SpdyClient {
  private readonly reader = new FrameReader();
  private readonly deflate = newHeaderCompressor();
  private readonly inflate = newHeaderDecompressor();
  private nextId = 1;
  private sendChain: Promise<void> = Promise.resolve();
  private handleChain: Promise<void> = Promise.resolve();
  private readonly streams = new Map<number, { chunks: Buffer[]; onReply: () => void; onEnd: (b: Buffer) => void }>();
  readonly pings: number[] = [];

  constructor(private readonly write: (frame: Buffer) => void) {}

  feed(chunk: Buffer): void {
    for (const f of this.reader.push(chunk)) this.handleChain = this.handleChain.then(() => this.handle(f));
  }

  ping(id: number): void {
    const body = Buffer.alloc(4);
    body.writeUInt32BE(id);
    this.send(Promise.resolve(controlFrame(FrameType.PING, 0, body)));
  }

  open(headers: Headers): SpdyClientStream {
    const id = this.nextId;
    this.nextId += 2;
    let onReply!: () => void;
    let onEnd!: (b: Buffer) => void;
    const replied = new Promise<void>((r) => (onReply = r));
    const received = new Promise<Buffer>((r) => (onEnd = r));
    const entry = { chunks: [] as Buffer[], onReply, onEnd };
    this.streams.set(id, entry);
    const head = Buffer.alloc(10);
    head.writeUInt32BE(id, 0);
    this.send(this.deflate.run(encodeHeaderBlock(headers)).then((block) => controlFrame(FrameType.SYN_STREAM, 0, Buffer.concat([head, block]))));
    return {
      id,
      replied,
      received,
      write: (data) => this.send(Promise.resolve(dataFrame(id, 0, Buffer.from(data)))),
      end: () => this.send(Promise.resolve(dataFrame(id, FLAG_FIN, Buffer.alloc(0)))),
    };
  }

  private send(frame: Promise<Buffer>): void {
    this.sendChain = this.sendChain.then(async () => this.write(await frame));
  }

  private async handle(f: { control: boolean; type: number; streamId: number; flags: number; body: Buffer }): Promise<void> {
    if (!f.control) {
      const s = this.streams.get(f.streamId);
      if (!s) return;
      s.chunks.push(Buffer.from(f.body));
      if (f.flags & FLAG_FIN) s.onEnd(Buffer.concat(s.chunks));
      return;
    }
    if (f.type === FrameType.SYN_REPLY) {
      decodeHeaderBlock(await this.inflate.run(f.body.subarray(4)));
      this.streams.get(f.body.readUInt32BE(0) & 0x7fffffff)?.onReply();
    } else if (f.type === FrameType.RST_STREAM) {
      const s = this.streams.get(f.body.readUInt32BE(0) & 0x7fffffff);
      s?.onEnd(Buffer.concat(s.chunks));
    } else if (f.type === FrameType.PING) {
      this.pings.push(f.body.readUInt32BE(0));
    }
  }
}

/** `Upgrade: SPDY/3.1` on `path`; the 101's headers and a client on the upgraded connection. */
export function spdyUpgrade(url: string, path: string, headers: Record<string, string> = {}): Promise<{ headers: http.IncomingHttpHeaders; client: SpdyClient; socket: Duplex }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${path}`, {
      method: 'POST',
      headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'portforward.k8s.io', ...headers },
    });
    req.on('upgrade', (res, socket, head) => {
      const client = new SpdyClient((frame) => socket.write(frame));
      if (head.length) client.feed(head);
      socket.on('data', (c: Buffer) => client.feed(c));
      resolve({ headers: res.headers, client, socket });
    });
    failOnRefusal(req, reject);
  });
}

/**
 * A WebSocket with subprotocol `SPDY/3.1+portforward.k8s.io`, SPDY frames in its binary messages. The
 * `ws` client refuses that subprotocol (a '/' is not an HTTP token), as gorilla/websocket in kubectl
 * does not: the handshake and the (masked) frames are made here by hand, RFC 6455.
 */
export function spdyOverWebSocket(url: string, path: string, headers: Record<string, string> = {}): Promise<{ protocol: string; client: SpdyClient; socket: Duplex }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${path}`, {
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        'Sec-WebSocket-Protocol': 'SPDY/3.1+portforward.k8s.io',
        ...headers,
      },
    });
    req.on('upgrade', (res, socket, head) => {
      const sendFrame = (opcode: number, payload: Buffer) => {
        const mask = randomBytes(4);
        const len = payload.length;
        const header = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len]) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
        if (len >= 126 && len < 65536) {
          header[0] = 0x80 | opcode;
          header[1] = 0x80 | 126;
          header.writeUInt16BE(len, 2);
        } else if (len >= 65536) {
          header[0] = 0x80 | opcode;
          header[1] = 0x80 | 127;
          header.writeBigUInt64BE(BigInt(len), 2);
        }
        const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
        socket.write(Buffer.concat([header, mask, masked]));
      };
      const client = new SpdyClient((frame) => sendFrame(0x2, frame));
      let buf: Buffer = Buffer.alloc(0);
      const onBytes = (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        for (;;) {
          if (buf.length < 2) return;
          const opcode = buf[0]! & 0x0f;
          let len = buf[1]! & 0x7f;
          let off = 2;
          if (len === 126) {
            if (buf.length < 4) return;
            len = buf.readUInt16BE(2);
            off = 4;
          } else if (len === 127) {
            if (buf.length < 10) return;
            len = Number(buf.readBigUInt64BE(2));
            off = 10;
          }
          if (buf.length < off + len) return;
          const payload = buf.subarray(off, off + len);
          buf = buf.subarray(off + len);
          if (opcode === 0x2) client.feed(Buffer.from(payload));
          else if (opcode === 0x9) sendFrame(0xa, Buffer.from(payload));
          else if (opcode === 0x8) socket.end();
        }
      };
      if (head.length) onBytes(head);
      socket.on('data', onBytes);
      resolve({ protocol: String(res.headers['sec-websocket-protocol'] ?? ''), client, socket });
    });
    failOnRefusal(req, reject);
  });
}

/** A port-forward connection the way kubectl makes it: an error and a data stream with one requestID. */
export async function forwardOnce(client: SpdyClient, port: number, requestId: number, send: string): Promise<{ data: string; error: string }> {
  const error = client.open({ streamtype: 'error', port: String(port), requestid: String(requestId) });
  await error.replied;
  error.end();
  const data = client.open({ streamtype: 'data', port: String(port), requestid: String(requestId) });
  await data.replied;
  data.write(send);
  const [d, e] = await Promise.all([data.received, error.received]);
  return { data: d.toString('utf8'), error: e.toString('utf8') };
}

/** Ends an upgrade request: an ordinary answer (the server refused the upgrade) or an error rejects with what it said. */
function failOnRefusal(req: http.ClientRequest, reject: (err: Error) => void): void {
  req.on('response', (res) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => reject(new Error(`upgrade refused: ${res.statusCode} ${Buffer.concat(chunks).toString()}`)));
  });
  req.on('error', reject);
  req.end();
}

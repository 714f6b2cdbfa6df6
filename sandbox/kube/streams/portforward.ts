/**
 * `pods/NAME/portforward`: a connection to the pod's port (its IP, over the cluster network), carried
 * in one of the three ways clients ask for:
 *
 * - WebSocket channels (`v4.channel.k8s.io`, `portforward.k8s.io`, or no subprotocol), what
 *   `@kubernetes/client-node` uses: the ports come from `?ports=`; port i has data channel 2i and error
 *   channel 2i+1, and the first message the server sends on each starts with the port (uint16, little
 *   endian) after the channel byte.
 * - SPDY/3.1 (`Upgrade: SPDY/3.1`, `X-Stream-Protocol-Version: portforward.k8s.io`), kubectl's fallback,
 *   and the same SPDY session tunneled in WebSocket binary messages (subprotocol
 *   `SPDY/3.1+portforward.k8s.io`), what kubectl 1.31+ asks for first: the client opens, per
 *   connection, an `error` and a `data` stream with the same `requestID` and a `port` header; the
 *   server dials when it has both, writes a failure into the error stream, and ends both streams when
 *   the pod's side ends.
 */
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { errorCode, type InternalNetwork } from './network.js';
import { SpdySession, type SpdyStream } from './spdy.js';

export const PORTFORWARD_CHANNEL_PROTOCOLS = ['v4.channel.k8s.io', 'portforward.k8s.io'];
export const PORTFORWARD_SPDY_PROTOCOL = 'portforward.k8s.io';
export const SPDY_TUNNEL_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';

export interface PodEndpoint {
  namespace: string;
  name: string;
  uid: string;
  ip: string;
}

/** The kubelet's words when the pod's port does not answer. */
function forwardError(pod: PodEndpoint, port: number, err: unknown): string {
  const why = errorCode(err) === 'ECONNREFUSED' ? 'connect: connection refused' : err instanceof Error ? err.message : String(err);
  return `error forwarding port ${port} to pod ${pod.name}, uid ${pod.uid}: failed to connect to localhost:${port} inside namespace "${pod.namespace}": dial tcp4 127.0.0.1:${port}: ${why}`;
}

/** `?ports=8080,9090` (the parameter may repeat): the ports, or an error message. */
export function parsePorts(values: string[]): number[] | string {
  const ports: number[] = [];
  for (const v of values.flatMap((s) => s.split(','))) {
    const t = v.trim();
    if (!/^\d+$/.test(t) || Number(t) < 1 || Number(t) > 65535) return `invalid port ${JSON.stringify(t)}`;
    ports.push(Number(t));
  }
  return ports;
}

/**
 * Calls `then` once when the pod's side is done sending (its end, or the connection's close), and closes
 * the connection: the kubelet ends a forwarded connection when the pod's side of it ends.
 */
function onceEnded(up: Duplex, then: () => void): void {
  let called = false;
  const finish = () => {
    if (called) return;
    called = true;
    up.end();
    then();
  };
  up.on('end', finish);
  up.on('close', finish);
}

function portPrefix(channel: number, port: number): Buffer {
  const b = Buffer.alloc(3);
  b[0] = channel;
  b.writeUInt16LE(port, 1);
  return b;
}

/** Port-forward over WebSocket channels. */
export function servePortForwardChannels(ws: WebSocket, network: InternalNetwork, pod: PodEndpoint, ports: number[]): void {
  const send = (channel: number, data: Buffer) => {
    if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([channel]), data]));
  };
  const upstreams: (Duplex | undefined)[] = [];
  const pending: Buffer[][] = ports.map(() => []);
  let open = ports.length;
  const done = () => {
    if (--open === 0 && ws.readyState === ws.OPEN) ws.close(1000);
  };
  ws.on('message', (data: Buffer) => {
    const channel = data[0];
    if (channel === undefined || channel % 2 !== 0) return;
    const i = channel / 2;
    const payload = data.subarray(1);
    const up = upstreams[i];
    if (up) up.write(payload);
    else pending[i]?.push(payload);
  });
  ws.on('close', () => {
    for (const up of upstreams) up?.destroy();
  });
  ports.forEach((port, i) => {
    ws.send(portPrefix(2 * i, port));
    ws.send(portPrefix(2 * i + 1, port));
    network.dialInternal(pod.ip, port).then(
      (up) => {
        if (ws.readyState !== ws.OPEN) {
          up.destroy();
          return;
        }
        upstreams[i] = up;
        for (const b of pending[i] ?? []) up.write(b);
        pending[i] = [];
        up.on('data', (c: Buffer) => send(2 * i, c));
        up.on('error', () => undefined);
        onceEnded(up, done);
      },
      (err: unknown) => {
        send(2 * i + 1, Buffer.from(forwardError(pod, port, err), 'utf8'));
        done();
      },
    );
  });
}

/** Port-forward over a SPDY session (tunneled or not): pairs error and data streams by requestID. */
export function servePortForwardSpdy(session: SpdySession, network: InternalNetwork, pod: PodEndpoint): void {
  const pairs = new Map<string, { error?: SpdyStream; data?: SpdyStream; port: number }>();
  const start = (requestId: string) => {
    const pair = pairs.get(requestId);
    if (!pair?.error || !pair.data) return;
    pairs.delete(requestId);
    const { error, data, port } = pair;
    const pendingData: Buffer[] = [];
    let clientEnded = false;
    const onData = (c: Buffer) => pendingData.push(c);
    const onEnd = () => {
      clientEnded = true;
    };
    data.on('data', onData);
    data.on('end', onEnd);
    network.dialInternal(pod.ip, port).then(
      (up) => {
        data.off('data', onData);
        data.off('end', onEnd);
        for (const c of pendingData) up.write(c);
        if (clientEnded) up.end();
        data.on('data', (c: Buffer) => up.write(c));
        data.on('end', () => up.end());
        data.on('reset', () => up.destroy());
        error.on('reset', () => up.destroy());
        up.on('data', (c: Buffer) => data.write(c));
        up.on('error', () => undefined);
        onceEnded(up, () => {
          data.end();
          error.end();
        });
      },
      (err: unknown) => {
        error.end(Buffer.from(forwardError(pod, port, err), 'utf8'));
        data.end();
      },
    );
  };
  session.on('stream', (stream: SpdyStream) => {
    void session.reply(stream);
    const type = stream.headers.streamtype;
    const requestId = stream.headers.requestid ?? String(stream.id);
    const port = Number(stream.headers.port);
    if ((type !== 'error' && type !== 'data') || !Number.isInteger(port) || port < 1 || port > 65535) {
      stream.reset();
      return;
    }
    const pair = pairs.get(requestId) ?? { port };
    pair[type] = stream;
    pairs.set(requestId, pair);
    start(requestId);
  });
}

/** A SPDY session whose frames travel in WebSocket binary messages (kubectl's tunneling). */
export function spdyOverWebSocket(ws: WebSocket): SpdySession {
  const session = new SpdySession({
    write: (frame) => {
      if (ws.readyState === ws.OPEN) ws.send(frame);
    },
    close: () => {
      if (ws.readyState === ws.OPEN) ws.close(1000);
    },
  });
  ws.on('message', (data: Buffer) => session.receive(data));
  ws.on('close', () => session.connectionEnded());
  return session;
}

/** A SPDY session over an upgraded HTTP connection. */
export function spdyOverSocket(socket: Duplex, head: Buffer): SpdySession {
  const session = new SpdySession({
    write: (frame) => {
      if (!socket.destroyed) socket.write(frame);
    },
    close: () => socket.end(),
  });
  if (head.length) session.receive(head);
  socket.on('data', (c: Buffer) => session.receive(c));
  socket.on('close', () => session.connectionEnded());
  socket.on('error', () => session.connectionEnded());
  return session;
}

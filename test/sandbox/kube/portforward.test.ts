/**
 * `pods/NAME/portforward` carrying a real HTTP request and its answer, the three ways clients ask:
 * WebSocket channels (`@kubernetes/client-node`'s PortForward), SPDY/3.1 over a plain HTTP upgrade
 * (kubectl's fallback), and SPDY/3.1 tunneled in WebSocket binary messages (kubectl 1.31+).
 */
import * as k8s from '@kubernetes/client-node';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { once } from 'node:events';
import { HTTP_GET, IT_WORKS, alpinePods, forwardOnce, spdyOverWebSocket, spdyUpgrade, startStreamsApi, type StreamsApi } from './streams-helpers.js';

let api: StreamsApi;
let pod: string;
let podIp: string;
beforeAll(async () => {
  api = await startStreamsApi();
  const p = alpinePods(api.cluster)[0]!;
  pod = p.metadata.name;
  podIp = p.status!.podIP!;
});
afterAll(() => api.close());

const pfPath = (name: string) => `/api/v1/namespaces/default/pods/${name}/portforward`;

describe('port-forward over WebSocket channels (client-node PortForward)', () => {
  it('carries an HTTP request to the pod and its answer back', async () => {
    const forward = new k8s.PortForward(api.kc);
    const sockets: net.Socket[] = [];
    const local = net.createServer((socket) => {
      sockets.push(socket);
      void forward.portForward('default', pod, [80], socket, null, socket);
    });
    local.listen(0, '127.0.0.1');
    await once(local, 'listening');
    try {
      for (let i = 0; i < 2; i++) {
        const body = await new Promise<string>((resolve, reject) => {
          http
            .get({ host: '127.0.0.1', port: (local.address() as AddressInfo).port, path: '/', agent: false }, (res) => {
              let text = '';
              res.on('data', (c: Buffer) => (text += c.toString()));
              res.on('end', () => resolve(text));
            })
            .on('error', reject);
        });
        expect(body).toBe(IT_WORKS);
      }
      expect(api.network.dials.filter((d) => d === `${podIp}:80`).length).toBeGreaterThanOrEqual(2);
    } finally {
      for (const s of sockets) s.destroy();
      local.close();
    }
  });

  it("writes the kubelet's error on the error channel when the pod's port refuses", async () => {
    const forward = new k8s.PortForward(api.kc);
    const out = new PassThrough();
    const err = new PassThrough();
    const input = new PassThrough();
    const ws = (await forward.portForward('default', pod, [81], out, err, input)) as { on(ev: 'close', cb: () => void): void };
    const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
    let text = '';
    err.on('data', (c: Buffer) => (text += c.toString()));
    await closed;
    expect(text).toMatch(new RegExp(`^error forwarding port 81 to pod ${pod}, uid [0-9a-f-]+: .*connect: connection refused$`));
  });

  it('answers 404 for a pod that does not exist', async () => {
    const forward = new k8s.PortForward(api.kc);
    await expect(forward.portForward('default', 'ghost', [80], new PassThrough(), null, new PassThrough())).rejects.toMatchObject({
      message: 'Unexpected server response: 404',
    });
  });
});

describe('port-forward over SPDY/3.1 (plain upgrade, as kubectl falls back to)', () => {
  it('upgrades with the negotiated stream protocol and forwards a connection per requestID', async () => {
    const { headers, client, socket } = await spdyUpgrade(api.url, pfPath(pod));
    try {
      expect(headers.upgrade).toBe('SPDY/3.1');
      expect(headers['x-stream-protocol-version']).toBe('portforward.k8s.io');
      const first = await forwardOnce(client, 80, 0, HTTP_GET);
      expect(first.error).toBe('');
      expect(first.data).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(first.data.endsWith(IT_WORKS)).toBe(true);
      const second = await forwardOnce(client, 80, 1, HTTP_GET);
      expect(second.data.endsWith(IT_WORKS)).toBe(true);
    } finally {
      socket.destroy();
    }
  });

  it("writes the kubelet's error into the error stream when the port refuses, and answers PINGs", async () => {
    const { client, socket } = await spdyUpgrade(api.url, pfPath(pod));
    try {
      const refused = await forwardOnce(client, 81, 0, HTTP_GET);
      expect(refused.data).toBe('');
      expect(refused.error).toContain(`error forwarding port 81 to pod ${pod}`);
      expect(refused.error).toContain('connect: connection refused');
      client.ping(7);
      await forwardOnce(client, 80, 1, HTTP_GET); // frames are answered in order: the PING's reply came first
      expect(client.pings).toEqual([7]);
    } finally {
      socket.destroy();
    }
  });

  it('refuses an upgrade that offers no protocol the server speaks', async () => {
    await expect(spdyUpgrade(api.url, pfPath(pod), { 'X-Stream-Protocol-Version': 'v4.channel.k8s.io' })).rejects.toThrow(/400 .*unable to negotiate protocol/);
  });
});

describe('port-forward over SPDY/3.1 tunneled in WebSocket (kubectl 1.31+)', () => {
  it('accepts the SPDY/3.1+portforward.k8s.io subprotocol and forwards connections', async () => {
    const { protocol, client, socket } = await spdyOverWebSocket(api.url, pfPath(pod));
    try {
      expect(protocol).toBe('SPDY/3.1+portforward.k8s.io');
      for (const id of [0, 1]) {
        const r = await forwardOnce(client, 80, id, HTTP_GET);
        expect(r.error).toBe('');
        expect(r.data.endsWith(IT_WORKS)).toBe(true);
      }
    } finally {
      socket.destroy();
    }
  });
});

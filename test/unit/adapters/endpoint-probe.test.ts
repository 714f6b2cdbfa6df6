/**
 * The endpoint probe against real sockets on loopback: what counts as answering (an HTTP status line for
 * web ports, whatever the status; a TCP connection that holds), and each way of not answering.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { createEndpointProbe } from '../../../src/adapters/endpoint-probe.js';

const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();

async function serve(server: net.Server): Promise<number> {
  servers.push(server);
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

const probe = createEndpointProbe({ timeoutMs: 2000, holdMs: 100 });

test('a web port answers with any HTTP status; the GET carries the announced name as its Host', async () => {
  const hosts: (string | undefined)[] = [];
  const port = await serve(
    http.createServer((req, res) => {
      hosts.push(req.headers.host);
      res.writeHead(404).end('no such page');
    }),
  );
  expect(await probe.answers({ host: 'a1b2.us-east-1.elb.amazonaws.com', address: '127.0.0.1', port, scheme: 'http' })).toEqual({ answered: true, status: 404 });
  expect(hosts).toEqual([`a1b2.us-east-1.elb.amazonaws.com:${port}`]);
});

test('a TCP port answers when the connection holds; one closed at once (a load balancer with no backend) does not', async () => {
  const holding = await serve(net.createServer((socket) => socket.on('error', () => undefined)));
  expect(await probe.answers({ host: 'lb', address: '127.0.0.1', port: holding })).toEqual({ answered: true });

  const resetting = await serve(net.createServer((socket) => socket.resetAndDestroy()));
  const reset = await probe.answers({ host: 'lb', address: '127.0.0.1', port: resetting });
  expect(reset).toMatchObject({ answered: false, error: expect.stringMatching(/^(ECONNRESET|closed)$/) });

  // A connection that held long enough to say where it came from carries that address.
  const late = await serve(net.createServer((socket) => setImmediate(() => socket.resetAndDestroy())));
  const lateReset = await createEndpointProbe({ holdMs: 60_000 }).answers({ host: 'lb', address: '127.0.0.1', port: late });
  expect(lateReset).toMatchObject({ answered: false, localAddress: '127.0.0.1' });

  const closing = await serve(net.createServer((socket) => socket.end()));
  expect(await probe.answers({ host: 'lb', address: '127.0.0.1', port: closing, scheme: 'http' })).toMatchObject({ answered: false, error: 'closed' });
});

test('a server that speaks first answers at once, whatever the hold', async () => {
  const port = await serve(net.createServer((socket) => socket.end('220 smtp ready\r\n')));
  const slowHold = createEndpointProbe({ timeoutMs: 2000, holdMs: 60_000 });
  expect(await slowHold.answers({ host: 'mail', address: '127.0.0.1', port })).toEqual({ answered: true });
});

test('nothing listening: refused; a web port that answers something else: not HTTP; silence: timed out', async () => {
  const gone = net.createServer();
  const port = await serve(gone);
  await new Promise<void>((resolve) => gone.close(() => resolve()));
  servers.splice(servers.indexOf(gone), 1);
  expect(await probe.answers({ host: 'lb', address: '127.0.0.1', port, scheme: 'http' })).toMatchObject({ answered: false, error: 'ECONNREFUSED' });

  const ssh = await serve(net.createServer((socket) => socket.end('SSH-2.0-OpenSSH_9.6\r\n')));
  expect(await probe.answers({ host: 'lb', address: '127.0.0.1', port: ssh, scheme: 'http' })).toMatchObject({ answered: false, error: 'not HTTP' });

  const silent = await serve(net.createServer((socket) => socket.on('error', () => undefined)));
  const impatient = createEndpointProbe({ timeoutMs: 150 });
  expect(await impatient.answers({ host: 'lb', address: '127.0.0.1', port: silent, scheme: 'http' })).toMatchObject({ answered: false, error: 'ETIMEDOUT' });
});

test('https needs a TLS handshake: a plain-text server on the port is not an answer', async () => {
  const port = await serve(http.createServer((_req, res) => res.end('plain')));
  const result = await probe.answers({ host: 'lb.example', address: '127.0.0.1', port, scheme: 'https' });
  expect(result.answered).toBe(false);
});

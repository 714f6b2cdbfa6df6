/**
 * The console's `curl URL` (src/console/curl.ts): a load balancer's address as svcbot posts it, resolved
 * through the sandbox's DNS and answered by the pods behind it; and every failure in words — a name that
 * does not resolve, a port where nothing listens, a connection reset, a slow server, bad input.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { parseDnsServer, type DnsServer } from '../../src/config/index.js';
import { consoleCurl } from '../../src/console/curl.js';
import { sandboxClients } from '../helpers/sandbox-clients.js';
import { waitFor } from '../helpers/wait.js';

let sandbox: Sandbox;
let dns: DnsServer;
beforeAll(async () => {
  sandbox = await startSandbox({ kubeconfigPath: null, clusterName: 'curl', nodes: 1, provisionDelayMs: 20, dnsDelayMs: 50, instanceWarmupMs: 50 });
  dns = parseDnsServer(sandbox.info.dnsServer)!;
});
afterAll(() => sandbox.close());

test('not a curl line: not the console\'s (the line goes to /svc)', () => {
  expect(consoleCurl('/svc list', { dnsServers: [] })).toBeUndefined();
  expect(consoleCurl('curly', { dnsServers: [] })).toBeUndefined();
});

test('a load balancer\'s HOST:PORT, as svcbot posts it, through the sandbox\'s DNS: the pods answer', async () => {
  const { core, resolver } = sandboxClients(sandbox);
  await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'web' }, spec: { type: 'LoadBalancer', selector: { app: 'alpine' }, ports: [{ port: 8080, targetPort: 80 }] } } });
  const hostname = await waitFor(async () => (await core.readNamespacedService({ name: 'web', namespace: 'default' })).status?.loadBalancer?.ingress?.[0]?.hostname, { what: 'the hostname' });
  await waitFor(() => resolver.resolve4(hostname), { what: `${hostname} to resolve` });
  const answer = await waitFor(async () => {
    const text = await consoleCurl(`curl http://${hostname}:8080`, { dnsServers: [dns] })!;
    return text.includes('HTTP 200') && text;
  }, { what: 'an instance in service' });
  expect(answer).toMatch(new RegExp(`^${hostname.replace(/\./g, '\\.')} \\(127\\.[\\d.]+\\):8080 answered HTTP 200 OK\\n`));
  expect(answer).toContain('<h1>It works!</h1>');
  // Without the scheme, and with curl's -s: the same.
  expect(await consoleCurl(`curl -s ${hostname}:8080`, { dnsServers: [dns] })).toContain('It works!');
});

test('a name that does not resolve through those DNS servers says so, naming them', async () => {
  const text = await consoleCurl('curl http://nosuch-123.us-east-1.elb.amazonaws.com:80', { dnsServers: [dns] })!;
  expect(text).toContain('nosuch-123.us-east-1.elb.amazonaws.com does not resolve');
  expect(text).toContain(sandbox.info.dnsServer);
});

test('nothing listening: refused; a reset: nothing behind it answers; a silent server: the time it was given', async () => {
  const closed = net.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const closedPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  expect(await consoleCurl(`curl 127.0.0.1:${closedPort}`, { dnsServers: [] })).toContain('refused the connection: nothing listens there');

  const resetting = net.createServer((socket) => socket.resetAndDestroy());
  // Accepts and never answers; its connections are destroyed at the end (closing a server leaves them
  // open, and one nobody reads keeps the test process alive after the client has gone).
  const accepted: net.Socket[] = [];
  const silent = net.createServer((socket) => void accepted.push(socket));
  await Promise.all([resetting, silent].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
  try {
    expect(await consoleCurl(`curl 127.0.0.1:${(resetting.address() as AddressInfo).port}`, { dnsServers: [] })).toContain('reset the connection: nothing behind it answers');
    expect(await consoleCurl(`curl 127.0.0.1:${(silent.address() as AddressInfo).port}`, { dnsServers: [], timeoutMs: 200 })).toContain('did not answer within 0.2 s');
  } finally {
    for (const socket of accepted) socket.destroy();
    for (const s of [resetting, silent]) s.close();
  }
});

test('a long body is cut at 2,000 characters; an empty one says so; any status is an answer', async () => {
  const server = http.createServer((req, res) => {
    if (req.url === '/long') res.end('x'.repeat(5000));
    else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    const long = await consoleCurl(`curl http://127.0.0.1:${port}/long`, { dnsServers: [] })!;
    expect(long).toContain('x'.repeat(2000));
    expect(long).not.toContain('x'.repeat(2001));
    expect(long).toContain('(2000 characters shown)');
    expect(await consoleCurl(`curl 127.0.0.1:${port}/`, { dnsServers: [] })).toBe(`127.0.0.1:${port} answered HTTP 404 Not Found (no body)`);
  } finally {
    server.close();
  }
});

test('bad input: usage, not a URL, not http', async () => {
  expect(await consoleCurl('curl', { dnsServers: [] })).toMatch(/^Usage: curl URL/);
  expect(await consoleCurl('curl a b', { dnsServers: [] })).toMatch(/^Usage: curl URL/);
  expect(await consoleCurl('curl http://[bad', { dnsServers: [] })).toContain('is not a URL');
  expect(await consoleCurl('curl https://example.invalid', { dnsServers: [] })).toContain('Only http://');
});

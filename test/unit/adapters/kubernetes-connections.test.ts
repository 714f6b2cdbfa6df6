import * as k8s from '@kubernetes/client-node';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { reuseConnections } from '../../../src/adapters/kubernetes-connections.js';

let server: http.Server;
let connections = 0;

beforeAll(async () => {
  server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ apiVersion: 'v1', kind: 'NodeList', metadata: {}, items: [] }));
  });
  server.on('connection', () => (connections += 1));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function kubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  const server_ = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: server_, skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  return kc;
}

test('without it, client-node opens a connection per call (the problem)', async () => {
  const api = kubeConfig().makeApiClient(k8s.CoreV1Api);
  const before = connections;
  for (let i = 0; i < 5; i++) await api.listNode();
  expect(connections - before).toBe(5);
});

test('with it, sequential calls share one keep-alive connection', async () => {
  const kc = kubeConfig();
  const close = reuseConnections(kc);
  const api = kc.makeApiClient(k8s.CoreV1Api);
  const before = connections;
  for (let i = 0; i < 5; i++) await api.listNode();
  expect(connections - before).toBe(1);
  close();
});

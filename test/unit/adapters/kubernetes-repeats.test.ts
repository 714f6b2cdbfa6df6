/**
 * The Kubernetes gateway's writes repeated after a failure in transit, at the HTTP layer: a stand-in API
 * server that applies a write and then answers 500 (the answer lost, the change made) — what the
 * sandbox's kubeErrorEveryN (which fails before applying) cannot show. The repeat meets its own first
 * attempt (409 AlreadyExists, 404, 409 Conflict) and must read and decide, not fail or do it twice.
 */
import * as k8s from '@kubernetes/client-node';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createKubernetesGateway } from '../../../src/adapters/kubernetes.js';
import { BotError } from '../../../src/domain/errors.js';
import { serviceManifest } from '../../../src/domain/manifest.js';

type Svc = { metadata: Record<string, unknown> & { name: string; resourceVersion: string; uid: string }; spec: Record<string, unknown> };

/**
 * One Service store; `failAfterApplying` answers 500 to the next N writes after applying them,
 * `failBeforeApplying` answers 503 to the next N writes without applying them.
 */
class StandIn {
  services = new Map<string, Svc>();
  failAfterApplying = 0;
  failBeforeApplying = 0;
  writes: string[] = [];
  private rv = 100;
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => this.handle(req, res, body));
  });

  private send(res: http.ServerResponse, code: number, obj: unknown) {
    res.writeHead(code, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(obj));
  }

  private status(res: http.ServerResponse, code: number, reason: string) {
    this.send(res, code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message: reason, code });
  }

  /** Applied; answered 500 if a failure is due. */
  private applied(res: http.ServerResponse, code: number, obj: unknown) {
    if (this.failAfterApplying > 0) {
      this.failAfterApplying--;
      this.status(res, 500, 'InternalError');
      return;
    }
    this.send(res, code, obj);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, body: string) {
    const m = /^\/api\/v1\/namespaces\/default\/services(?:\/([^/?]+))?/.exec(req.url ?? '');
    if (!m) return this.status(res, 404, 'NotFound');
    const name = m[1];
    const existing = name ? this.services.get(name) : undefined;
    if (req.method !== 'GET') this.writes.push(`${req.method} ${name ?? ''}`);
    if (req.method !== 'GET' && this.failBeforeApplying > 0) {
      this.failBeforeApplying--;
      return this.status(res, 503, 'ServiceUnavailable');
    }
    if (req.method === 'POST') {
      const obj = JSON.parse(body) as Svc;
      if (this.services.has(obj.metadata.name)) return this.status(res, 409, 'AlreadyExists');
      const svc: Svc = { ...obj, metadata: { ...obj.metadata, namespace: 'default', uid: `uid-${obj.metadata.name}`, resourceVersion: String(++this.rv) } };
      this.services.set(obj.metadata.name, svc);
      return this.applied(res, 201, svc);
    }
    if (!existing) return this.status(res, 404, 'NotFound');
    if (req.method === 'GET') return this.send(res, 200, existing);
    if (req.method === 'DELETE') {
      this.services.delete(existing.metadata.name);
      return this.applied(res, 200, existing);
    }
    if (req.method === 'PATCH') {
      const patch = JSON.parse(body) as { metadata?: { resourceVersion?: string }; spec?: Record<string, unknown> };
      if (patch.metadata?.resourceVersion && patch.metadata.resourceVersion !== existing.metadata.resourceVersion) return this.status(res, 409, 'Conflict');
      existing.spec = { ...existing.spec, ...patch.spec };
      existing.metadata.resourceVersion = String(++this.rv);
      return this.applied(res, 200, existing);
    }
    return this.status(res, 405, 'MethodNotAllowed');
  }
}

let standIn: StandIn;
let kubeConfig: k8s.KubeConfig;

beforeEach(async () => {
  standIn = new StandIn();
  await new Promise<void>((resolve) => standIn.server.listen(0, '127.0.0.1', resolve));
  const { port } = standIn.server.address() as AddressInfo;
  kubeConfig = new k8s.KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
});
afterEach(async () => {
  standIn.server.closeAllConnections();
  await new Promise<void>((resolve) => standIn.server.close(() => resolve()));
});

const gateway = () => createKubernetesGateway({ name: 'prod', kubeConfig, retry: { callDeadlineMs: 5000, baseDelayMs: 10, maxDelayMs: 50 } });
const manifest = (selector = { app: 'web' }) =>
  serviceManifest({ name: 'web', namespace: 'default', selector, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }], type: 'ClusterIP' });

test('create applied but answered 500: the repeat meets 409 AlreadyExists, reads it, finds it as asked → created, once', async () => {
  standIn.failAfterApplying = 1;
  const view = await gateway().createService(manifest());
  expect(view).toMatchObject({ name: 'web', uid: 'uid-web', type: 'ClusterIP' });
  expect(standIn.writes).toEqual(['POST ', 'POST ']);
  expect(standIn.services.size).toBe(1);
});

test("create answered 503, and the 409 on the repeat is someone else's Service → already_exists, theirs untouched", async () => {
  await gateway().createService(manifest({ app: 'theirs' }));
  standIn.failBeforeApplying = 1;
  const err = await gateway()
    .createService(manifest())
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(BotError);
  expect(err).toMatchObject({ code: 'already_exists' });
  expect(standIn.services.get('web')?.spec.selector).toEqual({ app: 'theirs' });
});

test('a 409 AlreadyExists at the first attempt is a real conflict (no read, no retry)', async () => {
  await gateway().createService(manifest());
  standIn.writes = [];
  await expect(gateway().createService(manifest())).rejects.toMatchObject({ code: 'already_exists' });
  expect(standIn.writes).toEqual(['POST ']);
});

test('delete applied but answered 500: the repeat meets 404 → done (undefined), not "no Service"', async () => {
  await gateway().createService(manifest());
  standIn.failAfterApplying = 1;
  await expect(gateway().deleteService('default', 'web')).resolves.toBeUndefined();
  expect(standIn.writes.filter((w) => w.startsWith('DELETE'))).toEqual(['DELETE web', 'DELETE web']);
});

test('a delete whose first answer is 404 still says there is no such Service', async () => {
  await expect(gateway().deleteService('default', 'web')).rejects.toMatchObject({ code: 'not_found' });
});

test('a type patch conditional on a resourceVersion, applied but answered 500: the repeat meets 409, reads, sees the type → changed', async () => {
  const created = await gateway().createService(manifest());
  standIn.failAfterApplying = 1;
  const view = await gateway().setServiceType('default', 'web', 'NodePort', { resourceVersion: created.resourceVersion });
  expect(view.type).toBe('NodePort');
  expect(standIn.writes.filter((w) => w.startsWith('PATCH'))).toEqual(['PATCH web', 'PATCH web']);
});

test('the same patch conflicting at the first attempt (changed meanwhile) stays a conflict', async () => {
  const created = await gateway().createService(manifest());
  standIn.services.get('web')!.metadata.resourceVersion = '999';
  await expect(gateway().setServiceType('default', 'web', 'NodePort', { resourceVersion: created.resourceVersion })).rejects.toMatchObject({ code: 'conflict' });
});

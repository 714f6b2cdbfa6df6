/** The `deny` fault knob: the apiserver refuses as RBAC does, with the authorizer's wording. */
import * as k8s from '@kubernetes/client-node';
import { startSandbox, type Sandbox } from '../../../sandbox/index.js';

let sandbox: Sandbox;
let core: k8s.CoreV1Api;

beforeAll(async () => {
  sandbox = await startSandbox({ kubeconfigPath: null });
  const kc = new k8s.KubeConfig();
  kc.loadFromString(sandbox.kubeconfigYaml);
  core = kc.makeApiClient(k8s.CoreV1Api);
});
afterAll(() => sandbox.close());
afterEach(() => sandbox.faults.reset());

async function statusOf(call: Promise<unknown>): Promise<{ code: number; body: { reason?: string; message?: string; details?: unknown } }> {
  try {
    await call;
  } catch (err) {
    // client-node 1.x hands the error body over as the raw JSON text.
    if (err instanceof k8s.ApiException) return { code: err.code, body: JSON.parse(String(err.body)) as never };
    throw err;
  }
  throw new Error('expected the call to be refused');
}

const svc = (name: string): k8s.V1Service => ({ metadata: { name }, spec: { selector: { app: 'alpine' }, ports: [{ port: 80 }] } });

test('a denied create answers 403 Forbidden naming the user, verb, resource and namespace; nothing is created', async () => {
  sandbox.faults.set({ deny: [{ verb: 'create', resource: 'services', namespace: 'default' }] });
  const { code, body } = await statusOf(core.createNamespacedService({ namespace: 'default', body: svc('nope') }));
  expect(code).toBe(403);
  expect(body.reason).toBe('Forbidden');
  expect(body.message).toBe(
    'services is forbidden: User "system:serviceaccount:svcbot:svcbot" cannot create resource "services" in API group "" in the namespace "default"',
  );
  expect(sandbox.cluster.getService('default', 'nope')).toBeUndefined();
});

test('a rule for one namespace leaves the others alone; other verbs still work', async () => {
  sandbox.faults.set({ deny: [{ verb: 'create', resource: 'services', namespace: 'kube-system' }] });
  await core.createNamespacedService({ namespace: 'default', body: svc('allowed') });
  await expect(core.readNamespacedService({ namespace: 'default', name: 'allowed' })).resolves.toBeDefined();
  await core.deleteNamespacedService({ namespace: 'default', name: 'allowed' });
});

test('cluster-scoped resources and "*" verbs: list nodes is refused at the cluster scope', async () => {
  sandbox.faults.set({ deny: [{ verb: '*', resource: 'nodes' }] });
  const { code, body } = await statusOf(core.listNode());
  expect(code).toBe(403);
  expect(body.message).toContain('cannot list resource "nodes" in API group "" at the cluster scope');
});

test('a named object is named: get of one Service', async () => {
  sandbox.faults.set({ deny: [{ verb: 'get', resource: 'services' }] });
  const { body } = await statusOf(core.readNamespacedService({ namespace: 'default', name: 'web' }));
  expect(body.message).toMatch(/^services "web" is forbidden: .* cannot get resource "services"/);
});

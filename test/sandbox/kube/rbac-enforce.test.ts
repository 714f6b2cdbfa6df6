/**
 * RBAC enforced by the sandbox (`startSandbox({ rbac })`): the kubeconfig's user is refused what its
 * Roles and ClusterRoles do not grant, with the apiserver's 403 Status; the admin kubeconfig never is;
 * SelfSubjectAccessReview (`kubectl auth can-i`) answers for the caller. The kubeconfig's user
 * impersonates the restricted one (`as:`), so kubectl and client-node act as it alike.
 */
import * as k8s from '@kubernetes/client-node';
import { startSandbox, type Sandbox } from '../../../sandbox/index.js';

const USER = 'system:serviceaccount:svcbot:svcbot';

const POLICY = `
apiVersion: v1
kind: ServiceAccount
metadata: { name: svcbot, namespace: svcbot }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: reader }
rules:
  - apiGroups: [""]
    resources: ["services"]
    verbs: ["get", "list"]
  - apiGroups: [""]
    resources: ["nodes"]
    verbs: ["list"]
  - apiGroups: ["discovery.k8s.io"]
    resources: ["endpointslices"]
    verbs: ["list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: reader }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader }
subjects: [{ kind: ServiceAccount, name: svcbot, namespace: svcbot }]
---
# Writes in "team-a" only, through a Role
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: writer, namespace: team-a }
rules:
  - apiGroups: [""]
    resources: ["services"]
    verbs: ["create", "delete"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: writer, namespace: team-a }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: writer }
subjects: [{ kind: ServiceAccount, name: svcbot, namespace: svcbot }]
---
# A RoleBinding may grant a ClusterRole's rules in its own namespace
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: watcher }
rules:
  - apiGroups: [""]
    resources: ["services"]
    verbs: ["watch"]
  - apiGroups: [""]
    resources: ["services"]
    resourceNames: ["web"]
    verbs: ["patch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: watcher, namespace: team-b }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: watcher }
subjects: [{ kind: Group, name: "system:serviceaccounts:svcbot" }]
`;

let sandbox: Sandbox;
let core: k8s.CoreV1Api;
let admin: k8s.CoreV1Api;
let authz: k8s.AuthorizationV1Api;
let kc: k8s.KubeConfig;

beforeAll(async () => {
  sandbox = await startSandbox({ kubeconfigPath: null, rbac: { yaml: POLICY, as: USER } });
  kc = new k8s.KubeConfig();
  kc.loadFromString(sandbox.kubeconfigYaml);
  core = kc.makeApiClient(k8s.CoreV1Api);
  authz = kc.makeApiClient(k8s.AuthorizationV1Api);
  const akc = new k8s.KubeConfig();
  akc.loadFromString(sandbox.adminKubeconfigYaml);
  admin = akc.makeApiClient(k8s.CoreV1Api);
  for (const namespace of ['team-a', 'team-b']) await admin.createNamespace({ body: { metadata: { name: namespace } } });
  await admin.createNamespacedService({ namespace: 'team-b', body: svc('web') });
  await admin.createNamespacedService({ namespace: 'team-b', body: svc('api') });
});
afterAll(() => sandbox.close());

const svc = (name: string): k8s.V1Service => ({ metadata: { name }, spec: { selector: { app: 'alpine' }, ports: [{ port: 80 }] } });

async function refusal(call: Promise<unknown>): Promise<{ code: number; body: Record<string, unknown> }> {
  try {
    await call;
  } catch (err) {
    if (err instanceof k8s.ApiException) return { code: err.code, body: JSON.parse(String(err.body)) as Record<string, unknown> };
    throw err;
  }
  throw new Error('expected the call to be refused');
}

test('a verb no rule grants answers 403 with the apiserver Status, word for word', async () => {
  const { code, body } = await refusal(core.createNamespacedService({ namespace: 'default', body: svc('nope') }));
  expect(code).toBe(403);
  expect(body).toEqual({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `services is forbidden: User "${USER}" cannot create resource "services" in API group "" in the namespace "default"`,
    reason: 'Forbidden',
    details: { kind: 'services' },
    code: 403,
  });
  expect(sandbox.cluster.getService('default', 'nope')).toBeUndefined();
});

test('a ClusterRoleBinding grants everywhere; reads work, the named object appears in the message', async () => {
  await expect(core.listServiceForAllNamespaces()).resolves.toMatchObject({ items: expect.any(Array) });
  await expect(core.readNamespacedService({ namespace: 'team-b', name: 'web' })).resolves.toMatchObject({ metadata: { name: 'web' } });
  const { body } = await refusal(core.deleteNamespacedService({ namespace: 'team-b', name: 'api' }));
  expect(body.message).toBe(`services "api" is forbidden: User "${USER}" cannot delete resource "services" in API group "" in the namespace "team-b"`);
});

test('watch is its own verb: list allowed, ?watch=true refused unless granted (here by a RoleBinding to a ClusterRole in team-b)', async () => {
  const watch = new k8s.Watch(kc);
  const refused = await new Promise<unknown>((resolve) => {
    void watch.watch('/api/v1/namespaces/default/services', {}, () => undefined, resolve).catch(resolve);
  });
  expect(String(refused)).toMatch(/403|Forbidden/);

  const events: string[] = [];
  const seen = new Promise<void>((resolve) => {
    void watch.watch('/api/v1/namespaces/team-b/services', {}, (type: string, obj: k8s.V1Service) => {
      events.push(`${type} ${obj.metadata?.name ?? ''}`);
      if (events.length >= 2) resolve();
    }, () => undefined);
  });
  await seen;
  expect(events.sort()).toEqual(['ADDED api', 'ADDED web']);
});

test('cluster-scoped requests need a ClusterRoleBinding: nodes listed, namespaces refused at the cluster scope', async () => {
  await expect(core.listNode()).resolves.toMatchObject({ items: expect.any(Array) });
  const { code, body } = await refusal(core.listNamespace());
  expect(code).toBe(403);
  expect(body.message).toBe(`namespaces is forbidden: User "${USER}" cannot list resource "namespaces" in API group "" at the cluster scope`);
});

test('a Role grants in its namespace only', async () => {
  await core.createNamespacedService({ namespace: 'team-a', body: svc('mine') });
  await core.deleteNamespacedService({ namespace: 'team-a', name: 'mine' });
  const { code } = await refusal(core.createNamespacedService({ namespace: 'team-b', body: svc('theirs') }));
  expect(code).toBe(403);
});

test('resourceNames limit a rule to the named objects; subresources need their own grant', async () => {
  const patch = { metadata: { labels: { touched: 'yes' } } };
  const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
  await core.patchNamespacedService({ namespace: 'team-b', name: 'web', body: patch }, merge);
  const { body } = await refusal(core.patchNamespacedService({ namespace: 'team-b', name: 'api', body: patch }, merge));
  expect(body.message).toBe(`services "api" is forbidden: User "${USER}" cannot patch resource "services" in API group "" in the namespace "team-b"`);
  const status = await refusal(core.patchNamespacedServiceStatus({ namespace: 'team-b', name: 'web', body: patch }, merge));
  expect(status.body.message).toBe(
    `services "web" is forbidden: User "${USER}" cannot patch resource "services/status" in API group "" in the namespace "team-b"`,
  );
});

test('API groups count: endpointslices are granted in discovery.k8s.io, deployments in apps are not', async () => {
  const discovery = kc.makeApiClient(k8s.DiscoveryV1Api);
  await expect(discovery.listNamespacedEndpointSlice({ namespace: 'default' })).resolves.toBeDefined();
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const { body } = await refusal(apps.readNamespacedDeployment({ namespace: 'default', name: 'web' }));
  expect(body).toMatchObject({
    message: `deployments.apps "web" is forbidden: User "${USER}" cannot get resource "deployments" in API group "apps" in the namespace "default"`,
    details: { name: 'web', group: 'apps', kind: 'deployments' },
  });
});

test('SelfSubjectAccessReview answers for the caller, as kubectl auth can-i asks', async () => {
  const review = (resourceAttributes: k8s.V1ResourceAttributes) => authz.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes } } });
  const yes = await review({ verb: 'list', resource: 'services', namespace: 'default' });
  expect(yes.status).toMatchObject({ allowed: true, reason: expect.stringContaining('ClusterRoleBinding "reader" of ClusterRole "reader"') });
  expect((await review({ verb: 'watch', resource: 'services', namespace: 'default' })).status?.allowed).toBe(false);
  expect((await review({ verb: 'watch', resource: 'services', namespace: 'team-b' })).status?.allowed).toBe(true);
  expect((await review({ verb: 'list', group: 'discovery.k8s.io', resource: 'endpointslices' })).status?.allowed).toBe(true);
  expect((await review({ verb: 'patch', resource: 'services', subresource: 'status', namespace: 'team-b', name: 'web' })).status?.allowed).toBe(false);
  const adminAuthz = (() => {
    const akc = new k8s.KubeConfig();
    akc.loadFromString(sandbox.adminKubeconfigYaml);
    return akc.makeApiClient(k8s.AuthorizationV1Api);
  })();
  const anything = await adminAuthz.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { verb: 'delete', resource: 'secrets' } } } });
  expect(anything.status?.allowed).toBe(true);
});

test('the admin kubeconfig is never refused by RBAC; discovery is open to the restricted user', async () => {
  await admin.createNamespacedService({ namespace: 'default', body: svc('by-admin') });
  await admin.deleteNamespacedService({ namespace: 'default', name: 'by-admin' });
  const res = await fetch(`${sandbox.info.kubeApi}/api/v1`, { headers: { 'impersonate-user': USER } });
  expect(res.status).toBe(200);
  const other = await fetch(`${sandbox.info.kubeApi}/metrics`, { headers: { 'impersonate-user': USER } });
  expect(other.status).toBe(403);
  expect(await other.json()).toMatchObject({ message: `forbidden: User "${USER}" cannot get path "/metrics"`, reason: 'Forbidden' });
});

test('a policy that cannot be read stops the sandbox from starting', async () => {
  await expect(startSandbox({ kubeconfigPath: null, rbac: { yaml: 'kind: ClusterRole\nmetadata: { name: x }\nrules: [{ resources: [services] }]', as: USER } })).rejects.toThrow(
    /verbs must not be empty/,
  );
});

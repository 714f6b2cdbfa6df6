/**
 * The deployments' `scale` subresource (autoscaling/v1 Scale) through the real client-node AppsV1Api:
 * read, merge/json/strategic patches and replace set the Deployment's replicas and its controller follows
 * (pods and endpoints go and come back), a stale resourceVersion is a 409, a missing Deployment a 404;
 * discovery lists `deployments/scale` as kubectl's scale client needs it; RBAC treats it as its own
 * resource.
 */
import * as k8s from '@kubernetes/client-node';
import { startSandbox, type Sandbox } from '../../../sandbox/index.js';
import { apiError, eventually, patchAs, raw, startApi, type TestApi } from './helpers.js';

let api: TestApi;

beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api.close());

/** A namespace of the test's own with a Deployment `web` of `replicas` pods labelled app=web, and a Service selecting them. */
async function deploymentIn(namespace: string, replicas = 2): Promise<k8s.V1Deployment> {
  await api.core.createNamespace({ body: { metadata: { name: namespace } } });
  await api.core.createNamespacedService({
    namespace,
    body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] } },
  });
  return api.apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name: 'web' },
      spec: {
        replicas,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'httpd', image: 'httpd:2.4-alpine', ports: [{ name: 'http', containerPort: 80 }] }] },
        },
      },
    },
  });
}

const isReady = (p: k8s.V1Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/** The live (not terminating) pods of `web` in `namespace`. */
async function livePods(namespace: string): Promise<k8s.V1Pod[]> {
  const pods = await api.core.listNamespacedPod({ namespace, labelSelector: 'app=web' });
  return pods.items.filter((p) => p.metadata?.deletionTimestamp === undefined);
}

/** The ready addresses of the Service `web`'s EndpointSlices. */
async function sliceAddresses(namespace: string): Promise<string[]> {
  const slices = await api.discovery.listNamespacedEndpointSlice({ namespace, labelSelector: 'kubernetes.io/service-name=web' });
  return slices.items.flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).flatMap((e) => e.addresses)).sort();
}

test("GET answers the Deployment's Scale: its metadata, desired and observed replicas, selector string", async () => {
  const dep = await deploymentIn('scale-read', 2);
  const scale = await api.apps.readNamespacedDeploymentScale({ namespace: 'scale-read', name: 'web' });
  const current = await api.apps.readNamespacedDeployment({ namespace: 'scale-read', name: 'web' });
  expect(scale).toEqual({
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: 'web',
      namespace: 'scale-read',
      uid: dep.metadata!.uid,
      resourceVersion: current.metadata!.resourceVersion,
      creationTimestamp: dep.metadata!.creationTimestamp,
    },
    spec: { replicas: 2 },
    status: { replicas: 2, selector: 'app=web' },
  });
});

test('a merge patch to 0 removes the pods and empties the endpoints; a replace to 2 brings Ready pods back', async () => {
  const ns = 'scale-down-up';
  const dep = await deploymentIn(ns, 2);
  expect(await sliceAddresses(ns)).toHaveLength(2);

  const down = await api.apps.patchNamespacedDeploymentScale({ namespace: ns, name: 'web', body: { spec: { replicas: 0 } } }, patchAs(k8s.PatchStrategy.MergePatch));
  expect(down.kind).toBe('Scale');
  expect(down.spec?.replicas ?? 0).toBe(0);
  const after = await api.apps.readNamespacedDeployment({ namespace: ns, name: 'web' });
  expect(after.spec?.replicas).toBe(0);
  expect(after.metadata?.generation).toBe((dep.metadata?.generation ?? 1) + 1);
  await eventually(async () => ((await livePods(ns)).length === 0 ? true : undefined));
  await eventually(async () => ((await sliceAddresses(ns)).length === 0 ? true : undefined));
  const endpoints = await api.core.readNamespacedEndpoints({ namespace: ns, name: 'web' });
  expect(endpoints.subsets ?? []).toEqual([]);
  const zero = await api.apps.readNamespacedDeploymentScale({ namespace: ns, name: 'web' });
  expect(zero.spec?.replicas ?? 0).toBe(0);
  expect(await eventually(async () => {
    const s = await api.apps.readNamespacedDeploymentScale({ namespace: ns, name: 'web' });
    return s.status?.replicas === 0 ? s.status : undefined;
  })).toEqual({ replicas: 0, selector: 'app=web' });

  const up = await api.apps.replaceNamespacedDeploymentScale({ namespace: ns, name: 'web', body: { ...zero, spec: { replicas: 2 } } });
  expect(up.spec?.replicas).toBe(2);
  const pods = await eventually(async () => {
    const live = await livePods(ns);
    return live.length === 2 && live.every(isReady) ? live : undefined;
  });
  expect((await sliceAddresses(ns)).sort()).toEqual(pods.map((p) => p.status!.podIP!).sort());
  expect((await api.apps.readNamespacedDeployment({ namespace: ns, name: 'web' })).status).toMatchObject({ replicas: 2, readyReplicas: 2 });
});

test('json and strategic merge patches scale too; a negative count is a 422 of kind Scale', async () => {
  const ns = 'scale-patch-types';
  await deploymentIn(ns, 1);
  const json = await api.apps.patchNamespacedDeploymentScale(
    { namespace: ns, name: 'web', body: [{ op: 'replace', path: '/spec/replicas', value: 3 }] },
    patchAs(k8s.PatchStrategy.JsonPatch),
  );
  expect(json.spec?.replicas).toBe(3);
  expect(await livePods(ns)).toHaveLength(3);
  const strategic = await api.apps.patchNamespacedDeploymentScale(
    { namespace: ns, name: 'web', body: { spec: { replicas: 1 } } },
    patchAs(k8s.PatchStrategy.StrategicMergePatch),
  );
  expect(strategic.spec?.replicas).toBe(1);
  await eventually(async () => ((await livePods(ns)).length === 1 ? true : undefined));
  const invalid = await apiError(
    api.apps.patchNamespacedDeploymentScale({ namespace: ns, name: 'web', body: { spec: { replicas: -1 } } }, patchAs(k8s.PatchStrategy.MergePatch)),
  );
  expect(invalid).toMatchObject({
    code: 422,
    reason: 'Invalid',
    message: 'Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
  });
  expect((await api.apps.readNamespacedDeployment({ namespace: ns, name: 'web' })).spec?.replicas).toBe(1);
});

test('a stale resourceVersion is a 409 Conflict, by replace and by patch, and changes nothing', async () => {
  const ns = 'scale-conflict';
  await deploymentIn(ns, 2);
  const stale = await api.apps.readNamespacedDeploymentScale({ namespace: ns, name: 'web' });
  await api.apps.patchNamespacedDeployment({ namespace: ns, name: 'web', body: { metadata: { labels: { touched: 'yes' } } } }, patchAs(k8s.PatchStrategy.MergePatch));
  const conflictMessage = 'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again';
  const byReplace = await apiError(api.apps.replaceNamespacedDeploymentScale({ namespace: ns, name: 'web', body: { ...stale, spec: { replicas: 5 } } }));
  expect(byReplace).toMatchObject({ code: 409, reason: 'Conflict', message: conflictMessage });
  const byPatch = await apiError(
    api.apps.patchNamespacedDeploymentScale(
      { namespace: ns, name: 'web', body: { metadata: { resourceVersion: stale.metadata!.resourceVersion }, spec: { replicas: 5 } } },
      patchAs(k8s.PatchStrategy.MergePatch),
    ),
  );
  expect(byPatch).toMatchObject({ code: 409, message: conflictMessage });
  expect((await api.apps.readNamespacedDeployment({ namespace: ns, name: 'web' })).spec?.replicas).toBe(2);
  expect(await livePods(ns)).toHaveLength(2);
  // The current resourceVersion goes through.
  const fresh = await api.apps.readNamespacedDeploymentScale({ namespace: ns, name: 'web' });
  expect((await api.apps.replaceNamespacedDeploymentScale({ namespace: ns, name: 'web', body: { ...fresh, spec: { replicas: 1 } } })).spec?.replicas).toBe(1);
});

test('a missing Deployment is a 404 for read, patch and replace', async () => {
  const notFound = { code: 404, reason: 'NotFound', message: 'deployments.apps "ghost" not found' };
  expect(await apiError(api.apps.readNamespacedDeploymentScale({ namespace: 'default', name: 'ghost' }))).toMatchObject(notFound);
  expect(
    await apiError(api.apps.patchNamespacedDeploymentScale({ namespace: 'default', name: 'ghost', body: { spec: { replicas: 1 } } }, patchAs(k8s.PatchStrategy.MergePatch))),
  ).toMatchObject(notFound);
  expect(
    await apiError(api.apps.replaceNamespacedDeploymentScale({ namespace: 'default', name: 'ghost', body: { metadata: { name: 'ghost' }, spec: { replicas: 1 } } })),
  ).toMatchObject(notFound);
});

test('discovery lists deployments/scale as autoscaling/v1 Scale with get, patch, update; other methods are 405', async () => {
  const list = (await raw(api.url, 'GET', '/apis/apps/v1')).json() as { resources: { name: string }[] };
  expect(list.resources.find((r) => r.name === 'deployments/scale')).toEqual({
    name: 'deployments/scale',
    singularName: '',
    namespaced: true,
    group: 'autoscaling',
    version: 'v1',
    kind: 'Scale',
    verbs: ['get', 'patch', 'update'],
  });
  expect((await raw(api.url, 'DELETE', '/apis/apps/v1/namespaces/default/deployments/alpine/scale')).status).toBe(405);
  expect((await raw(api.url, 'GET', '/apis/apps/v1/namespaces/default/deployments/alpine/scale?watch=true')).status).toBe(405);
});

test('a Table request answers the apiserver Scale columns (kubectl get --subresource=scale)', async () => {
  const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
  const res = await raw(api.url, 'GET', '/apis/apps/v1/namespaces/default/deployments/alpine/scale', undefined, { Accept: accept });
  const table = res.json() as { kind: string; columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] };
  expect(table.kind).toBe('Table');
  expect(table.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Desired', 'Available']);
  expect(table.rows.map((r) => r.cells)).toEqual([['alpine', 2, 2]]);
});

describe('RBAC', () => {
  const USER = 'scale-reader';
  const POLICY = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: deployment-reader }
rules:
  - apiGroups: ["apps"]
    resources: ["deployments"]
    verbs: ["get", "patch", "update"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: deployment-reader }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: deployment-reader }
subjects: [{ kind: User, name: ${USER} }]
`;
  let sandbox: Sandbox;
  let apps: k8s.AppsV1Api;

  beforeAll(async () => {
    sandbox = await startSandbox({ kubeconfigPath: null, rbac: { yaml: POLICY, as: USER } });
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sandbox.kubeconfigYaml);
    apps = kc.makeApiClient(k8s.AppsV1Api);
  });
  afterAll(() => sandbox.close());

  test('deployments/scale is its own resource: a grant on deployments does not cover it', async () => {
    expect((await apps.readNamespacedDeployment({ namespace: 'default', name: 'alpine' })).spec?.replicas).toBe(2);
    const refused = (verb: string) =>
      `deployments.apps "alpine" is forbidden: User "${USER}" cannot ${verb} resource "deployments/scale" in API group "apps" in the namespace "default"`;
    expect(await apiError(apps.readNamespacedDeploymentScale({ namespace: 'default', name: 'alpine' }))).toMatchObject({ code: 403, message: refused('get') });
    expect(
      await apiError(apps.patchNamespacedDeploymentScale({ namespace: 'default', name: 'alpine', body: { spec: { replicas: 0 } } }, patchAs(k8s.PatchStrategy.MergePatch))),
    ).toMatchObject({ code: 403, message: refused('patch') });
    expect(sandbox.refusals).toContain(refused('patch'));
    expect((await apps.readNamespacedDeployment({ namespace: 'default', name: 'alpine' })).spec?.replicas).toBe(2);
  });
});

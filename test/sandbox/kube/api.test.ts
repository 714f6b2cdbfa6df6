/**
 * The rest of the API through the real client-node: lists (selectors, paging, all namespaces),
 * namespaces, nodes, pods, deployments, endpoints, endpointslices, events, tables, discovery and
 * malformed requests.
 */
import * as k8s from '@kubernetes/client-node';
import { apiError, patchAs, raw, startApi, svc, type TestApi } from './helpers.js';

let api: TestApi;

beforeAll(async () => {
  api = await startApi({ nodes: 4, region: 'eu-west-1', clusterName: 'demo' });
});
afterAll(() => api.close());

const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

describe('lists', () => {
  const ns = 'lists';
  beforeAll(async () => {
    await api.core.createNamespace({ body: { metadata: { name: ns } } });
    for (let i = 0; i < 7; i++) {
      await api.core.createNamespacedService({
        namespace: ns,
        body: svc(`s${i}`, { ports: [{ port: 80 }] }, { labels: { tier: i % 2 ? 'odd' : 'even', index: String(i) } }),
      });
    }
  });

  test('a list carries kind, apiVersion and the current resourceVersion; items are sorted by name', async () => {
    const list = await api.core.listNamespacedService({ namespace: ns });
    expect(list.kind).toBe('ServiceList');
    expect(list.apiVersion).toBe('v1');
    expect(list.metadata?.resourceVersion).toBe(String(api.cluster.store.resourceVersion));
    expect(list.items.map((s) => s.metadata?.name)).toEqual(['s0', 's1', 's2', 's3', 's4', 's5', 's6']);
    expect(list.metadata?._continue).toBeUndefined();
  });

  test.each([
    ['tier=odd', ['s1', 's3', 's5']],
    ['tier!=odd', ['s0', 's2', 's4', 's6']],
    ['index in (0,6,9)', ['s0', 's6']],
    ['index notin (0,1,2,3,4)', ['s5', 's6']],
    ['tier=even,index=2', ['s2']],
    ['!tier', []],
    ['tier', ['s0', 's1', 's2', 's3', 's4', 's5', 's6']],
  ])('labelSelector %s', async (labelSelector, names) => {
    const list = await api.core.listNamespacedService({ namespace: ns, labelSelector });
    expect(list.items.map((s) => s.metadata?.name)).toEqual(names);
  });

  test('fieldSelector on metadata.name and metadata.namespace; unknown fields are a 400', async () => {
    expect((await api.core.listNamespacedService({ namespace: ns, fieldSelector: 'metadata.name=s3' })).items.map((s) => s.metadata?.name)).toEqual(['s3']);
    expect((await api.core.listServiceForAllNamespaces({ fieldSelector: `metadata.namespace=${ns},metadata.name!=s0` })).items).toHaveLength(6);
    const err = await apiError(api.core.listNamespacedService({ namespace: ns, fieldSelector: 'spec.bogus=x' }));
    expect(err).toMatchObject({ code: 400, reason: 'BadRequest', message: 'field label not supported: spec.bogus' });
    const bad = await apiError(api.core.listNamespacedService({ namespace: ns, labelSelector: 'a b' }));
    expect(bad.code).toBe(400);
  });

  test('limit and continue page through a consistent resourceVersion; the last page has no continue', async () => {
    const names: string[] = [];
    let token: string | undefined;
    const rvs = new Set<string | undefined>();
    let pages = 0;
    do {
      const page = await api.core.listNamespacedService({ namespace: ns, limit: 3, _continue: token });
      names.push(...page.items.map((s) => s.metadata!.name!));
      rvs.add(page.metadata?.resourceVersion);
      token = page.metadata?._continue;
      pages += 1;
      if (pages === 1) {
        // A write between pages does not change the list's resourceVersion.
        await api.core.createNamespacedService({ namespace: 'default', body: svc(`between-pages`, { ports: [{ port: 80 }] }) });
      }
    } while (token);
    expect(pages).toBe(3);
    expect(names).toEqual(['s0', 's1', 's2', 's3', 's4', 's5', 's6']);
    expect(rvs.size).toBe(1);
    const withSelector = await api.core.listNamespacedService({ namespace: ns, limit: 2, labelSelector: 'tier=odd' });
    expect(withSelector.items.map((s) => s.metadata?.name)).toEqual(['s1', 's3']);
    const rest = await api.core.listNamespacedService({ namespace: ns, limit: 2, labelSelector: 'tier=odd', _continue: withSelector.metadata?._continue });
    expect(rest.items.map((s) => s.metadata?.name)).toEqual(['s5']);
    expect(rest.metadata?._continue).toBeUndefined();
    expect((await apiError(api.core.listNamespacedService({ namespace: ns, limit: 2, _continue: 'garbage' }))).code).toBe(400);
  });

  test('/api/v1/services lists every namespace; list items carry no kind, like the apiserver', async () => {
    const all = await api.core.listServiceForAllNamespaces();
    const namespaces = new Set(all.items.map((s) => s.metadata?.namespace));
    expect(namespaces.has(ns)).toBe(true);
    expect(namespaces.has('default')).toBe(true);
    const res = await raw(api.url, 'GET', '/api/v1/services?limit=1');
    const body = res.json() as { items: Record<string, unknown>[] };
    expect(body.items[0]).not.toHaveProperty('kind');
  });

  test('Accept: as=Table answers a meta.k8s.io/v1 Table, for lists and single objects', async () => {
    const list = await raw(api.url, 'GET', `/api/v1/namespaces/${ns}/services?limit=2`, undefined, { Accept: TABLE_ACCEPT });
    const table = list.json() as { kind: string; apiVersion: string; columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[]; metadata: { continue?: string } };
    expect(table.kind).toBe('Table');
    expect(table.apiVersion).toBe('meta.k8s.io/v1');
    expect(table.columnDefinitions.map((c) => c.name).slice(0, 3)).toEqual(['Name', 'Type', 'Cluster-IP']);
    expect(table.rows.map((r) => r.cells[0])).toEqual(['s0', 's1']);
    expect(table.metadata.continue).toBeTruthy();
    const one = await raw(api.url, 'GET', `/api/v1/namespaces/${ns}/services/s4`, undefined, { Accept: TABLE_ACCEPT });
    expect((one.json() as { rows: { cells: unknown[] }[] }).rows[0]?.cells[0]).toBe('s4');
    const plain = await raw(api.url, 'GET', `/api/v1/namespaces/${ns}/services/s4`, undefined, { Accept: 'application/json' });
    expect(plain.json()).toMatchObject({ kind: 'Service' });
  });

  test('deletecollection deletes what the selector matches', async () => {
    const dc = 'dc';
    await api.core.createNamespace({ body: { metadata: { name: dc } } });
    for (const name of ['a', 'b', 'c']) {
      await api.core.createNamespacedService({ namespace: dc, body: svc(name, { ports: [{ port: 80 }] }, { labels: { del: name === 'c' ? 'no' : 'yes' } }) });
    }
    await api.core.deleteCollectionNamespacedService({ namespace: dc, labelSelector: 'del=yes' });
    expect((await api.core.listNamespacedService({ namespace: dc })).items.map((s) => s.metadata?.name)).toEqual(['c']);
  });
});

describe('namespaces', () => {
  test('the system namespaces are seeded, Active, labelled with their name', async () => {
    const list = await api.core.listNamespace();
    const names = list.items.map((n) => n.metadata?.name);
    expect(names).toEqual(expect.arrayContaining(['default', 'kube-system', 'kube-public', 'kube-node-lease']) as unknown);
    const def = await api.core.readNamespace({ name: 'default' });
    expect(def.status?.phase).toBe('Active');
    expect(def.spec?.finalizers).toEqual(['kubernetes']);
    expect(def.metadata?.labels).toEqual({ 'kubernetes.io/metadata.name': 'default' });
  });

  test('create validates the name (DNS-1123 label) and refuses duplicates', async () => {
    const created = await api.core.createNamespace({ body: { metadata: { name: 'team-a', labels: { team: 'a' } } } });
    expect(created.metadata?.labels).toEqual({ team: 'a', 'kubernetes.io/metadata.name': 'team-a' });
    expect((await apiError(api.core.createNamespace({ body: { metadata: { name: 'team-a' } } }))).code).toBe(409);
    const bad = await apiError(api.core.createNamespace({ body: { metadata: { name: 'Team.A' } } }));
    expect(bad).toMatchObject({ code: 422, details: { kind: 'Namespace', causes: [{ field: 'metadata.name' }] } });
  });

  test('deleting a namespace makes it Terminating, removes its contents, then removes it', async () => {
    const name = 'doomed';
    await api.core.createNamespace({ body: { metadata: { name } } });
    await api.core.createNamespacedService({ namespace: name, body: svc('x', { selector: { app: 'x' }, ports: [{ port: 80 }] }) });
    await api.core.createNamespacedService({ namespace: name, body: svc('held', { ports: [{ port: 80 }] }, { finalizers: ['example.com/hold'] }) });
    // The apiserver answers the Namespace (client-node types it as a Status, so read it raw).
    const deleted = await raw(api.url, 'DELETE', `/api/v1/namespaces/${name}`);
    expect(deleted.json()).toMatchObject({ kind: 'Namespace', status: { phase: 'Terminating' }, metadata: { deletionTimestamp: expect.any(String) as unknown } });
    const err = await apiError(api.core.createNamespacedService({ namespace: name, body: svc('late', { ports: [{ port: 80 }] }) }));
    expect(err).toMatchObject({ code: 403, reason: 'Forbidden', message: `services "late" is forbidden: unable to create new content in namespace ${name} because it is being terminated` });
    // The finalizer holds the Service, and the Service holds the namespace.
    expect((await api.core.readNamespace({ name })).status?.phase).toBe('Terminating');
    expect((await api.core.listNamespacedService({ namespace: name })).items.map((s) => s.metadata?.name)).toEqual(['held']);
    await api.core.patchNamespacedService({ name: 'held', namespace: name, body: { metadata: { finalizers: null } } }, patchAs(k8s.PatchStrategy.MergePatch));
    expect((await apiError(api.core.readNamespace({ name }))).code).toBe(404);
  });

  test('the system namespaces cannot be deleted', async () => {
    const err = await apiError(api.core.deleteNamespace({ name: 'default' }));
    expect(err).toMatchObject({ code: 403, reason: 'Forbidden', message: 'namespaces "default" is forbidden: this namespace may not be deleted' });
  });
});

describe('nodes', () => {
  test('N EKS-like nodes: names, addresses, zones, providerID with the instance ID, Ready', async () => {
    const list = await api.core.listNode();
    expect(list.items).toHaveLength(4);
    const node = list.items[0]!;
    expect(node.metadata?.name).toBe('ip-10-0-1-11.eu-west-1.compute.internal');
    expect(node.status?.addresses).toEqual([
      { type: 'InternalIP', address: '10.0.1.11' },
      { type: 'ExternalIP', address: expect.stringMatching(/^127\.0\.([1-9]\d?|1\d\d|2[0-4]\d|25[0-4])\.11$/) },
      { type: 'Hostname', address: 'ip-10-0-1-11.eu-west-1.compute.internal' },
      { type: 'InternalDNS', address: 'ip-10-0-1-11.eu-west-1.compute.internal' },
    ]);
    expect(node.metadata?.labels).toMatchObject({
      'kubernetes.io/hostname': node.metadata?.name,
      'topology.kubernetes.io/region': 'eu-west-1',
      'topology.kubernetes.io/zone': 'eu-west-1a',
    });
    expect(node.spec?.providerID).toMatch(/^aws:\/\/\/eu-west-1a\/i-[0-9a-f]{17}$/);
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(new Set(list.items.map((n) => n.spec?.providerID)).size).toBe(4);
    // Loopback ExternalIPs, distinct, in one block: what the host reaches the node ports on.
    const external = list.items.map((n) => n.status?.addresses?.find((a) => a.type === 'ExternalIP')?.address ?? '');
    expect(new Set(external.map((ip) => ip.split('.').slice(0, 3).join('.'))).size).toBe(1);
    expect(external.map((ip) => ip.split('.')[3])).toEqual(['11', '12', '13', '14']);
    expect(list.items.map((n) => n.metadata?.labels?.['topology.kubernetes.io/zone'])).toEqual(['eu-west-1a', 'eu-west-1b', 'eu-west-1c', 'eu-west-1a']);
    expect(api.cluster.listNodes().map((n) => n.spec.providerID)).toEqual(list.items.map((n) => n.spec?.providerID));
    const one = await api.core.readNode({ name: node.metadata!.name! });
    expect(one.metadata?.uid).toBe(node.metadata?.uid);
  });
});

describe('workloads', () => {
  test('the seeded deployment alpine runs two Ready httpd pods', async () => {
    const dep = await api.apps.readNamespacedDeployment({ name: 'alpine', namespace: 'default' });
    expect(dep.spec?.replicas).toBe(2);
    expect(dep.spec?.selector.matchLabels).toEqual({ app: 'alpine' });
    expect(dep.status).toMatchObject({ replicas: 2, readyReplicas: 2, availableReplicas: 2, updatedReplicas: 2 });
    const pods = await api.core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=alpine' });
    expect(pods.items).toHaveLength(2);
    const nodeNames = new Set((await api.core.listNode()).items.map((n) => n.metadata?.name));
    for (const pod of pods.items) {
      const hash = pod.metadata?.labels?.['pod-template-hash'];
      expect(pod.metadata?.name).toMatch(new RegExp(`^alpine-${hash}-[a-z0-9]{5}$`));
      expect(pod.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'ReplicaSet', name: `alpine-${hash}`, controller: true });
      expect(pod.spec?.containers).toEqual([
        expect.objectContaining({ name: 'httpd', image: 'httpd:2.4-alpine', ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }] }),
      ]);
      expect(pod.status?.phase).toBe('Running');
      expect(pod.status?.podIP).toMatch(/^10\.244\.\d+\.\d+$/);
      expect(nodeNames.has(pod.spec?.nodeName)).toBe(true);
      expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    }
    expect((await api.apps.listDeploymentForAllNamespaces()).items.map((d) => d.metadata?.name)).toEqual(['alpine']);
  });

  test('a created pod is scheduled, gets an IP and runs; field selectors on spec.nodeName and status.phase', async () => {
    const created = await api.core.createNamespacedPod({
      namespace: 'default',
      body: { metadata: { name: 'solo', labels: { app: 'solo' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } },
    });
    expect(created.status?.phase).toBe('Pending');
    const pod = await api.core.readNamespacedPod({ name: 'solo', namespace: 'default' });
    expect(pod.status?.phase).toBe('Running');
    expect(pod.spec?.containers[0]?.imagePullPolicy).toBe('IfNotPresent');
    const onNode = await api.core.listNamespacedPod({ namespace: 'default', fieldSelector: `spec.nodeName=${pod.spec!.nodeName!},status.phase=Running` });
    expect(onNode.items.map((p) => p.metadata?.name)).toContain('solo');
    const ips = (await api.core.listPodForAllNamespaces()).items.map((p) => p.status?.podIP);
    expect(new Set(ips).size).toBe(ips.length);
    const invalid = await apiError(api.core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'empty' }, spec: { containers: [] } } }));
    expect(invalid).toMatchObject({ code: 422, message: 'Pod "empty" is invalid: spec.containers: Required value' });
    const deleted = await api.core.deleteNamespacedPod({ name: 'solo', namespace: 'default' });
    expect(deleted.metadata?.deletionTimestamp).toBeInstanceOf(Date);
    expect((await apiError(api.core.readNamespacedPod({ name: 'solo', namespace: 'default' }))).code).toBe(404);
  });

  test('a deleted deployment pod is replaced', async () => {
    const before = await api.core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=alpine' });
    const victim = before.items[0]!.metadata!.name!;
    await api.core.deleteNamespacedPod({ name: victim, namespace: 'default' });
    const after = await api.core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=alpine' });
    expect(after.items).toHaveLength(2);
    expect(after.items.map((p) => p.metadata?.name)).not.toContain(victim);
  });
});

describe('endpoints and endpointslices', () => {
  test('derived from the pods a Service selects, with named target ports resolved', async () => {
    await api.core.createNamespacedService({
      namespace: 'default',
      body: svc('web', { type: 'LoadBalancer', selector: { app: 'alpine' }, ports: [{ name: 'http', port: 8080, targetPort: 'http' }] }, { labels: { team: 'x' } }),
    });
    const pods = (await api.core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=alpine' })).items;
    const ep = await api.core.readNamespacedEndpoints({ name: 'web', namespace: 'default' });
    expect(ep.metadata?.labels).toEqual({ team: 'x' });
    expect(ep.subsets).toHaveLength(1);
    expect(ep.subsets?.[0]?.ports).toEqual([{ name: 'http', port: 80, protocol: 'TCP' }]);
    expect(ep.subsets?.[0]?.addresses?.map((a) => a.ip).sort()).toEqual(pods.map((p) => p.status?.podIP).sort());
    const addr = ep.subsets![0]!.addresses!.find((a) => a.ip === pods[0]!.status!.podIP)!;
    expect(addr.nodeName).toBe(pods[0]!.spec!.nodeName);
    expect(addr.targetRef).toMatchObject({ kind: 'Pod', name: pods[0]!.metadata!.name, namespace: 'default', uid: pods[0]!.metadata!.uid });

    const slices = await api.discovery.listNamespacedEndpointSlice({ namespace: 'default', labelSelector: 'kubernetes.io/service-name=web' });
    expect(slices.items).toHaveLength(1);
    const slice = slices.items[0]!;
    expect(slice.metadata?.name).toMatch(/^web-[a-z0-9]{5}$/);
    expect(slice.addressType).toBe('IPv4');
    expect(slice.ports).toEqual([{ name: 'http', port: 80, protocol: 'TCP' }]);
    expect(slice.endpoints.map((e) => e.addresses[0]).sort()).toEqual(pods.map((p) => p.status?.podIP).sort());
    expect(slice.endpoints[0]?.conditions).toEqual({ ready: true, serving: true, terminating: false });
    expect(slice.endpoints[0]?.zone).toMatch(/^eu-west-1[abc]$/);
    expect(slice.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Service', name: 'web' });
  });

  test('follow pod changes and the Service selector; numeric targetPort', async () => {
    await api.core.createNamespacedService({ namespace: 'default', body: svc('num', { selector: { app: 'nobody' }, ports: [{ port: 81, targetPort: 8081 }] }) });
    const empty = await api.core.readNamespacedEndpoints({ name: 'num', namespace: 'default' });
    expect(empty.subsets).toBeUndefined();
    await api.core.patchNamespacedService({ name: 'num', namespace: 'default', body: { spec: { selector: { app: 'alpine' } } } }, patchAs(k8s.PatchStrategy.MergePatch));
    const full = await api.core.readNamespacedEndpoints({ name: 'num', namespace: 'default' });
    expect(full.subsets?.[0]?.ports).toEqual([{ port: 8081, protocol: 'TCP' }]);
    expect(full.subsets?.[0]?.addresses).toHaveLength(2);
    const podName = full.subsets![0]!.addresses![0]!.targetRef!.name!;
    await api.core.deleteNamespacedPod({ name: podName, namespace: 'default' });
    const after = await api.core.readNamespacedEndpoints({ name: 'num', namespace: 'default' });
    expect(after.subsets?.[0]?.addresses?.map((a) => a.targetRef?.name)).not.toContain(podName);
    expect(after.subsets?.[0]?.addresses).toHaveLength(2);
  });

  test('a Service without selector gets none; a deleted Service loses them', async () => {
    await api.core.createNamespacedService({ namespace: 'default', body: svc('manual', { ports: [{ port: 80 }] }) });
    expect((await apiError(api.core.readNamespacedEndpoints({ name: 'manual', namespace: 'default' }))).code).toBe(404);
    await api.core.deleteNamespacedService({ name: 'num', namespace: 'default' });
    expect((await apiError(api.core.readNamespacedEndpoints({ name: 'num', namespace: 'default' }))).code).toBe(404);
    const slices = await api.discovery.listNamespacedEndpointSlice({ namespace: 'default', labelSelector: 'kubernetes.io/service-name=num' });
    expect(slices.items).toHaveLength(0);
  });
});

describe('events', () => {
  test('recordEvent is visible through the events API; repeats bump count', async () => {
    await api.core.createNamespacedService({ namespace: 'default', body: svc('evt', { type: 'LoadBalancer', ports: [{ port: 80 }] }) });
    const s = api.cluster.getService('default', 'evt')!;
    api.cluster.recordEvent(s, 'Normal', 'EnsuringLoadBalancer', 'Ensuring load balancer');
    api.cluster.recordEvent(s, 'Normal', 'EnsuringLoadBalancer', 'Ensuring load balancer');
    api.cluster.recordEvent(s, 'Warning', 'SyncLoadBalancerFailed', 'Error syncing load balancer: boom');
    const list = await api.core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.name=evt,involvedObject.kind=Service' });
    expect(list.items).toHaveLength(2);
    const ensuring = list.items.find((e) => e.reason === 'EnsuringLoadBalancer')!;
    expect(ensuring).toMatchObject({
      type: 'Normal',
      message: 'Ensuring load balancer',
      count: 2,
      source: { component: 'service-controller' },
      involvedObject: { kind: 'Service', name: 'evt', namespace: 'default', uid: s.metadata.uid, apiVersion: 'v1' },
    });
    expect(ensuring.metadata?.name).toMatch(/^evt\.[0-9a-f]+$/);
    expect(ensuring.firstTimestamp).toBeInstanceOf(Date);
    expect(ensuring.lastTimestamp).toBeInstanceOf(Date);
    const warnings = await api.core.listEventForAllNamespaces({ fieldSelector: 'type=Warning' });
    expect(warnings.items.map((e) => e.reason)).toContain('SyncLoadBalancerFailed');
    const one = await api.core.readNamespacedEvent({ name: ensuring.metadata.name!, namespace: 'default' });
    expect(one.count).toBe(2);
  });
});

describe('discovery and malformed requests', () => {
  test('discovery, openapi and health endpoints answer', async () => {
    const version = await raw(api.url, 'GET', '/version');
    expect(version.json()).toMatchObject({ major: '1' });
    const v1 = await raw(api.url, 'GET', '/api/v1');
    expect(v1.headers.get('content-type')).toBe('application/json');
    expect(v1.json()).toMatchObject({ kind: 'APIResourceList', groupVersion: 'v1' });
    expect((await raw(api.url, 'GET', '/apis')).json()).toMatchObject({ kind: 'APIGroupList' });
    expect((await raw(api.url, 'GET', '/openapi/v3')).status).toBe(200);
    expect((await raw(api.url, 'GET', '/healthz')).text).toBe('ok');
    const code = await api.kc.makeApiClient(k8s.VersionApi).getCode();
    expect(code.gitVersion).toMatch(/^v1\./);
  });

  test.each([
    ['malformed JSON', 'POST', '/api/v1/namespaces/default/services', '{"metadata": {', {}, 400, 'BadRequest'],
    ['an empty body', 'POST', '/api/v1/namespaces/default/services', '', {}, 400, 'BadRequest'],
    ['a body of the wrong JSON type', 'POST', '/api/v1/namespaces/default/services', '[1,2]', {}, 400, 'BadRequest'],
    ['an unknown resource', 'GET', '/api/v1/namespaces/default/widgets', undefined, {}, 404, 'NotFound'],
    ['an unknown group', 'GET', '/apis/batch/v1/jobs', undefined, {}, 404, 'NotFound'],
    ['an unknown subresource', 'GET', '/api/v1/namespaces/default/services/web/scale', undefined, {}, 404, 'NotFound'],
    ['POST to an object', 'POST', '/api/v1/namespaces/default/services/web', '{}', {}, 405, 'MethodNotAllowed'],
    ['PUT to a collection', 'PUT', '/api/v1/namespaces/default/services', '{}', {}, 405, 'MethodNotAllowed'],
    ['deletecollection of namespaces', 'DELETE', '/api/v1/namespaces', undefined, {}, 405, 'MethodNotAllowed'],
    ['a text/plain body', 'POST', '/api/v1/namespaces/default/services', 'x', { 'Content-Type': 'text/plain' }, 415, 'UnsupportedMediaType'],
    ['server-side apply', 'PATCH', '/api/v1/namespaces/default/services/web', 'x: 1', { 'Content-Type': 'application/apply-patch+yaml' }, 415, 'UnsupportedMediaType'],
    ['a patch of unknown type', 'PATCH', '/api/v1/namespaces/default/services/web', '{}', { 'Content-Type': 'application/json' }, 415, 'UnsupportedMediaType'],
    ['a malformed patch', 'PATCH', '/api/v1/namespaces/default/services/web', '{', { 'Content-Type': 'application/merge-patch+json' }, 400, 'BadRequest'],
    ['a bad dryRun value', 'POST', '/api/v1/namespaces/default/services?dryRun=Some', '{}', {}, 400, 'BadRequest'],
  ])('%s', async (_name, method, path, body, headers, code, reason) => {
    const res = await raw(api.url, method, path, body, headers);
    expect(res.status).toBe(code);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.json()).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason });
  });

  test('server-side apply says what to use instead', async () => {
    const res = await raw(api.url, 'PATCH', '/api/v1/namespaces/default/services/web', 'x: 1', { 'Content-Type': 'application/apply-patch+yaml' });
    expect((res.json() as { message: string }).message).toContain('server-side apply');
  });

  test('YAML bodies are accepted, like the apiserver does', async () => {
    const yaml = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: from-yaml\nspec:\n  ports:\n  - port: 80\n';
    const res = await raw(api.url, 'POST', '/api/v1/namespaces/default/services', yaml, { 'Content-Type': 'application/yaml' });
    expect(res.status).toBe(201);
  });

  test('a watch of a single object by name through the object URL', async () => {
    const abort = new AbortController();
    const res = await fetch(`${api.url}/api/v1/namespaces/default/services/from-yaml?watch=true`, { signal: abort.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('\n')) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += Buffer.from(chunk.value).toString('utf8');
    }
    abort.abort();
    const event = JSON.parse(text.split('\n')[0]!) as { type: string; object: { kind: string; metadata: { name: string } } };
    expect(event).toMatchObject({ type: 'ADDED', object: { kind: 'Service', metadata: { name: 'from-yaml' } } });
  });
});

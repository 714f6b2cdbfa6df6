/**
 * The Service watch behind the jobs' wake-ups, against the sandbox's apiserver: it sees changes, and it
 * recovers by itself from dropped watch connections, from 410 Gone (compacted history) and from 500s.
 */
import { createKubernetesServiceWatch, type KubernetesServiceWatch } from '../../src/adapters/kubernetes-watch.js';
import type { ServiceView } from '../../src/domain/views.js';
import { sandboxKubeConfig, startSandboxTarget, type SandboxTarget } from '../contract/sandbox-fixtures.js';
import { rbacYaml } from '../../src/domain/kubernetes-access.js';
import { sandboxClients } from '../helpers/sandbox-clients.js';
import { waitFor } from '../helpers/wait.js';
import { lbManifest, uniqueName } from './jobs-harness.js';

let target: SandboxTarget;
let watch: KubernetesServiceWatch;
beforeAll(async () => {
  target = await startSandboxTarget({ provisionDelayMs: 50 });
  watch = createKubernetesServiceWatch({ kubeConfig: () => sandboxKubeConfig(target.sandbox), minBackoffMs: 20, maxBackoffMs: 200 });
});
afterAll(async () => {
  await watch.close();
  await target.close();
});
afterEach(() => target.sandbox.faults.reset());

const cluster = () => target.sandbox.info.clusterName;

/** Subscribes to a Service and records every view the listener gets. */
function follow(name: string): { seen: (ServiceView | undefined)[]; stop: () => void } {
  const seen: (ServiceView | undefined)[] = [];
  const stop = watch.subscribe({ cluster: cluster(), namespace: 'default', name }, (svc) => seen.push(svc));
  return { seen, stop };
}

test('a new LoadBalancer Service: the listener sees it, then its hostname; the cache follows', async () => {
  await watch.ready(cluster());
  const name = uniqueName('w');
  const f = follow(name);
  await target.registry.get().cluster.createService(lbManifest(name));
  const withHost = await waitFor(() => f.seen.find((s) => (s?.loadBalancerHostnames.length ?? 0) > 0), { what: 'the hostname through the watch' });
  expect(withHost?.name).toBe(name);
  expect(watch.get({ cluster: cluster(), namespace: 'default', name })?.loadBalancerHostnames).toEqual(withHost?.loadBalancerHostnames);
  await target.registry.get().cluster.deleteService('default', name);
  await waitFor(() => f.seen.at(-1) === undefined && watch.get({ cluster: cluster(), namespace: 'default', name }) === undefined, { what: 'the deletion' });
  f.stop();
});

test('dropped watch connections (watchDropEverySeconds) are resumed: changes after the drops are seen', async () => {
  await watch.ready(cluster());
  target.sandbox.faults.set({ watchDropEverySeconds: 1 });
  const name = uniqueName('drop');
  const f = follow(name);
  const { cluster: gw } = target.registry.get();
  await gw.createService(lbManifest(name, 'ClusterIP'));
  await waitFor(() => f.seen.some((s) => s?.type === 'ClusterIP'), { what: 'the creation' });
  // After the server has dropped the watch (and it was resumed), change the Service.
  const before = watch.stats(cluster());
  await waitFor(() => watch.stats(cluster()).watches >= before.watches + 1, { what: 'a dropped watch to be resumed', timeoutMs: 5000 });
  expect(watch.stats(cluster()).lists).toBe(before.lists); // resumed from its resourceVersion, no re-list
  await gw.setServiceType('default', name, 'NodePort');
  await waitFor(() => f.seen.some((s) => s?.type === 'NodePort'), { what: 'the change after a drop', timeoutMs: 5000 });
  f.stop();
});

test('410 Gone after the watch history is compacted: re-lists and sees the change', async () => {
  await watch.ready(cluster());
  const name = uniqueName('gone');
  const f = follow(name);
  const { cluster: gw } = target.registry.get();
  target.sandbox.faults.set({ watchDropEverySeconds: 1 });
  await gw.createService(lbManifest(name, 'ClusterIP'));
  await waitFor(() => f.seen.some((s) => s?.type === 'ClusterIP'), { what: 'the creation' });
  // History compacted: resuming (after the next drop) from the old resourceVersion answers 410 -> re-list.
  const before = watch.stats(cluster());
  target.sandbox.cluster.compactWatchHistory();
  await waitFor(() => watch.stats(cluster()).gone > before.gone && watch.stats(cluster()).lists > before.lists, { what: 'a 410 and a re-list', timeoutMs: 5000 });
  await gw.setServiceType('default', name, 'NodePort');
  await waitFor(() => f.seen.some((s) => s?.type === 'NodePort'), { what: 'the change across a 410', timeoutMs: 5000 });
  expect(watch.get({ cluster: cluster(), namespace: 'default', name })?.type).toBe('NodePort');
  f.stop();
});

test('apiserver 500s while re-listing: retried with backoff until the watch is back', async () => {
  await watch.ready(cluster());
  const name = uniqueName('err');
  const f = follow(name);
  const before = watch.stats(cluster());
  target.sandbox.faults.set({ watchDropEverySeconds: 1, kubeErrorEveryN: 2 });
  target.sandbox.cluster.compactWatchHistory();
  await waitFor(() => watch.stats(cluster()).failures > before.failures, { what: 'a failed list or watch', timeoutMs: 5000 });
  target.sandbox.faults.set({ kubeErrorEveryN: 0 });
  await target.registry.get().cluster.createService(lbManifest(name, 'ClusterIP'));
  await waitFor(() => f.seen.some((s) => s?.name === name), { what: 'the Service despite 500s', timeoutMs: 8000 });
  f.stop();
});

describe('a namespaced install: one list + watch per configured namespace, under Roles in those namespaces only', () => {
  let scoped: SandboxTarget;
  let namespacedWatch: KubernetesServiceWatch;
  beforeAll(async () => {
    scoped = await startSandboxTarget({ provisionDelayMs: 50, rbac: { yaml: rbacYaml(['team-a', 'team-b']), as: 'system:serviceaccount:svcbot:svcbot' } });
    const admin = sandboxClients(scoped.sandbox);
    for (const name of ['team-a', 'team-b', 'team-c']) await admin.core.createNamespace({ body: { metadata: { name } } });
    namespacedWatch = createKubernetesServiceWatch({
      kubeConfig: () => sandboxKubeConfig(scoped.sandbox),
      namespaces: () => ['team-a', 'team-b'],
      minBackoffMs: 20,
      maxBackoffMs: 200,
    });
  });
  afterAll(async () => {
    await namespacedWatch.close();
    await scoped.close();
  });

  test('changes in each namespace are seen; a Service elsewhere is not watched; nothing is refused', async () => {
    const name = scoped.sandbox.info.clusterName;
    await namespacedWatch.ready(name);
    expect(namespacedWatch.stats(name)).toMatchObject({ lists: 2, watches: 2, failures: 0 });
    const seen: string[] = [];
    const stops = ['team-a', 'team-b', 'team-c'].map((namespace) => namespacedWatch.subscribe({ cluster: name, namespace, name: 'web' }, (svc) => seen.push(`${namespace}:${svc?.type ?? 'gone'}`)));
    const admin = sandboxClients(scoped.sandbox);
    for (const namespace of ['team-a', 'team-b', 'team-c']) {
      await admin.core.createNamespacedService({ namespace, body: { metadata: { name: 'web' }, spec: { type: 'NodePort', selector: { app: 'x' }, ports: [{ port: 80 }] } } });
    }
    await waitFor(() => seen.includes('team-a:NodePort') && seen.includes('team-b:NodePort'), { what: 'both namespaces through their watches' });
    expect(namespacedWatch.get({ cluster: name, namespace: 'team-b', name: 'web' })?.type).toBe('NodePort');
    expect(namespacedWatch.get({ cluster: name, namespace: 'team-c', name: 'web' })).toBeUndefined();
    expect(seen.filter((s) => s.startsWith('team-c'))).toEqual([]);
    for (const stop of stops) stop();
    expect(scoped.sandbox.refusals).toEqual([]);
  });
});

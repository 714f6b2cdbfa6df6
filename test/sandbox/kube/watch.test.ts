/**
 * Watches through client-node's `Watch` and `makeInformer`: initial state, live events, resume
 * from a resourceVersion, 410 Expired after compaction, selectors, Tables, and the fault knobs
 * (watch drops, injected errors, latency).
 */
import * as k8s from '@kubernetes/client-node';
import type { AddressInfo } from 'node:net';
import { apiError, eventually, patchAs, raw, startApi, svc, type TestApi } from './helpers.js';

let api: TestApi;

beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api.close());
afterEach(() => api.faults.reset());

interface Seen {
  type: string;
  name: string;
  rv: string;
  object: Record<string, unknown>;
}

interface Collector {
  events: Seen[];
  done: Promise<unknown>;
  stop(): void;
}

async function collect(path: string, params: Record<string, string | number | boolean | undefined> = {}): Promise<Collector> {
  const events: Seen[] = [];
  let resolveDone: (err: unknown) => void = () => undefined;
  const done = new Promise<unknown>((r) => (resolveDone = r));
  const controller = await new k8s.Watch(api.kc).watch(
    path,
    params,
    (type, obj: { metadata?: { name?: string; resourceVersion?: string } } & Record<string, unknown>) => {
      events.push({ type, name: obj.metadata?.name ?? '', rv: obj.metadata?.resourceVersion ?? '', object: obj });
    },
    (err) => resolveDone(err),
  );
  return { events, done, stop: () => controller.abort() };
}

const names = (events: Seen[]) => events.map((e) => `${e.type} ${e.name}`);

async function newNamespace(name: string): Promise<string> {
  await api.core.createNamespace({ body: { metadata: { name } } });
  return name;
}

describe('Watch', () => {
  test('without resourceVersion: ADDED for what exists, then live ADDED/MODIFIED/DELETED', async () => {
    const ns = await newNamespace('w-live');
    await api.core.createNamespacedService({ namespace: ns, body: svc('first', { ports: [{ port: 80 }] }) });
    const w = await collect(`/api/v1/namespaces/${ns}/services`);
    await eventually(() => (w.events.length >= 1 ? true : undefined));
    await api.core.createNamespacedService({ namespace: ns, body: svc('second', { ports: [{ port: 80 }] }) });
    await api.core.patchNamespacedService({ name: 'second', namespace: ns, body: { metadata: { labels: { a: 'b' } } } }, patchAs(k8s.PatchStrategy.MergePatch));
    const deleted = await api.core.deleteNamespacedService({ name: 'first', namespace: ns });
    await eventually(() => (w.events.length >= 4 ? true : undefined));
    expect(names(w.events)).toEqual(['ADDED first', 'ADDED second', 'MODIFIED second', 'DELETED first']);
    expect(w.events[0]!.object).toMatchObject({ kind: 'Service', apiVersion: 'v1' });
    expect(Number(w.events[3]!.rv)).toBeGreaterThan(Number(w.events[2]!.rv));
    // The DELETED event and the DELETE answer carry the resourceVersion of the deletion.
    expect(w.events[3]!.rv).toBe(deleted.metadata?.resourceVersion);
    expect(api.cluster.openWatches).toBeGreaterThanOrEqual(1);
    w.stop();
    await eventually(() => (api.cluster.openWatches === 0 ? true : undefined));
  });

  test('resuming from a resourceVersion replays only what happened after it', async () => {
    const ns = await newNamespace('w-resume');
    await api.core.createNamespacedService({ namespace: ns, body: svc('a', { ports: [{ port: 80 }] }) });
    const list = await api.core.listNamespacedService({ namespace: ns });
    await api.core.createNamespacedService({ namespace: ns, body: svc('b', { ports: [{ port: 80 }] }) });
    await api.core.deleteNamespacedService({ name: 'a', namespace: ns });
    const w = await collect(`/api/v1/namespaces/${ns}/services`, { resourceVersion: list.metadata!.resourceVersion! });
    await eventually(() => (w.events.length >= 2 ? true : undefined));
    expect(names(w.events)).toEqual(['ADDED b', 'DELETED a']);
    w.stop();
  });

  test('after compactWatchHistory an old resourceVersion gets an ERROR 410 Expired event and the stream ends', async () => {
    const ns = await newNamespace('w-expired');
    const list = await api.core.listNamespacedService({ namespace: ns });
    await api.core.createNamespacedService({ namespace: ns, body: svc('a', { ports: [{ port: 80 }] }) });
    api.cluster.compactWatchHistory();
    const current = api.cluster.store.resourceVersion;
    const old = list.metadata!.resourceVersion!;
    const w = await collect(`/api/v1/namespaces/${ns}/services`, { resourceVersion: old });
    await expect(w.done).resolves.toBeNull();
    expect(w.events).toHaveLength(1);
    expect(w.events[0]!.type).toBe('ERROR');
    expect(w.events[0]!.object).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `too old resource version: ${old} (${current})`,
      reason: 'Expired',
      code: 410,
    });
    // The current resourceVersion itself still works.
    const ok = await collect(`/api/v1/namespaces/${ns}/services`, { resourceVersion: String(current) });
    await api.core.createNamespacedService({ namespace: ns, body: svc('b', { ports: [{ port: 80 }] }) });
    await eventually(() => (ok.events.length >= 1 ? true : undefined));
    expect(names(ok.events)).toEqual(['ADDED b']);
    ok.stop();
  });

  test('label selectors: an object leaving the selection is DELETED, one entering it ADDED', async () => {
    const ns = await newNamespace('w-labels');
    await api.core.createNamespacedService({ namespace: ns, body: svc('x', { ports: [{ port: 80 }] }, { labels: { watch: 'yes' } }) });
    const w = await collect(`/api/v1/namespaces/${ns}/services`, { labelSelector: 'watch=yes' });
    await eventually(() => (w.events.length >= 1 ? true : undefined));
    await api.core.createNamespacedService({ namespace: ns, body: svc('other', { ports: [{ port: 80 }] }) });
    await api.core.patchNamespacedService({ name: 'x', namespace: ns, body: { metadata: { labels: { watch: 'no' } } } }, patchAs(k8s.PatchStrategy.MergePatch));
    await api.core.patchNamespacedService({ name: 'other', namespace: ns, body: { metadata: { labels: { watch: 'yes' } } } }, patchAs(k8s.PatchStrategy.MergePatch));
    await eventually(() => (w.events.length >= 3 ? true : undefined));
    expect(names(w.events)).toEqual(['ADDED x', 'DELETED x', 'ADDED other']);
    w.stop();
  });

  test('fieldSelector metadata.name (what kubectl delete --wait watches)', async () => {
    const ns = await newNamespace('w-fields');
    for (const name of ['keep', 'gone']) await api.core.createNamespacedService({ namespace: ns, body: svc(name, { ports: [{ port: 80 }] }) });
    const w = await collect(`/api/v1/namespaces/${ns}/services`, { fieldSelector: 'metadata.name=gone' });
    await eventually(() => (w.events.length >= 1 ? true : undefined));
    await api.core.deleteNamespacedService({ name: 'keep', namespace: ns });
    await api.core.deleteNamespacedService({ name: 'gone', namespace: ns });
    await eventually(() => (w.events.length >= 2 ? true : undefined));
    expect(names(w.events)).toEqual(['ADDED gone', 'DELETED gone']);
    w.stop();
  });

  test('finalizers: DELETE is a MODIFIED with deletionTimestamp; emptying the finalizers is MODIFIED then DELETED', async () => {
    const ns = await newNamespace('w-finalizers');
    await api.core.createNamespacedService({ namespace: ns, body: svc('held', { ports: [{ port: 80 }] }, { finalizers: ['example.com/x'] }) });
    const w = await collect(`/api/v1/namespaces/${ns}/services`);
    await eventually(() => (w.events.length >= 1 ? true : undefined));
    await api.core.deleteNamespacedService({ name: 'held', namespace: ns });
    await api.core.patchNamespacedService(
      { name: 'held', namespace: ns, body: { metadata: { $patch: 'merge', finalizers: null } } },
      patchAs(k8s.PatchStrategy.StrategicMergePatch),
    );
    await eventually(() => (w.events.length >= 4 ? true : undefined));
    expect(names(w.events)).toEqual(['ADDED held', 'MODIFIED held', 'MODIFIED held', 'DELETED held']);
    expect((w.events[1]!.object.metadata as { deletionTimestamp?: unknown }).deletionTimestamp).toBeDefined();
    w.stop();
  });

  test('cluster-wide watches, other resources, timeoutSeconds ends the stream', async () => {
    const w = await collect('/api/v1/namespaces', { timeoutSeconds: 1 });
    const nodes = await collect('/api/v1/nodes', { timeoutSeconds: 1 });
    await newNamespace('w-cluster-wide');
    await expect(w.done).resolves.toBeNull();
    expect(names(w.events)).toContain('ADDED w-cluster-wide');
    expect(names(w.events)).toContain('ADDED default');
    await nodes.done;
    expect(nodes.events.filter((e) => e.type === 'ADDED')).toHaveLength(3);
  });

  test('bad watch parameters are a 400 before the stream starts', async () => {
    const res = await raw(api.url, 'GET', '/api/v1/services?watch=true&labelSelector=a%20b');
    expect(res.status).toBe(400);
    const rv = await raw(api.url, 'GET', '/api/v1/services?watch=true&resourceVersion=abc');
    expect(rv.status).toBe(400);
  });

  test('sendInitialEvents with bookmarks ends the initial state with an initial-events-end BOOKMARK', async () => {
    const ns = await newNamespace('w-bookmark');
    await api.core.createNamespacedService({ namespace: ns, body: svc('a', { ports: [{ port: 80 }] }) });
    const w = await collect(`/api/v1/namespaces/${ns}/services`, { sendInitialEvents: true, allowWatchBookmarks: true, resourceVersionMatch: 'NotOlderThan' });
    await eventually(() => (w.events.length >= 2 ? true : undefined));
    expect(names(w.events)).toEqual(['ADDED a', 'BOOKMARK ']);
    expect(w.events[1]!.object).toMatchObject({ kind: 'Service', metadata: { annotations: { 'k8s.io/initial-events-end': 'true' } } });
    w.stop();
  });

  test('as=Table watches carry one-row Tables, column definitions only in the first event', async () => {
    const ns = await newNamespace('w-table');
    await api.core.createNamespacedService({ namespace: ns, body: svc('a', { ports: [{ port: 80 }] }) });
    const abort = new AbortController();
    const res = await fetch(`${api.url}/api/v1/namespaces/${ns}/services?watch=1`, {
      headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' },
      signal: abort.signal,
    });
    const reader = res.body!.getReader();
    let text = '';
    const lines = () => text.split('\n').filter((l) => l !== '');
    const readLines = async (n: number) => {
      while (lines().length < n) {
        const chunk = await reader.read();
        if (chunk.done) break;
        text += Buffer.from(chunk.value).toString('utf8');
      }
    };
    await readLines(1);
    await api.core.createNamespacedService({ namespace: ns, body: svc('b', { ports: [{ port: 80 }] }) });
    await readLines(2);
    abort.abort();
    const [first, second] = lines().map((l) => JSON.parse(l) as { type: string; object: { kind: string; columnDefinitions: unknown[]; rows: { cells: unknown[] }[] } });
    expect(first).toMatchObject({ type: 'ADDED', object: { kind: 'Table' } });
    expect(first!.object.columnDefinitions.length).toBeGreaterThan(0);
    expect(first!.object.rows[0]!.cells[0]).toBe('a');
    expect(second!.object.columnDefinitions).toEqual([]);
    expect(second!.object.rows[0]!.cells[0]).toBe('b');
  });
});

describe('informers and the watch-drop knob', () => {
  test('makeInformer keeps its cache through dropped watches and 410s', async () => {
    const ns = await newNamespace('w-informer');
    await api.core.createNamespacedService({ namespace: ns, body: svc('before', { ports: [{ port: 80 }] }) });
    const informer = k8s.makeInformer(api.kc, `/api/v1/namespaces/${ns}/services`, () => api.core.listNamespacedService({ namespace: ns }));
    const errors: unknown[] = [];
    informer.on(k8s.ERROR, (err) => errors.push(err));
    const connects: number[] = [];
    informer.on(k8s.CONNECT, () => connects.push(Date.now()));
    await informer.start();
    const cached = () => informer.list(ns).map((s) => s.metadata?.name).sort();
    await eventually(() => (cached().includes('before') ? true : undefined));

    api.faults.set({ watchDropEverySeconds: 0.1 });
    const connectsBefore = connects.length;
    await eventually(() => (connects.length >= connectsBefore + 2 ? true : undefined));
    await api.core.createNamespacedService({ namespace: ns, body: svc('during', { ports: [{ port: 80 }] }) });
    await eventually(() => (cached().includes('during') ? true : undefined));

    // A dropped watch resuming from a compacted resourceVersion gets 410 and relists.
    api.faults.set({ watchDropEverySeconds: 0 });
    api.cluster.compactWatchHistory();
    await api.core.createNamespacedService({ namespace: ns, body: svc('after', { ports: [{ port: 80 }] }) });
    await api.core.deleteNamespacedService({ name: 'before', namespace: ns });
    api.faults.set({ watchDropEverySeconds: 0.1 });
    await eventually(() => (cached().join() === 'after,during' ? true : undefined));
    api.faults.set({ watchDropEverySeconds: 0 });
    expect(errors).toEqual([]);
    await informer.stop();
    await eventually(() => (api.cluster.openWatches === 0 ? true : undefined));
  });
});

describe('fault knobs', () => {
  test('kubeErrorEveryN answers every Nth request with a 500 InternalError Status', async () => {
    api.faults.set({ kubeErrorEveryN: 3 });
    const results: (number | 'ok')[] = [];
    for (let i = 0; i < 6; i++) {
      try {
        await api.core.readNamespace({ name: 'default' });
        results.push('ok');
      } catch (err) {
        results.push(err instanceof k8s.ApiException ? err.code : -1);
      }
    }
    expect(results).toEqual(['ok', 'ok', 500, 'ok', 'ok', 500]);
    const status = await (async () => {
      await api.core.readNamespace({ name: 'default' });
      await api.core.readNamespace({ name: 'default' });
      return apiError(api.core.readNamespace({ name: 'default' }));
    })();
    expect(status).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'InternalError', code: 500 });
    expect(status.message).toContain('Internal error occurred: injected fault');
    api.faults.set({ kubeErrorEveryN: 0 });
    await api.core.readNamespace({ name: 'default' });
  });

  test('kubeLatencyMs delays every request', async () => {
    api.faults.set({ kubeLatencyMs: 150 });
    const started = Date.now();
    await api.core.readNamespace({ name: 'default' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    api.faults.set({ kubeLatencyMs: 0 });
  });

  test('closing the server ends open watches instead of hanging', async () => {
    const other = await startApi();
    const w = await new k8s.Watch(other.kc).watch('/api/v1/services', {}, () => undefined, () => undefined);
    await eventually(() => (other.cluster.openWatches === 1 ? true : undefined));
    await other.close();
    expect(other.cluster.openWatches).toBe(0);
    w.abort();
    expect((other.server.address() as AddressInfo | null) ?? null).toBeNull();
  });
});

import { Store, type StoreEvent } from '../../../sandbox/kube/store.js';
import type { KubeObject } from '../../../sandbox/kube/types.js';

function obj(namespace: string, name: string, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, uid: `uid-${name}`, resourceVersion: '', creationTimestamp: '2024-01-01T00:00:00Z' },
    ...extra,
  };
}

describe('Store', () => {
  test('every write bumps one global resourceVersion; an object carries the RV of its last write', () => {
    const store = new Store();
    const a = store.create('services', obj('ns1', 'a'));
    const b = store.create('pods', obj('ns1', 'b'));
    const a2 = store.update('services', { ...a, spec: { x: 1 } });
    const gone = store.delete('pods', 'ns1', 'b');
    expect([a.metadata.resourceVersion, b.metadata.resourceVersion, a2.metadata.resourceVersion]).toEqual(['1', '2', '3']);
    expect(gone?.metadata.resourceVersion).toBe('4');
    expect(store.resourceVersion).toBe(4);
    expect(store.get('pods', 'ns1', 'b')).toBeUndefined();
  });

  test('stored objects are frozen', () => {
    const store = new Store();
    const a = store.create('services', obj('ns1', 'a', { spec: { ports: [{ port: 80 }] } }));
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen((a.spec as { ports: object[] }).ports[0])).toBe(true);
  });

  test('lists sort by namespace then name, per namespace or across all, and page after a position', () => {
    const store = new Store();
    for (const [ns, name] of [['b', 'z'], ['a', 'y'], ['b', 'a'], ['a', 'x']] as const) store.create('services', obj(ns, name));
    const names = (list: KubeObject[]) => list.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
    expect(names(store.list('services'))).toEqual(['a/x', 'a/y', 'b/a', 'b/z']);
    expect(names(store.list('services', 'b'))).toEqual(['b/a', 'b/z']);
    const after: KubeObject[] = [];
    store.scan('services', undefined, { namespace: 'a', name: 'y' }, (o) => (after.push(o), true));
    expect(names(after)).toEqual(['b/a', 'b/z']);
    expect(store.count('services')).toBe(4);
    expect(store.count('services', 'a')).toBe(2);
  });

  test('history replays events after a resourceVersion; compaction makes older ones expire (410)', () => {
    const store = new Store();
    store.create('services', obj('ns', 'a'));
    store.create('services', obj('ns', 'b'));
    store.create('services', obj('ns', 'c'));
    const since1 = store.eventsSince(1);
    expect(Array.isArray(since1) && since1.map((e) => e.object.metadata.name)).toEqual(['b', 'c']);
    store.compact();
    expect(store.eventsSince(1)).toEqual({ expired: 'too old resource version: 1 (3)' });
    expect(store.eventsSince(3)).toEqual([]);
    store.create('services', obj('ns', 'd'));
    expect(store.eventsSince(2)).toEqual({ expired: 'too old resource version: 2 (3)' });
    const since3 = store.eventsSince(3);
    expect(Array.isArray(since3) && since3.map((e) => e.rv)).toEqual([4]);
  });

  test('the history is bounded', () => {
    const store = new Store(10);
    for (let i = 0; i < 30; i++) store.create('services', obj('ns', `s${i}`));
    expect(store.eventsSince(1)).toHaveProperty('expired');
    const recent = store.eventsSince(25);
    expect(Array.isArray(recent) && recent.length).toBe(5);
  });

  test('subscribers hear writes in commit order, even writes made from inside a subscriber', () => {
    const store = new Store();
    const heard: string[] = [];
    store.subscribe((ev) => {
      if (ev.object.metadata.name === 'a' && ev.type === 'ADDED') store.create('services', obj('ns', 'from-listener'));
    });
    store.subscribe((ev: StoreEvent) => heard.push(`${ev.rv}:${ev.object.metadata.name}`));
    store.create('services', obj('ns', 'a'));
    expect(heard).toEqual(['1:a', '2:from-listener']);
  });

  test('a throwing subscriber does not stop the others; the writer gets the error', () => {
    const store = new Store();
    const heard: string[] = [];
    store.subscribe(() => {
      throw new Error('boom');
    });
    store.subscribe((ev) => heard.push(ev.object.metadata.name));
    expect(() => store.create('services', obj('ns', 'a'))).toThrow('boom');
    expect(heard).toEqual(['a']);
    expect(store.get('services', 'ns', 'a')).toBeDefined();
  });

  test('10,000 objects: writes and one-namespace lists stay fast', () => {
    const store = new Store();
    const started = Date.now();
    for (let i = 0; i < 10_000; i++) store.create('services', obj(`ns${i % 100}`, `svc-${i}`));
    store.create('services', obj('small', 'only'));
    expect(store.list('services', 'small')).toHaveLength(1);
    expect(store.list('services', 'ns7')).toHaveLength(100);
    expect(store.list('services')).toHaveLength(10_001);
    // Generous bound: this is about complexity (no quadratic scans), not a benchmark.
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

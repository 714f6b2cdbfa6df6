/**
 * In-memory object store of the simulated apiserver, modelled on etcd behind the apiserver's
 * watch cache:
 * - objects keyed by (resource, namespace, name) in nested Maps, so listing one namespace only
 *   touches that namespace; sorted name lists are cached per namespace for paging;
 * - one global resourceVersion that every write bumps; `metadata.resourceVersion` of an object is
 *   the RV of its last write (a deleted object carries the RV of its deletion);
 * - a bounded history of events so that a watch can resume from a resourceVersion, answering
 *   410 Expired (`too old resource version: X (Y)`) once that RV has left the history;
 * - synchronous fan-out to subscribers after each write, in commit order even when a subscriber
 *   writes from inside its callback (notifications are queued, never re-entered).
 * Stored objects are deep-frozen: readers get them without copying, writers store new objects.
 */
import type { KubeObject } from './types.js';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: ChangeType;
  resource: string;
  /** The resourceVersion of this write. */
  rv: number;
  object: KubeObject;
  /** The object before the write (MODIFIED and DELETED). */
  prev?: KubeObject;
}

export type StoreListener = (event: StoreEvent) => void;

const DEFAULT_HISTORY_SIZE = 5000;

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** A deep, mutable copy of a stored object. */
export function cloneObject<T>(obj: T): T {
  return structuredClone(obj);
}

/** Where a paged list resumes: after this (namespace, name). */
export interface ListPosition {
  namespace: string;
  name: string;
}

export class Store {
  private rv = 0;
  /** resource -> namespace ('' for cluster-scoped) -> name -> object */
  private readonly tables = new Map<string, Map<string, Map<string, KubeObject>>>();
  private readonly sortedNames = new Map<string, string[]>();
  private history: StoreEvent[] = [];
  /** Highest RV that is no longer in the history (0: nothing forgotten yet). */
  private compactedThrough = 0;
  private readonly listeners = new Set<StoreListener>();
  private readonly pending: StoreEvent[] = [];
  private dispatching = false;

  constructor(private readonly historySize = DEFAULT_HISTORY_SIZE) {}

  /** The current (latest committed) resourceVersion. */
  get resourceVersion(): number {
    return this.rv;
  }

  get(resource: string, namespace: string, name: string): KubeObject | undefined {
    return this.tables.get(resource)?.get(namespace)?.get(name);
  }

  /** Number of objects of a resource (in one namespace, or all). */
  count(resource: string, namespace?: string): number {
    const table = this.tables.get(resource);
    if (!table) return 0;
    if (namespace !== undefined) return table.get(namespace)?.size ?? 0;
    let n = 0;
    for (const ns of table.values()) n += ns.size;
    return n;
  }

  /**
   * Objects of a resource sorted by (namespace, name), like etcd's key order; `namespace`
   * restricts to one namespace; `after` starts strictly after a position (for `continue`).
   * The callback form lets callers stop early: return false to stop.
   */
  scan(resource: string, namespace: string | undefined, after: ListPosition | undefined, visit: (obj: KubeObject) => boolean): void {
    const table = this.tables.get(resource);
    if (!table) return;
    const namespaces = namespace !== undefined ? [namespace] : [...table.keys()].sort();
    for (const ns of namespaces) {
      if (after && ns < after.namespace) continue;
      const objects = table.get(ns);
      if (!objects) continue;
      const names = this.sortedNamesOf(resource, ns, objects);
      let start = 0;
      if (after && ns === after.namespace) start = upperBound(names, after.name);
      for (let i = start; i < names.length; i++) {
        const obj = objects.get(names[i]!);
        if (obj && !visit(obj)) return;
      }
    }
  }

  list(resource: string, namespace?: string): KubeObject[] {
    const out: KubeObject[] = [];
    this.scan(resource, namespace, undefined, (o) => {
      out.push(o);
      return true;
    });
    return out;
  }

  /** Stores a new object at the next resourceVersion; the caller has checked it does not exist. */
  create(resource: string, obj: KubeObject): KubeObject {
    const rv = ++this.rv;
    const stored = deepFreeze(withResourceVersion(obj, rv));
    const ns = stored.metadata.namespace ?? '';
    this.namespaceTable(resource, ns).set(stored.metadata.name, stored);
    this.sortedNames.delete(sortKey(resource, ns));
    this.commit({ type: 'ADDED', resource, rv, object: stored });
    return stored;
  }

  /** Replaces an existing object at the next resourceVersion. */
  update(resource: string, obj: KubeObject): KubeObject {
    const ns = obj.metadata.namespace ?? '';
    const table = this.namespaceTable(resource, ns);
    const prev = table.get(obj.metadata.name);
    if (!prev) throw new Error(`store: ${resource} ${ns}/${obj.metadata.name} does not exist`);
    const rv = ++this.rv;
    const stored = deepFreeze(withResourceVersion(obj, rv));
    table.set(stored.metadata.name, stored);
    this.commit({ type: 'MODIFIED', resource, rv, object: stored, prev });
    return stored;
  }

  /** Removes an object; returns it as last seen, carrying the resourceVersion of the deletion. */
  delete(resource: string, namespace: string, name: string): KubeObject | undefined {
    const table = this.tables.get(resource)?.get(namespace);
    const prev = table?.get(name);
    if (!table || !prev) return undefined;
    table.delete(name);
    if (table.size === 0) this.tables.get(resource)?.delete(namespace);
    this.sortedNames.delete(sortKey(resource, namespace));
    const rv = ++this.rv;
    const object = deepFreeze(withResourceVersion(prev, rv));
    this.commit({ type: 'DELETED', resource, rv, object, prev });
    return object;
  }

  /**
   * Events after `rv`, oldest first, or `{ expired }` when the history no longer reaches back to
   * it: the message the apiserver sends, `too old resource version: <rv> (<oldest kept - 1>)`.
   */
  eventsSince(rv: number): StoreEvent[] | { expired: string } {
    const oldest = this.history.length > 0 ? this.history[0]!.rv : this.rv + 1;
    const floor = Math.max(oldest - 1, this.compactedThrough);
    if (rv < floor) return { expired: `too old resource version: ${rv} (${floor})` };
    const start = upperBoundEvents(this.history, rv);
    return this.history.slice(start);
  }

  /** Forgets the whole history: resuming a watch from any earlier resourceVersion gets 410. */
  compact(): void {
    this.history = [];
    this.compactedThrough = this.rv;
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private namespaceTable(resource: string, namespace: string): Map<string, KubeObject> {
    let table = this.tables.get(resource);
    if (!table) {
      table = new Map();
      this.tables.set(resource, table);
    }
    let ns = table.get(namespace);
    if (!ns) {
      ns = new Map();
      table.set(namespace, ns);
    }
    return ns;
  }

  private sortedNamesOf(resource: string, namespace: string, objects: Map<string, KubeObject>): string[] {
    const key = sortKey(resource, namespace);
    let names = this.sortedNames.get(key);
    if (!names) {
      names = [...objects.keys()].sort();
      this.sortedNames.set(key, names);
    }
    return names;
  }

  private commit(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length > this.historySize * 1.25) {
      const drop = this.history.length - this.historySize;
      this.compactedThrough = Math.max(this.compactedThrough, this.history[drop - 1]!.rv);
      this.history = this.history.slice(drop);
    }
    this.pending.push(event);
    if (this.dispatching) return;
    this.dispatching = true;
    // A throwing subscriber must not keep the others from hearing about a committed write: the
    // first error is rethrown to the writer once everyone has been notified.
    let failure: { error: unknown } | undefined;
    for (let ev = this.pending.shift(); ev; ev = this.pending.shift()) {
      for (const listener of [...this.listeners]) {
        try {
          listener(ev);
        } catch (error) {
          failure ??= { error };
        }
      }
    }
    this.dispatching = false;
    if (failure) throw failure.error;
  }
}

function sortKey(resource: string, namespace: string): string {
  return `${resource}\u0000${namespace}`;
}

const META_ORDER = [
  'name',
  'generateName',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
];

/**
 * The object at resourceVersion `rv`, with its keys in the order the apiserver writes them
 * (apiVersion, kind, metadata, ..., status; metadata name, namespace, uid, ...).
 */
function withResourceVersion(obj: KubeObject, rv: number): KubeObject {
  const meta: Record<string, unknown> = { ...obj.metadata, resourceVersion: String(rv) };
  const orderedMeta: Record<string, unknown> = {};
  for (const key of META_ORDER) if (meta[key] !== undefined) orderedMeta[key] = meta[key];
  for (const [key, value] of Object.entries(meta)) if (!(key in orderedMeta) && value !== undefined) orderedMeta[key] = value;
  const out: Record<string, unknown> = { apiVersion: obj.apiVersion, kind: obj.kind, metadata: orderedMeta };
  for (const [key, value] of Object.entries(obj)) if (!(key in out) && key !== 'status') out[key] = value;
  if (obj.status !== undefined) out.status = obj.status;
  return out as KubeObject;
}

/** First index whose name is > `name`. */
function upperBound(names: string[], name: string): number {
  let lo = 0;
  let hi = names.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (names[mid]! <= name) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBoundEvents(events: StoreEvent[], rv: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (events[mid]!.rv <= rv) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

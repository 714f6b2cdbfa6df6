/**
 * The three patch formats of the Kubernetes API, applied to plain JSON documents:
 * - JSON Patch (RFC 6902, `application/json-patch+json`),
 * - JSON Merge Patch (RFC 7386, `application/merge-patch+json`),
 * - Strategic Merge Patch (`application/strategic-merge-patch+json`): a merge patch whose lists
 *   merge by key where the API says so (`patchStrategy:"merge"`, `patchMergeKey`), with the
 *   directives `$patch: replace|merge|delete`, `$setElementOrder/<list>`, `$retainKeys` and
 *   `$deleteFromPrimitiveList/<list>` that `kubectl apply`/`edit`/`patch` send.
 *   Lists without a merge strategy are replaced.
 * Functions never mutate their inputs. Failures throw a `PatchError` carrying the HTTP code the
 * apiserver answers with (400 malformed patch, 422 patch that does not apply).
 */
import { isPlainObject } from './validation.js';

export class PatchError extends Error {
  constructor(
    message: string,
    readonly code: 400 | 422,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/* -------------------------------------------------------------------------- JSON Merge Patch */

/** RFC 7386: objects merge recursively, `null` removes a key, anything else replaces. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return clone(patch);
  const result: Record<string, unknown> = isPlainObject(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

/* -------------------------------------------------------------------------------- JSON Patch */

interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: unknown;
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`JSON pointer must be empty or start with a "/": ${JSON.stringify(pointer)}`, 400);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Container = Record<string, unknown> | unknown[];

function arrayIndex(token: string, length: number, allowEnd: boolean): number | undefined {
  if (allowEnd && token === '-') return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
  const i = Number(token);
  return i <= (allowEnd ? length : length - 1) ? i : undefined;
}

/** Walks to the parent of `path`; undefined when the parent does not exist. */
function parentOf(doc: unknown, tokens: string[]): Container | undefined {
  let cur: unknown = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) {
      const i = arrayIndex(token, cur.length, false);
      if (i === undefined) return undefined;
      cur = cur[i];
    } else if (isPlainObject(cur)) {
      if (!Object.prototype.hasOwnProperty.call(cur, token)) return undefined;
      cur = cur[token];
    } else {
      return undefined;
    }
  }
  return Array.isArray(cur) || isPlainObject(cur) ? cur : undefined;
}

function getAt(doc: unknown, tokens: string[]): { found: boolean; value?: unknown } {
  if (tokens.length === 0) return { found: true, value: doc };
  const parent = parentOf(doc, tokens);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) {
    const i = arrayIndex(last, parent.length, false);
    return i === undefined ? { found: false } : { found: true, value: parent[i] };
  }
  if (parent && Object.prototype.hasOwnProperty.call(parent, last)) return { found: true, value: parent[last] };
  return { found: false };
}

/** RFC 6902. Returns the patched copy of `doc`. */
export function applyJsonPatch(doc: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw new PatchError('json: cannot unmarshal object into Go value of type jsonpatch.Patch', 400);
  // The document is wrapped so that operations on the root ("" pointer) work like any other.
  const box: Record<string, unknown> = { root: clone(doc) };
  const boxed = (tokens: string[]): string[] => ['root', ...tokens];

  const add = (tokens: string[], value: unknown, opName: string, path: string): void => {
    const t = boxed(tokens);
    const parent = parentOf(box, t);
    const last = t[t.length - 1]!;
    if (Array.isArray(parent)) {
      const i = arrayIndex(last, parent.length, true);
      if (i === undefined) throw new PatchError(`jsonpatch ${opName} operation does not apply: doc is missing path: ${JSON.stringify(path)}`, 422);
      parent.splice(i, 0, value);
    } else if (parent) {
      parent[last] = value;
    } else {
      throw new PatchError(`jsonpatch ${opName} operation does not apply: doc is missing path: ${JSON.stringify(path)}`, 422);
    }
  };
  const remove = (tokens: string[], opName: string, path: string): unknown => {
    const t = boxed(tokens);
    const parent = parentOf(box, t);
    const last = t[t.length - 1]!;
    if (Array.isArray(parent)) {
      const i = arrayIndex(last, parent.length, false);
      if (i !== undefined) return parent.splice(i, 1)[0];
    } else if (parent && Object.prototype.hasOwnProperty.call(parent, last)) {
      const old = parent[last];
      delete parent[last];
      return old;
    }
    throw new PatchError(`jsonpatch ${opName} operation does not apply: doc is missing path: ${JSON.stringify(path)}`, 422);
  };

  operations.forEach((raw: unknown, index) => {
    if (!isPlainObject(raw)) throw new PatchError(`invalid JSON patch operation at index ${index}: not an object`, 400);
    const op = raw as unknown as JsonPatchOperation;
    if (typeof op.path !== 'string') throw new PatchError(`invalid JSON patch operation at index ${index}: missing "path"`, 400);
    const tokens = parsePointer(op.path);
    switch (op.op) {
      case 'add':
        if (!('value' in raw)) throw new PatchError(`invalid JSON patch operation at index ${index}: missing "value"`, 400);
        add(tokens, clone(op.value), 'add', op.path);
        break;
      case 'remove':
        remove(tokens, 'remove', op.path);
        break;
      case 'replace':
        if (!('value' in raw)) throw new PatchError(`invalid JSON patch operation at index ${index}: missing "value"`, 400);
        if (!getAt(box, boxed(tokens)).found) {
          throw new PatchError(`jsonpatch replace operation does not apply: doc is missing key: ${op.path}`, 422);
        }
        remove(tokens, 'replace', op.path);
        add(tokens, clone(op.value), 'replace', op.path);
        break;
      case 'move':
      case 'copy': {
        if (typeof op.from !== 'string') throw new PatchError(`invalid JSON patch operation at index ${index}: missing "from"`, 400);
        const from = parsePointer(op.from);
        const src = getAt(box, boxed(from));
        if (!src.found) throw new PatchError(`jsonpatch ${op.op} operation does not apply: doc is missing from path: ${JSON.stringify(op.from)}`, 422);
        if (op.op === 'move') {
          if (op.path.startsWith(`${op.from}/`)) throw new PatchError('jsonpatch move operation does not apply: cannot move a value into itself', 422);
          remove(from, 'move', op.from);
        }
        add(tokens, clone(src.value), op.op, op.path);
        break;
      }
      case 'test': {
        const cur = getAt(box, boxed(tokens));
        if (!cur.found || !deepEqual(cur.value, op.value)) throw new PatchError(`testing value ${op.path} failed: test failed`, 422);
        break;
      }
      default:
        throw new PatchError(`Unexpected kind: ${String((op as { op?: unknown }).op)}`, 400);
    }
  });
  return box.root;
}

/* ---------------------------------------------------------------------- Strategic Merge Patch */

/** Patch metadata of one field, as the API types declare it with struct tags. */
export interface PatchMeta {
  /** `merge` for lists that merge (by `mergeKey` for lists of objects; as a set for scalars). */
  strategy?: 'merge';
  mergeKey?: string;
  /** The fields of this object, or of this list's items. Unlisted fields merge/replace by default. */
  fields?: Record<string, PatchMeta>;
}

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ELEMENT_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';
const DELETED = Symbol('deleted');

function describeJson(v: unknown): string {
  return JSON.stringify(v) ?? String(v);
}

function noMergeKey(item: unknown, mergeKey: string): PatchError {
  return new PatchError(`map: ${describeJson(item)} does not contain declared merge key: ${mergeKey}`, 400);
}

/** Strips directives from a value taken as is (for a replaced list or a new field). */
function stripDirectives(value: Json, meta: PatchMeta | undefined): Json {
  if (Array.isArray(value)) return mergeList([], value, meta);
  if (isPlainObject(value)) {
    const merged = mergeObject({}, value, meta);
    return merged === DELETED ? {} : merged;
  }
  return value;
}

function fieldMeta(meta: PatchMeta | undefined, key: string): PatchMeta | undefined {
  return meta?.fields?.[key];
}

function mergeObject(original: JsonObject, patch: JsonObject, meta: PatchMeta | undefined): JsonObject | typeof DELETED {
  const directive = patch[DIRECTIVE];
  if (directive !== undefined) {
    if (directive === 'replace') {
      const rest = { ...patch };
      delete rest[DIRECTIVE];
      return stripDirectives(rest, meta) as JsonObject;
    }
    if (directive === 'delete') return DELETED;
    if (directive !== 'merge') throw new PatchError(`Unknown patch type: ${describeJson(directive)} in map: ${describeJson(patch)}`, 400);
  }

  const result: JsonObject = { ...original };

  const retain = patch[RETAIN_KEYS];
  if (retain !== undefined) {
    if (!Array.isArray(retain) || !retain.every((k) => typeof k === 'string')) {
      throw new PatchError('invalid patch: the $retainKeys directive must be a list of strings', 400);
    }
    const keep = new Set(retain);
    for (const [k, v] of Object.entries(patch)) {
      if (v === null || k.startsWith('$')) continue;
      if (!keep.has(k)) throw new PatchError('RetainKeys error: some fields in the patch are not present in the retainKeys list', 422);
    }
    for (const k of Object.keys(result)) if (!keep.has(k)) delete result[k];
  }

  // 1. $deleteFromPrimitiveList/<list>: remove the values from the original list.
  for (const [k, v] of Object.entries(patch)) {
    if (!k.startsWith(DELETE_FROM_PRIMITIVE_LIST)) continue;
    const key = k.slice(DELETE_FROM_PRIMITIVE_LIST.length);
    if (!Array.isArray(v)) throw new PatchError('invalid patch: $deleteFromPrimitiveList must be a list of scalars', 400);
    const cur = result[key];
    if (Array.isArray(cur)) result[key] = cur.filter((item) => !v.some((d) => deepEqual(d, item)));
  }

  // 2. Ordinary fields.
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    const m = fieldMeta(meta, k);
    if (v === null) {
      delete result[k];
      continue;
    }
    const cur = result[k];
    if (isPlainObject(v)) {
      const merged = mergeObject(isPlainObject(cur) ? (cur) : {}, v, m);
      if (merged === DELETED) delete result[k];
      else result[k] = merged;
    } else if (Array.isArray(v)) {
      result[k] = mergeList(Array.isArray(cur) ? cur : [], v, m);
    } else {
      result[k] = v;
    }
  }

  // 3. $setElementOrder/<list>: put the listed items in that order, server-only items in between.
  for (const [k, v] of Object.entries(patch)) {
    if (!k.startsWith(SET_ELEMENT_ORDER)) continue;
    const key = k.slice(SET_ELEMENT_ORDER.length);
    if (!Array.isArray(v)) throw new PatchError('invalid patch: $setElementOrder must be a list', 400);
    const cur = result[key];
    if (!Array.isArray(cur)) continue;
    const m = fieldMeta(meta, key);
    const mergeKey = m?.strategy === 'merge' ? m.mergeKey : undefined;
    const patchList = patch[key];
    if (Array.isArray(patchList)) checkAgainstOrder(patchList, v, mergeKey);
    const originalList = Array.isArray(original[key]) ? (original[key]) : [];
    result[key] = orderList(cur, v, originalList, mergeKey);
  }
  return result;
}

function keyOf(item: Json, mergeKey: string | undefined): Json | undefined {
  if (mergeKey === undefined) return item;
  return isPlainObject(item) ? (item)[mergeKey] : undefined;
}

function indexIn(list: Json[], item: Json, mergeKey: string | undefined): number {
  const key = keyOf(item, mergeKey);
  return list.findIndex((x) => deepEqual(keyOf(x, mergeKey), key));
}

function checkAgainstOrder(patchList: Json[], order: Json[], mergeKey: string | undefined): void {
  let last = -1;
  for (const item of patchList) {
    if (isPlainObject(item) && (item)[DIRECTIVE] !== undefined) continue;
    const i = indexIn(order, item, mergeKey);
    if (i < 0 || i < last) {
      throw new PatchError('invalid patch: the order of the $setElementOrder list does not match the order in the patch list', 400);
    }
    last = i;
  }
}

/**
 * Orders `merged`: the items named in `patchOrder` in that order, the others (server-only items)
 * keeping their order from `serverOrder` and interleaved where they were (the apiserver's
 * `normalizeElementOrder` + `mergeSortedSlice`).
 */
function orderList(merged: Json[], patchOrder: Json[], serverOrder: Json[], mergeKey: string | undefined): Json[] {
  const inPatch: Json[] = [];
  const serverOnly: Json[] = [];
  for (const item of merged) (indexIn(patchOrder, item, mergeKey) >= 0 ? inPatch : serverOnly).push(item);
  const byOrder = (order: Json[]) => (a: Json, b: Json) => {
    const ia = indexIn(order, a, mergeKey);
    const ib = indexIn(order, b, mergeKey);
    return (ia < 0 ? Infinity : ia) - (ib < 0 ? Infinity : ib);
  };
  inPatch.sort(byOrder(patchOrder));
  serverOnly.sort(byOrder(serverOrder));
  const out: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < inPatch.length) {
    if (i >= serverOnly.length) out.push(inPatch[j++]!);
    else if (j >= inPatch.length) out.push(serverOnly[i++]!);
    else {
      const li = indexIn(serverOrder, serverOnly[i]!, mergeKey);
      const ri = indexIn(serverOrder, inPatch[j]!, mergeKey);
      if (li >= 0 && ri >= 0 && li < ri) out.push(serverOnly[i++]!);
      else out.push(inPatch[j++]!);
    }
  }
  return out;
}

function mergeList(original: Json[], patch: Json[], meta: PatchMeta | undefined): Json[] {
  if (meta?.strategy !== 'merge') {
    // Replaced wholesale; a `$patch: replace` marker element is dropped.
    return patch
      .filter((item) => !(isPlainObject(item) && (item)[DIRECTIVE] === 'replace' && Object.keys(item).length === 1))
      .map((item) => stripDirectives(item, meta));
  }
  if (patch.some((item) => Array.isArray(item))) throw new PatchError('lists of lists are not supported', 422);
  const mergeKey = meta.mergeKey;
  const objectItems = patch.some((item) => isPlainObject(item)) || original.some((item) => isPlainObject(item));

  if (!objectItems) {
    // A set of scalars: union, de-duplicated, patch order first for the items it names.
    const merged: Json[] = [];
    for (const item of [...original, ...patch]) if (!merged.some((m) => deepEqual(m, item))) merged.push(item);
    return orderList(merged, patch, original, undefined);
  }
  if (!mergeKey) throw new PatchError('cannot merge lists without merge key', 400);

  let base = [...original];
  const items: JsonObject[] = [];
  let replace = false;
  for (const raw of patch) {
    if (!isPlainObject(raw)) throw new PatchError(`value for merge key ${mergeKey} is not a map: ${describeJson(raw)}`, 400);
    const item = raw;
    const directive = item[DIRECTIVE];
    if (directive === undefined) {
      if (!(mergeKey in item)) throw noMergeKey(item, mergeKey);
      items.push(item);
    } else if (directive === 'delete') {
      if (!(mergeKey in item)) throw noMergeKey(item, mergeKey);
      base = base.filter((o) => !deepEqual(keyOf(o, mergeKey), item[mergeKey]));
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw new PatchError('merging lists cannot yet be specified in the patch', 400);
    } else {
      throw new PatchError(`Unknown patch type: ${describeJson(directive)} in map: ${describeJson(item)}`, 400);
    }
  }
  if (replace) return items.map((item) => stripDirectives(item, meta));

  for (const item of items) {
    const at = base.findIndex((o) => deepEqual(keyOf(o, mergeKey), item[mergeKey]));
    if (at >= 0) {
      const cur = base[at];
      const merged = mergeObject(isPlainObject(cur) ? (cur) : {}, item, meta);
      if (merged === DELETED) base.splice(at, 1);
      else base[at] = merged;
    } else {
      const added = mergeObject({}, item, meta);
      if (added !== DELETED) base.push(added);
    }
  }
  return orderList(base, items, original, mergeKey);
}

/** Applies a strategic merge patch to `original` using the kind's patch metadata. */
export function applyStrategicMergePatch(original: unknown, patch: unknown, meta: PatchMeta | undefined): unknown {
  if (!isPlainObject(patch)) throw new PatchError('invalid JSON document: a strategic merge patch must be a JSON object', 400);
  const base = isPlainObject(original) ? (clone(original) as JsonObject) : {};
  const merged = mergeObject(base, clone(patch) as JsonObject, meta);
  return merged === DELETED ? {} : merged;
}

/* ------------------------------------------------------- patch metadata of the served kinds */

const conditions: PatchMeta = { strategy: 'merge', mergeKey: 'type' };

const objectMetaPatchMeta: PatchMeta = {
  fields: {
    finalizers: { strategy: 'merge' },
    ownerReferences: { strategy: 'merge', mergeKey: 'uid' },
  },
};

const containerFields: Record<string, PatchMeta> = {
  ports: { strategy: 'merge', mergeKey: 'containerPort' },
  env: { strategy: 'merge', mergeKey: 'name' },
  volumeMounts: { strategy: 'merge', mergeKey: 'mountPath' },
  volumeDevices: { strategy: 'merge', mergeKey: 'devicePath' },
};

const podSpec: PatchMeta = {
  fields: {
    containers: { strategy: 'merge', mergeKey: 'name', fields: containerFields },
    initContainers: { strategy: 'merge', mergeKey: 'name', fields: containerFields },
    ephemeralContainers: { strategy: 'merge', mergeKey: 'name', fields: containerFields },
    volumes: { strategy: 'merge', mergeKey: 'name' },
    imagePullSecrets: { strategy: 'merge', mergeKey: 'name' },
    hostAliases: { strategy: 'merge', mergeKey: 'ip' },
  },
};

const patchMetaByKind: Record<string, PatchMeta> = {
  Service: {
    fields: {
      metadata: objectMetaPatchMeta,
      spec: { fields: { ports: { strategy: 'merge', mergeKey: 'port' } } },
      status: { fields: { conditions } },
    },
  },
  Pod: {
    fields: {
      metadata: objectMetaPatchMeta,
      spec: podSpec,
      status: { fields: { conditions, podIPs: { strategy: 'merge', mergeKey: 'ip' } } },
    },
  },
  Deployment: {
    fields: {
      metadata: objectMetaPatchMeta,
      spec: { fields: { template: { fields: { metadata: objectMetaPatchMeta, spec: podSpec } } } },
      status: { fields: { conditions } },
    },
  },
  Node: {
    fields: {
      metadata: objectMetaPatchMeta,
      spec: { fields: { podCIDRs: { strategy: 'merge' } } },
      status: { fields: { conditions, addresses: { strategy: 'merge', mergeKey: 'type' } } },
    },
  },
  Namespace: { fields: { metadata: objectMetaPatchMeta, status: { fields: { conditions } } } },
};

/** Patch metadata of a kind; kinds without merge lists only merge their metadata lists. */
export function patchMetaFor(kind: string): PatchMeta {
  return patchMetaByKind[kind] ?? { fields: { metadata: objectMetaPatchMeta } };
}

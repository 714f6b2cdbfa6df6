/**
 * The REST semantics of the apiserver's generic registry, over the Store: create, get, list (with
 * selectors and paging), update (optimistic concurrency, create-on-update where allowed), the
 * /status subresource, the three patch types, delete (finalizers, graceful deletion,
 * preconditions), deletecollection and watch. Resource-specific behaviour (defaulting,
 * validation, allocation) comes from each `ResourceDef`. Everything is synchronous; the HTTP
 * layer and the in-process API both call it.
 */
import { randomUUID } from 'node:crypto';
import {
  KubeApiError,
  alreadyExists,
  badRequest,
  conflict,
  expired,
  fieldErrors,
  forbidden,
  GoValue,
  invalid,
  notFound,
  type FieldError,
} from './errors.js';
import { PatchError, applyJsonPatch, applyMergePatch, applyStrategicMergePatch, deepEqual, patchMetaFor } from './patch.js';
import {
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  type FieldSelector,
  type LabelSelector,
} from './selectors.js';
import { cloneObject, type Store, type StoreEvent } from './store.js';
import type { KubeList, KubeObject, ObjectMeta, Status, WatchEvent } from './types.js';
import { annotationsErrors, isPlainObject, labelsErrors, qualifiedNameErrors } from './validation.js';

/* ----------------------------------------------------------------------------- resource types */

export interface ResourceDef {
  /** Plural resource name as in URLs: `services`. */
  readonly resource: string;
  /** '' for the core group. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly namespaced: boolean;
  /** DELETE answers the deleted object (true) or a Status (false). */
  readonly returnDeletedObject: boolean;
  /** PUT of a missing object creates it. */
  readonly allowCreateOnUpdate: boolean;
  /** metadata.generation starts at 1 and is bumped on every spec change. */
  readonly tracksGeneration: boolean;
  /** Has a /status subresource (and main-resource writes keep the stored status). */
  readonly hasStatus: boolean;
  /** Field selectors beyond metadata.name and metadata.namespace. */
  readonly fields?: Readonly<Record<string, (obj: KubeObject) => string | undefined>>;
  /** Errors for a bad `metadata.name` (wording of the apiserver's name validators). */
  nameErrors(name: string): string[];
  /** Type checks the JSON decoder would refuse (400). */
  decode?(obj: Record<string, unknown>): void;
  /** Defaulting and clearing of server-owned fields on create. */
  prepareForCreate?(obj: KubeObject, ctx: WriteContext): void;
  validate?(obj: KubeObject): FieldError[];
  /** Carry-over from the stored object on update (status, allocated values, ...), then defaults. */
  prepareForUpdate?(obj: KubeObject, old: KubeObject, ctx: WriteContext): void;
  validateUpdate?(obj: KubeObject, old: KubeObject): FieldError[];
  validateStatus?(obj: KubeObject, old: KubeObject): FieldError[];
  /** Allocations (Service IPs and node ports); throws KubeApiError; dryRun keeps nothing. */
  allocate?(obj: KubeObject, old: KubeObject | undefined, dryRun: boolean): void;
  /** Frees what a removed object held. */
  release?(obj: KubeObject): void;
  /** Grace period (seconds) of a graceful deletion; 0 or undefined deletes at once. */
  gracePeriodSeconds?(obj: KubeObject, requested: number | undefined): number | undefined;
  /** Refuses some deletions (e.g. the system namespaces). */
  validateDelete?(obj: KubeObject): void;
  /** Namespaces: what DELETE does instead of removing (sets phase Terminating). */
  beginDelete?(obj: KubeObject, ctx: WriteContext): KubeObject | undefined;
}

export function apiVersionOf(def: Pick<ResourceDef, 'group' | 'version'>): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

interface WriteContext {
  now: Date;
  dryRun: boolean;
}

export interface WriteOptions {
  dryRun?: boolean;
  /** Strict | Warn | Ignore (default Warn, as the apiserver since 1.27). */
  fieldValidation?: string;
  fieldManager?: string;
}

export interface DeleteOptions {
  dryRun?: boolean;
  gracePeriodSeconds?: number;
  propagationPolicy?: string;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export interface WatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  sendInitialEvents?: boolean;
  allowWatchBookmarks?: boolean;
}

export interface WriteResult<T = KubeObject> {
  object: T;
  /** `Warning` headers to send (unknown fields with fieldValidation=Warn). */
  warnings: string[];
  /** True when a PUT created the object (HTTP 201). */
  created?: boolean;
}

export type PatchType = 'json' | 'merge' | 'strategic';

/** Reports fields its kind's schema does not know (undefined: no schema to check with). */
export type UnknownFieldsFn = (obj: { apiVersion?: unknown; kind?: unknown }) => string[] | undefined;

export interface RegistryOptions {
  store: Store;
  now: () => Date;
  unknownFields?: UnknownFieldsFn;
  /** Called when a watch starts and stops, to count open watches. */
  onWatchCount?: (delta: number) => void;
}

/* --------------------------------------------------------------------------------- helpers */

const GENERATE_NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += GENERATE_NAME_ALPHABET[Math.floor(Math.random() * GENERATE_NAME_ALPHABET.length)];
  return s;
}

/** RFC 3339 with seconds precision, like metav1.Time. */
export function timestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A value as the apiserver would print it in a message. */
function show(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function gr(def: ResourceDef): { group: string; resource: string } {
  return { group: def.group, resource: def.resource };
}

function gk(def: ResourceDef): { group: string; kind: string } {
  return { group: def.group, kind: def.kind };
}

function objectKey(obj: KubeObject): { namespace: string; name: string } {
  return { namespace: obj.metadata.namespace ?? '', name: obj.metadata.name };
}

/** Compares two versions of an object ignoring what every write changes. */
function sameContent(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject) => ({ ...o, metadata: { ...o.metadata, resourceVersion: '', managedFields: undefined } });
  return deepEqual(JSON.parse(JSON.stringify(strip(a))), JSON.parse(JSON.stringify(strip(b))));
}

function encodeContinue(rv: number, last: KubeObject): string {
  const { namespace, name } = objectKey(last);
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: `${namespace}/${name}\u0000` })).toString('base64');
}

function decodeContinue(token: string): { rv: number; namespace: string; name: string } {
  try {
    const raw = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { v?: unknown; rv?: unknown; start?: unknown };
    if (raw.v !== 'meta.k8s.io/v1' || typeof raw.rv !== 'number' || typeof raw.start !== 'string' || !raw.start.endsWith('\u0000')) {
      throw new Error('bad token');
    }
    const key = raw.start.slice(0, -1);
    const slash = key.indexOf('/');
    return { rv: raw.rv, namespace: key.slice(0, slash), name: key.slice(slash + 1) };
  } catch {
    throw badRequest(`continue key is not valid: ${token}`);
  }
}

/** Deletes the field at a path like `spec.ports[0].foo`. */
function prunePath(obj: unknown, path: string): void {
  const tokens = path.match(/[^.[\]]+|\[\d+\]/g) ?? [];
  let cur: unknown = obj;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const last = i === tokens.length - 1;
    if (token.startsWith('[')) {
      if (!Array.isArray(cur)) return;
      cur = cur[Number(token.slice(1, -1))];
      continue;
    }
    if (!isPlainObject(cur)) return;
    if (last) delete cur[token];
    else cur = cur[token];
  }
}

/**
 * Applies a patch of `type` to (a copy of) `current`, an object of `target`'s kind named `name`:
 * 400 for a malformed patch, 422 for one that cannot apply, 400 when the result renames the object.
 */
export function patchObject(
  target: { group: string; kind: string },
  name: string,
  current: object,
  type: PatchType,
  patch: unknown,
): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(current)) as unknown;
  let patched: unknown;
  try {
    if (type === 'json') patched = applyJsonPatch(copy, patch);
    else if (type === 'merge') {
      if (!isPlainObject(patch)) throw new PatchError('merge patch must be a JSON object', 400);
      patched = applyMergePatch(copy, patch);
    } else patched = applyStrategicMergePatch(copy, patch, patchMetaFor(target.kind));
  } catch (err) {
    if (err instanceof PatchError) {
      if (err.code === 400) throw badRequest(err.message);
      throw new KubeApiError(422, 'Invalid', err.message, { name, ...(target.group ? { group: target.group } : {}), kind: target.kind });
    }
    throw err;
  }
  if (!isPlainObject(patched)) throw badRequest('the patched object is not a JSON object');
  const patchedMeta = isPlainObject(patched.metadata) ? patched.metadata : undefined;
  if (patchedMeta && patchedMeta.name !== undefined && patchedMeta.name !== name) {
    throw badRequest(`the name of the object (${show(patchedMeta.name)}) does not match the name on the URL (${name})`);
  }
  return patched;
}

/* --------------------------------------------------------------------------------- registry */

export class Registry {
  private readonly store: Store;
  private readonly now: () => Date;
  private readonly unknownFieldsFn: UnknownFieldsFn | undefined;
  private readonly onWatchCount: (delta: number) => void;

  constructor(opts: RegistryOptions) {
    this.store = opts.store;
    this.now = opts.now;
    this.unknownFieldsFn = opts.unknownFields;
    this.onWatchCount = opts.onWatchCount ?? (() => undefined);
  }

  /* ------------------------------------------------------------------------------- reads */

  get(def: ResourceDef, namespace: string, name: string): KubeObject {
    const obj = this.store.get(def.resource, def.namespaced ? namespace : '', name);
    if (!obj) throw notFound(gr(def), name);
    return obj;
  }

  /** Parses the selectors of a list or watch request (400 on bad syntax or unknown fields). */
  selectors(def: ResourceDef, labelSelector = '', fieldSelector = ''): { labels: LabelSelector; fields: FieldSelector } {
    const supported = new Set(['metadata.name', 'metadata.namespace', ...Object.keys(def.fields ?? {})]);
    return { labels: parseLabelSelector(labelSelector), fields: parseFieldSelector(fieldSelector, supported) };
  }

  matcher(def: ResourceDef, sel: { labels: LabelSelector; fields: FieldSelector }): (obj: KubeObject) => boolean {
    const fieldOf = (obj: KubeObject) => (field: string): string | undefined => {
      if (field === 'metadata.name') return obj.metadata.name;
      if (field === 'metadata.namespace') return obj.metadata.namespace ?? '';
      return def.fields?.[field]?.(obj);
    };
    return (obj) => matchesLabels(sel.labels, obj.metadata.labels) && matchesFields(sel.fields, fieldOf(obj));
  }

  list(def: ResourceDef, namespace: string | undefined, opts: ListOptions = {}): KubeList {
    const sel = this.selectors(def, opts.labelSelector, opts.fieldSelector);
    const matches = this.matcher(def, sel);
    const limit = opts.limit && opts.limit > 0 ? opts.limit : undefined;
    let rv = this.store.resourceVersion;
    let after: { namespace: string; name: string } | undefined;
    if (opts.continue) {
      const token = decodeContinue(opts.continue);
      rv = token.rv;
      after = { namespace: token.namespace, name: token.name };
    }
    const items: KubeObject[] = [];
    let more = false;
    this.store.scan(def.resource, def.namespaced ? namespace : undefined, after, (obj) => {
      if (!matches(obj)) return true;
      if (limit !== undefined && items.length >= limit) {
        more = true;
        return false;
      }
      items.push(obj);
      return true;
    });
    const metadata: KubeList['metadata'] = { resourceVersion: String(rv) };
    if (more) metadata.continue = encodeContinue(rv, items[items.length - 1]!);
    return {
      kind: `${def.kind}List`,
      apiVersion: apiVersionOf(def),
      metadata,
      // Items of a typed list carry no apiVersion/kind, as with the real apiserver.
      items: items.map(({ apiVersion: _a, kind: _k, ...rest }) => rest as KubeObject),
    };
  }

  /* ------------------------------------------------------------------------------ writes */

  /** Checks the body is an object of this resource's kind; returns a mutable copy. */
  private decodeBody(def: ResourceDef, body: unknown): KubeObject {
    if (!isPlainObject(body)) throw badRequest(`${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: the object provided is not a JSON object`);
    const apiVersion = apiVersionOf(def);
    if (body.apiVersion !== undefined && body.apiVersion !== apiVersion) {
      throw badRequest(`the API version in the data (${show(body.apiVersion)}) does not match the expected API version (${apiVersion})`);
    }
    if (body.kind !== undefined && body.kind !== def.kind) {
      throw badRequest(`the kind in the data (${show(body.kind)}) does not match the expected kind (${def.kind})`);
    }
    if (body.metadata !== undefined && body.metadata !== null && !isPlainObject(body.metadata)) {
      throw badRequest(`${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: json: cannot unmarshal ${typeof body.metadata} into Go struct field ${def.kind}.metadata of type v1.ObjectMeta`);
    }
    const meta = (body.metadata ?? {});
    for (const key of ['name', 'namespace', 'generateName', 'resourceVersion', 'uid'] as const) {
      if (meta[key] !== undefined && meta[key] !== null && typeof meta[key] !== 'string') {
        throw badRequest(`${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: json: cannot unmarshal ${typeof meta[key]} into Go struct field ObjectMeta.metadata.${key} of type string`);
      }
    }
    def.decode?.(body);
    const obj = cloneObject(body) as unknown as KubeObject;
    obj.apiVersion = apiVersion;
    obj.kind = def.kind;
    obj.metadata = (obj.metadata ?? {});
    return obj;
  }

  /**
   * fieldValidation: Strict refuses unknown fields (400), Warn (the default) and Ignore accept the
   * object; either way unknown fields are dropped, as the apiserver's decoder has nowhere to keep
   * them. Returns the warnings to send.
   */
  private checkFields(def: ResourceDef, obj: KubeObject, mode: string | undefined): string[] {
    const validation = mode ?? 'Warn';
    if (!['Strict', 'Warn', 'Ignore'].includes(validation)) {
      throw badRequest(`fieldValidation: Unsupported value: ${JSON.stringify(validation)}: supported values: "Ignore", "Strict", "Warn"`);
    }
    if (!this.unknownFieldsFn) return [];
    const unknown = this.unknownFieldsFn(obj) ?? [];
    if (unknown.length === 0) return [];
    if (validation === 'Strict') {
      throw badRequest(
        `${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`,
      );
    }
    for (const path of unknown) prunePath(obj, path);
    return validation === 'Warn' ? unknown.map((f) => `unknown field "${f}"`) : [];
  }

  private checkNamespace(def: ResourceDef, obj: KubeObject, namespace: string): void {
    if (!def.namespaced) {
      delete obj.metadata.namespace;
      return;
    }
    const given = obj.metadata.namespace;
    if (given !== undefined && given !== '' && given !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    obj.metadata.namespace = namespace;
  }

  private requireNamespace(def: ResourceDef, namespace: string, name: string): void {
    if (!def.namespaced) return;
    const ns = this.store.get('namespaces', '', namespace);
    if (!ns) throw notFound({ group: '', resource: 'namespaces' }, namespace);
    if (ns.metadata.deletionTimestamp !== undefined) {
      const message = `unable to create new content in namespace ${namespace} because it is being terminated`;
      const err = forbidden(gr(def), name, message);
      err.status.details = { ...err.status.details, causes: [{ reason: 'NamespaceTerminating', message, field: 'metadata.namespace' }] };
      throw err;
    }
  }

  private metaErrors(def: ResourceDef, meta: ObjectMeta): FieldError[] {
    const errs: FieldError[] = [];
    if (!meta.name) errs.push(fieldErrors.required('metadata.name', 'name or generateName is required'));
    else for (const msg of def.nameErrors(meta.name)) errs.push(fieldErrors.invalid('metadata.name', meta.name, msg));
    errs.push(...labelsErrors(meta.labels, 'metadata.labels'));
    errs.push(...annotationsErrors(meta.annotations, 'metadata.annotations'));
    if (meta.finalizers !== undefined && meta.finalizers !== null) {
      if (!Array.isArray(meta.finalizers)) errs.push(fieldErrors.invalid('metadata.finalizers', '', 'must be a list of strings'));
      else
        meta.finalizers.forEach((f, i) => {
          if (typeof f !== 'string') errs.push(fieldErrors.invalid(`metadata.finalizers[${i}]`, null, 'must be a string'));
          else for (const msg of qualifiedNameErrors(f)) errs.push(fieldErrors.invalid(`metadata.finalizers[${i}]`, f, msg));
        });
    }
    (meta.ownerReferences ?? []).forEach((ref, i) => {
      const path = `metadata.ownerReferences[${i}]`;
      if (!ref.apiVersion) errs.push(fieldErrors.invalid(`${path}.apiVersion`, '', 'version must not be empty'));
      if (!ref.kind) errs.push(fieldErrors.invalid(`${path}.kind`, '', 'kind must not be empty'));
      if (!ref.name) errs.push(fieldErrors.invalid(`${path}.name`, '', 'name must not be empty'));
      if (!ref.uid) errs.push(fieldErrors.invalid(`${path}.uid`, '', 'uid must not be empty'));
    });
    return errs;
  }

  create(def: ResourceDef, namespace: string, body: unknown, opts: WriteOptions = {}): WriteResult {
    const obj = this.decodeBody(def, body);
    const warnings = this.checkFields(def, obj, opts.fieldValidation);
    this.checkNamespace(def, obj, namespace);
    return { object: this.createObject(def, obj, !!opts.dryRun), warnings, created: true };
  }

  private createObject(def: ResourceDef, obj: KubeObject, dryRun: boolean): KubeObject {
    const meta = obj.metadata;
    if (meta.resourceVersion) {
      throw new KubeApiError(500, 'InternalError', 'resourceVersion should not be set on objects to be created', {});
    }
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomSuffix()}`;
    this.requireNamespace(def, meta.namespace ?? '', meta.name ?? '');
    const now = this.now();
    meta.uid = randomUUID();
    meta.creationTimestamp = timestamp(now);
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.managedFields;
    delete meta.selfLink;
    if (def.tracksGeneration) meta.generation = 1;
    else delete meta.generation;
    if (meta.finalizers?.length === 0) delete meta.finalizers;
    const ctx: WriteContext = { now, dryRun };
    def.prepareForCreate?.(obj, ctx);
    const errs = [...this.metaErrors(def, meta), ...(def.validate?.(obj) ?? [])];
    if (errs.length > 0) throw invalid(gk(def), meta.name ?? '', errs);
    if (this.store.get(def.resource, meta.namespace ?? '', meta.name)) throw alreadyExists(gr(def), meta.name);
    def.allocate?.(obj, undefined, dryRun);
    if (dryRun) return obj;
    return this.store.create(def.resource, obj);
  }

  /**
   * PUT. `subresource: 'status'` writes only the status (and metadata); otherwise the stored
   * status is kept. `trusted` (the in-process API) may write both at once.
   */
  update(
    def: ResourceDef,
    namespace: string,
    name: string,
    body: unknown,
    opts: WriteOptions & { subresource?: 'status'; trusted?: boolean } = {},
  ): WriteResult {
    const obj = this.decodeBody(def, body);
    const warnings = this.checkFields(def, obj, opts.fieldValidation);
    this.checkNamespace(def, obj, namespace);
    const meta = obj.metadata;
    if (!meta.name) meta.name = name;
    if (meta.name !== name) throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
    const existing = this.store.get(def.resource, def.namespaced ? namespace : '', name);
    if (!existing) {
      if (!def.allowCreateOnUpdate || opts.subresource === 'status') throw notFound(gr(def), name);
      meta.resourceVersion = '';
      return { object: this.createObject(def, obj, !!opts.dryRun), warnings, created: true };
    }
    return { object: this.updateObject(def, existing, obj, opts), warnings };
  }

  private updateObject(
    def: ResourceDef,
    existing: KubeObject,
    obj: KubeObject,
    opts: { subresource?: 'status'; trusted?: boolean; dryRun?: boolean },
  ): KubeObject {
    const meta = obj.metadata;
    const old = existing.metadata;
    if (meta.resourceVersion && meta.resourceVersion !== old.resourceVersion) throw conflict(gr(def), meta.name);
    const errs: FieldError[] = [];
    if (meta.uid && meta.uid !== old.uid) errs.push(fieldErrors.invalid('metadata.uid', meta.uid, 'field is immutable'));
    meta.uid = old.uid;
    meta.creationTimestamp = old.creationTimestamp;
    if (old.deletionTimestamp !== undefined) meta.deletionTimestamp = old.deletionTimestamp;
    else delete meta.deletionTimestamp;
    if (old.deletionGracePeriodSeconds !== undefined) meta.deletionGracePeriodSeconds = old.deletionGracePeriodSeconds;
    else delete meta.deletionGracePeriodSeconds;
    delete meta.managedFields;
    delete meta.selfLink;
    if (meta.finalizers?.length === 0) delete meta.finalizers;
    if (old.deletionTimestamp !== undefined) {
      const added = (meta.finalizers ?? []).filter((f) => !(old.finalizers ?? []).includes(f));
      if (added.length > 0) {
        errs.push(
          fieldErrors.forbidden(
            'metadata.finalizers',
            `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`,
          ),
        );
      }
    }
    const ctx: WriteContext = { now: this.now(), dryRun: !!opts.dryRun };
    if (opts.subresource === 'status') {
      // Only status (and metadata) can change through /status.
      for (const key of Object.keys(obj)) if (!['apiVersion', 'kind', 'metadata', 'status'].includes(key)) delete obj[key];
      for (const [key, value] of Object.entries(existing)) {
        if (!['apiVersion', 'kind', 'metadata', 'status'].includes(key)) obj[key] = cloneObject(value);
      }
      errs.push(...this.metaErrors(def, meta), ...(def.validateStatus?.(obj, existing) ?? []));
    } else {
      const keepStatus = def.hasStatus && !opts.trusted;
      if (keepStatus) {
        if (existing.status === undefined) delete obj.status;
        else obj.status = cloneObject(existing.status);
      }
      def.prepareForUpdate?.(obj, existing, ctx);
      errs.push(...this.metaErrors(def, meta), ...(def.validateUpdate?.(obj, existing) ?? def.validate?.(obj) ?? []));
    }
    if (def.tracksGeneration) {
      meta.generation = old.generation ?? 1;
      if (!deepEqual(obj.spec, existing.spec)) meta.generation += 1;
    }
    if (errs.length > 0) throw invalid(gk(def), meta.name, errs);
    if (opts.subresource !== 'status') def.allocate?.(obj, existing, !!opts.dryRun);

    meta.resourceVersion = old.resourceVersion;
    if (sameContent(obj, existing)) return existing;
    if (opts.dryRun) return obj;
    const stored = this.store.update(def.resource, obj);
    if (stored.metadata.deletionTimestamp !== undefined && (stored.metadata.finalizers?.length ?? 0) === 0) {
      // The last finalizer is gone: the object is deleted now (watchers see MODIFIED, then DELETED).
      this.remove(def, stored);
    }
    return stored;
  }

  patch(
    def: ResourceDef,
    namespace: string,
    name: string,
    type: PatchType,
    patch: unknown,
    opts: WriteOptions & { subresource?: 'status' } = {},
  ): WriteResult {
    const existing = this.get(def, namespace, name);
    const patched = patchObject(def, name, existing, type, patch);
    const obj = this.decodeBody(def, patched);
    const warnings = this.checkFields(def, obj, opts.fieldValidation);
    this.checkNamespace(def, obj, namespace);
    return { object: this.updateObject(def, existing, obj, { ...opts }), warnings };
  }

  /**
   * DELETE. Returns the object (deleted, or still there with a deletionTimestamp while finalizers
   * or a grace period hold it), or a success Status for resources that answer so.
   */
  delete(def: ResourceDef, namespace: string, name: string, opts: DeleteOptions = {}): KubeObject | Status {
    const existing = this.get(def, namespace, name);
    this.checkDeleteOptions(opts);
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== existing.metadata.uid) {
      throw conflict(gr(def), name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${existing.metadata.uid}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== existing.metadata.resourceVersion) {
      throw conflict(
        gr(def),
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${existing.metadata.resourceVersion}`,
      );
    }
    def.validateDelete?.(existing);
    const now = this.now();
    if (def.beginDelete) {
      const next = def.beginDelete(cloneObject(existing), { now, dryRun: !!opts.dryRun });
      if (next) {
        if (opts.dryRun || sameContent(next, existing)) return opts.dryRun ? next : existing;
        return this.store.update(def.resource, next);
      }
    }
    const grace = def.gracePeriodSeconds?.(existing, opts.gracePeriodSeconds) ?? 0;
    const finalizers = existing.metadata.finalizers ?? [];
    if (grace > 0 || finalizers.length > 0) {
      // Graceful deletion or finalizers: the object stays, marked with a deletionTimestamp.
      const pending = existing.metadata.deletionTimestamp !== undefined;
      if (pending && grace >= (existing.metadata.deletionGracePeriodSeconds ?? 0)) return existing;
      const next = cloneObject(existing);
      next.metadata.deletionTimestamp = timestamp(new Date(now.getTime() + grace * 1000));
      next.metadata.deletionGracePeriodSeconds = grace;
      if (opts.dryRun) return next;
      return this.store.update(def.resource, next);
    }
    if (opts.dryRun) return existing;
    const removed = this.remove(def, existing);
    if (def.returnDeletedObject) return removed;
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name, ...(def.group ? { group: def.group } : {}), kind: def.resource, uid: existing.metadata.uid },
      code: 200,
    };
  }

  private checkDeleteOptions(opts: DeleteOptions): void {
    const errs: FieldError[] = [];
    const policy = opts.propagationPolicy;
    if (policy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(policy)) {
      errs.push(fieldErrors.notSupported('propagationPolicy', policy, ['Foreground', 'Background', 'Orphan']));
    }
    if (opts.gracePeriodSeconds !== undefined && (!Number.isInteger(opts.gracePeriodSeconds) || opts.gracePeriodSeconds < 0)) {
      errs.push(fieldErrors.invalid('gracePeriodSeconds', new GoValue(String(opts.gracePeriodSeconds)), 'must be greater than or equal to 0'));
    }
    if (errs.length > 0) throw invalid({ group: 'meta.k8s.io', kind: 'DeleteOptions' }, '', errs);
  }

  /** Removes an object from the store now, releasing what it held. */
  remove(def: ResourceDef, obj: KubeObject): KubeObject {
    const { namespace, name } = objectKey(obj);
    const removed = this.store.delete(def.resource, namespace, name);
    if (!removed) return obj;
    def.release?.(removed);
    return removed;
  }

  deleteCollection(def: ResourceDef, namespace: string | undefined, list: ListOptions, opts: DeleteOptions = {}): KubeList {
    const items = this.list(def, namespace, { labelSelector: list.labelSelector, fieldSelector: list.fieldSelector }).items;
    const out: KubeObject[] = [];
    for (const item of items) {
      const result = this.delete(def, item.metadata.namespace ?? '', item.metadata.name, opts);
      out.push(result.kind === 'Status' ? item : (result as KubeObject));
    }
    return {
      kind: `${def.kind}List`,
      apiVersion: apiVersionOf(def),
      metadata: { resourceVersion: String(this.store.resourceVersion) },
      items: out,
    };
  }

  /* ------------------------------------------------------------------------------- watch */

  /**
   * Starts a watch; `send` receives each event synchronously, `end` is called once if the watch
   * ends by itself (410 Expired). Returns the function that stops it. Throws KubeApiError (400)
   * for bad parameters before anything is sent.
   */
  watch(def: ResourceDef, namespace: string | undefined, opts: WatchOptions, send: (ev: WatchEvent) => void, end: () => void): () => void {
    const sel = this.selectors(def, opts.labelSelector, opts.fieldSelector);
    const matches = this.matcher(def, sel);
    const ns = def.namespaced ? namespace : undefined;
    const inScope = (obj: KubeObject) => ns === undefined || obj.metadata.namespace === ns;
    const rvParam = opts.resourceVersion ?? '';
    let fromRV: number | undefined;
    if (rvParam !== '' && rvParam !== '0') {
      if (!/^\d+$/.test(rvParam)) throw badRequest(`invalid resource version: ${JSON.stringify(rvParam)}`);
      fromRV = Number(rvParam);
    }

    const convert = (ev: StoreEvent): WatchEvent | undefined => {
      if (ev.resource !== def.resource || !inScope(ev.object)) return undefined;
      const cur = matches(ev.object);
      if (ev.type === 'MODIFIED') {
        const before = ev.prev ? matches(ev.prev) : false;
        if (cur && before) return { type: 'MODIFIED', object: ev.object };
        if (cur) return { type: 'ADDED', object: ev.object };
        // Stopped matching: a DELETED of the previous content at this event's resourceVersion.
        if (before && ev.prev) return { type: 'DELETED', object: { ...ev.prev, metadata: { ...ev.prev.metadata, resourceVersion: String(ev.rv) } } };
        return undefined;
      }
      return cur ? { type: ev.type, object: ev.object } : undefined;
    };

    if (fromRV !== undefined) {
      const history = this.store.eventsSince(fromRV);
      if (!Array.isArray(history)) {
        send({ type: 'ERROR', object: expired(history.expired).status });
        end();
        return () => undefined;
      }
      for (const ev of history) {
        const out = convert(ev);
        if (out) send(out);
      }
    } else {
      const initial = opts.sendInitialEvents !== false;
      if (initial) {
        this.store.scan(def.resource, ns, undefined, (obj) => {
          if (matches(obj)) send({ type: 'ADDED', object: obj });
          return true;
        });
      }
      if (opts.sendInitialEvents === true && opts.allowWatchBookmarks) {
        send({
          type: 'BOOKMARK',
          object: {
            apiVersion: apiVersionOf(def),
            kind: def.kind,
            metadata: {
              resourceVersion: String(this.store.resourceVersion),
              annotations: { 'k8s.io/initial-events-end': 'true' },
            } as unknown as ObjectMeta,
          },
        });
      }
    }
    const unsubscribe = this.store.subscribe((ev) => {
      const out = convert(ev);
      if (out) send(out);
    });
    this.onWatchCount(1);
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      unsubscribe();
      this.onWatchCount(-1);
    };
  }
}

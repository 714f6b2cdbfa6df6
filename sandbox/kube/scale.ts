/**
 * The `scale` subresource (`/apis/apps/v1/namespaces/NS/deployments/NAME/scale`), written from the
 * Kubernetes API reference for autoscaling/v1 `Scale` and the apiserver's scale REST storage:
 * - GET answers the parent's Scale: metadata {name, namespace, uid, resourceVersion,
 *   creationTimestamp} of the parent, `spec.replicas` (omitted when 0, as Go's omitempty does),
 *   `status.replicas` (the parent's observed replicas) and `status.selector` (the parent's label
 *   selector as a selector string, `app=alpine`);
 * - PUT takes a Scale and sets the parent's `spec.replicas` from it (a Scale without `spec.replicas`
 *   scales to 0); its `metadata.resourceVersion`, when set, must be the parent's (409 Conflict like the
 *   main resource), its `metadata.uid` too (409 "Precondition failed");
 * - PATCH applies a json, merge or strategic merge patch to the current Scale, then writes it as PUT does.
 * The parent is written through the registry (generation bumped, status kept), so its controller
 * scales the pods. Answers 404 for a missing parent, as the parent's own GET would.
 */
import { badRequest, conflict, fieldErrors, internalError, invalid, type FieldError, type KubeApiError } from './errors.js';
import { patchObject, type PatchType, type Registry, type ResourceDef, type WriteOptions, type WriteResult } from './registry.js';
import { formatLabelSelector } from './selectors.js';
import type { KubeObject } from './types.js';
import { isPlainObject } from './validation.js';

const SCALE_GROUP = 'autoscaling';
const SCALE_VERSION = 'v1';
const SCALE_API_VERSION = `${SCALE_GROUP}/${SCALE_VERSION}`;
const SCALE_KIND = { group: SCALE_GROUP, kind: 'Scale' };

/** autoscaling/v1 Scale. */
interface Scale extends KubeObject {
  apiVersion: typeof SCALE_API_VERSION;
  kind: 'Scale';
  spec: { replicas?: number };
  status: { replicas: number; selector?: string };
}

/** What a scalable parent (a Deployment, ReplicaSet or StatefulSet) has that its Scale shows. */
interface Scalable extends KubeObject {
  spec?: { replicas?: number; selector?: unknown; [key: string]: unknown };
  status?: { replicas?: number; [key: string]: unknown };
}

/** The Scale of a parent object (the apiserver's scaleFromDeployment). */
function scaleOf(parent: KubeObject): Scale {
  const obj = parent as Scalable;
  const meta = obj.metadata;
  const replicas = obj.spec?.replicas ?? 0;
  const selectorObject = obj.spec?.selector;
  // LabelSelectorAsSelector(nil) is labels.Nothing(), whose String() is empty (and omitted).
  const selector = selectorObject === undefined || selectorObject === null ? '' : formatLabelSelector(selectorObject);
  if (selector === '<invalid>') throw internalError(`the label selector of ${meta.name} is not valid`);
  return {
    kind: 'Scale',
    apiVersion: SCALE_API_VERSION,
    metadata: {
      name: meta.name,
      ...(meta.namespace !== undefined ? { namespace: meta.namespace } : {}),
      uid: meta.uid,
      resourceVersion: meta.resourceVersion,
      creationTimestamp: meta.creationTimestamp,
    },
    spec: replicas !== 0 ? { replicas } : {},
    status: { replicas: obj.status?.replicas ?? 0, ...(selector !== '' ? { selector } : {}) },
  };
}

/** GET .../NAME/scale. */
export function readScale(registry: Registry, def: ResourceDef, namespace: string, name: string): Scale {
  return scaleOf(registry.get(def, namespace, name));
}

/** A value as the apiserver would print it in a message. */
const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

const cannotHandle = (what: string): KubeApiError => badRequest(`Scale in version "${SCALE_VERSION}" cannot be handled as a Scale: ${what}`);

/** Decodes a Scale body like the apiserver's JSON decoder: 400 for the wrong kind or a field of the wrong type. */
function decodeScale(body: unknown): { name?: string; namespace?: string; uid?: string; resourceVersion?: string; replicas: number } {
  if (!isPlainObject(body)) throw cannotHandle('the object provided is not a JSON object');
  if (body.apiVersion !== undefined && body.apiVersion !== SCALE_API_VERSION) {
    throw badRequest(`the API version in the data (${show(body.apiVersion)}) does not match the expected API version (${SCALE_API_VERSION})`);
  }
  if (body.kind !== undefined && body.kind !== 'Scale') throw badRequest(`the kind in the data (${show(body.kind)}) does not match the expected kind (Scale)`);
  const meta = body.metadata ?? {};
  if (!isPlainObject(meta)) throw cannotHandle(`json: cannot unmarshal ${typeof meta} into Go struct field Scale.metadata of type v1.ObjectMeta`);
  const out: ReturnType<typeof decodeScale> = { replicas: 0 };
  for (const key of ['name', 'namespace', 'uid', 'resourceVersion'] as const) {
    const v = meta[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') throw cannotHandle(`json: cannot unmarshal ${typeof v} into Go struct field ObjectMeta.metadata.${key} of type string`);
    out[key] = v;
  }
  const spec = body.spec ?? {};
  if (!isPlainObject(spec)) throw cannotHandle(`json: cannot unmarshal ${typeof spec} into Go struct field Scale.spec of type v1.ScaleSpec`);
  const replicas = spec.replicas ?? 0;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || Math.abs(replicas) > 2 ** 31 - 1) {
    throw cannotHandle(`json: cannot unmarshal ${typeof replicas === 'number' ? 'number' : typeof replicas} into Go struct field ScaleSpec.spec.replicas of type int32`);
  }
  out.replicas = replicas;
  return out;
}

/** PUT .../NAME/scale: sets the parent's spec.replicas from a Scale; answers the parent's new Scale. */
export function replaceScale(
  registry: Registry,
  def: ResourceDef,
  namespace: string,
  name: string,
  body: unknown,
  opts: WriteOptions = {},
): WriteResult<Scale> {
  const scale = decodeScale(body);
  if (scale.name !== undefined && scale.name !== '' && scale.name !== name) {
    throw badRequest(`the name of the object (${scale.name}) does not match the name on the URL (${name})`);
  }
  if (def.namespaced && scale.namespace !== undefined && scale.namespace !== '' && scale.namespace !== namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  const parent = registry.get(def, namespace, name);
  const errs: FieldError[] = [];
  if (scale.replicas < 0) errs.push(fieldErrors.invalid('spec.replicas', scale.replicas, 'must be greater than or equal to 0'));
  if (errs.length > 0) throw invalid(SCALE_KIND, name, errs);
  if (scale.uid !== undefined && scale.uid !== '' && scale.uid !== parent.metadata.uid) {
    throw conflict(
      { group: def.group, resource: `${def.resource}/scale` },
      name,
      `Precondition failed: UID in precondition: ${scale.uid}, UID in object meta: ${parent.metadata.uid}`,
    );
  }
  const next = structuredClone(parent) as Scalable;
  next.spec = { ...(next.spec ?? {}), replicas: scale.replicas };
  // The Scale's resourceVersion is the parent's: a stale one is the parent's 409, an empty one unconditional.
  next.metadata.resourceVersion = scale.resourceVersion ?? '';
  const result = registry.update(def, namespace, name, next, opts);
  return { object: scaleOf(result.object), warnings: result.warnings };
}

/** PATCH .../NAME/scale: the patch applies to the current Scale, which is then written as PUT writes it. */
export function patchScale(
  registry: Registry,
  def: ResourceDef,
  namespace: string,
  name: string,
  type: PatchType,
  patch: unknown,
  opts: WriteOptions = {},
): WriteResult<Scale> {
  const current = readScale(registry, def, namespace, name);
  const patched = patchObject(SCALE_KIND, name, current, type, patch);
  return replaceScale(registry, def, namespace, name, patched, opts);
}

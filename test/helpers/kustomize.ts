/**
 * Renders a kustomization the way `kubectl kustomize DIR` does, for the subset of kustomize that
 * manifests/ uses, so that the tests check the objects `kubectl apply -k` would send without needing
 * kubectl (no npm package renders kustomizations). Anything outside that subset is an error, never
 * silently ignored: a kustomization that grows a feature grows it here too.
 *
 * The subset: `resources` (YAML files and directories holding a kustomization), `namespace`,
 * `labels` (pairs on metadata.labels only: no includeSelectors/includeTemplates), `images` (newName,
 * newTag, on the containers of workloads' pod templates),
 * `configMapGenerator` and `secretGenerator` (files and literals) with
 * `generatorOptions.disableNameSuffixHash: true`, `patches` from files holding JSON 6902 `add` operations
 * (RFC 6902: a member set, an array element inserted at an index or appended at `-`) on the objects a
 * `target` names by kind (and name). Like kustomize, a file may only come from inside the
 * kustomization's own folder (its load restrictor), and a directory that contains the folder that
 * loads it is a cycle.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename, relative, resolve, sep } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';

/** A Kubernetes object as rendered: apiVersion, kind, metadata and the rest. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

interface Generator {
  name: string;
  files?: string[];
  literals?: string[];
}

interface Kustomization {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  labels?: { pairs: Record<string, string>; includeSelectors?: boolean; includeTemplates?: boolean }[];
  resources?: string[];
  images?: { name: string; newName?: string; newTag?: string }[];
  configMapGenerator?: Generator[];
  secretGenerator?: Generator[];
  generatorOptions?: { disableNameSuffixHash?: boolean };
  patches?: { path?: string; patch?: string; target?: { kind?: string; name?: string; [selector: string]: unknown } }[];
}

const KNOWN_KEYS = new Set(['apiVersion', 'kind', 'namespace', 'labels', 'images', 'resources', 'configMapGenerator', 'secretGenerator', 'generatorOptions', 'patches']);

/** Kinds without a namespace among those manifests/ may hold (kustomize's `namespace` leaves them alone). */
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass', 'CustomResourceDefinition', 'PriorityClass']);

/** Kustomize's own output order: these kinds first, in this order, then the rest by kind; by name within one. */
const KIND_ORDER = ['Namespace', 'ResourceQuota', 'StorageClass', 'CustomResourceDefinition', 'ServiceAccount', 'PodSecurityPolicy', 'Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding', 'ConfigMap', 'Secret', 'Endpoints', 'Service', 'LimitRange', 'PriorityClass', 'PersistentVolume', 'PersistentVolumeClaim', 'Deployment', 'StatefulSet', 'CronJob', 'PodDisruptionBudget'];
const LAST_KINDS = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'];

function rank(kind: string): number {
  const first = KIND_ORDER.indexOf(kind);
  if (first >= 0) return first;
  const last = LAST_KINDS.indexOf(kind);
  return last >= 0 ? KIND_ORDER.length + 1 + last : KIND_ORDER.length;
}

/** Renders the kustomization in `dir` (absolute or relative to the working directory). */
export function kustomize(dir: string): KubeObject[] {
  const objects = build(resolve(dir), []);
  return objects.sort(
    (a, b) => rank(a.kind) - rank(b.kind) || (rank(a.kind) === KIND_ORDER.length ? a.kind.localeCompare(b.kind) : 0) || a.metadata.name.localeCompare(b.metadata.name),
  );
}

function build(root: string, loading: readonly string[]): KubeObject[] {
  for (const visited of loading) {
    if (visited === root || visited.startsWith(root + sep)) throw new Error(`cycle detected: ${root} contains ${visited}, which loads it`);
  }
  const k = parse(readFileSync(resolve(root, 'kustomization.yaml'), 'utf8')) as Kustomization;
  const unknown = Object.keys(k).filter((key) => !KNOWN_KEYS.has(key));
  if (unknown.length > 0) throw new Error(`${root}/kustomization.yaml: not supported by this helper: ${unknown.join(', ')}`);

  const inside = (path: string): string => {
    const full = resolve(root, path);
    if (relative(root, full).startsWith('..')) throw new Error(`${root}: security; file '${path}' is not in or below '${root}'`);
    return full;
  };

  const objects: KubeObject[] = [];
  for (const entry of k.resources ?? []) {
    const full = resolve(root, entry);
    if (statSync(full).isDirectory()) {
      objects.push(...build(full, [...loading, root]));
    } else {
      const docs = parseAllDocuments(readFileSync(inside(entry), 'utf8'));
      for (const doc of docs) {
        if (doc.errors.length > 0) throw new Error(`${entry}: ${doc.errors[0]!.message}`);
        const object = doc.toJS() as KubeObject | null;
        if (object !== null) objects.push(object);
      }
    }
  }

  const generators = [...(k.configMapGenerator ?? []).map((g) => ['ConfigMap', g] as const), ...(k.secretGenerator ?? []).map((g) => ['Secret', g] as const)];
  if (generators.length > 0 && k.generatorOptions?.disableNameSuffixHash !== true) {
    throw new Error(`${root}: this helper renders generators only with generatorOptions.disableNameSuffixHash: true`);
  }
  for (const [kind, g] of generators) {
    const data: Record<string, string> = {};
    for (const literal of g.literals ?? []) {
      const eq = literal.indexOf('=');
      data[literal.slice(0, eq)] = literal.slice(eq + 1);
    }
    for (const file of g.files ?? []) {
      const eq = file.indexOf('=');
      const [key, path] = eq >= 0 ? [file.slice(0, eq), file.slice(eq + 1)] : [basename(file), file];
      data[key] = readFileSync(inside(path), 'utf8');
    }
    objects.push(
      kind === 'ConfigMap'
        ? { apiVersion: 'v1', kind, metadata: { name: g.name }, data }
        : { apiVersion: 'v1', kind, metadata: { name: g.name }, type: 'Opaque', data: Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value).toString('base64')])) },
    );
  }

  for (const object of objects) {
    if (k.namespace !== undefined && !CLUSTER_SCOPED.has(object.kind)) object.metadata.namespace = k.namespace;
    for (const { pairs, includeSelectors, includeTemplates } of k.labels ?? []) {
      if (includeSelectors === true || includeTemplates === true) throw new Error(`${root}: labels with includeSelectors/includeTemplates are not supported by this helper`);
      object.metadata.labels = { ...object.metadata.labels, ...pairs };
    }
  }
  for (const { path, patch, target } of k.patches ?? []) {
    if (path === undefined || patch !== undefined) throw new Error(`${root}: this helper applies patches from a file (path) only, not inline ones`);
    const unsupported = Object.keys(target ?? {}).filter((key) => key !== 'kind' && key !== 'name');
    if (target?.kind === undefined || unsupported.length > 0) throw new Error(`${root}: this helper applies patches to a target of a kind (and name) only`);
    if (target.name !== undefined && !/^[\w.-]+$/.test(target.name)) throw new Error(`${root}: this helper takes a patch target's name literally, not as a regular expression`);
    const operations = parse(readFileSync(inside(path), 'utf8')) as unknown;
    if (!Array.isArray(operations)) throw new Error(`${path}: strategic-merge patches are not supported by this helper (JSON 6902 operations only)`);
    const targets = objects.filter((o) => o.kind === target.kind && (target.name === undefined || o.metadata.name === target.name));
    for (const object of targets) for (const operation of operations as JsonPatchOperation[]) applyAdd(object, operation, path);
  }
  for (const image of k.images ?? []) for (const object of objects) setImage(object, image);
  return objects;
}

interface JsonPatchOperation {
  op: string;
  path: string;
  value?: unknown;
}

/** RFC 6902 `add`: the pointer's parent must exist; in an array `-` appends, an index (up to its length) inserts. */
function applyAdd(object: KubeObject, { op, path, value }: JsonPatchOperation, file: string): void {
  if (op !== 'add') throw new Error(`${file}: the JSON patch operation '${op}' is not supported by this helper (add only)`);
  const tokens = path.split('/').slice(1).map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
  const last = tokens.pop();
  if (!path.startsWith('/') || last === undefined) throw new Error(`${file}: '${path}' is not a JSON pointer below the object`);
  let parent: unknown = object;
  for (const token of tokens) {
    parent = Array.isArray(parent) ? parent[Number(token)] : typeof parent === 'object' && parent !== null ? (parent as Record<string, unknown>)[token] : undefined;
    if (parent === undefined) throw new Error(`${file}: ${object.kind} ${object.metadata.name} has nothing at '${path}' to add to`);
  }
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(index) || index < 0 || index > parent.length) throw new Error(`${file}: index '${last}' is out of bounds at '${path}'`);
    parent.splice(index, 0, structuredClone(value));
  } else if (typeof parent === 'object' && parent !== null) {
    (parent as Record<string, unknown>)[last] = structuredClone(value);
  } else {
    throw new Error(`${file}: ${object.kind} ${object.metadata.name} has no object or array at '${path}'`);
  }
}

/** Kustomize's `images`: a container whose image is `name` (with or without a tag) gets newName:newTag. */
function setImage(object: KubeObject, { name, newName, newTag }: { name: string; newName?: string; newTag?: string }): void {
  const spec = object['spec'] as { template?: { spec?: { containers?: { image?: string }[]; initContainers?: { image?: string }[] } } } | undefined;
  const pod = spec?.template?.spec;
  for (const c of [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])]) {
    const m = /^([^:@]+(?::\d+\/[^:@]+)?)(?::([^@]+))?$/.exec(c.image ?? '');
    if (!m || m[1] !== name) continue;
    const tag = newTag ?? m[2];
    c.image = `${newName ?? name}${tag === undefined ? '' : `:${tag}`}`;
  }
}


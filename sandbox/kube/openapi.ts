/**
 * The OpenAPI v3 documents of the simulated apiserver: the index at `/openapi/v3` and one document per
 * group/version (`/openapi/v3/api/v1`, `/openapi/v3/apis/apps/v1`, `/openapi/v3/apis/discovery.k8s.io/v1`),
 * shaped like the real apiserver's so that a stock kubectl uses them:
 *
 * - `kubectl apply` (client-side) looks for a PATCH operation whose `x-kubernetes-group-version-kind`
 *   is the object's GVK and whose request body accepts `application/strategic-merge-patch+json`, then
 *   computes the patch from the component schema carrying that GVK, following
 *   `x-kubernetes-patch-merge-key`/`-strategy` (Service ports merge on `port`).
 * - kubectl's default `--validate=strict` first checks that the same PATCH operation lists the
 *   `fieldValidation` query parameter; when it does, kubectl skips client-side schema validation and
 *   sends `?fieldValidation=Strict`, leaving validation to the server. {@link unknownFields} lets the
 *   server do that strict check against the same schemas.
 *
 * Every path of a served resource is listed (with the verbs discovery advertises); the schemas are
 * described field by field for Service, Namespace, Endpoints and EndpointSlice (see ./openapi/schemas.ts).
 *
 * Pure data: no I/O, nothing imported from svcbot.
 */
import { createHash } from 'node:crypto';
import { SANDBOX_RESOURCES, SANDBOX_VERSION, type ResourceInfo } from './discovery.js';
import { APPS_V1_SCHEMAS, CORE_V1_SCHEMAS, DISCOVERY_V1_SCHEMAS, ref, type Schema } from './openapi/schemas.js';

interface GroupVersionDoc {
  group: string;
  version: string;
  /** Index key and URL suffix: `api/v1`, `apis/apps/v1`. */
  key: string;
  /** Prefix of Go type names, as in `io.k8s.api.core.v1`. */
  typePrefix: string;
  /** CamelCase group+version used in operation ids (`CoreV1`) and its snake tag (`core_v1`). */
  opGroup: string;
  tag: string;
  schemas: Readonly<Record<string, Schema>>;
}

const GROUP_VERSIONS: readonly GroupVersionDoc[] = [
  {
    group: '',
    version: 'v1',
    key: 'api/v1',
    typePrefix: 'io.k8s.api.core.v1',
    opGroup: 'CoreV1',
    tag: 'core_v1',
    schemas: CORE_V1_SCHEMAS,
  },
  {
    group: 'apps',
    version: 'v1',
    key: 'apis/apps/v1',
    typePrefix: 'io.k8s.api.apps.v1',
    opGroup: 'AppsV1',
    tag: 'apps_v1',
    schemas: APPS_V1_SCHEMAS,
  },
  {
    group: 'discovery.k8s.io',
    version: 'v1',
    key: 'apis/discovery.k8s.io/v1',
    typePrefix: 'io.k8s.api.discovery.v1',
    opGroup: 'DiscoveryV1',
    tag: 'discovery_v1',
    schemas: DISCOVERY_V1_SCHEMAS,
  },
];

/* ------------------------------------------------------------------------------ parameters */

function query(name: string, description: string, type: 'string' | 'boolean' | 'integer' = 'string'): Schema {
  return { name, in: 'query', description, schema: { type, uniqueItems: true } };
}

const P = {
  pretty: query('pretty', "If 'true', then the output is pretty printed."),
  dryRun: query('dryRun', 'When present, indicates that modifications should not be persisted. Valid value: All.'),
  fieldManager: query('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes.'),
  fieldValidation: query(
    'fieldValidation',
    'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: Ignore, Warn (the default) and Strict.',
  ),
  force: query('force', 'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people.', 'boolean'),
  allowWatchBookmarks: query('allowWatchBookmarks', 'allowWatchBookmarks requests watch events with type "BOOKMARK".', 'boolean'),
  continue: query('continue', 'The continue option should be set when retrieving more results from the server.'),
  fieldSelector: query('fieldSelector', 'A selector to restrict the list of returned objects by their fields. Defaults to everything.'),
  labelSelector: query('labelSelector', 'A selector to restrict the list of returned objects by their labels. Defaults to everything.'),
  limit: query('limit', 'limit is a maximum number of responses to return for a list call.', 'integer'),
  resourceVersion: query('resourceVersion', 'resourceVersion sets a constraint on what resource versions a request may be served from.'),
  resourceVersionMatch: query('resourceVersionMatch', 'resourceVersionMatch determines how resourceVersion is applied to list calls.'),
  sendInitialEvents: query('sendInitialEvents', '`sendInitialEvents=true` may be set together with `watch=true`.', 'boolean'),
  timeoutSeconds: query('timeoutSeconds', 'Timeout for the list/watch call.', 'integer'),
  watch: query('watch', 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.', 'boolean'),
  gracePeriodSeconds: query('gracePeriodSeconds', 'The duration in seconds before the object should be deleted.', 'integer'),
  orphanDependents: query('orphanDependents', 'Deprecated: please use the PropagationPolicy.', 'boolean'),
  propagationPolicy: query('propagationPolicy', "Whether and how garbage collection will be performed: 'Orphan', 'Background' or 'Foreground'."),
};
const LIST_PARAMS = [
  P.allowWatchBookmarks,
  P.continue,
  P.fieldSelector,
  P.labelSelector,
  P.limit,
  P.resourceVersion,
  P.resourceVersionMatch,
  P.sendInitialEvents,
  P.timeoutSeconds,
  P.watch,
];
const DELETE_PARAMS = [P.dryRun, P.gracePeriodSeconds, P.orphanDependents, P.propagationPolicy];

function pathParam(name: 'name' | 'namespace', description: string): Schema {
  return { name, in: 'path', required: true, description, schema: { type: 'string', uniqueItems: true } };
}
const NAMESPACE_PARAM = pathParam('namespace', 'object name and auth scope, such as for teams and projects');

/* ------------------------------------------------------------------------------ operations */

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

function json(schemaName: string): Schema {
  return { 'application/json': { schema: ref(schemaName) } };
}
function responses(codes: Record<string, string>, schemaName: string): Schema {
  const out: Schema = {};
  const text: Record<string, string> = { '200': 'OK', '201': 'Created', '202': 'Accepted' };
  for (const code of Object.keys(codes)) out[code] = { description: text[code], content: json(codes[code] ?? schemaName) };
  out['401'] = { description: 'Unauthorized' };
  return out;
}

interface OpSpec {
  opId: string;
  description: string;
  action: string;
  parameters: Schema[];
  body?: Schema;
  responses: Schema;
}

function operation(gv: GroupVersionDoc, r: ResourceInfo, spec: OpSpec): Schema {
  const op: Schema = {
    description: spec.description,
    operationId: spec.opId,
    parameters: spec.parameters,
  };
  if (spec.body) op.requestBody = spec.body;
  op.responses = spec.responses;
  op.tags = [gv.tag];
  op['x-kubernetes-action'] = spec.action;
  op['x-kubernetes-group-version-kind'] = { group: gv.group, kind: r.kind, version: gv.version };
  return op;
}

/** The paths of one resource (and its status subresource, if served), like the real document's. */
function resourcePaths(gv: GroupVersionDoc, r: ResourceInfo, status: ResourceInfo | undefined): Record<string, Schema> {
  const kind = r.kind;
  const typeName = `${gv.typePrefix}.${kind}`;
  const listName = `${typeName}List`;
  const base = gv.group === '' ? `/api/${gv.version}` : `/apis/${gv.group}/${gv.version}`;
  const scope = r.namespaced ? 'Namespaced' : '';
  const collection = r.namespaced ? `${base}/namespaces/{namespace}/${r.name}` : `${base}/${r.name}`;
  const item = `${collection}/{name}`;
  const has = (verb: string): boolean => r.verbs.includes(verb);
  const scopeParams = r.namespaced ? [NAMESPACE_PARAM] : [];
  const nameParam = pathParam('name', `name of the ${kind}`);
  const body = (schemaName: string): Schema => ({ content: json(schemaName), required: true });
  const patchBody: Schema = {
    content: {
      'application/apply-patch+yaml': { schema: ref(`${META}.Patch`) },
      'application/json-patch+json': { schema: ref(`${META}.Patch`) },
      'application/merge-patch+json': { schema: ref(`${META}.Patch`) },
      'application/strategic-merge-patch+json': { schema: ref(`${META}.Patch`) },
    },
    required: true,
  };
  const op = (spec: OpSpec): Schema => operation(gv, r, spec);
  const id = (prefix: string, suffix = ''): string => `${prefix}${gv.opGroup}${scope}${kind}${suffix}`;
  const paths: Record<string, Schema> = {};

  const collectionOps: Schema = {};
  if (has('list')) {
    collectionOps.get = op({
      opId: id('list'),
      description: `list or watch objects of kind ${kind}`,
      action: 'list',
      parameters: LIST_PARAMS,
      responses: responses({ '200': listName }, listName),
    });
  }
  if (has('create')) {
    collectionOps.post = op({
      opId: id('create'),
      description: `create ${article(kind)} ${kind}`,
      action: 'post',
      parameters: [P.dryRun, P.fieldManager, P.fieldValidation],
      body: body(typeName),
      responses: responses({ '200': typeName, '201': typeName, '202': typeName }, typeName),
    });
  }
  if (has('deletecollection')) {
    collectionOps.delete = op({
      opId: `delete${gv.opGroup}Collection${scope}${kind}`,
      description: `delete collection of ${kind}`,
      action: 'deletecollection',
      parameters: [...LIST_PARAMS.filter((p) => p.name !== 'watch' && p.name !== 'allowWatchBookmarks'), ...DELETE_PARAMS],
      body: { content: json(`${META}.DeleteOptions`) },
      responses: responses({ '200': `${META}.Status` }, `${META}.Status`),
    });
  }
  paths[collection] = { ...collectionOps, parameters: [...scopeParams, P.pretty] };

  const itemOps: Schema = {};
  if (has('get')) {
    itemOps.get = op({
      opId: id('read'),
      description: `read the specified ${kind}`,
      action: 'get',
      parameters: [],
      responses: responses({ '200': typeName }, typeName),
    });
  }
  if (has('update')) {
    itemOps.put = op({
      opId: id('replace'),
      description: `replace the specified ${kind}`,
      action: 'put',
      parameters: [P.dryRun, P.fieldManager, P.fieldValidation],
      body: body(typeName),
      responses: responses({ '200': typeName, '201': typeName }, typeName),
    });
  }
  if (has('patch')) {
    itemOps.patch = op({
      opId: id('patch'),
      description: `partially update the specified ${kind}`,
      action: 'patch',
      parameters: [P.dryRun, P.fieldManager, P.fieldValidation, P.force],
      body: patchBody,
      responses: responses({ '200': typeName, '201': typeName }, typeName),
    });
  }
  if (has('delete')) {
    itemOps.delete = op({
      opId: id('delete'),
      description: `delete ${article(kind)} ${kind}`,
      action: 'delete',
      parameters: DELETE_PARAMS,
      body: { content: json(`${META}.DeleteOptions`) },
      responses: responses({ '200': typeName, '202': typeName }, typeName),
    });
  }
  paths[item] = { ...itemOps, parameters: [nameParam, ...scopeParams, P.pretty] };

  if (status) {
    const statusOps: Schema = {
      get: op({
        opId: id('read', 'Status'),
        description: `read status of the specified ${kind}`,
        action: 'get',
        parameters: [],
        responses: responses({ '200': typeName }, typeName),
      }),
      put: op({
        opId: id('replace', 'Status'),
        description: `replace status of the specified ${kind}`,
        action: 'put',
        parameters: [P.dryRun, P.fieldManager, P.fieldValidation],
        body: body(typeName),
        responses: responses({ '200': typeName, '201': typeName }, typeName),
      }),
      patch: op({
        opId: id('patch', 'Status'),
        description: `partially update status of the specified ${kind}`,
        action: 'patch',
        parameters: [P.dryRun, P.fieldManager, P.fieldValidation, P.force],
        body: patchBody,
        responses: responses({ '200': typeName, '201': typeName }, typeName),
      }),
    };
    paths[`${item}/status`] = { ...statusOps, parameters: [nameParam, ...scopeParams, P.pretty] };
  }

  if (r.namespaced && has('list')) {
    paths[`${base}/${r.name}`] = {
      get: op({
        opId: `list${gv.opGroup}${kind}ForAllNamespaces`,
        description: `list or watch objects of kind ${kind}`,
        action: 'list',
        parameters: LIST_PARAMS,
        responses: responses({ '200': listName }, listName),
      }),
      parameters: [P.pretty],
    };
  }
  return paths;
}

function article(kind: string): string {
  return /^[AEIOU]/.test(kind) ? 'an' : 'a';
}

function buildDocument(gv: GroupVersionDoc): object {
  const paths: Record<string, Schema> = {};
  const served = SANDBOX_RESOURCES.filter((r) => r.group === gv.group && r.version === gv.version);
  for (const r of served.filter((x) => !x.name.includes('/'))) {
    const status = served.find((x) => x.name === `${r.name}/status`);
    Object.assign(paths, resourcePaths(gv, r, status));
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: SANDBOX_VERSION.gitVersion },
    paths,
    components: {
      schemas: gv.schemas,
      securitySchemes: { BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' } },
    },
    security: [{ BearerToken: [] }],
  };
}

interface Built {
  docs: Map<string, object>;
  index: object;
}
let built: Built | undefined;

function build(): Built {
  if (built) return built;
  const docs = new Map<string, object>();
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of GROUP_VERSIONS) {
    const doc = buildDocument(gv);
    docs.set(gv.key, doc);
    // Like the real apiserver: the URL carries a hash of the document, so clients may cache it.
    const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase();
    paths[gv.key] = { serverRelativeURL: `/openapi/v3/${gv.key}?hash=${hash}` };
  }
  built = { docs, index: { paths } };
  return built;
}

/**
 * The OpenAPI v3 answer for `path` (query string, e.g. `?hash=`, and a trailing slash are ignored):
 * the index for `/openapi/v3`, a group/version document for `/openapi/v3/api/v1` and the like,
 * undefined for anything else (`/openapi/v2` included: the sandbox serves only v3). Answer with
 * `Content-Type: application/json`; a `?hash=` URL never changes, so it may be sent with
 * `Cache-Control: public, immutable`.
 */
export function openApiResponse(path: string): object | undefined {
  const clean = (path.split('?')[0] ?? '').replace(/\/+$/, '');
  const { docs, index } = build();
  if (clean === '/openapi/v3') return index;
  if (!clean.startsWith('/openapi/v3/')) return undefined;
  return docs.get(clean.slice('/openapi/v3/'.length));
}

/* ------------------------------------------------------------------------- strict validation */

function resolve(schema: Schema, schemas: Readonly<Record<string, Schema>>): Schema {
  let cur = schema;
  for (let depth = 0; depth < 8; depth++) {
    const allOf = cur.allOf;
    if (Array.isArray(allOf) && allOf.length > 0) {
      cur = allOf[0] as Schema;
      continue;
    }
    const target = typeof cur.$ref === 'string' ? schemas[cur.$ref.replace('#/components/schemas/', '')] : undefined;
    if (!target) return cur;
    cur = target;
  }
  return cur;
}

function walk(value: unknown, schema: Schema, schemas: Readonly<Record<string, Schema>>, path: string, out: string[]): void {
  const s = resolve(schema, schemas);
  if (s['x-kubernetes-preserve-unknown-fields'] === true) return;
  if (Array.isArray(value)) {
    const itemSchema = s.items as Schema | undefined;
    if (itemSchema) value.forEach((v, i) => walk(v, itemSchema, schemas, `${path}[${i}]`, out));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const props = s.properties as Record<string, Schema> | undefined;
  const additional = s.additionalProperties as Schema | undefined;
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const child = props?.[key] ?? additional;
    const childPath = path === '' ? key : `${path}.${key}`;
    if (child) walk(v, child, schemas, childPath, out);
    // An object schema without properties (FieldsV1, RawExtension, Patch) accepts any field.
    else if (props !== undefined) out.push(childPath);
  }
}

/**
 * The fields of `obj` its kind's schema does not know, as sorted `spec.ports[0].foo` paths (empty when all
 * are known); undefined when the sandbox has no field-by-field schema for that apiVersion/kind.
 *
 * For `?fieldValidation=Strict` the real apiserver then answers 400 BadRequest with the message
 * `Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec.foo"`
 * (several fields comma-separated, each as `unknown field "<path>"`); with `Warn` (the default) it
 * accepts the object and sends a `Warning: 299 - "unknown field \"spec.foo\""` header per field.
 */
export function unknownFields(obj: { apiVersion?: unknown; kind?: unknown }): string[] | undefined {
  if (typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') return undefined;
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
  const gv = GROUP_VERSIONS.find((g) => g.group === group && g.version === version);
  if (!gv) return undefined;
  const schema = Object.values(gv.schemas).find((s) => {
    const gvks = s['x-kubernetes-group-version-kind'];
    return Array.isArray(gvks) && gvks.some((x: Record<string, unknown>) => x.kind === obj.kind && x.group === group);
  });
  if (!schema || schema['x-kubernetes-preserve-unknown-fields'] === true) return undefined;
  const out: string[] = [];
  walk(obj, schema, gv.schemas, '', out);
  return out.sort();
}

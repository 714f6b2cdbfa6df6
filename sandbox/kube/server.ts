/**
 * The simulated apiserver's HTTP face: the real Kubernetes REST API on loopback, so that
 * `@kubernetes/client-node` and a stock `kubectl` work against it unchanged.
 *
 * Routes: discovery (`/version`, `/api`, `/apis`, ...), `/openapi/v3/...`, `/healthz|livez|readyz`,
 * and `/api/v1/...`, `/apis/{apps,discovery.k8s.io}/v1/...` for namespaced and cluster-wide
 * collections, objects and their `/status` (and `/scale` for deployments, ./scale.ts). JSON (or YAML) bodies; patches in the three formats;
 * `application/apply-patch+yaml` (server-side apply) answers 415. Every error is a meta/v1 Status.
 * Watches stream one JSON event per line over a chunked 200 response. `Accept: ...;as=Table`
 * answers meta.k8s.io/v1 Tables (what `kubectl get` asks for), watches included.
 *
 * Fault knobs (read live): `kubeLatencyMs` delays every request, `kubeErrorEveryN` answers every
 * Nth request (counted from the last knob change) with a 500 InternalError, and
 * `watchDropEverySeconds` ends every open watch every N seconds. `server.close()` ends open
 * watches and idle connections so it never hangs.
 *
 * Authorization: given a `KubeAuthorization`, requests impersonating a user (`Impersonate-User`) act as
 * that user and are evaluated by RBAC (./rbac.ts); everything else is the sandbox's admin. The `deny` fault knob refuses
 * for everyone. `POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews` answers for the caller.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { parse as parseYaml } from 'yaml';
import type { Faults } from '../faults.js';
import type { KubeCluster } from './cluster.js';
import { discoveryResponse, findResource } from './discovery.js';
import {
  KubeApiError,
  badRequest,
  internalError,
  forbidden,
  methodNotAllowed,
  resourceNotFound,
  unsupportedMediaType,
} from './errors.js';
import { openApiResponse } from './openapi.js';
import { apiVersionOf, type DeleteOptions, type PatchType, type ResourceDef } from './registry.js';
import type { RbacPolicy } from './rbac.js';
import { resourceFor } from './resources.js';
import { patchScale, readScale, replaceScale } from './scale.js';
import { toTable } from './tables.js';
import type { KubeObject, WatchEvent } from './types.js';
import { isPlainObject } from './validation.js';
import type { InternalNetwork } from './streams/network.js';
import { StreamingSubresources, parseStreamRoute, type StreamRoute } from './streams/subresources.js';

const MAX_BODY_BYTES = 3 * 1024 * 1024;
const JSON_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf', 'application/cbor'];
const PATCH_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
};

interface Route {
  def: ResourceDef;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
  legacyWatch: boolean;
}

interface OpenWatch {
  end(): void;
}

function sendJson(res: http.ServerResponse, code: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function sendStatus(res: http.ServerResponse, err: KubeApiError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, err.code, err.status);
}

function wantsTable(req: http.IncomingMessage): boolean {
  const accept = req.headers.accept ?? '';
  // The first acceptable media type wins; kubectl lists Table first, plain JSON as the fallback.
  const first = accept.split(',')[0] ?? '';
  return /as=Table/.test(first) && /g=meta\.k8s\.io/.test(first);
}

function withTypeMeta(def: ResourceDef, obj: KubeObject): KubeObject {
  return obj.kind ? obj : { ...obj, apiVersion: apiVersionOf(def), kind: def.kind };
}

function parseRoute(cluster: KubeCluster, path: string): Route | undefined {
  let rest: string[];
  let group = '';
  let version: string;
  const segs = path.split('/').filter((s) => s !== '');
  if (segs[0] === 'api') {
    if (segs.length < 3) return undefined;
    version = segs[1]!;
    rest = segs.slice(2);
  } else if (segs[0] === 'apis') {
    if (segs.length < 4) return undefined;
    group = segs[1]!;
    version = segs[2]!;
    rest = segs.slice(3);
  } else {
    return undefined;
  }
  let legacyWatch = false;
  if (rest[0] === 'watch') {
    legacyWatch = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && resourceFor(cluster.resources, group, version, rest[2]!)?.namespaced) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length === 0 || rest.length > 3) return undefined;
  const def = resourceFor(cluster.resources, group, version, rest[0]!);
  if (!def) return undefined;
  if (namespace !== undefined && !def.namespaced) return undefined;
  return { def, namespace, name: rest[1], subresource: rest[2], legacyWatch };
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new KubeApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${MAX_BODY_BYTES}`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function mediaType(req: http.IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

function decodeJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequest(`${what}: json parse error: ${(err as Error).message}`);
  }
}

/** Decodes a create/update body (JSON, or YAML like the apiserver also accepts). */
function decodeObjectBody(req: http.IncomingMessage, text: string): unknown {
  const type = mediaType(req);
  if (type === 'application/yaml') {
    try {
      return parseYaml(text) as unknown;
    } catch (err) {
      throw badRequest(`couldn't get version/kind; yaml parse error: ${(err as Error).message}`);
    }
  }
  if (type !== '' && type !== 'application/json' && type !== '*/*') throw unsupportedMediaType(type, JSON_TYPES);
  if (text.trim() === '') throw badRequest('the body of the request was empty');
  return decodeJson(text, "couldn't get version/kind");
}

/** The patch type a PATCH's Content-Type names: 415 for server-side apply and anything unknown. */
function patchTypeOf(req: http.IncomingMessage): PatchType {
  const type = mediaType(req);
  if (type === 'application/apply-patch+yaml' || type === 'application/apply-patch+cbor') {
    throw new KubeApiError(
      415,
      'UnsupportedMediaType',
      'server-side apply (application/apply-patch+yaml) is not supported by the svcbot sandbox apiserver: use client-side apply (kubectl apply without --server-side) or a json, merge or strategic merge patch',
      { causes: [{ reason: 'UnsupportedMediaType', message: type }] },
    );
  }
  const patchType = PATCH_TYPES[type];
  if (!patchType) throw unsupportedMediaType(type, [...Object.keys(PATCH_TYPES), 'application/apply-patch+yaml']);
  return patchType;
}

function query(url: URL, key: string): string | undefined {
  const v = url.searchParams.get(key);
  return v === null ? undefined : v;
}

function intParam(url: URL, key: string): number | undefined {
  const v = query(url, key);
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw badRequest(`invalid value for ${key}: ${JSON.stringify(v)}: must be an integer`);
  return Number(v);
}

function boolParam(url: URL, key: string): boolean {
  const v = query(url, key);
  return v === 'true' || v === '1';
}

function dryRunParam(url: URL): boolean {
  const values = url.searchParams.getAll('dryRun');
  for (const v of values) {
    if (v !== 'All') throw badRequest(`dryRun: Unsupported value: ${JSON.stringify(v)}: supported values: "All"`);
  }
  return values.length > 0;
}

function parseDeleteOptions(url: URL, body: string): DeleteOptions {
  const opts: DeleteOptions = { dryRun: dryRunParam(url) };
  if (body.trim() !== '') {
    const parsed = decodeJson(body, "couldn't decode DeleteOptions");
    if (!isPlainObject(parsed)) throw badRequest('DeleteOptions must be a JSON object');
    if (typeof parsed.gracePeriodSeconds === 'number') opts.gracePeriodSeconds = parsed.gracePeriodSeconds;
    if (typeof parsed.propagationPolicy === 'string') opts.propagationPolicy = parsed.propagationPolicy;
    if (isPlainObject(parsed.preconditions)) {
      const pre = parsed.preconditions;
      opts.preconditions = {
        ...(typeof pre.uid === 'string' ? { uid: pre.uid } : {}),
        ...(typeof pre.resourceVersion === 'string' ? { resourceVersion: pre.resourceVersion } : {}),
      };
    }
    if (Array.isArray(parsed.dryRun) && parsed.dryRun.length > 0) {
      if (parsed.dryRun.some((v) => v !== 'All')) throw badRequest('dryRun: Unsupported value: supported values: "All"');
      opts.dryRun = true;
    }
  }
  const grace = intParam(url, 'gracePeriodSeconds');
  if (grace !== undefined) opts.gracePeriodSeconds = grace;
  const policy = query(url, 'propagationPolicy');
  if (policy !== undefined) opts.propagationPolicy = policy;
  return opts;
}

function allowed(def: ResourceDef, verb: string, subresource: string | undefined): boolean {
  const info = findResource(def.group, def.version, subresource ? `${def.resource}/${subresource}` : def.resource);
  return info?.verbs.includes(verb) ?? false;
}

function includeObjectParam(url: URL): 'None' | 'Metadata' | 'Object' | undefined {
  const v = query(url, 'includeObject');
  if (v === undefined) return undefined;
  if (v === 'None' || v === 'Metadata' || v === 'Object') return v;
  throw badRequest(`includeObject: Unsupported value: ${JSON.stringify(v)}: supported values: "None", "Metadata", "Object"`);
}

/** The RBAC verb of a request (the apiserver's RequestInfo). */
function requestVerb(method: string, isWatch: boolean, name: string | undefined): string {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return isWatch ? 'watch' : name ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return name ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

/** Who the sandbox says is asking when it enforces no RBAC (it has no authentication then: everyone is svcbot's service account). */
const SANDBOX_USER = 'system:serviceaccount:svcbot:svcbot';

/**
 * RBAC enforcement: a request that impersonates a user (`Impersonate-User`, what a kubeconfig user's `as:`
 * and `kubectl --as` send) acts as that user under `policy`; every other request is the sandbox's admin
 * (system:masters, which may impersonate). Impersonation rather than a bearer token because kubectl does
 * not send tokens over plain HTTP, and the sandbox serves plain HTTP.
 */
export interface KubeAuthorization {
  policy: RbacPolicy;
  /** The user svcbot's kubeconfig acts as (named in the `deny` fault knob's refusals of other requests). */
  as: string;
  /** Told of every request RBAC refused (the Status message), for tests to find a missing grant. */
  onRefusal?: (message: string) => void;
}

const SSAR_PATH = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';

export interface KubeApiServerOptions {
  /** The cluster network behind the proxy, port-forward and exec subresources (./streams/); without it they answer 503. */
  network?: InternalNetwork;
}

export function createKubeApiServer(cluster: KubeCluster, faults: Faults, rbac?: KubeAuthorization, options: KubeApiServerOptions = {}): http.Server {
  /** The user a request acts as, when it is one RBAC restricts (undefined: the admin, who may do anything). */
  const restrictedUser = (req: http.IncomingMessage): string | undefined => {
    const impersonated = req.headers['impersonate-user'];
    return rbac && typeof impersonated === 'string' && impersonated !== '' ? impersonated : undefined;
  };

  /**
   * The authorizer: RBAC for the restricted user, then the `deny` fault knob for everyone. A refusal is
   * the RBAC authorizer's 403 Forbidden: `services "web" is forbidden: User "…" cannot create resource
   * "services" in API group "" in the namespace "default"`.
   */
  const authorize = (user: string | undefined, verb: string, route: Route): void => {
    const resource = route.subresource ? `${route.def.resource}/${route.subresource}` : route.def.resource;
    const rbacDenied =
      user !== undefined &&
      !rbac!.policy.authorize(user, {
        verb,
        group: route.def.group,
        resource: route.def.resource,
        ...(route.subresource ? { subresource: route.subresource } : {}),
        ...(route.name ? { name: route.name } : {}),
        ...(route.namespace ? { namespace: route.namespace } : {}),
      }).allowed;
    const denied =
      rbacDenied ||
      faults.settings.deny.some(
        (d) => (d.verb === '*' || d.verb === verb) && d.resource === resource && (d.namespace === undefined || d.namespace === route.namespace),
      );
    if (!denied) return;
    const scope = route.namespace ? `in the namespace "${route.namespace}"` : 'at the cluster scope';
    const err = forbidden(
      { group: route.def.group, resource: route.def.resource },
      route.name ?? '',
      `User "${user ?? rbac?.as ?? SANDBOX_USER}" cannot ${verb} resource "${resource}" in API group "${route.def.group}" ${scope}`,
    );
    if (rbacDenied) rbac!.onRefusal?.(err.message);
    throw err;
  };

  /** `kubectl auth can-i`: a SelfSubjectAccessReview answered for the user who sends it. */
  const selfSubjectAccessReview = async (req: http.IncomingMessage, res: http.ServerResponse, user: string | undefined): Promise<void> => {
    if (req.method !== 'POST') throw methodNotAllowed();
    const body = decodeObjectBody(req, await readBody(req));
    if (!isPlainObject(body) || !isPlainObject(body.spec)) throw badRequest('SelfSubjectAccessReview: spec is required');
    const spec = body.spec;
    const str = (o: Record<string, unknown>, k: string): string => (typeof o[k] === 'string' ? o[k] : '');
    let decision = { allowed: true, reason: '' };
    if (user !== undefined && isPlainObject(spec.resourceAttributes)) {
      const a = spec.resourceAttributes;
      decision = rbac!.policy.authorize(user, {
        verb: str(a, 'verb'),
        group: str(a, 'group'),
        resource: str(a, 'resource'),
        subresource: str(a, 'subresource'),
        name: str(a, 'name'),
        namespace: str(a, 'namespace'),
      });
    } else if (user !== undefined && isPlainObject(spec.nonResourceAttributes)) {
      decision = rbac!.policy.authorizePath(user, str(spec.nonResourceAttributes, 'verb'), str(spec.nonResourceAttributes, 'path'));
    } else if (user !== undefined) {
      throw new KubeApiError(422, 'Invalid', 'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified', { kind: 'SelfSubjectAccessReview', group: 'authorization.k8s.io' });
    }
    sendJson(res, 201, {
      kind: 'SelfSubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec,
      status: { allowed: decision.allowed, ...(decision.reason ? { reason: decision.reason } : {}) },
    });
  };

  /** services/proxy, pods/proxy, pods/portforward, pods/exec (./streams/). */
  const streaming = new StreamingSubresources(cluster, options.network, (req: http.IncomingMessage, verb: string, sr: StreamRoute) => {
    const def = resourceFor(cluster.resources, '', 'v1', sr.resource);
    if (!def) throw resourceNotFound();
    authorize(restrictedUser(req), verb, { def, namespace: sr.namespace, name: sr.name, subresource: sr.subresource, legacyWatch: false });
  });

  const watches = new Set<OpenWatch>();
  let requestCount = 0;
  let dropTimer: NodeJS.Timeout | undefined;
  let closed = false;
  let lastDropSetting = -1;

  const dropAllWatches = () => {
    for (const w of [...watches]) w.end();
  };
  const applyFaults = () => {
    const every = faults.settings.watchDropEverySeconds;
    if (every === lastDropSetting) return;
    lastDropSetting = every;
    if (dropTimer) clearInterval(dropTimer);
    dropTimer = undefined;
    if (every > 0 && !closed) {
      dropTimer = setInterval(dropAllWatches, every * 1000);
      dropTimer.unref();
    }
  };
  let lastErrorEvery = faults.settings.kubeErrorEveryN;
  const unsubscribe = faults.onChange((settings) => {
    if (settings.kubeErrorEveryN !== lastErrorEvery) {
      lastErrorEvery = settings.kubeErrorEveryN;
      requestCount = 0;
    }
    applyFaults();
  });
  applyFaults();

  /** GET, PUT and PATCH of a `/scale` subresource (./scale.ts); authorized already. */
  const handleScale = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL, def: ResourceDef, namespace: string, name: string): Promise<void> => {
    const method = req.method ?? 'GET';
    if (method === 'GET' && !boolParam(url, 'watch')) {
      const scale = readScale(cluster.registry, def, namespace, name);
      if (wantsTable(req)) {
        const listMeta = { resourceVersion: scale.metadata.resourceVersion };
        sendJson(res, 200, toTable('scale', [scale], { wide: true, now: new Date(), listMeta, includeObject: includeObjectParam(url) }));
      } else sendJson(res, 200, scale);
      return;
    }
    if (method !== 'PUT' && method !== 'PATCH') throw methodNotAllowed();
    const text = await readBody(req);
    const writeOpts = { dryRun: dryRunParam(url), fieldValidation: query(url, 'fieldValidation'), fieldManager: query(url, 'fieldManager') };
    const result =
      method === 'PUT'
        ? replaceScale(cluster.registry, def, namespace, name, decodeObjectBody(req, text), writeOpts)
        : patchScale(cluster.registry, def, namespace, name, patchTypeOf(req), decodeJson(text, 'error decoding patch'), writeOpts);
    sendJson(res, 200, result.object);
  };

  const handleResource = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL, route: Route): Promise<void> => {
    const { def, name, subresource } = route;
    const namespace = route.namespace;
    const method = req.method ?? 'GET';
    // The apiserver authorizes before it looks at what the request asks (an unknown subresource is a 403 first).
    authorize(restrictedUser(req), requestVerb(method, route.legacyWatch || boolParam(url, 'watch'), name), route);
    if (subresource === 'scale' && name && findResource(def.group, def.version, `${def.resource}/scale`)) {
      await handleScale(req, res, url, def, namespace ?? '', name);
      return;
    }
    if (subresource !== undefined && !(subresource === 'status' && def.hasStatus && name)) throw resourceNotFound();
    const table = wantsTable(req);
    const now = () => new Date();
    const isWatch = route.legacyWatch || boolParam(url, 'watch');

    if (method === 'GET' && isWatch) {
      if (!allowed(def, 'watch', undefined)) throw methodNotAllowed();
      let fieldSelector = query(url, 'fieldSelector') ?? '';
      if (name) fieldSelector = fieldSelector ? `${fieldSelector},metadata.name=${name}` : `metadata.name=${name}`;
      streamWatch(res, url, def, namespace, fieldSelector, table);
      return;
    }
    if (method === 'GET') {
      const verb = name ? 'get' : 'list';
      if (!allowed(def, verb, subresource)) throw methodNotAllowed();
      const includeObject = includeObjectParam(url);
      if (name) {
        const obj = cluster.registry.get(def, namespace ?? '', name);
        if (table) {
          sendJson(res, 200, toTable(def.resource, [obj], { wide: true, now: now(), listMeta: { resourceVersion: obj.metadata.resourceVersion }, includeObject }));
        } else sendJson(res, 200, obj);
        return;
      }
      const limit = intParam(url, 'limit');
      const list = cluster.registry.list(def, namespace, {
        labelSelector: query(url, 'labelSelector'),
        fieldSelector: query(url, 'fieldSelector'),
        limit,
        continue: query(url, 'continue'),
      });
      if (table) {
        const items = list.items.map((o) => withTypeMeta(def, o));
        sendJson(res, 200, toTable(def.resource, items, { wide: true, now: now(), listMeta: list.metadata, includeObject }));
      } else sendJson(res, 200, list);
      return;
    }

    const text = await readBody(req);
    const writeOpts = {
      dryRun: dryRunParam(url),
      fieldValidation: query(url, 'fieldValidation'),
      fieldManager: query(url, 'fieldManager'),
    };
    const warningHeaders = (warnings: string[]): Record<string, string[]> =>
      warnings.length ? { Warning: warnings.map((w) => `299 - ${JSON.stringify(w)}`) } : {};
    const sub = subresource === 'status' ? ('status' as const) : undefined;

    switch (method) {
      case 'POST': {
        if (name || !allowed(def, 'create', undefined)) throw methodNotAllowed();
        if (def.namespaced && namespace === undefined) throw methodNotAllowed();
        const body = decodeObjectBody(req, text);
        const result = cluster.registry.create(def, namespace ?? '', body, writeOpts);
        sendJson(res, 201, result.object, warningHeaders(result.warnings));
        return;
      }
      case 'PUT': {
        if (!name || !allowed(def, 'update', subresource)) throw methodNotAllowed();
        const body = decodeObjectBody(req, text);
        const result = cluster.registry.update(def, namespace ?? '', name, body, { ...writeOpts, subresource: sub });
        sendJson(res, result.created ? 201 : 200, result.object, warningHeaders(result.warnings));
        return;
      }
      case 'PATCH': {
        if (!name || !allowed(def, 'patch', subresource)) throw methodNotAllowed();
        const patchType = patchTypeOf(req);
        const patch = decodeJson(text, 'error decoding patch');
        const result = cluster.registry.patch(def, namespace ?? '', name, patchType, patch, { ...writeOpts, subresource: sub });
        sendJson(res, 200, result.object, warningHeaders(result.warnings));
        return;
      }
      case 'DELETE': {
        if (sub) throw methodNotAllowed();
        const opts = parseDeleteOptions(url, text);
        if (name) {
          if (!allowed(def, 'delete', undefined)) throw methodNotAllowed();
          sendJson(res, 200, cluster.registry.delete(def, namespace ?? '', name, opts));
          return;
        }
        if (!allowed(def, 'deletecollection', undefined)) throw methodNotAllowed();
        const list = cluster.registry.deleteCollection(
          def,
          namespace,
          { labelSelector: query(url, 'labelSelector'), fieldSelector: query(url, 'fieldSelector') },
          opts,
        );
        sendJson(res, 200, list);
        return;
      }
      default:
        throw methodNotAllowed();
    }
  };

  const streamWatch = (
    res: http.ServerResponse,
    url: URL,
    def: ResourceDef,
    namespace: string | undefined,
    fieldSelector: string,
    table: boolean,
  ): void => {
    const timeoutSeconds = intParam(url, 'timeoutSeconds');
    const includeObject = includeObjectParam(url);
    let headerSent = false;
    let finished = false;
    let stop: () => void = () => undefined;
    let timer: NodeJS.Timeout | undefined;
    let tableSent = false;
    // Events produced while the watch is being set up (initial state, history, an immediate
    // ERROR) are held until the 200 has gone out.
    const buffered: WatchEvent[] = [];
    const openWatch: OpenWatch = {
      end: () => {
        if (finished) return;
        finished = true;
        stop();
        if (timer) clearTimeout(timer);
        watches.delete(openWatch);
        if (headerSent && !res.writableEnded) res.end();
      },
    };
    const encode = (ev: WatchEvent): string => {
      if (!table || (ev.type !== 'ADDED' && ev.type !== 'MODIFIED' && ev.type !== 'DELETED')) return `${JSON.stringify(ev)}\n`;
      const obj = ev.object as KubeObject;
      const object = toTable(def.resource, [obj], {
        wide: true,
        now: new Date(),
        listMeta: { resourceVersion: obj.metadata.resourceVersion },
        includeObject,
        noHeaders: tableSent,
      });
      tableSent = true;
      return `${JSON.stringify({ type: ev.type, object })}\n`;
    };
    const write = (ev: WatchEvent) => {
      if (!headerSent) buffered.push(ev);
      else if (!finished) res.write(encode(ev));
    };
    // Parameters are validated (and a 400 thrown) before the 200 goes out.
    stop = cluster.registry.watch(
      def,
      namespace,
      {
        labelSelector: query(url, 'labelSelector'),
        fieldSelector,
        resourceVersion: query(url, 'resourceVersion'),
        allowWatchBookmarks: boolParam(url, 'allowWatchBookmarks'),
        sendInitialEvents: query(url, 'sendInitialEvents') === undefined ? undefined : boolParam(url, 'sendInitialEvents'),
      },
      write,
      () => openWatch.end(),
    );
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    headerSent = true;
    for (const ev of buffered.splice(0)) res.write(encode(ev));
    if (finished) {
      res.end();
      return;
    }
    watches.add(openWatch);
    if (timeoutSeconds !== undefined && timeoutSeconds > 0) timer = setTimeout(() => openWatch.end(), timeoutSeconds * 1000);
    // 'close' on the response: the client went away (or we ended it).
    res.on('close', () => openWatch.end());
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const latency = faults.settings.kubeLatencyMs;
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));
    requestCount++;
    const every = faults.settings.kubeErrorEveryN;
    if (every > 0 && requestCount % every === 0) {
      throw internalError(`injected fault: every ${every}th request fails (sandbox kubeErrorEveryN)`);
    }
    const path = url.pathname;
    if (path === '/healthz' || path === '/livez' || path === '/readyz') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok');
      return;
    }
    const user = restrictedUser(req);
    if (path === SSAR_PATH) {
      await selfSubjectAccessReview(req, res, user);
      return;
    }
    const streamRoute = parseStreamRoute(path);
    if (streamRoute) {
      await streaming.handleRequest(req, res, url, streamRoute);
      return;
    }
    const route = parseRoute(cluster, path);
    if (!route) {
      const verb = req.method === 'HEAD' || req.method === undefined ? 'get' : req.method.toLowerCase();
      if (user !== undefined && !rbac!.policy.authorizePath(user, verb, path).allowed) {
        const err = new KubeApiError(403, 'Forbidden', `forbidden: User "${user}" cannot ${verb} path "${path}"`, {});
        rbac!.onRefusal?.(err.message);
        throw err;
      }
      const doc = path.startsWith('/openapi/') ? openApiResponse(path) : discoveryResponse(path, { serverAddress: req.headers.host });
      if (doc) {
        if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed();
        const immutable = path.startsWith('/openapi/') && url.searchParams.has('hash');
        sendJson(res, 200, doc, immutable ? { 'Cache-Control': 'public, immutable' } : {});
        return;
      }
      throw resourceNotFound();
    }
    await handleResource(req, res, url, route);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof KubeApiError) sendStatus(res, err);
      else sendStatus(res, internalError(err instanceof Error ? err.message : String(err)));
    });
  });

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const streamRoute = parseStreamRoute(url.pathname);
    if (streamRoute) {
      streaming.handleUpgrade(req, socket, head, url, streamRoute);
      return;
    }
    const body = JSON.stringify(resourceNotFound().status);
    socket.end(`HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });

  const originalClose = server.close.bind(server);
  server.close = ((callback?: (err?: Error) => void) => {
    closed = true;
    streaming.close();
    unsubscribe();
    if (dropTimer) clearInterval(dropTimer);
    dropTimer = undefined;
    dropAllWatches();
    const result = originalClose(callback);
    // Connections still busy (a watch finishing its last chunk, a request in flight) are closed
    // as soon as they go idle; whatever is left after a short grace period (a client's spare
    // connection that never sent a request) is cut, so close() never waits on keep-alive.
    server.closeIdleConnections();
    const sweep = setInterval(() => server.closeIdleConnections(), 20);
    const cut = setTimeout(() => server.closeAllConnections(), 250);
    sweep.unref();
    cut.unref();
    server.once('close', () => {
      clearInterval(sweep);
      clearTimeout(cut);
    });
    return result;
  });
  return server;
}

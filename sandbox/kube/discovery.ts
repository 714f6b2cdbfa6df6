/**
 * Legacy (non-aggregated) API discovery for the simulated apiserver: `/version`, `/api`, `/api/v1`,
 * `/apis`, `/apis/<group>` and `/apis/<group>/<version>`, written from the Kubernetes API concepts
 * ("Discovery API") and the meta/v1 types APIVersions, APIGroupList, APIGroup and APIResourceList.
 *
 * Aggregated discovery (apidiscovery.k8s.io/v2) is deliberately not served. kubectl and client-go ask
 * for it with `Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,...,
 * application/json`; client-go decides what it got from the *response* `Content-Type` only
 * (`ContentTypeIsGVK` in discovery_client.go): anything other than `application/json` carrying
 * `g=apidiscovery.k8s.io;v=v2(beta1);as=APIGroupDiscoveryList` is parsed as legacy discovery. So the
 * server must answer these documents with plain `Content-Type: application/json`.
 *
 * Pure data: no I/O, nothing imported from svcbot.
 */

/** What the sandbox reports from `/version`: an EKS-flavoured 1.31 control plane. */
export const SANDBOX_VERSION = {
  major: '1',
  minor: '31',
  gitVersion: 'v1.31.0-eks-sandbox',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2024-08-13T00:00:00Z',
  goVersion: 'go1.22.5',
  compiler: 'gc',
  platform: 'linux/amd64',
} as const;

/** One served resource (or subresource) of one group/version, as the discovery documents list it. */
export interface ResourceInfo {
  /** '' for the core (legacy) group. */
  readonly group: string;
  readonly version: string;
  /** Plural resource name, with `/subresource` for subresources: `services`, `services/status`, `deployments/scale`. */
  readonly name: string;
  readonly singularName: string;
  readonly kind: string;
  /** The group and version of `kind` when they are not the list's own (a `/scale` subresource's autoscaling/v1 Scale). */
  readonly kindGroup?: string;
  readonly kindVersion?: string;
  readonly namespaced: boolean;
  readonly verbs: readonly string[];
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;
const STATUS_VERBS = ['get', 'patch', 'update'] as const;
/** pods/exec, pods/portforward: a WebSocket upgrade is a GET, SPDY's a POST. */
const CONNECT_VERBS = ['create', 'get'] as const;
const PROXY_VERBS = ['create', 'delete', 'get', 'patch', 'update'] as const;

/**
 * Every resource the sandbox advertises, in the order the real apiserver lists them (alphabetical
 * within a group/version). Verbs, short names and categories are those of a stock 1.31 apiserver.
 */
export const SANDBOX_RESOURCES: readonly ResourceInfo[] = [
  {
    group: '',
    version: 'v1',
    name: 'endpoints',
    singularName: 'endpoints',
    kind: 'Endpoints',
    namespaced: true,
    verbs: ALL_VERBS,
    shortNames: ['ep'],
  },
  {
    group: '',
    version: 'v1',
    name: 'events',
    singularName: 'event',
    kind: 'Event',
    namespaced: true,
    verbs: ALL_VERBS,
    shortNames: ['ev'],
  },
  {
    group: '',
    version: 'v1',
    name: 'namespaces',
    singularName: 'namespace',
    kind: 'Namespace',
    namespaced: false,
    // Namespaces cannot be deleted as a collection.
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    shortNames: ['ns'],
  },
  {
    group: '',
    version: 'v1',
    name: 'namespaces/status',
    singularName: '',
    kind: 'Namespace',
    namespaced: false,
    verbs: STATUS_VERBS,
  },
  {
    group: '',
    version: 'v1',
    name: 'nodes',
    singularName: 'node',
    kind: 'Node',
    namespaced: false,
    verbs: ALL_VERBS,
    shortNames: ['no'],
  },
  {
    group: '',
    version: 'v1',
    name: 'nodes/status',
    singularName: '',
    kind: 'Node',
    namespaced: false,
    verbs: STATUS_VERBS,
  },
  {
    group: '',
    version: 'v1',
    name: 'pods',
    singularName: 'pod',
    kind: 'Pod',
    namespaced: true,
    verbs: ALL_VERBS,
    shortNames: ['po'],
    categories: ['all'],
  },
  {
    group: '',
    version: 'v1',
    name: 'pods/exec',
    singularName: '',
    kind: 'PodExecOptions',
    namespaced: true,
    verbs: CONNECT_VERBS,
  },
  {
    group: '',
    version: 'v1',
    name: 'pods/portforward',
    singularName: '',
    kind: 'PodPortForwardOptions',
    namespaced: true,
    verbs: CONNECT_VERBS,
  },
  {
    group: '',
    version: 'v1',
    name: 'pods/proxy',
    singularName: '',
    kind: 'PodProxyOptions',
    namespaced: true,
    verbs: PROXY_VERBS,
  },
  {
    group: '',
    version: 'v1',
    name: 'pods/status',
    singularName: '',
    kind: 'Pod',
    namespaced: true,
    verbs: STATUS_VERBS,
  },
  {
    group: '',
    version: 'v1',
    name: 'services',
    singularName: 'service',
    kind: 'Service',
    namespaced: true,
    verbs: ALL_VERBS,
    shortNames: ['svc'],
    categories: ['all'],
  },
  {
    group: '',
    version: 'v1',
    name: 'services/proxy',
    singularName: '',
    kind: 'ServiceProxyOptions',
    namespaced: true,
    verbs: PROXY_VERBS,
  },
  {
    group: '',
    version: 'v1',
    name: 'services/status',
    singularName: '',
    kind: 'Service',
    namespaced: true,
    verbs: STATUS_VERBS,
  },
  {
    group: 'apps',
    version: 'v1',
    name: 'deployments',
    singularName: 'deployment',
    kind: 'Deployment',
    namespaced: true,
    verbs: ALL_VERBS,
    shortNames: ['deploy'],
    categories: ['all'],
  },
  {
    group: 'apps',
    version: 'v1',
    name: 'deployments/scale',
    singularName: '',
    kind: 'Scale',
    kindGroup: 'autoscaling',
    kindVersion: 'v1',
    namespaced: true,
    verbs: STATUS_VERBS,
  },
  {
    group: 'apps',
    version: 'v1',
    name: 'deployments/status',
    singularName: '',
    kind: 'Deployment',
    namespaced: true,
    verbs: STATUS_VERBS,
  },
  {
    group: 'discovery.k8s.io',
    version: 'v1',
    name: 'endpointslices',
    singularName: 'endpointslice',
    kind: 'EndpointSlice',
    namespaced: true,
    verbs: ALL_VERBS,
  },
];

/** The non-core groups, each with its versions (preferred first). */
const GROUPS: readonly { name: string; versions: readonly string[] }[] = [
  { name: 'apps', versions: ['v1'] },
  { name: 'discovery.k8s.io', versions: ['v1'] },
];

/**
 * Looks a resource up the way a router needs it: by group, version and plural name (optionally
 * `name/subresource`). Undefined when the sandbox does not serve it.
 */
export function findResource(group: string, version: string, name: string): ResourceInfo | undefined {
  return SANDBOX_RESOURCES.find((r) => r.group === group && r.version === version && r.name === name);
}

function groupVersion(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

function apiResource(r: ResourceInfo): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: r.name,
    singularName: r.singularName,
    namespaced: r.namespaced,
    ...(r.kindGroup !== undefined ? { group: r.kindGroup } : {}),
    ...(r.kindVersion !== undefined ? { version: r.kindVersion } : {}),
    kind: r.kind,
    verbs: [...r.verbs],
  };
  if (r.shortNames) out.shortNames = [...r.shortNames];
  if (r.categories) out.categories = [...r.categories];
  return out;
}

function resourceList(group: string, version: string): object {
  const resources = SANDBOX_RESOURCES.filter((r) => r.group === group && r.version === version).map(apiResource);
  // The legacy /api/v1 document carries no apiVersion; group documents do.
  return group === ''
    ? { kind: 'APIResourceList', groupVersion: version, resources }
    : { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion(group, version), resources };
}

function apiGroup(g: { name: string; versions: readonly string[] }): Record<string, unknown> {
  const versions = g.versions.map((v) => ({ groupVersion: groupVersion(g.name, v), version: v }));
  return { name: g.name, versions, preferredVersion: versions[0] };
}

export interface DiscoveryOptions {
  /** host:port the clients reach the server on, for `serverAddressByClientCIDRs` in `/api`. */
  serverAddress?: string;
}

/**
 * The discovery document for `path` (query string and a trailing slash are ignored), or undefined
 * when `path` is not a discovery path. Answer it with `Content-Type: application/json`.
 */
export function discoveryResponse(path: string, opts: DiscoveryOptions = {}): object | undefined {
  const clean = (path.split('?')[0] ?? '').replace(/\/+$/, '');
  if (clean === '/version') return { ...SANDBOX_VERSION };
  if (clean === '/api') {
    return {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: opts.serverAddress ?? '127.0.0.1:443' }],
    };
  }
  if (clean === '/api/v1') return resourceList('', 'v1');
  if (clean === '/apis') return { kind: 'APIGroupList', apiVersion: 'v1', groups: GROUPS.map(apiGroup) };
  const m = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(clean);
  if (!m) return undefined;
  const group = GROUPS.find((g) => g.name === m[1]);
  if (!group) return undefined;
  const version = m[2];
  if (version === undefined) return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group) };
  return group.versions.includes(version) ? resourceList(group.name, version) : undefined;
}

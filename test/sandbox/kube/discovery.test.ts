import { describe, expect, it } from '@jest/globals';
import { discoveryResponse, findResource, SANDBOX_RESOURCES } from '../../../sandbox/kube/discovery.js';
import { openApiResponse, unknownFields } from '../../../sandbox/kube/openapi.js';

type Json = Record<string, unknown>;

function doc(path: string): Json {
  const d = discoveryResponse(path);
  if (d === undefined) throw new Error(`no discovery document for ${path}`);
  return d as Json;
}
function resources(path: string): Json[] {
  return doc(path).resources as Json[];
}
function resource(path: string, name: string): Json {
  const r = resources(path).find((x) => x.name === name);
  if (!r) throw new Error(`${path} does not list ${name}`);
  return r;
}

const ALL = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

describe('discoveryResponse', () => {
  it('reports an EKS-flavoured 1.31 version', () => {
    expect(doc('/version')).toMatchObject({
      major: '1',
      minor: '31',
      gitVersion: 'v1.31.0-eks-sandbox',
      platform: 'linux/amd64',
    });
  });

  it('lists the core version at /api and the groups at /apis', () => {
    expect(doc('/api')).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    expect(discoveryResponse('/api', { serverAddress: '127.0.0.1:6443' })).toMatchObject({
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' }],
    });
    const apis = doc('/apis');
    expect(apis).toMatchObject({ kind: 'APIGroupList', apiVersion: 'v1' });
    expect(apis.groups).toEqual([
      {
        name: 'apps',
        versions: [{ groupVersion: 'apps/v1', version: 'v1' }],
        preferredVersion: { groupVersion: 'apps/v1', version: 'v1' },
      },
      {
        name: 'discovery.k8s.io',
        versions: [{ groupVersion: 'discovery.k8s.io/v1', version: 'v1' }],
        preferredVersion: { groupVersion: 'discovery.k8s.io/v1', version: 'v1' },
      },
    ]);
    expect(doc('/apis/apps')).toMatchObject({ kind: 'APIGroup', apiVersion: 'v1', name: 'apps' });
    expect(doc('/apis/discovery.k8s.io')).toMatchObject({ kind: 'APIGroup', name: 'discovery.k8s.io' });
  });

  it.each([
    // path, resource, kind, namespaced, verbs, shortNames, categories
    ['/api/v1', 'services', 'Service', true, ALL, ['svc'], ['all']],
    ['/api/v1', 'pods', 'Pod', true, ALL, ['po'], ['all']],
    ['/api/v1', 'namespaces', 'Namespace', false, ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], ['ns'], undefined],
    ['/api/v1', 'nodes', 'Node', false, ALL, ['no'], undefined],
    ['/api/v1', 'endpoints', 'Endpoints', true, ALL, ['ep'], undefined],
    ['/api/v1', 'events', 'Event', true, ALL, ['ev'], undefined],
    ['/apis/apps/v1', 'deployments', 'Deployment', true, ALL, ['deploy'], ['all']],
    ['/apis/discovery.k8s.io/v1', 'endpointslices', 'EndpointSlice', true, ALL, undefined, undefined],
  ])('%s lists %s', (path, name, kind, namespaced, verbs, shortNames, categories) => {
    const r = resource(path, name);
    expect(r).toMatchObject({ kind, namespaced, verbs });
    expect(r.shortNames).toEqual(shortNames);
    expect(r.categories).toEqual(categories);
    expect(r.singularName).toBe(name === 'endpoints' ? 'endpoints' : name.replace(/s$/, ''));
  });

  it('lists services/status with the status verbs', () => {
    expect(resource('/api/v1', 'services/status')).toEqual({
      name: 'services/status',
      singularName: '',
      namespaced: true,
      kind: 'Service',
      verbs: ['get', 'patch', 'update'],
    });
  });

  it('marks the legacy and group resource lists as kubectl expects', () => {
    expect(doc('/api/v1')).toMatchObject({ kind: 'APIResourceList', groupVersion: 'v1' });
    expect(doc('/api/v1').apiVersion).toBeUndefined();
    expect(doc('/apis/apps/v1')).toMatchObject({ kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'apps/v1' });
  });

  it.each(['/api/', '/api/v1/', '/api/v1?timeout=32s', '/apis/apps/v1/'])('ignores a trailing slash or query: %s', (path) => {
    expect(discoveryResponse(path)).toBeDefined();
  });

  it.each(['/', '/api/v2', '/apis/batch', '/apis/apps/v1beta1', '/api/v1/services', '/apis/apps/v1/deployments', '/healthz'])(
    'has nothing for %s',
    (path) => {
      expect(discoveryResponse(path)).toBeUndefined();
    },
  );

  it('finds served resources for routing', () => {
    expect(findResource('', 'v1', 'services')).toMatchObject({ kind: 'Service', namespaced: true });
    expect(findResource('apps', 'v1', 'deployments/status')).toMatchObject({ kind: 'Deployment' });
    expect(findResource('', 'v1', 'configmaps')).toBeUndefined();
  });
});

/* ---------------------------------------------------------------------------------- OpenAPI */

function openapi(path: string): Json {
  const d = openApiResponse(path);
  if (d === undefined) throw new Error(`no OpenAPI document for ${path}`);
  return d as Json;
}
function schemas(path: string): Record<string, Json> {
  return (openapi(path).components as Json).schemas as Record<string, Json>;
}
function paths(path: string): Record<string, Json> {
  return openapi(path).paths as Record<string, Json>;
}
function refs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => refs(v, out));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

describe('openApiResponse', () => {
  const index = openapi('/openapi/v3').paths as Record<string, { serverRelativeURL: string }>;

  it('indexes one document per served group/version, each reachable at its URL', () => {
    expect(Object.keys(index).sort()).toEqual(['api/v1', 'apis/apps/v1', 'apis/discovery.k8s.io/v1']);
    for (const [key, { serverRelativeURL }] of Object.entries(index)) {
      expect(serverRelativeURL).toMatch(new RegExp(`^/openapi/v3/${key.replace(/\./g, '\\.')}\\?hash=[0-9A-F]{128}$`));
      const d = openapi(serverRelativeURL);
      expect(d).toMatchObject({ openapi: '3.0.0', info: { title: 'Kubernetes' } });
    }
  });

  it('serves the same hash for the same document and nothing for other paths', () => {
    expect(openApiResponse('/openapi/v3')).toEqual(openApiResponse('/openapi/v3/'));
    expect(openApiResponse('/openapi/v2')).toBeUndefined();
    expect(openApiResponse('/openapi/v3/apis/batch/v1')).toBeUndefined();
    expect(openApiResponse('/api/v1')).toBeUndefined();
  });

  it.each(['api/v1', 'apis/apps/v1', 'apis/discovery.k8s.io/v1'])(
    '%s: every $ref resolves to a component',
    (key) => {
      const d = openapi(`/openapi/v3/${key}`);
      const known = new Set(Object.keys(schemas(`/openapi/v3/${key}`)));
      const missing = refs(d)
        .map((r) => r.replace('#/components/schemas/', ''))
        .filter((r) => !known.has(r));
      expect(missing).toEqual([]);
    },
  );

  it('describes Service with its GVK and the patch metadata client-side apply needs', () => {
    const s = schemas('/openapi/v3/api/v1');
    expect(s['io.k8s.api.core.v1.Service']).toMatchObject({
      'x-kubernetes-group-version-kind': [{ group: '', kind: 'Service', version: 'v1' }],
      properties: {
        metadata: { allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }] },
        spec: { allOf: [{ $ref: '#/components/schemas/io.k8s.api.core.v1.ServiceSpec' }] },
        status: { allOf: [{ $ref: '#/components/schemas/io.k8s.api.core.v1.ServiceStatus' }] },
      },
    });
    const spec = s['io.k8s.api.core.v1.ServiceSpec']!.properties as Record<string, Json>;
    expect(spec.ports).toMatchObject({
      'x-kubernetes-patch-merge-key': 'port',
      'x-kubernetes-patch-strategy': 'merge',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['port', 'protocol'],
    });
    expect(Object.keys(spec)).toEqual(
      expect.arrayContaining(['type', 'selector', 'ports', 'clusterIP', 'clusterIPs', 'externalTrafficPolicy', 'loadBalancerSourceRanges']),
    );
    expect((s['io.k8s.api.core.v1.ServicePort']!.properties as Json).targetPort).toMatchObject({
      allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString' }],
    });
    const meta = s['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']!.properties as Record<string, Json>;
    expect(meta.ownerReferences).toMatchObject({ 'x-kubernetes-patch-merge-key': 'uid', 'x-kubernetes-patch-strategy': 'merge' });
    expect(meta.finalizers).toMatchObject({ 'x-kubernetes-patch-strategy': 'merge' });
  });

  it('advertises fieldValidation and strategic merge patch on the Service PATCH operation', () => {
    const item = paths('/openapi/v3/api/v1')['/api/v1/namespaces/{namespace}/services/{name}']!;
    const patch = item.patch as Json;
    expect(patch).toMatchObject({
      operationId: 'patchCoreV1NamespacedService',
      'x-kubernetes-action': 'patch',
      'x-kubernetes-group-version-kind': { group: '', kind: 'Service', version: 'v1' },
    });
    expect((patch.parameters as Json[]).map((p) => p.name)).toEqual(['dryRun', 'fieldManager', 'fieldValidation', 'force']);
    expect(Object.keys((patch.requestBody as { content: Json }).content)).toContain('application/strategic-merge-patch+json');
    expect((item.parameters as Json[]).map((p) => p.name)).toEqual(['name', 'namespace', 'pretty']);
  });

  it.each([
    ['/openapi/v3/api/v1', '/api/v1/namespaces/{namespace}/services', ['get', 'post', 'delete']],
    ['/openapi/v3/api/v1', '/api/v1/namespaces/{namespace}/services/{name}/status', ['get', 'put', 'patch']],
    ['/openapi/v3/api/v1', '/api/v1/services', ['get']],
    ['/openapi/v3/api/v1', '/api/v1/namespaces', ['get', 'post']],
    ['/openapi/v3/api/v1', '/api/v1/nodes/{name}', ['get', 'put', 'patch', 'delete']],
    ['/openapi/v3/apis/apps/v1', '/apis/apps/v1/namespaces/{namespace}/deployments/{name}', ['get', 'put', 'patch', 'delete']],
    ['/openapi/v3/apis/discovery.k8s.io/v1', '/apis/discovery.k8s.io/v1/endpointslices', ['get']],
  ])('%s has %s with %p', (doc, path, methods) => {
    const item = paths(doc)[path];
    expect(item).toBeDefined();
    expect(Object.keys(item!).filter((k) => k !== 'parameters')).toEqual(methods);
  });

  it('gives the kinds without a field-by-field schema no GVK, so kubectl falls back to its built-in types', () => {
    const s = schemas('/openapi/v3/api/v1');
    expect(s['io.k8s.api.core.v1.Pod']!['x-kubernetes-group-version-kind']).toBeUndefined();
    expect(schemas('/openapi/v3/apis/discovery.k8s.io/v1')['io.k8s.api.discovery.v1.EndpointSlice']).toMatchObject({
      'x-kubernetes-group-version-kind': [{ group: 'discovery.k8s.io', kind: 'EndpointSlice', version: 'v1' }],
    });
  });
});

describe('unknownFields', () => {
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', labels: { app: 'web' }, annotations: { a: 'b' }, managedFields: [{ fieldsV1: { 'f:spec': {} } }] },
    spec: {
      type: 'LoadBalancer',
      selector: { app: 'web' },
      ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 10 } },
    },
    status: { loadBalancer: { ingress: [{ hostname: 'x.elb.amazonaws.com' }] } },
  };

  it.each([
    ['a complete Service', service, []],
    ['a misspelt spec field', { ...service, spec: { ...service.spec, portz: [] } }, ['spec.portz']],
    [
      'an unknown field in a port and at the top',
      { ...service, extra: 1, spec: { ...service.spec, ports: [{ port: 80 }, { port: 81, bogus: true }] } },
      ['extra', 'spec.ports[1].bogus'],
    ],
    ['an unknown metadata field', { ...service, metadata: { name: 'x', nmae: 'y' } }, ['metadata.nmae']],
    ['a Namespace', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' }, spec: { finalizers: ['kubernetes'] } }, []],
    [
      'an EndpointSlice',
      { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'], zonee: 'a' }] },
      ['endpoints[0].zonee'],
    ],
  ])('%s', (_name, obj, expected) => {
    expect(unknownFields(obj)).toEqual(expected);
  });

  it.each([
    ['a Pod (no field-by-field schema)', { apiVersion: 'v1', kind: 'Pod', spec: { anything: 1 } }],
    ['an unknown group', { apiVersion: 'batch/v1', kind: 'Job' }],
    ['no apiVersion', { kind: 'Service' }],
  ])('cannot tell for %s', (_name, obj) => {
    expect(unknownFields(obj)).toBeUndefined();
  });
});

describe('SANDBOX_RESOURCES', () => {
  it('has a status subresource only for resources it also serves', () => {
    for (const r of SANDBOX_RESOURCES.filter((x) => x.name.includes('/'))) {
      expect(findResource(r.group, r.version, r.name.split('/')[0]!)).toBeDefined();
    }
  });
});

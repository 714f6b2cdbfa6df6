/**
 * Services through the real @kubernetes/client-node: CRUD, the three patch types, defaulting,
 * every validation rule (422 with all causes), allocation and release of cluster IPs and node
 * ports, type changes, finalizers and the /status subresource.
 */
import * as k8s from '@kubernetes/client-node';
import { apiError, patchAs, raw, startApi, svc, type TestApi } from './helpers.js';

let api: TestApi;
const ns = 'svc-tests';

beforeAll(async () => {
  api = await startApi();
  await api.core.createNamespace({ body: { metadata: { name: ns } } });
});
afterAll(() => api.close());

let n = 0;
const fresh = (prefix = 'svc') => `${prefix}-${++n}`;

describe('create and defaulting', () => {
  test('a ClusterIP Service gets the apiserver defaults and a cluster IP from 10.100.0.0/16', async () => {
    const name = fresh();
    const created = await api.core.createNamespacedService({
      namespace: ns,
      body: svc(name, { selector: { app: 'web' }, ports: [{ port: 80 }] }, { labels: { app: 'web' } }),
    });
    expect(created.metadata).toMatchObject({ name, namespace: ns, labels: { app: 'web' } });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(created.spec).toEqual({
      type: 'ClusterIP',
      selector: { app: 'web' },
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
      clusterIP: expect.stringMatching(/^10\.100\.\d+\.\d+$/) as unknown,
      clusterIPs: [created.spec?.clusterIP],
      sessionAffinity: 'None',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      internalTrafficPolicy: 'Cluster',
    });
    expect(created.status).toEqual({ loadBalancer: {} });
    const read = await api.core.readNamespacedService({ name, namespace: ns });
    expect(read.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);
  });

  test('NodePort and LoadBalancer Services get node ports in 30000-32767 and their extra defaults', async () => {
    const np = await api.core.createNamespacedService({ namespace: ns, body: svc(fresh(), { type: 'NodePort', ports: [{ port: 80, targetPort: 'http' }] }) });
    expect(np.spec).toMatchObject({ type: 'NodePort', externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster' });
    expect(np.spec).not.toHaveProperty('allocateLoadBalancerNodePorts');
    expect(np.spec?.ports?.[0]).toEqual({ port: 80, protocol: 'TCP', targetPort: 'http', nodePort: expect.any(Number) as unknown });
    const lb = await api.core.createNamespacedService({
      namespace: ns,
      body: svc(fresh(), { type: 'LoadBalancer', ports: [{ name: 'a', port: 80 }, { name: 'b', port: 53, protocol: 'UDP', targetPort: 5353 }] }),
    });
    expect(lb.spec).toMatchObject({ type: 'LoadBalancer', externalTrafficPolicy: 'Cluster', allocateLoadBalancerNodePorts: true, sessionAffinity: 'None' });
    for (const p of [...(np.spec?.ports ?? []), ...(lb.spec?.ports ?? [])]) {
      expect(p.nodePort).toBeGreaterThanOrEqual(30000);
      expect(p.nodePort).toBeLessThanOrEqual(32767);
    }
    expect(lb.spec?.ports?.[1]).toMatchObject({ protocol: 'UDP', targetPort: 5353 });
  });

  test('a LoadBalancer with externalTrafficPolicy Local gets a healthCheckNodePort; allocateLoadBalancerNodePorts=false gets no node ports', async () => {
    const local = await api.core.createNamespacedService({
      namespace: ns,
      body: svc(fresh(), { type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ port: 80 }] }),
    });
    expect(local.spec?.healthCheckNodePort).toBeGreaterThanOrEqual(30000);
    const noPorts = await api.core.createNamespacedService({
      namespace: ns,
      body: svc(fresh(), { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [{ port: 80 }] }),
    });
    expect(noPorts.spec?.ports?.[0]?.nodePort).toBeUndefined();
  });

  test('headless and ExternalName Services', async () => {
    const headless = await api.core.createNamespacedService({ namespace: ns, body: svc(fresh(), { clusterIP: 'None', selector: { app: 'x' } }) });
    expect(headless.spec).toMatchObject({ clusterIP: 'None', clusterIPs: ['None'] });
    const ext = await api.core.createNamespacedService({ namespace: ns, body: svc(fresh(), { type: 'ExternalName', externalName: 'example.com' }) });
    expect(ext.spec).toEqual({ type: 'ExternalName', externalName: 'example.com', sessionAffinity: 'None' });
  });

  test('sessionAffinity ClientIP defaults its timeout; generateName makes a name', async () => {
    const created = await api.core.createNamespacedService({
      namespace: ns,
      body: { metadata: { generateName: 'gen-' }, spec: { sessionAffinity: 'ClientIP', ports: [{ port: 80 }] } },
    });
    expect(created.metadata?.name).toMatch(/^gen-[a-z0-9]{5}$/);
    expect(created.spec?.sessionAffinityConfig).toEqual({ clientIP: { timeoutSeconds: 10800 } });
  });

  test('dryRun=All validates and defaults but stores and allocates nothing', async () => {
    const name = fresh();
    const ip = '10.100.200.200';
    const dry = await api.core.createNamespacedService({ namespace: ns, body: svc(name, { clusterIP: ip, ports: [{ port: 80 }] }), dryRun: 'All' });
    expect(dry.spec?.clusterIP).toBe(ip);
    expect((await apiError(api.core.readNamespacedService({ name, namespace: ns }))).code).toBe(404);
    expect(api.cluster.allocator.isIPAllocated(ip)).toBe(false);
    const bad = await apiError(api.core.createNamespacedService({ namespace: ns, body: svc(name, { ports: [] }), dryRun: 'All' }));
    expect(bad.code).toBe(422);
  });
});

describe('errors', () => {
  test('404 NotFound for a missing Service and a missing namespace', async () => {
    const missing = await apiError(api.core.readNamespacedService({ name: 'nope', namespace: ns }));
    expect(missing).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'services "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', kind: 'services' },
      code: 404,
    });
    const noNs = await apiError(api.core.createNamespacedService({ namespace: 'no-such-ns', body: svc('x', { ports: [{ port: 80 }] }) }));
    expect(noNs).toMatchObject({ code: 404, reason: 'NotFound', message: 'namespaces "no-such-ns" not found' });
    expect((await apiError(api.core.deleteNamespacedService({ name: 'nope', namespace: ns }))).code).toBe(404);
    expect(
      (await apiError(api.core.patchNamespacedService({ name: 'nope', namespace: ns, body: { metadata: { labels: { a: 'b' } } } }, patchAs(k8s.PatchStrategy.MergePatch)))).code,
    ).toBe(404);
  });

  test('409 AlreadyExists', async () => {
    const name = fresh();
    await api.core.createNamespacedService({ namespace: ns, body: svc(name, { ports: [{ port: 80 }] }) });
    const err = await apiError(api.core.createNamespacedService({ namespace: ns, body: svc(name, { ports: [{ port: 80 }] }) }));
    expect(err).toMatchObject({ code: 409, reason: 'AlreadyExists', message: `services "${name}" already exists`, details: { name, kind: 'services' } });
  });

  test('409 Conflict for an update carrying a stale resourceVersion', async () => {
    const name = fresh();
    const v1 = await api.core.createNamespacedService({ namespace: ns, body: svc(name, { ports: [{ port: 80 }] }) });
    await api.core.patchNamespacedService({ name, namespace: ns, body: { metadata: { labels: { v: '2' } } } }, patchAs(k8s.PatchStrategy.MergePatch));
    const err = await apiError(api.core.replaceNamespacedService({ name, namespace: ns, body: { ...v1, metadata: { ...v1.metadata, labels: { v: 'stale' } } } }));
    expect(err).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message: `Operation cannot be fulfilled on services "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    });
    // A patch carrying a resourceVersion is a precondition too.
    const patchErr = await apiError(
      api.core.patchNamespacedService({ name, namespace: ns, body: { metadata: { resourceVersion: v1.metadata?.resourceVersion, labels: { v: '3' } } } }, patchAs(k8s.PatchStrategy.MergePatch)),
    );
    expect(patchErr.code).toBe(409);
  });

  test('400 for a name that does not match the URL, and for a body of another kind', async () => {
    const name = fresh();
    await api.core.createNamespacedService({ namespace: ns, body: svc(name, { ports: [{ port: 80 }] }) });
    const err = await apiError(api.core.replaceNamespacedService({ name, namespace: ns, body: svc('other', { ports: [{ port: 80 }] }) }));
    expect(err).toMatchObject({ code: 400, reason: 'BadRequest', message: `the name of the object (other) does not match the name on the URL (${name})` });
    const kind = await raw(api.url, 'POST', `/api/v1/namespaces/${ns}/services`, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } }));
    expect(kind.status).toBe(400);
    const badPort = await raw(api.url, 'POST', `/api/v1/namespaces/${ns}/services`, JSON.stringify({ metadata: { name: 'x' }, spec: { ports: [{ port: '80' }] } }));
    expect(badPort.status).toBe(400);
    expect(badPort.json()).toMatchObject({ message: expect.stringContaining('cannot unmarshal string into Go struct field ServicePort.spec.ports.port of type int32') as unknown });
  });
});

describe('validation: 422 Invalid with every cause', () => {
  type Case = [string, Record<string, unknown>, { field: string; reason: string; message: string }[], string?];
  const cases: Case[] = [
    ['no ports', { selector: { a: 'b' } }, [{ field: 'spec.ports', reason: 'FieldValueRequired', message: 'Required value' }]],
    ['port out of range', { ports: [{ port: 70000, targetPort: 80 }] }, [{ field: 'spec.ports[0].port', reason: 'FieldValueInvalid', message: 'Invalid value: 70000: must be between 1 and 65535, inclusive' }]],
    [
      // targetPort defaults to port, so it is invalid too (as with the real apiserver)
      'port zero without targetPort',
      { ports: [{ port: 0 }] },
      [
        { field: 'spec.ports[0].port', reason: 'FieldValueInvalid', message: 'Invalid value: 0: must be between 1 and 65535, inclusive' },
        { field: 'spec.ports[0].targetPort', reason: 'FieldValueInvalid', message: 'Invalid value: 0: must be between 1 and 65535, inclusive' },
      ],
    ],
    ['targetPort out of range', { ports: [{ port: 80, targetPort: 65536 }] }, [{ field: 'spec.ports[0].targetPort', reason: 'FieldValueInvalid', message: 'Invalid value: 65536: must be between 1 and 65535, inclusive' }]],
    [
      'targetPort not an IANA_SVC_NAME',
      { ports: [{ port: 80, targetPort: 'Web_Port' }] },
      [{ field: 'spec.ports[0].targetPort', reason: 'FieldValueInvalid', message: 'Invalid value: "Web_Port": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)' }],
    ],
    [
      'targetPort name too long',
      { ports: [{ port: 80, targetPort: 'a-very-long-name' }] },
      [{ field: 'spec.ports[0].targetPort', reason: 'FieldValueInvalid', message: 'Invalid value: "a-very-long-name": must be no more than 15 characters' }],
    ],
    [
      'unsupported protocol',
      { ports: [{ port: 80, protocol: 'HTTP' }] },
      [{ field: 'spec.ports[0].protocol', reason: 'FieldValueNotSupported', message: 'Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"' }],
    ],
    [
      'duplicate port and protocol',
      { ports: [{ name: 'a', port: 80 }, { name: 'b', port: 80 }] },
      [
        {
          field: 'spec.ports[1]',
          reason: 'FieldValueDuplicate',
          message:
            'Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
        },
      ],
    ],
    ['duplicate port names', { ports: [{ name: 'http', port: 80 }, { name: 'http', port: 81 }] }, [{ field: 'spec.ports[1].name', reason: 'FieldValueDuplicate', message: 'Duplicate value: "http"' }]],
    [
      'names required with several ports',
      { ports: [{ port: 80 }, { port: 81 }] },
      [
        { field: 'spec.ports[0].name', reason: 'FieldValueRequired', message: 'Required value' },
        { field: 'spec.ports[1].name', reason: 'FieldValueRequired', message: 'Required value' },
      ],
    ],
    [
      'port name not a DNS label',
      { ports: [{ name: 'Web', port: 80 }] },
      [
        {
          field: 'spec.ports[0].name',
          reason: 'FieldValueInvalid',
          message:
            "Invalid value: \"Web\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
        },
      ],
    ],
    [
      'nodePort on a ClusterIP Service',
      { type: 'ClusterIP', ports: [{ port: 80, nodePort: 30080 }] },
      [{ field: 'spec.ports[0].nodePort', reason: 'FieldValueForbidden', message: "Forbidden: may not be used when `type` is 'ClusterIP'" }],
    ],
    [
      'duplicate nodePorts',
      { type: 'NodePort', ports: [{ name: 'a', port: 80, nodePort: 30999 }, { name: 'b', port: 81, nodePort: 30999 }] },
      [{ field: 'spec.ports[1].nodePort', reason: 'FieldValueDuplicate', message: 'Duplicate value: 30999' }],
    ],
    [
      'unknown type',
      { type: 'Ingress', ports: [{ port: 80 }] },
      [{ field: 'spec.type', reason: 'FieldValueNotSupported', message: 'Unsupported value: "Ingress": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"' }],
    ],
    [
      'unknown sessionAffinity',
      { sessionAffinity: 'Sticky', ports: [{ port: 80 }] },
      [{ field: 'spec.sessionAffinity', reason: 'FieldValueNotSupported', message: 'Unsupported value: "Sticky": supported values: "ClientIP", "None"' }],
    ],
    ['ExternalName without externalName', { type: 'ExternalName' }, [{ field: 'spec.externalName', reason: 'FieldValueRequired', message: 'Required value' }]],
    [
      'cluster IP not an IP',
      { clusterIP: 'abc', ports: [{ port: 80 }] },
      [{ field: 'spec.clusterIPs[0]', reason: 'FieldValueInvalid', message: 'Invalid value: "abc": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)' }],
    ],
    [
      'headless NodePort',
      { type: 'NodePort', clusterIP: 'None', ports: [{ port: 80 }] },
      [{ field: 'spec.clusterIPs[0]', reason: 'FieldValueInvalid', message: 'Invalid value: "None": may not be set to \'None\' for NodePort services' }],
    ],
    [
      'loadBalancerSourceRanges on a ClusterIP Service',
      { loadBalancerSourceRanges: ['10.0.0.0/8'], ports: [{ port: 80 }] },
      [{ field: 'spec.loadBalancerSourceRanges', reason: 'FieldValueForbidden', message: "Forbidden: may only be used when `type` is 'LoadBalancer'" }],
    ],
    [
      'externalTrafficPolicy on a ClusterIP Service',
      { externalTrafficPolicy: 'Local', ports: [{ port: 80 }] },
      [{ field: 'spec.externalTrafficPolicy', reason: 'FieldValueInvalid', message: 'Invalid value: "Local": may only be set for externally-accessible services' }],
    ],
    [
      'selector with a bad label value',
      { selector: { app: 'no spaces' }, ports: [{ port: 80 }] },
      [
        {
          field: 'spec.selector',
          reason: 'FieldValueInvalid',
          message:
            "Invalid value: \"no spaces\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        },
      ],
    ],
  ];

  test.each(cases)('%s', async (_name, spec, causes) => {
    const name = fresh('invalid');
    const err = await apiError(api.core.createNamespacedService({ namespace: ns, body: svc(name, spec) }));
    expect(err.code).toBe(422);
    expect(err.reason).toBe('Invalid');
    expect(err.details).toEqual({ name, kind: 'Service', causes });
    const one = causes[0]!;
    expect(err.message).toBe(
      causes.length === 1
        ? `Service "${name}" is invalid: ${one.field}: ${one.message}`
        : `Service "${name}" is invalid: [${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}]`,
    );
  });

  test.each([
    ['Bad_Name', "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"],
    ['1abc', "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"],
    ['a'.repeat(64), 'must be no more than 63 characters'],
  ])('the name %s is not a DNS-1035 label', async (name, message) => {
    const err = await apiError(api.core.createNamespacedService({ namespace: ns, body: svc(name, { ports: [{ port: 80 }] }) }));
    expect(err.code).toBe(422);
    expect(err.details?.causes).toContainEqual({ field: 'metadata.name', reason: 'FieldValueInvalid', message: `Invalid value: "${name}": ${message}` });
  });

  test('a missing name', async () => {
    const err = await apiError(api.core.createNamespacedService({ namespace: ns, body: { spec: { ports: [{ port: 80 }] } } }));
    expect(err.message).toBe('Service "" is invalid: metadata.name: Required value: name or generateName is required');
  });

  test('all problems are reported at once', async () => {
    const err = await apiError(
      api.core.createNamespacedService({ namespace: ns, body: svc('Bad', { type: 'Weird', ports: [{ port: 0, protocol: 'ICMP' }, { port: 80 }] }) }),
    );
    expect(err.details?.causes?.map((c) => c.field)).toEqual([
      'metadata.name',
      'spec.type',
      'spec.ports[0].name',
      'spec.ports[0].port',
      'spec.ports[0].protocol',
      'spec.ports[0].targetPort',
      'spec.ports[1].name',
    ]);
    expect(err.message).toMatch(/^Service "Bad" is invalid: \[metadata\.name: Invalid value: "Bad": .*, spec\.ports\[1\]\.name: Required value\]$/);
  });
});

describe('allocation', () => {
  test('a requested cluster IP is honoured; in use or outside the range is a 422; it is released on delete', async () => {
    const ip = '10.100.77.77';
    const a = fresh();
    const created = await api.core.createNamespacedService({ namespace: ns, body: svc(a, { clusterIP: ip, ports: [{ port: 80 }] }) });
    expect(created.spec?.clusterIPs).toEqual([ip]);
    const taken = await apiError(api.core.createNamespacedService({ namespace: ns, body: svc(fresh(), { clusterIP: ip, ports: [{ port: 80 }] }) }));
    expect(taken.code).toBe(422);
    expect(taken.details?.causes).toEqual([
      { field: 'spec.clusterIPs', reason: 'FieldValueInvalid', message: `Invalid value: []string{"${ip}"}: failed to allocate IP ${ip}: provided IP is already allocated` },
    ]);
    const outside = await apiError(api.core.createNamespacedService({ namespace: ns, body: svc(fresh(), { clusterIP: '10.96.0.10', ports: [{ port: 80 }] }) }));
    expect(outside.details?.causes?.[0]?.message).toBe(
      'Invalid value: []string{"10.96.0.10"}: failed to allocate IP 10.96.0.10: the provided IP (10.96.0.10) is not in the valid range. The range of valid IPs is 10.100.0.0/16',
    );
    const deleted = await api.core.deleteNamespacedService({ name: a, namespace: ns });
    expect(deleted.metadata?.name).toBe(a);
    expect(api.cluster.allocator.isIPAllocated(ip)).toBe(false);
    const again = await api.core.createNamespacedService({ namespace: ns, body: svc(fresh(), { clusterIP: ip, ports: [{ port: 80 }] }) });
    expect(again.spec?.clusterIP).toBe(ip);
  });

  test('a requested node port is honoured; in use or out of range is a 422; released on delete', async () => {
    const a = fresh();
    await api.core.createNamespacedService({ namespace: ns, body: svc(a, { type: 'NodePort', ports: [{ port: 80, nodePort: 31234 }] }) });
    const taken = await apiError(api.core.createNamespacedService({ namespace: ns, body: svc(fresh(), { type: 'LoadBalancer', ports: [{ port: 80, nodePort: 31234 }] }) }));
    expect(taken.details?.causes).toEqual([
      { field: 'spec.ports[0].nodePort', reason: 'FieldValueInvalid', message: 'Invalid value: 31234: provided port is already allocated' },
    ]);
    expect(taken.message).toBe(`Service "${taken.details?.name}" is invalid: spec.ports[0].nodePort: Invalid value: 31234: provided port is already allocated`);
    const out = await apiError(api.core.createNamespacedService({ namespace: ns, body: svc(fresh(), { type: 'NodePort', ports: [{ port: 80, nodePort: 40000 }] }) }));
    expect(out.details?.causes?.[0]?.message).toBe('Invalid value: 40000: provided port is not in the valid range. The range of valid ports is 30000-32767');
    // A failed create keeps nothing it allocated.
    const ipsBefore = api.cluster.allocator.allocatedIPs;
    await apiError(api.core.createNamespacedService({ namespace: ns, body: svc(fresh(), { type: 'NodePort', ports: [{ name: 'a', port: 80 }, { name: 'b', port: 81, nodePort: 31234 }] }) }));
    expect(api.cluster.allocator.allocatedIPs).toBe(ipsBefore);
    await api.core.deleteNamespacedService({ name: a, namespace: ns });
    expect(api.cluster.allocator.isNodePortAllocated(31234)).toBe(false);
    await api.core.createNamespacedService({ namespace: ns, body: svc(fresh(), { type: 'NodePort', ports: [{ port: 80, nodePort: 31234 }] }) });
  });
});

describe('updates, patches and type changes', () => {
  test('replace without clusterIP or nodePorts keeps the allocated ones; status is kept', async () => {
    const name = fresh();
    const created = await api.core.createNamespacedService({ namespace: ns, body: svc(name, { type: 'NodePort', ports: [{ name: 'http', port: 80 }] }) });
    const replaced = await api.core.replaceNamespacedService({
      name,
      namespace: ns,
      body: svc(name, { type: 'NodePort', ports: [{ name: 'http', port: 80, targetPort: 8080 }] }),
    });
    expect(replaced.spec?.clusterIP).toBe(created.spec?.clusterIP);
    expect(replaced.spec?.ports?.[0]).toMatchObject({ nodePort: created.spec?.ports?.[0]?.nodePort, targetPort: 8080 });
    expect(replaced.metadata?.uid).toBe(created.metadata?.uid);
    expect(Number(replaced.metadata?.resourceVersion)).toBeGreaterThan(Number(created.metadata?.resourceVersion));
  });

  test('an update that changes nothing does not bump the resourceVersion', async () => {
    const name = fresh();
    const created = await api.core.createNamespacedService({ namespace: ns, body: svc(name, { ports: [{ port: 80 }] }) });
    const same = await api.core.replaceNamespacedService({ name, namespace: ns, body: created });
    expect(same.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);
  });

  test('PUT of a missing Service creates it (201)', async () => {
    const name = fresh();
    const res = await raw(api.url, 'PUT', `/api/v1/namespaces/${ns}/services/${name}`, JSON.stringify(svc(name, { ports: [{ port: 80 }] })));
    expect(res.status).toBe(201);
  });

  test('merge, strategic merge and JSON patches', async () => {
    const name = fresh();
    await api.core.createNamespacedService({ namespace: ns, body: svc(name, { ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443 }] }, { labels: { a: '1' } }) });
    const merged = await api.core.patchNamespacedService(
      { name, namespace: ns, body: { metadata: { labels: { b: '2', a: null } }, spec: { ports: [{ name: 'only', port: 8080 }] } } },
      patchAs(k8s.PatchStrategy.MergePatch),
    );
    expect(merged.metadata?.labels).toEqual({ b: '2' });
    expect(merged.spec?.ports).toEqual([{ name: 'only', port: 8080, protocol: 'TCP', targetPort: 8080 }]);
    const strategic = await api.core.patchNamespacedService(
      { name, namespace: ns, body: { spec: { ports: [{ name: 'metrics', port: 9090 }] } } },
      patchAs(k8s.PatchStrategy.StrategicMergePatch),
    );
    expect(strategic.spec?.ports?.map((p) => p.port).sort()).toEqual([8080, 9090]);
    const json = await api.core.patchNamespacedService(
      { name, namespace: ns, body: [{ op: 'replace', path: '/spec/ports/0/targetPort', value: 'web' }, { op: 'add', path: '/metadata/annotations', value: { x: 'y' } }] },
      patchAs(k8s.PatchStrategy.JsonPatch),
    );
    expect(json.spec?.ports?.[0]?.targetPort).toBe('web');
    expect(json.metadata?.annotations).toEqual({ x: 'y' });
    const failed = await apiError(
      api.core.patchNamespacedService({ name, namespace: ns, body: [{ op: 'test', path: '/spec/type', value: 'NodePort' }] }, patchAs(k8s.PatchStrategy.JsonPatch)),
    );
    expect(failed).toMatchObject({ code: 422, message: 'testing value /spec/type failed: test failed' });
    const invalidPatch = await apiError(
      api.core.patchNamespacedService({ name, namespace: ns, body: { spec: { ports: [{ port: 80000, name: 'big' }] } } }, patchAs(k8s.PatchStrategy.StrategicMergePatch)),
    );
    expect(invalidPatch.code).toBe(422);
  });

  test('clusterIP may not change once set', async () => {
    const name = fresh();
    await api.core.createNamespacedService({ namespace: ns, body: svc(name, { ports: [{ port: 80 }] }) });
    const err = await apiError(
      api.core.patchNamespacedService({ name, namespace: ns, body: { spec: { clusterIP: '10.100.9.9', clusterIPs: ['10.100.9.9'] } } }, patchAs(k8s.PatchStrategy.MergePatch)),
    );
    expect(err.details?.causes).toEqual([
      { field: 'spec.clusterIPs[0]', reason: 'FieldValueInvalid', message: 'Invalid value: []string{"10.100.9.9"}: may not change once set' },
    ]);
  });

  test('LoadBalancer -> ClusterIP drops node ports, traffic policy, LB fields and status; -> NodePort allocates again', async () => {
    const name = fresh();
    const lb = await api.core.createNamespacedService({ namespace: ns, body: svc(name, { type: 'LoadBalancer', ports: [{ port: 80 }] }) });
    const oldNodePort = lb.spec!.ports![0]!.nodePort!;
    await api.core.replaceNamespacedServiceStatus({
      name,
      namespace: ns,
      body: { ...lb, status: { loadBalancer: { ingress: [{ hostname: 'x.elb.amazonaws.com' }] } } },
    });
    const ci = await api.core.patchNamespacedService({ name, namespace: ns, body: { spec: { type: 'ClusterIP' } } }, patchAs(k8s.PatchStrategy.MergePatch));
    expect(ci.spec?.type).toBe('ClusterIP');
    expect(ci.spec?.ports?.[0]?.nodePort).toBeUndefined();
    expect(ci.spec).not.toHaveProperty('externalTrafficPolicy');
    expect(ci.spec).not.toHaveProperty('allocateLoadBalancerNodePorts');
    expect(ci.status).toEqual({ loadBalancer: {} });
    expect(ci.spec?.clusterIP).toBe(lb.spec?.clusterIP);
    expect(api.cluster.allocator.isNodePortAllocated(oldNodePort)).toBe(false);
    const np = await api.core.patchNamespacedService({ name, namespace: ns, body: { spec: { type: 'NodePort' } } }, patchAs(k8s.PatchStrategy.StrategicMergePatch));
    expect(np.spec?.ports?.[0]?.nodePort).toBeGreaterThanOrEqual(30000);
    expect(np.spec?.externalTrafficPolicy).toBe('Cluster');
  });

  test('ClusterIP -> ExternalName releases the cluster IP; back to ClusterIP allocates one', async () => {
    const name = fresh();
    const created = await api.core.createNamespacedService({ namespace: ns, body: svc(name, { ports: [{ port: 80 }] }) });
    const ext = await api.core.patchNamespacedService(
      { name, namespace: ns, body: { spec: { type: 'ExternalName', externalName: 'db.example.com' } } },
      patchAs(k8s.PatchStrategy.MergePatch),
    );
    expect(ext.spec?.clusterIP).toBeUndefined();
    expect(api.cluster.allocator.isIPAllocated(created.spec!.clusterIP!)).toBe(false);
    const back = await api.core.patchNamespacedService(
      { name, namespace: ns, body: { spec: { type: 'ClusterIP', externalName: null } } },
      patchAs(k8s.PatchStrategy.MergePatch),
    );
    expect(back.spec?.clusterIP).toMatch(/^10\.100\./);
  });
});

describe('status subresource', () => {
  test('status is written only through /status; main updates keep it', async () => {
    const name = fresh();
    const created = await api.core.createNamespacedService({ namespace: ns, body: svc(name, { type: 'LoadBalancer', ports: [{ port: 80 }] }) });
    const ignored = await api.core.replaceNamespacedService({
      name,
      namespace: ns,
      body: { ...created, status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } } },
    });
    expect(ignored.status).toEqual({ loadBalancer: {} });
    const withStatus = await api.core.patchNamespacedServiceStatus(
      { name, namespace: ns, body: { status: { loadBalancer: { ingress: [{ hostname: 'a.elb.amazonaws.com' }] } }, spec: { type: 'ClusterIP' } } },
      patchAs(k8s.PatchStrategy.MergePatch),
    );
    expect(withStatus.status?.loadBalancer?.ingress).toEqual([{ hostname: 'a.elb.amazonaws.com' }]);
    expect(withStatus.spec?.type).toBe('LoadBalancer');
    const relabelled = await api.core.patchNamespacedService({ name, namespace: ns, body: { metadata: { labels: { x: 'y' } } } }, patchAs(k8s.PatchStrategy.MergePatch));
    expect(relabelled.status?.loadBalancer?.ingress).toEqual([{ hostname: 'a.elb.amazonaws.com' }]);
    expect((await api.core.readNamespacedServiceStatus({ name, namespace: ns })).status?.loadBalancer?.ingress?.[0]?.hostname).toBe('a.elb.amazonaws.com');
    const bad = await apiError(
      api.core.patchNamespacedServiceStatus({ name, namespace: ns, body: { status: { loadBalancer: { ingress: [{ hostname: '1.2.3.4' }] } } } }, patchAs(k8s.PatchStrategy.MergePatch)),
    );
    expect(bad.details?.causes).toContainEqual({
      field: 'status.loadBalancer.ingress[0].hostname',
      reason: 'FieldValueInvalid',
      message: 'Invalid value: "1.2.3.4": must be a DNS name, not an IP address',
    });
  });
});

describe('delete and finalizers', () => {
  test('DELETE returns the deleted Service', async () => {
    const name = fresh();
    await api.core.createNamespacedService({ namespace: ns, body: svc(name, { ports: [{ port: 80 }] }) });
    const deleted = await api.core.deleteNamespacedService({ name, namespace: ns, body: { propagationPolicy: 'Background' } });
    expect(deleted).toMatchObject({ kind: 'Service', metadata: { name } });
    expect((await apiError(api.core.readNamespacedService({ name, namespace: ns }))).code).toBe(404);
  });

  test('a finalizer holds the Service with a deletionTimestamp until an update empties the finalizers', async () => {
    const name = fresh();
    await api.core.createNamespacedService({ namespace: ns, body: svc(name, { type: 'LoadBalancer', ports: [{ port: 80 }] }, { finalizers: ['example.com/hold'] }) });
    const pending = await api.core.deleteNamespacedService({ name, namespace: ns });
    expect(pending.metadata?.deletionTimestamp).toBeInstanceOf(Date);
    expect(pending.metadata?.deletionGracePeriodSeconds).toBe(0);
    const still = await api.core.readNamespacedService({ name, namespace: ns });
    expect(still.metadata?.finalizers).toEqual(['example.com/hold']);
    // Deleting again changes nothing.
    const again = await api.core.deleteNamespacedService({ name, namespace: ns });
    expect(again.metadata?.resourceVersion).toBe(still.metadata?.resourceVersion);
    const noNew = await apiError(
      api.core.patchNamespacedService({ name, namespace: ns, body: { metadata: { finalizers: ['example.com/hold', 'example.com/more'] } } }, patchAs(k8s.PatchStrategy.MergePatch)),
    );
    expect(noNew.details?.causes?.[0]).toEqual({
      field: 'metadata.finalizers',
      reason: 'FieldValueForbidden',
      message: 'Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/more"}',
    });
    const port = still.spec!.ports![0]!.nodePort!;
    expect(api.cluster.allocator.isNodePortAllocated(port)).toBe(true);
    await api.core.patchNamespacedService(
      { name, namespace: ns, body: [{ op: 'remove', path: '/metadata/finalizers' }] },
      patchAs(k8s.PatchStrategy.JsonPatch),
    );
    expect((await apiError(api.core.readNamespacedService({ name, namespace: ns }))).code).toBe(404);
    expect(api.cluster.allocator.isNodePortAllocated(port)).toBe(false);
  });

  test('delete preconditions and options are checked', async () => {
    const name = fresh();
    await api.core.createNamespacedService({ namespace: ns, body: svc(name, { ports: [{ port: 80 }] }) });
    const uid = await apiError(api.core.deleteNamespacedService({ name, namespace: ns, body: { preconditions: { uid: 'not-it' } } }));
    expect(uid).toMatchObject({ code: 409, reason: 'Conflict', message: expect.stringContaining('Precondition failed: UID in precondition: not-it') as unknown });
    const rv = await apiError(api.core.deleteNamespacedService({ name, namespace: ns, body: { preconditions: { resourceVersion: '1' } } }));
    expect(rv.message).toContain('Precondition failed: ResourceVersion in precondition: 1');
    const policy = await apiError(api.core.deleteNamespacedService({ name, namespace: ns, propagationPolicy: 'Sideways' }));
    expect(policy.code).toBe(422);
    const dry = await api.core.deleteNamespacedService({ name, namespace: ns, dryRun: 'All' });
    expect(dry.metadata?.name).toBe(name);
    await api.core.readNamespacedService({ name, namespace: ns });
  });
});

describe('fieldValidation', () => {
  test('Strict refuses unknown fields, Warn (the default) answers a Warning header', async () => {
    const body = JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: fresh() }, spec: { ports: [{ port: 80, portt: 1 }], colour: 'blue' } });
    const strict = await raw(api.url, 'POST', `/api/v1/namespaces/${ns}/services?fieldValidation=Strict`, body);
    expect(strict.status).toBe(400);
    expect(strict.json()).toMatchObject({ reason: 'BadRequest', message: expect.stringContaining('strict decoding error: unknown field "spec.colour"') as unknown });
    const warn = await raw(api.url, 'POST', `/api/v1/namespaces/${ns}/services`, body);
    expect(warn.status).toBe(201);
    expect(warn.headers.get('warning')).toContain('299 - "unknown field \\"spec.colour\\""');
    // Like the apiserver's decoder, unknown fields are not kept.
    const stored = warn.json() as { spec: Record<string, unknown> & { ports: Record<string, unknown>[] } };
    expect(stored.spec).not.toHaveProperty('colour');
    expect(stored.spec.ports[0]).not.toHaveProperty('portt');
  });
});

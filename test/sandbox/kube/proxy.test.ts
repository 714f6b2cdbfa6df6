/**
 * The apiserver's proxy subresources (`kubectl proxy`, `kubectl get --raw`): a Service's ready endpoint
 * or a pod answers through `.../services/NAME:PORT/proxy/PATH` and `.../pods/NAME:PORT/proxy/PATH`;
 * nothing serving is the apiserver's 503 Status; RBAC guards `services/proxy`, `pods/proxy`,
 * `pods/portforward` and `pods/exec` like any subresource.
 */
import * as k8s from '@kubernetes/client-node';
import WebSocket from 'ws';
import { IT_WORKS, alpinePods, createAlpineService, startStreamsApi, type StreamsApi } from './streams-helpers.js';

describe('services/proxy and pods/proxy', () => {
  let api: StreamsApi;
  beforeAll(async () => {
    api = await startStreamsApi();
    await createAlpineService(api.kc);
    await createAlpineService(api.kc, 'nobody-home', { app: 'nothing-matches' });
  });
  afterAll(() => api.close());

  const get = (path: string) => fetch(`${api.url}${path}`);

  it.each([
    ['a port number', 'alpine-service:8080'],
    ['a port name', 'alpine-service:web'],
    ['a scheme', 'http:alpine-service:8080'],
  ])('reaches a ready endpoint of the Service by %s', async (_what, id) => {
    const res = await get(`/api/v1/namespaces/default/services/${id}/proxy/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(IT_WORKS);
    const podIps = alpinePods(api.cluster).map((p) => `${p.status!.podIP!}:80`);
    expect(podIps).toContain(api.network.dials.at(-1));
  });

  it('takes the ready endpoints in turn', async () => {
    api.network.dials.length = 0;
    for (let i = 0; i < 4; i++) await (await get('/api/v1/namespaces/default/services/alpine-service:8080/proxy/')).text();
    expect(new Set(api.network.dials).size).toBe(2);
  });

  it('forwards the path and query, and answers through client-node', async () => {
    const core = api.kc.makeApiClient(k8s.CoreV1Api);
    const body = await core.connectGetNamespacedServiceProxyWithPath({ name: 'alpine-service:8080', namespace: 'default', path: 'index.html' });
    expect(body).toBe(IT_WORKS);
    const res = await get('/api/v1/namespaces/default/services/alpine-service:8080/proxy/a/b?x=1');
    expect(await res.text()).toBe(IT_WORKS);
    expect(api.network.requests.at(-1)).toBe('GET /a/b?x=1');
  });

  it('reaches a pod by port number and by container port name', async () => {
    const pod = alpinePods(api.cluster)[0]!;
    for (const id of [`${pod.metadata.name}:80`, `${pod.metadata.name}:http`, pod.metadata.name]) {
      const res = await get(`/api/v1/namespaces/default/pods/${id}/proxy/`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(IT_WORKS);
      expect(api.network.dials.at(-1)).toBe(`${pod.status!.podIP!}:80`);
    }
  });

  it('answers 503 with the apiserver Status when the Service has no ready endpoint', async () => {
    const res = await get('/api/v1/namespaces/default/services/nobody-home:8080/proxy/');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'no endpoints available for service "nobody-home"',
      reason: 'ServiceUnavailable',
      code: 503,
    });
  });

  it('answers 503 for a port the Service does not have, 404 for a Service that does not exist', async () => {
    const noPort = await get('/api/v1/namespaces/default/services/alpine-service:9999/proxy/');
    expect(noPort.status).toBe(503);
    expect(((await noPort.json()) as { message: string }).message).toBe('no service port 9999 found for service "alpine-service"');
    const missing = await get('/api/v1/namespaces/default/services/ghost:80/proxy/');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { message: string }).message).toBe('services "ghost" not found');
  });

  it('answers 503 "error trying to reach service" when the endpoint refuses the connection', async () => {
    const pod = alpinePods(api.cluster)[0]!;
    const res = await get(`/api/v1/namespaces/default/pods/${pod.metadata.name}:81/proxy/`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { message: string }).message).toBe(`error trying to reach service: dial tcp ${pod.status!.podIP!}:81: connect: connection refused`);
  });

  it('answers exec and portforward without an upgrade with 400 "Upgrade request required"', async () => {
    const pod = alpinePods(api.cluster)[0]!;
    const res = await fetch(`${api.url}/api/v1/namespaces/default/pods/${pod.metadata.name}/exec?command=ls&stdout=true`, { method: 'POST' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toBe('Upgrade request required');
  });
});

describe('RBAC on the streaming subresources', () => {
  const POLICY = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: reader }
rules:
  - apiGroups: [""]
    resources: ["pods", "services"]
    verbs: ["get", "list"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: streams }
rules:
  - apiGroups: [""]
    resources: ["services/proxy", "pods/proxy"]
    verbs: ["get"]
  - apiGroups: [""]
    resources: ["pods/portforward", "pods/exec"]
    verbs: ["get", "create"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: reader }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader }
subjects: [{ kind: User, name: alice }, { kind: User, name: bob }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: streams, namespace: default }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: streams }
subjects: [{ kind: User, name: bob }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: exec-get-only, namespace: default }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: exec-get-only }
subjects: [{ kind: User, name: carol }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: exec-get-only }
rules:
  - apiGroups: [""]
    resources: ["pods/exec"]
    verbs: ["get"]
`;
  let api: StreamsApi;
  let pod: string;
  beforeAll(async () => {
    api = await startStreamsApi(POLICY);
    await createAlpineService(api.kc);
    pod = alpinePods(api.cluster)[0]!.metadata.name;
  });
  afterAll(() => api.close());

  const as = (user: string) => ({ 'Impersonate-User': user });

  it('refuses services/proxy and pods/proxy to a user without the subresource, with the apiserver wording', async () => {
    const svc = await fetch(`${api.url}/api/v1/namespaces/default/services/alpine-service:8080/proxy/`, { headers: as('alice') });
    expect(svc.status).toBe(403);
    expect(await svc.json()).toMatchObject({
      reason: 'Forbidden',
      message: 'services "alpine-service:8080" is forbidden: User "alice" cannot get resource "services/proxy" in API group "" in the namespace "default"',
    });
    const p = await fetch(`${api.url}/api/v1/namespaces/default/pods/${pod}:80/proxy/`, { headers: as('alice') });
    expect(p.status).toBe(403);
    expect(((await p.json()) as { message: string }).message).toContain('cannot get resource "pods/proxy"');
  });

  it('lets a user with the subresource through', async () => {
    const res = await fetch(`${api.url}/api/v1/namespaces/default/services/alpine-service:8080/proxy/`, { headers: as('bob') });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(IT_WORKS);
  });

  /** A WebSocket upgrade as `user`: the refusal's status and Status body, or 101. */
  const upgrade = (path: string, user: string, protocol: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const ws = new WebSocket(`${api.url.replace('http', 'ws')}${path}`, [protocol], { headers: as(user) });
      ws.on('open', () => {
        ws.close();
        resolve({ status: 101, body: '' });
      });
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      ws.on('error', reject);
    });

  it('refuses pods/portforward and pods/exec to a user without them, and lets one with them through', async () => {
    const pf = `/api/v1/namespaces/default/pods/${pod}/portforward?ports=80`;
    const exec = `/api/v1/namespaces/default/pods/${pod}/exec?command=hostname&stdout=true`;
    const refusedPf = await upgrade(pf, 'alice', 'v4.channel.k8s.io');
    expect(refusedPf.status).toBe(403);
    expect(JSON.parse(refusedPf.body)).toMatchObject({
      message: `pods "${pod}" is forbidden: User "alice" cannot get resource "pods/portforward" in API group "" in the namespace "default"`,
    });
    const refusedExec = await upgrade(exec, 'alice', 'v5.channel.k8s.io');
    expect(refusedExec.status).toBe(403);
    expect((JSON.parse(refusedExec.body) as { message: string }).message).toContain('cannot get resource "pods/exec"');
    // A WebSocket upgrade is a GET, and kube-apiserver 1.32 also asks for create on it.
    const getOnly = await upgrade(exec, 'carol', 'v5.channel.k8s.io');
    expect(getOnly.status).toBe(403);
    expect((JSON.parse(getOnly.body) as { message: string }).message).toContain('User "carol" cannot create resource "pods/exec"');
    expect((await upgrade(pf, 'bob', 'v4.channel.k8s.io')).status).toBe(101);
    expect((await upgrade(exec, 'bob', 'v5.channel.k8s.io')).status).toBe(101);
  });
});

/**
 * What only the real adapters can show, against the sandbox's fault knobs and real sockets: API errors
 * and unreachable clusters become `cluster_unreachable` naming the cluster, ELB throttling becomes
 * `aws_error`, deployments whose selector can't be copied, and lists longer than one page.
 */
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import * as k8s from '@kubernetes/client-node';
import net from 'node:net';
import { createClusterRegistry } from '../../src/adapters/clusters.js';
import { serviceManifest } from '../../src/domain/manifest.js';
import type { Sandbox } from '../../sandbox/index.js';
import type { ClusterGateway } from '../../src/ports/cluster.js';
import type { LoadBalancerGateway } from '../../src/ports/load-balancers.js';
import { expectBotError } from '../contract/expect-bot-error.js';
import { clusterConfig, sandboxElbClient, sandboxKubeConfig, startSandboxTarget, type SandboxTarget } from '../contract/sandbox-fixtures.js';
import { waitFor } from '../helpers/wait.js';

let target: SandboxTarget;
let sandbox: Sandbox;
let cluster: ClusterGateway;
let loadBalancers: LoadBalancerGateway;

/** Transient failures are retried for at most this long per call (short: a failing call should fail fast here). */
const RETRY = { callDeadlineMs: 600, baseDelayMs: 50, maxDelayMs: 200 };

beforeAll(async () => {
  target = await startSandboxTarget({ clusterName: 'faulty' }, RETRY);
  sandbox = target.sandbox;
  ({ cluster, loadBalancers } = target.registry.get());
});
afterAll(() => target.close());
afterEach(() => sandbox.faults.reset());

function lbManifest(name: string) {
  return serviceManifest({ name, namespace: 'default', selector: { app: 'alpine' }, ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }], type: 'LoadBalancer' });
}

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('Kubernetes API failures', () => {
  test('kubeErrorEveryN: every call answers 500, retried until its deadline -> cluster_unreachable naming the cluster and the status', async () => {
    sandbox.faults.set({ kubeErrorEveryN: 1 });
    const calls: [string, Promise<unknown>][] = [
      ['getService', cluster.getService('default', 'web')],
      ['listServices', cluster.listServices(null)],
      ['createService', cluster.createService(lbManifest('never'))],
      ['setServiceType', cluster.setServiceType('default', 'web', 'NodePort')],
      ['deleteService', cluster.deleteService('default', 'web')],
      ['listNodes', cluster.listNodes()],
      ['getDeploymentSelector', cluster.getDeploymentSelector('default', 'alpine')],
      ['listServiceEndpoints', cluster.listServiceEndpoints('default', 'web')],
      ['listServiceEvents', cluster.listServiceEvents('default', 'web')],
    ];
    for (const [, call] of calls) {
      const err = await expectBotError(call, 'cluster_unreachable', 'Cluster `faulty`', '500', 'try again');
      expect(err.cause).toBeInstanceOf(k8s.ApiException);
    }
    sandbox.faults.reset();
    await expectBotError(cluster.getService('default', 'never'), 'not_found');
  });

  test('the API server fails now and then (every other request): each call is retried and succeeds', async () => {
    sandbox.faults.set({ kubeErrorEveryN: 2 });
    for (let i = 0; i < 4; i++) await expect(cluster.listNodes()).resolves.toHaveLength(3);
    const created = await cluster.createService({ ...lbManifest('retried'), spec: { ...lbManifest('retried').spec, type: 'ClusterIP' } });
    await expect(cluster.setServiceType('default', 'retried', 'NodePort', { resourceVersion: created.resourceVersion })).resolves.toMatchObject({ type: 'NodePort' });
    await cluster.deleteService('default', 'retried');
    sandbox.faults.reset();
    expect(sandbox.cluster.listServices().filter((s) => s.metadata.name === 'retried')).toEqual([]);
  });

  test('a 4xx is never retried: 404 at once, even with retries', async () => {
    sandbox.faults.set({ kubeErrorEveryN: 0 });
    const started = Date.now();
    await expectBotError(cluster.getService('default', 'nowhere-to-be-found'), 'not_found');
    expect(Date.now() - started).toBeLessThan(RETRY.callDeadlineMs);
  });

  test('an unreachable cluster (nothing listens on its port) is cluster_unreachable, naming the cluster', async () => {
    const port = await closedPort();
    const registry = createClusterRegistry(
      [clusterConfig('gone-east')],
      {
        loadKubeConfig: () => sandboxKubeConfig(sandbox, `http://127.0.0.1:${port}`),
        createElbClient: () => sandboxElbClient(sandbox),
      },
      RETRY,
    );
    try {
      const gone = registry.get('gone-east').cluster;
      await expectBotError(gone.listServices('default'), 'cluster_unreachable', 'Cluster `gone-east` is unreachable', 'ECONNREFUSED');
      await expectBotError(gone.createService(lbManifest('web')), 'cluster_unreachable', '`gone-east`');
    } finally {
      registry.close();
    }
  });
});

describe('ELB API failures', () => {
  test('throttling -> aws_error saying AWS is throttling, naming the load balancer', async () => {
    await cluster.createService(lbManifest('throttled'));
    const service = await waitFor(async () => {
      const svc = await cluster.getService('default', 'throttled');
      return svc.loadBalancerHostnames.length > 0 && svc;
    }, { what: 'a load balancer hostname' });
    const hostname = service.loadBalancerHostnames[0]!;
    const lbName = sandbox.elb.findByDnsName(hostname)!.name;

    sandbox.faults.set({ elbThrottleRatePerSecond: 1 });
    const err = await expectBotError(loadBalancers.findForService({ namespace: 'default', name: 'throttled', hostname }), 'aws_error', 'throttling', lbName);
    expect(err.userMessage).toBe(`Could not describe load balancer ${lbName}: AWS is throttling svcbot (Rate exceeded) — try again shortly.`);

    sandbox.faults.reset();
    await expect(loadBalancers.findForService({ namespace: 'default', name: 'throttled', hostname })).resolves.toMatchObject({ name: lbName });
  });

  test('an ELB endpoint nobody answers on -> aws_error', async () => {
    const port = await closedPort();
    const registry = createClusterRegistry([clusterConfig('no-aws')], {
      loadKubeConfig: () => sandboxKubeConfig(sandbox),
      createElbClient: () =>
        new ElasticLoadBalancingClient({
          region: 'us-east-1',
          endpoint: `http://127.0.0.1:${port}`,
          credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
          maxAttempts: 1,
        }),
    });
    try {
      await expectBotError(
        registry.get().loadBalancers.findForService({ namespace: 'default', name: 'web', hostname: 'aweb-123.us-east-1.elb.amazonaws.com' }),
        'aws_error',
        'Could not describe load balancer aweb',
      );
    } finally {
      registry.close();
    }
  });
});

describe('deployments whose selector a Service cannot copy', () => {
  test('matchExpressions -> invalid, suggesting --selector', async () => {
    const apps = sandboxKubeConfig(sandbox).makeApiClient(k8s.AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: 'picky' },
        spec: {
          selector: { matchLabels: { app: 'picky' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }] },
          template: {
            metadata: { labels: { app: 'picky', tier: 'web' } },
            spec: { containers: [{ name: 'c', image: 'httpd:2.4-alpine' }] },
          },
        },
      },
    });
    await expectBotError(cluster.getDeploymentSelector('default', 'picky'), 'invalid', 'Deployment `picky`', 'matchExpressions', '`--selector`');
  });
});

test('listServices reads every page of a long list', async () => {
  // Made through the sandbox's in-process API: one HTTP request per Service would be slow.
  const { registry, resources } = sandbox.cluster;
  for (let i = 0; i < 520; i++) {
    registry.create(resources.services, 'kube-node-lease', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `many-${i}` },
      spec: { ports: [{ port: 80 }] },
    });
  }
  const listed = await cluster.listServices('kube-node-lease');
  expect(listed).toHaveLength(520);
  expect(new Set(listed.map((s) => s.name)).size).toBe(520);
  const all = await cluster.listServices(null);
  expect(all.filter((s) => s.namespace === 'kube-node-lease')).toHaveLength(520);
});

describe('setServiceType, deleteService and concurrent changes', () => {
  /** A kubeconfig that calls `onRequest` just before each request leaves (client-node asks it for credentials then). */
  class WatchingKubeConfig extends k8s.KubeConfig {
    onRequest: (method: string, url: string) => void = () => {};

    override async applySecurityAuthentication(context: k8s.RequestContext): Promise<void> {
      this.onRequest(context.getHttpMethod(), context.getUrl());
      await super.applySecurityAuthentication(context);
    }
  }

  function watchedGateway() {
    const kc = new WatchingKubeConfig();
    kc.loadFromString(sandbox.kubeconfigYaml);
    const registry = createClusterRegistry([clusterConfig('racy')], { loadKubeConfig: () => kc, createElbClient: () => sandboxElbClient(sandbox) });
    return { kc, registry, gateway: registry.get().cluster };
  }

  /** Someone else changes the Service (a label), as `kubectl label` would between svcbot's read and its patch. */
  function touch(name: string, value: string): void {
    sandbox.cluster.updateService('default', name, (svc) => {
      svc.metadata.labels = { ...svc.metadata.labels, touched: value };
    });
  }

  test('a change between the read and the patch: 409, read again, patched on the second try', async () => {
    const { kc, registry, gateway } = watchedGateway();
    try {
      await gateway.createService(serviceManifest({ name: 'racy', namespace: 'default', selector: { app: 'alpine' }, ports: [{ port: 80, protocol: 'TCP' }], type: 'ClusterIP' }));
      const methods: string[] = [];
      kc.onRequest = (method, url) => {
        if (!url.includes('/services/racy')) return;
        methods.push(method);
        if (method === 'PATCH' && methods.filter((m) => m === 'PATCH').length === 1) touch('racy', 'once');
      };
      const patched = await gateway.setServiceType('default', 'racy', 'NodePort');
      expect(patched.type).toBe('NodePort');
      expect(methods).toEqual(['GET', 'PATCH', 'GET', 'PATCH']);
      expect(sandbox.cluster.getService('default', 'racy')?.metadata.labels).toMatchObject({ touched: 'once' });
    } finally {
      registry.close();
    }
  });

  test('changed again before the second patch: conflict, and the type is as the other writer left it', async () => {
    const { kc, registry, gateway } = watchedGateway();
    try {
      await gateway.createService(serviceManifest({ name: 'busy', namespace: 'default', selector: { app: 'alpine' }, ports: [{ port: 80, protocol: 'TCP' }], type: 'ClusterIP' }));
      let n = 0;
      kc.onRequest = (method, url) => {
        if (method === 'PATCH' && url.includes('/services/busy')) touch('busy', String(++n));
      };
      await expectBotError(gateway.setServiceType('default', 'busy', 'LoadBalancer'), 'conflict', 'Service `busy` in namespace `default` was changed by someone else meanwhile; try again.');
      expect(n).toBe(2);
      expect(sandbox.cluster.getService('default', 'busy')?.spec.type).toBe('ClusterIP');
    } finally {
      registry.close();
    }
  });

  test('with a resourceVersion, a change between the read and the patch: the API server refuses it (409), no retry', async () => {
    const { kc, registry, gateway } = watchedGateway();
    try {
      const created = await gateway.createService(
        serviceManifest({ name: 'pinned', namespace: 'default', selector: { app: 'alpine' }, ports: [{ port: 80, protocol: 'TCP' }], type: 'ClusterIP' }),
      );
      const methods: string[] = [];
      kc.onRequest = (method, url) => {
        if (!url.includes('/services/pinned')) return;
        methods.push(method);
        // svcbot's read saw the expected version; the change lands just before its patch.
        if (method === 'PATCH') touch('pinned', 'late');
      };
      const err = await expectBotError(gateway.setServiceType('default', 'pinned', 'LoadBalancer', { resourceVersion: created.resourceVersion }), 'conflict');
      expect(err.transient).toBe(false);
      expect(err.cause).toBeInstanceOf(k8s.ApiException);
      expect(methods).toEqual(['GET', 'PATCH']);
      const after = sandbox.cluster.getService('default', 'pinned');
      expect(after?.spec.type).toBe('ClusterIP');
      expect(after?.metadata.labels).toMatchObject({ touched: 'late' });
    } finally {
      registry.close();
    }
  });

  test('delete with a resourceVersion: a change just before the DELETE is refused by the API server (409)', async () => {
    const { kc, registry, gateway } = watchedGateway();
    try {
      const created = await gateway.createService(
        serviceManifest({ name: 'pinned-del', namespace: 'default', selector: { app: 'alpine' }, ports: [{ port: 80, protocol: 'TCP' }], type: 'ClusterIP' }),
      );
      kc.onRequest = (method, url) => {
        if (method === 'DELETE' && url.includes('/services/pinned-del')) touch('pinned-del', 'late');
      };
      const err = await expectBotError(gateway.deleteService('default', 'pinned-del', { uid: created.uid, resourceVersion: created.resourceVersion }), 'conflict');
      expect(err.cause).toBeInstanceOf(k8s.ApiException);
      expect(sandbox.cluster.getService('default', 'pinned-del')?.metadata.uid).toBe(created.uid);
    } finally {
      registry.close();
    }
  });
});

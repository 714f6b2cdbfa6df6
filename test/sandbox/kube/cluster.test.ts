/**
 * The in-process API the cloud controller and tests use: onChange, getService/listServices,
 * updateService (status, finalizers), listNodes, recordEvent; and scale.
 */
import * as k8s from '@kubernetes/client-node';
import { KubeCluster, type ClusterChange } from '../../../sandbox/kube/cluster.js';
import { KubeApiError } from '../../../sandbox/kube/errors.js';
import type { Service } from '../../../sandbox/kube/types.js';
import { startApi, svc } from './helpers.js';

function newCluster(): KubeCluster {
  return new KubeCluster({ clusterName: 'c', region: 'us-west-2', nodes: 2, now: () => new Date('2024-05-01T10:00:00.123Z') });
}

function createService(cluster: KubeCluster, name: string, spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): Service {
  return cluster.registry.create(cluster.resources.services, 'default', svc(name, spec, metadata)).object as Service;
}

describe('KubeCluster', () => {
  test('onChange hears every write of every resource, synchronously and in order', () => {
    const cluster = newCluster();
    const heard: string[] = [];
    const off = cluster.onChange((ev: ClusterChange) => heard.push(`${ev.type} ${ev.resource} ${ev.object.metadata.name}`));
    createService(cluster, 'web', { selector: { app: 'alpine' }, ports: [{ port: 80, targetPort: 'http' }] });
    expect(heard[0]).toBe('ADDED services web');
    // The endpoints controllers follow the Service in the same call.
    expect(heard).toContain('ADDED endpoints web');
    expect(heard.some((h) => /^ADDED endpointslices web-[a-z0-9]{5}$/.test(h))).toBe(true);
    off();
    createService(cluster, 'quiet', { ports: [{ port: 80 }] });
    expect(heard.some((h) => h.includes('quiet'))).toBe(false);
  });

  test('timestamps come from the injected clock, in RFC 3339 seconds', () => {
    const cluster = newCluster();
    const s = createService(cluster, 'web', { ports: [{ port: 80 }] });
    expect(s.metadata.creationTimestamp).toBe('2024-05-01T10:00:00Z');
  });

  test('getService and listServices return copies; updateService writes status and bumps the resourceVersion', () => {
    const cluster = newCluster();
    createService(cluster, 'lb', { type: 'LoadBalancer', ports: [{ port: 80 }] });
    const copy = cluster.getService('default', 'lb')!;
    copy.spec.type = 'ClusterIP';
    expect(cluster.getService('default', 'lb')?.spec.type).toBe('LoadBalancer');
    expect(cluster.listServices().map((s) => s.metadata.name)).toEqual(['lb']);

    const before = cluster.getService('default', 'lb')!;
    const updated = cluster.updateService('default', 'lb', (s) => {
      s.metadata.finalizers = ['service.kubernetes.io/load-balancer-cleanup'];
      s.status = { loadBalancer: { ingress: [{ hostname: 'lb-123.us-west-2.elb.amazonaws.com' }] } };
    })!;
    expect(updated.status?.loadBalancer?.ingress?.[0]?.hostname).toBe('lb-123.us-west-2.elb.amazonaws.com');
    expect(updated.metadata.finalizers).toEqual(['service.kubernetes.io/load-balancer-cleanup']);
    expect(Number(updated.metadata.resourceVersion)).toBeGreaterThan(Number(before.metadata.resourceVersion));
    expect(cluster.updateService('default', 'missing', () => undefined)).toBeUndefined();
  });

  test('an updateService that changes nothing writes nothing (no event, same resourceVersion)', () => {
    const cluster = newCluster();
    const created = createService(cluster, 'web', { ports: [{ port: 80 }] });
    const heard: string[] = [];
    cluster.onChange((ev) => heard.push(ev.type));
    const same = cluster.updateService('default', 'web', () => undefined);
    expect(same?.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
    expect(heard).toEqual([]);
  });

  test('a controller may call updateService from inside onChange; events stay in commit order', () => {
    const cluster = newCluster();
    const order: string[] = [];
    cluster.onChange((ev) => {
      if (ev.resource !== 'services') return;
      const s = ev.object as Service;
      order.push(`${ev.type}:${s.metadata.resourceVersion}:${(s.metadata.finalizers ?? []).length}`);
      if (ev.type === 'ADDED') {
        cluster.updateService('default', s.metadata.name, (x) => {
          x.metadata.finalizers = ['example.com/f'];
        });
      }
    });
    createService(cluster, 'web', { ports: [{ port: 80 }] });
    expect(order).toHaveLength(2);
    expect(order[0]).toMatch(/^ADDED:\d+:0$/);
    expect(order[1]).toMatch(/^MODIFIED:\d+:1$/);
  });

  test('emptying the finalizers of a deleting Service removes it (MODIFIED then DELETED)', () => {
    const cluster = newCluster();
    createService(cluster, 'lb', { type: 'LoadBalancer', ports: [{ port: 80 }] }, { finalizers: ['service.kubernetes.io/load-balancer-cleanup'] });
    cluster.registry.delete(cluster.resources.services, 'default', 'lb');
    const deleting = cluster.getService('default', 'lb')!;
    expect(deleting.metadata.deletionTimestamp).toBe('2024-05-01T10:00:00Z');
    const heard: string[] = [];
    cluster.onChange((ev) => {
      if (ev.resource === 'services') heard.push(ev.type);
    });
    const result = cluster.updateService('default', 'lb', (s) => {
      s.metadata.finalizers = [];
    });
    expect(result).toBeUndefined();
    expect(heard).toEqual(['MODIFIED', 'DELETED']);
    expect(cluster.getService('default', 'lb')).toBeUndefined();
    expect(cluster.allocator.allocatedNodePorts).toBe(0);
  });

  test('updateService refuses an invalid result with a KubeApiError', () => {
    const cluster = newCluster();
    createService(cluster, 'web', { ports: [{ port: 80 }] });
    expect(() =>
      cluster.updateService('default', 'web', (s) => {
        s.spec.ports = [{ port: 0 }];
      }),
    ).toThrow(KubeApiError);
  });

  test('listNodes, recordEvent outside a live namespace is dropped', () => {
    const cluster = newCluster();
    expect(cluster.listNodes().map((n) => n.metadata.name)).toEqual([
      'ip-10-0-1-11.us-west-2.compute.internal',
      'ip-10-0-1-12.us-west-2.compute.internal',
    ]);
    const s = createService(cluster, 'web', { ports: [{ port: 80 }] });
    cluster.recordEvent({ ...s, metadata: { ...s.metadata, namespace: 'nowhere' } }, 'Normal', 'X', 'y');
    expect(cluster.store.count('events')).toBe(0);
    cluster.recordEvent(s, 'Warning', 'X', 'y');
    expect(cluster.store.count('events', 'default')).toBe(1);
  });
});

describe('scale', () => {
  test('10,000 Services: creates, lists of one namespace and paged lists stay fast', async () => {
    const api = await startApi();
    try {
      const { cluster } = api;
      const started = Date.now();
      for (let i = 0; i < 10_000; i++) {
        if (i % 1000 === 0) cluster.registry.create(cluster.resources.namespaces, '', { metadata: { name: `bulk-${i / 1000}` } });
        cluster.registry.create(cluster.resources.services, `bulk-${Math.floor(i / 1000)}`, svc(`s-${i}`, { ports: [{ port: 80 }] }));
      }
      const created = Date.now() - started;
      const t1 = Date.now();
      const one = await api.core.listNamespacedService({ namespace: 'bulk-3' });
      expect(one.items).toHaveLength(1000);
      const page = await api.core.listServiceForAllNamespaces({ limit: 500 });
      expect(page.items).toHaveLength(500);
      expect(page.metadata?._continue).toBeTruthy();
      const small = await api.core.listNamespacedService({ namespace: 'default' });
      expect(small.items).toHaveLength(0);
      expect(cluster.allocator.allocatedIPs).toBe(10_000);
      // Generous bounds: these guard against quadratic behaviour, not for benchmarking.
      expect(created).toBeLessThan(15_000);
      expect(Date.now() - t1).toBeLessThan(5_000);
      const watch = await new k8s.Watch(api.kc).watch('/api/v1/namespaces/default/services', {}, () => undefined, () => undefined);
      watch.abort();
    } finally {
      await api.close();
    }
  });
});

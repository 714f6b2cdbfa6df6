import { describe, expect, it } from '@jest/globals';
import type { ServiceView } from '../../../src/domain/views.js';
import { blockKitViolations, LIMITS } from '../../../src/render/blocks.js';
import { renderList, serviceTable } from '../../../src/render/list.js';
import { renderToText } from '../../../src/render/text.js';
import { EVIL, NOW, everything, makeService, minutesAgo, slackConstructs } from './fixtures.js';

const services: ServiceView[] = [
  makeService({ name: 'web', type: 'NodePort', clusterIP: '10.96.0.10', ports: [{ port: 8080, targetPort: 8080, protocol: 'TCP', nodePort: 32226 }], createdAt: minutesAgo(5) }),
  makeService({
    name: 'api',
    type: 'LoadBalancer',
    clusterIP: '10.96.0.11',
    loadBalancerHostnames: ['a1.elb.amazonaws.com'],
    ports: [
      { port: 80, targetPort: 8080, protocol: 'TCP', nodePort: 30080 },
      { port: 443, targetPort: 8443, protocol: 'TCP', nodePort: 30443 },
    ],
    createdAt: minutesAgo(3 * 24 * 60),
  }),
  makeService({ name: 'pending', type: 'LoadBalancer', clusterIP: '10.96.0.12', ports: [{ port: 80, targetPort: 80, protocol: 'TCP', nodePort: 31000 }], createdAt: minutesAgo(1) }),
  makeService({ name: 'db', clusterIP: 'None', ports: [{ port: 5432, targetPort: 5432, protocol: 'TCP' }], createdAt: minutesAgo(60 * 24 * 400) }),
  makeService({ name: 'ext', type: 'ExternalName', clusterIP: undefined, externalName: 'db.example.com', ports: [], createdAt: minutesAgo(30) }),
];

describe('serviceTable', () => {
  it('is aligned like kubectl get services, sorted by name', () => {
    expect(serviceTable({ cluster: 'prod', namespace: 'default', services, now: NOW })).toEqual([
      'NAME      TYPE           CLUSTER-IP   EXTERNAL-IP            PORT(S)                      AGE',
      'api       LoadBalancer   10.96.0.11   a1.elb.amazonaws.com   80:30080/TCP,443:30443/TCP   3d',
      'db        ClusterIP      None         <none>                 5432/TCP                     400d',
      'ext       ExternalName   <none>       db.example.com         <none>                       30m',
      'pending   LoadBalancer   10.96.0.12   <pending>              80:31000/TCP                 60s',
      'web       NodePort       10.96.0.10   <none>                 8080:32226/TCP               5m',
    ]);
  });

  it('adds a NAMESPACE column for all namespaces', () => {
    const lines = serviceTable({ cluster: 'prod', namespace: null, services: [makeService({ namespace: 'shop' })], now: NOW });
    expect(lines[0]).toMatch(/^NAMESPACE\s+NAME\s+TYPE/);
    expect(lines[1]).toMatch(/^shop\s+web\s+ClusterIP/);
  });
});

describe('renderList', () => {
  it('puts the table in a code block, to the asker only', () => {
    const r = renderList({ cluster: 'prod', namespace: 'default', services, now: NOW });
    expect(r.responseType).toBe('ephemeral');
    expect(r.text).toContain('5 Services in namespace `default` on cluster `prod`:');
    expect(r.text).toContain('8080:32226/TCP');
    expect(r.blocks.some((b) => b.type === 'section' && b.text?.text.startsWith('```\nNAME'))).toBe(true);
    expect(blockKitViolations(r)).toEqual([]);
  });

  it('says so when there is nothing', () => {
    expect(renderList({ cluster: 'prod', namespace: null, services: [], now: NOW }).text).toBe('No Services in all namespaces on cluster `prod`.');
  });

  it("a namespaced install's every namespace is svcbot's namespaces, named", () => {
    expect(renderList({ cluster: 'prod', namespace: null, namespaces: ['team-a', 'team-b'], services: [], now: NOW }).text).toBe(
      "No Services in svcbot's namespaces (`team-a`, `team-b`) on cluster `prod`.",
    );
  });

  it('300 services stay within Block Kit limits; the console still gets the whole table', () => {
    const many = Array.from({ length: 300 }, (_, i) =>
      makeService({ name: `service-${String(i).padStart(3, '0')}`, type: 'LoadBalancer', loadBalancerHostnames: [`a${i}abcdef0123456789-1234567890.us-east-1.elb.amazonaws.com`], ports: [{ port: 80, targetPort: 8080, protocol: 'TCP', nodePort: 30000 + i }] }),
    );
    const r = renderList({ cluster: 'prod', namespace: 'default', services: many, now: NOW });
    expect(blockKitViolations(r)).toEqual([]);
    expect(r.text.length).toBeLessThanOrEqual(LIMITS.fallbackText);
    expect(r.text).toMatch(/… and \d+ more Services\n```$/);
    const console = renderToText(r).text;
    expect(console).toContain('service-000');
    expect(console).toContain('service-299');
    expect(console).not.toMatch(/service-\d+.*\n\n\s+service-/); // the split table prints as one
  });

  it('more services than 48 blocks can hold end with "… and N more Services"', () => {
    const many = Array.from({ length: 3000 }, (_, i) => makeService({ name: `s-${i}`, loadBalancerHostnames: [], namespace: `namespace-${i}` }));
    const r = renderList({ cluster: 'prod', namespace: null, services: many, now: NOW });
    expect(blockKitViolations(r)).toEqual([]);
    expect(r.blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
    expect(everything(r)).toMatch(/… and \d+ more Services/);
  });

  it('escapes names in the table', () => {
    const r = renderList({ cluster: EVIL.cluster, namespace: null, services: [makeService({ namespace: EVIL.namespace, name: EVIL.name })], now: NOW });
    expect(slackConstructs(everything(r))).toEqual([]);
    expect(r.text).toContain('&lt;!here|here&gt;');
  });
});

import { describe, expect, it } from '@jest/globals';
import type { DescribeResult, LoadBalancerView, PodEndpointView } from '../../../src/domain/views.js';
import { blockKitViolations } from '../../../src/render/blocks.js';
import { renderDescribe } from '../../../src/render/describe.js';
import { renderToText } from '../../../src/render/text.js';
import { EVIL, NODES, NOW, event, everything, makeService, minutesAgo, slackConstructs } from './fixtures.js';

const loadBalancer: LoadBalancerView = {
  name: 'a1b2c3d4e5',
  dnsName: 'a1b2c3d4e5-123.us-east-1.elb.amazonaws.com',
  scheme: 'internet-facing',
  listeners: [{ protocol: 'TCP', loadBalancerPort: 80, instanceProtocol: 'TCP', instancePort: 32226 }],
  healthCheck: { target: 'TCP:32226', interval: 10, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 6 },
  instances: [
    { instanceId: 'i-0aaa', state: 'InService' },
    { instanceId: 'i-0bbb', state: 'OutOfService', description: 'Instance has failed at least the UnhealthyThreshold number of health checks consecutively.' },
  ],
  createdAt: minutesAgo(10),
};

const endpoints: PodEndpointView[] = [
  { ip: '10.244.1.5', port: 8080, protocol: 'TCP', portName: 'http', ready: true, podName: 'web-7c9f-abcde', nodeName: 'node-a' },
  { ip: '10.244.2.6', port: 8080, protocol: 'TCP', ready: false, podName: 'web-7c9f-fghij', nodeName: 'node-b' },
];

function result(overrides: Partial<DescribeResult> = {}): DescribeResult {
  return {
    service: makeService({
      type: 'LoadBalancer',
      loadBalancerHostnames: [loadBalancer.dnsName],
      ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP', nodePort: 32226 }],
    }),
    nodes: NODES,
    endpoints,
    loadBalancer,
    events: [event({ lastSeen: minutesAgo(9), reason: 'EnsuringLoadBalancer', message: 'Ensuring load balancer' }), event({ reason: 'EnsuredLoadBalancer' })],
    now: NOW,
    ...overrides,
  };
}

describe('renderDescribe', () => {
  it('shows spec, endpoints, addresses, the load balancer and events, to the asker only', () => {
    const r = renderDescribe(result());
    expect(r.responseType).toBe('ephemeral');
    expect(blockKitViolations(r)).toEqual([]);
    const all = everything(r);
    for (const expected of [
      'Service web',
      '`10.96.0.10`',
      '`app=web`',
      '`http 80\u21928080/TCP (node port 32226)`',
      '*Endpoints* (1 ready, 1 not ready)',
      '`10.244.1.5:8080/TCP` (`http`) pod `web-7c9f-abcde` on `node-a`',
      'http://a1b2c3d4e5-123.us-east-1.elb.amazonaws.com:80',
      '`54.1.2.3:32226`',
      '*Load balancer* `a1b2c3d4e5` (internet-facing, created 10m ago)',
      'Listener TCP 80 \u2192 TCP 32226',
      'Health check: `TCP:32226` every 10s, timeout 5s, healthy after 2, unhealthy after 6',
      'Instances: 1 of 2 in service',
      '`i-0bbb` OutOfService: Instance has failed',
      '*Events* (most recent first)',
    ]) {
      expect(all).toContain(expected);
    }
    expect(all.indexOf('`EnsuredLoadBalancer`')).toBeLessThan(all.indexOf('`EnsuringLoadBalancer`'));
    expect(r.text).toContain('Service `web` in namespace `default` on cluster `prod`: LoadBalancer, 1 ready endpoint.');
  });

  it.each([
    ['no ready pods', result({ endpoints: [] }), 'No ready pod matches selector `app=web`'],
    ['no selector', result({ endpoints: [], service: makeService({ selector: {} }) }), 'No selector: endpoints are not managed by Kubernetes'],
    ['no instance in service', result({ loadBalancer: { ...loadBalancer, instances: [{ instanceId: 'i-1', state: 'OutOfService' }] } }), 'No instance is in service'],
    ['a load balancer error', result({ loadBalancer: undefined, loadBalancerError: 'AWS throttled the request' }), 'Could not describe the load balancer: AWS throttled the request'],
    ['no events', result({ events: [] }), 'No recent events.'],
    ['a warning event', result({ events: [event({ type: 'Warning', reason: 'SyncLoadBalancerFailed', count: 4 })] }), ':warning: `SyncLoadBalancerFailed` \u00d74, 60s ago'],
    ['being deleted', result({ service: makeService({ deleting: true, finalizers: ['service.kubernetes.io/load-balancer-cleanup'] }) }), 'Being deleted, waiting for `service.kubernetes.io/load-balancer-cleanup`'],
    ['headless', result({ service: makeService({ clusterIP: 'None' }) }), '`None` (headless)'],
  ])('%s', (_title, input, expected) => {
    const r = renderDescribe(input);
    expect(everything(r)).toContain(expected);
    expect(blockKitViolations(r)).toEqual([]);
  });

  it('shows the 10 most recent events and counts the rest', () => {
    const events = Array.from({ length: 25 }, (_, i) => event({ reason: `Reason${i}`, lastSeen: minutesAgo(i) }));
    const all = everything(renderDescribe(result({ events })));
    expect(all).toContain('`Reason9`');
    expect(all).not.toContain('`Reason10`');
    expect(all).toContain('… and 15 older events');
  });

  it('stays within Block Kit limits with hundreds of endpoints, nodes and long messages', () => {
    const many = Array.from({ length: 500 }, (_, i) => ({ ip: `10.244.${i >> 8}.${i & 255}`, port: 8080, protocol: 'TCP' as const, ready: i % 3 !== 0, podName: `pod-${i}`, nodeName: `node-${i % 50}` }));
    const nodes = Array.from({ length: 200 }, (_, i) => ({ name: `node-${i}`, internalIP: `10.0.0.${i}`, ready: i % 7 !== 0 }));
    const ports = Array.from({ length: 40 }, (_, i) => ({ name: `p${i}`, port: 1000 + i, targetPort: 2000 + i, protocol: 'TCP' as const, nodePort: 30000 + i }));
    const r = renderDescribe(
      result({
        service: makeService({ type: 'LoadBalancer', loadBalancerHostnames: ['a.elb.amazonaws.com', 'b.elb.amazonaws.com'], ports }),
        endpoints: many,
        nodes,
        events: [event({ message: 'x'.repeat(5000) })],
        loadBalancer: { ...loadBalancer, instances: nodes.map((n) => ({ instanceId: `i-${n.name}`, state: 'OutOfService', description: 'unhealthy '.repeat(20) })) },
      }),
    );
    expect(blockKitViolations(r)).toEqual([]);
    expect(everything(r)).toContain('more endpoints');
  });

  it('escapes every piece of cluster text', () => {
    const r = renderDescribe(
      result({
        service: makeService({ cluster: EVIL.cluster, namespace: EVIL.namespace, name: EVIL.name, selector: { app: EVIL.text }, finalizers: [EVIL.text], deleting: true }),
        endpoints: [{ ip: '10.0.0.1', port: 80, protocol: 'TCP', ready: true, podName: EVIL.text, nodeName: EVIL.name, portName: EVIL.text }],
        events: [event({ type: 'Warning', reason: EVIL.text, message: EVIL.text })],
        loadBalancer: { ...loadBalancer, name: EVIL.text, scheme: EVIL.text, instances: [{ instanceId: EVIL.text, state: 'Unknown', description: EVIL.text }] },
        loadBalancerError: EVIL.text,
      }),
    );
    expect(slackConstructs(everything(r))).toEqual([]);
    expect(r.text).toContain('&lt;!channel&gt;');
    expect(renderToText(r).text).toContain('<!channel>'); // the console shows it as it is
  });

  it('offers a refresh and a confirmed delete', () => {
    const { choices } = renderToText(renderDescribe(result()));
    expect(choices.map((c) => [c.n, c.label, c.actionId])).toEqual([
      [1, 'Refresh', 'svc_describe'],
      [2, 'Delete', 'svc_delete'],
    ]);
    expect(choices[1]?.confirm).toContain('Delete Service web in namespace default on cluster prod?');
  });
});

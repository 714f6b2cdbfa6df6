/** Why a load balancer does not answer, in words: each cause, and which one wins when several hold. */
import { whyNotInService, whySilent, type SilenceEvidence } from '../../../src/domain/lb-silence.js';
import type { PodEndpointView } from '../../../src/domain/views.js';

const ready = (podName: string, ip: string, portName?: string): PodEndpointView => ({ ip, port: 80, protocol: 'TCP', ready: true, podName, ...(portName ? { portName } : {}) });
const notReady = (podName: string, ip: string): PodEndpointView => ({ ...ready(podName, ip), ready: false });

const base: SilenceEvidence = { port: 80, protocol: 'TCP', error: 'ECONNRESET', selector: { app: 'web' } };
const inService = { instances: [{ instanceId: 'i-0a', state: 'InService' as const }] };
const outOfService = {
  instances: [
    { instanceId: 'i-0a', state: 'OutOfService' as const, description: 'Instance has failed at least the UnhealthyThreshold number of health checks consecutively.' },
    { instanceId: 'i-0b', state: 'OutOfService' as const },
  ],
};
const elbGroup = (cidrs: string[], port = 80) => [{ groupId: 'sg-0elb', groupName: 'k8s-elb-a1b2', ingress: [{ protocol: 'tcp', fromPort: port, toPort: port, cidrs, groups: [] }] }];

test.each<[string, SilenceEvidence, string]>([
  ['no pod matches the selector', { ...base, endpoints: [] }, 'no ready endpoint behind the Service: its selector app=web matches no ready pod'],
  ['pods match but none is ready', { ...base, endpoints: [notReady('web-1', '10.0.0.1'), notReady('web-2', '10.0.0.2')] }, 'no ready endpoint behind the Service: 2 pods match but none is ready'],
  ['a Service without a selector and no endpoints', { ...base, selector: {}, endpoints: [] }, 'no ready endpoint behind the Service: it has no selector and no endpoints'],
  [
    'ready pods, but every instance fails the health check',
    { ...base, endpoints: [ready('web-1', '10.0.0.1')], loadBalancer: outOfService },
    'no instance in service: 0 of 2 instances pass the load balancer\'s health check (Instance has failed at least the UnhealthyThreshold number of health checks consecutively)',
  ],
  ['no instance registered', { ...base, loadBalancer: { instances: [] } }, 'no instance in service: no instance is registered with the load balancer'],
  [
    'the load balancer\'s group lets the port in only from elsewhere',
    { ...base, endpoints: [ready('web-1', '10.0.0.1')], loadBalancer: inService, groups: elbGroup(['203.0.113.0/24']), localAddress: '127.0.0.1' },
    'security group closed: the load balancer\'s security group sg-0elb (k8s-elb-a1b2) lets port 80 in only from 203.0.113.0/24, not from svcbot\'s address 127.0.0.1',
  ],
  [
    'the load balancer\'s group has no rule for the port',
    { ...base, loadBalancer: inService, groups: elbGroup(['0.0.0.0/0'], 443) },
    'security group closed: the load balancer\'s security group sg-0elb (k8s-elb-a1b2) lets no address in on port 80',
  ],
  [
    'a restricted group and svcbot\'s address unknown',
    { ...base, loadBalancer: inService, groups: elbGroup(['203.0.113.0/24', '198.51.100.7/32']) },
    'the load balancer\'s security group sg-0elb (k8s-elb-a1b2) lets port 80 in only from 203.0.113.0/24, 198.51.100.7/32, which may not hold svcbot\'s address',
  ],
  ['everything looks right: what the connection said', { ...base, error: 'ETIMEDOUT', endpoints: [ready('web-1', '10.0.0.1')], loadBalancer: inService, groups: elbGroup(['0.0.0.0/0']) }, 'it does not answer on port 80: the connection timed out'],
  ['svcbot inside the allowed range: not the cause', { ...base, loadBalancer: inService, groups: elbGroup(['127.0.0.0/8']), localAddress: '127.0.0.1' }, 'it does not answer on port 80: the connection was reset'],
  ['nothing could be read', { port: 8080, protocol: 'TCP', error: 'EHOSTUNREACH' }, 'it does not answer on port 8080: the host is unreachable'],
])('%s', (_what, evidence, expected) => {
  expect(whySilent(evidence)).toBe(expected);
});

test('the endpoints of the probed port count, by its name', () => {
  const endpoints = [ready('web-1', '10.0.0.1', 'metrics'), { ...notReady('web-1', '10.0.0.1'), portName: 'http' }];
  expect(whySilent({ ...base, portName: 'http', endpoints })).toBe('no ready endpoint behind the Service: 1 pod matches but none is ready');
  expect(whySilent({ ...base, portName: 'metrics', endpoints })).toBe('it does not answer on port 80: the connection was reset');
});

test('instances out of service are explained by the Service\'s endpoints when it has no ready one', () => {
  expect(whyNotInService({ endpoints: [], selector: { app: 'nope' } })).toBe('no ready endpoint behind the Service: its selector app=nope matches no ready pod');
  expect(whyNotInService({ endpoints: [ready('web-1', '10.0.0.1')], selector: { app: 'web' } })).toBeUndefined();
});

/** What a simulated pod serves on a port, from its spec and status. */
import { isPodServing, podServiceOn } from '../../../sandbox/net/pods.js';
import type { Container, Pod } from '../../../sandbox/kube/types.js';

function pod(containers: Container[], status: Pod['status'] = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] }): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', uid: 'u', resourceVersion: '1', creationTimestamp: '' }, spec: { containers }, status };
}

test.each<[string, Container, number, ReturnType<typeof podServiceOn>]>([
  ['httpd, declared port', { name: 'c', image: 'httpd:2.4', ports: [{ containerPort: 8080 }] }, 8080, 'http'],
  ['httpd, declared port only', { name: 'c', image: 'httpd:2.4', ports: [{ containerPort: 8080 }] }, 80, undefined],
  ['httpd, no port: 80', { name: 'c', image: 'docker.io/library/httpd:alpine' }, 80, 'http'],
  ['httpd by digest', { name: 'c', image: 'public.ecr.aws/docker/library/httpd@sha256:abc' }, 80, 'http'],
  ['httpd image running httpd-foreground', { name: 'c', image: 'httpd', command: ['httpd-foreground'] }, 80, 'http'],
  ['not httpd: httpd-exporter', { name: 'c', image: 'httpd-exporter:1', ports: [{ containerPort: 9117 }] }, 9117, 'echo'],
  ['UDP port', { name: 'c', image: 'coredns', ports: [{ containerPort: 53, protocol: 'UDP' }] }, 53, undefined],
  ['other image, declared', { name: 'c', image: 'redis:7', ports: [{ containerPort: 6379 }] }, 6379, 'echo'],
  ['other image, undeclared', { name: 'c', image: 'redis:7', ports: [{ containerPort: 6379 }] }, 80, undefined],
  [
    'busybox httpd with its page',
    { name: 'c', image: 'alpine:3.20', command: ['sh', '-c', 'mkdir -p /tmp/www && echo hello from $(hostname) > /tmp/www/index.html && exec httpd -f -p 8000 -h /tmp/www'] },
    8000,
    { busybox: 'hello from web-1\n' },
  ],
  ['busybox httpd without a page', { name: 'c', image: 'busybox', args: ['httpd', '-f'] }, 80, { busybox: undefined }],
  ['busybox httpd on its -p port only', { name: 'c', image: 'busybox', args: ['httpd', '-f', '-p', '8000'] }, 80, undefined],
])('%s', (_what, container, port, expected) => {
  expect(podServiceOn(pod([container]), port)).toEqual(expected);
});

test.each<[string, Pod['status'], boolean]>([
  ['running and ready', { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] }, true],
  ['running, not ready', { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] }, false],
  ['pending', { phase: 'Pending' }, false],
  ['succeeded', { phase: 'Succeeded', conditions: [{ type: 'Ready', status: 'True' }] }, false],
])('a pod %s serves: %s', (_what, status, serving) => {
  expect(isPodServing(pod([{ name: 'c', image: 'httpd' }], status))).toBe(serving);
});

test('a pod being deleted does not serve', () => {
  const p = pod([{ name: 'c', image: 'httpd' }]);
  p.metadata.deletionTimestamp = '2026-12-07T00:00:00Z';
  expect(isPodServing(p)).toBe(false);
});

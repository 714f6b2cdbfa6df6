/**
 * What a simulated pod serves, decided from its spec and status as the kubelet and the container would:
 * - a pod that is not Running, not Ready or being deleted serves nothing (its containers are not up, or
 *   the sandbox takes "not ready" as "not answering"): every connection to it is refused;
 * - a container whose image is `httpd` (any registry, tag or digest: `httpd`, `httpd:2.4-alpine`,
 *   `docker.io/library/httpd:alpine`) answers HTTP on its declared TCP container ports, or on port 80
 *   when it declares none, as Apache's stock configuration does;
 * - any other container accepts TCP on its declared TCP container ports and echoes what it reads back
 *   (so a test of the path sees its bytes come back), ending when the client ends;
 * - any other port is refused.
 */
import type { Container, Pod } from '../kube/types.js';

export type PodService = 'http' | 'echo';

export function isPodServing(pod: Pod): boolean {
  if (pod.metadata.deletionTimestamp !== undefined) return false;
  if (pod.status?.phase !== 'Running') return false;
  return pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** The repository's last path element: `docker.io/library/httpd:2.4@sha256:…` → `httpd`. */
function imageName(image: string): string {
  const withoutDigest = image.split('@')[0] ?? '';
  const lastSlash = withoutDigest.lastIndexOf('/');
  const last = withoutDigest.slice(lastSlash + 1);
  const colon = last.indexOf(':');
  return (colon === -1 ? last : last.slice(0, colon)).toLowerCase();
}

function tcpPorts(container: Container): number[] {
  return (container.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === 'TCP').map((p) => p.containerPort);
}

/** What answers on `port` of a serving pod, or undefined when nothing listens there. */
export function podServiceOn(pod: Pod, port: number): PodService | undefined {
  for (const container of pod.spec.containers) {
    const declared = tcpPorts(container);
    if (imageName(container.image ?? '') === 'httpd') {
      if ((declared.length > 0 ? declared : [80]).includes(port)) return 'http';
    } else if (declared.includes(port)) {
      return 'echo';
    }
  }
  return undefined;
}

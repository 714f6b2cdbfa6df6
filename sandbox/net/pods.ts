/**
 * What a simulated pod serves, decided from its spec and status as the kubelet and the container would:
 * - a pod that is not Running, not Ready or being deleted serves nothing (its containers are not up, or
 *   the sandbox takes "not ready" as "not answering"): every connection to it is refused;
 * - a container whose image is `httpd` (any registry, tag or digest: `httpd`, `httpd:2.4-alpine`,
 *   `docker.io/library/httpd:alpine`) answers HTTP on its declared TCP container ports, or on port 80
 *   when it declares none, as Apache's stock configuration does;
 * - a container whose command runs BusyBox's `httpd` (as manifests/examples/deployment.yaml does:
 *   `httpd -f -p 80 -h /tmp/www`) answers HTTP on its `-p` port (else its declared ports, else 80) with
 *   the `index.html` its command wrote when that is an `echo TEXT > DIR/index.html` (`$(hostname)` is
 *   the pod's hostname), else BusyBox's 404;
 * - any other container accepts TCP on its declared TCP container ports and echoes what it reads back
 *   (so a test of the path sees its bytes come back), ending when the client ends;
 * - any other port is refused.
 */
import type { Container, Pod } from '../kube/types.js';

export type PodService = 'http' | 'echo' | { busybox: string | undefined };

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

function commandLine(container: Container): string {
  const words = [container.command, container.args].flatMap((v) => (Array.isArray(v) ? v.filter((w): w is string => typeof w === 'string') : []));
  return words.join(' ');
}

/** BusyBox httpd in a container's command: its port and the index page the command wrote, if it can tell. */
function busyboxHttpd(container: Container, hostname: string): { port: number | undefined; index: string | undefined } | undefined {
  const line = commandLine(container);
  const run = /(?:^|[\s;&|])(?:exec\s+)?(?:busybox\s+)?httpd(?=$|[\s;&|])(\s[^;&|]*)?/.exec(line);
  if (!run) return undefined;
  const flags = run[1] ?? '';
  const portFlag = /\s-p\s+(?:[\d.]+:)?(\d+)/.exec(flags);
  const home = /\s-h\s+(\S+)/.exec(flags)?.[1] ?? '/www';
  const written = new RegExp(`echo\\s+(.+?)\\s*>\\s*${home.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/index\\.html`).exec(line);
  const index = written?.[1]
    ?.replace(/^(["'])(.*)\1$/, '$2')
    .replace(/\$\(hostname\)|`hostname`|\$HOSTNAME|\$\{HOSTNAME\}/g, hostname);
  return { port: portFlag ? Number(portFlag[1]) : undefined, index: index === undefined ? undefined : `${index}\n` };
}

/** What answers on `port` of a serving pod, or undefined when nothing listens there. */
export function podServiceOn(pod: Pod, port: number): PodService | undefined {
  const hostname = typeof pod.spec.hostname === 'string' ? pod.spec.hostname : pod.metadata.name;
  for (const container of pod.spec.containers) {
    const declared = tcpPorts(container);
    const busybox = busyboxHttpd(container, hostname);
    if (imageName(container.image ?? '') === 'httpd') {
      if ((declared.length > 0 ? declared : [80]).includes(port)) return 'http';
    } else if (busybox) {
      const ports = busybox.port !== undefined ? [busybox.port] : declared.length > 0 ? declared : [80];
      if (ports.includes(port)) return { busybox: busybox.index };
    } else if (declared.includes(port)) {
      return 'echo';
    }
  }
  return undefined;
}

/**
 * What the apiserver's streaming subresources (proxy, port-forward, exec) need of the cluster's
 * network: to connect to a pod IP or cluster IP as a pod would, and to resolve a name through
 * cluster DNS. The sandbox's data plane provides it; tests give a stand-in.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';

export interface InternalNetwork {
  /** Connects to `ip:port` inside the cluster; rejects with `code: 'ECONNREFUSED'` when nothing serves. */
  dialInternal(ip: string, port: number): Promise<Duplex>;
  /** Cluster DNS: `NAME`, `NAME.NS`, `NAME.NS.svc.cluster.local`, relative to `namespace`. */
  resolveInternal(name: string, namespace?: string): Promise<string | readonly string[] | undefined | null>;
}

/** The first address a `resolveInternal` answer names, if any. */
export function firstAddress(answer: string | readonly string[] | undefined | null): string | undefined {
  if (typeof answer === 'string') return answer || undefined;
  return answer?.[0];
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function isIPv4(host: string): boolean {
  const m = IPV4.exec(host);
  return m !== null && m.slice(1).every((o) => Number(o) <= 255);
}

export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** An HTTP/1.1 request over an already-open connection (one request; the connection is closed after). */
export function requestOver(
  conn: Duplex,
  options: { method: string; path: string; headers: http.OutgoingHttpHeaders },
): http.ClientRequest {
  return http.request({
    method: options.method,
    path: options.path,
    headers: { ...options.headers, connection: 'close' },
    createConnection: () => conn,
  });
}

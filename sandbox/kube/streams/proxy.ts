/**
 * The `services/NAME:PORT/proxy/PATH` and `pods/NAME:PORT/proxy/PATH` subresources (what `kubectl
 * proxy` and `kubectl get --raw` reach a Service or a pod through): the request, less its hop-by-hop
 * and credential headers, goes to the target over the cluster network, and the answer comes back as
 * it is. A target that refuses is the apiserver's 503 `error trying to reach service: ...`.
 */
import type http from 'node:http';
import { KubeApiError } from '../errors.js';
import { errorCode, requestOver, type InternalNetwork } from './network.js';
import type { ProxyTarget } from './locate.js';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'authorization',
  'host',
]);

function forwardedHeaders(req: http.IncomingMessage, target: ProxyTarget): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || HOP_BY_HOP.has(k) || k.startsWith('impersonate-')) continue;
    out[k] = v;
  }
  out.host = `${target.ip}:${target.port}`;
  const from = req.socket.remoteAddress;
  if (from) out['x-forwarded-for'] = req.headers['x-forwarded-for'] ? `${String(req.headers['x-forwarded-for'])}, ${from}` : from;
  return out;
}

function unreachable(target: ProxyTarget, err: unknown): KubeApiError {
  const why = errorCode(err) === 'ECONNREFUSED' ? 'connect: connection refused' : err instanceof Error ? err.message : String(err);
  return new KubeApiError(503, 'ServiceUnavailable', `error trying to reach service: dial tcp ${target.ip}:${target.port}: ${why}`);
}

/** Sends `req` to `target` (at `path`, with the request's query) and pipes the answer into `res`. */
export async function proxyHttp(
  network: InternalNetwork,
  target: ProxyTarget,
  path: string,
  search: string,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  if (target.scheme === 'https') throw new KubeApiError(503, 'ServiceUnavailable', `error trying to reach service: the sandbox's pods serve no TLS (${target.ip}:${target.port})`);
  let conn;
  try {
    conn = await network.dialInternal(target.ip, target.port);
  } catch (err) {
    throw unreachable(target, err);
  }
  await new Promise<void>((resolve, reject) => {
    const upstream = requestOver(conn, { method: req.method ?? 'GET', path: `${path}${search}`, headers: forwardedHeaders(req, target) });
    upstream.on('response', (answer) => {
      const headers: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(answer.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
      res.writeHead(answer.statusCode ?? 502, headers);
      answer.pipe(res);
      answer.on('end', () => resolve());
      answer.on('error', () => {
        res.destroy();
        resolve();
      });
    });
    upstream.on('error', (err) => {
      conn.destroy();
      if (res.headersSent) {
        res.destroy();
        resolve();
      } else reject(unreachable(target, err));
    });
    req.pipe(upstream);
  });
}

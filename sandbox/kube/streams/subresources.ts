/**
 * The apiserver's streaming subresources, wired to the HTTP server (./../server.ts):
 *
 * - `services/[SCHEME:]NAME[:PORT]/proxy/PATH` and `pods/[SCHEME:]NAME[:PORT]/proxy/PATH` (any method):
 *   ./proxy.ts, to the target ./locate.ts picks;
 * - `pods/NAME/portforward` (WebSocket channels, SPDY over WebSocket, SPDY/3.1 upgrade): ./portforward.ts;
 * - `pods/NAME/exec` (WebSocket `v5.channel.k8s.io` / `v4.channel.k8s.io`): ./exec.ts.
 *
 * RBAC as the apiserver has it: the proxy's verb is its method's (`get` for GET), on `services/proxy` or
 * `pods/proxy`; exec and portforward need `create` on `pods/exec` / `pods/portforward` (a WebSocket's GET
 * needs `get` and `create`, as kube-apiserver 1.32 asks). exec and portforward without an upgrade
 * answer 400 `Upgrade request required`.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { KubeCluster } from '../cluster.js';
import { KubeApiError, badRequest, notFound } from '../errors.js';
import type { Pod } from '../types.js';
import { EXEC_PROTOCOLS, serveExec, type ExecRequest } from './exec.js';
import { ProxyLocator } from './locate.js';
import type { InternalNetwork } from './network.js';
import {
  PORTFORWARD_CHANNEL_PROTOCOLS,
  PORTFORWARD_SPDY_PROTOCOL,
  SPDY_TUNNEL_PROTOCOL,
  parsePorts,
  servePortForwardChannels,
  servePortForwardSpdy,
  spdyOverSocket,
  spdyOverWebSocket,
  type PodEndpoint,
} from './portforward.js';
import { proxyHttp } from './proxy.js';

const STREAM_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/(services|pods)\/([^/]+)\/(proxy|portforward|exec|attach)(\/.*)?$/;

export interface StreamRoute {
  namespace: string;
  resource: 'services' | 'pods';
  name: string;
  subresource: 'proxy' | 'portforward' | 'exec' | 'attach';
  /** What follows `/proxy` (the proxied path). */
  rest: string;
}

export function parseStreamRoute(path: string): StreamRoute | undefined {
  const m = STREAM_PATH.exec(path);
  if (!m) return undefined;
  const resource = m[2] as 'services' | 'pods';
  const subresource = m[4] as StreamRoute['subresource'];
  if (resource === 'services' && subresource !== 'proxy') return undefined;
  if (subresource !== 'proxy' && m[5]) return undefined;
  return { namespace: decodeURIComponent(m[1]!), resource, name: decodeURIComponent(m[3]!), subresource, rest: m[5] ?? '' };
}

/** Checks a request's permission; throws the apiserver's 403 Status when refused. */
export type SubresourceAuthorizer = (req: http.IncomingMessage, verb: string, route: StreamRoute) => void;

function methodVerb(method: string | undefined): string {
  switch (method) {
    case undefined:
    case 'GET':
    case 'HEAD':
      return 'get';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    default:
      return method.toLowerCase();
  }
}

function offered(req: http.IncomingMessage): string[] {
  return (req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

function noNetwork(): KubeApiError {
  return new KubeApiError(503, 'ServiceUnavailable', 'the sandbox was started without a cluster network: nothing can be reached inside the cluster');
}

/** Writes a Status as the answer to an upgrade request that is refused, and closes the connection. */
function refuseUpgrade(socket: Duplex, err: KubeApiError): void {
  const body = JSON.stringify(err.status);
  const reason = err.code === 403 ? 'Forbidden' : err.code === 404 ? 'Not Found' : err.code === 503 ? 'Service Unavailable' : 'Bad Request';
  socket.end(
    `HTTP/1.1 ${err.code} ${reason}\r\nContent-Type: application/json\r\nCache-Control: no-cache, private\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export class StreamingSubresources {
  private readonly locator: ProxyLocator;
  /** The subprotocol chosen for each WebSocket upgrade (ws asks handleProtocols while it answers). */
  private readonly chosenProtocol = new WeakMap<http.IncomingMessage, string>();
  private readonly wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (_offered, req) => this.chosenProtocol.get(req) ?? false,
  });
  /** What `apk add` installed, by pod UID. */
  private readonly installed = new Map<string, Set<string>>();
  private readonly sockets = new Set<Duplex>();

  constructor(
    private readonly cluster: KubeCluster,
    private readonly network: InternalNetwork | undefined,
    private readonly authorize: SubresourceAuthorizer,
  ) {
    this.locator = new ProxyLocator(cluster);
  }

  /** A plain (not upgraded) request to a streaming path. */
  async handleRequest(req: http.IncomingMessage, res: http.ServerResponse, url: URL, route: StreamRoute): Promise<void> {
    this.authorize(req, methodVerb(req.method), route);
    if (route.subresource !== 'proxy') throw badRequest('Upgrade request required');
    const target = route.resource === 'services' ? this.locator.service(route.namespace, route.name) : this.locator.pod(route.namespace, route.name);
    if (!this.network) throw noNetwork();
    await proxyHttp(this.network, target, route.rest || '/', url.search, req, res);
  }

  /** An upgrade request (WebSocket or SPDY/3.1) to a streaming path. */
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, url: URL, route: StreamRoute): void {
    try {
      this.authorize(req, methodVerb(req.method), route);
      if (req.method === 'GET' && route.subresource !== 'proxy') this.authorize(req, 'create', route);
      if (route.subresource === 'proxy') throw badRequest('the sandbox does not proxy upgraded connections');
      if (route.subresource === 'attach') throw badRequest(`the sandbox's containers have no process to attach to; use exec`);
      const pod = this.runningPod(route.namespace, route.name);
      if (!this.network) throw noNetwork();
      const network = this.network;
      const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
      this.track(socket);
      if (upgrade === 'websocket') {
        this.webSocket(req, socket, head, url, route, pod, network);
      } else if (upgrade.startsWith('spdy/3.1') && route.subresource === 'portforward') {
        const versions = String(req.headers['x-stream-protocol-version'] ?? '')
          .split(',')
          .map((v) => v.trim());
        if (!versions.includes(PORTFORWARD_SPDY_PROTOCOL)) throw badRequest(`unable to upgrade: unable to negotiate protocol: client supports ${JSON.stringify(versions)}, server supports ["${PORTFORWARD_SPDY_PROTOCOL}"]`);
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${PORTFORWARD_SPDY_PROTOCOL}\r\n\r\n`,
        );
        servePortForwardSpdy(spdyOverSocket(socket, head), network, this.podEndpoint(pod));
      } else {
        throw badRequest(`unable to upgrade: the sandbox serves ${route.subresource} over WebSocket${route.subresource === 'portforward' ? ' and SPDY/3.1' : ''}, not ${JSON.stringify(req.headers.upgrade ?? '')}`);
      }
    } catch (err) {
      refuseUpgrade(socket, err instanceof KubeApiError ? err : new KubeApiError(500, 'InternalError', `Internal error occurred: ${String(err)}`));
    }
  }

  /** Ends every open stream (the server is closing). */
  close(): void {
    for (const ws of this.wss.clients) ws.terminate();
    for (const s of this.sockets) s.destroy();
    this.wss.close();
  }

  private track(socket: Duplex): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }

  private webSocket(req: http.IncomingMessage, socket: Duplex, head: Buffer, url: URL, route: StreamRoute, pod: Pod, network: InternalNetwork): void {
    const protocols = offered(req);
    let chosen: string | undefined;
    let exec: ExecRequest | undefined;
    let ports: number[] = [];
    if (route.subresource === 'exec') {
      exec = this.execRequest(url, pod);
      chosen = protocols.find((p) => EXEC_PROTOCOLS.includes(p));
      if (!chosen) throw badRequest(`unable to upgrade: unable to negotiate protocol: client supports ${JSON.stringify(protocols)}, server supports ${JSON.stringify(EXEC_PROTOCOLS)}`);
    } else {
      chosen = protocols.includes(SPDY_TUNNEL_PROTOCOL) ? SPDY_TUNNEL_PROTOCOL : protocols.find((p) => PORTFORWARD_CHANNEL_PROTOCOLS.includes(p));
      if (!chosen && protocols.length > 0) throw badRequest(`unable to upgrade: unable to negotiate protocol: client supports ${JSON.stringify(protocols)}`);
      if (chosen !== SPDY_TUNNEL_PROTOCOL) {
        const parsed = parsePorts(url.searchParams.getAll('ports'));
        if (typeof parsed === 'string') throw badRequest(parsed);
        if (parsed.length === 0) throw badRequest('query parameter "port" is required');
        ports = parsed;
      }
    }
    const protocol = chosen;
    if (protocol) this.chosenProtocol.set(req, protocol);
    // ws checks the offered subprotocols against HTTP's token syntax, which `SPDY/3.1+portforward.k8s.io`
    // (a '/') fails: it is shown a token instead, and answers with the protocol chosen above.
    if (protocol === SPDY_TUNNEL_PROTOCOL) req.headers['sec-websocket-protocol'] = 'spdy-tunnel';
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      ws.on('error', () => ws.terminate());
      if (exec) {
        serveExec(ws, protocol ?? '', exec, {
          network,
          namespace: route.namespace,
          podName: pod.metadata.name,
          installed: this.packagesOf(pod),
        });
      } else if (protocol === SPDY_TUNNEL_PROTOCOL) {
        servePortForwardSpdy(spdyOverWebSocket(ws), network, this.podEndpoint(pod));
      } else {
        servePortForwardChannels(ws, network, this.podEndpoint(pod), ports);
      }
    });
  }

  private runningPod(namespace: string, name: string): Pod {
    const pod = this.cluster.store.get('pods', namespace, name) as Pod | undefined;
    if (!pod) throw notFound({ group: '', resource: 'pods' }, name);
    if (pod.status?.phase !== 'Running' || !pod.status.podIP) throw badRequest(`pod ${name} is not running (phase ${pod.status?.phase ?? 'Pending'})`);
    return pod;
  }

  private podEndpoint(pod: Pod): PodEndpoint {
    return { namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name, uid: pod.metadata.uid ?? '', ip: pod.status!.podIP! };
  }

  private packagesOf(pod: Pod): Set<string> {
    const key = pod.metadata.uid ?? `${pod.metadata.namespace}/${pod.metadata.name}`;
    let set = this.installed.get(key);
    if (!set) {
      // Alpine images come without curl (the tutorial's `apk add curl`); others are taken to have it.
      set = new Set(pod.spec.containers.some((c) => /alpine/.test(c.image ?? '')) ? [] : ['curl']);
      this.installed.set(key, set);
    }
    return set;
  }

  private execRequest(url: URL, pod: Pod): ExecRequest {
    const q = url.searchParams;
    const flag = (k: string) => q.get(k) === 'true' || q.get(k) === '1';
    const req: ExecRequest = { command: q.getAll('command'), stdin: flag('stdin'), stdout: flag('stdout'), stderr: flag('stderr'), tty: flag('tty') };
    if (!req.stdin && !req.stdout && !req.stderr) throw badRequest('you must specify at least 1 of stdin, stdout, stderr');
    if (req.command.length === 0) throw badRequest('you must specify at least one command for the container');
    const names = pod.spec.containers.map((c) => c.name);
    const container = q.get('container');
    if (container === null && names.length > 1) throw badRequest(`a container name must be specified for pod ${pod.metadata.name}, choose one of: [${names.join(' ')}]`);
    if (container !== null && !names.includes(container)) throw badRequest(`container ${container} is not valid for pod ${pod.metadata.name}`);
    return req;
  }
}

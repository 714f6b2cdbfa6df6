/**
 * Plain node clients for the data path: HTTP over a stream from `dialInternal`, HTTP and raw TCP to a
 * loopback address, and what a refused connection looks like from each.
 */
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function readAnswer(req: http.ClientRequest): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** `GET path` over a stream the data plane dialled (one request, `Connection: close`). */
export function httpOver(stream: Duplex, path = '/', method = 'GET'): Promise<HttpAnswer> {
  const req = http.request({ createConnection: () => stream, path, method, headers: { Host: 'sandbox', Connection: 'close' } });
  return readAnswer(req);
}

/** `GET path` to a real address and port, as curl would (from `localAddress`, e.g. `curl --interface`). */
export function httpGet(host: string, port: number, path = '/', localAddress?: string): Promise<HttpAnswer> {
  return readAnswer(http.request({ host, port, path, agent: false, headers: { Connection: 'close' }, ...(localAddress ? { localAddress } : {}) }));
}

/**
 * How a TCP connection to `host:port` ends when it sends `payload` and reads: `refused` (nothing
 * listens: ECONNREFUSED), `reset` (accepted, then reset or closed with nothing answered), or the bytes
 * that came back before the peer ended.
 */
export function tcpExchange(host: string, port: number, payload = 'ping\n', localAddress?: string): Promise<{ outcome: 'refused' | 'reset' } | { outcome: 'answered'; data: string }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, ...(localAddress ? { localAddress } : {}) });
    let data = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.end(payload));
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      resolve({ outcome: err.code === 'ECONNREFUSED' ? 'refused' : 'reset' });
    });
    socket.on('close', () => resolve(data.length > 0 ? { outcome: 'answered', data } : { outcome: 'reset' }));
  });
}

/** Everything `stream` gives, as text, until it ends. */
export function readAll(stream: Duplex): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (data += chunk));
    stream.on('end', () => resolve(data));
    stream.on('error', reject);
  });
}

/** Everything a stream from `dialInternal` gives back after `payload`, until it ends. */
export function exchangeOver(stream: Duplex, payload: string): Promise<string> {
  const answer = readAll(stream);
  stream.end(payload);
  return answer;
}

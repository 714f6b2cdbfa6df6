/**
 * EndpointProbe over raw sockets (`node:net`, `node:tls`): one attempt to reach an announced endpoint.
 *
 * - Web ports (`scheme` set): an HTTP/1.1 `GET /` must get a status line back; any status counts (a
 *   404 or a 503 from the application is still an answer). `https` completes a TLS handshake first,
 *   without checking the certificate: the probe proves the endpoint answers, sends no credentials and
 *   reads nothing but the status line (the certificate is the application's business, and a new load
 *   balancer's name rarely matches it yet).
 * - Other ports: the TCP connection must be accepted and stay open for `holdMs` (or the server speak
 *   first). A load balancer accepts a connection before it has a backend for it and closes it when it
 *   finds none, so "connected" alone would prove nothing.
 *
 * The attempt connects to the address the caller resolved (the announced name goes in the Host header
 * and as the TLS server name), ends within `timeoutMs`, and never throws: a failure is an answer too.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { AnswerResult, AnswerTarget, EndpointProbe } from '../ports/endpoint-probe.js';

export interface EndpointProbeOptions {
  /** An attempt that has not answered within this long fails with `ETIMEDOUT`. Default 3000 ms. */
  timeoutMs?: number;
  /** A non-web port answers when its connection stays open this long. Default 300 ms. */
  holdMs?: number;
}

const STATUS_LINE = /^HTTP\/\d(?:\.\d)? (\d{3})/;

function hostHeader(target: AnswerTarget): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  const defaultPort = target.scheme === 'https' ? 443 : 80;
  return target.port === defaultPort ? host : `${host}:${target.port}`;
}

function request(target: AnswerTarget): string {
  return `GET / HTTP/1.1\r\nHost: ${hostHeader(target)}\r\nUser-Agent: svcbot-answer-check\r\nAccept: */*\r\nConnection: close\r\n\r\n`;
}

function connect(target: AnswerTarget): { socket: net.Socket; connectEvent: 'connect' | 'secureConnect' } {
  if (target.scheme === 'https') {
    const servername = net.isIP(target.host) === 0 ? target.host : undefined;
    // Not checking the certificate is deliberate (see the file's comment): nothing secret is sent.
    const socket = tls.connect({ host: target.address, port: target.port, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'], ...(servername ? { servername } : {}) });
    return { socket, connectEvent: 'secureConnect' };
  }
  return { socket: net.connect({ host: target.address, port: target.port }), connectEvent: 'connect' };
}

export function createEndpointProbe(options: EndpointProbeOptions = {}): EndpointProbe {
  const timeoutMs = options.timeoutMs ?? 3000;
  const holdMs = options.holdMs ?? 300;
  return {
    answers(target) {
      return new Promise<AnswerResult>((resolve) => {
        const { socket, connectEvent } = connect(target);
        let hold: NodeJS.Timeout | undefined;
        let received = '';
        let settled = false;
        let localAddress: string | undefined; // kept at connect: a reset socket forgets it
        const finish = (result: AnswerResult) => {
          if (settled) return;
          settled = true;
          clearTimeout(deadline);
          clearTimeout(hold);
          socket.destroy();
          resolve(result);
        };
        const failed = (error: string) => {
          localAddress ??= socket.localAddress;
          finish({ answered: false, error, ...(localAddress ? { localAddress } : {}) });
        };
        const deadline = setTimeout(() => failed('ETIMEDOUT'), timeoutMs);
        socket.once('error', (err: NodeJS.ErrnoException) => failed(err.code ?? err.message));
        socket.once('close', () => failed('closed'));
        socket.once('connect', () => {
          localAddress = socket.localAddress;
        });
        socket.once(connectEvent, () => {
          if (target.scheme) socket.write(request(target));
          else hold = setTimeout(() => finish({ answered: true }), holdMs);
        });
        socket.on('data', (chunk: Buffer) => {
          if (!target.scheme) return finish({ answered: true }); // the server spoke first: it is there
          received += chunk.toString('latin1');
          const line = STATUS_LINE.exec(received);
          if (line) finish({ answered: true, status: Number(line[1]) });
          else if (received.includes('\n') || received.length > 64) failed('not HTTP');
        });
      });
    },
  };
}

/**
 * HTTP/1.1 spoken by hand over a socket, for tests of how a server treats clients that misbehave: header
 * values fetch would normalise, bodies sent slowly or never, bodies larger than they should be, many
 * connections at once. Loopback only.
 */
import net from 'node:net';

export interface RawAnswer {
  /** The response's status, if one arrived before the connection closed. */
  status: number | undefined;
  /** Everything the server sent. */
  text: string;
  /** ms from connecting until the server's answer (or the close, if none came). */
  ms: number;
  /** Bytes of the body this client managed to write. */
  bodyBytesWritten: number;
}

export interface RawRequest {
  port: number;
  /** The request line and headers, without the blank line that ends them (added here); sent as latin1. */
  head: string;
  /** Sent after the head (if any); with `chunked`, as chunks of at most 64 KiB. */
  body?: Buffer;
  chunked?: boolean;
  /** Stop writing once an answer arrives (a client that is told no). Default true. */
  stopOnAnswer?: boolean;
  localAddress?: string;
  /** Give up (and close) after this long. Default 20 s. */
  timeoutMs?: number;
  /** Called once the head is written. */
  onSent?: () => void;
}

const CHUNK = 64 * 1024;

/** Sends a request by hand; resolves once the server has answered and closed, or the connection ended otherwise. */
export function rawRequest(req: RawRequest): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const started = performance.now();
    let text = '';
    let answeredMs: number | undefined;
    let written = 0;
    let done = false;
    const socket = net.connect({ port: req.port, host: '127.0.0.1', ...(req.localAddress ? { localAddress: req.localAddress } : {}) });
    const timer = setTimeout(() => socket.destroy(), req.timeoutMs ?? 20_000);
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
      resolve({ status: status === undefined ? undefined : Number(status), text, ms: answeredMs ?? performance.now() - started, bodyBytesWritten: written });
    };
    socket.on('data', (chunk: Buffer) => {
      answeredMs ??= performance.now() - started;
      text += chunk.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.on('close', finish);
    socket.on('connect', () => {
      // Byte for byte (latin1), as HTTP/1.1 headers are: a character up to U+00FF is one byte.
      socket.write(`${req.head}\r\n\r\n`, 'latin1', () => req.onSent?.());
      const body = req.body;
      if (!body) return;
      let offset = 0;
      const pump = () => {
        while (offset < body.length && !socket.destroyed && (req.stopOnAnswer === false || answeredMs === undefined)) {
          const slice = body.subarray(offset, Math.min(body.length, offset + CHUNK));
          offset += slice.length;
          if (req.chunked) socket.write(`${slice.length.toString(16)}\r\n`);
          const more = socket.write(slice, () => (written += slice.length)) && (!req.chunked || socket.write('\r\n'));
          if (!more) {
            socket.once('drain', pump);
            return;
          }
        }
        if (offset >= body.length && req.chunked && !socket.destroyed) socket.write('0\r\n\r\n');
      };
      pump();
    });
  });
}

/** Opens a connection and keeps it open; `closed` resolves (with ms since opening) when the server closes it. */
export function openConnection(port: number, localAddress?: string): { socket: net.Socket; closed: Promise<number>; connected: Promise<void> } {
  const started = performance.now();
  const socket = net.connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) });
  socket.on('error', () => undefined);
  socket.on('data', () => undefined);
  const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(performance.now() - started)));
  const connected = new Promise<void>((resolve) => socket.on('connect', () => resolve()));
  return { socket, closed, connected };
}

/** Writes `text` one byte every `intervalMs` until the socket closes or the text is out. */
export function trickle(socket: net.Socket, text: string, intervalMs: number): void {
  let i = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || i >= text.length) {
      clearInterval(timer);
      return;
    }
    socket.write(text[i++]!);
  }, intervalMs);
  socket.on('close', () => clearInterval(timer));
}

/**
 * SPDY/3.1 framing, from the SPDY/3.1 draft (the protocol kubectl's port-forward and exec speak when
 * they fall back from WebSocket, and that kubectl 1.31+ tunnels inside WebSocket binary messages).
 *
 * Frames: control frames (SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS,
 * WINDOW_UPDATE) and data frames, 8-byte headers, big-endian. Name/value header blocks are
 * zlib-compressed with the spec's dictionary (section 2.6.10.1), one zlib stream per direction for
 * the whole session, each block ended by a sync flush.
 *
 * `SpdySession` is one side of a session over any byte stream: it parses frames, answers PINGs,
 * and hands each stream the peer opens to `onStream`. It does no flow control (the peers this
 * serves, Go's spdystream in kubectl and the apiserver, do none either).
 */
import { EventEmitter } from 'node:events';
import zlib from 'node:zlib';

export const FrameType = {
  SYN_STREAM: 1,
  SYN_REPLY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  HEADERS: 8,
  WINDOW_UPDATE: 9,
} as const;

export const FLAG_FIN = 0x01;
const SPDY_VERSION = 3;
/** RST_STREAM status codes (section 2.4.2). */
const RstStatus = { PROTOCOL_ERROR: 1, INVALID_STREAM: 2, REFUSED_STREAM: 3, CANCEL: 5, INTERNAL_ERROR: 6, STREAM_ALREADY_CLOSED: 9 } as const;

const DICTIONARY_WORDS = [
  'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding', 'accept-language',
  'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection', 'content-base', 'content-encoding',
  'content-language', 'content-length', 'content-location', 'content-md5', 'content-range', 'content-type', 'date', 'etag',
  'expect', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since',
  'last-modified', 'location', 'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer',
  'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via', 'warning',
  'www-authenticate', 'method', 'get', 'status', '200 OK', 'version', 'HTTP/1.1', 'url', 'public', 'set-cookie',
  'keep-alive', 'origin',
];
const DICTIONARY_TAIL =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
  '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized' +
  '403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable' +
  'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
  'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,' +
  'text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

/** The SPDY/3 header compression dictionary: each word with a 4-byte length, then the tail (1,423 bytes). */
export const SPDY_DICTIONARY: Buffer = Buffer.concat([
  ...DICTIONARY_WORDS.map((w) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(w.length);
    return Buffer.concat([len, Buffer.from(w, 'latin1')]);
  }),
  Buffer.from(DICTIONARY_TAIL, 'latin1'),
]);

export type Headers = Record<string, string>;

export function encodeHeaderBlock(headers: Headers): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const entries = Object.entries(headers);
  parts.push(u32(entries.length));
  for (const [name, value] of entries) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(value, 'utf8');
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): Headers {
  const out: Headers = {};
  let off = 0;
  const need = (n: number) => {
    if (off + n > block.length) throw new SpdyProtocolError('truncated header block');
  };
  need(4);
  const count = block.readUInt32BE(off);
  off += 4;
  for (let i = 0; i < count; i++) {
    need(4);
    const nl = block.readUInt32BE(off);
    off += 4;
    need(nl);
    const name = block.toString('utf8', off, off + nl).toLowerCase();
    off += nl;
    need(4);
    const vl = block.readUInt32BE(off);
    off += 4;
    need(vl);
    // Several values of one name are NUL-separated; the streams here need only the first.
    out[name] = block.toString('utf8', off, off + vl).split('\0')[0] ?? '';
    off += vl;
  }
  return out;
}

class SpdyProtocolError extends Error {
  constructor(message: string) {
    super(`SPDY: ${message}`);
    this.name = new.target.name;
  }
}

/**
 * One direction's header (de)compressor: a single zlib stream for the session, each block ended by a
 * sync flush. Calls run one after the other (the zlib stream is stateful).
 */
class HeaderCodec {
  private chain: Promise<unknown> = Promise.resolve();
  private chunks: Buffer[] = [];

  constructor(private readonly z: zlib.Inflate | zlib.Deflate) {
    z.on('data', (c: Buffer) => this.chunks.push(c));
    z.on('error', () => undefined); // surfaced through run()'s flush callback
  }

  run(input: Buffer): Promise<Buffer> {
    const next = this.chain.then(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          const onError = (err: Error) => reject(new SpdyProtocolError(`header block: ${err.message}`));
          this.z.once('error', onError);
          this.z.write(input);
          this.z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
            this.z.off('error', onError);
            const out = Buffer.concat(this.chunks);
            this.chunks = [];
            resolve(out);
          });
        }),
    );
    this.chain = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.z.close();
  }
}

export function newHeaderCompressor(): HeaderCodec {
  return new HeaderCodec(zlib.createDeflate({ dictionary: SPDY_DICTIONARY }));
}
export function newHeaderDecompressor(): HeaderCodec {
  return new HeaderCodec(zlib.createInflate({ dictionary: SPDY_DICTIONARY }));
}

export function controlFrame(type: number, flags: number, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt32BE(((flags & 0xff) << 24) | body.length, 4);
  return Buffer.concat([head, body]);
}

export function dataFrame(streamId: number, flags: number, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(streamId & 0x7fffffff, 0);
  head.writeUInt32BE(((flags & 0xff) << 24) | data.length, 4);
  return Buffer.concat([head, data]);
}

function u32s(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4));
  return b;
}

export interface RawFrame {
  control: boolean;
  /** Control frames: the frame type. */
  type: number;
  /** Data frames: the stream. */
  streamId: number;
  flags: number;
  body: Buffer;
}

/** Splits a byte stream into frames (feed it whatever arrives; it returns the complete frames). */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): RawFrame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames: RawFrame[] = [];
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt32BE(4) & 0xffffff;
      if (this.buf.length < 8 + len) break;
      const first = this.buf.readUInt32BE(0);
      const control = (first & 0x80000000) !== 0;
      if (control && ((first >>> 16) & 0x7fff) !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported version ${(first >>> 16) & 0x7fff}`);
      frames.push({
        control,
        type: control ? first & 0xffff : 0,
        streamId: control ? 0 : first & 0x7fffffff,
        flags: this.buf[4]!,
        body: this.buf.subarray(8, 8 + len),
      });
      this.buf = this.buf.subarray(8 + len);
    }
    return frames;
  }
}

/** Where a session writes its frames and learns that the connection ended. */
export interface FrameTransport {
  write(frame: Buffer): void;
  close(): void;
}

/** A stream of a session: `data` events with the peer's bytes, `end` at its FIN, `reset` at RST_STREAM. */
export class SpdyStream extends EventEmitter {
  localClosed = false;
  remoteClosed = false;

  constructor(
    private readonly session: SpdySession,
    readonly id: number,
    readonly headers: Headers,
  ) {
    super();
  }

  write(data: Buffer): void {
    if (this.localClosed || data.length === 0) return;
    // A data frame carries at most 2^24-1 bytes.
    for (let off = 0; off < data.length; off += 0xffffff) this.session.send(dataFrame(this.id, 0, data.subarray(off, off + 0xffffff)));
  }

  /** Half-closes: a DATA frame with FIN and no data. */
  end(data?: Buffer): void {
    if (data) this.write(data);
    if (this.localClosed) return;
    this.localClosed = true;
    this.session.send(dataFrame(this.id, FLAG_FIN, Buffer.alloc(0)));
    this.session.forgetIfDone(this);
  }

  reset(status: number = RstStatus.CANCEL): void {
    if (this.localClosed && this.remoteClosed) return;
    this.localClosed = true;
    this.remoteClosed = true;
    this.session.send(controlFrame(FrameType.RST_STREAM, 0, u32s(this.id, status)));
    this.session.forgetIfDone(this);
  }
}

/**
 * The server side of a SPDY/3.1 session: streams are opened by the peer (SYN_STREAM), and each is
 * answered (SYN_REPLY) by `reply()`.
 */
export class SpdySession extends EventEmitter {
  private readonly reader = new FrameReader();
  private readonly inflate = newHeaderDecompressor();
  private readonly deflate = newHeaderCompressor();
  private readonly streams = new Map<number, SpdyStream>();
  /** Frames are handled one at a time (header blocks decompress asynchronously). */
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  /** Sends wait for header blocks compressed before them, so frames leave in order. */
  private sendChain: Promise<void> = Promise.resolve();

  constructor(private readonly transport: FrameTransport) {
    super();
  }

  /** Bytes from the connection. */
  receive(chunk: Buffer): void {
    if (this.closed) return;
    let frames: RawFrame[];
    try {
      frames = this.reader.push(chunk);
    } catch (err) {
      this.fail(err);
      return;
    }
    for (const f of frames) {
      this.queue = this.queue.then(() => this.handle(f)).catch((err: unknown) => this.fail(err));
    }
  }

  /** Answers a stream the peer opened (SYN_REPLY with these headers). */
  reply(stream: SpdyStream, headers: Headers = {}): Promise<void> {
    return this.sendCompressed(headers, (block) => controlFrame(FrameType.SYN_REPLY, 0, Buffer.concat([u32s(stream.id), block])));
  }

  /** @internal frames of the streams */
  send(frame: Buffer): void {
    if (this.closed) return;
    this.sendChain = this.sendChain.then(() => {
      if (!this.closed) this.transport.write(frame);
    });
  }

  /** @internal */
  forgetIfDone(stream: SpdyStream): void {
    if (stream.localClosed && stream.remoteClosed) this.streams.delete(stream.id);
  }

  /** Ends the session: GOAWAY, then the connection. */
  close(): void {
    if (this.closed) return;
    this.send(controlFrame(FrameType.GOAWAY, 0, u32s(0, 0)));
    void this.sendChain.then(() => this.shutdown());
  }

  /** The connection is gone: every stream ends. */
  connectionEnded(): void {
    this.shutdown();
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.streams.values()) s.emit('reset', RstStatus.CANCEL);
    this.streams.clear();
    this.inflate.close();
    this.deflate.close();
    this.transport.close();
    this.emit('close');
  }

  private sendCompressed(headers: Headers, frame: (block: Buffer) => Buffer): Promise<void> {
    const compressed = this.deflate.run(encodeHeaderBlock(headers));
    const sent = this.sendChain.then(async () => {
      const block = await compressed;
      if (!this.closed) this.transport.write(frame(block));
    });
    this.sendChain = sent.catch(() => undefined);
    return sent;
  }

  private fail(err: unknown): void {
    this.emit('protocolError', err instanceof Error ? err : new Error(String(err)));
    this.shutdown();
  }

  private async handle(f: RawFrame): Promise<void> {
    if (this.closed) return;
    if (!f.control) {
      const stream = this.streams.get(f.streamId);
      if (!stream || stream.remoteClosed) {
        this.send(controlFrame(FrameType.RST_STREAM, 0, u32s(f.streamId, RstStatus.INVALID_STREAM)));
        return;
      }
      if (f.body.length) stream.emit('data', Buffer.from(f.body));
      if (f.flags & FLAG_FIN) {
        stream.remoteClosed = true;
        stream.emit('end');
        this.forgetIfDone(stream);
      }
      return;
    }
    switch (f.type) {
      case FrameType.SYN_STREAM: {
        if (f.body.length < 10) throw new SpdyProtocolError('short SYN_STREAM');
        const id = f.body.readUInt32BE(0) & 0x7fffffff;
        const headers = decodeHeaderBlock(await this.inflate.run(f.body.subarray(10)));
        const stream = new SpdyStream(this, id, headers);
        this.streams.set(id, stream);
        if (f.flags & FLAG_FIN) stream.remoteClosed = true;
        this.emit('stream', stream);
        if (stream.remoteClosed) stream.emit('end');
        return;
      }
      case FrameType.HEADERS:
      case FrameType.SYN_REPLY:
        // Keep the decompressor in step with the peer's compressor.
        await this.inflate.run(f.body.subarray(4));
        return;
      case FrameType.RST_STREAM: {
        const id = f.body.readUInt32BE(0) & 0x7fffffff;
        const stream = this.streams.get(id);
        if (stream) {
          stream.localClosed = true;
          stream.remoteClosed = true;
          this.streams.delete(id);
          stream.emit('reset', f.body.readUInt32BE(4));
        }
        return;
      }
      case FrameType.PING:
        // Answer the peer's pings (odd ids from a client); our own we never send.
        this.send(controlFrame(FrameType.PING, 0, f.body));
        return;
      case FrameType.GOAWAY:
        this.shutdown();
        return;
      default:
        // SETTINGS, WINDOW_UPDATE and anything unknown: ignored (section 2.2: unknown control frames are ignored).
        return;
    }
  }
}

/**
 * Two connected duplex streams, the in-process stand-in for a TCP connection: what one side writes the
 * other reads (with backpressure), an end (FIN) arrives as the other side's end, and both sides are
 * half-open capable. Unlike `stream.duplexPair` (Node 20), destroying one side — a server that drops a
 * connection, a client that hangs up — ends the other's reading side as a closed socket would, and
 * what the other side still writes is discarded, so neither side waits forever.
 */
import { Duplex } from 'node:stream';

class Side extends Duplex {
  peer: Side | undefined;
  /** The peer's write waiting for this side's reader to want more. */
  private waitingWrite: (() => void) | undefined;
  private eof = false;

  constructor() {
    super({ allowHalfOpen: true });
  }

  override _read(): void {
    const resume = this.waitingWrite;
    this.waitingWrite = undefined;
    resume?.();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    if (!peer || peer.destroyed || peer.eof) {
      callback();
      return;
    }
    if (peer.push(chunk)) callback();
    else peer.waitingWrite = () => callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.peer?.endReading();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // The peer's writes waiting for this reader go nowhere now: let them complete.
    this._read();
    this.peer?.endReading();
    callback(error);
  }

  private endReading(): void {
    if (this.eof || this.destroyed) return;
    this.eof = true;
    this.push(null);
  }
}

/** `[client, server]`: a connection's two ends. */
export function connectedPair(): [Duplex, Duplex] {
  const a = new Side();
  const b = new Side();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

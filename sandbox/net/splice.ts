/**
 * Joins two duplex streams both ways, as a proxy joins a client's socket to the one it opened: bytes
 * flow each way, an end (FIN) is passed on, and an error or close on either side ends then destroys
 * the other (what was already written to it drains first).
 */
import type { Duplex } from 'node:stream';

export function splice(a: Duplex, b: Duplex): void {
  a.pipe(b);
  b.pipe(a);
  const closeOther = (other: Duplex) => () => {
    if (other.destroyed) return;
    if (other.writableEnded) other.destroy();
    else other.end(() => other.destroy());
  };
  a.on('error', () => b.destroy());
  b.on('error', () => a.destroy());
  a.on('close', closeOther(b));
  b.on('close', closeOther(a));
}

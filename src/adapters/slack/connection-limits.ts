/**
 * Limits on what clients may hold of the receiver: connections per client address (one more is closed
 * at once), and turns for reading bodies whose signature is not checked yet (a few at a time; the next
 * waits briefly for a turn, then is refused), so that unauthenticated clients cannot make svcbot hold
 * many bodies in memory at once.
 */
import type { Server } from 'node:http';

/** Closes at once each connection beyond `max` open ones from one remote address; `onRefused` hears of each. */
export function limitConnectionsPerAddress(server: Server, max: number, onRefused: (address: string) => void): void {
  const open = new Map<string, number>();
  server.on('connection', (socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const count = open.get(address) ?? 0;
    if (count >= max) {
      socket.destroy();
      onRefused(address);
      return;
    }
    open.set(address, count + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
}

export interface Turns {
  /**
   * Resolves with a release function once a turn is free (at once if one is), or undefined if none
   * became free within `waitMs` or too many are waiting already (`onWait` is called when it has to
   * wait). Call the release exactly once.
   */
  take(waitMs: number, onWait?: () => void): Promise<(() => void) | undefined>;
}

/** `max` turns; at most `maxWaiting` callers wait for one (first come, first served). */
export function createTurns(max: number, maxWaiting: number): Turns {
  let taken = 0;
  const waiting: { grant: () => void }[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next.grant();
    else taken--;
  };
  const once = () => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
    };
  };
  return {
    take(waitMs, onWait) {
      if (taken < max) {
        taken++;
        return Promise.resolve(once());
      }
      if (waiting.length >= maxWaiting) return Promise.resolve(undefined);
      return new Promise((resolve) => {
        const entry = {
          grant: () => {
            clearTimeout(timer);
            resolve(once());
          },
        };
        const timer = setTimeout(() => {
          const i = waiting.indexOf(entry);
          if (i >= 0) waiting.splice(i, 1);
          resolve(undefined);
        }, waitMs);
        waiting.push(entry);
        onWait?.();
      });
    },
  };
}

/** The ReplayGuard in this process's memory: for the console, tests and benchmarks without Redis. */
import type { ReplayGuard } from '../../ports/replay-guard.js';

export function createMemoryReplayGuard(now: () => number = Date.now): ReplayGuard {
  const taken = new Map<string, number>();
  let nextSweep = 0;
  /** Forgets what has expired, at most once a second (the map holds a 10-minute window's requests). */
  function sweep(at: number): void {
    if (at < nextSweep) return;
    nextSweep = at + 1000;
    for (const [key, expiresAt] of taken) if (expiresAt <= at) taken.delete(key);
  }
  return {
    firstSeen(key, ttlMs) {
      const at = now();
      sweep(at);
      const expiresAt = taken.get(key);
      if (expiresAt !== undefined && expiresAt > at) return Promise.resolve(false);
      taken.set(key, at + Math.max(1, ttlMs));
      return Promise.resolve(true);
    },
    close() {
      taken.clear();
      return Promise.resolve();
    },
  };
}

/**
 * The SharedPace of one process (the console, tests): the same next-free-slot rule as Redis's
 * (src/adapters/redis/pace.ts), in this process's memory.
 */
import type { PaceLimit, SharedPace } from '../../ports/pace.js';

/**
 * The slot of one call and the key's new theoretical arrival time, given the old one (`tat`, 0 = none):
 * slots are `interval` apart, up to `burst` of them at once when the key has been idle.
 */
function nextSlot(tat: number, now: number, limit: PaceLimit): { slot: number; tat: number } {
  const interval = 60_000 / limit.perMinute;
  const from = Math.max(tat, now);
  return { slot: Math.max(now, from - (limit.burst - 1) * interval), tat: from + interval };
}

export function createMemoryPace(now: () => number = Date.now): SharedPace {
  const tats = new Map<string, number>();
  return {
    reserve(key, limit) {
      const t = now();
      const next = nextSlot(tats.get(key) ?? 0, t, limit);
      tats.set(key, next.tat);
      // Keys idle long enough to have their whole burst back are forgotten.
      for (const [k, tat] of tats) if (tat < t) tats.delete(k);
      return Promise.resolve(next.slot - t);
    },
    close() {
      tats.clear();
      return Promise.resolve();
    },
  };
}

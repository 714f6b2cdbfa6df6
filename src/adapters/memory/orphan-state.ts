/** The OrphanStateStore in memory, for the console and tests: one process, nothing kept. */
import type { IgnoredOrphan, OrphanStateStore } from '../../ports/orphan-state.js';

export function createMemoryOrphanState(): OrphanStateStore {
  const snoozed = new Map<string, number>();
  const ignored = new Map<string, IgnoredOrphan>();
  let reported: string[] | undefined;
  return {
    snooze(key, until) {
      snoozed.set(key, until);
      return Promise.resolve();
    },
    ignore(entry) {
      if (ignored.has(entry.key)) return Promise.resolve('already');
      ignored.set(entry.key, { ...entry });
      return Promise.resolve('ignored');
    },
    unignore(key) {
      return Promise.resolve(ignored.delete(key));
    },
    setAside(now) {
      for (const [key, until] of snoozed) if (until <= now) snoozed.delete(key);
      const list = [...ignored.values()].map((e) => ({ ...e })).sort((a, b) => a.at - b.at || a.key.localeCompare(b.key));
      return Promise.resolve({ snoozedUntil: new Map(snoozed), ignored: list });
    },
    swapReported(keys) {
      const previous = reported;
      reported = [...keys];
      return Promise.resolve(previous);
    },
  };
}

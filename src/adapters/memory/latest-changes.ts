/** LatestChanges in memory: the newest change per Service, for one process (the console without Redis). */
import { isNewer, type ChangeRecord } from '../../domain/changes.js';
import type { LatestChanges } from '../../ports/changes.js';

export function createMemoryLatestChanges(): LatestChanges {
  const newest = new Map<string, ChangeRecord>();
  return {
    record(ref, change) {
      const key = `${ref.cluster}/${ref.namespace}/${ref.name}`;
      const current = newest.get(key);
      if (current && !isNewer(change, current)) return Promise.resolve({ ...current });
      newest.set(key, { ...change });
      return Promise.resolve({ ...change });
    },
  };
}

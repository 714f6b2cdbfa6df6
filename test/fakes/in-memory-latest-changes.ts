/** LatestChanges in memory: the newest change per Service (passes test/contract/latest-changes.contract.ts). */
import { isNewer, type ChangeRecord } from '../../src/domain/changes.js';
import type { LatestChanges } from '../../src/ports/changes.js';
import type { ServiceRef } from '../../src/ports/service-watch.js';

export class InMemoryLatestChanges implements LatestChanges {
  private readonly newest = new Map<string, ChangeRecord>();

  record(ref: ServiceRef, change: ChangeRecord): Promise<ChangeRecord> {
    const key = `${ref.cluster}/${ref.namespace}/${ref.name}`;
    const current = this.newest.get(key);
    if (current && !isNewer(change, current)) return Promise.resolve({ ...current });
    this.newest.set(key, { ...change });
    return Promise.resolve({ ...change });
  }
}

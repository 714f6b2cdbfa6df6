/**
 * AuditLog in memory, for one process (the console without Redis): the newest `maxEntries` entries,
 * exactly (the Redis stream keeps about as many). Entries go in and come out as copies,
 * through JSON as in Redis.
 */
import { matchesAuditQuery } from '../../domain/audit-query.js';
import type { AuditEntry, AuditLog } from '../../ports/audit.js';

export interface MemoryAuditLogOptions {
  /** At most this many entries are kept. */
  maxEntries: number;
}

/** A copy as the Redis log keeps it: through JSON (fields that are undefined are left out). */
const copy = (entry: AuditEntry): AuditEntry => JSON.parse(JSON.stringify(entry)) as AuditEntry;

export function createMemoryAuditLog(options: MemoryAuditLogOptions): AuditLog {
  /** Oldest first. */
  const entries: AuditEntry[] = [];
  return {
    append(entry) {
      entries.push(copy(entry));
      if (entries.length > options.maxEntries) entries.splice(0, entries.length - options.maxEntries);
      return Promise.resolve();
    },

    recent({ limit, service, user }) {
      const found: AuditEntry[] = [];
      for (let i = entries.length - 1; i >= 0 && found.length < limit; i--) {
        const entry = entries[i]!;
        if (matchesAuditQuery(entry, { ...(service === undefined ? {} : { service }), ...(user === undefined ? {} : { user }) })) found.push(copy(entry));
      }
      return Promise.resolve(found);
    },
  };
}

/**
 * AuditLog on Redis: one stream, `${prefix}:audit`, each entry a single field `entry` holding the
 * AuditEntry as JSON. XADD trims it to about `maxEntries` (`MAXLEN ~`: Redis trims whole stream nodes, so
 * it keeps at least maxEntries and at most one node's worth more, 100 entries with the default
 * stream-node-max-entries). `recent` reads newest first with XREVRANGE, a page at a time, until it has
 * found `limit` matching entries or has read as many entries as the stream holds.
 */
import { matchesAuditQuery } from '../../domain/audit-query.js';
import type { AuditEntry, AuditLog } from '../../ports/audit.js';

/** The Redis commands the log uses (an ioredis client fits). */
export interface AuditRedis {
  xadd(key: string, ...args: (string | number)[]): Promise<string | null>;
  xrevrange(key: string, end: string, start: string, countToken: 'COUNT', count: number): Promise<[id: string, fields: string[]][]>;
}

export interface RedisAuditLogOptions {
  /** Key prefix (REDIS_PREFIX). */
  prefix: string;
  /** About this many entries are kept (at least this many). */
  maxEntries: number;
}

/** Entries one XREVRANGE reads at most. */
const PAGE = 200;

/** The entry a stream entry's fields hold, or undefined when they hold none. */
function entryOf(fields: string[]): AuditEntry | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === 'entry') return JSON.parse(fields[i + 1]!) as AuditEntry;
  return undefined;
}

export function createRedisAuditLog(redis: AuditRedis, options: RedisAuditLogOptions): AuditLog {
  const key = `${options.prefix}:audit`;
  /** What one `recent` reads at most: the stream's cap plus the slack of approximate trimming. */
  const scanLimit = options.maxEntries + PAGE;

  return {
    async append(entry) {
      await redis.xadd(key, 'MAXLEN', '~', options.maxEntries, '*', 'entry', JSON.stringify(entry));
    },

    async recent({ limit, service, user }) {
      const found: AuditEntry[] = [];
      const filtered = service !== undefined || user !== undefined;
      let end = '+';
      let scanned = 0;
      const want = Math.floor(limit);
      while (found.length < want && scanned < scanLimit) {
        const count = filtered ? PAGE : Math.min(PAGE, want - found.length);
        const page = await redis.xrevrange(key, end, '-', 'COUNT', count);
        for (const [, fields] of page) {
          const entry = entryOf(fields);
          if (entry && matchesAuditQuery(entry, { ...(service === undefined ? {} : { service }), ...(user === undefined ? {} : { user }) })) {
            found.push(entry);
            if (found.length === want) break;
          }
        }
        scanned += page.length;
        const last = page[page.length - 1];
        if (page.length < count || !last) break;
        end = `(${last[0]}`;
      }
      return found;
    },
  };
}

/** Every entry of a bot's audit stream (`${prefix}:audit`, src/adapters/redis/audit.ts), oldest first. */
import { Redis, type Cluster } from 'ioredis';
import type { AuditEntry } from '../../src/ports/audit.js';

/**
 * `redis`: the bot's REDIS_URL (a connection is made and closed here), or a connection of the caller's
 * (e.g. a Redis Cluster client: the stream is one key, on whichever master serves its slot), left open.
 */
export async function auditEntries(redis: string | Redis | Cluster, prefix: string): Promise<AuditEntry[]> {
  const client = typeof redis === 'string' ? new Redis(redis, { maxRetriesPerRequest: 1 }) : redis;
  try {
    const stream = await client.xrange(`${prefix}:audit`, '-', '+');
    return stream.map(([, fields]) => JSON.parse(fields[fields.indexOf('entry') + 1]!) as AuditEntry);
  } finally {
    if (typeof redis === 'string') client.disconnect();
  }
}

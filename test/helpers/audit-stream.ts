/** Every entry of a bot's audit stream (`${prefix}:audit`, src/adapters/redis/audit.ts), oldest first. */
import { Redis } from 'ioredis';
import type { AuditEntry } from '../../src/ports/audit.js';

export async function auditEntries(redisUrl: string, prefix: string): Promise<AuditEntry[]> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    const stream = await redis.xrange(`${prefix}:audit`, '-', '+');
    return stream.map(([, fields]) => JSON.parse(fields[fields.indexOf('entry') + 1]!) as AuditEntry);
  } finally {
    redis.disconnect();
  }
}

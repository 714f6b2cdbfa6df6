/**
 * OrphanStateStore on Redis. Every key carries the hash tag `{o}`, so that a Redis Cluster keeps them in
 * one slot:
 * - `${prefix}:orphans:{o}:snoozed` — a sorted set of load balancer keys scored by the end of their snooze
 *   (epoch ms); ended snoozes are removed when read;
 * - `${prefix}:orphans:{o}:ignored` — a hash of load balancer key → the ignore entry (JSON); `HSETNX`
 *   keeps the first;
 * - `${prefix}:orphans:{o}:reported` — the keys the last scheduled report listed (JSON), swapped with
 *   `SET … GET` in one step.
 */
import type { RedisConnection } from './connection.js';
import type { IgnoredOrphan, OrphanStateStore } from '../../ports/orphan-state.js';

function parseIgnored(json: string): IgnoredOrphan | undefined {
  try {
    const e = JSON.parse(json) as Partial<IgnoredOrphan>;
    if (typeof e.key !== 'string' || typeof e.name !== 'string' || typeof e.by !== 'string' || typeof e.at !== 'number' || typeof e.reason !== 'string') return undefined;
    return { key: e.key, name: e.name, by: e.by, at: e.at, reason: e.reason };
  } catch {
    return undefined;
  }
}

export function createRedisOrphanState(redis: RedisConnection, options: { prefix: string }): OrphanStateStore {
  const base = `${options.prefix}:orphans:{o}`;
  const snoozedKey = `${base}:snoozed`;
  const ignoredKey = `${base}:ignored`;
  const reportedKey = `${base}:reported`;
  return {
    async snooze(key, until) {
      await redis.zadd(snoozedKey, until, key);
    },
    async ignore(entry) {
      const set = await redis.hsetnx(ignoredKey, entry.key, JSON.stringify(entry));
      return set === 1 ? 'ignored' : 'already';
    },
    async unignore(key) {
      return (await redis.hdel(ignoredKey, key)) === 1;
    },
    async setAside(now) {
      const replies = await redis.multi().zremrangebyscore(snoozedKey, '-inf', now).zrangebyscore(snoozedKey, `(${now}`, '+inf', 'WITHSCORES').hgetall(ignoredKey).exec();
      const failed = replies?.find(([err]) => err !== null);
      if (!replies || failed) throw failed?.[0] ?? new Error('the transaction was discarded');
      const pairs = replies[1]![1] as string[];
      const ignored = replies[2]![1] as Record<string, string>;
      const snoozedUntil = new Map<string, number>();
      for (let i = 0; i + 1 < pairs.length; i += 2) snoozedUntil.set(pairs[i]!, Number(pairs[i + 1]));
      const list = Object.values(ignored)
        .map(parseIgnored)
        .filter((e): e is IgnoredOrphan => e !== undefined)
        .sort((a, b) => a.at - b.at || a.key.localeCompare(b.key));
      return { snoozedUntil, ignored: list };
    },
    async swapReported(keys) {
      const previous = await redis.set(reportedKey, JSON.stringify(keys), 'GET');
      if (previous === null) return undefined;
      try {
        const parsed = JSON.parse(previous) as unknown;
        return Array.isArray(parsed) ? parsed.filter((k): k is string => typeof k === 'string') : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

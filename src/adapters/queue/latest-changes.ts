/**
 * LatestChanges on Redis: one key per Service (`${prefix}:latest-change:{cluster/namespace/name}`, the
 * Service in a hash tag so that a Redis Cluster keeps each key whole), holding the newest ChangeRecord as
 * JSON. A Lua script compares and sets in one step; the key expires a while after the newest change
 * (longer than any job lives), so Redis keeps nothing for Services nobody changes any more.
 */
import type { ChangeRecord } from '../../domain/changes.js';
import type { LatestChanges } from '../../ports/changes.js';

/** The Redis commands the store uses (an ioredis client fits). */
export interface ChangesRedis {
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
}

/** KEYS[1] the Service's key; ARGV[1] the record (JSON), ARGV[2] its requestedAt, ARGV[3] its requestId, ARGV[4] TTL ms. */
const RECORD = `
local current = redis.call('GET', KEYS[1])
if current then
  local c = cjson.decode(current)
  local at = tonumber(ARGV[2])
  if c.requestedAt > at or (c.requestedAt == at and c.requestId >= ARGV[3]) then
    if c.requestId == ARGV[3] then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
    return current
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4])
return ARGV[1]
`;

export interface RedisLatestChangesOptions {
  /** Key prefix (REDIS_PREFIX). */
  prefix: string;
  /** How long the newest change is remembered. Default 3 days (a job lives at most JOB_TIMEOUT, 24 h at most, plus retries). */
  retentionMs?: number;
}

export function createRedisLatestChanges(redis: ChangesRedis, options: RedisLatestChangesOptions): LatestChanges {
  const ttl = options.retentionMs ?? 3 * 24 * 3600_000;
  return {
    async record(ref, change) {
      const key = `${options.prefix}:latest-change:{${ref.cluster}/${ref.namespace}/${ref.name}}`;
      const json = JSON.stringify(change);
      const newest = await redis.eval(RECORD, 1, key, json, change.requestedAt, change.requestId, ttl);
      return JSON.parse(String(newest)) as ChangeRecord;
    },
  };
}

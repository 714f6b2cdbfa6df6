/**
 * The SharedPace on Redis: one key per lane (`${prefix}:{pace:LANE}`, its own hash tag, so on a Redis
 * Cluster the lanes spread over the masters and each script touches one slot) holding the lane's
 * theoretical arrival time; one Lua script takes the next free slot atomically, on Redis's clock (the
 * processes' clocks need not agree). While Redis does not answer, `reserve` fails and the send queue
 * paces that call alone (one interval), rather than not at all.
 */
import type { PaceLimit, SharedPace } from '../../ports/pace.js';
import { connectRedis, type RedisTarget } from './connection.js';

/**
 * KEYS[1]: the lane; ARGV: interval (ms), burst. Returns the wait (ms) for the slot taken. The key lives
 * until its time is past (an idle lane's burst is whole again then: nothing to remember).
 */
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local slot = tat - (tonumber(ARGV[2]) - 1) * interval
if slot < now then slot = now end
local nexttat = tat + interval
redis.call('SET', KEYS[1], tostring(nexttat), 'PX', math.max(1, math.ceil(nexttat - now)))
return math.ceil(slot - now)
`;

export interface RedisPaceOptions {
  redis: RedisTarget;
  /** REDIS_PREFIX. */
  prefix: string;
  /** The longest one reservation waits for Redis (ms). Default 500. */
  callTimeoutMs?: number;
}

export function createRedisPace(options: RedisPaceOptions): SharedPace {
  const redis = connectRedis(options.redis, { maxRetriesPerRequest: 1, disconnectTimeout: 500, commandTimeout: options.callTimeoutMs ?? 500 });
  redis.on('error', () => {
    // A failed reservation is the send queue's to handle (it paces that call alone).
  });
  return {
    async reserve(key: string, limit: PaceLimit) {
      const wait = await redis.eval(RESERVE, 1, `${options.prefix}:{pace:${key}}`, 60_000 / limit.perMinute, limit.burst);
      return Number(wait);
    },
    close() {
      redis.disconnect();
      return Promise.resolve();
    },
  };
}

/**
 * The ReplayGuard on Redis: each accepted request's key is claimed with one `SET key 1 NX PX ttl` under
 * REDIS_PREFIX, so every web replica on the Redis sees every other's requests and of two racing copies
 * exactly one wins. On a connection of its own with a deadline per call (a claim made while the
 * connection is still being made waits for it, within the deadline): while Redis does not answer, the
 * guard falls back to this process's memory — a replay to this process is still refused, one sent to
 * another replica is not — and says so once per outage, rather than refusing every Slack request while
 * Redis is down.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../../ports/logger.js';
import type { ReplayGuard } from '../../ports/replay-guard.js';
import { createMemoryReplayGuard } from '../memory/replay-guard.js';
import { connectRedis, type RedisTarget } from './connection.js';

export interface RedisReplayGuardOptions {
  redis: RedisTarget;
  /** REDIS_PREFIX. */
  prefix: string;
  logger: Logger;
  /** The longest one claim waits for Redis before the memory fallback decides (ms). Default 500. */
  callTimeoutMs?: number;
}

/** The Redis key of a request key: hashed, so keys have one length and hold nothing of the request. */
function replayKey(prefix: string, key: string): string {
  return `${prefix}:slack-replay:${createHash('sha256').update(key).digest('hex')}`;
}

export function createRedisReplayGuard(options: RedisReplayGuardOptions): ReplayGuard {
  const redis = connectRedis(options.redis, { maxRetriesPerRequest: 1, disconnectTimeout: 500, commandTimeout: options.callTimeoutMs ?? 500 });
  const memory = createMemoryReplayGuard();
  let degraded = false;
  redis.on('error', () => {
    // Reported once per outage by firstSeen, which knows what it means for requests.
  });
  redis.on('ready', () => {
    if (degraded) options.logger.info('replay guard: Redis answers again');
    degraded = false;
  });
  return {
    async firstSeen(key, ttlMs) {
      const ms = Math.max(1, Math.ceil(ttlMs));
      try {
        const set = await redis.set(replayKey(options.prefix, key), '1', 'PX', ms, 'NX');
        // Also remembered here, for the time Redis might be gone.
        void memory.firstSeen(key, ms);
        return set === 'OK';
      } catch (err) {
        if (!degraded) {
          degraded = true;
          options.logger.warn({ err }, 'replay guard: Redis does not answer; refusing replayed Slack requests by this process\'s memory only until it does');
        }
        return memory.firstSeen(key, ms);
      }
    },
    async close() {
      redis.disconnect();
      await memory.close();
    },
  };
}

/** The Redis LatestChanges adapter passes the port's contract, on the real Redis under a prefix of its own. */
import { Redis } from 'ioredis';
import { createRedisLatestChanges } from '../../src/adapters/queue/latest-changes.js';
import { latestChangesContract } from '../contract/latest-changes.contract.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

latestChangesContract('Redis', () => {
  const redis = new Redis(REDIS_URL);
  const prefix = `svcbot-test-${Math.random().toString(36).slice(2, 10)}`;
  return Promise.resolve({
    changes: createRedisLatestChanges(redis, { prefix }),
    async teardown() {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    },
  });
});

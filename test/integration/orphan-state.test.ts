/**
 * The Redis OrphanStateStore and the memory one pass the port's contract; the Redis one under a key
 * prefix of its own, every key removed afterwards, its keys in one hash slot.
 */
import { Redis } from 'ioredis';
import { createMemoryOrphanState } from '../../src/adapters/memory/orphan-state.js';
import { createRedisOrphanState } from '../../src/adapters/redis/orphan-state.js';
import { orphanStateContract } from '../contract/orphan-state.contract.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const newPrefix = () => `svcbot-test-${Math.random().toString(36).slice(2, 10)}`;

async function cleanUp(prefix: string, clients: Redis[]): Promise<void> {
  const keys = await clients[0]!.keys(`${prefix}:*`);
  if (keys.length > 0) await clients[0]!.del(...keys);
  for (const client of clients) client.disconnect();
}

orphanStateContract('Redis', () => {
  const prefix = newPrefix();
  const clients = Array.from({ length: 4 }, () => new Redis(REDIS_URL));
  const [store, ...peers] = clients.map((redis) => createRedisOrphanState(redis, { prefix }));
  return Promise.resolve({ store: store!, peers, teardown: () => cleanUp(prefix, clients) });
});

orphanStateContract('memory', () => {
  const store = createMemoryOrphanState();
  return Promise.resolve({ store, peers: [store, store, store], teardown: () => Promise.resolve() });
});

test('every key of the Redis store shares the {o} hash tag', async () => {
  const prefix = newPrefix();
  const redis = new Redis(REDIS_URL);
  try {
    const store = createRedisOrphanState(redis, { prefix });
    await store.snooze('us-east-1/a', Date.now() + 60_000);
    await store.ignore({ key: 'us-east-1/b', name: 'b', by: 'U1', at: 1, reason: 'r' });
    await store.swapReported(['x']);
    const keys = (await redis.keys(`${prefix}:*`)).sort();
    expect(keys).toEqual([`${prefix}:orphans:{o}:ignored`, `${prefix}:orphans:{o}:reported`, `${prefix}:orphans:{o}:snoozed`]);
  } finally {
    await cleanUp(prefix, [redis]);
  }
});

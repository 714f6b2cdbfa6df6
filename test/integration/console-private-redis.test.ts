/** The console's private redis-server: found on PATH, started on a free loopback port with nothing on disk, gone after stop(). */
import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import { findRedisServer, startPrivateRedis } from '../../src/console/private-redis.js';

test('found on PATH (and not where PATH does not lead)', () => {
  expect(findRedisServer(process.env.PATH)).toMatch(/\/redis-server$/);
  expect(findRedisServer('/nonexistent:')).toBeUndefined();
});

test('starts, answers, keeps nothing on disk, and is gone after stop()', async () => {
  const binary = findRedisServer(process.env.PATH)!;
  const redis = await startPrivateRedis(binary);
  const client = new Redis(redis.url);
  try {
    expect(redis.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(await client.config('GET', 'save')).toEqual(['save', '']);
    expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'no']);
    const [, dir] = (await client.config('GET', 'dir')) as [string, string];
    expect(existsSync(dir)).toBe(true);
    client.disconnect();
    await redis.stop();
    expect(existsSync(dir)).toBe(false);
    const probe = new Redis(redis.url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    probe.on('error', () => undefined);
    await expect(probe.connect()).rejects.toThrow();
    probe.disconnect();
  } finally {
    client.disconnect();
    await redis.stop();
  }
});

test('a binary that is not a redis-server: the start fails with what it said', async () => {
  await expect(startPrivateRedis('/bin/false', 2000)).rejects.toThrow(/redis-server exited/);
});

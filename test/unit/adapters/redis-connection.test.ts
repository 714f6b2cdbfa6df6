/** Which Redis the settings select, and the BullMQ queue names on each (hash-tagged on a cluster only). */
import { Cluster, Redis } from 'ioredis';
import { bullmqConnection, bullmqQueueName, connectRedis, redisTargetOf } from '../../../src/adapters/redis/connection.js';

const NODES = [{ host: '10.0.0.5', port: 6379 }];
const SENTINELS = [{ host: '10.0.0.7', port: 26379 }];

describe('redisTargetOf', () => {
  it.each([
    ['REDIS_URL alone: one Redis', { redisUrl: 'redis://r:6379', redisClusterNodes: [], redisSentinels: [] }, { url: 'redis://r:6379' }],
    ['cluster nodes: the cluster, REDIS_URL ignored', { redisUrl: 'redis://r:6379', redisClusterNodes: NODES, redisSentinels: SENTINELS }, { clusterNodes: NODES }],
    [
      'Sentinels (no cluster): the named master',
      { redisUrl: 'redis://r:6379', redisClusterNodes: [], redisSentinels: SENTINELS, redisSentinelName: 'svcbot' },
      { sentinels: SENTINELS, sentinelName: 'svcbot' },
    ],
  ])('%s', (_, config, target) => {
    expect(redisTargetOf(config)).toEqual(target);
  });
});

describe('bullmqQueueName', () => {
  it('is the name itself on one Redis and behind Sentinel: the keys of queued jobs keep their names', () => {
    expect(bullmqQueueName({ url: 'redis://r:6379' }, 'lb-jobs')).toBe('lb-jobs');
    expect(bullmqQueueName({ sentinels: SENTINELS, sentinelName: 'm' }, 'schedule-orphans')).toBe('schedule-orphans');
  });

  it('is a hash tag on a cluster, so that every key of the queue is in one slot', () => {
    expect(bullmqQueueName({ clusterNodes: NODES }, 'lb-jobs')).toBe('{lb-jobs}');
  });
});

describe('connectRedis and bullmqConnection', () => {
  it("make a Cluster for a cluster, with the site's options on each node and its own on the cluster", () => {
    const cluster = connectRedis({ clusterNodes: NODES }, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 700 });
    try {
      expect(cluster).toBeInstanceOf(Cluster);
      const options = (cluster as Cluster).options;
      expect([options.lazyConnect, options.enableOfflineQueue, options.redisOptions?.maxRetriesPerRequest, options.redisOptions?.commandTimeout]).toEqual([true, false, 1, 700]);
    } finally {
      cluster.disconnect();
    }
  });

  it('make a Redis that asks the Sentinels for the master', () => {
    const redis = connectRedis({ sentinels: SENTINELS, sentinelName: 'svcbot' }, { lazyConnect: true });
    try {
      expect(redis).toBeInstanceOf(Redis);
      expect([(redis as Redis).options.sentinels, (redis as Redis).options.name]).toEqual([SENTINELS, 'svcbot']);
    } finally {
      redis.disconnect();
    }
  });

  it('give BullMQ options it connects with itself on one Redis, retrying forever as it requires', () => {
    expect(bullmqConnection({ url: 'redis://r:6379' }, { disconnectTimeout: 500 }).connection).toEqual({ url: 'redis://r:6379', disconnectTimeout: 500, maxRetriesPerRequest: null });
  });
});

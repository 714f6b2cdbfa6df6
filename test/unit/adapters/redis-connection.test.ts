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

describe('redisTargetOf with credentials and TLS', () => {
  const base = { redisUrl: 'redis://r:6379', redisClusterNodes: [], redisSentinels: [] };
  it('puts them on a cluster target', () => {
    expect(redisTargetOf({ ...base, redisClusterNodes: NODES, redisUsername: 'u', redisPassword: 'pw', redisTls: true })).toEqual({
      clusterNodes: NODES,
      auth: { username: 'u', password: 'pw', tls: true },
    });
  });

  it("puts them on a Sentinel target, the Sentinels' own apart", () => {
    expect(redisTargetOf({ ...base, redisSentinels: SENTINELS, redisSentinelName: 'm', redisPassword: 'pw', redisTls: false, redisSentinelPassword: 'spw', redisSentinelTls: true })).toEqual({
      sentinels: SENTINELS,
      sentinelName: 'm',
      auth: { password: 'pw' },
      sentinelAuth: { password: 'spw', tls: true },
    });
  });

  it('adds nothing when none is set', () => {
    const unset = { redisUsername: undefined, redisPassword: undefined, redisTls: false, redisSentinelPassword: undefined, redisSentinelTls: false };
    expect(redisTargetOf({ ...base, ...unset, redisClusterNodes: NODES })).toEqual({ clusterNodes: NODES });
    expect(redisTargetOf({ ...base, ...unset, redisSentinels: SENTINELS, redisSentinelName: 'm' })).toEqual({ sentinels: SENTINELS, sentinelName: 'm' });
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

  it('tell a connection that must not retry not to ask the Sentinels again either (ioredis would, forever)', () => {
    const never = () => null;
    const probe = connectRedis({ sentinels: SENTINELS, sentinelName: 'svcbot' }, { lazyConnect: true, retryStrategy: never });
    const lasting = connectRedis({ sentinels: SENTINELS, sentinelName: 'svcbot' }, { lazyConnect: true });
    try {
      expect([(probe as Redis).options.retryStrategy, (probe as Redis).options.sentinelRetryStrategy]).toEqual([never, never]);
      expect((lasting as Redis).options.sentinelRetryStrategy).not.toBe(never);
      expect((lasting as Redis).options.sentinelRetryStrategy?.(1)).toEqual(expect.any(Number));
    } finally {
      probe.disconnect();
      lasting.disconnect();
    }
  });

  it("give a cluster's nodes the password, user and TLS, and keep the nodes' names for TLS (ElastiCache)", () => {
    const cluster = connectRedis({ clusterNodes: NODES, auth: { username: 'svcbot', password: 'pw', tls: true } }, { lazyConnect: true, commandTimeout: 700 });
    try {
      const options = (cluster as Cluster).options;
      expect([options.redisOptions?.username, options.redisOptions?.password, options.redisOptions?.tls, options.redisOptions?.commandTimeout]).toEqual(['svcbot', 'pw', {}, 700]);
      const looked: unknown[] = [];
      options.dnsLookup!('clustercfg.example.cache.amazonaws.com', (err, address) => looked.push(err, address));
      expect(looked).toEqual([null, 'clustercfg.example.cache.amazonaws.com']);
    } finally {
      cluster.disconnect();
    }
  });

  it("give a cluster's nodes none of it when none is set (the addresses looked up as before)", () => {
    const cluster = connectRedis({ clusterNodes: NODES }, { lazyConnect: true });
    try {
      const options = (cluster as Cluster).options;
      expect([options.redisOptions?.username, options.redisOptions?.password, options.redisOptions?.tls]).toEqual([undefined, undefined, undefined]);
      expect(options.dnsLookup?.name).toBe('lookup');
    } finally {
      cluster.disconnect();
    }
  });

  it("give the Sentinel-named master the password and TLS, and the Sentinels their own", () => {
    const target = { sentinels: SENTINELS, sentinelName: 'svcbot', auth: { username: 'u', password: 'pw', tls: true }, sentinelAuth: { password: 'spw', tls: true } };
    const redis = connectRedis(target, { lazyConnect: true });
    try {
      const o = (redis as Redis).options;
      expect([o.username, o.password, o.tls, o.enableTLSForSentinelMode, o.sentinelPassword, o.sentinelTLS]).toEqual(['u', 'pw', {}, true, 'spw', {}]);
    } finally {
      redis.disconnect();
    }
    expect(bullmqConnection(target).connection).toMatchObject({ username: 'u', password: 'pw', tls: {}, enableTLSForSentinelMode: true, sentinelPassword: 'spw', sentinelTLS: {}, name: 'svcbot' });
  });

  it('give the Sentinel-named master none of it when none is set', () => {
    const redis = connectRedis({ sentinels: SENTINELS, sentinelName: 'svcbot' }, { lazyConnect: true });
    try {
      const o = (redis as Redis).options;
      expect([o.password, o.tls, o.enableTLSForSentinelMode, o.sentinelPassword, o.sentinelTLS]).toEqual([null, undefined, false, undefined, undefined]);
    } finally {
      redis.disconnect();
    }
    const connection = bullmqConnection({ sentinels: SENTINELS, sentinelName: 'svcbot' }).connection;
    expect(Object.keys(connection).sort()).toEqual(['maxRetriesPerRequest', 'name', 'sentinels']);
  });

  it('give BullMQ options it connects with itself on one Redis, retrying forever as it requires', () => {
    expect(bullmqConnection({ url: 'redis://r:6379' }, { disconnectTimeout: 500 }).connection).toEqual({ url: 'redis://r:6379', disconnectTimeout: 500, maxRetriesPerRequest: null });
  });
});

/**
 * Every ioredis connection svcbot makes, from configuration: one Redis (`REDIS_URL`), a Redis Cluster
 * (`REDIS_CLUSTER_NODES`, seed `host:port`s; then REDIS_URL is not used) or a master found through
 * Sentinel (`REDIS_SENTINELS` + `REDIS_SENTINEL_NAME`). Each call site states the options it wants (a
 * deadline, no offline queue, retry forever for BullMQ…) as for one Redis; this module puts them where a
 * Cluster wants them (its own options, or `redisOptions` for each node's connection).
 *
 * Keys on a Redis Cluster: a Lua script or multi-key command may only touch keys of one slot (CROSSSLOT
 * otherwise). svcbot's own stores carry hash tags in their key names (`{a}`, `{o}`, the Service); BullMQ
 * keeps every key of a queue under `${prefix}:${queueName}:`, so on a cluster the queue's name is wrapped
 * in a hash tag (`bullmqQueueName`) and all of its keys, with svcbot's keys beside them, land in one slot.
 * On one Redis (or Sentinel) the names stay as they always were: no migration of queued jobs.
 */
import type { ConnectionOptions as BullmqConnectionOptions } from 'bullmq';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

export interface RedisNode {
  host: string;
  port: number;
}

/** Where svcbot's Redis is: one server, a Redis Cluster (seed nodes), or a master behind Sentinels. */
export type RedisTarget =
  | { url: string }
  | { clusterNodes: readonly RedisNode[] }
  | { sentinels: readonly RedisNode[]; sentinelName: string };

/** One Redis or a Redis Cluster: what every svcbot connection is. */
export type RedisConnection = Redis | Cluster;

/** The options a call site gives, as for one Redis. */
export interface ConnectionOptions {
  enableOfflineQueue?: boolean;
  maxRetriesPerRequest?: number | null;
  connectTimeout?: number;
  commandTimeout?: number;
  disconnectTimeout?: number;
  lazyConnect?: boolean;
  /** `() => null`: never reconnect (a one-off probe). */
  retryStrategy?: () => null;
}

function isCluster(target: RedisTarget): target is { clusterNodes: readonly RedisNode[] } {
  return 'clusterNodes' in target;
}

/** The connection target of the configuration's settings: a cluster wins over Sentinel, Sentinel over the URL. */
export function redisTargetOf(config: {
  redisUrl: string;
  redisClusterNodes?: readonly RedisNode[] | undefined;
  redisSentinels?: readonly RedisNode[] | undefined;
  redisSentinelName?: string | undefined;
}): RedisTarget {
  if (config.redisClusterNodes && config.redisClusterNodes.length > 0) return { clusterNodes: config.redisClusterNodes };
  if (config.redisSentinels && config.redisSentinels.length > 0) {
    return { sentinels: config.redisSentinels, sentinelName: config.redisSentinelName ?? 'mymaster' };
  }
  return { url: config.redisUrl };
}

/**
 * The queue name BullMQ is given for svcbot's queue `name`: on a cluster `{name}`, a hash tag, so that every
 * key of the queue (`${prefix}:{name}:…`) is in one slot, as BullMQ's scripts require.
 */
export function bullmqQueueName(target: RedisTarget, name: string): string {
  return isCluster(target) ? `{${name}}` : name;
}

/** A new connection to the target with the call site's options. */
export function connectRedis(target: RedisTarget, options: ConnectionOptions = {}): RedisConnection {
  if ('clusterNodes' in target) {
    const { enableOfflineQueue, lazyConnect, retryStrategy, ...perNode } = options;
    const clusterOptions: ClusterOptions = {
      redisOptions: perNode,
      // Ask every node for the slots once more before giving up on a command during a failover.
      retryDelayOnFailover: 200,
      ...(enableOfflineQueue !== undefined ? { enableOfflineQueue } : {}),
      ...(lazyConnect !== undefined ? { lazyConnect } : {}),
      ...(retryStrategy !== undefined ? { clusterRetryStrategy: retryStrategy } : {}),
    };
    return new Cluster(target.clusterNodes.map((n) => ({ host: n.host, port: n.port })), clusterOptions);
  }
  if ('sentinels' in target) {
    const redisOptions: RedisOptions = { ...options, sentinels: target.sentinels.map((n) => ({ host: n.host, port: n.port })), name: target.sentinelName };
    return new Redis(redisOptions);
  }
  return new Redis(target.url, options);
}

/**
 * A connection for a BullMQ Queue or Worker and how to close it. On one Redis and on Sentinel BullMQ is
 * given options and makes (and closes) its connections itself; a Cluster it cannot make from options, so it
 * gets a Cluster client (retrying forever, as BullMQ requires) that `close()` closes after BullMQ is done.
 */
export function bullmqConnection(target: RedisTarget, options: { disconnectTimeout?: number } = {}): {
  connection: BullmqConnectionOptions;
  close(): void;
} {
  const forBullmq = { ...options, maxRetriesPerRequest: null };
  if ('clusterNodes' in target) {
    const cluster = connectRedis(target, forBullmq);
    cluster.on('error', () => {
      // BullMQ reports connection errors through the worker's own 'error' event.
    });
    return { connection: cluster, close: () => cluster.disconnect() };
  }
  if ('sentinels' in target) {
    return {
      connection: { ...forBullmq, sentinels: target.sentinels.map((n) => ({ host: n.host, port: n.port })), name: target.sentinelName },
      close: () => undefined,
    };
  }
  return { connection: { url: target.url, ...forBullmq }, close: () => undefined };
}

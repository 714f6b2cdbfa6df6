/**
 * Every ioredis connection svcbot makes, from configuration: one Redis (`REDIS_URL`), a Redis Cluster
 * (`REDIS_CLUSTER_NODES`, seed `host:port`s; then REDIS_URL is not used) or a master found through
 * Sentinel (`REDIS_SENTINELS` + `REDIS_SENTINEL_NAME`). A cluster's nodes and the Sentinel-named master
 * take REDIS_USERNAME, REDIS_PASSWORD and REDIS_TLS; the Sentinels REDIS_SENTINEL_PASSWORD and
 * REDIS_SENTINEL_TLS (one Redis has them in its URL). Each call site states the options it wants (a
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

/**
 * Credentials and TLS of a cluster's nodes or of the master the Sentinels name (one Redis takes them in
 * its URL: `rediss://user:password@host`).
 */
interface RedisAuth {
  username?: string;
  password?: string;
  tls?: boolean;
}

/** The Sentinels' own password and TLS (a Sentinel's `requirepass` is its own, not the master's). */
interface SentinelAuth {
  password?: string;
  tls?: boolean;
}

/** Where svcbot's Redis is: one server, a Redis Cluster (seed nodes), or a master behind Sentinels. */
export type RedisTarget =
  | { url: string }
  | { clusterNodes: readonly RedisNode[]; auth?: RedisAuth }
  | { sentinels: readonly RedisNode[]; sentinelName: string; auth?: RedisAuth; sentinelAuth?: SentinelAuth };

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
  /** `() => null`: never reconnect (a one-off probe); behind Sentinel, never ask the Sentinels again either. */
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
  redisUsername?: string | undefined;
  redisPassword?: string | undefined;
  redisTls?: boolean | undefined;
  redisSentinelPassword?: string | undefined;
  redisSentinelTls?: boolean | undefined;
}): RedisTarget {
  const auth: RedisAuth = {
    ...(config.redisUsername !== undefined ? { username: config.redisUsername } : {}),
    ...(config.redisPassword !== undefined ? { password: config.redisPassword } : {}),
    ...(config.redisTls === true ? { tls: true } : {}),
  };
  const withAuth = Object.keys(auth).length > 0 ? { auth } : {};
  if (config.redisClusterNodes && config.redisClusterNodes.length > 0) return { clusterNodes: config.redisClusterNodes, ...withAuth };
  if (config.redisSentinels && config.redisSentinels.length > 0) {
    const sentinelAuth: SentinelAuth = {
      ...(config.redisSentinelPassword !== undefined ? { password: config.redisSentinelPassword } : {}),
      ...(config.redisSentinelTls === true ? { tls: true } : {}),
    };
    return {
      sentinels: config.redisSentinels,
      sentinelName: config.redisSentinelName ?? 'mymaster',
      ...withAuth,
      ...(Object.keys(sentinelAuth).length > 0 ? { sentinelAuth } : {}),
    };
  }
  return { url: config.redisUrl };
}

/** The connection options of `auth` for one node (a cluster's, or the Sentinel-named master). */
function nodeAuthOptions(auth: RedisAuth | undefined): Pick<RedisOptions, 'username' | 'password' | 'tls'> {
  return {
    ...(auth?.username !== undefined ? { username: auth.username } : {}),
    ...(auth?.password !== undefined ? { password: auth.password } : {}),
    // `{}`: Node's defaults, the server's certificate checked against the system's CAs and the host name.
    ...(auth?.tls === true ? { tls: {} } : {}),
  };
}

/**
 * Connecting by the name a node was given, not an address looked up first: with TLS the certificate is
 * checked against the host name, and ElastiCache's (cluster mode) names its nodes in its certificate only
 * — ioredis documents this `dnsLookup` for it.
 */
const keepHostName: NonNullable<ClusterOptions['dnsLookup']> = (address, callback) => callback(null, address);

/** The options that find the master through the Sentinels, with each one's credentials and TLS. */
function sentinelOptions(target: { sentinels: readonly RedisNode[]; sentinelName: string; auth?: RedisAuth; sentinelAuth?: SentinelAuth }) {
  return {
    sentinels: target.sentinels.map((n) => ({ host: n.host, port: n.port })),
    name: target.sentinelName,
    ...nodeAuthOptions(target.auth),
    // ioredis uses `tls` for the master only with this flag (and `sentinelTLS` for the Sentinels).
    ...(target.auth?.tls === true ? { enableTLSForSentinelMode: true } : {}),
    ...(target.sentinelAuth?.password !== undefined ? { sentinelPassword: target.sentinelAuth.password } : {}),
    ...(target.sentinelAuth?.tls === true ? { sentinelTLS: {} } : {}),
  } satisfies RedisOptions;
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
      redisOptions: { ...perNode, ...nodeAuthOptions(target.auth) },
      ...(target.auth?.tls === true ? { dnsLookup: keepHostName } : {}),
      // Ask every node for the slots once more before giving up on a command during a failover.
      retryDelayOnFailover: 200,
      // ioredis gives a node 1 s to answer CLUSTER SLOTS; a worker starting a BullMQ worker per queue
      // shard on a busy host (or a busy node) logged "Failed to refresh slots cache" once per shard.
      slotsRefreshTimeout: 3000,
      ...(enableOfflineQueue !== undefined ? { enableOfflineQueue } : {}),
      ...(lazyConnect !== undefined ? { lazyConnect } : {}),
      ...(retryStrategy !== undefined ? { clusterRetryStrategy: retryStrategy } : {}),
    };
    return new Cluster(target.clusterNodes.map((n) => ({ host: n.host, port: n.port })), clusterOptions);
  }
  if ('sentinels' in target) {
    // ioredis asks the Sentinels round after round by its own strategy (forever, by default) whatever
    // `retryStrategy` says: a connection that must not retry is told so for the Sentinels too.
    const sentinelRetry = options.retryStrategy !== undefined ? { sentinelRetryStrategy: options.retryStrategy } : {};
    return new Redis({ ...options, ...sentinelRetry, ...sentinelOptions(target) });
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
      connection: { ...forBullmq, ...sentinelOptions(target) },
      close: () => undefined,
    };
  }
  return { connection: { url: target.url, ...forBullmq }, close: () => undefined };
}

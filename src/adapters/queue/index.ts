/**
 * The job port on Redis, as the composition root takes it: the web side's queue (`LbJobQueue`, with the
 * newest-change records), and what a worker needs — its exactly-once guard, waker and newest-change
 * records on a connection of their own, and `start(processor)` for the BullMQ worker runtime. A queue's keys
 * live under `${prefix}:lb-jobs:` (`${prefix}:{lb-jobs}:` on a Redis Cluster, one slot: see
 * redis/connection.ts), or with JOB_QUEUE_SHARDS under each shard's name (`lb-jobs-3`: see shards.ts).
 * Also the schedules port (scheduled tasks, once per tick across the processes), under `${prefix}:schedule-<name>:`.
 */
import { Queue } from 'bullmq';
import { Cluster } from 'ioredis';
import type { BackoffSettings } from '../../domain/backoff.js';
import { withDeadline } from '../../domain/deadline.js';
import type { LbJobData } from '../../domain/lb-jobs.js';
import type { LatestChanges } from '../../ports/changes.js';
import type { JobProcessor, JobWaker, JobWorker, OnceGuard } from '../../ports/jobs.js';
import type { Logger } from '../../ports/logger.js';
import type { Schedules } from '../../ports/schedule.js';
import { createBullmqLbJobQueue, type BullmqLbJobQueue } from './bullmq-queue.js';
import { newWorkerId, startLbWorker } from './bullmq-worker.js';
import { createRedisLatestChanges } from './latest-changes.js';
import { createRedisOnceGuard } from './once.js';
import { createBullmqSchedules } from './schedules.js';
import { bullmqWaker, type WakeableQueue } from './waker.js';
import { BASE_QUEUE_NAME, createQueueRegistry, createQueueSet } from './shards.js';
import { startShardWorkers } from './shard-workers.js';
import { ownershipKeys, workerAlive } from './ownership.js';
import { bullmqQueueName, connectRedis, type RedisConnection, type RedisTarget } from '../redis/connection.js';

export interface RedisJobsOptions {
  redis: RedisTarget;
  /** Key prefix of everything the queue keeps (REDIS_PREFIX). */
  prefix: string;
  logger: Logger;
  /** How many queues the jobs are spread over (JOB_QUEUE_SHARDS; default 1): see shards.ts. */
  shards?: number;
  /** How often the queues other processes added are looked up again (default QUEUE_REGISTRY_REFRESH_MS). */
  registryRefreshMs?: number;
}

/**
 * BullMQ's stalled-job settings from JOB_LOCK_TIMEOUT (L): each running job's lock lasts L and is renewed
 * every L/2; every worker runs the stalled check every L/2. A job whose worker died is moved back to
 * waiting by the second check after its lock expired (the first marks it, the next moves it), and a live
 * worker takes it at once: at most about L (the lock outliving its worker) + 2 × L/2 = **2 × L** after
 * the death — 20 s at the default 10 s. A live worker loses a lock only if its event loop is blocked for
 * more than L/2 (it renews every L/2); svcbot's loop is never blocked for more than a fraction of a second.
 */
export function stalledSettings(lockTimeoutMs: number): { lockDurationMs: number; stalledIntervalMs: number } {
  return { lockDurationMs: lockTimeoutMs, stalledIntervalMs: Math.max(250, Math.round(lockTimeoutMs / 2)) };
}

export function createRedisJobQueue(options: RedisJobsOptions): BullmqLbJobQueue {
  return createBullmqLbJobQueue({
    redis: options.redis,
    prefix: options.prefix,
    shards: options.shards ?? 1,
    logger: options.logger,
    ...(options.registryRefreshMs !== undefined ? { registryRefreshMs: options.registryRefreshMs } : {}),
  });
}

export interface RedisJobWorkerOptions extends RedisJobsOptions {
  concurrency: number;
  /** A running job's lock; a crashed worker's jobs are taken over after about twice this. */
  lockTimeoutMs: number;
  /** How long close() lets running steps finish before handing them back. */
  graceMs: number;
  /** close() returns within this time whatever the processors do. */
  closeTimeoutMs: number;
  /** A worker silent this long is taken for dead and its parked jobs adopted (JOB_HEARTBEAT_INTERVAL). */
  heartbeatMs: number;
  /** Retry spacing of transient failures (svcbot's default unless a test wants it short). */
  backoff?: BackoffSettings;
  /** Told of each adoption this process's workers make (the metrics). */
  onAdopted?: (lapsedWorker: string, jobIds: readonly string[]) => void;
}

export interface RedisJobWorker {
  once: OnceGuard;
  waker: JobWaker;
  changes: LatestChanges;
  /** Starts taking jobs with `processor` (once). */
  start<R>(processor: JobProcessor<LbJobData, R>): JobWorker;
  /** Closes the worker (if started) and the connections. */
  close(): Promise<void>;
}

export function createRedisJobWorker(options: RedisJobWorkerOptions): RedisJobWorker {
  const { prefix } = options;
  // The exactly-once keys, the waker's promotions and the queue registry; retries forever, like the
  // worker's own connections.
  const redis = connectRedis(options.redis, { maxRetriesPerRequest: null, disconnectTimeout: 500 });
  redis.on('error', () => {
    // The worker runtime logs Redis connection problems; this connection recovers by itself.
  });
  const registry = createQueueRegistry(redis, { prefix, shards: options.shards ?? 1, ...(options.registryRefreshMs !== undefined ? { refreshMs: options.registryRefreshMs } : {}) });
  // Every queue's worker in this process hears its cancel channel on this one connection and runs its
  // commands on the one above, so that N shards cost N BullMQ workers, not 2 × N more connections.
  const subscriber = connectRedis(options.redis, { maxRetriesPerRequest: null, disconnectTimeout: 500 });
  subscriber.setMaxListeners(0);
  redis.setMaxListeners(0);
  subscriber.on('error', () => {
    // As above.
  });
  /** A Queue per queue in use, to wake parked jobs in it (made when first needed). */
  const wakeQueues = createQueueSet(registry, (name) => {
    const queue = new Queue(bullmqQueueName(options.redis, name), { connection: redis, prefix });
    queue.on('error', () => {
      // As above.
    });
    return queue;
  });
  /** A parked job is in its Service's queue, or (during a change of the shard count) in another one in use. */
  const jobsInAnyQueue: WakeableQueue = {
    getJob: async (jobId) => (await wakeQueues.locate(jobId, (queue) => queue.getJob(jobId)))?.job,
  };
  let worker: JobWorker | undefined;
  // One id for this process's queue workers: its exactly-once claims name it, and another process takes a
  // claim over as soon as this id has a live heartbeat in none of the queues.
  const workerId = newWorkerId();
  const ownerAlive = async (owner: string): Promise<boolean> =>
    workerAlive(redis, (await registry.known()).map((name) => ownershipKeys(prefix, bullmqQueueName(options.redis, name)).workers), owner);
  return {
    // Under the base queue's name whatever the shard count, so a change of the count forgets no effect.
    once: createRedisOnceGuard(redis, { prefix: `${prefix}:${bullmqQueueName(options.redis, BASE_QUEUE_NAME)}`, ownerId: workerId, ownerAlive }),
    waker: bullmqWaker(jobsInAnyQueue),
    changes: createRedisLatestChanges(redis, { prefix }),
    start(processor) {
      if (worker) throw new Error('the job worker is already started');
      worker = startShardWorkers({
        registry,
        concurrency: options.concurrency,
        ...(options.registryRefreshMs !== undefined ? { refreshMs: options.registryRefreshMs } : {}),
        logger: options.logger,
        startOne: (queueName, concurrency) =>
          startLbWorker({
            connection: options.redis,
            queueName,
            prefix,
            processor,
            concurrency,
            stalled: stalledSettings(options.lockTimeoutMs),
            logger: options.logger,
            graceMs: options.graceMs,
            closeTimeoutMs: options.closeTimeoutMs,
            heartbeatMs: options.heartbeatMs,
            ...(options.backoff ? { backoff: options.backoff } : {}),
            ...(options.onAdopted ? { onAdopted: options.onAdopted } : {}),
            shared: { commands: redis, subscriber },
            workerId,
          }),
      });
      return worker;
    },
    async close() {
      await worker?.close();
      await Promise.all(wakeQueues.made().map((queue) => queue.close().catch(() => undefined)));
      for (const client of [subscriber, redis]) {
        await withDeadline(client.quit().catch(() => undefined), 250);
        client.disconnect();
      }
    },
  };
}

export interface RedisSchedulesOptions extends RedisJobsOptions {
  /** A running tick's lock (JOB_LOCK_TIMEOUT); a crashed process's tick is run elsewhere after about twice this. */
  lockTimeoutMs: number;
  /** How long close() waits for a running tick before aborting it (and handing it back). */
  graceMs: number;
  /** close() returns within this time whatever the tasks do. */
  closeTimeoutMs: number;
}

/** Scheduled tasks on Redis: once per tick across every process with the same prefix (see schedules.ts). */
export function createRedisSchedules(options: RedisSchedulesOptions): Schedules {
  return createBullmqSchedules({
    redis: options.redis,
    prefix: options.prefix,
    logger: options.logger,
    stalled: stalledSettings(options.lockTimeoutMs),
    graceMs: options.graceMs,
    closeTimeoutMs: options.closeTimeoutMs,
  });
}

/** Whether Redis answers PING at `target` within `timeoutMs` (no retries, nothing left open). */
export async function redisAnswers(target: RedisTarget, timeoutMs: number): Promise<boolean> {
  const redis = connectRedis(target, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  redis.on('error', () => {
    // The answer is the result; nothing to report.
  });
  const asked = async () => {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  };
  try {
    // One deadline over connecting and the PING: connecting need not end by itself (Sentinels that refuse
    // or name no master are asked again and again; connectTimeout bounds one connection, not that).
    return (await withDeadline(asked().catch(() => false), timeoutMs)) === true;
  } finally {
    redis.disconnect();
  }
}

/** Removes every key under `${prefix}:` (a console session's, at its end), on every master of a cluster. */
export async function removeRedisKeys(target: RedisTarget, prefix: string): Promise<number> {
  const redis = connectRedis(target, { maxRetriesPerRequest: 1, connectTimeout: 2000, disconnectTimeout: 200 });
  redis.on('error', () => {
    // Reported by the rejected command below.
  });
  let removed = 0;
  try {
    for (const node of await nodesToScan(redis)) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
        cursor = next;
        // One key at a time on a cluster: a DEL of keys in several slots fails (CROSSSLOT).
        if (keys.length > 0) removed += redis.isCluster ? (await Promise.all(keys.map((k) => redis.del(k)))).reduce((a, b) => a + b, 0) : await redis.del(...keys);
      } while (cursor !== '0');
    }
    return removed;
  } finally {
    redis.disconnect();
  }
}

/** The servers whose keys SCAN walks: the one Redis, or each master of a cluster. */
async function nodesToScan(redis: RedisConnection): Promise<Pick<RedisConnection, 'scan'>[]> {
  if (!(redis instanceof Cluster)) return [redis];
  await new Promise<void>((resolve, reject) => (redis.status === 'ready' ? resolve() : redis.once('ready', resolve).once('error', reject)));
  return redis.nodes('master');
}

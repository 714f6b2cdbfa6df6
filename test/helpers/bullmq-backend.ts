/**
 * The BullMQ job backend (queue adapter, worker adapter, waker) on any Redis svcbot can use — one Redis, a
 * Redis Cluster, the master behind Sentinels — under a key prefix of its own, for the job port's contract
 * (test/contract/job-backend.contract.ts).
 */
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { createBullmqLbJobQueue } from '../../src/adapters/queue/bullmq-queue.js';
import { createRedisJobWorker } from '../../src/adapters/queue/index.js';
import { startLbWorker, type LbWorker } from '../../src/adapters/queue/bullmq-worker.js';
import { bullmqWaker } from '../../src/adapters/queue/waker.js';
import { bullmqQueueName, connectRedis, type RedisTarget } from '../../src/adapters/redis/connection.js';
import type { MakeJobBackend } from '../contract/job-backend.contract.js';

const QUEUE = 'lb-jobs';
const logger = pino({ level: 'silent' });

export interface BullmqBackendOptions {
  /** The queue's job timeout (ms), where the default does not fit. */
  timeoutMs?: number;
  /**
   * Removes what is left under the prefix; by default KEYS + DEL on the connection, which sees every key on
   * one Redis or a Sentinel's master (a Redis Cluster passes its own, node by node).
   */
  removeKeys?: (prefix: string) => Promise<void>;
  /**
   * Spread the jobs over this many queues (JOB_QUEUE_SHARDS), through the composition's own adapters
   * (`createRedisJobQueue`, `createRedisJobWorker`); by default one queue of the test's own.
   */
  shards?: number;
}

export function bullmqBackendOn(target: RedisTarget, options: BullmqBackendOptions = {}): MakeJobBackend {
  return ({ attempts }) => {
    const prefix = `svcbot-test-${Math.random().toString(36).slice(2, 10)}`;
    if (options.shards !== undefined) return Promise.resolve(shardedBackend(target, prefix, options.shards, attempts, options));
    const queue = createBullmqLbJobQueue({
      redis: target,
      prefix,
      queueName: QUEUE,
      logger,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(attempts !== undefined ? { attempts } : {}),
    });
    const admin = connectRedis(target, { maxRetriesPerRequest: null });
    const wakeQueue = new Queue(bullmqQueueName(target, QUEUE), { connection: admin, prefix });
    let worker: LbWorker | undefined;
    return Promise.resolve({
      queue,
      waker: bullmqWaker(wakeQueue),
      async start(processor) {
        worker = startLbWorker({ connection: target, queueName: QUEUE, prefix, processor, logger, backoff: { baseMs: 20, maxMs: 100 }, graceMs: 100 });
        await worker.ready;
        return worker;
      },
      async teardown() {
        await worker?.close();
        await queue.close();
        await wakeQueue.obliterate({ force: true });
        await wakeQueue.close();
        admin.disconnect();
        await (options.removeKeys ?? removeWithKeys(target))(prefix);
      },
    });
  };
}

/** The job backend as the app composes it: `shards` queues, a worker per queue, the waker finding a job in any. */
function shardedBackend(target: RedisTarget, prefix: string, shards: number, attempts: number | undefined, options: BullmqBackendOptions) {
  const queue = createBullmqLbJobQueue({
    redis: target,
    prefix,
    shards,
    logger,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(attempts !== undefined ? { attempts } : {}),
  });
  const runtime = createRedisJobWorker({
    redis: target,
    prefix,
    shards,
    logger,
    concurrency: 10,
    lockTimeoutMs: 10_000,
    graceMs: 100,
    closeTimeoutMs: 3000,
    heartbeatMs: 5000,
    backoff: { baseMs: 20, maxMs: 100 },
  });
  return {
    queue,
    waker: runtime.waker,
    async start(processor: Parameters<typeof runtime.start>[0]) {
      const worker = runtime.start(processor);
      await worker.ready;
      return worker;
    },
    async teardown() {
      await runtime.close();
      await queue.close();
      await (options.removeKeys ?? removeWithKeys(target))(prefix);
    },
  };
}

/** KEYS + DEL under the prefix on one Redis or a Sentinel's master. */
function removeWithKeys(target: RedisTarget) {
  return async (prefix: string): Promise<void> => {
    const admin = connectRedis(target, { maxRetriesPerRequest: null });
    try {
      const keys = await admin.keys(`${prefix}:*`);
      if (keys.length > 0) await admin.del(...keys);
    } finally {
      admin.disconnect();
    }
  };
}

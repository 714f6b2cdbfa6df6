/**
 * The BullMQ job backend (queue adapter, worker adapter, waker) on any Redis svcbot can use — one Redis, a
 * Redis Cluster, the master behind Sentinels — under a key prefix of its own, for the job port's contract
 * (test/contract/job-backend.contract.ts).
 */
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { createBullmqLbJobQueue } from '../../src/adapters/queue/bullmq-queue.js';
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
}

export function bullmqBackendOn(target: RedisTarget, options: BullmqBackendOptions = {}): MakeJobBackend {
  return ({ attempts }) => {
    const prefix = `svcbot-test-${Math.random().toString(36).slice(2, 10)}`;
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
        if (options.removeKeys) {
          await options.removeKeys(prefix);
        } else {
          const keys = await admin.keys(`${prefix}:*`);
          if (keys.length > 0) await admin.del(...keys);
        }
        admin.disconnect();
      },
    });
  };
}

/** The BullMQ job backend (queue adapter, worker adapter, waker) passes the job port's contract on the real Redis, under a prefix of its own. */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createBullmqLbJobQueue } from '../../src/adapters/queue/bullmq-queue.js';
import { startLbWorker, type LbWorker } from '../../src/adapters/queue/bullmq-worker.js';
import { bullmqWaker } from '../../src/adapters/queue/waker.js';
import { jobBackendContract } from '../contract/job-backend.contract.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const QUEUE = 'lb-jobs';
const logger = pino({ level: 'silent' });

jobBackendContract('BullMQ on Redis', ({ attempts }) => {
  const prefix = `svcbot-test-${Math.random().toString(36).slice(2, 10)}`;
  const queue = createBullmqLbJobQueue({ redis: { url: REDIS_URL }, prefix, queueName: QUEUE, logger, ...(attempts !== undefined ? { attempts } : {}) });
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const wakeQueue = new Queue(QUEUE, { connection: redis, prefix });
  let worker: LbWorker | undefined;
  return Promise.resolve({
    queue,
    waker: bullmqWaker(wakeQueue),
    async start(processor) {
      worker = startLbWorker({ connection: { url: REDIS_URL }, queueName: QUEUE, prefix, processor, logger, backoff: { baseMs: 20, maxMs: 100 }, graceMs: 100 });
      await worker.ready;
      return worker;
    },
    async teardown() {
      await worker?.close();
      await queue.close();
      await wakeQueue.obliterate({ force: true });
      await wakeQueue.close();
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    },
  });
});

/**
 * The expiry of `/svc allow`'s grants on BullMQ: one delayed job per grant in the queue
 * `${prefix}:grant-expiry:` (`{grant-expiry}` on a Redis Cluster: one slot), its jobId `grant-ID` — so
 * a grant scheduled twice (a resumed run, two submissions) has one job, and BullMQ gives that job to one
 * worker however many run. The job lives in Redis: a worker stopped before the grant's time and another
 * started after it still runs it, at its time. A run that fails (EC2 throttling, a close in progress
 * elsewhere) is tried again every `retryMs` for `attempts` tries; its failures are logged as errors,
 * since a port stays open meanwhile.
 */
import { Queue, Worker, type Job } from 'bullmq';
import { withDeadline } from '../../domain/deadline.js';
import type { GrantExpiry } from '../../ports/ingress-grants.js';
import type { Logger } from '../../ports/logger.js';
import { bullmqConnection, bullmqQueueName, connectRedis, type RedisTarget } from '../redis/connection.js';

const GRANT_EXPIRY_QUEUE = 'grant-expiry';

export interface GrantExpiryOptions {
  redis: RedisTarget;
  /** REDIS_PREFIX. */
  prefix: string;
  logger: Logger;
  /** Between two tries of a failed expiry. Default 10 s. */
  retryMs?: number;
  /** Tries of one expiry. Default 360 (an hour at the default spacing). */
  attempts?: number;
}

interface ExpiryData {
  grantId: string;
}

/**
 * The expiry job's id. Not the bare grant id: BullMQ refuses a custom id that reads as an integer, and a
 * random hex id is all digits one time in forty.
 */
export function expiryJobId(grantId: string): string {
  return `grant-${grantId}`;
}

export function createGrantExpiryQueue(options: GrantExpiryOptions): GrantExpiry & { close(): Promise<void> } {
  // Connected on first use: a process that never opens a port holds no connection for it.
  let made: { redis: ReturnType<typeof connectRedis>; queue: Queue<ExpiryData> } | undefined;
  const queueOf = (): Queue<ExpiryData> => {
    if (made) return made.queue;
    const redis = connectRedis(options.redis, { maxRetriesPerRequest: 1, disconnectTimeout: 500 });
    redis.on('error', () => {
      // A failed call rejects; ioredis reconnects by itself.
    });
    const queue = new Queue<ExpiryData>(bullmqQueueName(options.redis, GRANT_EXPIRY_QUEUE), { connection: redis, prefix: options.prefix });
    queue.on('error', () => {
      // As above.
    });
    made = { redis, queue };
    return queue;
  };
  const retryMs = options.retryMs ?? 10_000;
  const attempts = options.attempts ?? 360;
  return {
    async schedule(grantId, at) {
      await queueOf().add(
        'expire',
        { grantId },
        {
          jobId: expiryJobId(grantId),
          delay: Math.max(0, at - Date.now()),
          attempts,
          backoff: { type: 'fixed', delay: retryMs },
          removeOnComplete: { age: 7 * 24 * 3600 },
          removeOnFail: { age: 7 * 24 * 3600 },
        },
      );
    },
    async cancel(grantId) {
      // 0 when the job is running (locked) or gone: a running one finds the grant closed.
      await queueOf().remove(expiryJobId(grantId));
    },
    async close() {
      if (!made) return;
      await withDeadline(made.queue.close().catch(() => undefined), 1000);
      made.redis.disconnect();
    },
  };
}

/**
 * Runs the grants' expiry jobs in this process with `expire` (the domain's close of a grant).
 *
 * `close()`: stop taking jobs, let the running closes finish for `closeTimeoutMs`, then close BullMQ with
 * force. Not BullMQ's graceful close: it waits for the worker's main loop, which never ends while Redis is
 * unreachable, and keeps its lock-renewal timer and reconnecting connections alive (the process could
 * not exit); a second close(true) then returns that same pending close. A close cut short is run again
 * (closing a grant is idempotent): its job's lock lapses and another worker takes it.
 */
export function startGrantExpiryWorker(
  options: GrantExpiryOptions & { expire: (grantId: string) => Promise<void>; stalled: { lockDurationMs: number; stalledIntervalMs: number }; closeTimeoutMs: number },
): { close(): Promise<void> } {
  const log = options.logger.child({ component: 'grant-expiry' });
  const connection = bullmqConnection(options.redis, { disconnectTimeout: 500 });
  const running = new Set<Promise<void>>();
  const worker = new Worker<ExpiryData>(
    bullmqQueueName(options.redis, GRANT_EXPIRY_QUEUE),
    async (job: Job<ExpiryData>) => {
      const closing = options.expire(job.data.grantId);
      running.add(closing);
      try {
        await closing;
      } catch (err) {
        log.error({ err, grant: job.data.grantId, attempt: job.attemptsMade + 1 }, 'could not close a grant at its time: the port stays open until a retry succeeds');
        throw err;
      } finally {
        running.delete(closing);
      }
    },
    {
      connection: connection.connection,
      prefix: options.prefix,
      concurrency: 10,
      lockDuration: options.stalled.lockDurationMs,
      stalledInterval: options.stalled.stalledIntervalMs,
      maxStalledCount: 5,
    },
  );
  worker.on('error', (err) => log.warn({ err: err.message }, 'grant expiry worker: Redis or processing error'));
  let closed: Promise<void> | undefined;
  return {
    close() {
      closed ??= (async () => {
        await withDeadline(worker.pause(true).catch(() => undefined), 250);
        await withDeadline(Promise.allSettled([...running]), options.closeTimeoutMs);
        await withDeadline(worker.close(true).catch(() => undefined), 1000);
        connection.close();
      })();
      return closed;
    },
  };
}

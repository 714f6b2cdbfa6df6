/**
 * LbJobQueue on BullMQ + Redis (the web side). One job per operation on a Service (`lbJobId`), so a
 * double submission is one job; finished jobs are kept for `/svc jobs` for a retention window
 * (`removeOnComplete`/`removeOnFail` with an age and a count), then removed so Redis stays bounded.
 *
 * Shards (shards.ts): a new job goes to its Service's queue among the configured shards; a job is looked up
 * (duplicate, supersede, cancel) there first and then in every other queue in use, and list and counts
 * read them all, so jobs of an earlier shard count are still found. All queues share one connection.
 *
 * Failing fast: the connection has no offline queue and every call has a deadline (default 2 s), so a
 * Redis that is down or unreachable answers `BotError('queue_unavailable')` at once instead of hanging;
 * ioredis keeps reconnecting in the background and the next call works once Redis is back.
 *
 * Cancel: see keys.ts. A waiting job is removed; a parked (delayed) one is woken and an active one gets a
 * pub/sub message, so that the worker running it ends it through its processor (which says so in its
 * progress message); the cancel record makes sure whichever worker runs it next sees the cancel.
 */
import { Queue, type Job, type JobsOptions } from 'bullmq';
import { BotError } from '../../domain/errors.js';
import { lbJobId, parseLbJobId, requestIdOf, type LbJobData, type LbOperation } from '../../domain/lb-jobs.js';
import type { Logger } from '../../ports/logger.js';
import type { LatestChanges } from '../../ports/changes.js';
import type { CancelOutcome, LbJobQueue, LbJobState, LbJobSummary } from '../../ports/queue.js';
import {
  BACKOFF_TYPE,
  DEFAULT_PREFIX,
  cancelChannel,
  cancelReason,
  cancelledKey,
  parseCancelRecord,
  stepOf,
  type CancelRecord,
  type StopMessage,
} from './keys.js';
import { createRedisLatestChanges } from './latest-changes.js';
import { bullmqQueueName, connectRedis, type RedisTarget } from '../redis/connection.js';
import { BASE_QUEUE_NAME, createQueueRegistry, createQueueSet } from './shards.js';

/** One queue in use, its BullMQ Queue and svcbot's keys beside it. */
interface Shard {
  queue: Queue<LbJobData>;
  cancelled: string;
  channel: string;
}

export const DEFAULT_QUEUE_NAME = BASE_QUEUE_NAME;

interface Retention {
  /** Seconds a finished (completed, failed or cancelled) job stays visible in `/svc jobs`. */
  ageSeconds: number;
  /** At most this many completed (and, separately, failed) jobs are kept. */
  count: number;
}

const DEFAULT_RETENTION: Retention = { ageSeconds: 24 * 60 * 60, count: 1000 };

export interface BullmqLbJobQueueOptions {
  redis: RedisTarget;
  /** One queue of this name (tests that keep their own); otherwise the shards' (see shards.ts). */
  queueName?: string;
  /** How many queues the jobs are spread over, by Service (JOB_QUEUE_SHARDS; default 1). */
  shards?: number;
  /** How often the queues other processes added are looked up again (default QUEUE_REGISTRY_REFRESH_MS). */
  registryRefreshMs?: number;
  /**
   * BullMQ key prefix; all of the queue's keys start with `${prefix}:${queueName}:` (`${prefix}:{${queueName}}:`
   * on a Redis Cluster: see connection.ts).
   */
  prefix?: string;
  retention?: Partial<Retention>;
  /** Tries per job for transient errors (the worker's backoff strategy spaces them). */
  attempts?: number;
  /** Deadline of each call (enqueue, list, cancel), ms. */
  timeoutMs?: number;
  /** At most this many of a cluster's jobs are listed (the newest). */
  listLimit?: number;
  logger?: Logger;
}

export interface BullmqLbJobQueue extends LbJobQueue {
  /** The newest change of each Service, on the queue's connection (failing fast like the queue). */
  changes: LatestChanges;
  /** Close the queue and its Redis connection. */
  close(): Promise<void>;
}

const UNAVAILABLE = 'svcbot cannot reach its queue (Redis) — try again shortly';
const UNFINISHED_TYPES = ['active', 'waiting', 'prioritized', 'delayed'] as const;
const FINISHED_TYPES = ['failed', 'completed'] as const;
type ListedType = (typeof UNFINISHED_TYPES)[number] | (typeof FINISHED_TYPES)[number];
const LISTED_TYPES: readonly ListedType[] = [...UNFINISHED_TYPES, ...FINISHED_TYPES];

function queueUnavailable(cause?: unknown): BotError {
  return new BotError('queue_unavailable', UNAVAILABLE, { cause });
}

export function createBullmqLbJobQueue(options: BullmqLbJobQueueOptions): BullmqLbJobQueue {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const retention: Retention = { ...DEFAULT_RETENTION, ...options.retention };
  const timeoutMs = options.timeoutMs ?? 2000;
  const listLimit = options.listLimit ?? 200;
  const log = options.logger?.child({ component: 'queue' });

  // No offline queue: while Redis is down, commands fail at once instead of piling up; a per-command
  // timeout covers a Redis that accepts connections but does not answer.
  const redis = connectRedis(options.redis, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    // ioredis keeps a timer this long after disconnect() to destroy a socket that never closed.
    disconnectTimeout: 500,
  });
  let lastErrorLogged = 0;
  redis.on('error', (err: Error) => {
    // ioredis reports every failed reconnection attempt; log at most one every 10 s.
    if (Date.now() - lastErrorLogged > 10_000) {
      lastErrorLogged = Date.now();
      log?.warn({ err: err.message }, 'queue: Redis connection error');
    }
  });
  const keep = { age: retention.ageSeconds, count: retention.count };
  const defaultJobOptions: JobsOptions = {
    attempts: options.attempts ?? 8,
    backoff: { type: BACKOFF_TYPE },
    removeOnComplete: keep,
    removeOnFail: keep,
  };
  const registry = createQueueRegistry(redis, {
    prefix,
    shards: options.shards ?? 1,
    ...(options.queueName !== undefined ? { names: [options.queueName] } : {}),
    ...(options.registryRefreshMs !== undefined ? { refreshMs: options.registryRefreshMs } : {}),
  });
  /** Each queue in use, as BullMQ sees it (all on the one connection), made when first needed. */
  const shards = createQueueSet(registry, (name): Shard => {
    const bullmqName = bullmqQueueName(options.redis, name);
    const queue = new Queue<LbJobData>(bullmqName, { connection: redis, prefix, defaultJobOptions });
    queue.on('error', () => {
      // Reported through the connection's own 'error' event above; calls fail with queue_unavailable.
    });
    return { queue, cancelled: cancelledKey(prefix, bullmqName), channel: cancelChannel(prefix, bullmqName) };
  });
  /** The job of this id and its queue: its home queue first, then the others in use. */
  const locate = (jobId: string) => shards.locate(jobId, (at) => at.queue.getJob(jobId));
  let closing = false;

  /** Runs `op` once Redis is ready, within the deadline; any failure becomes queue_unavailable. */
  async function guard<T>(what: string, op: () => Promise<T>): Promise<T> {
    if (closing) throw queueUnavailable();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer from Redis within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      if (redis.status !== 'ready') {
        // Still connecting (just started) or reconnecting: wait for it within the deadline, but a
        // connection that is known to be failing answers at once.
        if (redis.status === 'reconnecting' || redis.status === 'end' || redis.status === 'close') {
          throw new Error(`${what}: Redis connection is ${redis.status}`);
        }
        await Promise.race([new Promise<void>((resolve) => redis.once('ready', () => resolve())), deadline]);
      }
      return await Promise.race([op(), deadline]);
    } catch (err) {
      if (err instanceof BotError) throw err;
      log?.warn({ err: err instanceof Error ? err.message : String(err) }, `queue: ${what} failed`);
      throw queueUnavailable(err);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A queue's cancel records (pruned by age and count as they are read). */
  async function cancelRecords(at: Shard): Promise<Map<string, CancelRecord>> {
    const raw = await redis.hgetall(at.cancelled);
    const now = Date.now();
    const records: [string, CancelRecord][] = [];
    const expired: string[] = [];
    for (const [id, json] of Object.entries(raw)) {
      const record = parseCancelRecord(json);
      if (!record || now - record.at > retention.ageSeconds * 1000) expired.push(id);
      else records.push([id, record]);
    }
    records.sort((a, b) => b[1].at - a[1].at);
    for (const [id] of records.splice(retention.count)) expired.push(id);
    if (expired.length > 0) await redis.hdel(at.cancelled, ...expired);
    return new Map(records);
  }

  function summarize(job: Job<LbJobData>, type: ListedType, record: CancelRecord | undefined): LbJobSummary | undefined {
    const id = job.id ?? '';
    const ref = parseLbJobId(id);
    if (!ref) return undefined;
    const applies = record !== undefined && record.jobCreatedAt === job.timestamp;
    let state: LbJobState = type === 'prioritized' ? 'waiting' : type;
    if (applies && state === 'failed') state = 'cancelled';
    const summary: LbJobSummary = {
      id,
      ...ref,
      state,
      createdAt: new Date(job.timestamp),
      requesterId: job.data?.requester?.userId ?? '',
      attemptsMade: job.attemptsMade,
    };
    const step = stepOf(job.progress);
    if (step !== undefined) summary.step = step;
    if (job.finishedOn !== undefined && (state === 'completed' || state === 'failed' || state === 'cancelled')) {
      summary.finishedAt = new Date(job.finishedOn);
    }
    if (state === 'cancelled' && record) summary.failedReason = cancelReason(record.by);
    else if (state === 'failed' && job.failedReason) summary.failedReason = job.failedReason;
    if (applies && state === 'active') summary.cancelRequested = true;
    return summary;
  }

  function fromRecord(id: string, record: CancelRecord): LbJobSummary {
    const summary: LbJobSummary = {
      id,
      operation: record.operation,
      cluster: record.cluster,
      namespace: record.namespace,
      name: record.name,
      state: 'cancelled',
      createdAt: new Date(record.jobCreatedAt),
      finishedAt: new Date(record.at),
      failedReason: cancelReason(record.by),
      requesterId: record.requesterId,
    };
    if (record.step !== undefined) summary.step = record.step;
    return summary;
  }

  const OPERATIONS: readonly LbOperation[] = ['provision', 'retype', 'delete'];
  const latest = createRedisLatestChanges(redis, { prefix });

  /** Whether a job in this state has finished (kept only for `/svc jobs`). */
  const finished = (state: string): boolean => state === 'completed' || state === 'failed' || state === 'unknown';

  /** One queue's jobs and cancel records of the cluster, as summaries (unsorted). */
  async function listShard(at: Shard, cluster: string): Promise<LbJobSummary[]> {
    const records = await cancelRecords(at);
    const idsByType = await Promise.all(
      [...UNFINISHED_TYPES, ...FINISHED_TYPES].map(async (type) => ({ type, ids: await at.queue.getRanges([type], 0, -1) })),
    );
    const wanted: { id: string; type: ListedType }[] = [];
    for (const { type, ids } of idsByType) {
      for (const id of ids) if (parseLbJobId(id)?.cluster === cluster) wanted.push({ id, type });
    }
    const jobs = await Promise.all(wanted.slice(0, listLimit * 2).map(async ({ id, type }) => ({ type, job: await at.queue.getJob(id) })));
    const summaries: LbJobSummary[] = [];
    const seen = new Set<string>();
    for (const { type, job } of jobs) {
      if (!job?.id || seen.has(job.id)) continue;
      seen.add(job.id);
      const summary = summarize(job, type, records.get(job.id));
      if (summary) summaries.push(summary);
    }
    for (const [id, record] of records) {
      if (record.cluster === cluster && !seen.has(id)) summaries.push(fromRecord(id, record));
    }
    return summaries;
  }

  return {
    enqueue(data) {
      const jobId = lbJobId(data.operation, data.cluster, data.namespace, data.name);
      const requestId = requestIdOf(data);
      return guard('enqueue', async () => {
        const at = shards.home(jobId);
        for (let attempt = 1; ; attempt++) {
          const existing = await locate(jobId);
          if (existing) {
            const state = await existing.job.getState();
            // Unfinished, here or in a queue of an earlier shard count: the same change is under way.
            if (!finished(state)) return { jobId, duplicate: true };
            // Finished and kept only for /svc jobs: the new request replaces it.
            await existing.at.queue.remove(jobId);
          }
          // So is the record of a cancelled one.
          await redis.hdel(at.cancelled, jobId);
          // BullMQ adds a job atomically and keeps the first one of an id: of racing submissions, the one
          // whose data Redis holds afterwards is the job, and the others are duplicates of it.
          await at.queue.add(data.operation, { ...data, requestId }, { jobId });
          const stored = await at.queue.getJob(jobId);
          if (stored) return { jobId, duplicate: requestIdOf(stored.data) !== requestId };
          // Removed in between (a racing submission replaced a finished job it had read): try once more.
          if (attempt >= 2) throw new Error(`enqueue: job ${jobId} vanished twice`);
        }
      });
    },

    supersede(ref, by) {
      return guard('supersede', async () => {
        for (const operation of OPERATIONS) {
          const jobId = lbJobId(operation, ref.cluster, ref.namespace, ref.name);
          if (jobId === by.jobId) continue;
          const found = await locate(jobId);
          if (!found) continue;
          const state = await found.job.getState();
          // Parked: run it now, so that it stands down now. Waiting: it reads the newest change when it starts.
          if (state === 'delayed') await found.job.promote().catch(() => undefined);
          if (state === 'active' || state === 'delayed') {
            const message: StopMessage = { jobId, supersededBy: by };
            await redis.publish(found.at.channel, JSON.stringify(message));
          }
        }
      });
    },

    changes: {
      record: (ref, change) => guard('record a change', () => latest.record(ref, change)),
    },

    list(cluster) {
      return guard('list', async () => {
        const perQueue = await Promise.all((await shards.all()).map((at) => listShard(at, cluster)));
        const when = (s: LbJobSummary): number => (s.finishedAt ?? s.createdAt).getTime();
        return perQueue.flat().sort((a, b) => when(b) - when(a)).slice(0, listLimit);
      });
    },

    get(jobId) {
      return guard('get a job', async () => {
        const found = await locate(jobId);
        if (found) {
          const state = await found.job.getState();
          // 'unknown': removed meanwhile; any other state BullMQ has (waiting-children) is waiting to svcbot.
          if (state === 'unknown') return undefined;
          const type = LISTED_TYPES.find((t) => t === state) ?? 'waiting';
          const record = parseCancelRecord(await redis.hget(found.at.cancelled, jobId));
          return summarize(found.job, type, record);
        }
        // A cancelled job removed while waiting: only its record is left.
        for (const at of await shards.all()) {
          const record = parseCancelRecord(await redis.hget(at.cancelled, jobId));
          if (record) return fromRecord(jobId, record);
        }
        return undefined;
      });
    },

    cancel(jobId, by): Promise<CancelOutcome> {
      return guard('cancel', async () => {
        const ref = parseLbJobId(jobId);
        if (!ref) return 'not_found';
        const found = await locate(jobId);
        if (!found) {
          for (const at of await shards.all()) if (await redis.hexists(at.cancelled, jobId)) return 'finished';
          return 'not_found';
        }
        const { at, job } = found;
        const state = await job.getState();
        if (finished(state)) return 'finished';
        const record: CancelRecord = {
          by,
          at: Date.now(),
          jobCreatedAt: job.timestamp,
          ...ref,
          requesterId: job.data?.requester?.userId ?? '',
        };
        const step = stepOf(job.progress);
        if (step !== undefined) record.step = step;
        // Record first: a worker that takes the job from now on sees the record when it starts it.
        await redis.hset(at.cancelled, jobId, JSON.stringify(record));
        if (state === 'delayed') {
          // Parked: wake it, so that a worker ends it now (and its progress message says so) rather than
          // when its wait is over. If it started meanwhile, the message below reaches it.
          await job.promote().catch(() => undefined);
        } else if (state !== 'active' && (await at.queue.remove(jobId)) === 1) {
          return 'cancelled';
        }
        // Active (or taken by a worker meanwhile): the worker holding it aborts it.
        const message: StopMessage = { jobId, by };
        await redis.publish(at.channel, JSON.stringify(message));
        await cancelRecords(at); // prune
        return 'cancelled';
      });
    },

    counts() {
      return guard('count jobs', async () => {
        // One round trip per queue: BullMQ counts each state's list or sorted set (LLEN/ZCARD), reading no job.
        const total = { waiting: 0, active: 0, parked: 0 };
        for (const n of await Promise.all((await shards.all()).map((at) => at.queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed')))) {
          total.waiting += (n.waiting ?? 0) + (n.prioritized ?? 0);
          total.active += n.active ?? 0;
          total.parked += n.delayed ?? 0;
        }
        return total;
      });
    },

    async close() {
      if (closing) return;
      closing = true;
      try {
        await Promise.all(shards.made().map((at) => at.queue.close()));
      } finally {
        if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
        else redis.disconnect();
      }
    },
  };
}

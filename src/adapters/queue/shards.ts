/**
 * Queue shards: the load-balancer jobs spread over `JOB_QUEUE_SHARDS` BullMQ queues, so that on a Redis
 * Cluster several masters share the work (each queue is one hash tag, one slot: see redis/connection.ts).
 *
 * - Names: one shard is the queue svcbot always had (`lb-jobs`), so a single-shard install keeps its key
 *   names; N > 1 shards are `lb-jobs-0` … `lb-jobs-<N-1>`.
 * - Placement: by Service (cluster, namespace, name), a stable hash: every job of one Service — provision,
 *   retype, delete — is in one queue, so a duplicate submission is found where the first one is, and a
 *   superseding change reaches the older job in the same queue.
 * - Changing the count strands nothing: every process records the queues it uses in a Redis set
 *   (`${prefix}:svcbot:queues`); workers work every queue in it (the retired ones drain and then cost one
 *   idle BullMQ worker each), and the web side looks a job up, lists and cancels across all of them.
 *   During a change of the count, a Service may briefly have an unfinished job in a retired queue and a
 *   new one in its new queue: the newer change stands the older job down (LatestChanges), as for any two
 *   changes of one Service.
 */
import { parseLbJobId } from '../../domain/lb-jobs.js';

/** The queue of a single-shard install, and the stem of the shards' names. */
export const BASE_QUEUE_NAME = 'lb-jobs';

/** How often a long-running process looks for queues another process (a newer configuration) added. */
export const QUEUE_REGISTRY_REFRESH_MS = 30_000;

/** The Redis set of every queue name (as svcbot names them, before any hash tag) ever used under `prefix`. */
export function queueRegistryKey(prefix: string): string {
  return `${prefix}:svcbot:queues`;
}

/** The names of `count` shards. */
export function shardQueueNames(count: number): string[] {
  if (!Number.isInteger(count) || count < 1) throw new Error(`queue shards must be a positive integer (got ${count})`);
  return count === 1 ? [BASE_QUEUE_NAME] : Array.from({ length: count }, (_, i) => `${BASE_QUEUE_NAME}-${i}`);
}

/** FNV-1a (32 bits): small, stable across processes and versions, and spreads short names well. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** The shard (0 … count-1) of a Service's jobs. */
export function shardOf(service: { cluster: string; namespace: string; name: string }, count: number): number {
  return fnv1a(`${service.cluster}/${service.namespace}/${service.name}`) % count;
}

/** The queue name of a job id (`lbJobId`) among `names` (the configured shards); the first for an id that is not one. */
export function queueOfJob(jobId: string, names: readonly string[]): string {
  const ref = parseLbJobId(jobId);
  return names[ref ? shardOf(ref, names.length) : 0]!;
}

/** The commands the registry needs (an ioredis client or cluster fits). */
export interface RegistryRedis {
  sadd(key: string, ...members: string[]): Promise<number>;
  smembers(key: string): Promise<string[]>;
}

/** A name svcbot could have given a queue (the registry is read back from Redis: nothing else is used). */
function isQueueName(name: string): boolean {
  return name === BASE_QUEUE_NAME || /^lb-jobs-\d{1,3}$/.test(name);
}

/** `lb-jobs`, then `lb-jobs-0`, `lb-jobs-1`, … `lb-jobs-10` in number order. */
function byShardNumber(a: string, b: string): number {
  const n = (name: string): number => (name === BASE_QUEUE_NAME ? -1 : Number(name.slice(BASE_QUEUE_NAME.length + 1)));
  return n(a) - n(b);
}

/**
 * The configured shards and every queue in use under the prefix. `register()` records the configured
 * ones and reads the rest (retired shards of an earlier count, or new ones of a newer configuration);
 * `known()` answers from what was read, refreshing it when older than `refreshMs`.
 */
export interface QueueRegistry {
  /** This process's shards, in order (a job's queue is `queueOfJob(jobId, configured)`). */
  readonly configured: readonly string[];
  /** Records the configured shards in Redis and reads every registered queue. */
  register(): Promise<readonly string[]>;
  /** Every queue in use: the configured first, then the others registered (read at most `refreshMs` ago). */
  known(): Promise<readonly string[]>;
}

export interface QueueRegistryOptions {
  prefix: string;
  shards: number;
  /** One queue of this name instead of the shards (tests that keep a queue of their own). */
  names?: readonly string[];
  refreshMs?: number;
  now?: () => number;
}

export function createQueueRegistry(redis: RegistryRedis, options: QueueRegistryOptions): QueueRegistry {
  const configured = options.names ?? shardQueueNames(options.shards);
  const key = queueRegistryKey(options.prefix);
  const refreshMs = options.refreshMs ?? QUEUE_REGISTRY_REFRESH_MS;
  const now = options.now ?? Date.now;
  let all: readonly string[] = configured;
  let readAt = -Infinity;
  let registered = false;

  async function read(): Promise<readonly string[]> {
    if (!registered) {
      await redis.sadd(key, ...configured);
      registered = true;
    }
    const others = (await redis.smembers(key)).filter((name) => isQueueName(name) && !configured.includes(name)).sort(byShardNumber);
    all = [...configured, ...others];
    readAt = now();
    return all;
  }

  return {
    configured,
    register: read,
    known: () => (now() - readAt < refreshMs ? Promise.resolve(all) : read()),
  };
}

/**
 * What a process keeps per queue in use (a BullMQ Queue, with svcbot's keys beside it or not), made when
 * first needed; and a job looked up in its home queue first, then in every other queue in use at once.
 */
export interface QueueSet<Q> {
  /** The queue a new job of this id goes to (its Service's among the configured shards). */
  home(jobId: string): Q;
  /** Every queue in use: the configured shards, then the others registered. */
  all(): Promise<Q[]>;
  /** The queues made so far (what to close). */
  made(): Q[];
  /** The job of this id and the queue holding it, if any. */
  locate<J>(jobId: string, getJob: (queue: Q) => Promise<J | undefined>): Promise<{ at: Q; job: J } | undefined>;
}

export function createQueueSet<Q>(registry: QueueRegistry, make: (name: string) => Q): QueueSet<Q> {
  const queues = new Map<string, Q>();
  const at = (name: string): Q => {
    let queue = queues.get(name);
    if (queue === undefined) {
      queue = make(name);
      queues.set(name, queue);
    }
    return queue;
  };
  const all = async (): Promise<Q[]> => (await registry.known()).map(at);
  const home = (jobId: string): Q => at(queueOfJob(jobId, registry.configured));
  return {
    home,
    all,
    made: () => [...queues.values()],
    async locate(jobId, getJob) {
      const first = home(jobId);
      const job = await getJob(first);
      if (job !== undefined) return { at: first, job };
      // Not there (a new job, or one of another shard count): the other queues at once, not one after another.
      const others = (await all()).filter((queue) => queue !== first);
      const found = await Promise.all(others.map(async (queue) => ({ at: queue, job: await getJob(queue) })));
      const hit = found.find((f) => f.job !== undefined);
      return hit?.job !== undefined ? { at: hit.at, job: hit.job } : undefined;
    },
  };
}

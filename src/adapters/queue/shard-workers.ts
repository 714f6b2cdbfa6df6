/**
 * One worker process over every queue in use (shards.ts): a BullMQ worker per queue, started for the
 * configured shards at once and for the other registered queues (a retired shard count's, or a newer
 * configuration's) as soon as the registry is read — and again whenever a look at it (every
 * `refreshMs`) finds a queue this process does not work yet, so that a rolling change of
 * JOB_QUEUE_SHARDS leaves no job in a queue nobody works.
 *
 * JOB_CONCURRENCY stays the process's figure: it is split over the configured shards (at least one slot
 * each), since the jobs spread evenly over them by Service. A retired queue's worker gets a shard's share.
 */
import type { JobWorker } from '../../ports/jobs.js';
import type { Logger } from '../../ports/logger.js';
import { QUEUE_REGISTRY_REFRESH_MS, type QueueRegistry } from './shards.js';

export interface ShardWorkersOptions {
  registry: QueueRegistry;
  /** Jobs the process runs at once, over all its queues. */
  concurrency: number;
  logger: Logger;
  /** Starts the worker of one queue with its share of the slots. */
  startOne(queueName: string, concurrency: number): JobWorker;
  refreshMs?: number;
}

/** The slots of each queue's worker: the process's concurrency shared by its shards, at least one. */
export function perQueueConcurrency(concurrency: number, shards: number): number {
  return Math.max(1, Math.ceil(concurrency / shards));
}

export function startShardWorkers(options: ShardWorkersOptions): JobWorker {
  const { registry } = options;
  const log = options.logger.child({ component: 'worker' });
  const share = perQueueConcurrency(options.concurrency, registry.configured.length);
  const workers = new Map<string, JobWorker>();
  let closed = false;

  function workAll(names: readonly string[]): Promise<void>[] {
    const started: Promise<void>[] = [];
    for (const name of names) {
      if (closed || workers.has(name)) continue;
      if (!registry.configured.includes(name)) log.info({ queue: name }, 'working a queue of another shard count too, until it is empty');
      const worker = options.startOne(name, share);
      workers.set(name, worker);
      started.push(worker.ready);
    }
    return started;
  }

  const first = workAll(registry.configured);
  const ready = Promise.all([
    ...first,
    registry.register().then((names) => Promise.all(workAll(names))),
  ]).then(() => undefined);
  ready.catch(() => undefined);

  const refresh = setInterval(() => {
    registry
      .known()
      .then((names) => Promise.all(workAll(names)))
      .catch((err: unknown) => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'worker: could not read the queues in use'));
  }, options.refreshMs ?? QUEUE_REGISTRY_REFRESH_MS);
  refresh.unref();

  let closing: Promise<void> | undefined;
  return {
    ready,
    close() {
      closing ??= (async () => {
        closed = true;
        clearInterval(refresh);
        await Promise.all([...workers.values()].map((worker) => worker.close()));
      })();
      return closing;
    },
  };
}

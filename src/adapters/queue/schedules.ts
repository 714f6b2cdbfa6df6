/**
 * The schedules port on BullMQ job schedulers: each schedule name has a queue of its own,
 * `${prefix}:schedule-${name}:` (beside the load-balancer jobs' `${prefix}:lb-jobs:`), holding one job
 * scheduler (id = the name) and a worker in every process that registered the name.
 *
 * Once per tick: the scheduler's job for a tick has the id `repeat:<name>:<tick ms>`, so every process
 * upserting the same schedule makes the same one job, and BullMQ gives a job to one worker; the job of
 * the next tick is added when a worker takes this one (by a script that adds it only while this job is
 * the scheduler's latest, so once). A tick is tried once
 * (a late report is no use): a failing run is logged and recorded as failed, and the next tick runs as
 * usual. A tick due while every process was down runs once when a worker is back (then the schedule goes
 * on from now: the ticks missed meanwhile are not made up); its `dueAt` says how late it is.
 *
 * `every` leaves a stored scheduler alone when its pattern and time zone are the ones asked for: upserting
 * removes the tick's job when nobody took it yet, which at a deployment at the very second of a tick
 * would lose it. A changed pattern is upserted, and takes effect at once.
 *
 * A process dying mid-tick: the job's lock lapses and BullMQ's stalled-job check gives the tick to
 * another process, which runs it again. close() waits for a running tick (`graceMs`), then aborts its
 * signal; a run that then throws has its tick handed back (due now) for another process to run. Idle,
 * it returns in milliseconds, Redis up or down. (With Redis down, BullMQ's watchdog of the worker's
 * blocking fetch, a timer of up to 6 s, outlives the forced close; cli.ts exits explicitly anyway.)
 */
import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import { checkSchedule } from '../../domain/cron.js';
import type { Logger } from '../../ports/logger.js';
import type { CronSchedule, ScheduledTask, Schedules } from '../../ports/schedule.js';
import { withDeadline } from '../../domain/deadline.js';
import { bullmqConnection, bullmqQueueName, connectRedis, type RedisTarget } from '../redis/connection.js';

export interface BullmqSchedulesOptions {
  redis: RedisTarget;
  /** BullMQ key prefix (REDIS_PREFIX), as the job queue's. */
  prefix: string;
  logger: Logger;
  /** A running tick's lock and the stalled-job check (see `stalledSettings` in index.ts). */
  stalled: { lockDurationMs: number; stalledIntervalMs: number };
  /** How long close() waits for a running tick before aborting its signal. Default 5 s. */
  graceMs?: number;
  /** close() returns within this time whatever the tasks do. Default graceMs + 2 s. */
  closeTimeoutMs?: number;
  /** Deadline of `every`'s Redis calls, ms. Default 5 s. */
  timeoutMs?: number;
  /** Finished ticks kept (each of completed and failed), to look at. Default 20. */
  keepFinished?: number;
}

/** The BullMQ queue of schedule `name` (in a hash tag on a Redis Cluster: see redis/connection.ts). */
export function scheduleQueueName(name: string): string {
  return `schedule-${name}`;
}

interface Registered {
  queue: Queue;
  worker?: Worker;
  run: ScheduledTask;
}

interface RunningTick {
  controller: AbortController;
}

export function createBullmqSchedules(options: BullmqSchedulesOptions): Schedules {
  const { prefix } = options;
  const queueNameOf = (name: string) => bullmqQueueName(options.redis, scheduleQueueName(name));
  // The workers' connections to close after the workers (a Cluster client each on a Redis Cluster).
  const workerConnections: (() => void)[] = [];
  const log = options.logger.child({ component: 'schedules' });
  const graceMs = options.graceMs ?? 5000;
  const closeTimeoutMs = options.closeTimeoutMs ?? graceMs + 2000;
  const timeoutMs = options.timeoutMs ?? 5000;
  const keep = options.keepFinished ?? 20;
  const registered = new Map<string, Registered>();
  const running = new Map<string, RunningTick>();
  // Ticks whose run has returned while BullMQ records the outcome: close() waits for these too, or the
  // job would be left active, stall, and run again elsewhere.
  const settling = new Set<string>();
  const idleWaiters: (() => void)[] = [];
  let closeStarted = false;
  let closing: Promise<void> | undefined;

  // For the schedulers (upserts); the workers have connections of their own. Connects on first use.
  const redis = connectRedis(options.redis, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: timeoutMs, disconnectTimeout: 500 });
  let lastErrorLogged = 0;
  const logError = (what: string) => (err: Error) => {
    // ioredis and BullMQ report every failed reconnection attempt; log at most one every 10 s.
    if (Date.now() - lastErrorLogged > 10_000) {
      lastErrorLogged = Date.now();
      log.warn({ err: err.message }, `schedules: ${what}`);
    }
  };
  redis.on('error', logError('Redis connection error'));

  const isIdle = () => running.size === 0 && settling.size === 0;
  function notifyIfIdle(): void {
    if (isIdle()) for (const wake of idleWaiters.splice(0)) wake();
  }
  const idle = () => (isIdle() ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve)));

  /** Upserts the scheduler unless the stored one already has this pattern and time zone, and its next job. */
  async function store(queue: Queue, name: string, schedule: CronSchedule): Promise<void> {
    const stored = await queue.getJobScheduler(name);
    if (stored?.pattern === schedule.cron && stored.tz === schedule.timeZone && stored.next !== undefined) {
      if (await queue.getJob(`repeat:${name}:${stored.next}`)) return;
    }
    await queue.upsertJobScheduler(
      name,
      { pattern: schedule.cron, tz: schedule.timeZone },
      { name, data: {}, opts: { attempts: 1, removeOnComplete: { count: keep }, removeOnFail: { count: keep } } },
    );
  }

  function startWorker(name: string, entry: Registered): Worker {
    const tickPrefix = `repeat:${name}:`;
    const processTick = async (job: Job, token?: string): Promise<void> => {
      const jobId = job.id ?? '';
      if (closeStarted && token !== undefined) {
        // Taken in the last instant before close() paused the worker: hand it straight back.
        await job.moveToDelayed(Date.now(), token);
        throw new DelayedError('handed back at shutdown');
      }
      // The tick's time is in the job's id (BullMQ's `repeat:<scheduler id>:<tick ms>`).
      const dueAt = jobId.startsWith(tickPrefix) ? Number(jobId.slice(tickPrefix.length)) : job.timestamp;
      const controller = new AbortController();
      running.set(jobId, { controller });
      try {
        await entry.run({ dueAt, signal: controller.signal });
        settling.add(jobId);
      } catch (err) {
        if (controller.signal.aborted && token !== undefined) {
          await job.moveToDelayed(Date.now(), token);
          log.info({ schedule: name, dueAt: new Date(dueAt).toISOString() }, 'scheduled task handed back at shutdown');
          throw new DelayedError('handed back at shutdown');
        }
        log.error({ schedule: name, dueAt: new Date(dueAt).toISOString(), err: err instanceof Error ? err.message : String(err) }, 'scheduled task failed');
        settling.add(jobId);
        throw err;
      } finally {
        running.delete(jobId);
        notifyIfIdle();
      }
    };
    const connection = bullmqConnection(options.redis, { disconnectTimeout: 500 });
    workerConnections.push(() => connection.close());
    const worker = new Worker(queueNameOf(name), processTick, {
      connection: connection.connection,
      prefix,
      // Ticks of one schedule run one at a time in a process (the next one may run in another).
      concurrency: 1,
      lockDuration: options.stalled.lockDurationMs,
      stalledInterval: options.stalled.stalledIntervalMs,
      maxStalledCount: 1,
    });
    worker.on('error', logError('worker: Redis or processing error'));
    const settled = (jobId: string | undefined): void => {
      if (jobId !== undefined && settling.delete(jobId)) notifyIfIdle();
    };
    worker.on('completed', (job) => settled(job.id));
    worker.on('failed', (job) => settled(job?.id));
    return worker;
  }

  return {
    async every(name, schedule, run) {
      checkSchedule(name, schedule);
      if (closeStarted) throw new Error(`schedule "${name}": the schedules are closed`);
      let entry = registered.get(name);
      const isNew = entry === undefined;
      if (!entry) {
        const queue = new Queue(queueNameOf(name), { connection: redis, prefix });
        queue.on('error', () => {
          // Reported through the connection's own 'error' event above.
        });
        entry = { queue, run };
        registered.set(name, entry);
      }
      entry.run = run;
      try {
        const stored = await withDeadline(store(entry.queue, name, schedule).then(() => true), timeoutMs);
        if (stored === undefined) throw new Error(`Redis did not answer within ${timeoutMs} ms`);
      } catch (err) {
        if (isNew) {
          registered.delete(name);
          await entry.queue.close().catch(() => undefined);
        }
        throw new Error(`schedule "${name}": could not store it: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      if (!entry.worker && !closeStarted) entry.worker = startWorker(name, entry);
    },

    close() {
      // As the job worker's close() (bullmq-worker.ts): not BullMQ's graceful close, which waits for the
      // worker's blocking fetch; ticks are drained here, then BullMQ closed with force.
      closing ??= (async () => {
        closeStarted = true;
        const deadline = Date.now() + Math.max(0, closeTimeoutMs - 500);
        const left = () => Math.max(0, deadline - Date.now());
        const workers = [...registered.values()].flatMap((e) => (e.worker ? [e.worker] : []));
        await withDeadline(Promise.all(workers.map((w) => w.pause(true).catch(() => undefined))), Math.min(250, left()));
        if ((await withDeadline(idle().then(() => true), Math.min(graceMs, left()))) === undefined && running.size > 0) {
          log.info({ ticks: [...running.keys()] }, 'shutdown: aborting running scheduled tasks to hand them back');
          for (const tick of running.values()) tick.controller.abort(new Error('shutting down'));
          if ((await withDeadline(idle().then(() => true), Math.max(0, left() - 800))) === undefined) {
            log.warn({ ticks: [...running.keys(), ...settling] }, 'shutdown: scheduled tasks still running; left to stalled-job recovery');
          }
        }
        await withDeadline(Promise.all(workers.map((w) => w.close(true).catch(() => undefined))), Math.max(100, left() - 300));
        for (const close of workerConnections.splice(0)) close();
        await withDeadline(Promise.all([...registered.values()].map((e) => e.queue.close().catch(() => undefined))), 250);
        if (redis.status === 'ready') await withDeadline(redis.quit().catch(() => undefined), 250);
        redis.disconnect();
      })();
      return closing;
    },
  };
}

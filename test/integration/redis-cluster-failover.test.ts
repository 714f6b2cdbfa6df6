/**
 * A master of the Redis Cluster dies mid-flow (its replica takes over): the connections svcbot makes
 * (connection.ts) ride the failover — the running jobs finish, each job's exactly-once effect happens
 * once, the web side's queue takes and lists jobs again within seconds, and a cancel still reaches the
 * worker running the job. A cluster of this file's own (it loses a master).
 */
import { pino } from 'pino';
import { createRedisJobQueue, createRedisJobWorker } from '../../src/adapters/queue/index.js';
import type { LbJobData } from '../../src/domain/lb-jobs.js';
import type { JobWorker } from '../../src/ports/jobs.js';
import { startRedisCluster, type LocalRedisCluster } from '../helpers/redis-cluster.js';
import { waitFor } from '../helpers/wait.js';

const logger = pino({ level: 'silent' });
const prefix = `svcbot-test-${Math.random().toString(36).slice(2, 10)}`;

let cluster: LocalRedisCluster;
beforeAll(async () => {
  cluster = await startRedisCluster();
}, 60_000);
afterAll(() => cluster?.stop());

function job(name: string): LbJobData {
  return { version: 1, operation: 'provision', cluster: 'prod', namespace: 'default', name, requester: { userId: 'U1', channelId: 'C1' }, requestedAt: Date.now() };
}

test("killing the master of the job queue's slot mid-flow: running jobs finish, each effect once, the queue answers again", async () => {
  const redis = { clusterNodes: cluster.nodes };
  const queue = createRedisJobQueue({ redis, prefix, logger });
  const runtime = createRedisJobWorker({ redis, prefix, logger, concurrency: 10, lockTimeoutMs: 4000, graceMs: 200, closeTimeoutMs: 3000, heartbeatMs: 2000 });
  const effects = new Map<string, number>();
  const started = new Set<string>();
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  let worker: JobWorker | undefined;
  try {
    worker = runtime.start(async (ctx) => {
      await runtime.once.run(`effect:${ctx.id}`, () => {
        effects.set(ctx.data.name, (effects.get(ctx.data.name) ?? 0) + 1);
        return Promise.resolve('posted');
      });
      started.add(ctx.data.name);
      if (ctx.data.name === 'fo-cancel') {
        // Runs until cancelled: the cancel reaches it over the pub/sub of the cluster.
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
        throw ctx.signal.reason;
      }
      await released;
      return 'done';
    });
    await worker.ready;
    const names = ['fo-0', 'fo-1', 'fo-2', 'fo-3', 'fo-4'];
    for (const name of names) await queue.enqueue(job(name));
    await waitFor(() => names.every((n) => started.has(n)), { what: 'every job to be running', timeoutMs: 10_000 });

    await cluster.killMaster(`${prefix}:{lb-jobs}:meta`);
    release();

    const listed = await waitFor(
      async () => {
        const jobs = await queue.list('prod').catch(() => []);
        return names.every((n) => jobs.some((j) => j.name === n && j.state === 'completed')) && jobs;
      },
      { what: 'every job to complete after the failover', timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(listed.filter((j) => names.includes(j.name)).map((j) => j.state)).toEqual(names.map(() => 'completed'));
    expect(names.map((n) => effects.get(n))).toEqual(names.map(() => 1));

    // The web side's queue takes new jobs on the promoted replica, and a worker runs them.
    await queue.enqueue(job('fo-after'));
    await waitFor(async () => (await queue.list('prod')).some((j) => j.name === 'fo-after' && j.state === 'completed'), {
      what: 'a job submitted after the failover to complete',
      timeoutMs: 10_000,
    });
    // A cancel still reaches the worker running the job (its subscription survived the failover).
    const { jobId } = await queue.enqueue(job('fo-cancel'));
    await waitFor(() => started.has('fo-cancel'), { what: 'the job to be cancelled to run', timeoutMs: 10_000 });
    expect(await queue.cancel(jobId, 'U2')).toBe('cancelled');
    await waitFor(async () => (await queue.list('prod')).some((j) => j.name === 'fo-cancel' && j.state === 'cancelled'), {
      what: 'the job to end cancelled',
      timeoutMs: 10_000,
    });
  } finally {
    release();
    await runtime.close();
    await queue.close();
  }
}, 60_000);

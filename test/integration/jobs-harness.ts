/**
 * A minimal load-balancer worker for the job tests: the sandbox (real HTTP APIs and DNS), real Redis (one
 * Redis, or a Redis Cluster given as `redis`) with a queue of the test's own, the real worker adapter (`startLbWorker`, so jobs run through the real job
 * context) around `makeLbProcessor`, the Slack stub behind the real WebClient notifier, and the real
 * Service watch. `close()` removes the queue and the keys it made.
 */
import { WebClient } from '@slack/web-api';
import { Queue, type Job } from 'bullmq';
import pino from 'pino';
import { createHostnameResolver } from '../../src/adapters/dns.js';
import { startLbWorker, type LbWorker } from '../../src/adapters/queue/bullmq-worker.js';
import { BACKOFF_TYPE } from '../../src/adapters/queue/keys.js';
import { createRedisLatestChanges } from '../../src/adapters/queue/latest-changes.js';
import { createRedisOnceGuard } from '../../src/adapters/queue/once.js';
import { bullmqWaker } from '../../src/adapters/queue/waker.js';
import { createKubernetesServiceWatch } from '../../src/adapters/kubernetes-watch.js';
import { createSlackReplies } from '../../src/adapters/slack/replies.js';
import { bullmqQueueName, connectRedis, type RedisConnection, type RedisTarget } from '../../src/adapters/redis/connection.js';
import { loadConfig } from '../../src/config/index.js';
import { lbJobId, type LbJobData } from '../../src/domain/lb-jobs.js';
import { serviceManifest } from '../../src/domain/manifest.js';
import type { ServiceWatch } from '../../src/ports/service-watch.js';
import type { SandboxOptions } from '../../sandbox/index.js';
import { createLbJobDeps, makeLbProcessor, type LbJobResult, type LbJobRuntime, type ProbeRates } from '../../jobs/index.js';
import { sandboxKubeConfig, startSandboxTarget, type SandboxTarget } from '../contract/sandbox-fixtures.js';
import { startSlackStub, type RecordedCall, type SlackStub } from '../helpers/slack-stub.js';
import { waitFor } from '../helpers/wait.js';
import { testAuditTrail } from '../helpers/governance.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface JobsHarness {
  target: SandboxTarget;
  slack: SlackStub;
  queue: Queue<LbJobData, LbJobResult>;
  worker: LbWorker;
  watch: ServiceWatch;
  runtime: LbJobRuntime;
  redis: RedisConnection;
  prefix: string;
  enqueue(data: LbJobData): Promise<Job<LbJobData, LbJobResult>>;
  /** Waits until the job completes or fails; returns its final state. */
  settle(job: Job<LbJobData, LbJobResult>, timeoutMs?: number): Promise<{ state: 'completed' | 'failed'; job: Job<LbJobData, LbJobResult> }>;
  /** Slack calls about one progress message (its ts), in order. */
  updatesOf(ts: string): RecordedCall[];
  /**
   * The progress message of Service `name` once it shows how the job ended (the final update is sent by
   * the shared board after the job finishes, within a second or so).
   */
  finalProgress(name: string): Promise<string>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  sandbox?: SandboxOptions;
  timeoutMs?: number;
  maxParkMs?: number;
  progressIntervalMs?: number;
  rates?: ProbeRates;
  attempts?: number;
  /** Where the queue and svcbot's keys live. Default: one Redis at REDIS_URL. */
  redis?: { target: RedisTarget; removeKeys(prefix: string): Promise<void> };
}

/** Text only a finished job's progress message has. */
const FINAL_MARKS = ['Ready:', 'no further charges', 'Stuck at', 'may be an orphan', 'Cancelled'];

let seq = 0;
export function uniqueName(prefix: string): string {
  seq += 1;
  return `${prefix}-${seq}-${Math.random().toString(36).slice(2, 6)}`;
}

export function lbManifest(name: string, type: 'LoadBalancer' | 'ClusterIP' = 'LoadBalancer') {
  return serviceManifest({
    name,
    namespace: 'default',
    selector: { app: 'alpine' },
    ports: [
      { name: 'http', port: 80, targetPort: 80, protocol: 'TCP' },
      { name: 'redis', port: 6379, targetPort: 6379, protocol: 'TCP' },
    ],
    type,
  });
}

export function jobData(operation: LbJobData['operation'], cluster: string, name: string, extra: Partial<LbJobData> = {}): LbJobData {
  return {
    version: 1,
    operation,
    cluster,
    namespace: 'default',
    name,
    requester: { userId: 'U123ABC', channelId: 'C0JOBS' },
    requestedAt: Date.now(),
    ...extra,
  };
}

export async function startJobsHarness(opts: HarnessOptions = {}): Promise<JobsHarness> {
  const target = await startSandboxTarget(opts.sandbox ?? {});
  const slack = await startSlackStub();
  const sandbox = target.sandbox;
  const prefix = `svcbot-test-${Math.random().toString(36).slice(2, 10)}`;
  const redisTarget = opts.redis?.target ?? { url: REDIS_URL };
  // On a Redis Cluster the queue's name is a hash tag (`{lb}`), as svcbot names its own.
  const queueName = bullmqQueueName(redisTarget, 'lb');
  const redis = connectRedis(redisTarget, { maxRetriesPerRequest: null });
  const queue = new Queue<LbJobData, LbJobResult>(queueName, { connection: redis, prefix });
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
  const watch = createKubernetesServiceWatch({ kubeConfig: () => sandboxKubeConfig(sandbox), minBackoffMs: 20, maxBackoffMs: 200, logger });
  const trail = testAuditTrail();
  const runtime = createLbJobDeps({
    clusters: target.registry,
    audit: trail.audit,
    watch,
    resolver: createHostnameResolver(loadConfig({ DNS_SERVERS: sandbox.info.dnsServer }).dnsServers, { timeoutMs: 500, tries: 1 }),
    replies: createSlackReplies(new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } })),
    once: createRedisOnceGuard(redis, { prefix: `${prefix}:${queueName}` }),
    changes: createRedisLatestChanges(redis, { prefix }),
    waker: bullmqWaker(queue),
    logger,
    rates: { dnsPerSecond: 200, elbPerSecond: 50, kubePerSecond: 50, ...opts.rates },
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    maxParkMs: opts.maxParkMs ?? 5000,
    progressIntervalMs: opts.progressIntervalMs ?? 1000,
  });
  const worker = startLbWorker({
    connection: redisTarget,
    queueName: 'lb',
    prefix,
    processor: makeLbProcessor(runtime.deps),
    concurrency: 20,
    logger,
    backoff: { baseMs: 50, maxMs: 400 },
  });
  await worker.ready;

  return {
    target,
    slack,
    queue,
    worker,
    watch,
    runtime,
    redis,
    prefix,
    enqueue: (data) =>
      queue.add(data.operation, data, {
        jobId: lbJobId(data.operation, data.cluster, data.namespace, data.name),
        attempts: opts.attempts ?? 8,
        backoff: { type: BACKOFF_TYPE },
      }),
    async settle(job, timeoutMs = 15_000) {
      const state = await waitFor(
        async () => {
          const s = await job.getState();
          return s === 'completed' || s === 'failed' ? s : undefined;
        },
        { timeoutMs, intervalMs: 25, what: `job ${job.id ?? ''} to finish` },
      );
      const fresh = await queue.getJob(job.id ?? '');
      if (!fresh) throw new Error(`job ${job.id ?? ''} vanished`);
      return { state, job: fresh };
    },
    updatesOf: (ts) => slack.calls.filter((c) => c.method === 'chat.update' && c.body.ts === ts),
    finalProgress: (name) =>
      waitFor(
        () =>
          slack.calls
            .filter((c) => c.method === 'chat.update' && String(c.body.text).includes(`default/${name}\``))
            .map((c) => String(c.body.text))
            .find((t) => FINAL_MARKS.some((m) => t.includes(m))),
        { what: `the final progress of ${name}` },
      ),
    async close() {
      await worker.close();
      await runtime.close();
      await watch.close();
      await queue.obliterate({ force: true });
      await queue.close();
      redis.disconnect();
      if (opts.redis) {
        await opts.redis.removeKeys(prefix);
      } else {
        const admin = connectRedis(redisTarget);
        const keys = await admin.keys(`${prefix}:*`);
        if (keys.length > 0) await admin.del(...keys);
        admin.disconnect();
      }
      await slack.close();
      await target.close();
    },
  };
}

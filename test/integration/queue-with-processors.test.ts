/**
 * The queue side and the processors together, on the sandbox and real Redis: jobs enqueued through the
 * BullMQ queue adapter, run by `startLbWorker` around `makeLbProcessor`, listed and cancelled through
 * the LbJobQueue port (what `/svc jobs` and `/svc cancel` will call once wired).
 */
import { WebClient } from '@slack/web-api';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createLbJobDeps, makeLbProcessor, type LbJobRuntime } from '../../jobs/index.js';
import { createHostnameResolver } from '../../src/adapters/dns.js';
import { createKubernetesServiceWatch } from '../../src/adapters/kubernetes-watch.js';
import { createBullmqLbJobQueue, type BullmqLbJobQueue } from '../../src/adapters/queue/bullmq-queue.js';
import { startLbWorker, type LbWorker } from '../../src/adapters/queue/bullmq-worker.js';
import { createRedisLatestChanges } from '../../src/adapters/queue/latest-changes.js';
import { createRedisOnceGuard } from '../../src/adapters/queue/once.js';
import { bullmqWaker } from '../../src/adapters/queue/waker.js';
import { createSlackReplies } from '../../src/adapters/slack/replies.js';
import { loadConfig } from '../../src/config/index.js';
import type { LbJobData } from '../../src/domain/lb-jobs.js';
import { serviceManifest } from '../../src/domain/manifest.js';
import type { LbJobSummary } from '../../src/ports/queue.js';
import type { ServiceWatch } from '../../src/ports/service-watch.js';
import { sandboxKubeConfig, startSandboxTarget, type SandboxTarget } from '../contract/sandbox-fixtures.js';
import { startSlackStub, type SlackStub } from '../helpers/slack-stub.js';
import { waitFor } from '../helpers/wait.js';
import { testAuditTrail } from '../helpers/governance.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const QUEUE = 'lb-jobs';
const prefix = `svcbot-test-${Math.random().toString(36).slice(2, 10)}`;
const logger = pino({ level: 'silent' });

let target: SandboxTarget;
let slack: SlackStub;
let redis: Redis;
let bullQueue: Queue<LbJobData>;
let watch: ServiceWatch;
let runtime: LbJobRuntime;
let queue: BullmqLbJobQueue;
let worker: LbWorker;

beforeAll(async () => {
  target = await startSandboxTarget({ provisionDelayMs: 150, dnsDelayMs: 300, instanceWarmupMs: 100 });
  slack = await startSlackStub();
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  bullQueue = new Queue<LbJobData>(QUEUE, { connection: redis, prefix }); // for the waker, and cleanup
  const sandbox = target.sandbox;
  watch = createKubernetesServiceWatch({ kubeConfig: () => sandboxKubeConfig(sandbox), minBackoffMs: 20, maxBackoffMs: 200, logger });
  runtime = createLbJobDeps({
    clusters: target.registry,
    audit: testAuditTrail().audit,
    watch,
    resolver: createHostnameResolver(loadConfig({ DNS_SERVERS: sandbox.info.dnsServer }).dnsServers, { timeoutMs: 500, tries: 1 }),
    replies: createSlackReplies(new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } })),
    once: createRedisOnceGuard(redis, { prefix: `${prefix}:${QUEUE}` }),
    changes: createRedisLatestChanges(redis, { prefix }),
    waker: bullmqWaker(bullQueue),
    logger,
    rates: { dnsPerSecond: 200, elbPerSecond: 50, kubePerSecond: 50 },
    timeoutMs: 20_000,
    maxParkMs: 5000,
    progressIntervalMs: 1000,
  });
  queue = createBullmqLbJobQueue({ redis: { url: REDIS_URL }, queueName: QUEUE, prefix, logger });
  worker = startLbWorker({ connection: { url: REDIS_URL }, queueName: QUEUE, prefix, logger, processor: makeLbProcessor(runtime.deps), concurrency: 20 });
  await worker.ready;
});

afterAll(async () => {
  await worker.close();
  await runtime.close();
  await watch.close();
  await queue.close();
  await bullQueue.obliterate({ force: true });
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await bullQueue.close();
  redis.disconnect();
  await slack.close();
  await target.close();
});

function provisionData(name: string): LbJobData {
  return {
    version: 1,
    operation: 'provision',
    cluster: target.sandbox.info.clusterName,
    namespace: 'default',
    name,
    manifest: serviceManifest({ name, namespace: 'default', selector: { app: 'alpine' }, ports: [{ name: 'http', port: 80, targetPort: 80, protocol: 'TCP' }], type: 'LoadBalancer' }),
    requester: { userId: 'U123ABC', channelId: 'C0JOBS' },
    requestedAt: Date.now(),
  };
}

async function summary(id: string): Promise<LbJobSummary | undefined> {
  return (await queue.list(target.sandbox.info.clusterName)).find((j) => j.id === id);
}

test('a provisioning enqueued through the queue adapter runs to ready on startLbWorker; a double submission is one job; /svc jobs shows it done', async () => {
  const name = `web-${Math.random().toString(36).slice(2, 6)}`;
  const { jobId, duplicate } = await queue.enqueue(provisionData(name));
  expect(duplicate).toBe(false);
  expect((await queue.enqueue(provisionData(name))).duplicate).toBe(true);
  const done = await waitFor(async () => {
    const j = await summary(jobId);
    return (j?.state === 'completed' || j?.state === 'failed') && j;
  }, { what: 'the provisioning to finish', timeoutMs: 15_000 });
  expect(done).toMatchObject({ state: 'completed', requesterId: 'U123ABC' });
  const endpointPosts = slack.calls.filter((c) => c.method === 'chat.postMessage' && c.body.thread_ts && String(c.body.text).includes(`default/${name}`));
  expect(endpointPosts).toHaveLength(1);
  expect(target.sandbox.cluster.getService('default', name)?.spec?.type).toBe('LoadBalancer');
});

test('/svc cancel of a provisioning in flight: the job ends cancelled, the Service is left as it is', async () => {
  const name = `slow-${Math.random().toString(36).slice(2, 6)}`;
  const { jobId } = await queue.enqueue(provisionData(name));
  await waitFor(async () => {
    const step = (await summary(jobId))?.step;
    return step !== undefined && step !== 'service' && step;
  }, { what: 'the job to get past creating the Service', timeoutMs: 10_000 });
  expect(await queue.cancel(jobId, 'U999')).toBe('cancelled');
  const cancelled = await waitFor(async () => {
    const j = await summary(jobId);
    return j?.state === 'cancelled' && j;
  }, { what: 'the job to end cancelled', timeoutMs: 10_000 });
  expect(cancelled.failedReason).toBe('cancelled by U999');
  expect(target.sandbox.cluster.getService('default', name)?.spec?.type).toBe('LoadBalancer');
});

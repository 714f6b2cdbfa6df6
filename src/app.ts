/**
 * Composition root: configuration -> clients -> adapters -> operations -> handlers -> the Slack app,
 * and the load-balancer job worker. The only module that wires concrete implementations together.
 *
 * Roles: `web` answers Slack and queues load-balancer jobs (it only produces); `worker` runs the jobs
 * (processors, the worker runtime, the Service watch); `both` (svcbot start) does both in one process.
 */
import type { CustomRoute } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { registerButtons } from '../handlers/buttons.js';
import { makeCommandHandler, type CommandHandler } from '../handlers/command.js';
import { registerSlashCommand } from '../handlers/slash-command.js';
import { createLbJobDeps, makeLbProcessor, type ProbeRates } from '../jobs/index.js';
import { createClusterRegistry, loadKubeConfig, type ClusterClientFactories } from './adapters/clusters.js';
import { createHostnameResolver } from './adapters/dns.js';
import { createKubernetesServiceWatch } from './adapters/kubernetes-watch.js';
import { createBullmqLbJobQueue, DEFAULT_QUEUE_NAME } from './adapters/queue/bullmq-queue.js';
import { startLbWorker } from './adapters/queue/bullmq-worker.js';
import { DEFAULT_PREFIX } from './adapters/queue/keys.js';
import { createRedisOnceGuard } from './adapters/queue/once.js';
import { bullmqWaker } from './adapters/queue/waker.js';
import { createSlackApp } from './adapters/slack/app.js';
import { createSlackNotifier } from './adapters/slack/notifier.js';
import type { Config } from './config/index.js';
import { makeJobCommands } from './domain/job-commands.js';
import { makeOperations, type ProgressPoster } from './domain/operations.js';
import { emptyState, progressView } from './domain/progress.js';
import type { Notifier } from './ports/notifier.js';
import { renderProgress } from './render/progress.js';

export interface RunningApp {
  /** The HTTP port Slack's requests arrive on (HTTP mode), or undefined in Socket Mode or as a worker. */
  port: number | undefined;
  stop(): Promise<void>;
}

export type AppRole = 'web' | 'worker' | 'both';

/** Where the load-balancer jobs live in Redis, and how the worker runs them (tests shorten the waits). */
export interface JobOverrides {
  /** BullMQ key prefix (default `svcbot`); tests use one of their own. */
  prefix?: string;
  queueName?: string;
  /** The notifier jobs (and the web side's progress message) use; default: Slack's Web API with the bot token. */
  notifier?: Notifier;
  concurrency?: number;
  timeoutMs?: number;
  maxParkMs?: number;
  progressIntervalMs?: number;
  rates?: ProbeRates;
  /** The Service watch's retry delays. */
  watchBackoffMs?: { min: number; max: number };
  /** How long the worker's close() lets running steps finish before handing them back. */
  graceMs?: number;
}

/** How clients are made; the defaults read the configured files and the AWS SDK's standard chain. */
export interface AppOverrides extends ClusterClientFactories {
  role?: AppRole;
  /** Load-balancer jobs; `false` runs without them (changes are made directly, no Redis needed). */
  jobs?: JobOverrides | false;
}

const healthRoutes: CustomRoute[] = [
  {
    path: '/healthz',
    method: ['GET'],
    handler: (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"ok"}');
    },
  },
];

function queueLocation(jobs: JobOverrides) {
  return { prefix: jobs.prefix ?? DEFAULT_PREFIX, queueName: jobs.queueName ?? DEFAULT_QUEUE_NAME };
}

function slackNotifier(config: Config): Notifier {
  return createSlackNotifier(new WebClient(config.slack.botToken, { slackApiUrl: config.slack.apiUrl }));
}

function progressPoster(notifier: Notifier): ProgressPoster {
  return {
    post: (data) =>
      notifier.post(
        data.requester.channelId,
        renderProgress(progressView(data, emptyState(), data.requestedAt)),
        data.requester.responseUrl ? { fallbackResponseUrl: data.requester.responseUrl } : {},
      ),
    replace: (ref, text) => notifier.update(ref, { text }),
  };
}

/**
 * The command handler over the configured clusters: what both Slack and the console run. With jobs
 * (the default), load-balancer changes are queued in Redis and `/svc jobs|cancel` work; `close()`
 * releases the clients and the queue's connection.
 */
export function createCommandHandling(
  config: Config,
  logger: Logger,
  overrides: AppOverrides = {},
): { handle: CommandHandler; clusterNames: readonly string[]; close: () => Promise<void> } {
  const clusters = createClusterRegistry(config.clusters, overrides);
  const jobs = overrides.jobs;
  if (jobs === false) {
    const handle = makeCommandHandler({ operations: makeOperations({ clusters }), commandName: config.slack.command, logger });
    return {
      handle,
      clusterNames: clusters.names,
      close: () => {
        clusters.close();
        return Promise.resolve();
      },
    };
  }
  const queue = createBullmqLbJobQueue({ redisUrl: config.redisUrl, ...queueLocation(jobs ?? {}), logger });
  const notifier = jobs?.notifier ?? slackNotifier(config);
  const operations = makeOperations({
    clusters,
    lbJobs: {
      queue,
      progress: progressPoster(notifier),
      onProgressPostFailed: (err) => logger.warn({ err }, 'could not post a job progress message; the job will post its own'),
    },
  });
  const handle = makeCommandHandler({
    operations,
    jobCommands: makeJobCommands({ clusters, queue }),
    commandName: config.slack.command,
    logger,
  });
  return {
    handle,
    clusterNames: clusters.names,
    async close() {
      await queue.close();
      clusters.close();
    },
  };
}

/**
 * The load-balancer job worker: processors over the configured clusters, one Service watch, the DNS
 * resolver DNS_SERVERS configures, and the BullMQ worker runtime. `close()` stops taking jobs, hands
 * running ones back and closes Redis (bounded: see startLbWorker).
 */
export function startJobWorker(config: Config, logger: Logger, overrides: AppOverrides = {}): { ready: Promise<void>; close(): Promise<void> } {
  const jobs = overrides.jobs === false ? {} : (overrides.jobs ?? {});
  const { prefix, queueName } = queueLocation(jobs);
  const log = logger.child({ role: 'worker' });
  const clusters = createClusterRegistry(config.clusters, overrides);
  const load = overrides.loadKubeConfig ?? loadKubeConfig;
  const byName = new Map(config.clusters.map((c) => [c.name, c]));
  const watch = createKubernetesServiceWatch({
    kubeConfig: (name) => {
      const cluster = byName.get(name);
      if (!cluster) throw new Error(`no cluster ${name} configured`);
      return load(cluster);
    },
    logger: log,
    ...(jobs.watchBackoffMs ? { minBackoffMs: jobs.watchBackoffMs.min, maxBackoffMs: jobs.watchBackoffMs.max } : {}),
  });
  // The exactly-once keys and the waker's promotions; retries forever, like the worker's own connections.
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null, disconnectTimeout: 500 });
  redis.on('error', () => {
    // The worker runtime logs Redis connection problems; this connection recovers by itself.
  });
  const wakeQueue = new Queue(queueName, { connection: redis, prefix });
  wakeQueue.on('error', () => {
    // As above.
  });
  const runtime = createLbJobDeps({
    clusters,
    watch,
    resolver: createHostnameResolver(config.dnsServers),
    notifier: jobs.notifier ?? slackNotifier(config),
    once: createRedisOnceGuard(redis, { prefix: `${prefix}:${queueName}` }),
    waker: bullmqWaker(wakeQueue),
    logger: log,
    rates: { dnsPerSecond: config.jobs.dnsQueriesPerSecond, elbPerSecond: config.jobs.elbCallsPerSecond, ...jobs.rates },
    timeoutMs: jobs.timeoutMs ?? config.jobs.timeoutMs,
    maxParkMs: jobs.maxParkMs ?? config.jobs.recheckMs,
    ...(jobs.progressIntervalMs !== undefined ? { progressIntervalMs: jobs.progressIntervalMs } : {}),
  });
  const worker = startLbWorker({
    connection: { url: config.redisUrl },
    queueName,
    prefix,
    processor: makeLbProcessor(runtime.deps),
    concurrency: jobs.concurrency ?? config.jobs.concurrency,
    // A crashed worker's jobs are taken over once their lock expires and the next stalled check runs.
    stalled: { lockDurationMs: config.jobs.lockTimeoutMs, stalledIntervalMs: config.jobs.lockTimeoutMs },
    logger: log,
    closeTimeoutMs: 7000,
    ...(jobs.graceMs !== undefined ? { graceMs: jobs.graceMs } : {}),
  });
  return {
    ready: worker.ready,
    async close() {
      await worker.close();
      await runtime.close();
      await watch.close();
      await wakeQueue.close().catch(() => undefined);
      redis.disconnect();
      clusters.close();
    },
  };
}

export async function startApp(config: Config, logger: Logger, overrides: AppOverrides = {}): Promise<RunningApp> {
  const role = overrides.role ?? 'both';
  const worker = role !== 'web' && overrides.jobs !== false ? startJobWorker(config, logger, overrides) : undefined;
  if (role === 'worker') {
    logger.info({ role, clusters: config.clusters.map((c) => c.name) }, 'svcbot is running load-balancer jobs');
    return { port: undefined, stop: () => worker?.close() ?? Promise.resolve() };
  }

  const commandName = config.slack.command;
  const { handle, clusterNames, close } = createCommandHandling(config, logger, overrides);

  const app = createSlackApp({ slack: config.slack, logger, customRoutes: healthRoutes });
  registerSlashCommand(app, { commandName, handle, logger });
  registerButtons(app, { handle, logger });

  const started: unknown = await app.start(config.port);
  const port = config.slack.socketMode ? undefined : ((started as Server).address() as AddressInfo).port;
  logger.info(
    { port, role, socketMode: config.slack.socketMode, command: commandName, clusters: clusterNames },
    'svcbot is listening for %s',
    commandName,
  );
  return {
    port,
    async stop() {
      // Stop answering first, then hand running jobs back, then close the connections.
      await app.stop();
      await worker?.close();
      await close();
    },
  };
}

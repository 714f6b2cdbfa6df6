/**
 * Composition root: the one module that knows every adapter.
 *
 * - `createSlackAdapters(config, logger, options)` builds what svcbot runs on in production: the Slack chat
 *   (Bolt) and replies, one shared cluster registry (Kubernetes + ELB clients per cluster), the job queue
 *   and the worker's Redis connections, the Service watch and the DNS resolver — each only if the role
 *   needs it. `createConsoleAdapters` builds the same with the console's text chat in place of Slack.
 * - `startSvcbot(config, adapters, role)` is svcbot itself: given a Config and adapters (ports only), it
 *   registers every listener and builds every service — operations, `/svc jobs|cancel`, the load-balancer
 *   job worker. `svcbot start|web|worker`, the console, the tests and the benchmarks all run it.
 *
 * Roles: `web` answers the chat and queues load-balancer jobs (it only produces); `worker` runs the jobs;
 * `both` (svcbot start, the console) does both in one process, on one set of adapters.
 *
 * Ownership: whoever creates adapters hands them to `startSvcbot`, which owns them from then on: its
 * `stop()` stops taking requests, hands running jobs back, then closes every adapter (`Adapters.close`).
 */
import { createLbJobDeps, makeLbProcessor, type LbJobResult } from '../jobs/index.js';
import { registerButtons } from '../handlers/buttons.js';
import { makeCommandHandler } from '../handlers/command.js';
import { registerSlashCommand } from '../handlers/slash-command.js';
import { createTextChat, type TextChat } from './adapters/console/text-chat.js';
import { createClusterRegistry, endpointClients, type ClusterClientFactories } from './adapters/clusters.js';
import { createHostnameResolver } from './adapters/dns.js';
import { createKubernetesServiceWatch } from './adapters/kubernetes-watch.js';
import { createMemoryJobs } from './adapters/memory/jobs.js';
import { createRedisJobQueue, createRedisJobWorker } from './adapters/queue/index.js';
import { createSlackChat, createSlackMessages } from './adapters/slack/index.js';
import type { Config } from './config/index.js';
import { makeJobCommands } from './domain/job-commands.js';
import type { LbJobData } from './domain/lb-jobs.js';
import { makeOperations } from './domain/operations.js';
import type { LatestChanges } from './ports/changes.js';
import type { ChatTransport } from './ports/chat.js';
import type { ClusterRegistry } from './ports/clusters.js';
import type { JobProcessor, JobWaker, JobWorker, OnceGuard } from './ports/jobs.js';
import type { Logger } from './ports/logger.js';
import type { LbJobQueue } from './ports/queue.js';
import type { Replies } from './ports/replies.js';
import type { HostnameResolver } from './ports/resolver.js';
import type { ServiceWatch } from './ports/service-watch.js';

export type Role = 'web' | 'worker' | 'both';

/** What a load-balancer job worker runs on. */
export interface WorkerAdapters {
  watch: ServiceWatch;
  resolver: HostnameResolver;
  once: OnceGuard;
  waker: JobWaker;
  changes: LatestChanges;
  /** Starts taking jobs with `processor`. */
  start(processor: JobProcessor<LbJobData, LbJobResult>): JobWorker;
}

/** What svcbot runs on: ports only. */
export interface Adapters {
  logger: Logger;
  /** One per process, shared by the command side and the worker. */
  clusters: ClusterRegistry;
  replies: Replies;
  /** Where commands and button presses arrive (web side). */
  chat?: ChatTransport;
  /** The job queue and the newest change of each Service (web side); without them, load-balancer changes are made directly. */
  jobs?: { queue: LbJobQueue; changes: LatestChanges };
  /** What the job worker needs (worker side). */
  worker?: WorkerAdapters;
  /** Closes everything above. */
  close(): Promise<void>;
}

export interface AdapterOptions {
  role: Role;
  /** How Kubernetes and ELB clients are made (default: the configured kubeconfig files and the AWS SDK's own chain). */
  clients?: ClusterClientFactories;
  /**
   * Where load-balancer jobs live: `redis` (REDIS_URL, under REDIS_PREFIX; the default and the only choice
   * for `svcbot start|web|worker`), `memory` (in this process: the console without Redis), or `false`: no
   * jobs at all; load-balancer changes are made directly and `/svc jobs|cancel` say jobs are not available
   * (tests and benchmarks of the direct path).
   */
  jobs?: 'redis' | 'memory' | false;
}

export interface RunningSvcbot {
  /** The HTTP port Slack's requests arrive on (HTTP mode), or undefined in Socket Mode, as a worker, or in the console. */
  port: number | undefined;
  stop(): Promise<void>;
}

/** The job backend's parts a role needs: the web side's queue, the worker's guard, waker and runtime. */
function jobAdapters(config: Config, logger: Logger, options: AdapterOptions) {
  const { role } = options;
  const log = logger.child({ role: 'worker' });
  if (options.jobs === 'memory') {
    const memory = createMemoryJobs({ logger: log, concurrency: config.jobs.concurrency, graceMs: config.jobs.shutdownGraceMs });
    return {
      jobs: role !== 'worker' ? { queue: memory.queue, changes: memory.changes } : undefined,
      worker: role !== 'web' ? { once: memory.once, waker: memory.waker, changes: memory.changes, start: (processor: JobProcessor<LbJobData, LbJobResult>) => memory.start(processor) } : undefined,
      close: () => memory.close(),
    };
  }
  if (options.jobs === false) return { jobs: undefined, worker: undefined, close: () => Promise.resolve() };
  const redis = { redisUrl: config.redisUrl, prefix: config.redisPrefix, logger };
  const queue = role !== 'worker' ? createRedisJobQueue(redis) : undefined;
  const graceMs = config.jobs.shutdownGraceMs;
  const redisWorker =
    role !== 'web'
      ? createRedisJobWorker({
          ...redis,
          logger: log,
          concurrency: config.jobs.concurrency,
          lockTimeoutMs: config.jobs.lockTimeoutMs,
          graceMs,
          // The process must be gone within 10 s of SIGTERM: the grace, then a little to hand back and close.
          closeTimeoutMs: Math.min(9000, graceMs + 2000),
        })
      : undefined;
  return {
    jobs: queue ? { queue, changes: queue.changes } : undefined,
    worker: redisWorker,
    async close() {
      await redisWorker?.close();
      await queue?.close();
    },
  };
}

/** The parts shared by every kind of adapters: clusters, the job backend, the worker's watch and resolver. */
function commonAdapters(config: Config, logger: Logger, options: AdapterOptions) {
  const registry = createClusterRegistry(config.clusters, options.clients);
  const backend = jobAdapters(config, logger, options);
  const runtime = backend.worker;
  const watch = runtime
    ? createKubernetesServiceWatch({ kubeConfig: (name) => registry.kubeConfig(name), logger: logger.child({ role: 'worker' }) })
    : undefined;
  const worker: WorkerAdapters | undefined =
    runtime && watch
      ? {
          watch,
          resolver: createHostnameResolver(config.dnsServers),
          once: runtime.once,
          waker: runtime.waker,
          changes: runtime.changes,
          start: (processor) => runtime.start(processor),
        }
      : undefined;
  return {
    clusters: registry,
    ...(backend.jobs ? { jobs: backend.jobs } : {}),
    ...(worker ? { worker } : {}),
    async close() {
      await backend.close();
      await watch?.close();
      registry.close();
    },
  };
}

/** Whether a Redis answers at a URL; removing a prefix's keys (the console's session, at its end). */
export { redisAnswers, removeRedisKeys } from './adapters/queue/index.js';

/** The bot token, checked with Slack before svcbot starts. */
export { checkSlackToken, type SlackTokenCheck } from './adapters/slack/index.js';

/** svcbot's adapters in production: Slack, the configured clusters and AWS, Redis. */
export function createSlackAdapters(config: Config, logger: Logger, options: AdapterOptions): Adapters {
  const common = commonAdapters(config, logger, options);
  if (options.role === 'worker') {
    return { logger, replies: createSlackMessages(config.slack), ...common };
  }
  const slack = createSlackChat({ slack: config.slack, port: config.port, logger });
  return { logger, replies: slack.replies, chat: slack.transport, ...common };
}

/** The console's adapters: its text chat instead of Slack, the rest as in production. */
export function createConsoleAdapters(
  config: Config,
  logger: Logger,
  options: AdapterOptions & { write: (text: string) => void },
): Adapters & { text: TextChat } {
  const text = createTextChat(options.write);
  return { logger, replies: text.replies, chat: text.transport, text, ...commonAdapters(config, logger, options) };
}

/** Clients for a cluster at fixed addresses (the sandbox's kubeconfig YAML and ELB endpoint). */
export { endpointClients };

/** The load-balancer job worker: processors over the ports, on the adapters' worker runtime. */
function startJobWorker(config: Config, adapters: Adapters, worker: WorkerAdapters): { close(): Promise<void> } {
  const log = adapters.logger.child({ role: 'worker' });
  const runtime = createLbJobDeps({
    clusters: adapters.clusters,
    watch: worker.watch,
    resolver: worker.resolver,
    replies: adapters.replies,
    once: worker.once,
    waker: worker.waker,
    changes: worker.changes,
    logger: log,
    rates: { dnsPerSecond: config.jobs.dnsQueriesPerSecond, elbPerSecond: config.jobs.elbCallsPerSecond },
    timeoutMs: config.jobs.timeoutMs,
    maxParkMs: config.jobs.recheckMs,
    progressIntervalMs: config.jobs.progressIntervalMs,
  });
  const running = worker.start(makeLbProcessor(runtime.deps));
  return {
    async close() {
      await running.close();
      await runtime.close();
    },
  };
}

/**
 * svcbot: registers the chat listeners (web side) and starts the job worker (worker side) over `adapters`,
 * which it owns from now on.
 */
export async function startSvcbot(config: Config, adapters: Adapters, role: Role = 'both'): Promise<RunningSvcbot> {
  const { logger, clusters, replies, chat, jobs } = adapters;
  if (role !== 'web' && !adapters.worker && jobs) throw new Error(`svcbot ${role} needs the job worker's adapters`);
  if (role !== 'worker' && !chat) throw new Error(`svcbot ${role} needs a chat to answer`);
  const worker = role !== 'web' && adapters.worker ? startJobWorker(config, adapters, adapters.worker) : undefined;

  let port: number | undefined;
  if (role !== 'worker' && chat) {
    const commandName = config.slack.command;
    const operations = makeOperations({ clusters, ...(jobs ? { lbJobs: jobs } : {}) });
    const handle = makeCommandHandler({
      operations,
      ...(jobs ? { jobCommands: makeJobCommands({ clusters, queue: jobs.queue }) } : {}),
      commandName,
      logger,
    });
    registerSlashCommand(chat, { commandName, handle, replies, logger });
    registerButtons(chat, { handle, replies, logger });
    ({ port } = await chat.start());
    logger.info(
      { port, role, socketMode: config.slack.socketMode, command: commandName, clusters: clusters.names },
      'svcbot is listening for %s',
      commandName,
    );
  } else {
    logger.info({ role, clusters: clusters.names }, 'svcbot is running load-balancer jobs');
  }

  let stopping: Promise<void> | undefined;
  return {
    port,
    stop() {
      // Stop answering first, then hand running jobs back, then close the connections.
      stopping ??= (async () => {
        await chat?.stop();
        await worker?.close();
        await adapters.close();
      })();
      return stopping;
    },
  };
}

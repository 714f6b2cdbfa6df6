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
import { auditChannel, makeApprovalNotices } from '../handlers/approval-notices.js';
import { registerButtons } from '../handlers/buttons.js';
import { makeCommandHandler } from '../handlers/command.js';
import { registerSlashCommand } from '../handlers/slash-command.js';
import { makeGrantNotices } from '../handlers/grant-notices.js';
import { createGrantExpiryQueue, startGrantExpiryWorker } from './adapters/queue/grant-expiry.js';
import { makeIngressGrants } from './domain/ingress-grants.js';
import type { GrantExpiry, GrantStore } from './ports/ingress-grants.js';
import { createNoDirectory } from './adapters/console/no-directory.js';
import { createTextChat, type TextChat } from './adapters/console/text-chat.js';
import { createMemoryApprovalStore } from './adapters/memory/approvals.js';
import { createMemoryAuditLog } from './adapters/memory/audit.js';
import { createMemoryOrphanState } from './adapters/memory/orphan-state.js';
import { createClassicInventory } from './adapters/elb-inventory.js';
import { combinedInventory, createV2Inventory } from './adapters/elbv2-inventory.js';
import { regionPacers } from './adapters/scan-pacer.js';
import { createOrphanTarget } from './adapters/orphan-target.js';
import { createLoadBalancerRemoval } from './adapters/load-balancer-removal.js';
import { createRedisGovernance } from './adapters/redis/index.js';
import { createClusterRegistry, endpointClients, type ClusterClientFactories } from './adapters/clusters.js';
import { createHostnameResolver } from './adapters/dns.js';
import { createKubernetesServiceWatch } from './adapters/kubernetes-watch.js';
import { createMemoryJobs } from './adapters/memory/jobs.js';
import { createMemoryReplayGuard } from './adapters/memory/replay-guard.js';
import { createRedisReplayGuard } from './adapters/redis/replay-guard.js';
import { createRedisPace } from './adapters/redis/pace.js';
import { createMemoryPace } from './adapters/memory/pace.js';
import type { SharedPace } from './ports/pace.js';
import { createRedisJobQueue, createRedisJobWorker, createRedisSchedules, redisAnswers as redisTargetAnswers, removeRedisKeys as removeTargetKeys, stalledSettings } from './adapters/queue/index.js';
import { redisTargetOf } from './adapters/redis/connection.js';
import { createMemorySchedules } from './adapters/memory/schedules.js';
import { postScheduledOrphanReport } from '../jobs/orphan-report.js';
import type { Schedules } from './ports/schedule.js';
import { createSlackAuthCheck, createSlackChat, createSlackDirectory, createSlackMessages } from './adapters/slack/index.js';
import { clusterApiCheck, createRedisProbe } from './adapters/health/checks.js';
import { healthRoutes } from './adapters/health/routes.js';
import { createHealthServer } from './adapters/health/server.js';
import { checkAws, checkKubernetes, checkRedis } from './adapters/health/startup.js';
import { makeReadiness } from './domain/readiness.js';
import { createPrometheusMetrics } from './adapters/metrics/prometheus.js';
import { noMetrics, type JobOutcome, type Metrics } from './ports/metrics.js';
import { JobParked, PermanentJobError } from './ports/jobs.js';
import type { ProbeServer, ReadinessCheck } from './ports/health.js';
import type { Config } from './config/index.js';
import { makeAccess } from './domain/access.js';
import { makeApprovalDecisions } from './domain/approval-decisions.js';
import { makeApprovalRequests } from './domain/approval-requests.js';
import { DEFAULT_ELB_HOURLY_USD } from './domain/approvals.js';
import { makeAuditTrail, type AuditTrail } from './domain/audit-trail.js';
import { makeGovernanceCommands } from './domain/governance-commands.js';
import { makeJobCommands } from './domain/job-commands.js';
import type { LbJobData } from './domain/lb-jobs.js';
import { makeOperations } from './domain/operations.js';
import { approvedRunner } from './domain/approved-runner.js';
import { makeOrphanCommands, type OrphanCommands, type OrphanTarget } from './domain/orphan-commands.js';
import { DEFAULT_LOAD_BALANCER_PRICES, type LoadBalancerPrices } from './domain/orphan-report.js';
import type { OrphanScanSources } from './domain/orphan-scan.js';
import type { LoadBalancerInventory } from './ports/load-balancer-inventory.js';
import type { OrphanStateStore } from './ports/orphan-state.js';
import type { ApprovalStore } from './ports/approvals.js';
import type { AuditLog } from './ports/audit.js';
import type { Directory } from './ports/directory.js';
import type { LatestChanges } from './ports/changes.js';
import type { ChatTransport } from './ports/chat.js';
import type { ClusterRegistry } from './ports/clusters.js';
import type { JobProcessor, JobWaker, JobWorker, OnceGuard } from './ports/jobs.js';
import type { Logger } from './ports/logger.js';
import type { LbJobQueue } from './ports/queue.js';
import type { ReplayGuard } from './ports/replay-guard.js';
import type { Replies } from './ports/replies.js';
import type { HostnameResolver } from './ports/resolver.js';
import { createEndpointProbe } from './adapters/endpoint-probe.js';
import type { ServiceWatch } from './ports/service-watch.js';

export type Role = 'web' | 'worker' | 'both';

/** What a load-balancer job worker runs on. */
export interface WorkerAdapters {
  watch: ServiceWatch;
  resolver: HostnameResolver;
  once: OnceGuard;
  waker: JobWaker;
  changes: LatestChanges;
  /** Tasks on a cron schedule (the orphan report), once per tick across the deployment's workers. */
  schedules: Schedules;
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
  /** Approval requests and the audit log (Redis, or this process's memory), and who people are (Slack, or nobody in the console). */
  governance: { approvals: ApprovalStore; audit: AuditLog; directory: Directory };
  /**
   * `/svc allow`'s grants and their expiry (Redis only: the expiry is a delayed job there); `startExpiryWorker`
   * runs the expiry jobs in this process (worker side).
   */
  grants?: { store: GrantStore; expiry: GrantExpiry; startExpiryWorker(expire: (grantId: string) => Promise<void>): { close(): Promise<void> } };
  /** Every load balancer of a region (the orphan scan), acting on one, and what the team set aside (with the governance stores). */
  orphans: { inventory: LoadBalancerInventory; target: OrphanTarget; state: OrphanStateStore };
  /** Checks Redis's configuration, AWS credentials and Kubernetes permissions once, logging each problem found. */
  startupChecks?: () => Promise<void>;
  /** What this process counts (Prometheus on /metrics; nothing in the console). */
  metrics: Metrics;
  /** `svcbot worker`'s own server of /healthz, /readyz and /metrics (HEALTH_PORT); the web side serves them on PORT (its chat's). */
  probes?: ProbeServer;
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
  /**
   * The web port: where Slack's requests arrive and the probes are served (HTTP mode), or the probes alone
   * (Socket Mode); undefined as a worker or in the console.
   */
  port: number | undefined;
  /** The worker's probe port (HEALTH_PORT), when it serves one. */
  healthPort?: number;
  stop(): Promise<void>;
}

/** The job backend's parts a role needs: the web side's queue, the worker's guard, waker and runtime. */
function jobAdapters(config: Config, logger: Logger, options: AdapterOptions, metrics: Metrics) {
  const { role } = options;
  const log = logger.child({ role: 'worker' });
  if (options.jobs === 'memory') {
    const memory = createMemoryJobs({ logger: log, concurrency: config.jobs.concurrency, graceMs: config.jobs.shutdownGraceMs });
    const schedules = createMemorySchedules({ logger: log, graceMs: config.jobs.shutdownGraceMs });
    return {
      jobs: role !== 'worker' ? { queue: memory.queue, changes: memory.changes } : undefined,
      worker: role !== 'web' ? { once: memory.once, waker: memory.waker, changes: memory.changes, schedules, start: (processor: JobProcessor<LbJobData, LbJobResult>) => memory.start(processor) } : undefined,
      async close() {
        await schedules.close();
        await memory.close();
      },
    };
  }
  if (options.jobs === false) return { jobs: undefined, worker: undefined, close: () => Promise.resolve() };
  const redis = { redis: redisTargetOf(config), prefix: config.redisPrefix, logger, shards: config.jobs.queueShards };
  const queue = role !== 'worker' ? createRedisJobQueue(redis) : undefined;
  const graceMs = config.jobs.shutdownGraceMs;
  const redisWorker =
    role !== 'web'
      ? createRedisJobWorker({
          ...redis,
          logger: log,
          concurrency: config.jobs.concurrency,
          lockTimeoutMs: config.jobs.lockTimeoutMs,
          heartbeatMs: config.jobs.heartbeatMs,
          onAdopted: (_lapsed, jobIds) => metrics.jobsAdopted(jobIds.length),
          graceMs,
          // The process must be gone within 10 s of SIGTERM: the grace, then a little to hand back and close.
          closeTimeoutMs: Math.min(9000, graceMs + 2000),
        })
      : undefined;
  const schedules =
    role !== 'web'
      ? createRedisSchedules({ ...redis, logger: log, lockTimeoutMs: config.jobs.lockTimeoutMs, graceMs, closeTimeoutMs: Math.min(9000, graceMs + 2000) })
      : undefined;
  return {
    jobs: queue ? { queue, changes: queue.changes } : undefined,
    worker: redisWorker && schedules ? { ...redisWorker, schedules } : undefined,
    async close() {
      await Promise.all([redisWorker?.close(), schedules?.close()]);
      await queue?.close();
    },
  };
}

/**
 * Where approval requests and the audit log live: with the jobs, in Redis (every process of a deployment
 * sees the same requests, and they survive restarts); in this process's memory when the jobs are (the
 * console without Redis) or when there are no jobs (tests of the direct path).
 */
function governanceStores(config: Config, logger: Logger, options: AdapterOptions): { approvals: ApprovalStore; audit: AuditLog; orphans: OrphanStateStore; grants?: GrantStore; close(): Promise<void> } {
  if (options.jobs === 'memory' || options.jobs === false) {
    return {
      approvals: createMemoryApprovalStore(),
      audit: createMemoryAuditLog({ maxEntries: config.audit.maxEntries }),
      orphans: createMemoryOrphanState(),
      close: () => Promise.resolve(),
    };
  }
  return createRedisGovernance({ redis: redisTargetOf(config), prefix: config.redisPrefix, maxAuditEntries: config.audit.maxEntries, logger });
}

/** The parts shared by every kind of adapters: clusters, the job backend, the worker's watch and resolver, approvals and audit. */
function commonAdapters(config: Config, logger: Logger, options: AdapterOptions, metrics: Metrics) {
  const registry = createClusterRegistry(config.clusters, options.clients, { callDeadlineMs: config.kube.retryDeadlineMs }, metrics);
  const backend = jobAdapters(config, logger, options, metrics);
  // Readiness: Redis (where the jobs and approvals are), then every configured cluster's API server.
  const redisProbe = options.jobs === 'memory' || options.jobs === false ? undefined : createRedisProbe(redisTargetOf(config));
  const readinessChecks: ReadinessCheck[] = [...(redisProbe ? [redisProbe] : []), ...registry.names.map((name) => clusterApiCheck(name, registry.kubeConfig(name)))];
  const stores = governanceStores(config, logger, options);
  const redisTarget = redisTargetOf(config);
  const expiryOptions = { redis: redisTarget, prefix: config.redisPrefix, logger };
  const grantExpiry = stores.grants ? createGrantExpiryQueue(expiryOptions) : undefined;
  const grants =
    stores.grants && grantExpiry
      ? {
          store: stores.grants,
          expiry: grantExpiry,
          startExpiryWorker: (expire: (grantId: string) => Promise<void>) =>
            startGrantExpiryWorker({ ...expiryOptions, expire, stalled: stalledSettings(config.jobs.lockTimeoutMs), closeTimeoutMs: config.jobs.shutdownGraceMs }),
        }
      : undefined;
  const runtime = backend.worker;
  const watch = runtime
    ? createKubernetesServiceWatch({
        kubeConfig: (name) => registry.kubeConfig(name),
        // The registry's own scope of each cluster, so the watch and the gateways never disagree.
        namespaces: (name) => registry.get(name).namespaces,
        logger: logger.child({ role: 'worker' }),
      })
    : undefined;
  const worker: WorkerAdapters | undefined =
    runtime && watch
      ? {
          watch,
          resolver: createHostnameResolver(config.dnsServers),
          once: runtime.once,
          waker: runtime.waker,
          changes: runtime.changes,
          schedules: runtime.schedules,
          start: (processor) => runtime.start(processor),
        }
      : undefined;
  const pacerFor = regionPacers(config.orphans.scanRate);
  const inventory = combinedInventory(
    createClassicInventory({ clientFor: (region) => registry.elbClient(region), pacerFor }),
    createV2Inventory({ clientFor: (region) => registry.elbV2Client(region), pacerFor }),
  );
  const orphans = {
    inventory,
    target: createOrphanTarget({
      removal: createLoadBalancerRemoval({ classicClientFor: (region) => registry.elbClient(region), v2ClientFor: (region) => registry.elbV2Client(region) }),
    }),
    state: stores.orphans,
  };
  return {
    clusters: registry,
    ...(backend.jobs ? { jobs: backend.jobs } : {}),
    ...(worker ? { worker } : {}),
    ...(grants ? { grants } : {}),
    orphans,
    stores,
    metrics,
    readinessChecks,
    startupChecks: async () => {
      const log = logger.child({ component: 'startup-checks' });
      const regions = [...new Set([...config.orphans.regions, ...config.clusters.flatMap((c) => (c.region === undefined ? [] : [c.region]))])];
      await Promise.all([
        // A Redis that does not answer is reported by whoever started svcbot (and by /readyz).
        redisProbe?.check().then(
          () => checkRedis(redisProbe.redis, log),
          () => undefined,
        ),
        ...regions.map((region) => checkAws(region, registry.elbClient(region), log)),
        ...config.clusters.map((c) => checkKubernetes(c.name, registry.kubeConfig(c.name), log, c.namespaces)),
      ]);
      log.debug('start-up checks done');
    },
    async close() {
      await grantExpiry?.close();
      await stores.close();
      await backend.close();
      await watch?.close();
      redisProbe?.close();
      registry.close();
    },
  };
}

/** Whether the configured Redis (one, a cluster or the master behind Sentinels) answers PING within `timeoutMs`. */
export function configuredRedisAnswers(config: Config, timeoutMs: number): Promise<boolean> {
  return redisTargetAnswers(redisTargetOf(config), timeoutMs);
}

/** Whether a Redis answers at a URL; removing a prefix's keys (the console's session, at its end: the console uses REDIS_URL). */
export const redisAnswers = (url: string, timeoutMs: number): Promise<boolean> => redisTargetAnswers({ url }, timeoutMs);
export const removeRedisKeys = (url: string, prefix: string): Promise<number> => removeTargetKeys({ url }, prefix);

/** The bot token, checked with Slack before svcbot starts. */
export { checkSlackToken, type SlackTokenCheck } from './adapters/slack/index.js';

/** svcbot's adapters in production: Slack, the configured clusters and AWS, Redis. */
export function createSlackAdapters(config: Config, logger: Logger, options: AdapterOptions): Adapters {
  const metrics = createPrometheusMetrics();
  const { stores, readinessChecks, ...common } = commonAdapters(config, logger, options, metrics);
  const governance = { approvals: stores.approvals, audit: stores.audit, directory: createSlackDirectory(config.slack, logger, metrics) };
  const readiness = makeReadiness([...readinessChecks, createSlackAuthCheck(config.slack, { metrics })]);
  const routes = healthRoutes({ readiness, metrics });
  const pace = slackPace(config, options);
  if (options.role === 'worker') {
    const probes = createHealthServer({ port: config.healthPort, routes });
    return {
      logger,
      replies: createSlackMessages(config.slack, metrics, pace),
      governance,
      probes,
      ...common,
      async close() {
        await common.close();
        await pace.close();
      },
    };
  }
  const replayGuard = slackReplayGuard(config, logger, options);
  const slack = createSlackChat({ slack: config.slack, http: config.http, replayGuard, port: config.port, logger, routes, metrics, pace });
  return {
    logger,
    replies: slack.replies,
    chat: slack.transport,
    governance,
    ...common,
    async close() {
      await common.close();
      await replayGuard.close();
      await pace.close();
    },
  };
}

/**
 * The pace of svcbot's Slack calls (per channel for posts, per workspace for updates): in Redis with the
 * jobs, shared by every web and worker process (two workers pacing alone would send twice Slack's rate
 * into one channel), in this process's memory without them.
 */
function slackPace(config: Config, options: AdapterOptions): SharedPace {
  if (options.jobs === 'memory' || options.jobs === false) return createMemoryPace();
  return createRedisPace({ redis: redisTargetOf(config), prefix: config.redisPrefix });
}

/**
 * Which signed Slack requests were taken already: in Redis with the jobs (every web replica sees every
 * other's, under REDIS_PREFIX), in this process's memory without them (tests and benchmarks of the direct
 * path) or in Socket Mode (no signatures there).
 */
function slackReplayGuard(config: Config, logger: Logger, options: AdapterOptions): ReplayGuard {
  if (config.slack.socketMode || options.jobs === 'memory' || options.jobs === false) return createMemoryReplayGuard();
  return createRedisReplayGuard({ redis: redisTargetOf(config), prefix: config.redisPrefix, logger: logger.child({ component: 'replay-guard' }) });
}

/** The console's adapters: its text chat instead of Slack, the rest as in production. */
export function createConsoleAdapters(
  config: Config,
  logger: Logger,
  options: AdapterOptions & { write: (text: string) => void },
): Adapters & { text: TextChat } {
  const text = createTextChat(options.write);
  const { stores, startupChecks: _notInTheConsole, ...common } = commonAdapters(config, logger, options, noMetrics);
  const governance = { approvals: stores.approvals, audit: stores.audit, directory: createNoDirectory() };
  return { logger, replies: text.replies, chat: text.transport, text, governance, ...common };
}

/** Clients for a cluster at fixed addresses (the sandbox's kubeconfig YAML and ELB endpoint). */
export { endpointClients };

/** The load-balancer job worker: processors over the ports, on the adapters' worker runtime. */
function startJobWorker(config: Config, adapters: Adapters, worker: WorkerAdapters, audit: AuditTrail): { close(): Promise<void> } {
  const log = adapters.logger.child({ role: 'worker' });
  const runtime = createLbJobDeps({
    clusters: adapters.clusters,
    audit,
    watch: worker.watch,
    resolver: worker.resolver,
    replies: adapters.replies,
    once: worker.once,
    waker: worker.waker,
    changes: worker.changes,
    logger: log,
    ...(config.jobs.answerCheck ? { endpointProbe: createEndpointProbe() } : {}),
    rates: { dnsPerSecond: config.jobs.dnsQueriesPerSecond, elbPerSecond: config.jobs.elbCallsPerSecond, answerPerSecond: config.jobs.answerProbesPerSecond },
    timeoutMs: config.jobs.timeoutMs,
    maxParkMs: config.jobs.recheckMs,
    progressIntervalMs: config.jobs.progressIntervalMs,
    threadWaitMs: config.slack.threadWaitMs,
  });
  const running = worker.start(meteredProcessor(makeLbProcessor(runtime.deps), adapters.metrics));
  return {
    async close() {
      await running.close();
      await runtime.close();
    },
  };
}

/** How one run of a job ended, as the metrics count it. */
function jobOutcome(err: unknown, signal: AbortSignal): JobOutcome {
  if (err instanceof JobParked) return 'parked';
  if (signal.aborted) return 'stopped';
  if (err instanceof PermanentJobError) return 'failed';
  return 'retried';
}

/**
 * `processor`, counting each run's outcome (`svcbot_jobs_total`) and each step the run finished, timed from
 * the previous step's end or the request (`svcbot_job_step_seconds`; the job's saved state has the times).
 */
function meteredProcessor(processor: JobProcessor<LbJobData, LbJobResult>, metrics: Metrics): JobProcessor<LbJobData, LbJobResult> {
  return async (ctx) => {
    const { operation } = ctx.data;
    const doneAt = (state: unknown): Record<string, number> => ({ ...((state as { doneAt?: Record<string, number> } | undefined)?.doneAt ?? {}) });
    let known = doneAt(ctx.savedState);
    const saveState = (state: object) => {
      const now = doneAt(state);
      for (const [step, at] of Object.entries(now)) {
        if (known[step] !== undefined) continue;
        const before = Math.max(ctx.data.requestedAt, ...Object.values(known));
        metrics.jobStep(operation, step, Math.max(0, at - before) / 1000);
      }
      known = now;
      return ctx.saveState(state);
    };
    try {
      const result = await processor({ ...ctx, saveState });
      metrics.jobRun(operation, 'completed');
      return result;
    } catch (err) {
      metrics.jobRun(operation, jobOutcome(err, ctx.signal));
      throw err;
    }
  };
}

/** How often a process looks for approval requests whose time is up: a quarter of the TTL, at most every 15 s. */
function sweepIntervalMs(ttlMs: number): number {
  return Math.max(250, Math.min(15_000, Math.floor(ttlMs / 4)));
}

/**
 * The policy, approvals and the audit trail over the adapters: built in every role (a worker records job
 * outcomes and expires requests too), and a timer that expires requests whose time is up — in every
 * process, each request expired once (the store decides) — and, where decisions are made (`resumeRunsWith`),
 * carries out again the approved requests whose run was interrupted. One sweep at a time per process.
 */
function startGovernance(config: Config, adapters: Adapters) {
  const { logger, replies, governance } = adapters;
  const log = logger.child({ component: 'approvals' });
  const commandName = config.slack.command;
  const { approval } = config.policy;
  const audit = makeAuditTrail({
    log: governance.audit,
    directory: governance.directory,
    logger: log,
    ...(config.audit.channel === undefined ? {} : { onRecorded: auditChannel(replies, config.audit.channel) }),
  });
  const access = makeAccess({ policy: config.policy, directory: governance.directory, audit });
  const notices = makeApprovalNotices({ replies, commandName, ...(approval.channel === undefined ? {} : { approvalChannel: approval.channel }) });
  const requests = makeApprovalRequests({ store: governance.approvals, notices, audit, approval, logger: log });
  let resume: (() => Promise<number>) | undefined;
  async function sweep(): Promise<void> {
    await requests.expireDue().catch((err: unknown) => log.warn({ err }, 'could not expire approval requests; trying again at the next sweep'));
    await resume?.().catch((err: unknown) => log.warn({ err }, 'could not resume interrupted approved runs; trying again at the next sweep'));
  }
  let sweeping = false;
  const timer = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    void sweep().finally(() => {
      sweeping = false;
    });
  }, sweepIntervalMs(approval.ttlMs));
  timer.unref();
  return {
    audit,
    access,
    notices,
    requests,
    /** Each sweep also runs `task` (resuming interrupted approved runs), after the expiry. */
    resumeRunsWith(task: () => Promise<number>) {
      resume = task;
    },
    stop: () => clearInterval(timer),
  };
}

/** What each kind of load balancer costs an hour, by region (the configured tables over the defaults). */
function loadBalancerPrices(config: Config): LoadBalancerPrices {
  return {
    classic: { ...DEFAULT_LOAD_BALANCER_PRICES.classic, ...config.costs.elbHourlyUsd },
    network: { ...DEFAULT_LOAD_BALANCER_PRICES.network, ...config.costs.nlbHourlyUsd },
    application: { ...DEFAULT_LOAD_BALANCER_PRICES.application, ...config.costs.albHourlyUsd },
    gateway: DEFAULT_LOAD_BALANCER_PRICES.gateway,
  };
}

/** What an orphan scan covers: the configured regions and clusters (by their AWS names), over the adapters. */
function orphanSources(config: Config, adapters: Adapters): OrphanScanSources {
  return {
    regions: config.orphans.regions,
    clusters: config.clusters.map((c) => ({ name: c.name, awsName: c.clusterName, region: c.region, namespaces: c.namespaces })),
    registry: adapters.clusters,
    inventory: adapters.orphans.inventory,
    // Without jobs, no load balancer is being made by one.
    jobs: adapters.jobs?.queue ?? { list: () => Promise.resolve([]) },
    graceMs: config.orphans.graceMs,
    now: Date.now,
  };
}

/**
 * The scheduled orphan report, where jobs are run: posted in ORPHAN_REPORT_CHANNEL at each tick of
 * ORPHAN_REPORT_CRON, once per tick however many workers run. Without a channel there is none.
 */
async function scheduleOrphanReport(config: Config, adapters: Adapters, schedules: Schedules, orphans: OrphanCommands): Promise<void> {
  const { report } = config.orphans;
  const log = adapters.logger.child({ component: 'orphan-report' });
  if (report.channel === undefined) {
    log.info('no scheduled orphan report (ORPHAN_REPORT_CHANNEL is not set)');
    return;
  }
  const channel = report.channel;
  await schedules.every('orphan-report', { cron: report.cron, timeZone: report.timeZone }, async (tick) => {
    await postScheduledOrphanReport(
      { report: () => orphans.reportOf({}, { signal: tick.signal }), state: adapters.orphans.state, replies: adapters.replies, channel, quietWhenNone: report.quietWhenNone, commandName: config.slack.command, logger: log },
      tick,
    );
  });
  log.info({ cron: report.cron, timeZone: report.timeZone, channel }, 'scheduled orphan report');
}

/** What startup says about the policy: who may approve, and the less safe settings, in words. */
function logPolicy(config: Config, logger: Logger): void {
  const { approval, rules, protectedNamespaces } = config.policy;
  const { users, groups } = approval.approvers;
  if (users.length === 0 && groups.length === 0) {
    logger.warn('no approvers configured (SVCBOT_APPROVERS): any user but the requester may approve a request');
  }
  if (approval.selfApproval) logger.warn('self-approval is on (SVCBOT_SELF_APPROVAL): a requester may approve their own request');
  logger.info(
    { rules: rules.map((r) => r.name), protectedNamespaces, approvers: { users, groups }, ttlMs: approval.ttlMs, approvalChannel: approval.channel, auditChannel: config.audit.channel },
    'policy',
  );
}

/**
 * svcbot: registers the chat listeners (web side) and starts the job worker (worker side) over `adapters`,
 * which it owns from now on.
 */
export async function startSvcbot(config: Config, adapters: Adapters, role: Role = 'both'): Promise<RunningSvcbot> {
  const { logger, clusters, replies, chat, jobs } = adapters;
  if (role !== 'web' && !adapters.worker && jobs) throw new Error(`svcbot ${role} needs the job worker's adapters`);
  if (role !== 'worker' && !chat) throw new Error(`svcbot ${role} needs a chat to answer`);
  const gov = startGovernance(config, adapters);
  const worker = role !== 'web' && adapters.worker ? startJobWorker(config, adapters, adapters.worker, gov.audit) : undefined;
  const orphans = makeOrphanCommands({
    sources: orphanSources(config, adapters),
    target: adapters.orphans.target,
    state: adapters.orphans.state,
    access: gov.access,
    audit: gov.audit,
    approvals: gov.requests,
    needs: config.policy.approval.needs,
    prices: loadBalancerPrices(config),
    logger: logger.child({ component: 'orphans' }),
    onFullReport: (report) => adapters.metrics.orphansFound(report.orphans.length + report.lostClusters.reduce((n, c) => n + c.entries.length, 0), report.monthlyUsd),
  });
  const grants = adapters.grants
    ? makeIngressGrants({
        clusters,
        store: adapters.grants.store,
        expiry: adapters.grants.expiry,
        access: gov.access,
        audit: gov.audit,
        approvals: gov.requests,
        notices: makeGrantNotices({ replies }),
        logger,
      })
    : undefined;
  // Where jobs run, the grants' expiry jobs run too.
  const grantExpiryWorker = role !== 'web' && grants && adapters.grants ? adapters.grants.startExpiryWorker((id) => grants.expire(id)) : undefined;
  adapters.metrics.observe('approvals_pending', async () => (await adapters.governance.approvals.listPending()).length);
  // The queue's counts, where there is one to ask (every process with it sees the same jobs).
  if (jobs) adapters.metrics.observe('jobs', () => jobs.queue.counts());
  if (role !== 'web' && adapters.worker) await scheduleOrphanReport(config, adapters, adapters.worker.schedules, orphans);

  let port: number | undefined;
  if (role !== 'worker' && chat) {
    logPolicy(config, logger);
    const commandName = config.slack.command;
    const { access, audit, requests } = gov;
    const prices = { byRegion: config.costs.elbHourlyUsd, defaultHourlyUsd: config.costs.elbHourlyUsd['us-east-1'] ?? DEFAULT_ELB_HOURLY_USD };
    const operations = makeOperations({ clusters, ...(jobs ? { lbJobs: jobs } : {}), governance: { access, audit, approvals: requests, prices } });
    const decisions = makeApprovalDecisions({ store: adapters.governance.approvals, requests, notices: gov.notices, audit, access, operations: approvedRunner(operations, orphans, grants), logger });
    // Approved runs cut short by a dead process are resumed where decisions (and operations) are: the web
    // side. A worker-only process does not; a deployment relies on its web processes for this.
    gov.resumeRunsWith(() => decisions.resumeStalled());
    const approvalChannel = config.policy.approval.channel;
    const handle = makeCommandHandler({
      operations,
      ...(jobs ? { jobCommands: makeJobCommands({ clusters, queue: jobs.queue, access, audit }) } : {}),
      governance: makeGovernanceCommands({ clusters, access, requests, decisions, audit }),
      orphans,
      ...(grants ? { grants } : {}),
      ...(approvalChannel === undefined ? {} : { approvalChannel }),
      commandName,
      logger,
      retryBudgetMs: config.kube.commandRetryBudgetMs,
      metrics: adapters.metrics,
    });
    registerSlashCommand(chat, { commandName, handle, replies, logger });
    registerButtons(chat, { handle, replies, logger, commandName });
    ({ port } = await chat.start());
    logger.info(
      { port, role, socketMode: config.slack.socketMode, command: commandName, clusters: clusters.names },
      'svcbot is listening for %s',
      commandName,
    );
    // In Socket Mode, PORT has the probes alone (Slack's requests come over the socket).
    if (config.slack.socketMode && port !== undefined) logger.info({ port }, 'serving /healthz, /readyz and /metrics on port %d', port);
  } else {
    logger.info({ role, clusters: clusters.names }, 'svcbot is running load-balancer jobs');
  }
  const healthPort = role === 'worker' ? await adapters.probes?.start() : undefined;
  // In the background: start-up is not held up by a slow API; each problem is one log line.
  void adapters.startupChecks?.().catch((err: unknown) => logger.warn({ err }, 'start-up checks failed'));
  if (healthPort !== undefined) logger.info({ healthPort }, 'serving /healthz, /readyz and /metrics on port %d', healthPort);

  let stopping: Promise<void> | undefined;
  return {
    port,
    ...(healthPort === undefined ? {} : { healthPort }),
    stop() {
      // Stop answering first, then hand running jobs back, then close the connections.
      stopping ??= (async () => {
        gov.stop();
        await Promise.all([chat?.stop(), adapters.probes?.stop()]);
        await Promise.all([worker?.close(), adapters.worker?.schedules.close(), grantExpiryWorker?.close()]);
        await adapters.close();
      })();
      return stopping;
    },
  };
}

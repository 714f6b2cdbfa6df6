/**
 * The load-balancer processors and what they share, built once per worker process:
 * `createLbJobDeps` turns the ports (clusters, Service watch, resolver, replies, the exactly-once guard,
 * a waker) into the processors' dependencies — one progress board, one Service-watch wake-up table and
 * four shared rate-limited probers — and `makeLbProcessor` dispatches a job to provisioning or teardown.
 */
import { isThrottled } from './errors.js';
import type { LbJobData } from '../src/domain/lb-jobs.js';
import type { Logger } from '../src/ports/logger.js';
import type { LatestChanges } from '../src/ports/changes.js';
import type { ClusterRegistry } from '../src/ports/clusters.js';
import type { JobProcessor, JobWaker, OnceGuard } from '../src/ports/jobs.js';
import type { ChannelMessages } from '../src/ports/replies.js';
import type { HostnameResolver } from '../src/ports/resolver.js';
import type { EndpointProbe } from '../src/ports/endpoint-probe.js';
import type { ServiceWatch } from '../src/ports/service-watch.js';
import type { LbJobDeps, LbJobResult } from './lb-job.js';
import { createProber } from './prober.js';
import { createProgressBoard } from './progress-board.js';
import { runProvision } from './provision.js';
import { runTeardown } from './teardown.js';
import { createWatchWakeups, wakeSoon } from './wakeups.js';

export type { LbJobDeps, LbJobResult } from './lb-job.js';

export interface ProbeRates {
  /** DNS queries a second, over all waiting jobs. Default 500. */
  dnsPerSecond?: number;
  /** ELB API calls a second (findForService makes up to three). Default 5: AWS throttles the ELB API. */
  elbPerSecond?: number;
  /** Event list requests to the API server a second. Default 10. */
  kubePerSecond?: number;
  /** Connections to load balancers that resolve but do not answer yet, a second. Default 20. */
  answerPerSecond?: number;
  /**
   * The shortest time between two checks of one job, per prober. Defaults: DNS 500 ms (a name is announced
   * within about half a second of resolving), ELB 2 s, Events 5 s, answers 2 s.
   */
  minIntervalMs?: { dns?: number; elb?: number; kube?: number; answer?: number };
}

export interface CreateLbJobDepsOptions {
  clusters: ClusterRegistry;
  watch: ServiceWatch;
  audit: LbJobDeps['audit'];
  resolver: HostnameResolver;
  /** Proves a load balancer answers before the job says "ready"; absent, that step is skipped. */
  endpointProbe?: EndpointProbe;
  replies: ChannelMessages;
  /** Exactly-once side effects (the progress message, the endpoint message). */
  once: OnceGuard;
  /** The newest change of each Service: a job that is no longer the newest stands down. */
  changes: LatestChanges;
  waker: JobWaker;
  logger: Logger;
  rates?: ProbeRates;
  timeoutMs?: number;
  maxParkMs?: number;
  /** Progress updates per message at most every this many ms. Default 1000. */
  progressIntervalMs?: number;
  /** How long a result waits for its progress message to go in its thread (`LbJobDeps.threadWaitMs`). Default 2000. */
  threadWaitMs?: number;
}

export interface LbJobRuntime {
  deps: LbJobDeps;
  close(): Promise<void>;
}

export function createLbJobDeps(opts: CreateLbJobDepsOptions): LbJobRuntime {
  const wakeNow = wakeSoon(opts.waker, opts.logger);
  // A job woken by one of its wake-ups runs again and registers what it waits for where it runs (any
  // worker): its other wake-ups here are dropped, not left probing for it until their TTL (a park lasts
  // until the job's deadline now that live workers' jobs are not rechecked).
  const wake = (jobId: string): void => {
    watchWakeups.forget(jobId);
    for (const p of Object.values(probers)) p.forget(jobId);
    wakeNow(jobId);
  };
  const rates = opts.rates ?? {};
  const probers = {
    dns: createProber({ name: 'dns', ratePerSecond: rates.dnsPerSecond ?? 600, minIntervalMs: rates.minIntervalMs?.dns ?? 500, wake, logger: opts.logger }),
    elb: createProber({ name: 'elb', ratePerSecond: rates.elbPerSecond ?? 5, minIntervalMs: rates.minIntervalMs?.elb ?? 2000, wake, logger: opts.logger, isThrottled }),
    kube: createProber({ name: 'kube', ratePerSecond: rates.kubePerSecond ?? 10, minIntervalMs: rates.minIntervalMs?.kube ?? 5000, wake, logger: opts.logger }),
    // A silent endpoint holds its try up to the probe's timeout: more at once than the rate's default fifth.
    answer: createProber({ name: 'answer', ratePerSecond: rates.answerPerSecond ?? 20, concurrency: 20, minIntervalMs: rates.minIntervalMs?.answer ?? 2000, wake, logger: opts.logger }),
  };
  const board = createProgressBoard({ replies: opts.replies, logger: opts.logger, minIntervalMs: opts.progressIntervalMs ?? 1000 });
  const watchWakeups = createWatchWakeups(opts.watch, wake);
  const deps: LbJobDeps = {
    clusters: opts.clusters,
    resolver: opts.resolver,
    ...(opts.endpointProbe ? { endpointProbe: opts.endpointProbe } : {}),
    replies: opts.replies,
    board,
    once: opts.once,
    changes: opts.changes,
    audit: opts.audit,
    watchWakeups,
    probers,
    logger: opts.logger,
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.maxParkMs !== undefined ? { maxParkMs: opts.maxParkMs } : {}),
    ...(opts.threadWaitMs !== undefined ? { threadWaitMs: opts.threadWaitMs } : {}),
  };
  return {
    deps,
    async close() {
      watchWakeups.close();
      await Promise.all([...Object.values(probers).map((p) => p.close()), board.close()]);
    },
  };
}

/** One processor for the queue: `provision` jobs provision, `delete` and `retype` jobs tear down. */
export function makeLbProcessor(deps: LbJobDeps): JobProcessor<LbJobData, LbJobResult> {
  return (ctx) => (ctx.data.operation === 'provision' ? runProvision(ctx, deps) : runTeardown(ctx, deps));
}

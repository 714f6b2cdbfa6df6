/**
 * The run of one load-balancer job, shared by provisioning and teardown: post (once) the progress message,
 * run the operation's step function against the world's actual state, then either finish (final progress,
 * result) or park the job until something wakes it (the Service watch, a prober) or its park timeout.
 *
 * Every run starts from the top and re-reads the cluster and AWS, so a retried, woken or taken-over job
 * resumes where the world is, not where a process thought it was. Step times survive in the job's state.
 * Failures: a transient error is rethrown (the queue retries it with backoff); a permanent one, a timeout,
 * or a `SyncLoadBalancerFailed` Event ends the job with PermanentJobError after the message says why.
 */
import { withDeadline } from '../src/domain/deadline.js';
import { changeOf, lbJobId, requestIdOf, type LbJobData, type LbStep } from '../src/domain/lb-jobs.js';
import { asLbJobState, currentStep, outcomeSummary, progressView, type LbJobState, type LbOutcome } from '../src/domain/progress.js';
import type { EventView, ServiceView } from '../src/domain/views.js';
import type { AuditTrail } from '../src/domain/audit-trail.js';
import type { Logger } from '../src/ports/logger.js';
import type { ChangeRecord } from '../src/domain/changes.js';
import type { LatestChanges } from '../src/ports/changes.js';
import type { ClusterRegistry, ClusterTarget } from '../src/ports/clusters.js';
import { jobStop, PermanentJobError, TransientJobError, type JobContext, type OnceGuard } from '../src/ports/jobs.js';
import type { ChannelMessages, MessageRef, PostOptions } from '../src/ports/replies.js';
import type { Message } from '../src/render/blocks.js';
import type { HostnameResolver } from '../src/ports/resolver.js';
import type { EndpointProbe } from '../src/ports/endpoint-probe.js';
import { renderOutcomeMessage, renderProgress } from '../src/render/progress.js';
import { failureReason, isThrottled, isTransientJobError, throttledWaitMs } from './errors.js';
import type { ProgressBoard } from './progress-board.js';
import type { Prober } from './prober.js';
import type { WatchWakeups } from './wakeups.js';

const DEFAULT_TIMEOUT_MS = 15 * 60_000;
const DEFAULT_MAX_PARK_MS = 30_000;

export interface LbJobDeps {
  clusters: ClusterRegistry;
  resolver: HostnameResolver;
  replies: ChannelMessages;
  board: ProgressBoard;
  once: OnceGuard;
  /** The newest change of each Service: a job that is no longer the newest stands down (superseded). */
  changes: LatestChanges;
  watchWakeups: WatchWakeups;
  /** Where every job's outcome is recorded (once per request, whoever finishes it). */
  audit: Pick<AuditTrail, 'record'>;
  /**
   * Connects to a load balancer that resolves, to prove it answers before the job says "ready"; absent,
   * the step is skipped (LB_ANSWER_CHECK=false: svcbot cannot reach its load balancers).
   */
  endpointProbe?: EndpointProbe;
  /**
   * dns: resolving hostnames; elb: the ELB API (rate-limited by AWS); kube: Events from the API server;
   * answer: connections to load balancers that resolve but do not answer yet.
   */
  probers: { dns: Prober; elb: Prober; kube: Prober; answer: Prober };
  logger: Logger;
  /** Give up (and say which step is stuck) this long after the request. Default 15 minutes. */
  timeoutMs?: number;
  /**
   * Longest a parked job sleeps without being woken before it looks again (covers a wake-up lost in a live
   * worker; a dead worker's parked jobs are adopted by the queue). At or beyond the timeout: until the deadline.
   */
  maxParkMs?: number;
  /**
   * How long a result (endpoint or outcome message) waits for its progress message, still being posted,
   * to go in its thread; then it goes in the channel (the message waits behind a busy channel's others).
   * Default 2000 ms: far more than Slack takes to answer, far less than a burst's queue.
   */
  threadWaitMs?: number;
  /** Randomness for the recheck's jitter, in [0, 1) (tests). */
  random?: () => number;
  now?: () => number;
}

export interface LbJobResult {
  outcome: LbOutcome;
}

/** What a step function reports. */
export type StepOutcome =
  | { kind: 'done'; outcome: LbOutcome }
  | { kind: 'failed'; reason: string; event?: Pick<EventView, 'reason' | 'message'> }
  /**
   * Not there yet: wake when the watched Service satisfies `onServiceChange` and/or when `probe.check` passes.
   * Both stay in memory while the job is parked (10,000 parked jobs: 10,000 of each), so they must close
   * over only the few values they need — build them in small module-level functions, never inline in a
   * step (an inline closure keeps the step's whole scope alive: the run, the job, its data, the logger).
   */
  | {
      kind: 'wait';
      why: string;
      onServiceChange?: (service: ServiceView | undefined) => boolean;
      probe?: { prober: keyof LbJobDeps['probers']; check: () => Promise<boolean> };
    };

export type LbJobContext = JobContext<LbJobData>;

export interface StepRun {
  ctx: LbJobContext;
  data: LbJobData;
  state: LbJobState;
  target: ClusterTarget;
  deps: LbJobDeps;
  log: Logger;
  now(): number;
  markDone(step: LbStep): void;
  /** Saves the job's state now (before an action whose effect a later run must know of). */
  saveNow(): Promise<void>;
  /**
   * Where a result (the endpoint message) goes: the progress message, for its thread, if there is one and
   * it is posted (within `threadWaitMs`); undefined (the channel) while its post still waits for Slack. A
   * step asks only when it has a result, never before acting.
   */
  threadParent(): Promise<MessageRef | undefined>;
}

export type StepFunction = (run: StepRun) => Promise<StepOutcome>;

/** Outcome when the job times out: which step is stuck, and why if an Event says so. */
export type TimeoutOutcome = (run: StepRun, stuckAt: LbStep) => Promise<LbOutcome>;

/** What names a job's once-only effects: its id and when it was requested (a new request of the same Service is another). */
type JobIdentity = Pick<LbJobContext, 'id'> & { data: Pick<LbJobData, 'requestedAt'> };

function onceKey(ctx: JobIdentity, what: string): string {
  return `${ctx.id}:${ctx.data.requestedAt}:${what}`;
}

/** How far before the request a read-back looks (the clocks of svcbot's hosts and Slack's may differ). */
const FIND_SKEW_MS = 5 * 60_000;

/**
 * Posts `message` for the job once (the once guard's `what`), carrying its once key: an attempt that takes
 * over a dead one's claim (or one whose post failed, maybe after Slack took it) first looks for it — in
 * the thread it goes to, then the channel, since the request — and posts only if it is not there.
 * Resolves with the message (null: it went to the requester alone, through the response_url).
 */
export function postOnce(ctx: JobIdentity, deps: Pick<LbJobDeps, 'once' | 'replies'>, what: string, channel: string, message: Message, opts: Omit<PostOptions, 'key'> = {}): Promise<MessageRef | null> {
  const key = onceKey(ctx, what);
  return deps.once.run(
    key,
    async () => (await deps.replies.post(channel, message, { ...opts, key })) ?? null,
    {
      recover: () =>
        deps.replies.findPosted(channel, key, { since: ctx.data.requestedAt - FIND_SKEW_MS, ...(opts.threadTs === undefined ? {} : { threadTs: opts.threadTs }) }),
    },
  );
}

/**
 * The job's progress message: posted by the job's first run, exactly once (the once guard), whoever runs it
 * — in the background, so the job acts before Slack's per-channel rate lets the message out (in a burst,
 * seconds later). A later run in this process while the post still waits shares its promise (the board
 * holds it; the once guard would only say "in progress"). The message is a courtesy: a Slack that refuses
 * it (svcbot not in the channel, and no response_url to fall back on) must not stop the change itself.
 */
function ensureProgressMessage(ctx: LbJobContext, deps: LbJobDeps, state: LbJobState, now: number, log: Logger): Promise<MessageRef | undefined> {
  const { channelId, responseUrl, userId } = ctx.data.requester;
  const key = onceKey(ctx, 'progress');
  return deps.board.postProgress(key, (signal) => {
    const rendered = renderProgress(progressView(ctx.data, state, now));
    return postOnce(ctx, deps, 'progress', channelId, rendered, { priority: 'progress', signal, ...(responseUrl ? { fallbackResponseUrl: responseUrl, fallbackUserId: userId } : {}) }).then(
        (ref) => ref ?? undefined,
        (err: unknown) => {
          log.warn({ err }, 'could not post the progress message; the job goes on without it');
          return undefined;
        },
      );
  });
}

export async function runLbJob(ctx: LbJobContext, deps: LbJobDeps, step: StepFunction, onTimeout: TimeoutOutcome): Promise<LbJobResult> {
  const now = deps.now ?? Date.now;
  const data = ctx.data;
  const log = deps.logger.child({ jobId: ctx.id, operation: data.operation, cluster: data.cluster, service: `${data.namespace}/${data.name}` });
  const saved = asLbJobState(ctx.savedState);
  const state: LbJobState = { ...saved, doneAt: { ...saved.doneAt } };
  let dirty = false;
  const stepsBefore = JSON.stringify(state);
  const save = async () => {
    if (!dirty && JSON.stringify(state) === stepsBefore) return;
    dirty = false;
    const step = currentStep(data.operation, state);
    await ctx.saveState({ ...state, ...(step ? { step } : {}) });
  };
  const forgetWakeups = () => {
    deps.watchWakeups.forget(ctx.id);
    for (const p of Object.values(deps.probers)) p.forget(ctx.id);
  };

  // A worker stopping hands the job back untouched; a job that a newer change of its Service supersedes
  // stands down before it does anything, quietly (no progress message of its own if it had none yet).
  const early = jobStop(ctx.signal);
  if (early?.kind === 'shutdown') throw new TransientJobError('the worker is stopping; the job is handed back');
  let supersededBy = early?.kind === 'superseded' ? early.by : undefined;
  if (!supersededBy) {
    const mine: ChangeRecord = {
      requestId: requestIdOf(data),
      requestedAt: data.requestedAt,
      change: changeOf(data),
      userId: data.requester.userId,
      jobId: lbJobId(data.operation, data.cluster, data.namespace, data.name),
    };
    const newest = await deps.changes.record({ cluster: data.cluster, namespace: data.namespace, name: data.name }, mine);
    if (newest.requestId !== mine.requestId) supersededBy = newest;
  }

  // Not awaited: the job acts now; what needs the message (updates, thread replies) waits on the promise.
  // A superseded job posts none of its own, but updates the one it has (saved, or still being posted here).
  const progress: Promise<MessageRef | undefined> = supersededBy
    ? state.progress
      ? Promise.resolve(state.progress)
      : (deps.board.progressPosting(onceKey(ctx, 'progress')) ?? Promise.resolve(undefined))
    : ensureProgressMessage(ctx, deps, state, now(), log);
  // Saved with the job's state when posted before its next save (a later run gets it from the once guard).
  void progress.then((ref) => {
    if (ref && state.progress?.ts !== ref.ts) {
      state.progress = { channel: ref.channel, ts: ref.ts };
      dirty = true;
    }
  });
  // A result ready while the progress message still waits for the channel (behind a burst's other
  // messages) goes in the channel soon, not after it: the message follows, showing the outcome.
  let resultInChannel = false;
  const threadParent = async (): Promise<MessageRef | undefined> => {
    if (!deps.board.progressPosting(onceKey(ctx, 'progress'))) return progress;
    const parent = await withDeadline(progress, deps.threadWaitMs ?? 2000);
    if (parent === undefined) resultInChannel = true;
    return parent;
  };
  /** Shows the job's state as of now, once the progress message exists (versions keep their order). */
  const show = (outcome?: LbOutcome): Promise<void> => {
    const message = renderProgress(progressView(data, state, now(), outcome));
    return progress.then((ref) => (ref ? deps.board.show(ref, message, { final: outcome !== undefined }) : undefined));
  };
  const finish = async (outcome: LbOutcome): Promise<LbJobResult> => {
    forgetWakeups();
    state.waitingFor = undefined;
    dirty = true;
    await save();
    // Not awaited: the final version may wait up to a second for its slot, and a worker slot must not
    // wait with it (the board sends it, and flushes what is pending when it closes).
    void show(outcome);
    await tellRequester(outcome);
    // Ended before its progress message was posted, and said so in the channel (its endpoints, or "deleted"):
    // the message, still waiting behind the channel's others, would only repeat it minutes later (and cost
    // an update of Slack's ~50 a minute for its final state). Other outcomes' messages point to its details.
    if (resultInChannel && (outcome.kind === 'ready' || outcome.kind === 'deleted')) deps.board.cancelProgress(onceKey(ctx, 'progress'));
    await recordOutcome(outcome);
    log.info({ outcome: outcome.kind }, 'load-balancer job finished');
    return { outcome };
  };
  /** A thread reply mentioning the requester when the job ends without an endpoint to announce (once). */
  const tellRequester = async (outcome: LbOutcome): Promise<void> => {
    const message = renderOutcomeMessage(progressView(data, state, now(), outcome));
    if (!message) return;
    const progressRef = await threadParent(); // in its thread only once the message exists
    const channel = progressRef?.channel ?? data.requester.channelId;
    await postOnce(ctx, deps, 'outcome', channel, message, {
      digest: 'results',
      ...(progressRef ? { threadTs: progressRef.ts } : {}),
      ...(data.requester.responseUrl ? { fallbackResponseUrl: data.requester.responseUrl, fallbackUserId: data.requester.userId } : {}),
    }).catch((err: unknown) => log.warn({ err }, 'could not tell the requester how the job ended'));
  };
  /** The job's outcome in the audit trail, once (a job finished again after a takeover records nothing new). */
  const recordOutcome = async (outcome: LbOutcome): Promise<void> => {
    await deps.once
      .run(onceKey(ctx, 'audit'), async () => {
        await deps.audit.record({
          action: 'job',
          userId: data.requester.userId,
          cluster: data.cluster,
          namespace: data.namespace,
          service: data.name,
          result: `${changeOf(data)}: ${outcomeSummary(outcome)}`,
          jobId: ctx.id,
        });
        return true;
      })
      .catch((err: unknown) => log.warn({ err }, 'could not record the job\'s outcome in the audit trail'));
  };
  const fail = async (outcome: LbOutcome, message: string): Promise<never> => {
    await finish(outcome);
    throw new PermanentJobError(message);
  };
  const cancelled = (by: string) => fail({ kind: 'cancelled' }, `cancelled by ${by}`);
  const superseded = (by: ChangeRecord) => {
    log.info({ by: by.jobId ?? by.change }, 'superseded by a newer change of the Service; standing down');
    return finish({ kind: 'superseded', by });
  };

  const run: StepRun = {
    ctx,
    data,
    state,
    // The cluster's calls retry transient errors for their own per-call deadline, and not once the
    // job's signal fires (cancel, supersede, the worker stopping: its steps must end within the grace).
    target: deps.clusters.get(data.cluster, { deadline: Number.POSITIVE_INFINITY, signal: ctx.signal }),
    deps,
    log,
    now,
    threadParent,
    markDone(s) {
      if (state.doneAt[s] === undefined) {
        state.doneAt[s] = now();
        dirty = true;
      }
    },
    async saveNow() {
      dirty = true;
      await save();
    },
  };

  if (supersededBy) return superseded(supersededBy);
  if (early?.kind === 'cancelled') return cancelled(early.by);
  const deadline = data.requestedAt + (deps.timeoutMs ?? DEFAULT_TIMEOUT_MS);

  let result: StepOutcome;
  try {
    result = await step(run);
    if (state.throttledRuns !== undefined) {
      state.throttledRuns = undefined;
      dirty = true;
    }
  } catch (err) {
    const stuckAt = currentStep(data.operation, state) ?? 'ready';
    // AWS refusing for rate is no failure: the job waits as it waits for AWS, and runs again, until its
    // deadline (never spending an attempt on it; the ELB clients slow down by themselves meanwhile).
    if (isThrottled(err) && now() < deadline && !jobStop(ctx.signal)) {
      state.throttledRuns = (state.throttledRuns ?? 0) + 1;
      // Never longer than any park (JOB_RECHECK_INTERVAL).
      const waitMs = Math.min(throttledWaitMs(state.throttledRuns, deps.random ?? Math.random), deps.maxParkMs ?? DEFAULT_MAX_PARK_MS);
      log.info({ throttledRuns: state.throttledRuns, waitMs }, 'AWS is throttling; the job waits and runs again');
      state.waitingFor = 'AWS is throttling svcbot; slowing down';
      dirty = true;
      await save().catch(() => undefined);
      void show();
      return ctx.park(Math.min(now() + waitMs, deadline));
    }
    if (isTransientJobError(err) && !ctx.lastAttempt && now() < deadline) {
      log.warn({ err }, 'transient failure; the queue retries it with backoff');
      dirty = true;
      await save().catch(() => undefined);
      throw err;
    }
    log.warn({ err }, 'load-balancer job failed');
    return fail({ kind: 'failed', stuckAt, reason: failureReason(err) }, failureReason(err));
  }

  if (result.kind === 'done') return finish(result.outcome);
  const stuckAt = currentStep(data.operation, state) ?? 'ready';
  if (result.kind === 'failed') {
    return fail({ kind: 'failed', stuckAt, reason: result.reason, ...(result.event ? { event: result.event } : {}) }, result.reason);
  }
  if (now() >= deadline) {
    const outcome = await onTimeout(run, stuckAt);
    return fail(outcome, outcome.kind === 'failed' ? outcome.reason : outcome.kind);
  }
  const stopNow = jobStop(ctx.signal);
  if (stopNow?.kind === 'cancelled') return cancelled(stopNow.by);
  if (stopNow?.kind === 'superseded') return superseded(stopNow.by);

  // Wait: register the wake-ups first, then show and save, then park.
  if (state.waitingFor !== result.why) {
    state.waitingFor = result.why;
    dirty = true;
  }
  // The recheck comes at a random point of the last quarter of the interval, never later: jobs parked
  // together (a burst of requests) do not all run again in the same second, interval after interval.
  // A recheck that would come at or after the deadline is none: the job sleeps until its deadline (the
  // default, JOB_RECHECK_INTERVAL = JOB_TIMEOUT: a parked job costs nothing until woken or adopted).
  const maxParkMs = deps.maxParkMs ?? DEFAULT_MAX_PARK_MS;
  const jittered = Math.round(maxParkMs * (1 - (deps.random ?? Math.random)() / 4));
  const parkMs = now() + maxParkMs >= deadline ? Math.max(0, deadline - now()) : jittered;
  // The wake-ups lapse a little after the park timeout, when the job (if it still exists) registers again.
  const ttlMs = parkMs + 5000;
  // Only what this wait needs stays registered (a check of an earlier step would keep running for nothing).
  forgetWakeups();
  if (result.onServiceChange) {
    deps.watchWakeups.wakeOnChange(ctx.id, { cluster: data.cluster, namespace: data.namespace, name: data.name }, result.onServiceChange, ttlMs);
  }
  if (result.probe) {
    deps.probers[result.probe.prober].register(ctx.id, result.probe.check, { ttlMs });
  }
  await save();
  void show();
  const until = Math.min(now() + parkMs, deadline);
  log.debug({ waitingFor: result.why, until }, 'parking');
  return ctx.park(until);
}

/** The newest Warning `SyncLoadBalancerFailed` Event about the Service since `since` (epoch ms). */
export async function loadBalancerFailureEvent(run: StepRun, since: number): Promise<EventView | undefined> {
  return findFailureEvent(run.target.cluster, run.data.namespace, run.data.name, since);
}

/** As loadBalancerFailureEvent, from only what it needs (a parked job's probe must not hold its whole run). */
export async function findFailureEvent(
  cluster: Pick<StepRun['target']['cluster'], 'listServiceEvents'>,
  namespace: string,
  name: string,
  since: number,
): Promise<EventView | undefined> {
  const events = await cluster.listServiceEvents(namespace, name);
  return events.filter((e) => e.reason === 'SyncLoadBalancerFailed' && e.lastSeen.getTime() >= since).at(-1);
}

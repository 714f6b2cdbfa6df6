/**
 * The progress of a load-balancer job: which steps are done and when, and how it ended. Jobs keep this
 * (as `LbJobState`) in their BullMQ job data so that a retried or taken-over job picks up where the last
 * attempt left off; renderers turn a ProgressView into the message updated in place.
 */
import type { EventView } from './views.js';
import type { ChangeRecord } from './changes.js';
import { PROVISION_STEPS, TEARDOWN_STEPS, type LbJobData, type LbStep } from './lb-jobs.js';

/** What a job remembers between attempts (and between parks). */
export interface LbJobState {
  /** epoch ms at which each step was seen done. */
  doneAt: Partial<Record<LbStep, number>>;
  /** The load balancer's hostname, once known (teardown needs it after the Service is gone). */
  hostname?: string;
  /** The hostname whose ELB was last seen serving (listeners right, all instances InService). */
  servingHostname?: string;
  /**
   * The UID of the Service this job acts on, once seen (or created): a Service of the same name with
   * another UID is not this job's business, and one gone means the world moved on.
   */
  serviceUid?: string;
  /** Provisioning: the job has tried to create the Service (saved before it does), so a missing one was deleted since. */
  createAttempted?: boolean;
  /** The job's progress message, once posted. */
  progress?: { channel: string; ts: string };
  /** Latest thing the job is waiting on, in words (e.g. "2 of 3 instances in service"). */
  waitingFor?: string;
  /** Runs in a row that AWS throttled (the wait before the next one doubles with each). */
  throttledRuns?: number;
}

export interface LbEndpoint {
  host: string;
  port: number;
  /** `http://HOST:PORT` / `https://…` for web-looking ports. */
  url?: string;
}

export type LbOutcome =
  | { kind: 'ready'; endpoints: LbEndpoint[] }
  | { kind: 'deleted' }
  /** Gave up: `stuckAt` is the step that did not complete; `event` the Warning Event that explains it, if any. */
  | { kind: 'failed'; stuckAt: LbStep; reason: string; event?: Pick<EventView, 'reason' | 'message'> }
  /** Teardown timed out with the ELB still there: it may be an orphan still costing money. */
  | { kind: 'orphan'; loadBalancer: string }
  | { kind: 'cancelled' }
  /** A newer change of the same Service was asked for: this job stood down, that one reports. */
  | { kind: 'superseded'; by: ChangeRecord }
  /** Provisioning: the Service was deleted (or replaced) while the job worked: nothing left to do. */
  | { kind: 'service-gone' };

/** How a job ended, in a few plain words (the audit trail's result). */
export function outcomeSummary(outcome: LbOutcome): string {
  switch (outcome.kind) {
    case 'ready':
      return `ready at ${outcome.endpoints.map((e) => `${e.host}:${e.port}`).join(', ') || 'its load balancer'}`;
    case 'deleted':
      return 'load balancer deleted';
    case 'failed':
      return `failed at step ${outcome.stuckAt}: ${outcome.reason}${outcome.event ? ` (${outcome.event.reason}: ${outcome.event.message})` : ''}`;
    case 'orphan':
      return `gave up waiting: load balancer ${outcome.loadBalancer} may be left behind, still costing money`;
    case 'cancelled':
      return 'cancelled';
    case 'superseded':
      return `superseded by ${outcome.by.jobId ?? outcome.by.change}`;
    case 'service-gone':
      return 'the Service was deleted meanwhile';
  }
}

type StepStatus = 'done' | 'running' | 'pending' | 'stuck';

export interface StepView {
  step: LbStep;
  status: StepStatus;
  /** Time from the request to the step being done (done steps), or so far (the running step). */
  elapsedMs?: number;
}

export interface ProgressView {
  operation: LbJobData['operation'];
  cluster: string;
  namespace: string;
  name: string;
  targetType?: string;
  userId: string;
  steps: StepView[];
  waitingFor?: string;
  outcome?: LbOutcome;
}

function stepsOf(operation: LbJobData['operation']): readonly LbStep[] {
  return operation === 'provision' ? PROVISION_STEPS : TEARDOWN_STEPS;
}

export function emptyState(): LbJobState {
  return { doneAt: {} };
}

/** The state a job saved earlier, or an empty one when `saved` is not one (nothing saved yet). */
export function asLbJobState(saved: unknown): LbJobState {
  const doneAt = (saved as { doneAt?: unknown } | null | undefined)?.doneAt;
  return typeof doneAt === 'object' && doneAt !== null ? (saved as LbJobState) : emptyState();
}

/** The first step not done yet (undefined when all are). */
export function currentStep(operation: LbJobData['operation'], state: LbJobState): LbStep | undefined {
  return stepsOf(operation).find((s) => state.doneAt[s] === undefined);
}

/** The progress as of `now`, for rendering. */
export function progressView(data: LbJobData, state: LbJobState, now: number, outcome?: LbOutcome): ProgressView {
  const current = currentStep(data.operation, state);
  const steps = stepsOf(data.operation).map((step): StepView => {
    const doneAt = state.doneAt[step];
    if (doneAt !== undefined) return { step, status: 'done', elapsedMs: Math.max(0, doneAt - data.requestedAt) };
    if (step !== current) return { step, status: 'pending' };
    const stuck = outcome !== undefined && (outcome.kind === 'failed' || outcome.kind === 'orphan' || outcome.kind === 'cancelled');
    return { step, status: stuck ? 'stuck' : 'running', elapsedMs: Math.max(0, now - data.requestedAt) };
  });
  const view: ProgressView = {
    operation: data.operation,
    cluster: data.cluster,
    namespace: data.namespace,
    name: data.name,
    userId: data.requester.userId,
    steps,
  };
  if (data.targetType) view.targetType = data.targetType;
  if (state.waitingFor && !outcome) view.waitingFor = state.waitingFor;
  if (outcome) view.outcome = outcome;
  return view;
}

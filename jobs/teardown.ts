/**
 * Teardown (`delete` and `retype` jobs): delete the Service, or patch its type away from LoadBalancer,
 * then wait until the ELB is gone from DescribeLoadBalancers and the Service's load-balancer finalizer is
 * cleared; then say "load balancer deleted — no further charges". If the ELB is still there at the
 * timeout, warn that it may be an orphan. A Service that is already gone (404) is success.
 *
 * The ELB's hostname is remembered in the job's state before the Service is changed, so a retried or
 * taken-over job can still find the ELB after the Service (and its status) is gone.
 *
 * A job approved for one version of the Service (`expectResourceVersion`) deletes or retypes it only in
 * that version (a resourceVersion precondition / conditional patch): a Service changed since ends the job
 * failed, the Service left as it is — then a conflict is not "ours is gone", as it is without one.
 */
import { BotError } from '../src/domain/errors.js';
import { loadBalancerNameFromHostname } from '../src/domain/load-balancer-names.js';
import { CHANGED_SINCE_APPROVED, type LbStep } from '../src/domain/lb-jobs.js';
import type { LbOutcome } from '../src/domain/progress.js';
import type { ServiceView } from '../src/domain/views.js';
import { runLbJob, type LbJobContext, type LbJobDeps, type LbJobResult, type StepOutcome, type StepRun } from './lb-job.js';

const LB_CLEANUP_FINALIZER = 'service.kubernetes.io/load-balancer-cleanup';

function isConflict(err: unknown): boolean {
  return err instanceof BotError && err.code === 'conflict';
}

function isNotFound(err: unknown): boolean {
  return err instanceof BotError && err.code === 'not_found' && /^No Service/.test(err.userMessage);
}

async function getServiceOrUndefined(run: StepRun): Promise<ServiceView | undefined> {
  try {
    return await run.target.cluster.getService(run.data.namespace, run.data.name);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** How a job ends when its Service is no longer in the version the request was approved for. */
const CHANGED_SINCE_REQUEST: StepOutcome = { kind: 'failed', reason: CHANGED_SINCE_APPROVED };

async function teardownStep(run: StepRun): Promise<StepOutcome> {
  const { data, state } = run;
  const { cluster, loadBalancers } = run.target;
  const svc = await getServiceOrUndefined(run);

  if (state.doneAt.service === undefined) {
    // Only the Service this job first saw (pinned by its UID): one made again meanwhile is not its business.
    const ours = svc !== undefined && (state.serviceUid === undefined || svc.uid === state.serviceUid);
    if (svc && ours) {
      // Approved for the Service in one version: while the change is still to be made, only in that version
      // (compared here, and made conditional on it, so Kubernetes refuses a Service changed since).
      const approved = data.expectResourceVersion;
      const deleteDue = data.operation === 'delete' && !svc.deleting;
      const retypeDue = data.operation === 'retype' && svc.type === 'LoadBalancer';
      if (approved !== undefined && (deleteDue || retypeDue) && svc.resourceVersion !== approved) return CHANGED_SINCE_REQUEST;
      state.hostname ??= svc.loadBalancerHostnames[0];
      state.serviceUid = svc.uid;
      await run.saveNow(); // before the hostname is lost with the Service
      try {
        if (deleteDue) {
          await cluster.deleteService(data.namespace, data.name, { uid: svc.uid, ...(approved !== undefined ? { resourceVersion: approved } : {}) });
        }
        if (retypeDue) {
          if (!data.targetType) return { kind: 'failed', reason: 'the job does not say which type to change to' };
          if (approved === undefined) await cluster.setServiceType(data.namespace, data.name, data.targetType);
          else await cluster.setServiceType(data.namespace, data.name, data.targetType, { resourceVersion: approved });
        }
      } catch (err) {
        // With an approved version, a conflict is a Service changed since (or replaced: its UID is checked too).
        if (approved !== undefined && isConflict(err)) return CHANGED_SINCE_REQUEST;
        // Gone already, or replaced by another Service of the same name (the UID precondition): ours is gone.
        if (!isNotFound(err) && !(isConflict(err) && data.operation === 'delete')) throw err;
      }
    }
    run.markDone('service');
  }

  const hostname = state.hostname;
  if (hostname && state.doneAt['elb-deleted'] === undefined) {
    const ref = { namespace: data.namespace, name: data.name, hostname };
    if (await loadBalancers.findForService(ref)) {
      return {
        kind: 'wait',
        why: `waiting for AWS to delete load balancer ${loadBalancerNameFromHostname(hostname) ?? hostname}`,
        probe: { prober: 'elb', check: elbGone(loadBalancers, ref) },
      };
    }
  }
  run.markDone('elb-deleted');

  const current = await getServiceOrUndefined(run);
  const sameService = current !== undefined && (state.serviceUid === undefined || current.uid === state.serviceUid);
  const held = sameService && current.finalizers.includes(LB_CLEANUP_FINALIZER);
  if (held) {
    return {
      kind: 'wait',
      why: 'waiting for the Service\'s load-balancer finalizer to be cleared',
      onServiceChange: finalizerCleared,
    };
  }
  run.markDone('finalizer-cleared');
  run.markDone('done');
  return { kind: 'done', outcome: { kind: 'deleted' } };
}

// What parked jobs wait on: module-level, so each closes over only its arguments (see StepOutcome).

function elbGone(loadBalancers: StepRun['target']['loadBalancers'], ref: { namespace: string; name: string; hostname: string }): () => Promise<boolean> {
  return async () => (await loadBalancers.findForService(ref)) === undefined;
}

function finalizerCleared(s: ServiceView | undefined): boolean {
  return !s || !s.finalizers.includes(LB_CLEANUP_FINALIZER);
}

function teardownTimeout(run: StepRun, stuckAt: LbStep): Promise<LbOutcome> {
  const minutes = Math.round((run.deps.timeoutMs ?? 15 * 60_000) / 60_000);
  const hostname = run.state.hostname;
  if (stuckAt === 'elb-deleted' && hostname) {
    return Promise.resolve({ kind: 'orphan', loadBalancer: loadBalancerNameFromHostname(hostname) ?? hostname });
  }
  const what = stuckAt === 'finalizer-cleared' ? 'the Service\'s load-balancer finalizer was not cleared' : 'the Service could not be changed';
  return Promise.resolve({ kind: 'failed', stuckAt, reason: `gave up after ${minutes} min: ${what}.` });
}

export function runTeardown(ctx: LbJobContext, deps: LbJobDeps): Promise<LbJobResult> {
  return runLbJob(ctx, deps, teardownStep, teardownTimeout);
}

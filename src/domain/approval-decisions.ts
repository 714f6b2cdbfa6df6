/**
 * Deciding approval requests: approve, reject (with a reason) and withdraw, by command or button alike.
 *
 * Who may decide is checked at the moment of the decision (the policy's approvers, four eyes); the
 * status then moves in the store's one atomic step, so of two approvers clicking at once, a double click,
 * or a replayed click after the decision, exactly one call decides and the others are told who did and
 * when. An approved request runs its command as the requester, once, through the same operations a typed
 * command uses (policy checked again, and the Service must still be the one approved: its resourceVersion).
 *
 * The approval starts the run's lease in the store, and the run marks it over when it ends, however it
 * ends. A run that never ended (its process died) is stalled once its lease lapses: `resumeStalled`, on
 * every sweep, claims those (each by one process) and carries them out again on the same path. A change
 * already made is refused by Kubernetes (it is conditional on the approved resourceVersion), so it is
 * reported as not run, never made twice.
 */
import { randomBytes } from 'node:crypto';
import type { Acting } from './access.js';
import type { Access } from './access.js';
import { aboutRequest, type ApprovalRequests } from './approval-requests.js';
import { DEFAULT_RUN_LEASE_MS, type ApprovableCommand, type ApprovalRequest } from './approvals.js';
import type { AuditTrail } from './audit-trail.js';
import { BotError } from './errors.js';
import type { Requester } from './operations.js';
import type { OperationResult } from './results.js';
import type { ApprovalNotices, ApprovalStore, ApprovedRun } from '../ports/approvals.js';
import type { Logger } from '../ports/logger.js';

export type DecisionResult =
  /** This call decided it (and, when approved, ran its change: `run`). */
  | { kind: 'decided'; request: ApprovalRequest; run?: ApprovedRun }
  /** It was decided before (by someone else, a double click, expiry): nothing happened. */
  | { kind: 'already'; request: ApprovalRequest }
  /** The person may not decide it: nothing happened. */
  | { kind: 'refused'; request: ApprovalRequest; reason: string };

export interface ApprovalDecisionsDeps {
  store: ApprovalStore;
  requests: Pick<ApprovalRequests, 'expired'>;
  notices: ApprovalNotices;
  audit: Pick<AuditTrail, 'record'>;
  access: Pick<Access, 'check' | 'mayDecide'>;
  /** Runs an approved command as its requester: a Service change through the operations, an orphan's deletion through the orphan commands. */
  operations: ApprovedRunner;
  logger: Logger;
  now?: () => number;
  /** How long a resumed run may take before it counts as interrupted again. Default DEFAULT_RUN_LEASE_MS. */
  runLeaseMs?: number;
}

export interface ApprovedRunner {
  run(command: ApprovableCommand, requester: Requester, options: { approved: ApprovalRequest }): Promise<OperationResult>;
}

export interface ApprovalDecisions {
  decide(id: string, verdict: 'approve' | 'reject', acting: Acting, reason?: string): Promise<DecisionResult>;
  withdraw(id: string, acting: Acting): Promise<DecisionResult>;
  /**
   * Carries out again the approved requests whose run was interrupted (its lease lapsed before it was
   * over), each by one process however many sweep: run, marked over, the requester told. Resolves with how many.
   */
  resumeStalled(): Promise<number>;
}

function notFound(id: string): BotError {
  return new BotError('not_found', `There is no approval request ${id}. Check the ID; \`approvals\` lists the requests still waiting.`);
}

function resultText(result: OperationResult): string {
  switch (result.kind) {
    case 'queued':
      return result.result.duplicate ? `already in progress as job ${result.result.jobId}` : `queued as job ${result.result.jobId}`;
    case 'created':
      return `created ${result.result.service.type} Service`;
    case 'type-changed':
      return `type ${result.result.before} → ${result.result.service.type}`;
    case 'deleted':
      return 'deleted';
    case 'ingress-opened':
      return `opened grant ${result.grant.id} until ${new Date(result.grant.expiresAt).toISOString()}`;
    default:
      return result.kind;
  }
}

export function makeApprovalDecisions(deps: ApprovalDecisionsDeps): ApprovalDecisions {
  const { store, requests, notices, audit, access, operations, logger, now = Date.now, runLeaseMs = DEFAULT_RUN_LEASE_MS } = deps;

  /**
   * The request, expired first if its time is up (so that nobody approves a request after its hour), once
   * the policy allows `verb` where the request would act (a rule may keep someone from deciding anything).
   */
  async function current(id: string, verb: 'approve' | 'reject' | 'withdraw', acting: Acting): Promise<{ request: ApprovalRequest; justExpired: boolean }> {
    const request = await store.get(id);
    if (request === undefined) throw notFound(id);
    const { cluster, namespace, name } = request.change;
    await access.check(acting, { subcommand: verb, cluster, namespace }, { service: name, requestId: id });
    if (request.status !== 'pending' || request.expiresAt > now()) return { request, justExpired: false };
    const outcome = await store.decide(id, { status: 'expired', at: now() });
    if (outcome.request === undefined) throw notFound(id);
    if (outcome.changed) await requests.expired(outcome.request);
    return { request: outcome.request, justExpired: outcome.changed };
  }

  /** Best effort: the decision stands whatever Slack says about its message. */
  async function show(request: ApprovalRequest): Promise<void> {
    await notices.show(request).catch((err: unknown) => logger.warn({ err, requestId: request.id }, 'could not update a request\'s message'));
  }

  async function runApproved(request: ApprovalRequest): Promise<ApprovedRun> {
    const { requester } = request;
    try {
      const result = await operations.run(
        request.command,
        {
          userId: requester.userId,
          channelId: requester.channelId,
          ...(requester.responseUrl === undefined ? {} : { responseUrl: requester.responseUrl }),
          commandText: request.commandText,
        },
        { approved: request },
      );
      return { kind: 'ran', result };
    } catch (err) {
      if (err instanceof BotError) {
        await audit.record({
          action: 'not-run',
          userId: requester.userId,
          command: request.commandText,
          ...aboutRequest(request),
          result: err.userMessage,
        });
        return { kind: 'not-run', error: err };
      }
      const ref = randomBytes(4).toString('hex');
      logger.error({ err, ref, requestId: request.id }, 'unexpected error running an approved request');
      await audit.record({
        action: 'not-run',
        userId: requester.userId,
        command: request.commandText,
        ...aboutRequest(request),
        result: `something went wrong (ref: ${ref})`,
      });
      return { kind: 'failed', ref };
    }
  }

  /**
   * The one path of an approved request, just decided or resumed after an interrupted run: its change runs,
   * the run is marked over (whatever came of it), and the requester is told how it went.
   */
  async function carryOut(request: ApprovalRequest, resumed: boolean): Promise<ApprovedRun> {
    let run: ApprovedRun;
    try {
      run = await runApproved(request);
    } finally {
      // Should this fail, the run is resumed once its lease lapses: harmless, a change already made is refused.
      await store
        .finishRun(request.id)
        .catch((err: unknown) => logger.warn({ err, requestId: request.id }, 'could not mark an approved request\'s run over; it will be resumed (a change already made is refused)'));
    }
    const about = { requestId: request.id, ...(resumed ? { resumed: true } : {}) };
    if (run.kind === 'ran') {
      logger.info({ ...about, result: resultText(run.result) }, resumed ? 'approved request ran, resumed after an interrupted run' : 'approved request ran');
    } else if (resumed) {
      logger.info({ ...about, outcome: run.kind, ...(run.kind === 'not-run' ? { code: run.error.code } : { ref: run.ref }) }, 'approved request resumed after an interrupted run: it did not run');
    }
    await notices.tell(request, run).catch((err: unknown) => logger.warn({ err, requestId: request.id }, 'could not tell the requester'));
    return run;
  }

  return {
    async decide(id, verdict, acting, reason) {
      const { request } = await current(id, verdict, acting);
      if (request.status !== 'pending') return { kind: 'already', request };
      const may = await access.mayDecide(acting, request.requester.userId, aboutRequest(request));
      if (!may.allowed) return { kind: 'refused', request, reason: may.reason };

      const at = now();
      const outcome = await store.decide(
        id,
        verdict === 'approve'
          ? { status: 'approved', by: acting.userId, at }
          : { status: 'rejected', by: acting.userId, at, ...(reason === undefined ? {} : { reason }) },
      );
      if (outcome.request === undefined) throw notFound(id);
      if (!outcome.changed) return { kind: 'already', request: outcome.request };
      const decided = outcome.request;
      await audit.record({
        action: verdict === 'approve' ? 'approved' : 'rejected',
        userId: acting.userId,
        ...(acting.commandText === undefined ? {} : { command: acting.commandText }),
        ...aboutRequest(decided),
        result:
          verdict === 'approve'
            ? `approved ${decided.requester.userId}'s request: ${decided.commandText}`
            : `rejected ${decided.requester.userId}'s request${reason === undefined ? '' : `: ${reason}`}`,
      });
      await show(decided);
      if (verdict === 'reject') {
        await notices.tell(decided).catch((err: unknown) => logger.warn({ err, requestId: id }, 'could not tell the requester'));
        return { kind: 'decided', request: decided };
      }
      const run = await carryOut(decided, false);
      return { kind: 'decided', request: decided, run };
    },

    async withdraw(id, acting) {
      const { request } = await current(id, 'withdraw', acting);
      if (request.status !== 'pending') return { kind: 'already', request };
      if (request.requester.userId !== acting.userId) {
        const reason = 'Only the person who asked can withdraw a request.';
        await audit.record({
          action: 'refused',
          userId: acting.userId,
          ...(acting.commandText === undefined ? {} : { command: acting.commandText }),
          ...aboutRequest(request),
          result: reason,
        });
        return { kind: 'refused', request, reason };
      }
      const outcome = await store.decide(id, { status: 'withdrawn', by: acting.userId, at: now() });
      if (outcome.request === undefined) throw notFound(id);
      if (!outcome.changed) return { kind: 'already', request: outcome.request };
      await audit.record({
        action: 'withdrawn',
        userId: acting.userId,
        ...(acting.commandText === undefined ? {} : { command: acting.commandText }),
        ...aboutRequest(outcome.request),
        result: 'withdrawn by the requester',
      });
      await show(outcome.request);
      return { kind: 'decided', request: outcome.request };
    },

    async resumeStalled() {
      const stalled = await store.claimStalledRuns(now(), runLeaseMs);
      await Promise.all(
        stalled.map(async (request) => {
          logger.warn(
            { requestId: request.id, decidedBy: request.decidedBy, decidedAt: request.decidedAt },
            'resuming an approved request after an interrupted run (the process running it stopped before it was over)',
          );
          // Its message may still show the buttons, if the process stopped before updating it.
          await show(request);
          await carryOut(request, true).catch((err: unknown) => logger.error({ err, requestId: request.id }, 'an approved request resumed after an interrupted run failed'));
        }),
      );
      return stalled.length;
    },
  };
}

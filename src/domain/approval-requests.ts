/**
 * Approval requests from the requester's side: making one (kept first, then posted for approvers, then
 * recorded), listing the waiting ones, and expiring those whose time is up. The deciding side is
 * ./approval-decisions.ts. Every status change goes through the store's one atomic step; this module
 * never reads a status and then writes another.
 */
import { randomBytes } from 'node:crypto';
import type { Acting } from './access.js';
import type { ApprovableCommand, ApprovalRequest, ChangeSummary, CostEstimate } from './approvals.js';
import type { AuditRecord, AuditTrail } from './audit-trail.js';
import { BotError } from './errors.js';
import type { ApprovalPolicy } from './policy.js';
import type { ApprovalNotices, ApprovalStore } from '../ports/approvals.js';
import type { Logger } from '../ports/logger.js';

/** What an operation knows when a change needs approval. */
interface RequestDraft {
  command: ApprovableCommand;
  change: ChangeSummary;
  why: string;
  cost?: CostEstimate;
  /** The Service's resourceVersion now (absent for a create). */
  resourceVersion?: string;
}

/** Who asks, and where they can be answered. */
interface Asking extends Acting {
  channelId?: string;
  responseUrl?: string;
}

export interface PendingResult {
  requests: ApprovalRequest[];
  /** Only this cluster's (`--cluster`). */
  cluster?: string;
  now: Date;
}

export interface ApprovalRequestsDeps {
  store: ApprovalStore;
  notices: ApprovalNotices;
  audit: Pick<AuditTrail, 'record'>;
  approval: Pick<ApprovalPolicy, 'ttlMs' | 'channel'>;
  logger: Logger;
  now?: () => number;
  /** A new request's ID (default: 8 random hex digits). */
  newId?: () => string;
}

export interface ApprovalRequests {
  /**
   * Keeps, posts and records a new request; resolves with it as posted — or, when the same change is
   * already waiting for approval, with that request (`alreadyWaiting`), and nothing new is made.
   */
  request(draft: RequestDraft, asking: Asking): Promise<{ request: ApprovalRequest; alreadyWaiting: boolean }>;
  pending(cluster?: string): Promise<PendingResult>;
  /** Expires every request whose time is up (each once, whichever process sweeps); resolves with how many. */
  expireDue(): Promise<number>;
  /** What follows a request's expiry (store already moved it): recorded, message updated, requester told. */
  expired(request: ApprovalRequest): Promise<void>;
}

/** `45 s`, `30 min`, `24 h`, `2 h 30 min`: how long a request could wait. */
export function ttlWords(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  const minutes = Math.round(ms / 60_000);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
}

function newApprovalId(): string {
  return randomBytes(4).toString('hex');
}

/** The audit entry's "about what" fields for a request. */
export function aboutRequest(request: ApprovalRequest): Required<Pick<AuditRecord, 'cluster' | 'namespace' | 'service' | 'requestId'>> {
  return { cluster: request.change.cluster, namespace: request.change.namespace, service: request.change.name, requestId: request.id };
}

/** A create has no Service yet; the others act on the one that exists. */
function describeChange(change: ChangeSummary): string {
  const what = `${change.namespace}/${change.name} on ${change.cluster}`;
  switch (change.kind) {
    case 'create':
      return `create ${change.toType ?? ''} Service ${what}`;
    case 'type':
      return `type ${change.fromType ?? '?'} → ${change.toType ?? '?'} of ${what}`;
    case 'delete':
      return `delete ${change.fromType ?? ''} Service ${what}`;
    case 'delete-load-balancer':
      return `delete load balancer ${change.loadBalancer?.name ?? '?'} in ${change.loadBalancer?.region ?? '?'} (of Service ${what})`;
    case 'allow':
      return `open ${change.ports.join(', ')} of ${what} to ${change.ingress?.cidr ?? '?'} for ${ttlWords(change.ingress?.durationMs ?? 0)}`;
  }
}

export function makeApprovalRequests(deps: ApprovalRequestsDeps): ApprovalRequests {
  const { store, notices, audit, approval, logger, now = Date.now, newId = newApprovalId } = deps;

  async function expired(request: ApprovalRequest): Promise<void> {
    await audit.record({
      action: 'expired',
      userId: request.requester.userId,
      command: request.commandText,
      ...aboutRequest(request),
      result: `expired after ${ttlWords(request.expiresAt - request.createdAt)} without a decision`,
    });
    // The message and the requester are told best effort: the request is expired whatever Slack says.
    await notices.show(request).catch((err: unknown) => logger.warn({ err, requestId: request.id }, 'could not update an expired request\'s message'));
    await notices.tell(request).catch((err: unknown) => logger.warn({ err, requestId: request.id }, 'could not tell the requester their request expired'));
  }

  return {
    async request(draft, asking) {
      const channel = approval.channel ?? asking.channelId;
      if (channel === undefined || channel === '') {
        throw new BotError('invalid', 'This change needs approval, and approval requests need a channel: run it from a channel.');
      }
      const createdAt = now();
      const request: ApprovalRequest = {
        id: newId(),
        status: 'pending',
        commandText: asking.commandText ?? '',
        command: draft.command,
        change: draft.change,
        why: draft.why,
        ...(draft.cost === undefined ? {} : { cost: draft.cost }),
        requester: {
          userId: asking.userId,
          channelId: asking.channelId ?? channel,
          ...(asking.responseUrl === undefined ? {} : { responseUrl: asking.responseUrl }),
        },
        ...(draft.resourceVersion === undefined ? {} : { resourceVersion: draft.resourceVersion }),
        createdAt,
        expiresAt: createdAt + approval.ttlMs,
      };
      // IDs are random: one already taken (a chance in billions) is drawn again.
      for (let attempt = 1; ; attempt++) {
        try {
          const created = await store.create(request);
          if (!created.created) return { request: created.waiting, alreadyWaiting: true };
          break;
        } catch (err) {
          if (!(err instanceof BotError && err.code === 'already_exists') || attempt >= 3) throw err;
          request.id = newId();
        }
      }
      let message;
      try {
        message = await notices.post(request);
      } catch (err) {
        // A request nobody can see must not wait to be approved: take it back, and say why.
        await store.decide(request.id, { status: 'withdrawn', by: asking.userId, at: now() }).catch(() => undefined);
        const where = approval.channel === undefined ? 'this channel' : 'the approval channel';
        throw new BotError(
          err instanceof BotError && err.code === 'slack_not_in_channel' ? 'slack_not_in_channel' : 'slack_error',
          `This change needs approval, but svcbot could not post the request in ${where}` +
            (err instanceof BotError ? ` (${err.userMessage.replace(/\.$/, '')})` : '') +
            '. Nothing was changed.',
          { cause: err },
        );
      }
      request.message = message;
      await store.setMessage(request.id, message);
      await audit.record({
        action: 'requested',
        userId: asking.userId,
        command: request.commandText,
        ...aboutRequest(request),
        result: `waiting for approval: ${describeChange(request.change)} (${request.why})`,
      });
      return { request, alreadyWaiting: false };
    },

    async pending(cluster) {
      const all = await store.listPending();
      const at = now();
      // A request past its time is expired even before the sweeper gets to it.
      const requests = all.filter((r) => r.expiresAt > at && (cluster === undefined || r.change.cluster === cluster));
      return { requests, ...(cluster === undefined ? {} : { cluster }), now: new Date(at) };
    },

    async expireDue() {
      const due = await store.expireDue(now());
      for (const request of due) await expired(request);
      return due.length;
    },

    expired,
  };
}

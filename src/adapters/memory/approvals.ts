/**
 * ApprovalStore in memory, for one process (the console without Redis): the same contract as the Redis
 * store (test/contract/approval-store.contract.ts). Each call runs to its end without awaiting, so it is
 * atomic within the process; requests go in and come out as copies (through JSON, as in Redis). A decided request is forgotten
 * `retentionMs` after its decision; everything is forgotten with the process.
 */
import { approvalChangeKey, DEFAULT_RUN_LEASE_MS, type ApprovalRequest } from '../../domain/approvals.js';
import { BotError } from '../../domain/errors.js';
import type { ApprovalStore } from '../../ports/approvals.js';

export interface MemoryApprovalStoreOptions {
  /** How long a decided request is kept after its decision. Default 7 days. */
  retentionMs?: number;
  /** An approved request's run is stalled this long after its approval if not finished. Default DEFAULT_RUN_LEASE_MS. */
  runLeaseMs?: number;
}

interface Kept {
  request: ApprovalRequest;
  /** When a decided request is forgotten (Date.now() time). */
  forgetAt?: number;
  /** An approved request whose run is not over: when its lease lapses (the store's clock, as given). */
  runUntil?: number;
}

/** Stalled runs one claimStalledRuns call hands out at most (the Redis store's bound). */
const CLAIM_LIMIT = 10_000;

/** A copy as the Redis store keeps it: through JSON (fields that are undefined are left out). */
const copy = (request: ApprovalRequest): ApprovalRequest => JSON.parse(JSON.stringify(request)) as ApprovalRequest;

/** Pending requests oldest first (by createdAt, then id). */
const byAge = (a: ApprovalRequest, b: ApprovalRequest) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function createMemoryApprovalStore(options: MemoryApprovalStoreOptions = {}): ApprovalStore {
  const retentionMs = options.retentionMs ?? 7 * 24 * 3600_000;
  const runLeaseMs = Math.max(1, Math.round(options.runLeaseMs ?? DEFAULT_RUN_LEASE_MS));
  const requests = new Map<string, Kept>();

  /** Forgets the decided requests whose retention has passed. */
  function prune(): void {
    const now = Date.now();
    for (const [id, kept] of requests) if (kept.forgetAt !== undefined && kept.forgetAt <= now) requests.delete(id);
  }

  function current(id: string): Kept | undefined {
    prune();
    return requests.get(id);
  }

  function settle(kept: Kept, changes: Partial<ApprovalRequest>): void {
    kept.request = { ...kept.request, ...changes };
    kept.forgetAt = Date.now() + retentionMs;
  }

  return {
    create(request) {
      if (request.status !== 'pending') {
        return Promise.reject(new BotError('invalid', `Approval request ${request.id} is ${request.status}: only a pending request can be created.`));
      }
      if (current(request.id)) return Promise.reject(new BotError('already_exists', `Approval request ${request.id} exists already.`));
      const key = approvalChangeKey(request.change);
      for (const kept of requests.values()) {
        const other = kept.request;
        if (other.status === 'pending' && other.expiresAt > request.createdAt && approvalChangeKey(other.change) === key) {
          return Promise.resolve({ created: false, waiting: copy(other) });
        }
      }
      requests.set(request.id, { request: copy(request) });
      return Promise.resolve({ created: true });
    },

    get(id) {
      const kept = current(id);
      return Promise.resolve(kept && copy(kept.request));
    },

    listPending() {
      prune();
      const pending = [...requests.values()].filter((k) => k.request.status === 'pending').map((k) => copy(k.request));
      return Promise.resolve(pending.sort(byAge));
    },

    decide(id, decision) {
      const kept = current(id);
      if (!kept) return Promise.resolve({ changed: false, request: undefined });
      if (kept.request.status !== 'pending') return Promise.resolve({ changed: false, request: copy(kept.request) });
      const changes: Partial<ApprovalRequest> = { status: decision.status, decidedAt: decision.at };
      if (decision.status !== 'expired') changes.decidedBy = decision.by;
      if ((decision.status === 'approved' || decision.status === 'rejected') && decision.reason !== undefined) changes.reason = decision.reason;
      settle(kept, changes);
      if (decision.status === 'approved') kept.runUntil = decision.at + runLeaseMs;
      return Promise.resolve({ changed: true, request: copy(kept.request) });
    },

    finishRun(id) {
      const kept = current(id);
      if (kept) delete kept.runUntil;
      return Promise.resolve();
    },

    claimStalledRuns(now, leaseMs) {
      prune();
      const stalled = [...requests.values()]
        .filter((k): k is Kept & { runUntil: number } => k.request.status === 'approved' && k.runUntil !== undefined && k.runUntil <= now)
        .sort((a, b) => a.runUntil - b.runUntil || byAge(a.request, b.request))
        .slice(0, CLAIM_LIMIT);
      for (const kept of stalled) kept.runUntil = now + Math.max(1, Math.round(leaseMs));
      return Promise.resolve(stalled.map((k) => copy(k.request)));
    },

    expireDue(now) {
      prune();
      const due = [...requests.values()]
        .filter((k) => k.request.status === 'pending' && k.request.expiresAt <= now)
        .sort((a, b) => a.request.expiresAt - b.request.expiresAt || byAge(a.request, b.request));
      for (const kept of due) settle(kept, { status: 'expired', decidedAt: now });
      return Promise.resolve(due.map((k) => copy(k.request)));
    },

    setMessage(id, message) {
      const kept = current(id);
      if (kept) kept.request = { ...kept.request, message: { channel: message.channel, ts: message.ts } };
      return Promise.resolve();
    },
  };
}

/**
 * Where approval requests are kept: they survive restarts of every process, and each moves from pending
 * exactly once, decided by the store (one atomic step in Redis), never read-then-written by the caller.
 */
import type { ApprovalDecision, ApprovalRequest } from '../domain/approvals.js';
import type { MessageRef } from './replies.js';

export interface DecideOutcome {
  /** True when this call moved the request from pending; false when it was already decided (or is unknown). */
  changed: boolean;
  /** The request as it stands after the call (undefined for an unknown ID). */
  request: ApprovalRequest | undefined;
}

export interface ApprovalStore {
  /** Keeps a new pending request. */
  create(request: ApprovalRequest): Promise<void>;
  get(id: string): Promise<ApprovalRequest | undefined>;
  /** Pending requests, oldest first. */
  listPending(): Promise<ApprovalRequest[]>;
  /**
   * Moves a pending request to the decision's status, atomically: of concurrent calls (two approvers, a
   * double click, an expiry at the same moment) exactly one changes it; the others get it as decided.
   */
  decide(id: string, decision: ApprovalDecision): Promise<DecideOutcome>;
  /**
   * Expires the pending requests whose time is up at `now` and resolves with them — each expired request
   * to exactly one caller, however many processes sweep at once.
   */
  expireDue(now: number): Promise<ApprovalRequest[]>;
  /** Remembers the request's message (to update it in place when it is decided). */
  setMessage(id: string, message: MessageRef): Promise<void>;
}

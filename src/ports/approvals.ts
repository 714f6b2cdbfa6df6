/**
 * Where approval requests are kept: they survive restarts of every process, and each moves from pending
 * exactly once, decided by the store (one atomic step in Redis), never read-then-written by the caller.
 */
import type { ApprovalDecision, ApprovalRequest } from '../domain/approvals.js';
import type { BotError } from '../domain/errors.js';
import type { OperationResult } from '../domain/results.js';
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

/** How an approved request's change went. */
export type ApprovedRun =
  /** It ran: the result is what the command would have answered. */
  | { kind: 'ran'; result: OperationResult }
  /** It could not run (the Service changed since the request, the policy refuses it now, the cluster said no). */
  | { kind: 'not-run'; error: BotError }
  /** Something unexpected: the details are in svcbot's log under `ref`. */
  | { kind: 'failed'; ref: string };

/**
 * Where approval requests are seen: the message approvers decide on (updated in place as the request
 * moves), and what the requester is told. Slack and the console implement it over Replies.
 */
export interface ApprovalNotices {
  /** Posts a new request where approvers see it. Throws BotError when it cannot be posted (svcbot not in the channel…). */
  post(request: ApprovalRequest): Promise<MessageRef>;
  /** Shows the request as it now stands in place of its message (decided: the buttons go). */
  show(request: ApprovalRequest): Promise<void>;
  /** Tells the requester how their request ended: approved (and how the change went), rejected (why) or expired. */
  tell(request: ApprovalRequest, run?: ApprovedRun): Promise<void>;
}

/**
 * Where approval requests are kept: they survive restarts of every process, and each moves from pending
 * exactly once, decided by the store (one atomic step in Redis), never read-then-written by the caller.
 *
 * An approved request's change runs after the decision, and a process can die before it is over: so the
 * approval starts the run's lease in the same step, and a run still unfinished when its lease lapses is
 * handed to one caller (`claimStalledRuns`) to run again. Running again is safe: the change is conditional
 * on the Service's resourceVersion the request was made for, so one already made is refused, not repeated.
 */
import type { ApprovalDecision, ApprovalRequest } from '../domain/approvals.js';
import type { BotError } from '../domain/errors.js';
import type { OperationResult } from '../domain/results.js';
import type { MessageRef } from './replies.js';

type CreateOutcome = { created: true } | { created: false; waiting: ApprovalRequest };

export interface DecideOutcome {
  /** True when this call moved the request from pending; false when it was already decided (or is unknown). */
  changed: boolean;
  /** The request as it stands after the call (undefined for an unknown ID). */
  request: ApprovalRequest | undefined;
}

export interface ApprovalStore {
  /**
   * Keeps a new pending request — unless a request for the same change (`approvalChangeKey`) is still
   * waiting at the new one's `createdAt`: then nothing is kept and that request is the answer. Atomic: of
   * concurrent creates of one change, one is kept and the others get it. Throws BotError
   * `already_exists` for an ID taken already.
   */
  create(request: ApprovalRequest): Promise<CreateOutcome>;
  get(id: string): Promise<ApprovalRequest | undefined>;
  /** Pending requests, oldest first. */
  listPending(): Promise<ApprovalRequest[]>;
  /**
   * Moves a pending request to the decision's status, atomically: of concurrent calls (two approvers, a
   * double click, an expiry at the same moment) exactly one changes it; the others get it as decided.
   * To `approved`, the same step starts its run: the request is running until `decidedAt` + the store's
   * run lease (`runLeaseMs`, default DEFAULT_RUN_LEASE_MS), and stalled if not finished by then.
   */
  decide(id: string, decision: ApprovalDecision): Promise<DecideOutcome>;
  /** The approved request's run is over, whatever came of it: it is never claimed again. Unknown or finished ids: nothing. */
  finishRun(id: string): Promise<void>;
  /**
   * The approved requests whose run was never finished and whose lease has lapsed at `now`, each handed to
   * exactly one caller however many processes claim at once: its lease is renewed to `now + leaseMs` in the
   * same step (so it is stalled again only if this caller dies too). At most a bounded number per call;
   * the rest at the next.
   */
  claimStalledRuns(now: number, leaseMs: number): Promise<ApprovalRequest[]>;
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

/**
 * Where `/svc allow`'s grants are kept, and every decision about them taken atomically: a grant moves
 * opening -> open -> closing -> closed once, and each rule a grant opened is counted by the grants that
 * hold it, so that the rule is revoked when the last grant that made or shares it ends — never a rule
 * that was there before svcbot (opened by hand). A rule being authorized or revoked is locked for that
 * while, so that a grant and a revocation of the same rule do not cross.
 */
import type { IngressGrant } from '../domain/ingress-grants-model.js';
import type { IngressRuleRef } from './ingress-rules.js';

export type RuleClaim = 'ok' | 'busy';

/** What ending a grant's hold on a rule asks of EC2: revoke it (this grant was its last holder and svcbot made it), nothing, or wait (locked). */
export type RuleRelease = 'revoke' | 'keep' | 'busy';

/** Whose the close of a grant is: this closer's (go on), another's in progress (wait), or done before. */
export type CloseClaim = { outcome: 'mine'; grant: IngressGrant } | { outcome: 'other'; grant: IngressGrant } | { outcome: 'closed'; grant: IngressGrant } | { outcome: 'missing' };

export interface GrantStore {
  /** Keeps a new grant (status `opening`); an id already kept is left as it is and returned (a resumed run). */
  create(grant: IngressGrant): Promise<{ created: boolean; grant: IngressGrant }>;
  get(id: string): Promise<IngressGrant | undefined>;
  /** The grants opening, open or closing, soonest to expire first. */
  listActive(): Promise<IngressGrant[]>;
  /**
   * Locks `rule` (the grant's rule `index`) for this grant's authorize (`lockMs`), and marks it attempted;
   * `busy` while another grant's authorize or revoke holds it.
   */
  claimRule(grantId: string, index: number, rule: IngressRuleRef, now: number, lockMs: number): Promise<RuleClaim>;
  /**
   * After the authorize: `added` makes this grant a holder of a rule svcbot made; `existed` makes it a
   * holder only when svcbot made the rule (another grant's), else the grant does not own it. Records the
   * answer as the grant's rule `index` and unlocks. Resolves with whether the grant owns (holds) it.
   */
  settleRule(grantId: string, index: number, rule: IngressRuleRef, result: 'added' | 'existed'): Promise<boolean>;
  /** Ends this grant's hold: `revoke` when it was the last holder of a rule svcbot made (the rule is then locked until finishRelease). */
  releaseRule(grantId: string, rule: IngressRuleRef, now: number, lockMs: number): Promise<RuleRelease>;
  /** The revoke is done: the rule is forgotten. */
  finishRelease(grantId: string, rule: IngressRuleRef): Promise<void>;
  /** opening -> open; false when it is not opening (it was revoked meanwhile, or opened before). */
  markOpen(id: string, at: number): Promise<boolean>;
  /** Claims the close of a grant for `closer` (a close of another closer lapses after `leaseMs`). */
  beginClose(id: string, close: { closer: string; reason: 'expired' | 'revoked' | 'failed'; by: string; at: number; leaseMs: number }): Promise<CloseClaim>;
  /** closing -> closed; true for the one call that did it. */
  finishClose(id: string, closer: string, at: number): Promise<boolean>;
}

/** The delayed job that closes a grant when its time is up (its id is the grant's: scheduled once however often asked). */
export interface GrantExpiry {
  schedule(grantId: string, at: number): Promise<void>;
  /** Removes the delayed job (a grant revoked early); a job already running is left to find the grant closed. */
  cancel(grantId: string): Promise<void>;
}

/**
 * What an operation answers: result objects, rendered elsewhere (src/render), so that Slack, the console
 * and an approved request's thread reply all say the same.
 */
import type { ApprovalRequest } from './approvals.js';
import type { LbOperation } from './lb-jobs.js';
import type { IngressGrant } from './ingress-grants-model.js';
import type { CreateResult, DeleteResult, DescribeResult, DryRunResult, ListResult, TypeChangeResult } from './views.js';

export type OperationResult =
  | { kind: 'help'; topic?: string }
  | { kind: 'created'; result: CreateResult }
  | { kind: 'dry-run'; result: DryRunResult }
  | { kind: 'type-changed'; result: TypeChangeResult }
  | { kind: 'deleted'; result: DeleteResult }
  | { kind: 'list'; result: ListResult }
  | { kind: 'describe'; result: DescribeResult }
  | { kind: 'queued'; result: QueuedResult }
  /**
   * The change waits for a second person's approval (nothing changed yet); `alreadyWaiting`: the same
   * change was asked for before and still waits, as `request` (nothing new was made).
   */
  | { kind: 'approval-requested'; request: ApprovalRequest; alreadyWaiting?: true }
  /** An orphaned load balancer deleted (see src/domain/orphan-commands.ts). */
  | { kind: 'load-balancer-deleted'; result: DeletedLoadBalancer }
  /** `/svc allow`: the rules opened (or found open), and until when (see src/domain/ingress-grants.ts). */
  | { kind: 'ingress-opened'; grant: IngressGrant };

/** A load-balancer change handed to a job (see src/domain/lb-jobs.ts). */
export interface QueuedResult {
  jobId: string;
  operation: LbOperation;
  cluster: string;
  namespace: string;
  name: string;
  /** The same change was already queued or running: nothing new was queued. */
  duplicate: boolean;
}

export interface DeletedLoadBalancer {
  key: string;
  name: string;
  kind: 'classic' | 'network' | 'application' | 'gateway';
  region: string;
  service: { cluster: string; namespace: string; name: string };
  monthlyUsd: number;
  /** AWS no longer lists it: no further charges. False: it still did when svcbot stopped watching. */
  gone: boolean;
  /** It was gone before svcbot deleted it (someone else did, or an interrupted run had). */
  alreadyGone: boolean;
  /** The description kept in the audit log, in a few lines. */
  summary: string[];
}

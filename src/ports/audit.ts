/**
 * The audit log: every change, approval decision, refusal and job outcome, appended as it happens and
 * kept in a capped log (Redis: a stream trimmed to a configured length). What users did, not what they
 * typed secretly: an entry never holds a token, a secret or signing data.
 */
import type { LoadBalancerRecord } from '../domain/load-balancer-record.js';

export type AuditAction =
  /** A change made (or queued as a job) at once. */
  | 'change'
  /** Refused by the policy. */
  | 'refused'
  /** Waiting for approval. */
  | 'requested'
  | 'approved'
  | 'rejected'
  | 'expired'
  | 'withdrawn'
  /** An approved request could not run (the Service changed since the request, or the change failed). */
  | 'not-run'
  /** A load-balancer job ended. */
  | 'job';

export interface AuditEntry {
  /** epoch ms */
  at: number;
  action: AuditAction;
  /** Who: the Slack user ID (and their name where known). */
  userId: string;
  userName?: string;
  /** The command as typed, when there was one. */
  command?: string;
  cluster?: string;
  namespace?: string;
  service?: string;
  /** What came of it, in words. */
  result: string;
  /** Ties entries together: the approval request, the job. */
  requestId?: string;
  jobId?: string;
  /** What was deleted, in full (a load balancer's description), so that it could be recreated. */
  snapshot?: LoadBalancerRecord;
}

export interface AuditQuery {
  /** At most this many, newest first. */
  limit: number;
  service?: string;
  /** Entries by this user: their Slack user ID, or their name (lowercase, compared case-insensitively). */
  user?: string;
}

export interface AuditLog {
  append(entry: AuditEntry): Promise<void>;
  /** The newest entries that match, newest first. */
  recent(query: AuditQuery): Promise<AuditEntry[]>;
}

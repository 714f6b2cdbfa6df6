/** A change asked for on a Service, as the newest-change record keeps it (see src/ports/changes.ts). */
export interface ChangeRecord {
  /** Unique per request (a submission of the same change again is another request). */
  requestId: string;
  /** epoch ms; the newer request wins (ties: the greater requestId, so every process agrees). */
  requestedAt: number;
  /** What was asked, in the command's words: `delete`, `type nodeport`, `create`. */
  change: string;
  /** Slack user ID of whoever asked. */
  userId: string;
  /** The job that makes the change, when it is queued. */
  jobId?: string;
}

/** True when `a` was asked after `b` (the order every process agrees on). */
export function isNewer(a: Pick<ChangeRecord, 'requestedAt' | 'requestId'>, b: Pick<ChangeRecord, 'requestedAt' | 'requestId'>): boolean {
  return a.requestedAt > b.requestedAt || (a.requestedAt === b.requestedAt && a.requestId > b.requestId);
}

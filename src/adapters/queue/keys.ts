/**
 * What the web side and the workers agree on besides BullMQ's own keys: where cancellations are recorded
 * and announced, the name of the retry strategy, and how a processor reports its step.
 *
 * Keys live under BullMQ's own `${prefix}:${queueName}:` so that one prefix holds everything of a queue:
 * - `${prefix}:${queueName}:svcbot:cancelled`: a hash jobId -> JSON `CancelRecord` (bounded: pruned by
 *   age and count on every cancel and list). Workers read it when they start a job, so a cancel that
 *   raced with a worker taking the job is still seen.
 * - `${prefix}:${queueName}:svcbot:cancel`: the pub/sub channel every worker subscribes to; a message
 *   (JSON `StopMessage`: a cancel, or a newer change superseding the job) makes the worker holding that
 *   job abort its signal.
 */
import type { ChangeRecord } from '../../domain/changes.js';
import type { LbOperation } from '../../domain/lb-jobs.js';

export const DEFAULT_PREFIX = 'svcbot';

/** The job option `backoff.type` that selects svcbot's exponential-with-jitter strategy in the worker. */
export const BACKOFF_TYPE = 'svcbot-exponential-jitter';

export function cancelledKey(prefix: string, queueName: string): string {
  return `${prefix}:${queueName}:svcbot:cancelled`;
}

export function cancelChannel(prefix: string, queueName: string): string {
  return `${prefix}:${queueName}:svcbot:cancel`;
}

export interface CancelRecord {
  by: string;
  /** epoch ms */
  at: number;
  /** The cancelled job's creation time (epoch ms): a newer job with the same id is not cancelled. */
  jobCreatedAt: number;
  operation: LbOperation;
  cluster: string;
  namespace: string;
  name: string;
  requesterId: string;
  step?: string;
}

/** What the cancel channel carries: a cancel (`by` a user), or a newer change superseding the job. */
export type StopMessage = { jobId: string; by: string } | { jobId: string; supersededBy: ChangeRecord };

export function cancelReason(by: string): string {
  return `cancelled by ${by}`;
}

/** A `CancelRecord` from its stored JSON, or undefined if it isn't one. */
export function parseCancelRecord(json: string | null | undefined): CancelRecord | undefined {
  if (!json) return undefined;
  try {
    const value: unknown = JSON.parse(json);
    if (typeof value !== 'object' || value === null) return undefined;
    const r = value as Partial<CancelRecord>;
    if (typeof r.by !== 'string' || typeof r.at !== 'number' || typeof r.jobCreatedAt !== 'number') return undefined;
    return r as CancelRecord;
  } catch {
    return undefined;
  }
}

export function parseStopMessage(json: string): StopMessage | undefined {
  try {
    const value: unknown = JSON.parse(json);
    if (typeof value !== 'object' || value === null) return undefined;
    const m = value as { jobId?: unknown; by?: unknown; supersededBy?: Partial<ChangeRecord> };
    if (typeof m.jobId !== 'string') return undefined;
    if (typeof m.by === 'string') return { jobId: m.jobId, by: m.by };
    const s = m.supersededBy;
    if (s && typeof s.requestId === 'string' && typeof s.requestedAt === 'number' && typeof s.change === 'string' && typeof s.userId === 'string') {
      return { jobId: m.jobId, supersededBy: s as ChangeRecord };
    }
    return undefined;
  } catch {
    return undefined;
  }
}

/**
 * The step a processor last reported. Processors report it with `job.updateProgress({ step })` (or a bare
 * step string); anything else (a number, no progress yet) has no step.
 */
export function stepOf(progress: unknown): string | undefined {
  if (typeof progress === 'string' && progress !== '') return progress;
  if (typeof progress === 'object' && progress !== null && 'step' in progress) {
    const step = (progress).step;
    return typeof step === 'string' ? step : undefined;
  }
  return undefined;
}

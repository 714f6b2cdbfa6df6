/**
 * What the web side and the workers agree on besides BullMQ's own keys: where cancellations are recorded
 * and announced, the name of the retry strategy, and how a processor reports its step.
 *
 * Keys live under BullMQ's own `${prefix}:${queueName}:` so that one prefix holds everything of a queue:
 * - `${prefix}:${queueName}:svcbot:cancelled`: a hash jobId -> JSON `CancelRecord` (bounded: pruned by
 *   age and count on every cancel and list). Workers read it when they start a job, so a cancel that
 *   raced with a worker taking the job is still seen.
 * - `${prefix}:${queueName}:svcbot:cancel`: the pub/sub channel every worker subscribes to; a message
 *   (JSON `CancelMessage`) makes the worker holding that job abort its signal.
 */
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

export interface CancelMessage {
  jobId: string;
  by: string;
}

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

export function parseCancelMessage(json: string): CancelMessage | undefined {
  try {
    const value: unknown = JSON.parse(json);
    if (typeof value !== 'object' || value === null) return undefined;
    const m = value as Partial<CancelMessage>;
    return typeof m.jobId === 'string' && typeof m.by === 'string' ? { jobId: m.jobId, by: m.by } : undefined;
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

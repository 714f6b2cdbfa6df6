/**
 * The load-balancer job queue as the web side sees it: enqueue a job, list a cluster's jobs, cancel one.
 * The BullMQ adapter (src/adapters/queue/) implements it on Redis; workers (the job port's JobWorker,
 * src/ports/jobs.ts) run the jobs. Every method fails fast with `BotError('queue_unavailable')` when the queue can't be reached.
 */
import type { ChangeRecord } from '../domain/changes.js';
import type { LbJobData, LbOperation } from '../domain/lb-jobs.js';
import type { ServiceRef } from './service-watch.js';

export type LbJobState = 'waiting' | 'active' | 'delayed' | 'completed' | 'failed' | 'cancelled';

export interface LbJobSummary {
  /** `lbJobId(operation, cluster, namespace, name)`. */
  id: string;
  operation: LbOperation;
  cluster: string;
  namespace: string;
  name: string;
  state: LbJobState;
  /** The step the processor last reported (an `LbStep`), if any. */
  step?: string;
  createdAt: Date;
  /** When it completed, failed or was cancelled. */
  finishedAt?: Date;
  /** Why it failed (or who cancelled it). */
  failedReason?: string;
  /** Slack user ID of whoever asked for it. */
  requesterId: string;
  /** An active job asked to stop (it stops at its next step boundary). */
  cancelRequested?: boolean;
  /** Attempts that have ended (failed and retried, or finished); above 0 on an unfinished job, it is retrying. */
  attemptsMade?: number;
}

/**
 * How many unfinished jobs are in each state, across every cluster (for the metrics): `parked` are the
 * jobs waiting with no worker slot — for DNS, AWS or a recheck, or out a retry's backoff (the queue keeps
 * both as delayed jobs). Finished jobs are not counted (svcbot_jobs_total counts how runs end).
 */
export interface LbJobCounts {
  waiting: number;
  active: number;
  parked: number;
}

export type CancelOutcome = 'cancelled' | 'not_found' | 'finished';

export interface LbJobQueue {
  /**
   * Queue the job. A job with the same id (same operation on the same Service) that has not finished is
   * kept and reported as `duplicate`; a finished one still retained for `/svc jobs` is replaced. Of
   * submissions racing each other (two users, two web replicas) exactly one is not a duplicate: Redis
   * decides, not the caller.
   */
  enqueue(data: LbJobData): Promise<{ jobId: string; duplicate: boolean }>;
  /**
   * Tells the Service's unfinished jobs, other than `by.jobId`, that `by` supersedes them: a running one's
   * signal fires (`superseded`), a parked one is woken. Each stands down when it runs (it reads the
   * newest change, see LatestChanges), quietly: the newer change reports.
   */
  supersede(ref: ServiceRef, by: ChangeRecord): Promise<void>;
  /** The cluster's unfinished jobs and its recent outcomes (within the retention window), newest first. */
  list(cluster: string): Promise<LbJobSummary[]>;
  /**
   * One job by its id, unfinished or recently finished (undefined: none kept). Reads that job only, so
   * its cost does not grow with the queue — what a command asks before queueing ("already in progress?").
   */
  get(jobId: string): Promise<LbJobSummary | undefined>;
  /**
   * Stop a job that has not finished: a waiting one is removed; a parked one is woken and a running one
   * asked to stop, so that the worker ends it through its processor (its signal fires, with the port's
   * `cancelled` reason). The cluster is left as it is.
   * `by` is the Slack user ID of whoever cancelled it.
   */
  cancel(jobId: string, by: string): Promise<CancelOutcome>;
  /** How many jobs are in each state now: a cheap count (no job is read), for a scrape of the metrics. */
  counts(): Promise<LbJobCounts>;
}

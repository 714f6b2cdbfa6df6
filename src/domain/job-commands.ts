/**
 * `/svc jobs` and `/svc cancel JOB`: what they do, over the queue port (and the cluster registry, for
 * the default cluster). Returns result objects for src/render/jobs.ts.
 */
import type { Command } from './command.js';
import { parseLbJobId } from './lb-jobs.js';
import type { ClusterRegistry } from '../ports/clusters.js';
import type { CancelOutcome, LbJobQueue, LbJobSummary } from '../ports/queue.js';

export interface JobsResult {
  cluster: string;
  /** Only this namespace's jobs (`-n`); all namespaces when absent. */
  namespace?: string;
  /** The jobs, newest first. */
  jobs: LbJobSummary[];
  now: Date;
}

export interface CancelResult {
  jobId: string;
  outcome: CancelOutcome;
  /** Slack user ID of whoever cancelled. */
  by: string;
  /** The job as it stands after the cancel (absent when there is no such job any more). */
  job?: LbJobSummary;
  now: Date;
}

export interface JobCommandsDeps {
  clusters: Pick<ClusterRegistry, 'get'>;
  queue: LbJobQueue;
  now?: () => Date;
}

export function makeJobCommands({ clusters, queue, now = () => new Date() }: JobCommandsDeps) {
  return {
    async jobs(command: Extract<Command, { kind: 'jobs' }>): Promise<JobsResult> {
      const { cluster } = clusters.get(command.scope.cluster);
      const namespace = command.onlyNamespace;
      const jobs = (await queue.list(cluster.name)).filter((j) => namespace === undefined || j.namespace === namespace);
      return { cluster: cluster.name, ...(namespace !== undefined ? { namespace } : {}), jobs, now: now() };
    },

    async cancel(command: Extract<Command, { kind: 'cancel' }>, by: string): Promise<CancelResult> {
      const { jobId } = command;
      const outcome = await queue.cancel(jobId, by);
      const result: CancelResult = { jobId, outcome, by, now: now() };
      const ref = parseLbJobId(jobId);
      if (ref && outcome !== 'not_found') {
        const job = (await queue.list(ref.cluster)).find((j) => j.id === jobId);
        if (job) result.job = job;
      }
      return result;
    },
  };
}

export type JobCommands = ReturnType<typeof makeJobCommands>;

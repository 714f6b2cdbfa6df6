/**
 * `/svc jobs` and `/svc cancel JOB`: what they do, over the queue port (and the cluster registry, for
 * the default cluster). Returns result objects for src/render/jobs.ts. Both are checked against the
 * policy for the person asking (cancel is a change, in the job's namespace) and a cancel is audited.
 */
import type { Access, Acting } from './access.js';
import type { AuditTrail } from './audit-trail.js';
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
  access: Pick<Access, 'check'>;
  audit: Pick<AuditTrail, 'record'>;
  now?: () => Date;
}

const CANCEL_RESULTS: Record<CancelOutcome, string> = {
  cancelled: 'cancelled',
  finished: 'not cancelled: the job had finished',
  not_found: 'not cancelled: no such job',
};

export function makeJobCommands({ clusters, queue, access, audit, now = () => new Date() }: JobCommandsDeps) {
  return {
    async jobs(command: Extract<Command, { kind: 'jobs' }>, acting: Acting): Promise<JobsResult> {
      const { cluster } = clusters.get(command.scope.cluster);
      const namespace = command.onlyNamespace;
      await access.check(acting, { subcommand: 'jobs', cluster: cluster.name, ...(namespace === undefined ? {} : { namespace }) });
      const jobs = (await queue.list(cluster.name)).filter((j) => namespace === undefined || j.namespace === namespace);
      return { cluster: cluster.name, ...(namespace !== undefined ? { namespace } : {}), jobs, now: now() };
    },

    async cancel(command: Extract<Command, { kind: 'cancel' }>, acting: Acting): Promise<CancelResult> {
      const { jobId } = command;
      const by = acting.userId;
      const ref = parseLbJobId(jobId);
      // A job ID names its cluster and namespace: cancelling is a change there. One that names nothing
      // svcbot knows is checked against the default cluster (and is not found).
      const cluster = ref?.cluster ?? clusters.get().cluster.name;
      await access.check(acting, { subcommand: 'cancel', cluster, ...(ref ? { namespace: ref.namespace } : {}) }, ref ? { service: ref.name } : {});
      const outcome = await queue.cancel(jobId, by);
      const result: CancelResult = { jobId, outcome, by, now: now() };
      if (ref && outcome !== 'not_found') {
        await audit.record({
          action: 'change',
          userId: by,
          ...(acting.commandText === undefined ? {} : { command: acting.commandText }),
          cluster: ref.cluster,
          namespace: ref.namespace,
          service: ref.name,
          result: `cancel job: ${CANCEL_RESULTS[outcome]}`,
          jobId,
        });
      }
      if (ref && outcome !== 'not_found') {
        const job = await queue.get(jobId);
        if (job) result.job = job;
      }
      return result;
    },
  };
}

export type JobCommands = ReturnType<typeof makeJobCommands>;

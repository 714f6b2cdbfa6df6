/**
 * `/svc jobs` (a cluster's load-balancer jobs: running, queued, waiting, then recent outcomes) and
 * `/svc cancel JOB` (what happened; the cluster is left as it is). Pure functions of the results in
 * src/domain/job-commands.ts; every job, cluster and reason text is escaped.
 */
import type { CancelResult, JobsResult } from '../domain/job-commands.js';
import type { LbOperation } from '../domain/lb-jobs.js';
import type { LbJobSummary } from '../ports/queue.js';
import { LIMITS, codeSections, context, reply, section, type Block, type Reply } from './blocks.js';
import { alignColumns } from './list.js';
import { code, escapeMrkdwn, fitLines, mention, moreLine, plural } from './mrkdwn.js';
import { formatAge } from './time.js';

export interface JobsRenderOptions {
  /** The slash command, for hints. Default `/svc`. */
  commandName?: string;
}

const MAX_DETAIL = 80;

function isUnfinished(job: LbJobSummary): boolean {
  return job.state === 'waiting' || job.state === 'active' || job.state === 'delayed';
}

/** The words `/svc jobs` uses for a job's state (the issue's: queued, running, waiting; done, failed, cancelled). */
export function stateLabel(job: Pick<LbJobSummary, 'state' | 'cancelRequested' | 'attemptsMade'>): string {
  switch (job.state) {
    case 'waiting':
      return 'queued';
    case 'active':
      return job.cancelRequested ? 'cancelling' : 'running';
    case 'delayed':
      // Parked until AWS or DNS is ready, or backing off before a retry.
      return 'waiting';
    case 'completed':
      return 'done';
    case 'failed':
      return 'failed';
    case 'cancelled':
      return 'cancelled';
  }
}

function detail(text: string | undefined): string {
  if (!text) return '';
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= MAX_DETAIL ? oneLine : `${oneLine.slice(0, MAX_DETAIL - 1)}…`;
}

/** Raw (unescaped) table lines of the unfinished jobs. */
export function activeTable(jobs: readonly LbJobSummary[], now: Date): string[] {
  const rows = jobs.map((j) => [j.id, stateLabel(j), j.step ?? '-', formatAge(j.createdAt, now), j.attemptsMade ? `retry ${j.attemptsMade}` : '']);
  return alignColumns([['JOB ID', 'STATE', 'STEP', 'AGE', ''], ...rows]);
}

/** Raw (unescaped) table lines of the finished jobs. */
export function outcomesTable(jobs: readonly LbJobSummary[], now: Date): string[] {
  // A job that is done went through every step; the last one it reported may be an earlier one.
  const rows = jobs.map((j) => [j.id, stateLabel(j), j.state === 'completed' ? '-' : (j.step ?? '-'), `${formatAge(j.finishedAt ?? j.createdAt, now)} ago`, detail(j.failedReason)]);
  return alignColumns([['JOB ID', 'RESULT', 'LAST STEP', 'FINISHED', 'DETAIL'], ...rows]);
}

export function renderJobs(result: JobsResult, options: JobsRenderOptions = {}): Reply {
  const commandName = options.commandName ?? '/svc';
  const cluster = `${code(result.cluster)}${result.namespace !== undefined ? ` in namespace ${code(result.namespace)}` : ''}`;
  const unfinished = result.jobs.filter(isUnfinished);
  const finished = result.jobs.filter((j) => !isUnfinished(j));
  const hint = `${code(`${commandName} cancel JOB_ID`)} stops a job that has not finished (the cluster is left as it is).`;
  if (result.jobs.length === 0) {
    const text = `No load-balancer jobs on cluster ${cluster}, running or recent.`;
    return reply('ephemeral', text, [section(text)]);
  }
  const moreJobs = (n: number): string => moreLine(n, n === 1 ? 'more job' : 'more jobs');
  const blocks: Block[] = [];
  const textParts: string[] = [];
  const budget = Math.floor((LIMITS.fallbackText - 400) / 2);
  const title = `Load-balancer jobs on cluster ${cluster}:`;
  textParts.push(title);
  blocks.push(section(title));
  const maxTableBlocks = Math.floor((LIMITS.blocks - 6) / 2);
  if (unfinished.length > 0) {
    const heading = `*Running and queued* (${plural(unfinished.length, 'job')})`;
    const lines = activeTable(unfinished, result.now);
    blocks.push(section(heading), ...codeSections(lines, maxTableBlocks, moreJobs));
    textParts.push(heading, '```\n' + fitLines(lines.map(escapeMrkdwn), budget, moreJobs) + '\n```');
  } else {
    const none = 'Nothing running or queued.';
    blocks.push(section(none));
    textParts.push(none);
  }
  if (finished.length > 0) {
    const heading = `*Recent outcomes* (${plural(finished.length, 'job')})`;
    const lines = outcomesTable(finished, result.now);
    blocks.push(section(heading), ...codeSections(lines, maxTableBlocks, moreJobs));
    textParts.push(heading, '```\n' + fitLines(lines.map(escapeMrkdwn), budget, moreJobs) + '\n```');
  }
  blocks.push(context(hint));
  textParts.push(hint);
  return reply('ephemeral', textParts.join('\n'), blocks);
}

const WHAT: Record<LbOperation, string> = {
  provision: 'provisioning of a load balancer for',
  retype: 'type change (load balancer removal) of',
  delete: 'deletion of',
};

/** `describe NAME [-n NS] --cluster CLUSTER`: the command that shows where a Service stands. */
function serviceArgs(job: Pick<LbJobSummary, 'name' | 'namespace' | 'cluster'>): string {
  return `${job.name}${job.namespace === 'default' ? '' : ` -n ${job.namespace}`} --cluster ${job.cluster}`;
}

/** What "left as it is" means for each operation: where the Service and its load balancer may stand. */
export function leftAsItIs(job: Pick<LbJobSummary, 'operation' | 'name' | 'namespace' | 'cluster'>, commandName: string): string {
  const describe = code(`${commandName} describe ${serviceArgs(job)}`);
  switch (job.operation) {
    case 'provision':
      return (
        'The cluster is left as it is: the Service may already be of type LoadBalancer, with a load balancer AWS charges for. ' +
        `${describe} shows where it stands; ${code(`${commandName} delete ${serviceArgs(job)}`)} removes it.`
      );
    case 'retype':
      return `The cluster is left as it is: the type may already have changed, and the cloud controller may still be deleting the load balancer. ${describe} shows where it stands.`;
    case 'delete':
      return `The cluster is left as it is: the deletion may already have started, and the cloud controller may still be deleting the load balancer. ${describe} shows where it stands.`;
  }
}

export function renderCancel(result: CancelResult, options: JobsRenderOptions = {}): Reply {
  const commandName = options.commandName ?? '/svc';
  const id = code(result.jobId);
  const listHint = `${code(`${commandName} jobs`)} lists the jobs of a cluster.`;
  if (result.outcome === 'not_found') {
    const text = `There is no job ${id} (finished jobs are kept for a day at most). ${listHint}`;
    return reply('ephemeral', text, [section(text)]);
  }
  const job = result.job;
  if (result.outcome === 'finished') {
    const how = job ? ` (${stateLabel(job)}${job.finishedAt ? `, ${formatAge(job.finishedAt, result.now)} ago` : ''})` : '';
    const text = `Job ${id} has already finished${escapeMrkdwn(how)}; there is nothing to cancel.`;
    return reply('ephemeral', text, [section(text)]);
  }
  const who = mention(result.by) ?? 'Someone';
  const subject = job ? `the ${WHAT[job.operation]} ${code(job.name)} in namespace ${code(job.namespace)} on cluster ${code(job.cluster)}` : `job ${id}`;
  const atStep = job?.step ? ` at step ${code(job.step)}` : '';
  const stopping = job?.state === 'active' ? ' It stops at its current step.' : '';
  const headline = `:octagonal_sign: ${who} cancelled ${subject}${atStep}.${stopping}`;
  const left = job ? leftAsItIs(job, commandName) : 'The cluster is left as it is.';
  const footer = `Job ${id}`;
  return reply('in_channel', `${headline}\n${left}`, [section(headline), context(left, footer)]);
}

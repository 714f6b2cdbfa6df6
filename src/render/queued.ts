/**
 * The reply to a load-balancer change handed to a job: queued (its progress message is in the channel,
 * or will be posted by the job), or already in progress. A pure function of a QueuedResult.
 */
import type { QueuedResult } from '../domain/results.js';
import { context, reply, section, type Reply } from './blocks.js';
import { code } from './mrkdwn.js';

const WHAT: Record<QueuedResult['operation'], string> = {
  provision: 'load balancer for',
  retype: 'type change (load balancer removal) of',
  delete: 'deletion (load balancer removal) of',
};

export function renderQueued(result: QueuedResult, options: { commandName?: string } = {}): Reply {
  const commandName = options.commandName ?? '/svc';
  const id = code(result.jobId);
  const subject = `the ${WHAT[result.operation]} ${code(result.name)} in namespace ${code(result.namespace)} on cluster ${code(result.cluster)}`;
  const hint = `${code(`${commandName} jobs`)} shows where it stands; ${code(`${commandName} cancel ${result.jobId}`)} stops it.`;
  if (result.duplicate) {
    const text = `Already in progress: ${id} (${subject}). Nothing new was queued.`;
    return reply('ephemeral', `${text}\n${hint}`, [section(text), context(hint)]);
  }
  const text = `:hourglass_flowing_sand: Queued ${subject} as job ${id} — its progress will be posted in this channel as it goes.`;
  return reply('ephemeral', `${text}\n${hint}`, [section(text), context(hint)]);
}

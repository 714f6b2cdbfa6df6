/** Error replies: usage problems, typed bot errors, and the opaque "something went wrong (ref: …)". */
import { UsageError, type BotError, type ErrorCode } from '../domain/errors.js';
import type { RetryNotice } from '../ports/cluster.js';
import { context, reply, section, type Reply } from './blocks.js';
import { code, escapeMrkdwn } from './mrkdwn.js';

export interface ErrorRenderOptions {
  /** The slash command, for "see `/svc help`". */
  commandName?: string;
}

/** What the user can do about each kind of error, where there is something to say beyond the message. */
function hint(code_: ErrorCode, commandName: string): string | undefined {
  const command = (rest: string): string => code(`${commandName} ${rest}`);
  switch (code_) {
    case 'not_found':
      return `Check the name and the namespace; ${command('list')} shows what exists.`;
    case 'already_exists':
      return `Pick another name, or change the existing Service with ${command('type NAME TYPE')}.`;
    case 'forbidden':
      return 'svcbot\u2019s Kubernetes credentials do not allow this; ask whoever runs svcbot.';
    case 'not_allowed':
      return 'svcbot\u2019s policy decides who may do what where; ask whoever runs svcbot if you need this.';
    case 'stale_request':
      return `Look at the Service again (${command('describe NAME')}) and ask anew.`;
    case 'conflict':
      return 'Someone changed it at the same time; try again.';
    case 'cluster_unreachable':
    case 'aws_error':
      return 'Try again in a minute; if it keeps failing, tell whoever runs svcbot.';
    case 'unknown_cluster':
      return 'Check the cluster name against the clusters svcbot is configured with.';
    case 'queue_unavailable':
      return 'Background jobs are unavailable right now; try again in a minute.';
    case 'slack_not_in_channel':
      return 'Invite svcbot to this channel first.';
    default:
      return undefined;
  }
}

export function renderUsageError(err: UsageError, options: ErrorRenderOptions = {}): Reply {
  const commandName = options.commandName ?? '/svc';
  const lines = [`:warning: ${escapeMrkdwn(err.problem)}`];
  if (err.usage) lines.push(`Usage: ${code(err.usage)}`);
  if (err.suggestion) lines.push(`Did you mean ${code(err.suggestion)}?`);
  const hint = `${code(`${commandName} help`)} lists every command.`;
  return reply('ephemeral', [...lines, hint].join('\n'), [section(lines), context(hint)]);
}

function isBotErrorLike(err: BotError | { ref: string }): err is BotError {
  return 'userMessage' in err && 'code' in err;
}

/**
 * A typed error's own message (and a hint), or, for anything else, only a reference to the log entry:
 * "Something went wrong (ref: ID)". Always ephemeral.
 */
export function renderError(err: BotError | { ref: string }, options: ErrorRenderOptions = {}): Reply {
  if (err instanceof UsageError) return renderUsageError(err, options);
  if (isBotErrorLike(err)) {
    const message = `:warning: ${escapeMrkdwn(err.userMessage)}`;
    const advice = hint(err.code, options.commandName ?? '/svc');
    const blocks = [section(message), ...(advice ? [context(advice)] : [])];
    return reply('ephemeral', advice ? `${message}\n${advice}` : message, blocks);
  }
  const message = `:boom: Something went wrong (ref: ${code(err.ref)}). The details are in svcbot\u2019s log under that reference.`;
  return reply('ephemeral', message, [section(message)]);
}

/** The interim answer while a command retries a cluster's transient errors (the real answer follows). */
export function renderStillTrying(notice: Pick<RetryNotice, 'cluster' | 'problem'>): Reply {
  const what = /^HTTP \d+$/.test(notice.problem) ? `answering errors (${notice.problem})` : `not answering (${notice.problem})`;
  const message = `:hourglass_flowing_sand: The cluster ${code(notice.cluster)} is ${escapeMrkdwn(what)}; still trying\u2026`;
  return reply('ephemeral', message, [section(message)]);
}

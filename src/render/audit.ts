/**
 * The audit trail as people read it: `/svc audit` (the newest entries, one line each) and one entry as a
 * message for the audit channel. Pure functions of src/domain/audit-trail.ts's AuditResult and the
 * AuditEntry of src/ports/audit.ts; every name, command and result text is escaped.
 */
import type { AuditResult } from '../domain/audit-trail.js';
import type { AuditAction, AuditEntry } from '../ports/audit.js';
import { LIMITS, context, lineSections, reply, section, type Block, type Message, type Reply } from './blocks.js';
import { code, fitLines, literal, mention, moreLine, plural } from './mrkdwn.js';
import { utcClock, utcTime } from './time.js';

/** How each action reads: an emoji and a word. */
const ACTIONS: Record<AuditAction, { emoji: string; word: string }> = {
  change: { emoji: ':wrench:', word: 'changed' },
  refused: { emoji: ':no_entry_sign:', word: 'refused' },
  requested: { emoji: ':raised_hand:', word: 'asked for approval' },
  approved: { emoji: ':white_check_mark:', word: 'approved' },
  rejected: { emoji: ':no_entry:', word: 'rejected' },
  expired: { emoji: ':hourglass:', word: 'expired' },
  withdrawn: { emoji: ':leftwards_arrow_with_curved_arrow:', word: 'withdrew' },
  'not-run': { emoji: ':warning:', word: 'not run' },
  job: { emoji: ':gear:', word: 'job ended' },
};

/** Longest result text on a line of `/svc audit` (the entry's own message shows more). */
const MAX_RESULT_IN_LIST = 300;
const MAX_RESULT_IN_MESSAGE = 1500;
const MAX_COMMAND_IN_MESSAGE = 1000;
/** Names and IDs are short in practice; these keep a line short whatever an entry holds. */
const MAX_NAME = 80;
const MAX_WHERE = 200;

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** `<@U123> (jane)` where the ID is a Slack user's; else their name (or ID) as text. */
function whoWithName(entry: Pick<AuditEntry, 'userId' | 'userName'>, useMention: boolean): string {
  const m = useMention ? mention(entry.userId) : undefined;
  const name = entry.userName !== undefined && entry.userName.trim() !== '' ? literal(clip(entry.userName, MAX_NAME)) : undefined;
  if (m !== undefined) return name === undefined ? m : `${m} (${name})`;
  const id = entry.userId.trim() === '' ? 'someone' : literal(clip(entry.userId, MAX_NAME));
  return name === undefined || entry.userName === entry.userId ? id : `${name} (${id})`;
}

/** `prod/default/web` (as much of it as the entry has), in a code span; empty when it is about nothing in particular. */
function where(entry: Pick<AuditEntry, 'cluster' | 'namespace' | 'service'>): string {
  const parts = [entry.cluster, entry.namespace, entry.service].filter((p): p is string => p !== undefined && p !== '');
  return parts.length === 0 ? '' : ` ${code(clip(parts.join('/'), MAX_WHERE))}`;
}

function ids(entry: Pick<AuditEntry, 'requestId' | 'jobId'>): string[] {
  const out: string[] = [];
  if (entry.requestId !== undefined) out.push(`request ${code(clip(entry.requestId, MAX_NAME))}`);
  if (entry.jobId !== undefined) out.push(`job ${code(clip(entry.jobId, MAX_WHERE))}`);
  return out;
}

function resultWords(result: string, max: number): string {
  return result.trim() === '' ? '(no result recorded)' : literal(clip(result, max));
}

/** One entry as one line of `/svc audit`: time, who, action, where, result, IDs. */
function entryLine(entry: AuditEntry, now: Date): string {
  const action = ACTIONS[entry.action] ?? { emoji: ':memo:', word: String(entry.action) };
  const tail = ids(entry);
  return (
    `${utcClock(entry.at, now)}  ${whoWithName(entry, true)} ${action.emoji} *${action.word}*${where(entry)}: ` +
    `${resultWords(entry.result, MAX_RESULT_IN_LIST)}${tail.length > 0 ? ` \u00b7 ${tail.join(' \u00b7 ')}` : ''}`
  );
}

/** "about Service `web`, by @jane" for the filters asked for. */
function filterWords(result: Pick<AuditResult, 'service' | 'user'>): string {
  const parts: string[] = [];
  if (result.service !== undefined) parts.push(`about Service ${code(result.service)}`);
  if (result.user !== undefined) parts.push(`by ${mention(result.user) ?? literal(`@${clip(result.user, MAX_NAME)}`)}`);
  return parts.length === 0 ? '' : ` ${parts.join(', ')}`;
}

export interface AuditRenderOptions {
  /** The time the reply is rendered at ("today" is counted from it). Default: the result's. */
  now?: Date;
}

/** `/svc audit`: the newest entries first, one line each, with what was asked for; within Block Kit's limits. */
export function renderAudit(result: AuditResult, options: AuditRenderOptions = {}): Reply {
  const now = options.now ?? result.now;
  const filters = filterWords(result);
  if (result.entries.length === 0) {
    const text = `No audit entries${filters}.`;
    return reply('ephemeral', text, [section(text)]);
  }
  const entries = [...result.entries].sort((a, b) => b.at - a.at);
  const title =
    `*Audit log*${filters}: ${plural(entries.length, 'entry', 'entries')} (at most ${result.limit}), newest first; ` +
    'times in UTC, with the date when not today.';
  const lines = entries.map((e) => entryLine(e, now));
  const more = (n: number): string => moreLine(n, n === 1 ? 'more entry' : 'more entries');
  const blocks: Block[] = [section(title), ...lineSections(lines, LIMITS.blocks - 1, more)];
  return reply('ephemeral', [title, fitLines(lines, LIMITS.fallbackText - title.length - 1, more)].join('\n'), blocks);
}

/**
 * One entry as a message for the audit channel. Who acted is named, not mentioned: a mention there would
 * notify them of every entry about them.
 */
export function renderAuditEntry(entry: AuditEntry): Message {
  const action = ACTIONS[entry.action] ?? { emoji: ':memo:', word: String(entry.action) };
  const headline = `${action.emoji} ${whoWithName(entry, false)} *${action.word}*${where(entry)}: ${resultWords(entry.result, MAX_RESULT_IN_MESSAGE)}`;
  const details = [
    utcTime(entry.at),
    ...(entry.command !== undefined && entry.command.trim() !== '' ? [`Command: ${code(clip(entry.command, MAX_COMMAND_IN_MESSAGE))}`] : []),
    ...ids(entry).map((s) => s.charAt(0).toUpperCase() + s.slice(1)),
  ];
  const r = reply('in_channel', [headline, details.join(' \u00b7 ')].join('\n'), [section(headline), context(...details)]);
  return { text: r.text, blocks: r.blocks };
}

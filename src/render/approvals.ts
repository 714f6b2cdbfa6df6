/**
 * Approval requests as people see them: the message approvers decide on (posted, then updated in place as
 * the request moves on), the requester's "waiting for approval" answer, the answer to whoever decided,
 * the thread reply that tells the requester how it ended, and `/svc approvals`. Pure functions of an
 * ApprovalRequest and the results of src/domain/approval-*.ts; every user and cluster text is escaped.
 */
import type { DecisionResult } from '../domain/approval-decisions.js';
import type { PendingResult } from '../domain/approval-requests.js';
import type { ApprovalRequest, ChangeSummary, CostEstimate } from '../domain/approvals.js';
import type { ApprovedRun } from '../ports/approvals.js';
import { approveButton, rejectButton, withdrawButton } from './actions.js';
import { LIMITS, actions, context, lineSections, reply, section, type Block, type Message, type Reply } from './blocks.js';
import { channelLink, code, escapeMrkdwn, fitLines, literal, mention, moreLine, plural } from './mrkdwn.js';
import { durationWords, utcTime } from './time.js';

export interface ApprovalRenderOptions {
  /** The slash command, for hints. Default `/svc`. */
  commandName?: string;
  /** The time the message is rendered at: relative times and "today" are counted from it. */
  now: Date;
}

/** Longest command text echoed (a command may have 4,000 characters; the facts around it must stay visible). */
const MAX_COMMAND_ECHO = 1000;
/** Longest rejection reason echoed (the grammar keeps 500). */
const MAX_REASON_ECHO = 500;
/** Ports listed before "… and N more". */
const MAX_PORTS = 10;

/** Raw text cut to `max` characters, with `…` (before any escaping). */
function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A mention for a Slack user ID; otherwise the ID as literal text (the console's user names). */
function who(userId: string | undefined): string {
  if (userId === undefined || userId.trim() === '') return 'someone';
  return mention(userId) ?? literal(clip(userId, 80));
}

function usd(amount: number): string {
  return String(Number(amount.toFixed(4)));
}

function costWords(cost: CostEstimate): string {
  return `about $${usd(cost.hourlyUsd)}/h, ~$${cost.monthlyUsd.toFixed(2)}/month in ${literal(clip(cost.region, 40))}; data processed is billed on top`;
}

function commandEcho(commandText: string): string {
  return commandText.trim() === '' ? '(no command text)' : code(clip(commandText, MAX_COMMAND_ECHO));
}

function reasonWords(reason: string | undefined): string | undefined {
  return reason === undefined || reason.trim() === '' ? undefined : literal(clip(reason, MAX_REASON_ECHO));
}

/** What the change does, in mrkdwn: "creates LoadBalancer Service `web` in namespace `default` on cluster `prod`". */
function effect(change: ChangeSummary): string {
  const where = `in namespace ${code(change.namespace)} on cluster ${code(change.cluster)}`;
  const type = (t: string | undefined): string => escapeMrkdwn(t ?? '?');
  switch (change.kind) {
    case 'create':
      return `creates ${type(change.toType)} Service ${code(change.name)} ${where}`;
    case 'type':
      return `changes Service ${code(change.name)} ${where} from ${type(change.fromType)} to ${type(change.toType)}`;
    case 'delete':
      return `deletes the ${type(change.fromType)} Service ${code(change.name)} ${where}`;
    case 'delete-load-balancer':
      return `deletes the orphaned ${escapeMrkdwn(change.loadBalancer?.kind ?? '')} load balancer ${code(change.loadBalancer?.name ?? '?')} in ${code(change.loadBalancer?.region ?? '?')} (of Service ${code(`${change.namespace}/${change.name}`)} on cluster ${code(change.cluster)}, which no longer needs it)`;
    case 'allow':
      return ingressEffect(change);
  }
}

/** An `allow`: what opens to whom, where, for how long — "opens the node ports … of NodePort Service `web` … to `203.0.113.0/24` for 2 h (in `sg-…`)". */
function ingressEffect(change: ChangeSummary): string {
  const ingress = change.ingress;
  const where = `in namespace ${code(change.namespace)} on cluster ${code(change.cluster)}`;
  if (!ingress) return `opens ${escapeMrkdwn(change.fromType ?? '')} Service ${code(change.name)} ${where}`;
  const what = ingress.target === 'load-balancer' ? `the listeners of load balancer ${code(ingress.loadBalancer ?? '?')}` : 'the node ports';
  const groups = [...new Map(ingress.rules.map((r) => [r.groupId, r.groupName])).entries()].map(([id, name]) => (name === undefined ? code(id) : `${code(id)} (${literal(clip(name, 80))})`));
  return `opens ${what} of ${escapeMrkdwn(change.fromType ?? '')} Service ${code(change.name)} ${where} to ${code(ingress.cidr)} for ${durationWords(ingress.durationMs)}, in security group ${groups.join(', ')}; svcbot closes it again when the time is up`;
}

function portsWords(ports: readonly string[]): string {
  if (ports.length === 0) return '';
  const shown = ports.slice(0, MAX_PORTS).map(code).join(', ');
  return ` (${ports.length === 1 ? 'port' : 'ports'} ${shown}${ports.length > MAX_PORTS ? ` ${moreLine(ports.length - MAX_PORTS)}` : ''})`;
}

/** What the change does, as plain text for the Approve button's dialog (no markup: dialogs show it as it is). */
function effectPlain(request: ApprovalRequest): string {
  const { change, cost } = request;
  const service = `${change.namespace}/${change.name} on cluster ${change.cluster}`;
  const notes: string[] = [];
  let what: string;
  switch (change.kind) {
    case 'create':
      what = change.toType === 'LoadBalancer' ? `Creates a load balancer for ${service}` : `Creates the ${change.toType ?? '?'} Service ${service}`;
      break;
    case 'type':
      if (change.toType === 'LoadBalancer') {
        what = `Creates a load balancer for ${service}`;
        notes.push(`type ${change.fromType ?? '?'} to LoadBalancer`);
      } else {
        what = `Changes ${service} from ${change.fromType ?? '?'} to ${change.toType ?? '?'}`;
      }
      break;
    case 'delete':
      what = `Deletes the ${change.fromType ?? ''} Service ${service}${change.fromType === 'LoadBalancer' ? ' and its load balancer' : ''}`;
      break;
    case 'delete-load-balancer':
      what = `Deletes the orphaned load balancer ${change.loadBalancer?.name ?? '?'} in ${change.loadBalancer?.region ?? '?'} (of ${service})`;
      break;
    case 'allow':
      what = `Opens ${change.ports.join(', ')} of ${service} to ${change.ingress?.cidr ?? '?'} for ${durationWords(change.ingress?.durationMs ?? 0)}`;
      break;
  }
  if (cost) notes.push(change.kind === 'delete-load-balancer' ? `saves about $${cost.monthlyUsd.toFixed(2)}/month` : `about $${cost.monthlyUsd.toFixed(2)}/month`);
  return `${what}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}.`;
}

/** `in 55 min, at 13:00 UTC` (or that it is due) for a pending request. */
function expiresWords(request: ApprovalRequest, now: Date): string {
  const left = request.expiresAt - now.getTime();
  const at = utcTime(request.expiresAt, now);
  // Up to the minute: a request of an hour, shown at once, expires "in 60 min", not 59.
  return left > 0 ? `in ${durationWords(Math.ceil(left / 60_000) * 60_000)}, at ${at}` : `now (it was due at ${at})`;
}

/** `5 min ago`, `just now`. */
function ago(at: number, now: Date): string {
  const ms = now.getTime() - at;
  return ms < 60_000 ? 'just now' : `${durationWords(ms)} ago`;
}

/** The facts of a request, one mrkdwn line each: who asked what, what it does, why it waits, its cost (and, pending, its expiry). */
function factLines(request: ApprovalRequest, now: Date): string[] {
  const lines = [
    `${who(request.requester.userId)} asked at ${utcTime(request.createdAt, now)}: ${commandEcho(request.commandText)}`,
    `*What:* ${effect(request.change)}${portsWords(request.change.ports)}`,
    `*Why it needs approval:* ${escapeMrkdwn(request.why)}`,
  ];
  if (request.cost) lines.push(`${request.change.kind === 'delete-load-balancer' ? '*Saves:*' : '*Cost:*'} ${costWords(request.cost)}`);
  if (request.status === 'pending') lines.push(`*Expires:* ${expiresWords(request, now)}`);
  return lines;
}

/** The decided request's status line; undefined while it is pending. */
function statusLine(request: ApprovalRequest, now: Date): string | undefined {
  const by = request.decidedBy === undefined ? '' : ` by ${who(request.decidedBy)}`;
  const at = request.decidedAt === undefined ? '' : ` at ${utcTime(request.decidedAt, now)}`;
  switch (request.status) {
    case 'pending':
      return undefined;
    case 'approved':
      return `:white_check_mark: Approved${by}${at}`;
    case 'rejected':
      return `:no_entry: Rejected${by}${at} \u2014 ${reasonWords(request.reason) ?? 'no reason given'}`;
    case 'expired':
      return `:hourglass: Expired at ${utcTime(request.decidedAt ?? request.expiresAt, now)} without a decision`;
    case 'withdrawn':
      return `:leftwards_arrow_with_curved_arrow: Withdrawn${by}${at}`;
  }
}

function asMessage(r: Reply): Message {
  return { text: r.text, blocks: r.blocks };
}

/**
 * The request as approvers see it, posted once and updated in place. Pending: what will happen and the
 * Approve, Reject and Withdraw buttons. Decided: the same facts, a status line, and no buttons.
 */
export function renderApprovalRequest(request: ApprovalRequest, options: ApprovalRenderOptions): Message {
  const commandName = options.commandName ?? '/svc';
  const { now } = options;
  const id = code(request.id);
  const facts = factLines(request, now);
  const status = statusLine(request, now);
  if (status === undefined) {
    const title = `:raised_hand: *Approval needed* \u2014 request ${id}`;
    const note =
      `Only ${who(request.requester.userId)} can withdraw it. Approvers can also type ` +
      `${code(`${commandName} approve ${request.id}`)} or ${code(`${commandName} reject ${request.id} REASON`)}.`;
    const blocks: Block[] = [
      section(title),
      section(facts),
      actions([approveButton(request.id, effectPlain(request)), rejectButton(request.id, commandName), withdrawButton(request.id)]),
      context(note),
    ];
    return asMessage(reply('in_channel', [title, ...facts, note].join('\n'), blocks));
  }
  const title = `*Approval request* ${id}`;
  const after =
    request.status === 'approved'
      ? `The change runs as ${who(request.requester.userId)}; how it went is said in this message\u2019s thread.`
      : 'Nothing was changed.';
  const blocks: Block[] = [section(title), section(facts), section(status), context(after)];
  return asMessage(reply('in_channel', [`${status} \u2014 request ${id}`, ...facts, after].join('\n'), blocks));
}

export interface RequestedRenderOptions {
  commandName?: string;
  /** Where approval requests are posted (the policy's channel), when it is not the channel asked in. */
  approvalChannel?: string;
  /** The same change was asked for before and still waits as `request`: who asks now, and the time. */
  alreadyWaiting?: { askedBy: string; now: Date };
}

/** The answer to someone asking again for a change that is already waiting for approval: nothing new was made. */
function renderAlreadyWaiting(request: ApprovalRequest, again: { askedBy: string; now: Date }, commandName: string): Reply {
  const yours = again.askedBy === request.requester.userId;
  const asked = `${yours ? 'you asked' : `${who(request.requester.userId)} asked`} ${ago(request.createdAt, again.now)}`;
  const head = `:hourglass_flowing_sand: This change is already waiting for approval: request ${code(request.id)} (${asked}): ${effect(request.change)}. Nothing new was made.`;
  const hint = yours
    ? `Approvers decide on that request; ${code(`${commandName} withdraw ${request.id}`)} takes it back.`
    : `Approvers decide on that request; ${code(`${commandName} approvals`)} lists what is waiting.`;
  return reply('ephemeral', `${head}\n${hint}`, [section(head), context(hint)]);
}

/** The answer to the requester: their change waits for approval, where, how to take it back, until when. */
export function renderApprovalRequested(request: ApprovalRequest, options: RequestedRenderOptions = {}): Reply {
  const commandName = options.commandName ?? '/svc';
  if (options.alreadyWaiting) return renderAlreadyWaiting(request, options.alreadyWaiting, commandName);
  const cost = request.cost ? `, about $${request.cost.monthlyUsd.toFixed(2)}/month` : '';
  const head = `:hourglass_flowing_sand: Waiting for approval (request ${code(request.id)}): ${effect(request.change)}${cost}.`;
  const posted = options.approvalChannel ?? request.message?.channel;
  const where =
    posted !== undefined && posted !== request.requester.channelId
      ? `The request is posted in ${channelLink(posted) ?? 'the approval channel'}, where approvers decide; it needs approval because it ${escapeMrkdwn(request.why)}.`
      : `The request is posted in this channel, where approvers decide; it needs approval because it ${escapeMrkdwn(request.why)}.`;
  const asked = new Date(request.createdAt);
  const hint =
    `${code(`${commandName} withdraw ${request.id}`)} takes it back. ` +
    `It expires in ${durationWords(request.expiresAt - request.createdAt)} (at ${utcTime(request.expiresAt, asked)}) if nobody decides.`;
  return reply('ephemeral', [head, where, hint].join('\n'), [section([head, where]), context(hint)]);
}

/** What a decision on an already decided request found: who decided it, when, and how long ago. */
function alreadyLine(request: ApprovalRequest, now: Date): string {
  const id = code(request.id);
  const by = request.decidedBy === undefined ? '' : ` by ${who(request.decidedBy)}`;
  const when = request.decidedAt === undefined ? '' : ` at ${utcTime(request.decidedAt, now)} (${ago(request.decidedAt, now)})`;
  switch (request.status) {
    case 'pending':
      return `Request ${id} is still waiting for a decision.`;
    case 'approved':
      return `Request ${id} was already approved${by}${when}.`;
    case 'rejected': {
      const reason = reasonWords(request.reason);
      return `Request ${id} was already rejected${by}${when}${reason ? `: ${reason}` : ''}.`;
    }
    case 'expired': {
      const at = request.decidedAt ?? request.expiresAt;
      return `Request ${id} already expired at ${utcTime(at, now)} (${ago(at, now)}) without a decision.`;
    }
    case 'withdrawn':
      return `Request ${id} was already withdrawn${by}${when}.`;
  }
}

function approvedLine(request: ApprovalRequest, run: ApprovedRun | undefined): string {
  const id = code(request.id);
  switch (run?.kind) {
    case undefined:
    case 'ran':
      return `:white_check_mark: Approved request ${id}: the change runs now (see the request\u2019s thread).`;
    case 'not-run':
      return `:warning: Approved request ${id}, but the change did not run: ${escapeMrkdwn(run.error.userMessage)}`;
    case 'failed':
      return `:boom: Approved request ${id}, but something went wrong running the change (ref: ${code(run.ref)}). The details are in svcbot\u2019s log under that reference.`;
  }
}

/** The answer to whoever approved, rejected or withdrew a request (by command or button): what their decision did. */
export function renderDecision(verb: 'approve' | 'reject' | 'withdraw', result: DecisionResult, options: ApprovalRenderOptions): Reply {
  const { request } = result;
  const id = code(request.id);
  let lines: string[];
  let note: string | undefined;
  switch (result.kind) {
    case 'refused': {
      const reason = escapeMrkdwn(result.reason.trim());
      lines = [`:no_entry_sign: ${reason}${/[.!?]$/.test(reason) ? '' : '.'} Nothing was changed.`];
      note = `Request ${id}`;
      break;
    }
    case 'already':
      lines = [alreadyLine(request, options.now)];
      note = 'Nothing more was done.';
      break;
    case 'decided':
      switch (request.status === 'pending' ? verb : request.status) {
        case 'approve':
        case 'approved':
          lines = [approvedLine(request, result.run)];
          if (result.run !== undefined && result.run.kind !== 'ran') note = `${who(request.requester.userId)} is told in the request\u2019s thread.`;
          break;
        case 'reject':
        case 'rejected': {
          const reason = reasonWords(request.reason);
          lines = [`:no_entry: Rejected request ${id}; ${who(request.requester.userId)} is told${reason ? `, with your reason: ${reason}` : ''}.`];
          break;
        }
        case 'withdraw':
        case 'withdrawn':
          lines = [`:leftwards_arrow_with_curved_arrow: Withdrew request ${id}. Nothing was changed.`];
          break;
        default:
          lines = [alreadyLine(request, options.now)];
      }
      break;
  }
  const blocks: Block[] = [section(lines), ...(note ? [context(note)] : [])];
  return reply('ephemeral', [...lines, ...(note ? [note] : [])].join('\n'), blocks);
}

/**
 * The thread reply that tells the requester how their request ended. Approved and run: `resultReply` (what
 * the command would have answered, rendered by the caller from the run's result) follows the first line.
 */
export function renderApprovalOutcome(request: ApprovalRequest, run?: ApprovedRun, resultReply?: Reply): Message {
  const requester = mention(request.requester.userId);
  const yours = `${requester ? `${requester} your` : 'Your'} request ${code(request.id)}`;
  const by = ` by ${who(request.decidedBy)}`;
  let line: string;
  switch (request.status) {
    case 'approved':
      switch (run?.kind) {
        case 'not-run':
          line = `:warning: ${yours} was approved${by}, but it did not run: ${escapeMrkdwn(run.error.userMessage)}`;
          break;
        case 'failed':
          line = `:boom: ${yours} was approved${by}, but something went wrong (ref: ${code(run.ref)}).`;
          break;
        default:
          line = `${yours} was approved${by}${resultReply ? ':' : '.'}`;
          if (resultReply) {
            const r = reply('in_channel', `${line}\n${resultReply.text}`, [section(line), ...resultReply.blocks]);
            return asMessage(r);
          }
      }
      break;
    case 'rejected':
      line = `${yours} was rejected${by}: ${reasonWords(request.reason) ?? '(no reason given)'}`;
      break;
    case 'expired':
      line = `${yours} expired after ${durationWords(request.expiresAt - request.createdAt)} without a decision. Nothing was changed; ask again if it is still needed.`;
      break;
    case 'withdrawn':
      line = `${yours} was withdrawn${by}. Nothing was changed.`;
      break;
    case 'pending':
      line = `${yours} is still waiting for approval.`;
      break;
  }
  return asMessage(reply('in_channel', line, [section(line)]));
}

/** How many waiting requests `/svc approvals` shows with their buttons (two blocks each). */
const PENDING_WITH_BUTTONS = 10;

/** `/svc approvals`: the requests still waiting, oldest first, each with what, who, age and expiry. */
export function renderPending(result: PendingResult, options: Partial<ApprovalRenderOptions> = {}): Reply {
  const commandName = options.commandName ?? '/svc';
  const now = options.now ?? result.now;
  const scope = result.cluster === undefined ? '' : ` for cluster ${code(result.cluster)}`;
  if (result.requests.length === 0) {
    const text = `No approval requests are waiting${scope}.`;
    return reply('ephemeral', text, [section(text)]);
  }
  const title = `*${plural(result.requests.length, 'approval request')} waiting*${scope}:`;
  const lines = result.requests.map((r) => {
    const cost = r.cost ? ` (~$${r.cost.monthlyUsd.toFixed(2)}/month)` : '';
    return `\u2022 ${code(r.id)} ${effect(r.change)}${cost} \u2014 ${who(r.requester.userId)}, ${ago(r.createdAt, now)}; expires ${expiresWords(r, now)}`;
  });
  const hint = `${code(`${commandName} approve ID`)} or the buttons; ${code(`${commandName} reject ID REASON`)} rejects with a reason.`;
  const more = (n: number): string => moreLine(n, n === 1 ? 'more request' : 'more requests');
  // The oldest requests each with their Approve and Reject buttons (named by ID: in the console they are
  // numbered choices one after another); the rest as lines.
  const withButtons = result.requests.slice(0, PENDING_WITH_BUTTONS).flatMap((r, i): Block[] => [
    section(lines[i] ?? ''),
    actions([
      { ...approveButton(r.id, effectPlain(r)), label: `Approve ${r.id}` },
      { ...rejectButton(r.id, commandName), label: `Reject ${r.id}` },
    ]),
  ]);
  const rest = lines.slice(PENDING_WITH_BUTTONS);
  const blocks: Block[] = [section(title), ...withButtons, ...(rest.length > 0 ? lineSections(rest, LIMITS.blocks - withButtons.length - 2, more) : []), context(hint)];
  const budget = LIMITS.fallbackText - title.length - hint.length - 2;
  return reply('ephemeral', [title, fitLines(lines, budget, more), hint].join('\n'), blocks);
}

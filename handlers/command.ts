/**
 * The one entry point for a `/svc …` line, shared by Slack and the console: parse, run one operation,
 * render. Also the single error boundary: typed errors become the user's message; anything else is
 * logged with a reference the user can quote ("something went wrong (ref: ID)"), never a stack trace.
 */
import { randomBytes } from 'node:crypto';
import type { RetryBudget } from '../src/ports/cluster.js';
import type { Logger } from '../src/ports/logger.js';
import type { Command } from '../src/domain/command.js';
import { BotError, UsageError } from '../src/domain/errors.js';
import type { Metrics } from '../src/ports/metrics.js';
import { isGovernanceCommand, type GovernanceCommands, type GovernanceResult } from '../src/domain/governance-commands.js';
import { parseCommand } from '../src/domain/grammar/index.js';
import { helpFor } from '../src/domain/help.js';
import type { JobCommands } from '../src/domain/job-commands.js';
import { isOrphanCommand, type OrphanCommands, type OrphanResult } from '../src/domain/orphan-commands.js';
import { renderIgnored, renderIgnoredList, renderLoadBalancerDeleted, renderScanning, renderSnoozed, renderUnignored } from '../src/render/orphan-actions.js';
import { renderOrphanReport } from '../src/render/orphans.js';
import { isServiceCommand, type Operations, type Requester } from '../src/domain/operations.js';
import type { OperationResult } from '../src/domain/results.js';
import type { IngressGrants } from '../src/domain/ingress-grants.js';
import { renderGrantList, renderGrantOpened, renderGrantRevoked } from '../src/render/ingress.js';
import { renderCancel, renderJobs } from '../src/render/jobs.js';
import { renderQueued } from '../src/render/queued.js';
import {
  renderApprovalRequested,
  renderAudit,
  renderDecision,
  renderPending,
  renderCreated,
  renderDeleted,
  renderDescribe,
  renderDryRun,
  renderError,
  renderHelp,
  renderList,
  renderStillTrying,
  renderTypeChanged,
  renderUsageError,
  type Reply,
} from '../src/render/index.js';

export interface CommandContext {
  /** Slack user ID of whoever typed the command. */
  userId: string;
  channelId?: string;
  /** The request's response_url: where a job can still reach the user when svcbot is not in the channel. */
  responseUrl?: string;
  /** A button press, not typed: the audit trail says so. */
  viaButton?: boolean;
  /** Delivers an interim answer before the real one (the cluster keeps failing: "still trying…"). */
  interim?: (reply: Reply) => void;
}

export interface CommandHandlerDeps {
  operations: Operations;
  /** `/svc jobs` and `/svc cancel`; without them (no queue) those answer that jobs are not available. */
  jobCommands?: JobCommands;
  /** `/svc approvals|approve|reject|withdraw|audit`. */
  governance: GovernanceCommands;
  /** `/svc orphans` and `/svc orphan …`; without them (tests of other commands) those answer that they are not available. */
  orphans?: OrphanCommands;
  /** `/svc allow`; without it (no Redis) it answers that it is not available. */
  grants?: Pick<IngressGrants, 'run'>;
  /** Where approval requests are posted when not where the command came from (for the requester's answer). */
  approvalChannel?: string;
  commandName: string;
  logger: Logger;
  now?: () => Date;
  /** How long one command keeps retrying a cluster's transient errors, in all (ms; default 25 s). */
  retryBudgetMs?: number;
  /** A user kept waiting by retries (or a long orphan scan) longer than this is told so (ms; default 2.5 s). */
  stillTryingAfterMs?: number;
  /** Milliseconds since the epoch, for the retry budget (default Date.now). */
  clock?: () => number;
  /** Where each command's subcommand and result are counted (default: nowhere). */
  metrics?: Pick<Metrics, 'commandHandled'>;
}

/** A command's result as the metrics count it: `ok`, `usage_error`, a BotError's code, or `error` (a bug). */
function resultOf(err: unknown): string {
  if (err instanceof UsageError) return 'usage_error';
  if (err instanceof BotError) return err.code;
  return 'error';
}

export type CommandHandler = (text: string, ctx: CommandContext) => Promise<Reply>;

function errorRef(): string {
  return randomBytes(4).toString('hex');
}

/** The reply to an operation's result (also what an approved request's thread reply shows). */
export function renderResult(result: OperationResult, ctx: Pick<CommandContext, 'userId'>, commandName: string, approvalChannel?: string): Reply {
  const requester = ctx.userId;
  switch (result.kind) {
    case 'help':
      return renderHelp(helpFor(result.topic, commandName), { commandName });
    case 'created':
      return renderCreated(result.result, { requester });
    case 'dry-run':
      return renderDryRun(result.result);
    case 'type-changed':
      return renderTypeChanged(result.result, { requester });
    case 'deleted':
      return renderDeleted(result.result, { requester });
    case 'list':
      return renderList(result.result, { commandName });
    case 'describe':
      return renderDescribe(result.result);
    case 'queued':
      return renderQueued(result.result, { commandName });
    case 'approval-requested':
      return renderApprovalRequested(result.request, {
        commandName,
        ...(approvalChannel === undefined ? {} : { approvalChannel }),
        ...(result.alreadyWaiting ? { alreadyWaiting: { askedBy: ctx.userId, now: new Date() } } : {}),
      });
    case 'load-balancer-deleted':
      return renderLoadBalancerDeleted(result.result, { requester });
    case 'ingress-opened':
      return renderGrantOpened(result.grant, { commandName });
  }
}

function renderOrphans(result: OrphanResult, ctx: Pick<CommandContext, 'userId'>, commandName: string, now: Date, approvalChannel?: string): Reply {
  switch (result.kind) {
    case 'report':
      return renderOrphanReport(result.report, { commandName, query: result.query });
    case 'ignored-list':
      return renderIgnoredList(result.entries, commandName, now);
    case 'snoozed':
      return renderSnoozed(result, now);
    case 'ignored':
      return renderIgnored(result, commandName, now);
    case 'unignored':
      return renderUnignored(result, commandName);
    case 'operation':
      return renderResult(result.result, ctx, commandName, approvalChannel);
  }
}

function renderGovernance(result: GovernanceResult, commandName: string, now: Date): Reply {
  switch (result.kind) {
    case 'approvals':
      return renderPending(result.result, { commandName, now });
    case 'decision':
      return renderDecision(result.verb, result.result, { commandName, now });
    case 'audit':
      return renderAudit(result.result, { now });
  }
}

/** Turns any failure into a reply; logs what the user can't see. */
function replyForError(err: unknown, deps: Pick<CommandHandlerDeps, 'logger' | 'commandName'>, log: Logger): Reply {
  const { commandName } = deps;
  if (err instanceof UsageError) return renderUsageError(err, { commandName });
  if (err instanceof BotError) {
    log.info({ code: err.code, err: err.cause ?? err }, 'command failed: %s', err.code);
    return renderError(err, { commandName });
  }
  const ref = errorRef();
  log.error({ err, ref }, 'unexpected error');
  return renderError({ ref }, { commandName });
}

/** The command line as the audit trail records it: `/svc …` as typed, or the button's command marked as such. */
function asTyped(text: string, commandName: string, viaButton: boolean): string {
  const trimmed = text.trim();
  const line = trimmed.toLowerCase().startsWith(`${commandName.toLowerCase()} `) ? trimmed : `${commandName} ${trimmed}`;
  return viaButton ? `${line} (button)` : line;
}

const DEFAULT_RETRY_BUDGET_MS = 25_000;
const DEFAULT_STILL_TRYING_AFTER_MS = 2500;

export function makeCommandHandler(deps: CommandHandlerDeps): CommandHandler {
  const { operations, jobCommands, governance, orphans, grants, approvalChannel, commandName, logger, now = () => new Date(), clock = Date.now } = deps;
  const { retryBudgetMs = DEFAULT_RETRY_BUDGET_MS, stillTryingAfterMs = DEFAULT_STILL_TRYING_AFTER_MS } = deps;

  /** This command's patience with a failing cluster; the user hears of it once, when a retry keeps them waiting. */
  function retryBudget(ctx: CommandContext, log: Logger): RetryBudget {
    const started = clock();
    let told = false;
    return {
      deadline: started + retryBudgetMs,
      onRetry(notice) {
        log.info({ cluster: notice.cluster, problem: notice.problem, retry: notice.retry, waitMs: notice.waitMs }, 'the cluster failed in transit; trying again');
        if (told || !ctx.interim || clock() + notice.waitMs - started < stillTryingAfterMs) return;
        told = true;
        ctx.interim(renderStillTrying(notice));
      },
    };
  }

  const metrics = deps.metrics ?? { commandHandled: () => undefined };
  return async (text, ctx) => {
    const seen = { subcommand: 'unknown', result: 'ok' };
    try {
      return await handle(text, ctx, seen);
    } finally {
      metrics.commandHandled(seen.subcommand, seen.result);
    }
  };

  async function handle(text: string, ctx: CommandContext, seen: { subcommand: string; result: string }): Promise<Reply> {
    const log = logger.child({ user: ctx.userId, ...(ctx.channelId ? { channel: ctx.channelId } : {}) });
    try {
      const command: Command = parseCommand(text, { commandName });
      seen.subcommand = command.kind;
      log.info({ command: command.kind }, 'command');
      const requester: Requester = {
        userId: ctx.userId,
        commandText: asTyped(text, commandName, ctx.viaButton === true),
        ...(ctx.channelId ? { channelId: ctx.channelId } : {}),
        ...(ctx.responseUrl ? { responseUrl: ctx.responseUrl } : {}),
      };
      if (command.kind === 'jobs' || command.kind === 'cancel') {
        if (!jobCommands) {
          throw new BotError('queue_unavailable', `\`${command.kind}\` works when svcbot runs with load-balancer jobs (Redis); this svcbot runs without them.`);
        }
        if (command.kind === 'jobs') return renderJobs(await jobCommands.jobs(command, requester), { commandName });
        return renderCancel(await jobCommands.cancel(command, requester), { commandName });
      }
      if (isGovernanceCommand(command)) return renderGovernance(await governance.run(command, requester), commandName, now());
      const posted = approvalChannel !== undefined && approvalChannel !== ctx.channelId ? approvalChannel : undefined;
      if (isOrphanCommand(command)) {
        if (!orphans) throw new BotError('invalid', 'This svcbot does not report orphaned load balancers.');
        // A scan can take minutes on a large account: the user hears that it runs, once it takes a while.
        const scanning = command.kind === 'orphans' && !command.ignored && ctx.interim ? setTimeout(() => ctx.interim?.(renderScanning()), stillTryingAfterMs) : undefined;
        try {
          return renderOrphans(await orphans.run(command, requester), ctx, commandName, now(), posted);
        } finally {
          clearTimeout(scanning);
        }
      }
      if (command.kind === 'allow') {
        if (!grants) throw new BotError('queue_unavailable', '`allow` works when svcbot runs with Redis (each opening closes by a delayed job there); this svcbot runs without it.');
        const outcome = await grants.run(command, requester, { budget: retryBudget(ctx, log) });
        switch (outcome.kind) {
          case 'operation':
            return renderResult(outcome.result, ctx, commandName, posted);
          case 'grants':
            return renderGrantList(outcome.grants, { commandName, now: new Date(outcome.now), ...(outcome.cluster === undefined ? {} : { cluster: outcome.cluster }) });
          case 'revoked':
            return renderGrantRevoked(outcome.grant, outcome.already, { now: now() });
        }
      }
      if (!isServiceCommand(command)) throw new Error('a parsed command that no module handles');
      return renderResult(await operations.run(command, requester, { budget: retryBudget(ctx, log) }), ctx, commandName, posted);
    } catch (err) {
      seen.result = resultOf(err);
      return replyForError(err, deps, log);
    }
  }
}

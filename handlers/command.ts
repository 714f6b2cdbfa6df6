/**
 * The one entry point for a `/svc …` line, shared by Slack and the console: parse, run one operation,
 * render. Also the single error boundary: typed errors become the user's message; anything else is
 * logged with a reference the user can quote ("something went wrong (ref: ID)"), never a stack trace.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../src/ports/logger.js';
import type { Command } from '../src/domain/command.js';
import { BotError, UsageError } from '../src/domain/errors.js';
import { parseCommand } from '../src/domain/grammar/index.js';
import { helpFor } from '../src/domain/help.js';
import type { JobCommands } from '../src/domain/job-commands.js';
import type { Operations } from '../src/domain/operations.js';
import type { OperationResult } from '../src/domain/results.js';
import { renderCancel, renderJobs } from '../src/render/jobs.js';
import { renderQueued } from '../src/render/queued.js';
import {
  renderCreated,
  renderDeleted,
  renderDescribe,
  renderDryRun,
  renderError,
  renderHelp,
  renderList,
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
}

export interface CommandHandlerDeps {
  operations: Operations;
  /** `/svc jobs` and `/svc cancel`; without them (no queue) those answer that jobs are not available. */
  jobCommands?: JobCommands;
  commandName: string;
  logger: Logger;
}

export type CommandHandler = (text: string, ctx: CommandContext) => Promise<Reply>;

function errorRef(): string {
  return randomBytes(4).toString('hex');
}

function renderResult(result: OperationResult, ctx: CommandContext, commandName: string): Reply {
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

export function makeCommandHandler(deps: CommandHandlerDeps): CommandHandler {
  const { operations, jobCommands, commandName, logger } = deps;
  return async (text, ctx) => {
    const log = logger.child({ user: ctx.userId, ...(ctx.channelId ? { channel: ctx.channelId } : {}) });
    try {
      const command: Command = parseCommand(text, { commandName });
      log.info({ command: command.kind }, 'command');
      if (command.kind === 'jobs' || command.kind === 'cancel') {
        if (!jobCommands) {
          throw new BotError('queue_unavailable', `\`${command.kind}\` works when svcbot runs with load-balancer jobs (Redis); this svcbot runs without them.`);
        }
        if (command.kind === 'jobs') return renderJobs(await jobCommands.jobs(command), { commandName });
        return renderCancel(await jobCommands.cancel(command, ctx.userId), { commandName });
      }
      const requester = {
        userId: ctx.userId,
        ...(ctx.channelId ? { channelId: ctx.channelId } : {}),
        ...(ctx.responseUrl ? { responseUrl: ctx.responseUrl } : {}),
      };
      return renderResult(await operations.run(command, requester), ctx, commandName);
    } catch (err) {
      return replyForError(err, deps, log);
    }
  };
}

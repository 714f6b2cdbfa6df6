/**
 * Approval requests in chat: the request message approvers decide on (posted in the approval channel, or
 * where the command came from), updated in place as the request moves, and the thread reply that tells
 * the requester how it ended. Also the audit channel, where every audit entry is posted as it happens.
 */
import type { ApprovalRequest } from '../src/domain/approvals.js';
import type { ApprovalNotices } from '../src/ports/approvals.js';
import type { AuditEntry } from '../src/ports/audit.js';
import type { ChannelMessages } from '../src/ports/replies.js';
import { renderApprovalOutcome, renderApprovalRequest, renderAuditEntry } from '../src/render/index.js';
import { BotError } from '../src/domain/errors.js';
import { renderResult } from './command.js';

export interface ApprovalNoticesDeps {
  replies: ChannelMessages;
  commandName: string;
  /** Where requests are posted; the channel the command came from when absent. */
  approvalChannel?: string;
  now?: () => Date;
}

export function makeApprovalNotices({ replies, commandName, approvalChannel, now = () => new Date() }: ApprovalNoticesDeps): ApprovalNotices {
  const render = (request: ApprovalRequest) => renderApprovalRequest(request, { commandName, now: now() });

  return {
    async post(request) {
      // No fallback to the requester alone: a request approvers cannot see must not wait for them.
      const ref = await replies.post(approvalChannel ?? request.requester.channelId, render(request));
      if (ref === undefined) throw new BotError('slack_not_in_channel', 'svcbot is not in that channel');
      return ref;
    },

    async show(request) {
      if (request.message === undefined) return;
      await replies.update(request.message, render(request));
    },

    async tell(request, run) {
      const resultReply = run?.kind === 'ran' ? renderResult(run.result, { userId: request.requester.userId }, commandName) : undefined;
      const message = renderApprovalOutcome(request, run, resultReply);
      const { channelId, responseUrl } = request.requester;
      const thread = request.message;
      if (thread !== undefined) await replies.post(thread.channel, message, { threadTs: thread.ts });
      // Asked elsewhere than the approval channel: told where they asked, too.
      if (thread === undefined || thread.channel !== channelId) {
        await replies.post(channelId, message, responseUrl === undefined ? {} : { fallbackResponseUrl: responseUrl });
      }
    },
  };
}

/**
 * Posts each audit entry to `channel` as it is recorded; entries recorded within a few seconds of each
 * other go as one message (hundreds of decisions would otherwise wait for the channel's one message a second).
 */
export function auditChannel(replies: ChannelMessages, channel: string): (entry: AuditEntry) => Promise<void> {
  return async (entry) => {
    await replies.post(channel, renderAuditEntry(entry), { digest: 'audit' });
  };
}

/**
 * `/svc allow` in chat after the answer: the message that a grant was closed (its time was up, or someone
 * revoked it), in the approval request's thread when there was one, else in the requester's channel.
 */
import type { GrantNotices } from '../src/domain/ingress-grants.js';
import type { ChannelMessages } from '../src/ports/replies.js';
import { renderGrantClosed } from '../src/render/ingress.js';

export function makeGrantNotices({ replies, now = () => new Date() }: { replies: Pick<ChannelMessages, 'post'>; now?: () => Date }): GrantNotices {
  return {
    async closed(grant) {
      const message = renderGrantClosed(grant, { now: now() });
      if (grant.thread !== undefined) {
        await replies.post(grant.thread.channel, message, { threadTs: grant.thread.ts });
      } else if (grant.channelId !== '') {
        await replies.post(grant.channelId, message);
      }
    },
  };
}

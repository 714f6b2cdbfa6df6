/**
 * Delivers a Reply for a slash command: ephemeral replies through the response_url; replies for the
 * channel through `chat.postMessage` (so later work can thread under and update them). When Slack
 * refuses because svcbot is not in the channel, the user gets the reply ephemerally with a note to
 * `/invite @svcbot` — never a silent failure.
 */
import type { WebClient } from '@slack/web-api';
import type { Reply } from '../../render/blocks.js';
import { postToResponseUrl, type ResponseUrlOptions } from './response-url.js';

export interface DeliveryTarget {
  client: WebClient;
  responseUrl: string;
  channelId: string;
  userId: string;
}

export interface Delivered {
  /** Where a channel message landed (absent for ephemeral replies). */
  channel?: string;
  ts?: string;
  /** The reply went to the user only because svcbot is not in the channel. */
  notInChannel?: boolean;
}

const NOT_IN_CHANNEL = new Set(['not_in_channel', 'channel_not_found', 'is_archived']);

export function slackErrorCode(err: unknown): string | undefined {
  const data = (err as { data?: { error?: unknown } })?.data;
  return typeof data?.error === 'string' ? data.error : undefined;
}

export async function deliverReply(reply: Reply, target: DeliveryTarget, opts: ResponseUrlOptions = {}): Promise<Delivered> {
  if (reply.responseType === 'ephemeral') {
    await postToResponseUrl(target.responseUrl, { response_type: 'ephemeral', text: reply.text, blocks: reply.blocks }, opts);
    return {};
  }
  try {
    const res = await target.client.chat.postMessage({
      channel: target.channelId,
      text: reply.text,
      blocks: reply.blocks,
      unfurl_links: false,
      unfurl_media: false,
    });
    return { ...(res.channel ? { channel: res.channel } : {}), ...(res.ts ? { ts: res.ts } : {}) };
  } catch (err) {
    const code = slackErrorCode(err);
    if (code === undefined || !NOT_IN_CHANNEL.has(code)) throw err;
    const note =
      code === 'is_archived'
        ? 'This channel is archived, so svcbot could not post there; here is the result:'
        : 'svcbot is not in this channel, so only you can see this. Type `/invite @svcbot` to let the team see changes here.';
    await postToResponseUrl(
      target.responseUrl,
      {
        response_type: 'ephemeral',
        text: `${note}\n${reply.text}`,
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `:warning: ${note}` } }, ...reply.blocks],
      },
      opts,
    );
    return { notInChannel: true };
  }
}

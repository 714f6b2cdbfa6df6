/** Notifier over Slack's Web API: `chat.postMessage` (maybe in a thread) and `chat.update`. */
import type { WebClient } from '@slack/web-api';
import { BotError } from '../../domain/errors.js';
import type { Notifier } from '../../ports/notifier.js';
import { slackErrorCode } from './deliver.js';
import { postToResponseUrl, type ResponseUrlOptions } from './response-url.js';

const NOT_IN_CHANNEL = new Set(['not_in_channel', 'channel_not_found', 'is_archived']);

const INVITE_NOTE = 'svcbot is not in this channel, so only you can see this. Type `/invite @svcbot` to let the team see its progress here.';

function notInChannel(channel: string, code: string, err: unknown): BotError {
  return new BotError(
    'slack_not_in_channel',
    code === 'is_archived'
      ? `Channel ${channel} is archived, so svcbot cannot post there.`
      : `svcbot is not in channel ${channel}; type \`/invite @svcbot\` there.`,
    { cause: err },
  );
}

export function createSlackNotifier(client: WebClient, responseUrlOptions: ResponseUrlOptions = {}): Notifier {
  return {
    async post(channel, message, opts = {}) {
      try {
        const res = await client.chat.postMessage({
          channel,
          text: message.text,
          ...(message.blocks ? { blocks: message.blocks as never } : {}),
          ...(opts.threadTs ? { thread_ts: opts.threadTs } : {}),
          unfurl_links: false,
          unfurl_media: false,
        });
        return { channel: res.channel ?? channel, ts: res.ts ?? '' };
      } catch (err) {
        const code = slackErrorCode(err);
        if (code === undefined || !NOT_IN_CHANNEL.has(code)) throw err;
        if (!opts.fallbackResponseUrl) throw notInChannel(channel, code, err);
        await postToResponseUrl(
          opts.fallbackResponseUrl,
          { response_type: 'ephemeral', text: `${INVITE_NOTE}\n${message.text}` },
          responseUrlOptions,
        );
        return undefined;
      }
    },
    async update(ref, message) {
      try {
        await client.chat.update({
          channel: ref.channel,
          ts: ref.ts,
          text: message.text,
          ...(message.blocks ? { blocks: message.blocks as never } : {}),
        });
      } catch (err) {
        const code = slackErrorCode(err);
        if (code !== undefined && NOT_IN_CHANNEL.has(code)) throw notInChannel(ref.channel, code, err);
        throw err;
      }
    },
  };
}

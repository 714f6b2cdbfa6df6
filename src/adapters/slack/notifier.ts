/**
 * Notifier over Slack's Web API: `chat.postMessage` (maybe in a thread) and `chat.update`. Slack's errors
 * become BotErrors marked transient (network, HTTP 5xx, rate limits) or permanent (Slack refused the call:
 * `invalid_auth`, `msg_too_long`…; svcbot not in the channel).
 */
import type { WebClient } from '@slack/web-api';
import { BotError } from '../../domain/errors.js';
import type { Notifier } from '../../ports/notifier.js';
import { slackErrorCode } from './deliver.js';
import { postToResponseUrl, ResponseUrlError, type ResponseUrlOptions } from './response-url.js';

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

/** Any other failure of a Web API call or a response_url post, marked transient or permanent. */
export function slackFailure(err: unknown, what: string): BotError {
  if (err instanceof BotError) return err;
  const code = (err as { code?: unknown })?.code;
  const refused = slackErrorCode(err);
  if (code === 'slack_webapi_platform_error') {
    return new BotError('slack_error', `Slack refused to ${what}: ${refused ?? 'error'}.`, { cause: err, transient: refused === 'ratelimited' });
  }
  if (err instanceof ResponseUrlError) {
    // 404: the response_url has expired (30 minutes) or was used up; other 4xx will not change either.
    const transient = err.status >= 500 || err.status === 429;
    return new BotError('slack_error', `Slack answered ${err.status} to ${what}.`, { cause: err, transient });
  }
  // slack_webapi_request_error (network), _http_error (5xx), _rate_limited_error, or fetch failing: worth a retry.
  return new BotError('slack_error', `Could not reach Slack to ${what}.`, { cause: err, transient: true });
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
        if (code === undefined || !NOT_IN_CHANNEL.has(code)) throw slackFailure(err, 'post a message');
        if (!opts.fallbackResponseUrl) throw notInChannel(channel, code, err);
        await postToResponseUrl(
          opts.fallbackResponseUrl,
          { response_type: 'ephemeral', text: `${INVITE_NOTE}\n${message.text}` },
          responseUrlOptions,
        ).catch((fallbackErr: unknown) => {
          throw slackFailure(fallbackErr, 'answer through the response_url');
        });
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
        throw slackFailure(err, 'update a message');
      }
    },
  };
}

/**
 * The Replies port over Slack's Web API and `response_url`:
 * - `respond`: ephemeral replies through the request's response_url (at most its 5 posts; then an
 *   ephemeral message, or a direct message where svcbot is not in the channel); replies for the channel through
 *   `chat.postMessage` (so later work can thread under and update them). When Slack refuses because
 *   svcbot is not in the channel, the user gets the reply alone with a note to `/invite @svcbot` — never
 *   a silent failure.
 * - `post` / `update`: `chat.postMessage` (maybe in a thread) and `chat.update`, for jobs' messages. A
 *   post with a `key` carries it in the message's metadata (`svcbot_post`; a digest, every part's key),
 *   and `findPosted` reads the channel (`conversations.history`) or the thread (`conversations.replies`)
 *   back for it: a job taking over a dead attempt's post asks before posting again. Reading needs the
 *   `channels:history` / `groups:history` scopes; without them (or outside the channel) it finds nothing.
 * Slack's errors become BotErrors marked transient (network, HTTP 5xx, rate limits) or permanent (Slack
 * refused the call: `invalid_auth`, `msg_too_long`…; svcbot not in the channel).
 * Every Web API call goes through a send queue (send-queue.ts): paced to Slack's limits per channel and
 * method, results before progress messages, only the latest version of an update. Give it a WebClient
 * built with `rejectRateLimitedCalls`, so that a 429 comes back to the queue (which pauses that lane alone).
 */
import type { WebClient } from '@slack/web-api';
import { BotError } from '../../domain/errors.js';
import type { MessageRef, Replies } from '../../ports/replies.js';
import type { Block, Message } from '../../render/blocks.js';
import { DIGEST_MAX_SIZE, digestSize, renderDigest, type DigestKind } from '../../render/digest.js';
import { createResponseUrlBudget, postToResponseUrl, ResponseUrlError, type ResponseUrlOptions } from './response-url.js';
import { createSendQueue, retryAfterOf, SEND_PRIORITY, SendCancelled, type SendQueue } from './send-queue.js';

/** How long an audit-channel entry waits for others to go with it (see the send queue's digests). */
const AUDIT_DIGEST_HOLD_MS = 2000;

const NOT_IN_CHANNEL = new Set(['not_in_channel', 'channel_not_found', 'is_archived']);

const INVITE_NOTE = 'svcbot is not in this channel, so only you can see this. Type `/invite @svcbot` to let the team see its progress here.';

/** Slack's error code in a Web API failure (`not_in_channel`, `invalid_auth`…), if it has one. */
function slackErrorCode(err: unknown): string | undefined {
  const data = (err as { data?: { error?: unknown } })?.data;
  return typeof data?.error === 'string' ? data.error : undefined;
}

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
function slackFailure(err: unknown, what: string): BotError {
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
  if (retryAfterOf(err) !== undefined) {
    return new BotError('slack_error', `Slack kept asking svcbot to slow down when it tried to ${what}.`, { cause: err, transient: true });
  }
  // slack_webapi_request_error (network), _http_error (5xx), _rate_limited_error, or fetch failing: worth a retry.
  return new BotError('slack_error', `Could not reach Slack to ${what}.`, { cause: err, transient: true });
}

/** The metadata event type of svcbot's keyed posts; its payload lists the keys (`posts: [{ key }]`). */
const POST_EVENT = 'svcbot_post';

/** Pages of history `findPosted` reads at most (200 messages each): a busy channel's last ~2,000. */
const FIND_MAX_PAGES = 10;

/** Slack refusing to let svcbot read a channel back: nothing can be found there. */
const CANNOT_READ = new Set([...NOT_IN_CHANNEL, 'missing_scope', 'not_allowed_token_type', 'thread_not_found']);

/** The metadata naming a post's key(s), for a post that has any. */
function metadataOf(keys: readonly string[]): { metadata?: { event_type: string; event_payload: { posts: { key: string }[] } } } {
  return keys.length > 0 ? { metadata: { event_type: POST_EVENT, event_payload: { posts: keys.map((key) => ({ key })) } } } : {};
}

interface HistoryMessage {
  ts?: string;
  metadata?: { event_type?: string; event_payload?: { posts?: unknown } };
}

/** Whether a message read back carries `key` (its own, or one of a digest's). */
function carries(message: HistoryMessage, key: string): boolean {
  const posts = message.metadata?.event_type === POST_EVENT ? message.metadata.event_payload?.posts : undefined;
  return Array.isArray(posts) && posts.some((p) => (p as { key?: unknown } | null)?.key === key);
}

/** Slack's Block Kit for a message: what svcbot renders, or none for a text-only message. */
function blocksOf(blocks: Block[]): { blocks?: Block[] } {
  return blocks.length > 0 ? { blocks } : {};
}

interface DigestPart {
  message: Message;
  key?: string;
}

export function createSlackReplies(client: WebClient, responseUrlOptions: ResponseUrlOptions = {}, queue: SendQueue = createSendQueue()): Replies {
  const budget = createResponseUrlBudget();

  /**
   * To the user alone: through the response_url while it has posts left (Slack takes 5); once they are
   * spent (counted here, or Slack's 404: used up by another process, or expired) as an ephemeral message
   * in `channelId` where svcbot is there, else as a direct message. Without `userId`, a spent
   * response_url is the failure it was.
   */
  async function alone(who: { userId?: string; channelId?: string; responseUrl?: string }, text: string, blocks: Block[], what: string): Promise<void> {
    if (who.responseUrl !== undefined && budget.take(who.responseUrl)) {
      try {
        await postToResponseUrl(who.responseUrl, { response_type: 'ephemeral', text, ...blocksOf(blocks) }, responseUrlOptions);
        return;
      } catch (err) {
        if (!(err instanceof ResponseUrlError && err.status === 404) || who.userId === undefined) throw slackFailure(err, what);
      }
    } else if (who.userId === undefined) {
      throw new BotError('slack_error', `Slack takes no more answers through this request's response_url, so svcbot could not ${what}.`);
    }
    const user = who.userId;
    if (who.channelId !== undefined) {
      const channel = who.channelId;
      try {
        await queue.send('chat.postEphemeral', channel, () => client.chat.postEphemeral({ channel, user, text, ...blocksOf(blocks) }));
        return;
      } catch (err) {
        const code = slackErrorCode(err);
        if (code === undefined || !NOT_IN_CHANNEL.has(code)) throw slackFailure(err, what);
      }
    }
    await queue
      .send('chat.postMessage', user, () => client.chat.postMessage({ channel: user, text, ...blocksOf(blocks), unfurl_links: false, unfurl_media: false }))
      .catch((err: unknown) => {
        throw slackFailure(err, what);
      });
  }

  /** Messages of one kind that waited together for one channel, as one message there (carrying every part's key). */
  const postDigest = (channel: string, parts: DigestPart[], kind: DigestKind) => {
    const digest = renderDigest(
      parts.map((p) => p.message),
      kind,
    );
    const keys = parts.flatMap((p) => (p.key === undefined ? [] : [p.key]));
    return client.chat.postMessage({ channel, text: digest.text, ...blocksOf(digest.blocks), ...metadataOf(keys), unfurl_links: false, unfurl_media: false });
  };
  const digestOf = (channel: string, message: Message, kind: DigestKind, key: string | undefined) => ({
    key: kind,
    part: { message, ...(key === undefined ? {} : { key }) },
    combine: (parts: DigestPart[]) => () => postDigest(channel, parts, kind),
    size: digestSize(message),
    maxSize: DIGEST_MAX_SIZE,
    // Audit entries are not urgent: the first of a burst waits for the others, so the burst is one message.
    ...(kind === 'audit' ? { holdMs: AUDIT_DIGEST_HOLD_MS } : {}),
  });

  return {
    async respond(to, reply) {
      if (reply.responseType === 'ephemeral') {
        await alone(to, reply.text, reply.blocks, 'answer through the response_url');
        return;
      }
      try {
        await queue.send('chat.postMessage', to.channelId, () =>
          client.chat.postMessage({ channel: to.channelId, text: reply.text, ...blocksOf(reply.blocks), unfurl_links: false, unfurl_media: false }),
        );
      } catch (err) {
        const code = slackErrorCode(err);
        if (code === undefined || !NOT_IN_CHANNEL.has(code) || !to.responseUrl) throw slackFailure(err, 'post the reply');
        const note =
          code === 'is_archived'
            ? 'This channel is archived, so svcbot could not post there; here is the result:'
            : 'svcbot is not in this channel, so only you can see this. Type `/invite @svcbot` to let the team see changes here.';
        const blocks: Block[] = [{ type: 'section', text: { type: 'mrkdwn', text: `:warning: ${note}` } }, ...reply.blocks];
        await alone({ userId: to.userId, responseUrl: to.responseUrl }, `${note}\n${reply.text}`, blocks, 'answer through the response_url');
      }
    },

    async post(channel, message, opts = {}) {
      try {
        const res = await queue.send(
          'chat.postMessage',
          channel,
          () =>
            client.chat.postMessage({
              channel,
              text: message.text,
              ...blocksOf(message.blocks),
              ...(opts.threadTs ? { thread_ts: opts.threadTs } : {}),
              ...metadataOf(opts.key === undefined ? [] : [opts.key]),
              unfurl_links: false,
              unfurl_media: false,
            }),
          {
            priority: SEND_PRIORITY[opts.priority ?? 'result'],
            ...(opts.digest ? { digest: digestOf(channel, message, opts.digest, opts.key) } : {}),
            ...(opts.signal ? { signal: opts.signal } : {}),
          },
        );
        return { channel: res.channel ?? channel, ts: res.ts ?? '' };
      } catch (err) {
        if (err instanceof SendCancelled) return undefined;
        const code = slackErrorCode(err);
        if (code === undefined || !NOT_IN_CHANNEL.has(code)) throw slackFailure(err, 'post a message');
        if (!opts.fallbackResponseUrl) throw notInChannel(channel, code, err);
        const who = { responseUrl: opts.fallbackResponseUrl, ...(opts.fallbackUserId === undefined ? {} : { userId: opts.fallbackUserId }) };
        await alone(who, `${INVITE_NOTE}\n${message.text}`, [], 'answer through the response_url');
        return undefined;
      }
    },

    async findPosted(channel, key, where) {
      /** Pages of one listing until a message carries `key` (its ref), or the pages end. */
      const search = async (method: 'conversations.replies' | 'conversations.history', page: (cursor: string | undefined) => Promise<{ messages?: HistoryMessage[]; response_metadata?: { next_cursor?: string } }>): Promise<MessageRef | undefined> => {
        let cursor: string | undefined;
        for (let i = 0; i < FIND_MAX_PAGES; i++) {
          const answer = await queue.send(method, channel, () => page(cursor));
          const found = answer.messages?.find((m) => carries(m, key));
          if (found?.ts) return { channel, ts: found.ts };
          cursor = answer.response_metadata?.next_cursor || undefined;
          if (cursor === undefined) return undefined;
        }
        return undefined;
      };
      const oldest = (where.since / 1000).toFixed(6);
      try {
        const threadTs = where.threadTs;
        const inThread =
          threadTs === undefined
            ? undefined
            : await search('conversations.replies', (cursor) => client.conversations.replies({ channel, ts: threadTs, oldest, include_all_metadata: true, limit: 200, ...(cursor ? { cursor } : {}) }));
        return (
          inThread ??
          (await search('conversations.history', (cursor) => client.conversations.history({ channel, oldest, include_all_metadata: true, limit: 200, ...(cursor ? { cursor } : {}) })))
        );
      } catch (err) {
        const code = slackErrorCode(err);
        if (code !== undefined && CANNOT_READ.has(code)) return undefined;
        throw slackFailure(err, 'read the channel back');
      }
    },

    async update(ref, message, opts = {}) {
      try {
        await queue.send('chat.update', ref.channel, () => client.chat.update({ channel: ref.channel, ts: ref.ts, text: message.text, ...blocksOf(message.blocks) }), {
          // A job's last state before others' intermediate ones; of one message, only the latest version.
          priority: opts.final ? SEND_PRIORITY.result : SEND_PRIORITY.progress,
          mergeKey: `${ref.channel}/${ref.ts}`,
        });
      } catch (err) {
        const code = slackErrorCode(err);
        if (code !== undefined && NOT_IN_CHANNEL.has(code)) throw notInChannel(ref.channel, code, err);
        throw slackFailure(err, 'update a message');
      }
    },
  };
}

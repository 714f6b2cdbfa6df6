/**
 * Where svcbot's words go: the answer to a command or a button press, and the messages jobs post and
 * update (progress, endpoints, thread replies). One sink for handlers, jobs and notifications, carrying
 * the one typed Block Kit model of src/render. Slack implements it with `response_url`,
 * `chat.postMessage` and `chat.update`; the console prints text.
 */
import type { Message, Reply } from '../render/blocks.js';

/** A message already in a channel: where it is and its Slack timestamp (its id). */
export interface MessageRef {
  channel: string;
  ts: string;
}

/** Who asked, and where: what an answer needs to reach them. */
export interface ReplyTarget {
  userId: string;
  channelId: string;
  /** The request's response_url (valid 30 minutes): answers the user alone, wherever svcbot is. */
  responseUrl?: string;
}

export interface PostOptions {
  threadTs?: string;
  fallbackResponseUrl?: string;
  /** Who gets the fallback as a direct message once the response_url takes no more posts (Slack takes 5, for 30 minutes). */
  fallbackUserId?: string;
  /**
   * `progress`: a progress message, which waits behind results (endpoint and outcome messages, answers)
   * where Slack's per-channel limit makes messages wait. Default `result`.
   */
  priority?: 'result' | 'progress';
  /**
   * May go out with other messages of the same kind waiting for the same channel, as one message there
   * (a digest), when Slack's limits would make them wait. `results`: a job's endpoint or outcome message,
   * in the channel (not the thread), each requester mentioned. `audit`: an audit-channel entry; a burst of
   * entries within a few seconds is one message, every entry kept, in order.
   */
  digest?: 'results' | 'audit';
  /**
   * Aborted while the post still waits for Slack's rate (behind the channel's other messages): nothing is
   * posted and `post` resolves undefined. A post already made is not undone.
   */
  signal?: AbortSignal;
  /**
   * Names this post (a job's once-only key): carried with the message (Slack message metadata; a digest
   * carries each of its parts' keys), so that `findPosted` can tell later whether it went out.
   */
  key?: string;
}

/** Where an earlier post may be: the channel's messages since `since` (epoch ms), and the thread of `threadTs`. */
interface PostedWhere {
  since: number;
  threadTs?: string;
}

export interface Replies {
  /**
   * Answers a command or a button press: an `ephemeral` reply to the user alone, an `in_channel` one in
   * the channel. Where svcbot is not in the channel the user gets it alone, with a note to invite svcbot.
   */
  respond(to: ReplyTarget, reply: Reply): Promise<void>;
  /**
   * Posts a message to `channel` (in the thread of `threadTs` if given). When svcbot is not in the channel
   * (`not_in_channel`, archived…) and `fallbackResponseUrl` is given, the message goes to the user alone
   * through it, with a note to invite svcbot, and the result is undefined (there is nothing to update);
   * without a fallback that throws BotError `slack_not_in_channel`. Failures are BotErrors marked
   * transient (network, 5xx, rate limits) or permanent.
   */
  post(channel: string, message: Message, opts?: PostOptions): Promise<MessageRef | undefined>;
  /**
   * Replaces a message svcbot posted earlier. Same errors as `post`. Where Slack's limits make updates
   * wait, only the latest version of a message is kept (an earlier one's promise settles with it), and a
   * `final` one goes before others' intermediate ones.
   */
  update(ref: MessageRef, message: Message, opts?: { final?: boolean }): Promise<void>;
  /**
   * The message posted earlier with `key` (PostOptions) in `channel`, if it is there: a job that takes over
   * a dead attempt's post asks before posting again. Undefined when it is not, or when it cannot be known
   * here (no history to read: the console; svcbot may not read the channel). Fails, transient, when Slack
   * does not answer.
   */
  findPosted(channel: string, key: string, where: PostedWhere): Promise<MessageRef | undefined>;
}

/** The part of Replies that jobs use: messages in channels, posted and updated. */
export type ChannelMessages = Pick<Replies, 'post' | 'update' | 'findPosted'>;

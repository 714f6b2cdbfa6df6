/** How jobs talk to the people who asked for them: channel messages, updated in place, and thread replies. */

/** A message already in a channel: where it is and its Slack timestamp (its id). */
export interface MessageRef {
  channel: string;
  ts: string;
}

export interface OutgoingMessage {
  /** mrkdwn text (also the notification text when `blocks` are given). */
  text: string;
  /** Block Kit blocks, if the message has any. */
  blocks?: unknown[];
}

export interface Notifier {
  /**
   * Posts a message to `channel` (in the thread of `threadTs` if given). When svcbot is not in the channel
   * (`not_in_channel`, archived…) and `fallbackResponseUrl` is given, the message goes to the user alone
   * through it, with a note to invite svcbot, and the result is undefined (there is nothing to update);
   * without a fallback that throws BotError `slack_not_in_channel`. Other failures are transient.
   */
  post(channel: string, message: OutgoingMessage, opts?: { threadTs?: string; fallbackResponseUrl?: string }): Promise<MessageRef | undefined>;
  /** Replaces a message svcbot posted earlier. Same errors as `post`. */
  update(ref: MessageRef, message: OutgoingMessage): Promise<void>;
}

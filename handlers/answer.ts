/** What every listener does with a request: run it through the command handler, then answer. */
import type { Logger } from '../src/ports/logger.js';
import type { Replies, ReplyTarget } from '../src/ports/replies.js';
import type { Reply } from '../src/render/index.js';
import type { CommandHandler } from './command.js';

export interface AnswerDeps {
  handle: CommandHandler;
  replies: Replies;
  logger: Logger;
}

/**
 * Runs `text` for `to` and delivers the reply, after any interim one ("still trying…"); a reply that
 * cannot be delivered is logged (nobody else can be told).
 */
export async function answer({ handle, replies, logger }: AnswerDeps, text: string, to: ReplyTarget & { viaButton?: boolean }): Promise<void> {
  const deliver = async (reply: Reply): Promise<void> => {
    try {
      await replies.respond(to, reply);
    } catch (err) {
      logger.error({ err, user: to.userId, channel: to.channelId }, 'could not deliver a reply');
    }
  };
  let interim: Promise<void> | undefined;
  const reply = await handle(text, { ...to, interim: (r) => void (interim ??= deliver(r)) });
  // The interim answer goes first, so the user never sees "still trying" after the outcome.
  await interim;
  await deliver(reply);
}

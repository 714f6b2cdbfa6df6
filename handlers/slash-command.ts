/**
 * The `/svc` slash command on Slack: acknowledge at once (Slack allows 3 seconds), then do the work and
 * deliver the reply — ephemeral to the user, or into the channel for changes.
 */
import type { App } from '@slack/bolt';
import type { Logger } from 'pino';
import { deliverReply } from '../src/adapters/slack/deliver.js';
import type { CommandHandler } from './command.js';

export interface SlashCommandDeps {
  commandName: string;
  handle: CommandHandler;
  logger: Logger;
}

export function registerSlashCommand(app: App, { commandName, handle, logger }: SlashCommandDeps): void {
  app.command(commandName, async ({ ack, command, client }) => {
    await ack();
    // Give way before working: without this, everything up to the command's first I/O (parsing,
    // rendering, building API requests) runs straight after the ack, ahead of the commands whose
    // requests are already waiting to be read, and delays their acks (bench/ack measures it).
    await new Promise<void>((resolve) => setImmediate(resolve));
    const ctx = { userId: command.user_id, channelId: command.channel_id };
    const reply = await handle(command.text, ctx);
    try {
      await deliverReply(reply, { client, responseUrl: command.response_url, ...ctx });
    } catch (err) {
      logger.error({ err, user: ctx.userId, channel: ctx.channelId }, 'could not deliver a reply to Slack');
    }
  });
}

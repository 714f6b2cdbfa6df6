/**
 * The `/svc` slash command on Slack: acknowledge at once (Slack allows 3 seconds), then do the work and
 * deliver the reply — ephemeral to the user, or into the channel for changes.
 */
import type { App } from '@slack/bolt';
import type { Logger } from 'pino';
import type { CommandHandler } from './command.js';
import { ackRunAndDeliver } from './run-and-deliver.js';

export interface SlashCommandDeps {
  commandName: string;
  handle: CommandHandler;
  logger: Logger;
}

export function registerSlashCommand(app: App, { commandName, handle, logger }: SlashCommandDeps): void {
  app.command(commandName, async ({ ack, command, client }) => {
    await ackRunAndDeliver({
      ack: () => ack(),
      handle,
      text: command.text,
      ctx: { userId: command.user_id, channelId: command.channel_id },
      client,
      responseUrl: command.response_url,
      logger,
    });
  });
}

/** What every Slack listener of svcbot does after it has been acknowledged: run, then deliver the reply. */
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { deliverReply } from '../src/adapters/slack/deliver.js';
import type { CommandContext, CommandHandler } from './command.js';

export interface RunAndDeliverInput {
  ack: () => Promise<void>;
  handle: CommandHandler;
  text: string;
  ctx: { userId: string; channelId: string };
  client: WebClient;
  responseUrl: string;
  logger: Logger;
}

export async function ackRunAndDeliver({ ack, handle, text, ctx, client, responseUrl, logger }: RunAndDeliverInput): Promise<void> {
  await ack();
  // Give way before working: without this, everything up to the command's first I/O (parsing,
  // rendering, building API requests) runs straight after the ack, ahead of the requests already
  // waiting to be read, and delays their acks (bench/ack measures it).
  await new Promise<void>((resolve) => setImmediate(resolve));
  const context: CommandContext = { ...ctx, responseUrl };
  const reply = await handle(text, context);
  try {
    await deliverReply(reply, { client, responseUrl, ...ctx });
  } catch (err) {
    logger.error({ err, user: ctx.userId, channel: ctx.channelId }, 'could not deliver a reply to Slack');
  }
}

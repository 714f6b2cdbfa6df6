/**
 * The ChatTransport port over a Bolt app: slash commands and button presses (`block_actions`) are
 * acknowledged at once, then handed to svcbot's listeners. Bolt verifies each request's signature (HTTP
 * mode) before any of this runs.
 */
import type { App, BlockButtonAction } from '@slack/bolt';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatTransport } from '../../ports/chat.js';
import type { Logger } from '../../ports/logger.js';

/** Lets the event loop read the requests already waiting (and ack them) before a listener starts working. */
const giveWay = () => new Promise<void>((resolve) => setImmediate(resolve));

export function createSlackTransport(app: App, { port, socketMode, logger }: { port: number; socketMode: boolean; logger: Logger }): ChatTransport {
  return {
    onCommand(command, listener) {
      app.command(command, async ({ ack, command: body }) => {
        await ack();
        // Without this, everything up to the command's first I/O (parsing, rendering, building API
        // requests) runs straight after the ack, ahead of the requests already waiting to be read, and
        // delays their acks (bench/ack measures it).
        await giveWay();
        await listener({ text: body.text, userId: body.user_id, channelId: body.channel_id, responseUrl: body.response_url });
      });
    },
    onButton(actionId, listener) {
      app.action<BlockButtonAction>(actionId, async ({ ack, body, action }) => {
        await ack();
        await giveWay();
        const channelId = body.channel?.id;
        await listener({
          actionId,
          value: action.value ?? '',
          userId: body.user.id,
          ...(channelId ? { channelId } : {}),
          responseUrl: body.response_url,
        });
      });
    },
    async start() {
      const started: unknown = await app.start(port);
      if (socketMode) return {};
      const address = (started as Server).address() as AddressInfo;
      logger.debug({ port: address.port }, 'Slack HTTP receiver listening');
      return { port: address.port };
    },
    stop: () => app.stop().then(() => undefined),
  };
}

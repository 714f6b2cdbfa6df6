/**
 * The buttons on svcbot's replies (`Describe`, `Delete`). A button press runs the same command as typing
 * it would, as the user who pressed it, through the same handler.
 */
import type { App, BlockButtonAction } from '@slack/bolt';
import type { Logger } from 'pino';
import { isClusterName, isNamespaceName, isServiceName } from '../src/domain/grammar/index.js';
import { ACTION_IDS, parseServiceActionValue, type ServiceRef } from '../src/render/index.js';
import type { CommandHandler } from './command.js';
import { ackRunAndDeliver } from './run-and-deliver.js';

export interface ButtonDeps {
  handle: CommandHandler;
  logger: Logger;
}

/**
 * The command line a button stands for, or undefined when the button's value does not name a Service
 * (each part is checked on its own, so no value can smuggle extra words into the command).
 */
export function commandForButton(action: 'describe' | 'delete', ref: ServiceRef): string | undefined {
  if (!isServiceName(ref.name) || !isNamespaceName(ref.namespace) || !isClusterName(ref.cluster)) return undefined;
  return `${action} ${ref.name} -n ${ref.namespace} --cluster ${ref.cluster}`;
}

export function registerButtons(app: App, { handle, logger }: ButtonDeps): void {
  for (const action of ['describe', 'delete'] as const) {
    app.action<BlockButtonAction>(ACTION_IDS[action], async ({ ack, body, action: button, client }) => {
      const ref = parseServiceActionValue(button.value ?? '');
      const command = ref && commandForButton(action, ref);
      const channelId = body.channel?.id;
      if (!command || !channelId) {
        await ack();
        logger.warn({ action, user: body.user.id }, 'ignored a button press without a valid value or channel');
        return;
      }
      await ackRunAndDeliver({
        ack: () => ack(),
        handle,
        text: command,
        ctx: { userId: body.user.id, channelId },
        client,
        responseUrl: body.response_url,
        logger,
      });
    });
  }
}

/**
 * The buttons on svcbot's messages (`Details`, `Delete`; `Approve`, `Reject`, `Withdraw` on approval
 * requests). A button press runs the same command as typing it would, as the user who pressed it,
 * through the same handler: the policy, who may decide and the atomic decision are the command's.
 */
import { isClusterName, isNamespaceName, isServiceName } from '../src/domain/grammar/index.js';
import type { ChatTransport } from '../src/ports/chat.js';
import { ACTION_IDS, parseRequestActionValue, parseServiceActionValue, type ServiceRef } from '../src/render/index.js';
import { answer, type AnswerDeps } from './answer.js';

/**
 * The command line a button stands for, or undefined when the button's value does not name a Service
 * (each part is checked on its own, so no value can smuggle extra words into the command).
 */
function commandForButton(action: 'describe' | 'delete', ref: ServiceRef): string | undefined {
  if (!isServiceName(ref.name) || !isNamespaceName(ref.namespace) || !isClusterName(ref.cluster)) return undefined;
  return `${action} ${ref.name} -n ${ref.namespace} --cluster ${ref.cluster}`;
}

export function registerButtons(chat: ChatTransport, deps: AnswerDeps): void {
  for (const action of ['describe', 'delete'] as const) {
    chat.onButton(ACTION_IDS[action], async (press) => {
      const ref = parseServiceActionValue(press.value);
      const command = ref && commandForButton(action, ref);
      if (!command || !press.channelId) {
        deps.logger.warn({ action, user: press.userId }, 'ignored a button press without a valid value or channel');
        return;
      }
      await answer(deps, command, {
        userId: press.userId,
        channelId: press.channelId,
        ...(press.responseUrl ? { responseUrl: press.responseUrl } : {}),
        viaButton: true,
      });
    });
  }
  for (const action of ['approve', 'reject', 'withdraw'] as const) {
    chat.onButton(ACTION_IDS[action], async (press) => {
      // The value is checked to be a request ID before it becomes part of a command line.
      const id = parseRequestActionValue(press.value);
      if (id === undefined || !press.channelId) {
        deps.logger.warn({ action, user: press.userId }, 'ignored a button press without a valid value or channel');
        return;
      }
      await answer(deps, `${action} ${id}`, {
        userId: press.userId,
        channelId: press.channelId,
        ...(press.responseUrl ? { responseUrl: press.responseUrl } : {}),
        viaButton: true,
      });
    });
  }
}

/**
 * The buttons on svcbot's messages (`Details`, `Delete`; `Approve`, `Reject`, `Withdraw` on approval
 * requests; `Delete`, `Snooze 7 days`, `Ignore`, `Un-ignore` and `Show more` on orphan reports). A button press runs the same command as typing it would, as the user who pressed it,
 * through the same handler: the policy, who may decide and the atomic decision are the command's.
 */
import { isClusterName, isLoadBalancerKey, isNamespaceName, isRegion, isServiceName } from '../src/domain/grammar/index.js';
import type { ButtonPress, ChatTransport } from '../src/ports/chat.js';
import { ACTION_IDS, parseRequestActionValue, parseServiceActionValue, type ServiceRef } from '../src/render/index.js';
import { renderIgnoreNeedsReason } from '../src/render/orphan-actions.js';
import { parseOrphanKeyValue, parseOrphanQueryValue, type OrphanQuery } from '../src/render/orphans.js';
import { answer, type AnswerDeps } from './answer.js';

/**
 * The command line a button stands for, or undefined when the button's value does not name a Service
 * (each part is checked on its own, so no value can smuggle extra words into the command).
 */
function commandForButton(action: 'describe' | 'delete', ref: ServiceRef): string | undefined {
  if (!isServiceName(ref.name) || !isNamespaceName(ref.namespace) || !isClusterName(ref.cluster)) return undefined;
  return `${action} ${ref.name} -n ${ref.namespace} --cluster ${ref.cluster}`;
}

/** `orphans …` for a "Show more" button's query, or undefined when a part of it is not what a command takes. */
function commandForQuery(query: OrphanQuery): string | undefined {
  if (query.cluster !== undefined && !isClusterName(query.cluster)) return undefined;
  if (query.region !== undefined && !isRegion(query.region)) return undefined;
  const words = ['orphans', `--page ${query.page + 1}`];
  if (query.cluster !== undefined) words.push(`--cluster ${query.cluster}`);
  if (query.region !== undefined) words.push(`--region ${query.region}`);
  if (query.all) words.push('--all');
  return words.join(' ');
}

/** The load balancer an orphan button names, checked to be a key before it becomes part of a command line. */
function orphanKeyOf(press: ButtonPress): string | undefined {
  const key = parseOrphanKeyValue(press.value);
  return key !== undefined && isLoadBalancerKey(key) ? key : undefined;
}

export function registerButtons(chat: ChatTransport, deps: AnswerDeps & { commandName: string }): void {
  const run = (press: ButtonPress & { channelId: string }, command: string): Promise<void> =>
    answer(deps, command, { userId: press.userId, channelId: press.channelId, ...(press.responseUrl ? { responseUrl: press.responseUrl } : {}), viaButton: true });
  const ignored = (action: string, press: ButtonPress): void => deps.logger.warn({ action, user: press.userId }, 'ignored a button press without a valid value or channel');

  for (const action of ['describe', 'delete'] as const) {
    chat.onButton(ACTION_IDS[action], async (press) => {
      const ref = parseServiceActionValue(press.value);
      const command = ref && commandForButton(action, ref);
      if (!command || !press.channelId) return ignored(action, press);
      await run({ ...press, channelId: press.channelId }, command);
    });
  }
  for (const action of ['approve', 'reject', 'withdraw'] as const) {
    chat.onButton(ACTION_IDS[action], async (press) => {
      // The value is checked to be a request ID before it becomes part of a command line.
      const id = parseRequestActionValue(press.value);
      if (id === undefined || !press.channelId) return ignored(action, press);
      await run({ ...press, channelId: press.channelId }, `${action} ${id}`);
    });
  }
  for (const action of ['delete', 'snooze', 'unignore'] as const) {
    const id = { delete: ACTION_IDS.orphanDelete, snooze: ACTION_IDS.orphanSnooze, unignore: ACTION_IDS.orphanUnignore }[action];
    chat.onButton(id, async (press) => {
      const key = orphanKeyOf(press);
      if (key === undefined || !press.channelId) return ignored(`orphan ${action}`, press);
      await run({ ...press, channelId: press.channelId }, `orphan ${action} ${key}`);
    });
  }
  // A message cannot ask for the reason: the answer says how to give it (the reason is required).
  chat.onButton(ACTION_IDS.orphanIgnore, async (press) => {
    const key = orphanKeyOf(press);
    if (key === undefined || !press.channelId) return ignored('orphan ignore', press);
    const name = key.startsWith('arn:') ? (key.split('/')[2] ?? key) : key.slice(key.indexOf('/') + 1);
    await deps.replies
      .respond({ userId: press.userId, channelId: press.channelId, ...(press.responseUrl ? { responseUrl: press.responseUrl } : {}) }, renderIgnoreNeedsReason(key, name, deps.commandName))
      .catch((err: unknown) => deps.logger.error({ err, user: press.userId }, 'could not deliver a reply'));
  });
  chat.onButton(ACTION_IDS.orphansMore, async (press) => {
    const query = parseOrphanQueryValue(press.value);
    const command = query && commandForQuery(query);
    if (!command || !press.channelId) return ignored('orphans more', press);
    await run({ ...press, channelId: press.channelId }, command);
  });
}

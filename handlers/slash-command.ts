/**
 * The `/svc` slash command: the transport has acknowledged it already (Slack allows 3 seconds); run it
 * and answer — to the user alone, or in the channel for changes.
 */
import type { ChatTransport } from '../src/ports/chat.js';
import { answer, type AnswerDeps } from './answer.js';

export interface SlashCommandDeps extends AnswerDeps {
  commandName: string;
}

export function registerSlashCommand(chat: ChatTransport, deps: SlashCommandDeps): void {
  chat.onCommand(deps.commandName, (request) =>
    answer(deps, request.text, {
      userId: request.userId,
      channelId: request.channelId,
      ...(request.responseUrl ? { responseUrl: request.responseUrl } : {}),
    }),
  );
}

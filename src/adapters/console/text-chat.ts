/**
 * The console's chat: the ChatTransport and Replies ports over a terminal. svcbot registers its
 * listeners here exactly as on Slack; `command()` and `press()` deliver a typed line or a pressed button
 * to them and resolve with the answers they gave. What is posted or updated in a channel (a job's
 * progress and endpoint, an approval request and its decision) is printed as text, as the console prints
 * answers — except a message with buttons posted while a command runs (an approval request): that one
 * is part of the command's answers, so that the console offers its buttons as numbered choices.
 */
import type { ButtonPress, ChatTransport, CommandRequest } from '../../ports/chat.js';
import type { MessageRef, Replies } from '../../ports/replies.js';
import type { Message, Reply } from '../../render/blocks.js';
import { renderToText } from '../../render/text.js';

/** Who is typing, and in which (pretend) channel. */
interface TextChatUser {
  userId: string;
  channelId: string;
}

export interface TextChat {
  transport: ChatTransport;
  replies: Replies;
  /** Runs `/command text` as `user`; resolves with the answers (usually one; none if nobody listens). */
  command(command: string, text: string, user: TextChatUser): Promise<Reply[]>;
  /** Presses the button `actionId` with `value` as `user`; resolves with the answers. */
  press(actionId: string, value: string, user: TextChatUser): Promise<Reply[]>;
}

/** `write` prints what jobs post; answers to commands go back to the caller of command()/press(). */
export function createTextChat(write: (text: string) => void): TextChat {
  const commands = new Map<string, (request: CommandRequest) => Promise<void>>();
  const buttons = new Map<string, (press: ButtonPress) => Promise<void>>();
  /** Answers being collected, by the request's pretend response_url (a Map keeps them in the order they began). */
  const collecting = new Map<string, Reply[]>();
  /** The answers of the command that began last and is still running, if any. */
  const current = (): Reply[] | undefined => [...collecting.values()].at(-1);
  let requests = 0;
  let messages = 0;
  /** The text last shown of each message, so that an update that changes nothing prints nothing. */
  const shown = new Map<string, string>();
  /** Keyed posts (PostOptions.key) this console made: what `findPosted` finds. */
  const posted = new Map<string, MessageRef>();

  const textOf = (message: Message) =>
    message.blocks.length > 0 ? renderToText({ responseType: 'in_channel', text: message.text, blocks: message.blocks }).text : message.text;
  const print = (label: string, text: string) => write(`\n[${label}]\n${text}\n\n`);

  /** Runs `deliver` with a fresh response_url and returns what was answered through it. */
  async function collect(deliver: (responseUrl: string) => Promise<void>): Promise<Reply[]> {
    requests += 1;
    const responseUrl = `console:${requests}`;
    const answers: Reply[] = [];
    collecting.set(responseUrl, answers);
    try {
      await deliver(responseUrl);
    } finally {
      collecting.delete(responseUrl);
    }
    return answers;
  }

  return {
    transport: {
      onCommand: (command, listener) => void commands.set(command, listener),
      onButton: (actionId, listener) => void buttons.set(actionId, listener),
      start: () => Promise.resolve({}),
      stop: () => Promise.resolve(),
    },
    replies: {
      respond(to, reply) {
        const answers = to.responseUrl === undefined ? undefined : collecting.get(to.responseUrl);
        if (answers) answers.push(reply);
        else print(reply.responseType === 'in_channel' ? 'posted to the channel' : 'only you', renderToText(reply).text);
        return Promise.resolve();
      },
      post(channel, message, opts = {}) {
        messages += 1;
        const ref: MessageRef = { channel, ts: `console.${messages}` };
        const text = textOf(message);
        shown.set(ref.ts, text);
        if (opts.key !== undefined) posted.set(opts.key, ref);
        const answers = current();
        if (answers && !opts.threadTs && message.blocks.some((b) => b.type === 'actions')) {
          answers.push({ responseType: 'in_channel', text: message.text, blocks: message.blocks });
        } else {
          print(opts.threadTs ? 'in the thread' : 'posted to the channel', text);
        }
        return Promise.resolve(ref);
      },
      update(ref, message) {
        const text = textOf(message);
        // Print only real changes (a coalesced update may repeat the last one).
        if (shown.get(ref.ts) !== text) {
          shown.set(ref.ts, text);
          print('updated', text);
        }
        return Promise.resolve();
      },
      findPosted(_channel, key) {
        return Promise.resolve(posted.get(key));
      },
    },
    command(command, text, user) {
      const listener = commands.get(command);
      if (!listener) return Promise.resolve([]);
      return collect((responseUrl) => listener({ text, userId: user.userId, channelId: user.channelId, responseUrl }));
    },
    press(actionId, value, user) {
      const listener = buttons.get(actionId);
      if (!listener) return Promise.resolve([]);
      return collect((responseUrl) => listener({ actionId, value, userId: user.userId, channelId: user.channelId, responseUrl }));
    },
  };
}

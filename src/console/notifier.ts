/**
 * The console's Notifier: what a load-balancer job would post or update in Slack (its progress message,
 * the endpoint reply) is printed in the terminal instead, as the console prints replies.
 */
import type { MessageRef, Notifier, OutgoingMessage } from '../ports/notifier.js';
import type { Block } from '../render/blocks.js';
import { renderToText } from '../render/text.js';

export function createConsoleNotifier(write: (text: string) => void): Notifier {
  let seq = 0;
  const last = new Map<string, string>();
  const print = (label: string, message: OutgoingMessage) => {
    // The blocks are the renderers' own Block Kit (jobs post what src/render builds).
    const blocks = (message.blocks ?? []) as Block[];
    const text = blocks.length > 0 ? renderToText({ responseType: 'in_channel', text: message.text, blocks }).text : message.text;
    write(`\n[${label}]\n${text}\n\n`);
    return text;
  };
  return {
    post(channel, message, opts = {}) {
      seq += 1;
      const ref: MessageRef = { channel, ts: `console.${seq}` };
      last.set(ref.ts, print(opts.threadTs ? 'job, in the thread' : 'job', message));
      return Promise.resolve(ref);
    },
    update(ref, message) {
      const blocks = (message.blocks ?? []) as Block[];
      const text = blocks.length > 0 ? renderToText({ responseType: 'in_channel', text: message.text, blocks }).text : message.text;
      // Print only real changes (a coalesced update may repeat the last one).
      if (last.get(ref.ts) !== text) last.set(ref.ts, print('job progress', message));
      return Promise.resolve();
    },
  };
}

/**
 * A reply as terminal text, for the console transport: mrkdwn made readable (bold and italics unmarked,
 * inline code kept in backticks, code blocks indented, links and mentions spelled out, entities
 * unescaped, control characters dropped) and every button turned into a numbered choice.
 */
import type { Block, ButtonElement, MrkdwnText, Reply } from './blocks.js';
import { unescapeMrkdwn } from './mrkdwn.js';

export interface TextChoice {
  n: number;
  actionId: string;
  value: string;
  label: string;
  /** The question to ask before acting, when the button has a confirmation dialog. */
  confirm?: string;
}

export interface TextReply {
  text: string;
  choices: TextChoice[];
}

/** The Slack emoji codes svcbot's renderers use, as the characters they stand for (a test keeps this complete). */
export const EMOJI: Readonly<Record<string, string>> = {
  ':warning:': '!',
  ':new:': '\u{1f195}',
  ':zzz:': '\u{1f4a4}',
  ':see_no_evil:': '\u{1f648}',
  ':white_check_mark:': '\u2713',
  ':boom:': '\u2717',
  ':hourglass:': '\u231b',
  ':wastebasket:': '\u2717',
  ':memo:': '\u270e',
  ':arrows_counterclockwise:': '\u21bb',
  ':hourglass_flowing_sand:': '\u23f3',
  ':ledger:': '\u{1f4d2}',
  ':x:': '\u274c',
  ':large_green_circle:': '\u{1f7e2}',
  ':white_circle:': '\u26aa',
  ':octagonal_sign:': '\u{1f6d1}',
  ':no_entry_sign:': '\u{1f6ab}',
  ':arrow_right_hook:': '\u21aa',
  ':raised_hand:': '\u270b',
  ':no_entry:': '\u26d4',
  ':leftwards_arrow_with_curved_arrow:': '\u21a9',
  ':wrench:': '\u{1f527}',
  ':gear:': '\u2699',
  ':unlock:': '\u{1f513}',
  ':lock:': '\u{1f512}',
};

/** Drops terminal control characters (escape sequences in cluster text must not reach the terminal). */
function stripControls(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '');
}

/** Slack's `<…>` constructs: links, user/channel mentions, special mentions. */
function spellOutAngles(text: string): string {
  return text.replace(/<([^<>]*)>/g, (_whole, inner: string) => {
    const [target = '', label] = inner.split('|', 2);
    if (target.startsWith('@')) return label ? `@${label}` : target;
    if (target.startsWith('#')) return label ? `#${label}` : target;
    if (target.startsWith('!')) return `@${label ?? target.slice(1)}`;
    return label ? `${label} (${target})` : target;
  });
}

function plainFormatting(text: string): string {
  let out = spellOutAngles(text);
  for (const [emoji, symbol] of Object.entries(EMOJI)) out = out.split(emoji).join(symbol);
  out = out
    .replace(/(^|[\s(])\*([^*\n]+)\*(?=$|[\s).,:;!?])/gm, '$1$2')
    .replace(/(^|[\s(])_([^_\n]+)_(?=$|[\s).,:;!?])/gm, '$1$2')
    .replace(/(^|[\s(])~([^~\n]+)~(?=$|[\s).,:;!?])/gm, '$1$2');
  return unescapeMrkdwn(out);
}

/** mrkdwn -> readable text: code blocks indented by two spaces, inline code kept, the rest unmarked. */
export function mrkdwnToText(mrkdwn: string): string {
  const parts = mrkdwn.split(/(```[\s\S]*?```|`[^`\n]*`)/);
  const out = parts.map((part) => {
    if (part.startsWith('```') && part.endsWith('```') && part.length >= 6) {
      const body = unescapeMrkdwn(part.slice(3, -3).replace(/^\n/, '').replace(/\n$/, ''));
      return '\n' + body.split('\n').map((l) => `  ${l}`.trimEnd()).join('\n') + '\n';
    }
    if (part.startsWith('`') && part.endsWith('`') && part.length >= 2) return unescapeMrkdwn(part);
    return plainFormatting(part);
  });
  return stripControls(
    out
      .join('')
      .replace(/^\n+|\n+$/g, '')
      .replace(/\n{3,}/g, '\n\n'),
  );
}

function fieldText(field: MrkdwnText): string {
  const labelled = /^\*([^*\n]+)\*\n([\s\S]*)$/.exec(field.text);
  return labelled ? `${mrkdwnToText(`*${labelled[1] ?? ''}*`)}: ${mrkdwnToText(labelled[2] ?? '')}` : mrkdwnToText(field.text);
}

function isCodeOnly(block: Block): boolean {
  return block.type === 'section' && !block.fields && /^```[\s\S]*```$/.test(block.text?.text ?? '');
}

function buttonChoice(button: ButtonElement, n: number): TextChoice {
  const choice: TextChoice = { n, actionId: button.action_id, value: button.value, label: stripControls(unescapeMrkdwn(button.text.text)) };
  if (button.confirm) choice.confirm = stripControls(unescapeMrkdwn(button.confirm.text.text));
  return choice;
}

export function renderToText(reply: Reply): TextReply {
  const choices: TextChoice[] = [];
  const chunks: { text: string; codeOnly: boolean }[] = [];
  for (const block of reply.blocks) {
    switch (block.type) {
      case 'header': {
        const title = stripControls(unescapeMrkdwn(block.text.text));
        chunks.push({ text: `${title}\n${'='.repeat(Math.min(title.length, 60))}`, codeOnly: false });
        break;
      }
      case 'section': {
        const lines: string[] = [];
        if (block.text) lines.push(mrkdwnToText(block.text.text));
        if (block.fields) lines.push(...block.fields.map(fieldText));
        chunks.push({ text: lines.join('\n'), codeOnly: isCodeOnly(block) });
        break;
      }
      case 'context':
        chunks.push({ text: block.elements.map((e) => mrkdwnToText(e.text)).join('\n'), codeOnly: false });
        break;
      case 'divider':
        chunks.push({ text: '-'.repeat(40), codeOnly: false });
        break;
      case 'actions': {
        const row = block.elements.map((b) => {
          const choice = buttonChoice(b, choices.length + 1);
          choices.push(choice);
          return `[${choice.n}] ${choice.label}`;
        });
        chunks.push({ text: row.join('   '), codeOnly: false });
        break;
      }
    }
  }
  // Consecutive code-only sections are one table split to fit Slack's limits: print them as one.
  let text = '';
  chunks.forEach((chunk, i) => {
    const previous = chunks[i - 1];
    if (i > 0) text += previous?.codeOnly && chunk.codeOnly ? '\n' : '\n\n';
    text += chunk.text;
  });
  if (reply.blocks.length === 0) text = mrkdwnToText(reply.text);
  return { text, choices };
}

/**
 * A minimal, typed subset of Slack Block Kit (section, context, header, divider, actions with buttons), the
 * `Reply` every renderer returns, and builders that keep within Block Kit's limits by truncating
 * gracefully ("… and 12 more") instead of having Slack reject the message.
 * Limits: https://docs.slack.dev/reference/block-kit/blocks (50 blocks a message; section text 3000,
 * 10 fields of 2000; header 150; context 10 elements; actions 25 elements; button text 75, value 2000,
 * action_id 255; confirm title 100, text 300, buttons 30).
 */
import { code, cutMrkdwn, escapeMrkdwn, fitLines, moreLine } from './mrkdwn.js';

export interface MrkdwnText {
  type: 'mrkdwn';
  text: string;
}

interface PlainText {
  type: 'plain_text';
  text: string;
  emoji?: boolean;
}

export interface SectionBlock {
  type: 'section';
  text?: MrkdwnText;
  fields?: MrkdwnText[];
}

export interface ContextBlock {
  type: 'context';
  elements: MrkdwnText[];
}

export interface HeaderBlock {
  type: 'header';
  text: PlainText;
}

export interface DividerBlock {
  type: 'divider';
}

interface ConfirmDialog {
  title: PlainText;
  text: PlainText;
  confirm: PlainText;
  deny: PlainText;
  style?: 'primary' | 'danger';
}

export interface ButtonElement {
  type: 'button';
  action_id: string;
  value: string;
  text: PlainText;
  style?: 'primary' | 'danger';
  confirm?: ConfirmDialog;
}

export interface ActionsBlock {
  type: 'actions';
  elements: ButtonElement[];
}

export type Block = SectionBlock | ContextBlock | HeaderBlock | DividerBlock | ActionsBlock;

/** A message svcbot posts or updates in a channel (a job's progress, an endpoint, a thread reply). */
export interface Message {
  /** Plain-text fallback (notifications, screen readers), readable on its own; escaped like mrkdwn. */
  text: string;
  /** Block Kit blocks; empty for a text-only message. */
  blocks: Block[];
}

/** What every command renderer returns; the Slack adapter delivers it, the console prints `renderToText(reply)`. */
export interface Reply extends Message {
  /** `in_channel` for changes the team should see; `ephemeral` for errors, help, dry runs, lists, details. */
  responseType: 'ephemeral' | 'in_channel';
}

export const LIMITS = {
  blocks: 50,
  sectionText: 3000,
  fieldText: 2000,
  fields: 10,
  headerText: 150,
  contextElements: 10,
  contextText: 3000,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  /** Slack's advice for a message's top-level `text`. */
  fallbackText: 4000,
} as const;

function plainText(text: string, max: number): PlainText {
  // User text rarely reaches plain_text (only Kubernetes names in confirm dialogs); escape it all the same.
  const escaped = escapeMrkdwn(text);
  return { type: 'plain_text', text: escaped.length <= max ? escaped : cutMrkdwn(escaped, max), emoji: true };
}

function mrkdwn(text: string, max: number): MrkdwnText {
  return { type: 'mrkdwn', text: cutMrkdwn(text === '' ? ' ' : text, max) };
}

/** A section of mrkdwn lines; lines beyond 3000 characters become "… and N more". */
export function section(lines: string | readonly string[], more?: (n: number) => string): SectionBlock {
  const text = typeof lines === 'string' ? cutMrkdwn(lines, LIMITS.sectionText) : fitLines(lines, LIMITS.sectionText, more);
  return { type: 'section', text: mrkdwn(text, LIMITS.sectionText) };
}

/** A two-column section of `*label*\nvalue` fields (at most 10; extra fields are dropped). */
export function fields(items: readonly (readonly [label: string, valueMrkdwn: string])[]): SectionBlock {
  return {
    type: 'section',
    fields: items.slice(0, LIMITS.fields).map(([label, value]) => mrkdwn(`*${escapeMrkdwn(label)}*\n${value}`, LIMITS.fieldText)),
  };
}

export function header(text: string): HeaderBlock {
  return { type: 'header', text: plainText(text, LIMITS.headerText) };
}

/** Small grey text; one element per string (at most 10). */
export function context(...elements: string[]): ContextBlock {
  const kept = elements.slice(0, LIMITS.contextElements);
  if (elements.length > LIMITS.contextElements) {
    kept[kept.length - 1] = moreLine(elements.length - LIMITS.contextElements + 1);
  }
  return { type: 'context', elements: kept.map((e) => mrkdwn(e, LIMITS.contextText)) };
}

export function divider(): DividerBlock {
  return { type: 'divider' };
}

export interface ButtonSpec {
  actionId: string;
  value: string;
  label: string;
  style?: 'primary' | 'danger';
  confirm?: { title: string; text: string; confirm: string; deny?: string };
}

function button(spec: ButtonSpec): ButtonElement {
  const element: ButtonElement = {
    type: 'button',
    action_id: spec.actionId.slice(0, LIMITS.actionId),
    value: spec.value.slice(0, LIMITS.buttonValue),
    text: plainText(spec.label, LIMITS.buttonText),
  };
  if (spec.style) element.style = spec.style;
  if (spec.confirm) {
    element.confirm = {
      title: plainText(spec.confirm.title, LIMITS.confirmTitle),
      text: plainText(spec.confirm.text, LIMITS.confirmText),
      confirm: plainText(spec.confirm.confirm, LIMITS.confirmButton),
      deny: plainText(spec.confirm.deny ?? 'Cancel', LIMITS.confirmButton),
    };
    if (spec.style === 'danger') element.confirm.style = 'danger';
  }
  return element;
}

export function actions(buttons: readonly ButtonSpec[]): ActionsBlock {
  return { type: 'actions', elements: buttons.slice(0, LIMITS.actionsElements).map(button) };
}

/**
 * mrkdwn lines (a list) as as many sections as they need, each within the section limit, at most
 * `maxBlocks` of them; what does not fit is summarised by `more(n)` at the end of the last one.
 */
export function lineSections(lines: readonly string[], maxBlocks: number, more: (n: number) => string = (n) => moreLine(n)): SectionBlock[] {
  const blocks: SectionBlock[] = [];
  let i = 0;
  while (i < lines.length && blocks.length < maxBlocks - 1) {
    const chunk: string[] = [];
    let length = 0;
    for (; i < lines.length; i++) {
      const line = cutMrkdwn(lines[i] ?? '', LIMITS.sectionText);
      const added = (chunk.length > 0 ? 1 : 0) + line.length;
      if (length + added > LIMITS.sectionText) break;
      chunk.push(line);
      length += added;
    }
    blocks.push(section(chunk));
  }
  if (i < lines.length) blocks.push(section(lines.slice(i), more));
  return blocks;
}

/**
 * Preformatted text (raw, unescaped lines) as as many code-block sections as it needs, each within the
 * section limit, at most `maxBlocks` of them; what does not fit is summarised by `more(n)` in the last one.
 */
export function codeSections(rawLines: readonly string[], maxBlocks: number, more: (n: number) => string = (n) => moreLine(n, 'more lines')): SectionBlock[] {
  const budget = LIMITS.sectionText - '```\n\n```'.length;
  const blocks: SectionBlock[] = [];
  let chunk: string[] = [];
  let length = 0;
  const flush = (): void => {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: '```\n' + chunk.join('\n') + '\n```' } });
    chunk = [];
    length = 0;
  };
  const escapedLines = rawLines.map((l) => escapeMrkdwn(l.replace(/```/g, '\u02cb\u02cb\u02cb')));
  for (let i = 0; i < escapedLines.length; i++) {
    let line = escapedLines[i] ?? '';
    if (line.length > budget) line = cutMrkdwn(line, budget);
    const added = (chunk.length > 0 ? 1 : 0) + line.length;
    if (length + added > budget) {
      if (blocks.length >= maxBlocks - 1) {
        // The last block allowed: make room for the "… and N more" line, then stop.
        let omitted = escapedLines.length - i;
        while (chunk.length > 0 && length + 1 + escapeMrkdwn(more(omitted)).length > budget) {
          const dropped = chunk.pop() ?? '';
          length -= dropped.length + (chunk.length > 0 ? 1 : 0);
          omitted++;
        }
        chunk.push(escapeMrkdwn(more(omitted)));
        flush();
        return blocks;
      }
      flush();
    }
    chunk.push(line);
    length += (chunk.length > 1 ? 1 : 0) + line.length;
  }
  if (chunk.length > 0 || blocks.length === 0) flush();
  return blocks;
}

/**
 * Assembles a reply: at most 50 blocks (the rest replaced by a note) and a fallback text within Slack's
 * advised length.
 */
export function reply(responseType: Reply['responseType'], text: string, blocks: Block[]): Reply {
  let kept = blocks;
  if (blocks.length > LIMITS.blocks) {
    kept = blocks.slice(0, LIMITS.blocks - 1);
    kept.push(context(`_${moreLine(blocks.length - kept.length, 'more blocks not shown')}_`));
  }
  return { responseType, text: fitLines(text.split('\n'), LIMITS.fallbackText, (n) => moreLine(n, 'more lines')), blocks: kept };
}

/** Everything in a reply that breaks a Block Kit limit, as readable strings (empty when the reply is valid). */
export function blockKitViolations(r: Reply): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, problem: string): void => {
    if (!ok) problems.push(problem);
  };
  check(r.blocks.length <= LIMITS.blocks, `${r.blocks.length} blocks > ${LIMITS.blocks}`);
  check(r.text.length <= LIMITS.fallbackText, `fallback text ${r.text.length} chars > ${LIMITS.fallbackText}`);
  check(r.text.trim().length > 0, 'empty fallback text');
  r.blocks.forEach((b, i) => {
    const at = `block ${i} (${b.type})`;
    switch (b.type) {
      case 'section':
        check(b.text !== undefined || (b.fields?.length ?? 0) > 0, `${at}: neither text nor fields`);
        if (b.text) check(b.text.text.length >= 1 && b.text.text.length <= LIMITS.sectionText, `${at}: text length ${b.text.text.length}`);
        if (b.fields) {
          check(b.fields.length <= LIMITS.fields, `${at}: ${b.fields.length} fields`);
          for (const f of b.fields) check(f.text.length >= 1 && f.text.length <= LIMITS.fieldText, `${at}: field length ${f.text.length}`);
        }
        break;
      case 'header':
        check(b.text.text.length >= 1 && b.text.text.length <= LIMITS.headerText, `${at}: text length ${b.text.text.length}`);
        break;
      case 'context':
        check(b.elements.length >= 1 && b.elements.length <= LIMITS.contextElements, `${at}: ${b.elements.length} elements`);
        for (const e of b.elements) check(e.text.length >= 1 && e.text.length <= LIMITS.contextText, `${at}: element length ${e.text.length}`);
        break;
      case 'actions':
        check(b.elements.length >= 1 && b.elements.length <= LIMITS.actionsElements, `${at}: ${b.elements.length} elements`);
        for (const e of b.elements) {
          check(e.text.text.length >= 1 && e.text.text.length <= LIMITS.buttonText, `${at}: button text ${e.text.text.length}`);
          check(e.value.length <= LIMITS.buttonValue, `${at}: button value ${e.value.length}`);
          check(e.action_id.length >= 1 && e.action_id.length <= LIMITS.actionId, `${at}: action_id ${e.action_id.length}`);
          if (e.confirm) {
            check(e.confirm.title.text.length <= LIMITS.confirmTitle, `${at}: confirm title`);
            check(e.confirm.text.text.length <= LIMITS.confirmText, `${at}: confirm text`);
            check(e.confirm.confirm.text.length <= LIMITS.confirmButton, `${at}: confirm button`);
            check(e.confirm.deny.text.length <= LIMITS.confirmButton, `${at}: deny button`);
          }
        }
        break;
      case 'divider':
        break;
    }
  });
  return problems;
}

/** Inline-code names joined for a sentence: `a`, `b` and `c`. */
export function codeList(names: readonly string[]): string {
  const parts = names.map(code);
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1] ?? ''}`;
}

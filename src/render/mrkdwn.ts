/**
 * Slack mrkdwn text helpers. Every piece of user or cluster text that goes into mrkdwn (or into a reply's
 * fallback text) goes through `escapeMrkdwn`, directly or via `code`/`codeBlock`; Slack then shows it
 * literally, so a name like `<!channel>` can never ping anyone. Mentions are built in one place: `mention`.
 */

/** Escapes the three characters Slack gives meaning to: `&`, `<`, `>`. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Reverses `escapeMrkdwn` (for the console, which shows text as it is). */
export function unescapeMrkdwn(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** A backtick that is not one: keeps user text from closing a code span early. */
const FAKE_BACKTICK = '\u02cb';

/** An inline code span (for names, addresses, commands), escaped. */
export function code(text: string): string {
  const clean = text.replace(/`/g, FAKE_BACKTICK).replace(/[\r\n]+/g, ' ');
  return clean.trim() === '' ? '`""`' : '`' + escapeMrkdwn(clean) + '`';
}

/** A preformatted block (tables, YAML, examples), escaped. */
export function codeBlock(text: string): string {
  return '```\n' + escapeMrkdwn(text.replace(/```/g, FAKE_BACKTICK.repeat(3))) + '\n```';
}

const SLACK_USER_ID = /^[UW][A-Z0-9]+$/;

/** `<@U123>` for a valid Slack user ID, else undefined: the only place svcbot builds a mention. */
export function mention(userId: string | undefined): string | undefined {
  return userId !== undefined && SLACK_USER_ID.test(userId) ? `<@${userId}>` : undefined;
}

const SLACK_CHANNEL_ID = /^[CG][A-Z0-9]+$/;

/** `<#C123>` for a valid Slack channel ID, else undefined: the only place svcbot builds a channel link. */
export function channelLink(channelId: string | undefined): string | undefined {
  return channelId !== undefined && SLACK_CHANNEL_ID.test(channelId) ? `<#${channelId}>` : undefined;
}

/**
 * Someone's free text (a rejection reason, a name) for a sentence: on one line, escaped, and shown as
 * typed — in a code span when it holds a character Slack would turn into formatting (`*`, `_`, `~`, a
 * backtick), since mrkdwn has no other way to show those literally.
 */
export function literal(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return /[*_~`]/.test(oneLine) ? code(oneLine) : escapeMrkdwn(oneLine);
}

/** `1 service`, `2 services`. */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : pluralForm}`;
}

export function moreLine(n: number, what = 'more'): string {
  return `… and ${n} ${what}`;
}

/**
 * Cuts already-formatted mrkdwn to at most `max` characters without leaving half an entity (`&am`) or an
 * unclosed code block behind; adds `…`. Prefer `fitLines`, which drops whole lines.
 */
export function cutMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, Math.max(0, max - 5)).replace(/&[a-z]{0,4}$/, '');
  const fences = cut.split('```').length - 1;
  if (fences % 2 === 1) cut += '\n```';
  else if ((cut.split('`').length - 1) % 2 === 1) cut += '`';
  return (cut + '…').slice(0, max);
}

/**
 * Joins as many whole lines as fit in `max` characters; the rest is summarised as "… and N more"
 * (`more(n)` words it). A single line longer than `max` is cut.
 */
export function fitLines(lines: readonly string[], max: number, more: (n: number) => string = (n) => moreLine(n)): string {
  const joined = lines.join('\n');
  if (joined.length <= max) return joined;
  const kept: string[] = [];
  let length = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const after = lines.length - i - 1;
    const separator = kept.length > 0 ? 1 : 0;
    const tail = after > 0 ? 1 + more(after).length : 0;
    if (length + separator + line.length + tail <= max) {
      kept.push(line);
      length += separator + line.length;
      continue;
    }
    if (kept.length > 0) return kept.join('\n') + '\n' + more(lines.length - i); // fits: checked on the line before
    const rest = after > 0 ? '\n' + more(after) : '';
    return cutMrkdwn(line, max - rest.length) + rest;
  }
  return kept.join('\n');
}

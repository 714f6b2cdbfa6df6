/**
 * From the text Slack sends to words: undo Slack's escaping and the typographic "help" that chat
 * clients apply (smart quotes, dashes, odd spaces), then split like a forgiving shell.
 */

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>' };

/** Characters that take no room and only get in the way (zero-width spaces and joiners, BOM). */
const INVISIBLE = /[\u200b-\u200d\u2060\ufeff]/g;
/** En dash, em dash and horizontal bar: what autocorrect makes of `--`. */
const LONG_DASHES = /[\u2013\u2014\u2015]/g;
/** Hyphen, non-breaking hyphen, figure dash, minus sign, small and full-width hyphen-minus: a plain `-`. */
const HYPHENS = /[\u2010-\u2012\u2212\ufe63\uff0d]/g;

const DOUBLE_QUOTES = '"\u201c\u201d\u201e\u201f';
const SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b";

/**
 * Undo what Slack and autocorrect did to the text: `&amp;` `&lt;` `&gt;` decoded (in one pass, so
 * `&amp;lt;` stays `&lt;`), invisible characters dropped, long dashes turned back into `--` and
 * look-alike hyphens into `-`. Whitespace (including non-breaking spaces) is left for {@link tokenize}.
 */
export function normalizeSlackText(text: string): string {
  return text
    .replace(/&(amp|lt|gt);/g, (_, name: string) => ENTITIES[name] ?? '')
    .replace(INVISIBLE, '')
    .replace(LONG_DASHES, '--')
    .replace(HYPHENS, '-');
}

function quoteFamily(ch: string): string | undefined {
  if (DOUBLE_QUOTES.includes(ch)) return DOUBLE_QUOTES;
  if (SINGLE_QUOTES.includes(ch)) return SINGLE_QUOTES;
  return undefined;
}

function indexOfAny(text: string, chars: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    if (chars.includes(text[i]!)) return i;
  }
  return -1;
}

/**
 * Split normalized text into words at runs of whitespace (any Unicode space, so non-breaking spaces
 * too). Quotes, straight or curly, group words and are removed (`"app=a, tier=b"` is one word;
 * `“alpine”` is `alpine`); a quote with no partner is dropped. A Slack link or mention such as
 * `<http://x|some text>` or `<@U123>` stays one word, brackets included, so that it can be reported
 * as the invalid value it is.
 */
export function tokenize(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
      continue;
    }
    const family = quoteFamily(ch);
    if (family !== undefined) {
      const close = indexOfAny(text, family, i + 1);
      if (close === -1) {
        i++; // an unpaired quote: drop it
        continue;
      }
      word += text.slice(i + 1, close);
      inWord = true;
      i = close + 1;
      continue;
    }
    if (ch === '<') {
      const close = text.indexOf('>', i + 1);
      if (close !== -1) {
        word += text.slice(i, close + 1);
        inWord = true;
        i = close + 1;
        continue;
      }
    }
    word += ch;
    inWord = true;
    i++;
  }
  if (inWord) words.push(word);
  return words;
}

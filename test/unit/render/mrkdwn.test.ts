import { describe, expect, it } from '@jest/globals';
import { channelLink, code, codeBlock, cutMrkdwn, escapeMrkdwn, fitLines, literal, mention, unescapeMrkdwn } from '../../../src/render/mrkdwn.js';
import { durationWords, humanDuration, utcClock, utcTime } from '../../../src/render/time.js';

describe('escapeMrkdwn', () => {
  it.each([
    ['<!channel>', '&lt;!channel&gt;'],
    ['<@U123>', '&lt;@U123&gt;'],
    ['a & b', 'a &amp; b'],
    ['&lt;', '&amp;lt;'],
    ['<https://x|y>', '&lt;https://x|y&gt;'],
    ['plain-name', 'plain-name'],
  ])('%s -> %s', (raw, escaped) => {
    expect(escapeMrkdwn(raw)).toBe(escaped);
    expect(unescapeMrkdwn(escaped)).toBe(raw);
  });
});

describe('code spans and blocks', () => {
  it.each([
    ['web', '`web`'],
    ['<!here>', '`&lt;!here&gt;`'],
    ['a`b', '`a\u02cbb`'],
    ['two\nlines', '`two lines`'],
    ['', '`""`'],
  ])('code(%j) = %s', (raw, expected) => {
    expect(code(raw)).toBe(expected);
  });

  it('code blocks escape and cannot be closed early', () => {
    expect(codeBlock('a: <b>\n```\nc')).toBe('```\na: &lt;b&gt;\n\u02cb\u02cb\u02cb\nc\n```');
  });
});

describe('mention', () => {
  it.each([
    ['U123ABC', '<@U123ABC>'],
    ['W0EXAMPLE1', '<@W0EXAMPLE1>'],
    ['u123', undefined],
    ['U123>', undefined],
    ['<!channel>', undefined],
    ['C123', undefined],
    ['U', undefined],
    [undefined, undefined],
  ])('%s -> %s', (id, expected) => {
    expect(mention(id)).toBe(expected);
  });
});

describe('channelLink', () => {
  it.each([
    ['C123ABC', '<#C123ABC>'],
    ['G0PRIVATE', '<#G0PRIVATE>'],
    ['c123', undefined],
    ['C123>', undefined],
    ['<!channel>', undefined],
    ['U123ABC', undefined],
    ['D123ABC', undefined],
    ['console', undefined],
    ['C', undefined],
    [undefined, undefined],
  ])('%s -> %s', (id, expected) => {
    expect(channelLink(id)).toBe(expected);
  });
});

describe('literal (free text shown as typed)', () => {
  it.each([
    ['use staging', 'use staging'],
    ['a & b <!channel>', 'a &amp; b &lt;!channel&gt;'],
    ['*bold* move', '`*bold* move`'],
    ['_italic_', '`_italic_`'],
    ['~struck~', '`~struck~`'],
    ['a `tick` <@U123>', '`a \u02cbtick\u02cb &lt;@U123&gt;`'],
    ['two\n  lines\n> quote', 'two lines &gt; quote'],
    ['', ''],
  ])('%j -> %j', (raw, expected) => {
    expect(literal(raw)).toBe(expected);
  });
});

describe('fitLines and cutMrkdwn', () => {
  const lines = Array.from({ length: 100 }, (_, i) => `line ${i} ${'x'.repeat(20)}`);

  it('keeps everything that fits', () => {
    expect(fitLines(['a', 'b'], 10)).toBe('a\nb');
  });

  it.each([50, 100, 500, 2000])('drops whole lines and says how many, within %i characters', (max) => {
    const out = fitLines(lines, max);
    expect(out.length).toBeLessThanOrEqual(max);
    const shown = out.split('\n').filter((l) => l.startsWith('line ')).length;
    expect(out).toMatch(new RegExp(`… and ${100 - shown} more$`));
  });

  it('cuts a single over-long line', () => {
    const out = fitLines(['y'.repeat(5000), 'short'], 100);
    expect(out.length).toBeLessThanOrEqual(100);
    expect(out).toMatch(/…\n… and 1 more$/);
  });

  it('never leaves half an entity or an open code block', () => {
    expect(cutMrkdwn('ab &amp; cd', 8)).toBe('ab …');
    const cut = cutMrkdwn('```\n' + 'z'.repeat(100) + '\n```', 50);
    expect(cut.length).toBeLessThanOrEqual(50);
    expect(cut.split('```').length - 1).toBe(2);
  });
});

describe('humanDuration (kubectl AGE)', () => {
  const s = 1000;
  const m = 60 * s;
  const h = 60 * m;
  const d = 24 * h;
  it.each([
    [-5 * s, '<invalid>'],
    [-1500, '0s'],
    [0, '0s'],
    [59 * s, '59s'],
    [119 * s, '119s'],
    [2 * m, '2m'],
    [5 * m + 30 * s, '5m30s'],
    [10 * m + 30 * s, '10m'],
    [179 * m, '179m'],
    [3 * h, '3h'],
    [3 * h + 15 * m, '3h15m'],
    [8 * h + 15 * m, '8h'],
    [47 * h, '47h'],
    [3 * d, '3d'],
    [3 * d + 4 * h, '3d4h'],
    [30 * d, '30d'],
    [2 * 365 * d + 40 * d, '2y40d'],
    [9 * 365 * d, '9y'],
  ])('%i ms -> %s', (ms, expected) => {
    expect(humanDuration(ms)).toBe(expected);
  });
});

describe('utcTime and durationWords (times in sentences)', () => {
  const now = new Date('2025-06-01T12:00:00Z');
  it.each([
    ['2025-06-01T10:32:59Z', '10:32 UTC'],
    ['2025-06-01T00:00:00Z', '00:00 UTC'],
    ['2025-05-31T23:59:00Z', '2025-05-31 23:59 UTC'],
    ['2025-06-02T01:05:00Z', '2025-06-02 01:05 UTC'],
  ])('%s seen on 2025-06-01 -> %s', (at, expected) => {
    expect(utcTime(new Date(at), now)).toBe(expected);
    expect(utcTime(Date.parse(at), now)).toBe(expected);
    expect(utcClock(Date.parse(at), now)).toBe(expected.replace(/ UTC$/, ''));
  });

  it('gives the date when there is no "now" to compare with, and says so of a time that is none', () => {
    expect(utcTime(Date.parse('2025-06-01T10:32:00Z'))).toBe('2025-06-01 10:32 UTC');
    expect(utcTime(Number.NaN, now)).toBe('(unknown time)');
  });

  const m = 60_000;
  it.each([
    [-5 * m, 'less than a minute'],
    [59_999, 'less than a minute'],
    [m, '1 min'],
    [60 * m, '60 min'],
    [119 * m + 59_000, '119 min'],
    [120 * m, '2 h'],
    [200 * m, '3 h 20 min'],
    [47 * 60 * m, '47 h'],
    [48 * 60 * m, '2 days'],
    [10 * 24 * 60 * m + 5 * m, '10 days'],
  ])('%i ms -> %s', (ms, expected) => {
    expect(durationWords(ms)).toBe(expected);
  });
});

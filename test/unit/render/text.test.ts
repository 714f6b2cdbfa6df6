import { describe, expect, it, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { actions, codeSections, context, divider, fields, header, reply, section } from '../../../src/render/blocks.js';
import { ACTION_IDS, deleteButton, parseServiceActionValue, serviceActionValue } from '../../../src/render/actions.js';
import { EMOJI, mrkdwnToText, renderToText } from '../../../src/render/text.js';

describe('mrkdwnToText', () => {
  it.each([
    ['*Endpoints* (2 ready)', 'Endpoints (2 ready)'],
    ['_Not ready:_ none', 'Not ready: none'],
    ['~gone~ here', 'gone here'],
    ['`a_b*c*`', '`a_b*c*`'],
    ['name `&lt;!channel&gt;` &amp; more', 'name `<!channel>` & more'],
    ['&amp;lt;', '&lt;'],
    ['<@U123> did it', '@U123 did it'],
    ['<!here> look', '@here look'],
    ['<https://example.com|the docs>', 'the docs (https://example.com)'],
    ['<https://example.com>', 'https://example.com'],
    ['<#C123|general>', '#general'],
    [':warning: careful', '! careful'],
    ['x\u001b[31mred\u0007', 'x[31mred'],
    ['Table:\n```\nNAME   AGE\nweb    5m\n```\nafter', 'Table:\n\n  NAME   AGE\n  web    5m\n\nafter'],
    ['```\n&lt;none&gt; *not bold*\n```', '  <none> *not bold*'],
  ])('%j -> %j', (input, expected) => {
    expect(mrkdwnToText(input)).toBe(expected);
  });
});

describe('renderToText', () => {
  it('turns every block into text and every button into a numbered choice', () => {
    const ref = { cluster: 'prod', namespace: 'default', name: 'web' };
    const r = reply('in_channel', 'fallback', [
      header('Service web'),
      fields([
        ['Type', 'LoadBalancer'],
        ['Cluster IP', '`10.96.0.10`'],
      ]),
      divider(),
      section('*Ports*\n• `80/TCP`'),
      context('a note', 'another'),
      actions([{ actionId: ACTION_IDS.describe, value: serviceActionValue(ref), label: 'Refresh' }, deleteButton(ref)]),
    ]);
    const out = renderToText(r);
    expect(out.text).toBe(
      [
        'Service web',
        '===========',
        '',
        'Type: LoadBalancer',
        'Cluster IP: `10.96.0.10`',
        '',
        '-'.repeat(40),
        '',
        'Ports',
        '• `80/TCP`',
        '',
        'a note',
        'another',
        '',
        '[1] Refresh   [2] Delete',
      ].join('\n'),
    );
    expect(out.choices).toEqual([
      { n: 1, actionId: 'svc_describe', value: serviceActionValue(ref), label: 'Refresh' },
      {
        n: 2,
        actionId: 'svc_delete',
        value: serviceActionValue(ref),
        label: 'Delete',
        confirm: 'Delete Service web in namespace default on cluster prod? Anything using its addresses stops working.',
      },
    ]);
  });

  it('prints a table split over several code blocks as one table', () => {
    const rows = Array.from({ length: 400 }, (_, i) => `row-${i}   ${'x'.repeat(40)}`);
    const blocks = codeSections(rows, 40);
    expect(blocks.length).toBeGreaterThan(1);
    const { text } = renderToText(reply('ephemeral', 'rows', [section('Rows:'), ...blocks]));
    expect(text.split('\n').filter((l) => l.startsWith('  row-'))).toHaveLength(400);
    expect(text).not.toMatch(/\n\n\s+row-[1-9]/);
  });

  it('falls back to the text when there are no blocks', () => {
    expect(renderToText({ responseType: 'ephemeral', text: '*hi* &lt;there&gt;', blocks: [] })).toEqual({ text: 'hi <there>', choices: [] });
  });
});

describe('button values', () => {
  it.each([
    { cluster: 'prod', namespace: 'default', name: 'web' },
    { cluster: '<!channel>', namespace: 'a&b', name: '"quoted"' },
  ])('round-trip %o without Slack markup', (ref) => {
    const value = serviceActionValue(ref);
    expect(value).not.toMatch(/[<>&]/);
    expect(parseServiceActionValue(value)).toEqual(ref);
  });

  it.each(['', 'web', '[]', 'null', '{"cluster":"p","namespace":"","name":"x"}', '{"cluster":1,"namespace":"n","name":"x"}', 'x'.repeat(3000)])(
    'rejects %j',
    (value) => {
      expect(parseServiceActionValue(value)).toBeUndefined();
    },
  );
});

describe('Slack emoji codes in the terminal', () => {
  test('every :code: the renderers use is shown as its character, never as the code', () => {
    const dir = join(import.meta.dirname, '../../../src/render');
    const used = new Set(readdirSync(dir).flatMap((f) => [...readFileSync(join(dir, f), 'utf8').matchAll(/:[a-z_]+:/g)].map((m) => m[0])));
    // Not emoji: the mrkdwn patterns and separators that also match the pattern, if any, would show up here.
    expect([...used].filter((code) => !(code in EMOJI))).toEqual([]);
    expect(used.size).toBeGreaterThan(10);
  });

  test('the progress codes of a job show as ⏳, ❌, 🟢, ⚪', () => {
    const text = renderToText(reply('in_channel', 'x', [section(':hourglass_flowing_sand: a\n:x: b\n:large_green_circle: c\n:white_circle: d')])).text;
    expect(text).toBe('\u23f3 a\n\u274c b\n\u{1f7e2} c\n\u26aa d');
  });
});

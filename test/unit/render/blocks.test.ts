import { describe, expect, it } from '@jest/globals';
import { LIMITS, actions, blockKitViolations, codeSections, context, fields, header, lineSections, reply, section, type Block, type Reply } from '../../../src/render/blocks.js';

const long = 'word '.repeat(2000);

describe('builders keep within Block Kit limits', () => {
  it.each<[string, Block]>([
    ['header', header(long)],
    ['section from a string', section(long)],
    ['section from lines', section(Array.from({ length: 1000 }, (_, i) => `line ${i}`))],
    ['fields', fields(Array.from({ length: 12 }, (_, i) => [`label ${i}`, long] as const))],
    ['context', context(...Array.from({ length: 12 }, () => long))],
    ['actions', actions(Array.from({ length: 30 }, (_, i) => ({ actionId: `a${i}`.repeat(100), value: long, label: long, confirm: { title: long, text: long, confirm: long } })))],
  ])('%s', (_name, block) => {
    expect(blockKitViolations(reply('ephemeral', 'x', [block]))).toEqual([]);
  });

  it('says how much it left out', () => {
    expect(section(Array.from({ length: 1000 }, (_, i) => `line ${i}`)).text?.text).toMatch(/\n… and \d+ more$/);
    const ctx = context(...Array.from({ length: 12 }, (_, i) => `note ${i}`));
    expect(ctx.elements.map((e) => e.text)).toEqual([...Array.from({ length: 9 }, (_, i) => `note ${i}`), '… and 3 more']);
  });

  it('codeSections: as many code blocks as needed, at most the number asked, each closed', () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `<row> ${i} ${'y'.repeat(50)}`);
    const blocks = codeSections(lines, 5, (n) => `… and ${n} more rows`);
    expect(blocks).toHaveLength(5);
    for (const b of blocks) {
      expect(b.text?.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
      expect(b.text?.text).toMatch(/^```\n[\s\S]*\n```$/);
      expect(b.text?.text).not.toContain('<row>');
    }
    const shown = blocks.flatMap((b) => b.text?.text.split('\n').filter((l) => l.startsWith('&lt;row&gt;')) ?? []).length;
    expect(blocks[4]?.text?.text).toContain(`… and ${2000 - shown} more rows`);
    expect(codeSections(lines.slice(0, 3), 5)).toHaveLength(1);
  });

  it('lineSections: whole lines packed into as many sections as needed, at most the number asked; the rest counted', () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `• item ${i} ${'z'.repeat(60)}`);
    const blocks = lineSections(lines, 6, (n) => `… and ${n} more items`);
    expect(blocks).toHaveLength(6);
    for (const b of blocks) expect(b.text?.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    const shownLines = blocks.flatMap((b) => b.text?.text.split('\n').filter((l) => l.startsWith('• item ')) ?? []);
    // In order, none twice, none cut.
    expect(shownLines).toEqual(lines.slice(0, shownLines.length));
    expect(blocks[5]?.text?.text).toMatch(new RegExp(`\n… and ${2000 - shownLines.length} more items$`));
    // The first sections are full: a section holds as many lines as fit.
    expect(blocks[0]?.text?.text.length).toBeGreaterThan(LIMITS.sectionText - lines[0]!.length - 1);
    expect(lineSections(lines.slice(0, 3), 6)).toEqual([section(lines.slice(0, 3))]);
    expect(lineSections([], 6)).toEqual([]);
    const huge = lineSections(['x'.repeat(10_000), 'after'], 6);
    expect(blockKitViolations(reply('ephemeral', 'x', huge))).toEqual([]);
    expect(huge.map((b) => b.text?.text)).toEqual([expect.stringMatching(/^x+…$/), 'after']);
  });

  it('reply: at most 50 blocks, the rest noted; fallback text within 4000 characters', () => {
    const r = reply('ephemeral', Array.from({ length: 500 }, (_, i) => `line ${i}`).join('\n'), Array.from({ length: 60 }, () => section('x')));
    expect(r.blocks).toHaveLength(LIMITS.blocks);
    expect(r.blocks[49]).toEqual(context('_… and 11 more blocks not shown_'));
    expect(r.text.length).toBeLessThanOrEqual(LIMITS.fallbackText);
    expect(blockKitViolations(r)).toEqual([]);
  });
});

describe('blockKitViolations', () => {
  it('finds what Slack would reject', () => {
    const bad: Reply = {
      responseType: 'ephemeral',
      text: '',
      blocks: [
        { type: 'section' },
        { type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } },
        { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } },
        { type: 'context', elements: [] },
        { type: 'actions', elements: [{ type: 'button', action_id: '', value: 'v', text: { type: 'plain_text', text: 'b'.repeat(76) } }] },
      ],
    };
    expect(blockKitViolations(bad)).toEqual([
      'empty fallback text',
      'block 0 (section): neither text nor fields',
      'block 1 (section): text length 3001',
      'block 2 (header): text length 151',
      'block 3 (context): 0 elements',
      'block 4 (actions): button text 76',
      'block 4 (actions): action_id 0',
    ]);
  });
});

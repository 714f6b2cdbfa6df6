import { DIGEST_MAX_SIZE, digestSize, renderDigest } from '../../../src/render/digest.js';
import { renderAuditEntry } from '../../../src/render/audit.js';
import { section } from '../../../src/render/blocks.js';

test('a digest keeps every part\'s words (mentions, endpoints), in order, under a count', () => {
  const d = renderDigest([
    { text: '<@U1> `default/a` is reachable at:\n• `a.elb:80`', blocks: [] },
    { text: '<@U2> `default/b` is reachable at:\n• `b.elb:80`', blocks: [] },
  ]);
  expect(d.text).toBe('2 results:\n\n<@U1> `default/a` is reachable at:\n• `a.elb:80`\n\n<@U2> `default/b` is reachable at:\n• `b.elb:80`');
  expect(d.blocks).toEqual([]);
});

test('parts with blocks keep them, divided; a text-only part becomes a section; past 50 blocks, the text alone', () => {
  const d = renderDigest([{ text: 'one', blocks: [section('one, in blocks')] }, { text: 'two', blocks: [] }]);
  expect(d.blocks).toEqual([section('one, in blocks'), { type: 'divider' }, section('two')]);
  const many = renderDigest(Array.from({ length: 30 }, (_, i) => ({ text: `m${i}`, blocks: [section(`m${i}`)] })));
  expect(many.blocks).toEqual([]);
  expect(many.text.split('\n\n')).toHaveLength(31);
});

test('an audit digest: titled as such, every entry whole and in order, its user text escaped as in its own message', () => {
  const entries = [
    renderAuditEntry({ at: Date.UTC(2026, 11, 6, 21, 0, 0), action: 'approved', userId: 'U1', userName: 'ann', result: 'approved <!here>', requestId: 'r1' }),
    renderAuditEntry({ at: Date.UTC(2026, 11, 6, 21, 0, 1), action: 'refused', userId: 'U2', userName: '<@U9>', result: 'policy `x` & y' }),
  ];
  const d = renderDigest(entries, 'audit');
  expect(d.text).toBe([':ledger: 2 audit entries, oldest first:', entries[0]!.text, entries[1]!.text].join('\n\n'));
  expect(d.text).not.toContain('<!here>');
  expect(d.text).not.toContain('<@U9>');
  expect(d.blocks).toEqual([...entries[0]!.blocks, { type: 'divider' }, ...entries[1]!.blocks]);
});

test("parts whose digestSize adds up to DIGEST_MAX_SIZE make a digest text within Slack's recommended 4,000 characters", () => {
  const part = { text: 'x'.repeat(98), blocks: [] };
  const n = Math.floor(DIGEST_MAX_SIZE / digestSize(part));
  expect(renderDigest(Array.from({ length: n }, () => part), 'audit').text.length).toBeLessThanOrEqual(4000);
  expect(renderDigest(Array.from({ length: n }, () => part), 'results').text.length).toBeLessThanOrEqual(4000);
});

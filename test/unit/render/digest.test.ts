import { renderDigest } from '../../../src/render/digest.js';
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

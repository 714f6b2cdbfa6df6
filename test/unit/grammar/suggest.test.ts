import { didYouMean, editDistance } from '../../../src/domain/grammar/index.js';

describe('editDistance', () => {
  test.each([
    ['', '', 0],
    ['', 'abc', 3],
    ['abc', '', 3],
    ['list', 'list', 0],
    ['crate', 'create', 1], // deletion
    ['creat', 'create', 1],
    ['lsit', 'list', 1], // swap of neighbours counts once
    ['describe', 'descirbe', 1],
    ['kitten', 'sitting', 3],
    ['selector', 'slector', 1],
  ])('%j vs %j = %d', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe('didYouMean', () => {
  const subcommands = ['create', 'expose', 'list', 'describe', 'type', 'delete', 'ls', 'get', 'rm', 'del', 'show'];
  test.each<[string, string | undefined]>([
    ['crate', 'create'],
    ['CREAT', 'create'], // case-insensitive
    ['lsit', 'list'],
    ['lst', 'list'],
    ['desc', 'describe'], // prefix of 3+ letters
    ['delet', 'delete'],
    ['exopse', 'expose'],
    ['shw', 'show'],
    ['xyz', undefined],
    ['banana', undefined],
    ['', undefined],
    ['a', undefined],
    ['lx', undefined], // one or two letters: case differences only
    ['RM', 'rm'],
  ])('%j -> %j', (input, expected) => {
    expect(didYouMean(input, subcommands)).toBe(expected);
  });

  test('ties go to the earlier candidate', () => {
    expect(didYouMean('abcd', ['abxd', 'abyd'])).toBe('abxd');
  });

  test('longer words allow more edits', () => {
    expect(didYouMean('--namspce', ['--namespace'])).toBe('--namespace');
    expect(didYouMean('--nmspce', ['--namespace'])).toBe('--namespace');
    expect(didYouMean('--xyzpace', ['--namespace'])).toBeUndefined();
  });
});

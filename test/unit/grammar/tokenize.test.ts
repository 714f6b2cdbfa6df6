import { normalizeSlackText, tokenize } from '../../../src/domain/grammar/index.js';

const words = (text: string): string[] => tokenize(normalizeSlackText(text));

describe('normalizeSlackText', () => {
  test.each([
    ['&amp;', '&'],
    ['&lt;&gt;', '<>'],
    ['a &amp;lt; b', 'a &lt; b'], // decoded once: what the user typed was "&lt;"
    ['&quot;', '&quot;'], // Slack escapes only & < >
    ['\u2014port', '--port'], // em dash
    ['\u2013port', '--port'], // en dash
    ['\u2015port', '--port'], // horizontal bar
    ['my\u2010app \u2011n \u2212A \uff0dx', 'my-app -n -A -x'],
    ['cre\u200bate\u200d \ufeffa\u2060b', 'create ab'],
    ['plain text', 'plain text'],
  ])('%j -> %j', (input, expected) => {
    expect(normalizeSlackText(input)).toBe(expected);
  });
});

describe('tokenize', () => {
  test.each<[string, string[]]>([
    ['', []],
    ['   ', []],
    ['create  a\t\tb\nc', ['create', 'a', 'b', 'c']],
    ['create\u00a0a\u202fb\u2007c\u3000d', ['create', 'a', 'b', 'c', 'd']], // non-breaking and other spaces
    ['"alpine"', ['alpine']],
    ["'alpine'", ['alpine']],
    ['\u201calpine-service\u201d', ['alpine-service']], // “ ”
    ['\u2018app=alpine\u2019', ['app=alpine']], // ‘ ’
    ['\u201ealpine\u201c', ['alpine']], // „ “ (German style)
    ['--selector "app=a, tier=b"', ['--selector', 'app=a, tier=b']],
    ['--port="8080:80"', ['--port=8080:80']],
    ['a""b', ['ab']],
    ['""', ['']],
    ['create "" x', ['create', '', 'x']],
    ['"it\'s"', ["it's"]], // a single quote inside double quotes is kept
    ['"unclosed value', ['unclosed', 'value']], // an unpaired quote is dropped
    ['a " b', ['a', 'b']],
    ['<@U123>', ['<@U123>']],
    ['<http://x.io|some text> next', ['<http://x.io|some text>', 'next']],
    ['app=<http://x.io|x.io>', ['app=<http://x.io|x.io>']],
    ['a < b', ['a', '<', 'b']], // no closing ">": plain characters
    ['<#C123|general>', ['<#C123|general>']],
  ])('%j', (input, expected) => {
    expect(tokenize(input)).toEqual(expected);
  });

  test('Slack-escaped text becomes Slack markup, kept whole', () => {
    expect(words('create &lt;@U123|bob&gt; --port 80')).toEqual(['create', '<@U123|bob>', '--port', '80']);
  });

  test('autocorrected dashes and smart quotes together', () => {
    expect(words('create \u201calpine-service\u201d \u2014selector app=alpine \u2013port\u00a08080:80')).toEqual([
      'create',
      'alpine-service',
      '--selector',
      'app=alpine',
      '--port',
      '8080:80',
    ]);
  });
});

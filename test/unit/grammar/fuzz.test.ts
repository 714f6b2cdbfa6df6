import type { Command } from '../../../src/domain/command.js';
import { UsageError } from '../../../src/domain/errors.js';
import {
  isClusterName,
  isLabelKey,
  isLabelValue,
  isNamespaceName,
  isPortName,
  isServiceName,
  parseCommand,
} from '../../../src/domain/grammar/index.js';

/** mulberry32: a small seeded generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  // subcommands, aliases, near misses
  'create', 'expose', 'type', 'delete', 'list', 'describe', 'help', 'jobs', 'cancel', 'ls', 'get', 'rm', 'del', 'show',
  'CREATE', 'crate', 'lsit', '/svc', 'svc',
  // flags in every form, refused ones, unknown ones
  '--selector', '--port', '--type', '--name', '--namespace', '-n', '-A', '--all-namespaces', '--cluster', '--dry-run',
  '--help', '-h', '--selector=app=a', '--port=80', '-n=x', '--dry-run=false', '--dry-run=maybe', '-A=true',
  '--external-ip', '--externalIPs=1.2.3.4', '--status', '--cluster-ip=None', '--overrides', '--frob', '-x', '-nfoo',
  '--', '-', '---', '—', '–', '—port', '–n', '-1', '--=', '-=',
  // values, good and bad
  'web', 'alpine-service', 'Alpine', 'my_app', '1abc', 'a'.repeat(64), '', 'deployment/web', 'deploy/web', 'pod/web',
  'deployment', 'deployment/', 'app=alpine', 'app=', '=x', 'app:x', 'a=b,c=d', 'app!=x', 'app=a,', ',',
  '80', '8080:80', 'http=8080:80', '53/udp', '80:http', '0', '65536', '80:', ':80', '1:2:3', 'HTTP=80', '80,443', '80/http',
  'lb', 'np', 'cip', 'ClusterIP', 'externalname', 'nope', 'x', '42', 'a/b', 'kube-system', 'Prod',
  // Slack and typography
  '<@U123>', '<http://x.io|x.io>', '<#C1|general>', '<!here>', '&lt;@U1&gt;', '&amp;', '&lt;', '&gt;', '<', '>', '|',
  '“web”', '‘web’', '"', "'", '“', '”', '„', '\u00a0', '\u200b', '\ufeff', '=', ':', '/', '\\', '$', '{}', '[]',
  'constructor=x', '__proto__=x', 'toString', 'hasOwnProperty', '💥', 'ü', '\u0000', '\n',
];
const SEPARATORS = [' ', ' ', ' ', '  ', '\t', '\u00a0', '\n', '', '='];
const CHARS = 'abcAZ09-_=:/,.<>|@#!&;"\'“”‘’—– \u00a0\u200b💥';

function pick<T>(rnd: () => number, items: readonly T[]): T {
  return items[Math.floor(rnd() * items.length)]!;
}

function tokenText(rnd: () => number): string {
  const n = Math.floor(rnd() * 12);
  let text = '';
  for (let i = 0; i < n; i++) text += (i === 0 ? '' : pick(rnd, SEPARATORS)) + pick(rnd, WORDS);
  return text;
}

function charText(rnd: () => number): string {
  const n = Math.floor(rnd() * 40);
  let text = '';
  for (let i = 0; i < n; i++) text += pick(rnd, [...CHARS]);
  return text;
}

const KINDS = new Set(['help', 'create', 'expose', 'type', 'delete', 'list', 'describe', 'jobs', 'cancel']);

/** What a parsed command must satisfy whatever the input. */
function checkInvariants(command: Command): void {
  expect(KINDS.has(command.kind)).toBe(true);
  if ('scope' in command) {
    expect(isNamespaceName(command.scope.namespace)).toBe(true);
    if (command.scope.cluster !== undefined) expect(isClusterName(command.scope.cluster)).toBe(true);
  }
  if ('name' in command && command.name !== undefined) expect(isServiceName(command.name)).toBe(true);
  if (command.kind === 'create') {
    for (const [k, v] of Object.entries(command.selector)) expect(isLabelKey(k) && isLabelValue(v)).toBe(true);
    expect(Object.keys(command.selector).length).toBeGreaterThan(0);
  }
  if (command.kind === 'create' || command.kind === 'expose') {
    expect(command.ports.length).toBeGreaterThan(0);
    for (const p of command.ports) {
      expect(p.port >= 1 && p.port <= 65535).toBe(true);
      if (p.name !== undefined) expect(isPortName(p.name)).toBe(true);
      if (command.ports.length > 1) expect(p.name).toBeDefined();
    }
  }
}

test.each([
  ['word salad', 1, tokenText],
  ['character soup', 2, charText],
])('%s: parseCommand returns a valid Command or throws a UsageError, nothing else', (_what, seed, generate) => {
  const rnd = random(seed);
  let parsed = 0;
  let refused = 0;
  for (let i = 0; i < 500; i++) {
    const text = generate(rnd);
    let result: Command | undefined;
    try {
      result = parseCommand(text);
    } catch (err) {
      if (!(err instanceof UsageError)) {
        throw new Error(`input ${JSON.stringify(text)} threw ${String(err)}`, { cause: err });
      }
      expect(err.problem.length).toBeGreaterThan(0);
      expect(err.usage).toMatch(/^\/svc /);
      refused++;
      continue;
    }
    checkInvariants(result);
    expect(parseCommand(text)).toStrictEqual(result); // deterministic
    parsed++;
  }
  // Both outcomes happen, so the test exercises both paths.
  expect(parsed).toBeGreaterThan(0);
  expect(refused).toBeGreaterThan(0);
});

test('long hostile inputs are refused, not stuck on (a runaway regex would hit the test timeout)', () => {
  const inputs = [
    `create ${'a-'.repeat(1900)} --selector b=c --port 80`,
    `create web --selector ${'a.'.repeat(1900)}=b --port 80`,
    `create web --selector ${'a'.repeat(3000)}.=b --port 80`,
    `create web --selector app=b --port ${'1'.repeat(3900)}`,
    '"'.repeat(3999),
    '<'.repeat(3999),
    `list ${'“'.repeat(1999)}`,
  ];
  for (const text of inputs) expect(() => parseCommand(text)).toThrow(UsageError);
});

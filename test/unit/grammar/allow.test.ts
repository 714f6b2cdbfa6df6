/** `/svc allow`: the three forms, CIDR checks and normalisation, durations, and every message of a mistake. */
import type { Command } from '../../../src/domain/command.js';
import { UsageError } from '../../../src/domain/errors.js';
import { parseCommand } from '../../../src/domain/grammar/index.js';
import { cidrHolds, isWorldOpen, parseCidr, parseGrantDuration } from '../../../src/domain/grammar/cidr.js';
import { helpFor } from '../../../src/domain/help.js';

function usageError(text: string): UsageError {
  try {
    parseCommand(text);
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error(`parsed: ${text}`);
}

describe('allow NAME --from CIDR [--for D]', () => {
  test.each<[string, Command]>([
    ['allow web --from 203.0.113.0/24', { kind: 'allow', action: 'grant', name: 'web', cidr: '203.0.113.0/24', scope: { namespace: 'default' } }],
    ['allow web --from=198.51.100.7/32 --for 30m -n shop --cluster prod', { kind: 'allow', action: 'grant', name: 'web', cidr: '198.51.100.7/32', durationMs: 30 * 60_000, scope: { namespace: 'shop', cluster: 'prod' } }],
    ['allow web --from 2001:DB8:0:0::/32 --for 1h30m', { kind: 'allow', action: 'grant', name: 'web', cidr: '2001:db8::/32', durationMs: 90 * 60_000, scope: { namespace: 'default' } }],
    ['allow web --from 0.0.0.0/0 --for 1d', { kind: 'allow', action: 'grant', name: 'web', cidr: '0.0.0.0/0', durationMs: 24 * 3_600_000, scope: { namespace: 'default' } }],
    ['allow --list', { kind: 'allow', action: 'list' }],
    ['allow --list --cluster prod', { kind: 'allow', action: 'list', cluster: 'prod' }],
    ['allow --revoke ABCDEF12', { kind: 'allow', action: 'revoke', id: 'abcdef12' }],
  ])('%s', (text, command) => {
    expect(parseCommand(text)).toEqual(command);
  });

  test.each<[string, string, string | undefined]>([
    ['allow', 'missing the Service whose port to open: /svc allow NAME --from CIDR (or --list, --revoke GRANT)', undefined],
    ['allow web', 'missing --from: which addresses may connect? e.g. --from 203.0.113.0/24 (your office) or --from 198.51.100.7/32 (one address)', undefined],
    ['allow web --from 10.1.2.3/16', '"10.1.2.3/16" has host bits set: the /16 network it lies in is 10.1.0.0/16 (for that one address, use /32)', '--from 10.1.0.0/16'],
    ['allow web --from 2001:db8::1/32', '"2001:db8::1/32" has host bits set: the /32 network it lies in is 2001:db8::/32 (for that one address, use /128)', '--from 2001:db8::/32'],
    ['allow web --from 198.51.100.7', '"198.51.100.7" is one address: say how wide the range is (/32 for that address alone)', '--from 198.51.100.7/32'],
    ['allow web --from 10.0.0.0/33', '"10.0.0.0/33" has no valid prefix length: an IPv4 range ends in /0 to /32', undefined],
    ['allow web --from office', '"office" is not an IPv4 or IPv6 range: write it as ADDRESS/PREFIX, e.g. 203.0.113.0/24, 198.51.100.7/32 or 2001:db8::/32', undefined],
    ['allow web --from 256.1.1.0/24', '"256.1.1.0/24" is not an IPv4 or IPv6 range: write it as ADDRESS/PREFIX, e.g. 203.0.113.0/24, 198.51.100.7/32 or 2001:db8::/32', undefined],
    ['allow web --from 10.0.0.0/8 --for 90', '"90" is not a duration: write it like 30m, 2h, 1h30m or 1d', '--for 90m'],
    ['allow web --from 10.0.0.0/8 --for soon', '"soon" is not a duration: write it like 30m, 2h, 1h30m or 1d', undefined],
    ['allow web --from 10.0.0.0/8 --for 0m', '--for "0m" is no time at all: give how long the opening lasts, e.g. 2h', undefined],
    ['allow web --from 10.0.0.0/8 --for 8d', '--for "8d" is more than a week: svcbot opens ports for at most 7d', undefined],
    ['allow web --frm 10.0.0.0/8', 'unknown flag --frm', '--from'],
    ['allow --list --revoke abcdef12', "--list and --revoke don't go together: list the openings first, then revoke one by its ID", undefined],
    ['allow --list web', '--list takes no Service name: "web" is one too many', undefined],
    ['allow --revoke abcdef12 --from 10.0.0.0/8', '--revoke takes no --from: those open a port (/svc allow NAME --from CIDR)', undefined],
    ['allow --revoke abcdef12 --cluster prod', '--revoke takes no --cluster: the grant ID says where it is', undefined],
    ['allow --revoke 12', '"12" is not a grant ID: use the 8 characters /svc allow --list shows', undefined],
  ])('%s', (text, problem, suggestion) => {
    const err = usageError(text);
    expect(err.problem).toBe(problem);
    expect(err.suggestion).toBe(suggestion);
    expect(err.usage).toContain('/svc allow NAME --from CIDR');
  });

  test('a typo of the subcommand gets its did-you-mean', () => {
    expect(usageError('alow web --from 10.0.0.0/8').suggestion).toBe('allow');
  });

  test('help teaches it', () => {
    const help = helpFor('allow', '/svc');
    expect('subcommand' in help && help.subcommand.examples.some((e) => e.includes('--from'))).toBe(true);
  });
});

describe('CIDR values', () => {
  test.each([
    ['::/0', '::/0', 6, true],
    ['0.0.0.0/0', '0.0.0.0/0', 4, true],
    ['2001:0db8:0000:0000:0000:ff00:0042:8329/128', '2001:db8::ff00:42:8329/128', 6, false],
    ['::ffff:192.0.2.128/128', '::ffff:c000:280/128', 6, false],
    ['fe80:0:0:1::/64', 'fe80:0:0:1::/64', 6, false],
  ] as const)('%s -> %s', (value, text, family, world) => {
    const cidr = parseCidr(value);
    expect(cidr).toMatchObject({ text, family });
    expect(isWorldOpen(cidr)).toBe(world);
  });

  test('durations', () => {
    expect(parseGrantDuration('2h')).toBe(7_200_000);
    expect(parseGrantDuration('45s')).toBe(45_000);
    expect(parseGrantDuration('1d2h')).toBe(26 * 3_600_000);
  });
});

test.each<[string, string, boolean | undefined]>([
  ['127.0.0.0/8', '127.0.0.1', true],
  ['203.0.113.0/24', '127.0.0.1', false],
  ['198.51.100.7/32', '198.51.100.7', true],
  ['0.0.0.0/0', '10.1.2.3', true],
  ['127.0.0.0/8', '::ffff:127.0.0.1', true],
  ['2001:db8::/32', '2001:db8:1::5', true],
  ['2001:db8::/32', '2001:db9::5', false],
  ['2001:db8::/32', '127.0.0.1', undefined],
  ['not-a-range', '127.0.0.1', undefined],
])('%s holds %s: %s', (cidr, address, holds) => {
  expect(cidrHolds(cidr, address)).toBe(holds);
});

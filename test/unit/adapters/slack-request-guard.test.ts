/** The receiver's pure checks: signature headers, the signature, body kinds by content type, and turns. */
import { createTurns } from '../../../src/adapters/slack/connection-limits.js';
import { parseSlackBody, slackContentType } from '../../../src/adapters/slack/body.js';
import { msLeftInWindow, signatureHeaders, signatureMatches } from '../../../src/adapters/slack/signature.js';
import { slackSignature } from '../../helpers/slack-request.js';

const NOW = 1_700_000_000_000;
const TS = NOW / 1000;
const SIG = `v0=${'0123456789abcdef'.repeat(4)}`;

describe('signatureHeaders', () => {
  test.each([
    [{}, 'missing'],
    [{ 'x-slack-signature': SIG }, 'missing'],
    [{ 'x-slack-request-timestamp': String(TS) }, 'missing'],
    [{ 'x-slack-request-timestamp': ` ${TS}`, 'x-slack-signature': SIG }, 'malformed'],
    [{ 'x-slack-request-timestamp': `${TS}.0`, 'x-slack-signature': SIG }, 'malformed'],
    [{ 'x-slack-request-timestamp': `-${TS}`, 'x-slack-signature': SIG }, 'malformed'],
    [{ 'x-slack-request-timestamp': String(TS), 'x-slack-signature': SIG.toUpperCase() }, 'malformed'],
    [{ 'x-slack-request-timestamp': String(TS), 'x-slack-signature': `${SIG} ` }, 'malformed'],
    [{ 'x-slack-request-timestamp': String(TS), 'x-slack-signature': [SIG, SIG] }, 'malformed'],
    [{ 'x-slack-request-timestamp': String(TS + 301), 'x-slack-signature': SIG }, 'outside_window'],
    [{ 'x-slack-request-timestamp': String(TS - 301), 'x-slack-signature': SIG }, 'outside_window'],
    [{ 'x-slack-request-timestamp': '999999999999', 'x-slack-signature': SIG }, 'outside_window'],
  ])('%j is %s', (headers, reason) => {
    expect(signatureHeaders(headers, NOW)).toEqual({ ok: false, reason });
  });

  test('5 minutes either way is within the window', () => {
    for (const ts of [TS - 300, TS, TS + 300]) {
      expect(signatureHeaders({ 'x-slack-request-timestamp': String(ts), 'x-slack-signature': SIG }, NOW)).toEqual({ ok: true, headers: { timestamp: ts, signature: SIG } });
    }
  });
});

describe('signatureMatches', () => {
  test("is true only for the secret's HMAC of v0:timestamp:body", () => {
    const body = Buffer.from('text=list');
    const signature = slackSignature('secret', TS, 'text=list');
    expect(signatureMatches('secret', { timestamp: TS, signature }, body)).toBe(true);
    expect(signatureMatches('other', { timestamp: TS, signature }, body)).toBe(false);
    expect(signatureMatches('secret', { timestamp: TS + 1, signature }, body)).toBe(false);
    expect(signatureMatches('secret', { timestamp: TS, signature }, Buffer.from('text=lisT'))).toBe(false);
  });

  test('a request stays claimed until its timestamp leaves the window, and a second more', () => {
    expect(msLeftInWindow(TS, NOW)).toBe(301_000);
    expect(msLeftInWindow(TS - 300, NOW)).toBe(1000);
    expect(msLeftInWindow(TS + 300, NOW)).toBe(601_000);
  });
});

describe('slackContentType and parseSlackBody', () => {
  test.each([
    ['application/x-www-form-urlencoded', 'form'],
    ['Application/X-WWW-Form-Urlencoded; charset=utf-8', 'form'],
    ['application/json', 'json'],
    ['application/json;charset=UTF-8', 'json'],
    ['text/plain', undefined],
    ['application/jsonx', undefined],
    [undefined, undefined],
  ])('%j is %j', (header, type) => {
    expect(slackContentType(header)).toBe(type);
  });

  const form = (fields: Record<string, string>) => Buffer.from(new URLSearchParams(fields).toString());
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));
  test.each([
    ['a slash command', 'form', form({ command: '/svc', text: 'list' }), 'dispatch'],
    ['a button press', 'form', form({ payload: JSON.stringify({ type: 'block_actions', actions: [] }) }), 'dispatch'],
    ['ssl_check', 'form', form({ ssl_check: '1', token: 't' }), 'ssl_check'],
    ['a form without a command', 'form', form({ text: 'list' }), 'wrong_type'],
    ['a payload that is an event', 'form', form({ payload: JSON.stringify({ type: 'event_callback', event: {} }) }), 'wrong_type'],
    ['a payload that carries a command', 'form', form({ payload: JSON.stringify({ type: 'block_actions', command: '/svc' }) }), 'wrong_type'],
    ['a payload that is not JSON', 'form', form({ payload: '{' }), 'malformed'],
    ['url_verification', 'json', json({ type: 'url_verification', challenge: 'c' }), 'url_verification'],
    ['an event', 'json', json({ type: 'event_callback', event: { type: 'app_mention' } }), 'dispatch'],
    ['a command as JSON', 'json', json({ command: '/svc', text: 'delete web' }), 'wrong_type'],
    ['an event that carries a command', 'json', json({ type: 'event_callback', command: '/svc' }), 'wrong_type'],
    ['an interaction as JSON', 'json', json({ type: 'block_actions', actions: [] }), 'wrong_type'],
    ['a JSON array', 'json', json([1]), 'malformed'],
    ['not JSON', 'json', Buffer.from('command=/svc'), 'malformed'],
  ] as const)('%s (%s) is %s', (_what, type, body, kind) => {
    expect(parseSlackBody(type, body).kind).toBe(kind);
  });
});

describe('createTurns', () => {
  test('gives out max turns, queues up to maxWaiting (first come, first served), refuses beyond and after the wait', async () => {
    const turns = createTurns(1, 1);
    const first = await turns.take(1000);
    expect(first).toBeDefined();
    const queued = turns.take(5000);
    expect(await turns.take(1000)).toBeUndefined();
    first!();
    first!();
    const second = await queued;
    expect(second).toBeDefined();
    expect(await turns.take(10)).toBeUndefined();
    second!();
    expect(await turns.take(10)).toBeDefined();
  });
});

import { describe, expect, it } from '@jest/globals';
import type { AuditResult } from '../../../src/domain/audit-trail.js';
import type { AuditAction, AuditEntry } from '../../../src/ports/audit.js';
import { renderAudit, renderAuditEntry } from '../../../src/render/audit.js';
import { LIMITS, blockKitViolations, type Reply } from '../../../src/render/blocks.js';
import { renderToText } from '../../../src/render/text.js';
import { EVIL, NOW, asReply, blockLines, everything, outsideCode, slackConstructs } from './fixtures.js';

const MIN = 60_000;

function entry(overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    at: NOW.getTime() - 28 * MIN,
    action: 'approved',
    userId: 'U2BOB',
    userName: 'bob',
    command: '/svc approve 3f9c2a1b',
    cluster: 'prod',
    namespace: 'default',
    service: 'web',
    result: "approved U1ALICE's request: /svc create web -p 80:8080 --type lb",
    requestId: '3f9c2a1b',
    ...overrides,
  };
}

function result(entries: AuditEntry[], overrides: Partial<AuditResult> = {}): AuditResult {
  return { entries, limit: 20, now: NOW, ...overrides };
}

/** The entry lines of `/svc audit`'s blocks. */
function entryLines(r: Reply): string[] {
  return blockLines(r)
    .slice(1)
    .flatMap((t) => t.split('\n'));
}

describe('renderAudit', () => {
  it('one line per entry: time, who (mention and name), action, where, result, IDs; what was shown', () => {
    const r = renderAudit(result([entry(), entry({ at: NOW.getTime() - 30 * MIN, action: 'job', userId: 'U1ALICE', userName: undefined, requestId: undefined, jobId: 'provision.prod.default.web', result: 'ready' })]));
    expect(r.responseType).toBe('ephemeral');
    expect(blockKitViolations(r)).toEqual([]);
    expect(blockLines(r)).toEqual([
      '*Audit log*: 2 entries (at most 20), newest first; times in UTC, with the date when not today.',
      [
        "11:32  <@U2BOB> (bob) :white_check_mark: *approved* `prod/default/web`: approved U1ALICE's request: /svc create web -p 80:8080 --type lb \u00b7 request `3f9c2a1b`",
        '11:30  <@U1ALICE> :gear: *job ended* `prod/default/web`: ready \u00b7 job `provision.prod.default.web`',
      ].join('\n'),
    ]);
    expect(r.text).toBe(blockLines(r).join('\n'));
  });

  it.each<[AuditAction, string]>([
    ['change', ':wrench: *changed*'],
    ['refused', ':no_entry_sign: *refused*'],
    ['requested', ':raised_hand: *asked for approval*'],
    ['approved', ':white_check_mark: *approved*'],
    ['rejected', ':no_entry: *rejected*'],
    ['expired', ':hourglass: *expired*'],
    ['withdrawn', ':leftwards_arrow_with_curved_arrow: *withdrew*'],
    ['not-run', ':warning: *not run*'],
    ['job', ':gear: *job ended*'],
  ])('%s reads as %s', (action, words) => {
    const r = renderAudit(result([entry({ action })]));
    expect(entryLines(r)).toEqual([`11:32  <@U2BOB> (bob) ${words} \`prod/default/web\`: approved U1ALICE's request: /svc create web -p 80:8080 --type lb \u00b7 request \`3f9c2a1b\``]);
  });

  it('every action has its own words', () => {
    const actions: AuditAction[] = ['change', 'refused', 'requested', 'approved', 'rejected', 'expired', 'withdrawn', 'not-run', 'job'];
    const words = actions.map((action) => entryLines(renderAudit(result([entry({ action })])))[0]?.split(' `prod')[0]);
    expect(new Set(words).size).toBe(actions.length);
  });

  it('newest first, whatever order the log gave', () => {
    const r = renderAudit(result([entry({ at: NOW.getTime() - 50 * MIN, result: 'older' }), entry({ at: NOW.getTime() - MIN, result: 'newer' })]));
    expect(entryLines(r).map((l) => l.slice(0, 5))).toEqual(['11:59', '11:10']);
    expect(entryLines(r)[0]).toContain(': newer');
  });

  it('gives the date of entries not from today', () => {
    const r = renderAudit(result([entry({ at: Date.parse('2025-05-30T23:05:00Z') })]));
    expect(entryLines(r)[0]).toMatch(/^2025-05-30 23:05 {2}<@U2BOB>/);
    expect(renderAudit(result([entry()]), { now: new Date('2025-06-02T08:00:00Z') }).text).toContain('2025-06-01 11:32  <@U2BOB>');
  });

  it('names who is not a Slack user ID (the console) without a mention; entries about no Service say nothing of where', () => {
    const r = renderAudit(result([entry({ userId: 'alice', userName: undefined, cluster: undefined, namespace: undefined, service: undefined, requestId: undefined, action: 'refused', result: 'refused by rule no-audit' })]));
    expect(entryLines(r)).toEqual(['11:32  alice :no_entry_sign: *refused*: refused by rule no-audit']);
    const named = renderAudit(result([entry({ userId: 'alice', userName: 'Alice Smith' })]));
    expect(entryLines(named)[0]).toMatch(/^11:32 {2}Alice Smith \(alice\) :white_check_mark:/);
  });

  it.each([
    [{}, 'No audit entries.'],
    [{ service: 'web' }, 'No audit entries about Service `web`.'],
    [{ user: 'U1ALICE' }, 'No audit entries by <@U1ALICE>.'],
    [{ user: 'jane', service: 'web' }, 'No audit entries about Service `web`, by @jane.'],
  ])('no entries %o: says so, with the filters', (filters, text) => {
    const r = renderAudit(result([], filters));
    expect(r.text).toBe(text);
    expect(blockKitViolations(r)).toEqual([]);
  });

  it('says what was asked for above the entries', () => {
    const r = renderAudit(result([entry()], { limit: 50, service: 'web', user: 'bob' }));
    expect(blockLines(r)[0]).toBe('*Audit log* about Service `web`, by @bob: 1 entry (at most 50), newest first; times in UTC, with the date when not today.');
  });

  it('200 long entries stay within Block Kit limits; what does not fit is counted', () => {
    const long = 'x'.repeat(2000);
    const entries = Array.from({ length: 200 }, (_, i) =>
      entry({ at: NOW.getTime() - i * MIN, userName: long, command: long, service: long, namespace: long, cluster: long, result: long, requestId: long, jobId: long }),
    );
    const r = renderAudit(result(entries, { limit: 200 }));
    expect(blockKitViolations(r)).toEqual([]);
    expect(r.blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
    const shown = entryLines(r).filter((l) => /^\d\d:\d\d {2}/.test(l)).length;
    expect(shown).toBeGreaterThan(10);
    expect(entryLines(r).at(-1)).toBe(`… and ${200 - shown} more entries`);
    const shownInText = r.text.split('\n').filter((l) => /^\d\d:\d\d {2}/.test(l)).length;
    expect(r.text).toMatch(new RegExp(`\\n… and ${200 - shownInText} more entries$`));
    // Each line is kept short: the whole result of an entry is in its own message.
    for (const line of entryLines(r)) expect(line.length).toBeLessThan(1000);
  });

  it('all 200 entries of an ordinary size are shown', () => {
    const entries = Array.from({ length: 200 }, (_, i) => entry({ at: NOW.getTime() - i * MIN }));
    const r = renderAudit(result(entries, { limit: 200 }));
    expect(blockKitViolations(r)).toEqual([]);
    expect(entryLines(r).filter((l) => /^\d\d:\d\d {2}/.test(l))).toHaveLength(200);
  });

  it('Slack markup in names, results, commands and filters is shown, never acted on; only real mentions mention', () => {
    const evil = entry({ userName: `${EVIL.text} *bold*`, cluster: EVIL.cluster, namespace: EVIL.namespace, service: EVIL.name, result: `${EVIL.text} *bold* <@U123>`, requestId: EVIL.text, jobId: EVIL.name });
    const r = renderAudit(result([evil, entry({ userId: '<!channel>', userName: undefined })], { service: EVIL.name, user: '<!here>' }));
    expect(blockKitViolations(r)).toEqual([]);
    // The one real mention, in the blocks and in the fallback text.
    expect(slackConstructs(everything(r))).toEqual(['<@U2BOB>', '<@U2BOB>']);
    expect(outsideCode(r)).not.toContain('*bold*');
    expect(r.text).toContain('`boom &lt;!everyone&gt; &lt;https://evil.example|click&gt; &amp; more *bold* &lt;@U123&gt;`');
  });

  it('in the console: the emoji as characters, mentions spelled out', () => {
    const out = renderToText(renderAudit(result([entry(), entry({ action: 'job' }), entry({ action: 'withdrawn' })]))).text;
    expect(out).not.toMatch(/:[a-z_]+:/);
    expect(out).toContain('11:32  @U2BOB (bob) \u2713 approved `prod/default/web`');
    expect(out).toContain('\u2699 job ended');
    expect(out).toContain('\u21a9 withdrew');
  });
});

describe('renderAuditEntry (the audit channel)', () => {
  it('one entry: who, what, where, the result; then when, the command and the IDs', () => {
    const m = renderAuditEntry(entry({ jobId: 'provision.prod.default.web' }));
    expect(blockKitViolations(asReply(m))).toEqual([]);
    expect(blockLines(m)).toEqual([
      ":white_check_mark: bob (U2BOB) *approved* `prod/default/web`: approved U1ALICE's request: /svc create web -p 80:8080 --type lb",
      '2025-06-01 11:32 UTC',
      'Command: `/svc approve 3f9c2a1b`',
      'Request `3f9c2a1b`',
      'Job `provision.prod.default.web`',
    ]);
    expect(m.text).toBe(
      ":white_check_mark: bob (U2BOB) *approved* `prod/default/web`: approved U1ALICE's request: /svc create web -p 80:8080 --type lb\n" +
        '2025-06-01 11:32 UTC \u00b7 Command: `/svc approve 3f9c2a1b` \u00b7 Request `3f9c2a1b` \u00b7 Job `provision.prod.default.web`',
    );
  });

  it('names the user instead of mentioning them (a mention would notify them of every entry)', () => {
    const m = renderAuditEntry(entry());
    expect(slackConstructs(everything(m))).toEqual([]);
    expect(renderAuditEntry(entry({ userName: undefined })).text).toMatch(/^:white_check_mark: U2BOB \*approved\*/);
  });

  it('an entry without command, place or IDs', () => {
    const m = renderAuditEntry(entry({ command: undefined, cluster: undefined, namespace: undefined, service: undefined, requestId: undefined, action: 'refused', result: '' }));
    expect(blockLines(m)).toEqual([':no_entry_sign: bob (U2BOB) *refused*: (no result recorded)', '2025-06-01 11:32 UTC']);
  });

  it('long and hostile texts: within the limits, escaped, no formatting', () => {
    const long = `${EVIL.text} *bold* `.repeat(400);
    const m = renderAuditEntry(entry({ userId: '<!channel>', userName: long, command: long, result: long, cluster: long, namespace: EVIL.namespace, service: EVIL.name, requestId: long, jobId: long }));
    expect(blockKitViolations(asReply(m))).toEqual([]);
    expect(slackConstructs(everything(m))).toEqual([]);
    expect(outsideCode(m)).not.toContain('*bold*');
  });
});

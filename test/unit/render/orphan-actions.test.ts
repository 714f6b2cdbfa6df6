import { ACTION_IDS } from '../../../src/render/actions.js';
import { blockKitViolations, type ActionsBlock } from '../../../src/render/blocks.js';
import { renderIgnored, renderIgnoredList, renderIgnoreNeedsReason, renderLoadBalancerDeleted, renderSnoozed, renderUnignored } from '../../../src/render/orphan-actions.js';
import { parseOrphanKeyValue } from '../../../src/render/orphans.js';
import { EVIL, everything, slackConstructs } from './fixtures.js';

const NOW = new Date(Date.UTC(2026, 11, 6, 12, 0, 0));
const entry = { key: 'us-east-1/legacy-api', name: 'legacy-api', by: 'U0ALICE', at: NOW.getTime() - 3600_000, reason: 'kept for the March migration' };

describe('orphan action replies', () => {
  it('snoozed: until when, and that it still costs money', () => {
    const r = renderSnoozed({ key: entry.key, name: entry.name, until: NOW.getTime() + 7 * 86_400_000 }, NOW);
    expect(r.text).toMatch(/`legacy-api` is left out of orphan reports until .*2026-12-13.*\(7 days\)\. It still costs money meanwhile\./);
    expect(blockKitViolations(r)).toEqual([]);
  });

  it('ignored: the reason kept, and where to take it back; ignored already: by whom and why', () => {
    expect(renderIgnored({ entry, already: false }, '/svc', NOW).text).toMatch(/until someone un-ignores it \(`\/svc orphans --ignored`\)\. Reason kept: kept for the March migration\./);
    expect(renderIgnored({ entry, already: true }, '/svc', NOW).text).toMatch(/was ignored already, by <@U0ALICE> at .*: kept for the March migration\./);
  });

  it('unignored, or not ignored at all', () => {
    expect(renderUnignored({ key: entry.key, name: entry.name, found: true }, '/svc').text).toBe('Load balancer `legacy-api` is back in orphan reports.');
    expect(renderUnignored({ key: entry.key, found: false }, '/svc').text).toMatch(/`us-east-1\/legacy-api` is not ignored/);
  });

  it('the Ignore button says how to give the reason, with the command to type', () => {
    expect(renderIgnoreNeedsReason(entry.key, entry.name, '/svc').text).toContain('`/svc orphan ignore us-east-1/legacy-api REASON`');
  });

  it('the ignored list: each with who, when, why and an Un-ignore button naming it', () => {
    const r = renderIgnoredList([entry, { ...entry, key: 'us-east-1/other', name: 'other' }], '/svc', NOW);
    expect(r.text).toMatch(/^\*2 ignored load balancers\*/);
    const buttons = r.blocks.filter((b): b is ActionsBlock => b.type === 'actions').flatMap((b) => b.elements);
    expect(buttons.map((b) => [b.action_id, parseOrphanKeyValue(b.value)])).toEqual([
      [ACTION_IDS.orphanUnignore, 'us-east-1/legacy-api'],
      [ACTION_IDS.orphanUnignore, 'us-east-1/other'],
    ]);
    expect(blockKitViolations(r)).toEqual([]);
    expect(renderIgnoredList([], '/svc', NOW).text).toBe('No load balancer is ignored.');
  });

  it('a long ignored list stays within Slack\'s limits and names every one', () => {
    const many = Array.from({ length: 120 }, (_, i) => ({ ...entry, key: `us-east-1/lb-${i}`, name: `lb-${i}` }));
    const r = renderIgnoredList(many, '/svc', NOW);
    expect(blockKitViolations(r)).toEqual([]);
    expect(everything(r)).toContain('lb-119');
  });

  it('reasons and names are text, never Slack markup', () => {
    const r = renderIgnoredList([{ ...entry, reason: EVIL.text, name: EVIL.name }], '/svc', NOW);
    expect(slackConstructs(everything(r)).filter((c) => c !== '<@U0ALICE>')).toEqual([]);
    expect(slackConstructs(everything(renderIgnored({ entry: { ...entry, reason: EVIL.text }, already: false }, '/svc', NOW)))).toEqual([]);
  });

  it('deleted: no further charges once AWS no longer lists it, the description kept; or that AWS still lists it', () => {
    const base = { key: entry.key, name: 'a1b2', kind: 'classic' as const, region: 'us-east-1', service: { cluster: 'prod', namespace: 'default', name: 'web' }, monthlyUsd: 18.25, gone: true, alreadyGone: false, summary: ['listener TCP 80 → 30080', '3 instances'] };
    const done = renderLoadBalancerDeleted(base, { requester: 'U0ALICE' });
    expect(done.text).toMatch(/<@U0ALICE> deleted the orphaned load balancer `a1b2` \(classic, `us-east-1`\) of Service `default\/web` on cluster `prod`\.\nAWS no longer lists it: no further charges \(about \$18\.25\/month saved\)\./);
    expect(everything(done)).toContain('listener TCP 80 → 30080');
    expect(blockKitViolations(done)).toEqual([]);
    expect(renderLoadBalancerDeleted({ ...base, gone: false }, {}).text).toMatch(/AWS still listed it when svcbot stopped watching/);
    expect(renderLoadBalancerDeleted({ ...base, alreadyGone: true }, {}).text).toMatch(/was gone already: no further charges/);
  });
});

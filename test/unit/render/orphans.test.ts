import { DEFAULT_LOAD_BALANCER_PRICES, buildReport, loadBalancerKey } from '../../../src/domain/orphan-report.js';
import type { ClassifyContext, ScannedLoadBalancer } from '../../../src/domain/orphans.js';
import { ACTION_IDS } from '../../../src/render/actions.js';
import { blockKitViolations, type ActionsBlock, type Reply } from '../../../src/render/blocks.js';
import { ORPHANS_PER_PAGE, orphanKeyValue, parseOrphanKeyValue, parseOrphanQueryValue, orphanQueryValue, renderOrphanReport } from '../../../src/render/orphans.js';
import { renderToText } from '../../../src/render/text.js';
import { EVIL, blockLines, everything, slackConstructs } from './fixtures.js';

const NOW = Date.UTC(2026, 11, 6, 12, 0, 0);
const DAY = 24 * 3600_000;

let serial = 0;
function lb(service: string, overrides: Partial<ScannedLoadBalancer> = {}): ScannedLoadBalancer {
  serial++;
  const name = `a${String(serial).padStart(31, '0')}`;
  return {
    region: 'us-east-1',
    name,
    kind: 'classic',
    dnsName: `${name}-1.us-east-1.elb.amazonaws.com`,
    createdAt: NOW - 10 * DAY,
    tags: { 'kubernetes.io/cluster/prod-eks': 'owned', 'kubernetes.io/service-name': service },
    inService: 1,
    registered: 2,
    ...overrides,
  };
}

const CTX: ClassifyContext = {
  clusters: [{ name: 'prod', awsName: 'prod-eks', region: undefined }],
  services: new Map([['prod', new Map([['shop/web', { type: 'NodePort', uid: 'x' }]])]]),
  busy: new Set(),
  graceMs: 0,
  now: NOW,
};

function report(lbs: ScannedLoadBalancer[], missing: { kind: 'region' | 'cluster'; name: string; problem: string }[] = []) {
  return buildReport(lbs, CTX, { prices: DEFAULT_LOAD_BALANCER_PRICES, missing });
}

function buttons(r: Reply): ActionsBlock['elements'] {
  return r.blocks.flatMap((b) => (b.type === 'actions' ? b.elements : []));
}

describe('renderOrphanReport', () => {
  it('none: says so, with what else it saw', () => {
    const r = renderOrphanReport(report([lb('x/y', { tags: { team: 'a' } })]), { commandName: '/svc', query: { page: 0 } });
    expect(blockKitViolations(r)).toEqual([]);
    expect(r.text).toMatch(/^\*No orphaned load balancers\*\./);
    expect(r.text).toContain('1 unmanaged load balancer (no cluster tag: not judged)');
    expect(buttons(r)).toEqual([]);
  });

  it('each orphan: what, whose, why, cost, and Delete / Snooze / Ignore with its key', () => {
    const gone = lb('shop/gone');
    const retyped = lb('shop/web', { createdAt: NOW - 40 * DAY });
    const r = renderOrphanReport(report([gone, retyped]), { commandName: '/svc', query: { page: 0 } });
    expect(blockKitViolations(r)).toEqual([]);
    const lines = blockLines(r);
    expect(lines[0]).toBe('*2 orphaned load balancers*: about $36.50/month, $30.00 so far.');
    expect(lines[1]).toBe(
      [
        `*\`${retyped.name}\`* · classic · \`us-east-1\` · \`${retyped.dnsName}\``,
        'Service `shop/web` on cluster `prod`: its Service is no longer of type LoadBalancer',
        'Created 2026-10-27 12:00 UTC (40d ago) · $24.00 so far · $18.25/month + data processed',
      ].join('\n'),
    );
    expect(lines[2]).toContain('Service `shop/gone` on cluster `prod`: its Service is gone');
    expect(buttons(r).map((b) => [b.action_id, parseOrphanKeyValue(b.value), b.text.text])).toEqual([
      [ACTION_IDS.orphanDelete, loadBalancerKey(retyped), 'Delete'],
      [ACTION_IDS.orphanSnooze, loadBalancerKey(retyped), 'Snooze 7 days'],
      [ACTION_IDS.orphanIgnore, loadBalancerKey(retyped), 'Ignore'],
      [ACTION_IDS.orphanDelete, loadBalancerKey(gone), 'Delete'],
      [ACTION_IDS.orphanSnooze, loadBalancerKey(gone), 'Snooze 7 days'],
      [ACTION_IDS.orphanIgnore, loadBalancerKey(gone), 'Ignore'],
    ]);
    expect(buttons(r)[0]?.confirm?.text.text).toContain('Asks for approval to delete');
  });

  it('a shared one: reported, no buttons', () => {
    const r = renderOrphanReport(report([lb('shop/gone', { tags: { 'kubernetes.io/cluster/prod-eks': 'shared', 'kubernetes.io/service-name': 'shop/gone' } })]), { commandName: '/svc', query: { page: 0 } });
    expect(r.text).toMatch(/^\*1 orphaned load balancer\*/);
    expect(blockLines(r).join('\n')).toContain('not the cluster’s to delete');
    expect(buttons(r)).toEqual([]);
  });

  it('lost clusters, idle ones and the parts it could not see', () => {
    const lost = lb('a/b', { tags: { 'kubernetes.io/cluster/old-prod': 'owned', 'kubernetes.io/service-name': 'a/b' } });
    const idle = lb('shop/web', { kind: 'network', arn: 'arn:1', inService: 0, tags: { 'elbv2.k8s.aws/cluster': 'prod-eks', 'service.k8s.aws/stack': 'shop/web' } });
    const ctx = { ...CTX, services: new Map([['prod', new Map([['shop/web', { type: 'LoadBalancer', uid: 'x' }]])]]) };
    const built = buildReport([lost, idle], ctx, { prices: DEFAULT_LOAD_BALANCER_PRICES, missing: [{ kind: 'region', name: 'eu-west-1', problem: 'AccessDenied' }] });
    const r = renderOrphanReport(built, { commandName: '/svc', query: { page: 0 } });
    expect(blockKitViolations(r)).toEqual([]);
    const all = blockLines(r).join('\n');
    expect(all).toContain('Not in this report (not judged, never called orphans): region `eu-west-1` (AccessDenied).');
    expect(all).toContain(`• cluster \`old-prod\` unknown — 1 load balancer, $18.25/month: \`${lost.name}\``);
    expect(all).toContain(`• \`${idle.name}\` — Service \`shop/web\` on cluster \`prod\`: 0 of 2 in service`);
  });

  it(`pages of ${ORPHANS_PER_PAGE}, with "Show more" carrying the query of the next page`, () => {
    const many = Array.from({ length: 25 }, (_, i) => lb(`shop/gone-${i}`, { createdAt: NOW - (100 - i) * DAY }));
    const built = report(many);
    const first = renderOrphanReport(built, { commandName: '/svc', query: { page: 0, cluster: 'prod' } });
    expect(blockKitViolations(first)).toEqual([]);
    expect(buttons(first).filter((b) => b.action_id === ACTION_IDS.orphanDelete)).toHaveLength(ORPHANS_PER_PAGE);
    const more = buttons(first).at(-1)!;
    expect(more.action_id).toBe(ACTION_IDS.orphansMore);
    expect(more.text.text).toBe('Show more (page 2 of 3)');
    expect(parseOrphanQueryValue(more.value)).toEqual({ page: 1, cluster: 'prod' });
    const last = renderOrphanReport(built, { commandName: '/svc', query: { page: 2, cluster: 'prod' } });
    expect(buttons(last).filter((b) => b.action_id === ACTION_IDS.orphanDelete).map((b) => parseOrphanKeyValue(b.value))).toEqual(many.slice(20).map(loadBalancerKey));
    expect(buttons(last).some((b) => b.action_id === ACTION_IDS.orphansMore)).toBe(false);
    // Every orphan is on one page or another: none cut silently.
    const pages = [0, 1, 2].map((page) => renderOrphanReport(built, { commandName: '/svc', query: { page } }));
    expect(pages.flatMap((p) => buttons(p).filter((b) => b.action_id === ACTION_IDS.orphanDelete).map((b) => parseOrphanKeyValue(b.value)))).toEqual(many.map(loadBalancerKey));
  });

  it('the scheduled report says what is new and what has gone', () => {
    const a = lb('shop/a');
    const r = renderOrphanReport(report([a]), { commandName: '/svc', query: { page: 0 }, changes: { isFirst: false, added: [loadBalancerKey(a)], gone: ['us-east-1/old'] } });
    expect(blockLines(r)).toContain('Since the last report: 1 new, 1 gone (`us-east-1/old`).');
    expect(blockLines(r).join('\n')).toContain(':new:');
  });

  it('escapes every name it echoes', () => {
    const evil = lb(`${EVIL.namespace}/${EVIL.name}`, { name: EVIL.name, dnsName: EVIL.text, region: EVIL.cluster });
    const r = renderOrphanReport(report([evil], [{ kind: 'cluster', name: EVIL.cluster, problem: EVIL.text }]), { commandName: '/svc', query: { page: 0, cluster: EVIL.cluster } });
    expect(slackConstructs(everything(r))).toEqual([]);
    expect(renderToText(r).text).toContain(EVIL.text);
  });
});

describe('orphan button values', () => {
  it.each(['us-east-1/a0123', 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/k8s-x/0123456789abcdef', '<!channel>/<@U1>&x'])('key %j round-trips, free of markup', (key) => {
    const value = orphanKeyValue(key);
    expect(value).not.toMatch(/[<>&]/);
    expect(parseOrphanKeyValue(value)).toBe(key);
  });

  it.each(['', '""', '3', 'not json', 'x'.repeat(3000)])('%j is not a key', (value) => {
    expect(parseOrphanKeyValue(value)).toBeUndefined();
  });
});

describe('orphan query values', () => {
  it.each([{ page: 0 }, { page: 3, cluster: 'prod', region: 'eu-west-1', all: true }])('%j round-trips', (query) => {
    expect(parseOrphanQueryValue(orphanQueryValue(query))).toEqual(query);
  });

  it.each(['', 'nope', '{"p":-1}', '{"p":1.5}', '{"p":1,"c":3}', '{"p":1,"a":true}', 'null', 'x'.repeat(3000)])('%j is not one', (value) => {
    expect(parseOrphanQueryValue(value)).toBeUndefined();
  });
});

import { DEFAULT_LOAD_BALANCER_PRICES, buildReport, changesSince, costOf, loadBalancerKey, reportedKeys } from '../../../src/domain/orphan-report.js';
import type { ClassifyContext, ScannedLoadBalancer } from '../../../src/domain/orphans.js';

const NOW = Date.UTC(2026, 11, 6, 12, 0, 0);
const HOUR = 3600_000;
const DAY = 24 * HOUR;

let serial = 0;
function lb(service: string | undefined, overrides: Partial<ScannedLoadBalancer> = {}): ScannedLoadBalancer {
  serial++;
  const name = `a${String(serial).padStart(31, '0')}`;
  const tags: Record<string, string> = service === undefined ? {} : { 'kubernetes.io/cluster/prod-eks': 'owned', 'kubernetes.io/service-name': service };
  return { region: 'us-east-1', name, kind: 'classic', dnsName: `${name}-1.us-east-1.elb.amazonaws.com`, createdAt: NOW - 10 * DAY, tags, inService: 1, registered: 1, ...overrides };
}

function context(overrides: Partial<ClassifyContext> = {}): ClassifyContext {
  return {
    clusters: [{ name: 'prod', awsName: 'prod-eks', region: undefined }],
    services: new Map([['prod', new Map([['shop/web', { type: 'LoadBalancer', uid: 'x' }]])]]),
    busy: new Set(),
    graceMs: 30 * 60_000,
    now: NOW,
    ...overrides,
  };
}

describe('costOf', () => {
  it("prices by kind and region, us-east-1's price where a region is not listed", () => {
    const prices = { ...DEFAULT_LOAD_BALANCER_PRICES, classic: { 'us-east-1': 0.025, 'sa-east-1': 0.034 } };
    expect(costOf({ kind: 'classic', region: 'us-east-1', createdAt: NOW - 10 * DAY }, prices, NOW)).toEqual({ hourlyUsd: 0.025, monthlyUsd: 18.25, soFarUsd: 6, usageExtra: 'data processed' });
    expect(costOf({ kind: 'classic', region: 'sa-east-1', createdAt: NOW }, prices, NOW)).toMatchObject({ hourlyUsd: 0.034, monthlyUsd: 24.82, soFarUsd: 0 });
    expect(costOf({ kind: 'network', region: 'eu-west-1', createdAt: NOW - 2 * HOUR }, prices, NOW)).toEqual({ hourlyUsd: 0.0225, monthlyUsd: 16.43, soFarUsd: 0.05, usageExtra: 'capacity units' });
  });

  it('a creation time in the future (clock skew) costs nothing so far', () => {
    expect(costOf({ kind: 'application', region: 'us-east-1', createdAt: NOW + HOUR }, DEFAULT_LOAD_BALANCER_PRICES, NOW).soFarUsd).toBe(0);
  });
});

describe('loadBalancerKey', () => {
  it('is the ARN of a v2 load balancer, region/name of a classic one', () => {
    expect(loadBalancerKey({ arn: 'arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/net/x/1', region: 'us-east-1', name: 'x' })).toBe('arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/net/x/1');
    expect(loadBalancerKey({ region: 'eu-west-1', name: 'abc' })).toBe('eu-west-1/abc');
  });
});

describe('buildReport', () => {
  const older = lb('shop/old', { createdAt: NOW - 30 * DAY });
  const newer = lb('shop/gone');
  // The controller's load balancers: not named after the Service's UID.
  const byController = { 'elbv2.k8s.aws/cluster': 'prod-eks', 'service.k8s.aws/stack': 'shop/web' };
  const inUse = lb(undefined, { kind: 'network', arn: 'arn:3', tags: byController });
  const idle = lb(undefined, { kind: 'network', arn: 'arn:4', tags: byController, inService: 0 });
  const lostA = lb(undefined, { tags: { 'kubernetes.io/cluster/old-prod': 'owned', 'kubernetes.io/service-name': 'a/b' } });
  const lostB = lb(undefined, { kind: 'network', arn: 'arn:1', tags: { 'elbv2.k8s.aws/cluster': 'old-prod', 'service.k8s.aws/stack': 'a/c' } });
  const unmanaged = lb(undefined, { tags: { team: 'x' } });
  const young = lb('shop/new', { createdAt: NOW - 60_000 });
  const ingress = lb(undefined, { kind: 'application', arn: 'arn:2', tags: { 'elbv2.k8s.aws/cluster': 'prod-eks', 'ingress.k8s.aws/stack': 'shop/front' } });
  const all = [newer, inUse, idle, lostA, lostB, unmanaged, young, ingress, older];

  it('sorts every load balancer into what the report shows, with totals', () => {
    const report = buildReport(all, context(), { prices: DEFAULT_LOAD_BALANCER_PRICES });
    expect(report.orphans.map((e) => e.lb)).toEqual([older, newer]);
    expect(report.orphans.every((e) => e.deletable)).toBe(true);
    expect(report.lostClusters).toHaveLength(1);
    expect(report.lostClusters[0]).toMatchObject({ awsCluster: 'old-prod', monthlyUsd: 34.68 });
    // Of the same age: by key (an ARN before a region).
    expect(report.lostClusters[0]!.entries.map((e) => e.lb)).toEqual([lostB, lostA]);
    expect(report.idle.map((e) => e.lb)).toEqual([idle]);
    expect(report.unmanagedCount).toBe(1);
    expect(report.settlingCount).toBe(1);
    expect(report.others).toEqual([]);
    // Orphans and lost clusters' load balancers: 3 classic + 1 NLB a month.
    expect(report.monthlyUsd).toBe(18.25 * 3 + 16.43);
    expect(report.soFarUsd).toBe(18 + 6 + 6 + 5.4);
  });

  it('with --all, also the settling and the Ingresses’ ones', () => {
    const report = buildReport(all, context(), { prices: DEFAULT_LOAD_BALANCER_PRICES, filter: { all: true } });
    expect(report.others.map((e) => e.lb)).toEqual([ingress, young]);
    expect(report.others.every((e) => !e.deletable)).toBe(true);
  });

  it('filters by cluster (lost clusters are nobody’s) and by region', () => {
    expect(buildReport(all, context(), { prices: DEFAULT_LOAD_BALANCER_PRICES, filter: { cluster: 'prod' } }).lostClusters).toEqual([]);
    expect(buildReport(all, context(), { prices: DEFAULT_LOAD_BALANCER_PRICES, filter: { cluster: 'staging' } }).orphans).toEqual([]);
    const elsewhere = lb('shop/gone', { region: 'eu-west-1' });
    const report = buildReport([...all, elsewhere], context(), { prices: DEFAULT_LOAD_BALANCER_PRICES, filter: { region: 'eu-west-1' } });
    expect(report.orphans.map((e) => e.lb)).toEqual([elsewhere]);
  });

  it('leaves out what was snoozed (until it wakes) or ignored, and counts them', () => {
    const setAside = { snoozedUntil: new Map([[loadBalancerKey(newer), NOW + DAY], [loadBalancerKey(older), NOW - 1]]), ignored: new Set([loadBalancerKey(lostB)]) };
    const report = buildReport(all, context(), { prices: DEFAULT_LOAD_BALANCER_PRICES, setAside });
    expect(report.orphans.map((e) => e.lb)).toEqual([older]);
    expect(report.snoozedCount).toBe(1);
    expect(report.ignoredCount).toBe(1);
    expect(report.lostClusters[0]!.entries.map((e) => e.lb)).toEqual([lostA]);
  });

  it('says which parts it could not see; their load balancers are never orphans', () => {
    const missing = [{ kind: 'cluster' as const, name: 'prod', problem: 'the API server did not answer' }];
    const report = buildReport(all, context({ services: new Map() }), { prices: DEFAULT_LOAD_BALANCER_PRICES, missing });
    expect(report.orphans).toEqual([]);
    expect(report.missing).toEqual(missing);
  });
});

describe('changesSince', () => {
  const a = lb('shop/a');
  const b = lb('shop/b');
  const c = lb('shop/c');
  const report = buildReport([a, b], context(), { prices: DEFAULT_LOAD_BALANCER_PRICES });

  it('the first report: everything is new', () => {
    expect(changesSince(undefined, report)).toEqual({ isFirst: true, added: reportedKeys(report), gone: [] });
  });

  it('what is new and what has gone since the previous report', () => {
    const previous = [loadBalancerKey(b), loadBalancerKey(c)];
    expect(changesSince(previous, report)).toEqual({ isFirst: false, added: [loadBalancerKey(a)], gone: [loadBalancerKey(c)] });
  });
});

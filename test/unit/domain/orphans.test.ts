import { attribute, classify, deletable, inTreeLoadBalancerName, type ClassifyContext, type ListedService, type ScannedLoadBalancer } from '../../../src/domain/orphans.js';

const NOW = Date.UTC(2026, 11, 6, 12, 0, 0);
const HOUR = 3600_000;
const UID = '3f0c1e2d-4b5a-6978-8a9b-0c1d2e3f4a5b';
const LB_NAME = inTreeLoadBalancerName(UID);

function lb(overrides: Partial<ScannedLoadBalancer> = {}): ScannedLoadBalancer {
  return {
    region: 'us-east-1',
    name: LB_NAME,
    kind: 'classic',
    dnsName: `${LB_NAME}-1234567890.us-east-1.elb.amazonaws.com`,
    createdAt: NOW - 48 * HOUR,
    tags: { 'kubernetes.io/cluster/prod-eks': 'owned', 'kubernetes.io/service-name': 'shop/web' },
    inService: 2,
    registered: 2,
    ...overrides,
  };
}

function services(entries: Record<string, ListedService>): Map<string, ListedService> {
  return new Map(Object.entries(entries));
}

function context(overrides: Partial<ClassifyContext> = {}): ClassifyContext {
  return {
    clusters: [
      { name: 'prod', awsName: 'prod-eks', region: 'us-east-1' },
      { name: 'staging', awsName: 'staging-eks', region: undefined },
    ],
    services: new Map([
      ['prod', services({ 'shop/web': { type: 'LoadBalancer', uid: UID } })],
      ['staging', services({})],
    ]),
    busy: new Set(),
    graceMs: 30 * 60_000,
    now: NOW,
    ...overrides,
  };
}

describe('inTreeLoadBalancerName', () => {
  it('is a + the UID without dashes, 32 characters', () => {
    expect(inTreeLoadBalancerName(UID)).toBe('a3f0c1e2d4b5a69788a9b0c1d2e3f4a5');
    expect(inTreeLoadBalancerName(UID)).toHaveLength(32);
  });
});

describe('attribute', () => {
  it.each([
    ['the in-tree provider', { 'kubernetes.io/cluster/prod-eks': 'owned', 'kubernetes.io/service-name': 'shop/web' }, { owner: 'service', cluster: 'prod-eks', namespace: 'shop', name: 'web', shared: false, controller: 'in-tree' }],
    ['a shared cluster tag', { 'kubernetes.io/cluster/prod-eks': 'shared', 'kubernetes.io/service-name': 'shop/web' }, { owner: 'service', cluster: 'prod-eks', namespace: 'shop', name: 'web', shared: true, controller: 'in-tree' }],
    ['a cluster from before 1.6', { KubernetesCluster: 'old', 'kubernetes.io/service-name': 'default/api' }, { owner: 'service', cluster: 'old', namespace: 'default', name: 'api', shared: false, controller: 'in-tree' }],
    ['the AWS Load Balancer Controller', { 'elbv2.k8s.aws/cluster': 'prod-eks', 'service.k8s.aws/stack': 'shop/cart', 'service.k8s.aws/resource': 'LoadBalancer' }, { owner: 'service', cluster: 'prod-eks', namespace: 'shop', name: 'cart', shared: false, controller: 'aws-load-balancer-controller' }],
    ['an Ingress', { 'elbv2.k8s.aws/cluster': 'prod-eks', 'ingress.k8s.aws/stack': 'shop/storefront' }, { owner: 'ingress', cluster: 'prod-eks', stack: 'shop/storefront', shared: false }],
    ['a cluster tag alone', { 'kubernetes.io/cluster/prod-eks': 'owned', team: 'web' }, { owner: 'cluster', cluster: 'prod-eks', shared: false }],
    ['a malformed Service tag', { 'kubernetes.io/cluster/prod-eks': 'owned', 'kubernetes.io/service-name': 'web' }, { owner: 'cluster', cluster: 'prod-eks', shared: false }],
    ['no cluster tag', { 'kubernetes.io/service-name': 'shop/web', team: 'web' }, { owner: 'none' }],
    ['no tags', {}, { owner: 'none' }],
  ])('%s', (_what, tags, expected) => {
    expect(attribute(tags)).toEqual(expected);
  });
});

describe('classify', () => {
  it('a load balancer its Service still wants is in use', () => {
    expect(classify(lb(), context())).toEqual({ status: 'in-use', cluster: 'prod', namespace: 'shop', name: 'web', idle: false });
  });

  it('in use but nothing in service: idle', () => {
    expect(classify(lb({ inService: 0 }), context())).toMatchObject({ status: 'in-use', idle: true });
    expect(classify(lb({ inService: undefined }), context())).toMatchObject({ status: 'in-use', idle: false });
  });

  it('its Service is gone: an orphan', () => {
    const verdict = classify(lb({ tags: { 'kubernetes.io/cluster/prod-eks': 'owned', 'kubernetes.io/service-name': 'shop/gone' } }), context());
    expect(verdict).toEqual({ status: 'orphan', cluster: 'prod', namespace: 'shop', name: 'gone', reason: 'service-gone', shared: false, idle: false });
    expect(deletable(verdict)).toBe(true);
  });

  it('its Service is no longer a LoadBalancer: an orphan', () => {
    const ctx = context({ services: new Map([['prod', services({ 'shop/web': { type: 'NodePort', uid: UID } })]]) });
    expect(classify(lb(), ctx)).toMatchObject({ status: 'orphan', reason: 'not-load-balancer' });
  });

  it('a newer Service of the same name has another load balancer: this one is a stale orphan', () => {
    const ctx = context({ services: new Map([['prod', services({ 'shop/web': { type: 'LoadBalancer', uid: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' } })]]) });
    expect(classify(lb(), ctx)).toMatchObject({ status: 'orphan', reason: 'recreated' });
    // The same for an in-tree NLB, also named after the UID.
    expect(classify(lb({ kind: 'network', arn: 'arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/net/x/1' }), ctx)).toMatchObject({ status: 'orphan', reason: 'recreated' });
  });

  it("the controller's load balancers are not named after the UID: a recreated Service keeps it", () => {
    const tags = { 'elbv2.k8s.aws/cluster': 'prod-eks', 'service.k8s.aws/stack': 'shop/web' };
    const ctx = context({ services: new Map([['prod', services({ 'shop/web': { type: 'LoadBalancer', uid: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' } })]]) });
    expect(classify(lb({ kind: 'network', name: 'k8s-shop-web-0123456789', tags }), ctx)).toMatchObject({ status: 'in-use' });
  });

  it('a shared load balancer is reported but never deletable', () => {
    const verdict = classify(lb({ tags: { 'kubernetes.io/cluster/prod-eks': 'shared', 'kubernetes.io/service-name': 'shop/gone' } }), context());
    expect(verdict).toMatchObject({ status: 'orphan', shared: true });
    expect(deletable(verdict)).toBe(false);
  });

  it("a namespaced install: a Service's load balancer in another namespace is not svcbot's to judge, listed or not", () => {
    const clusters = [{ name: 'prod', awsName: 'prod-eks', region: 'us-east-1', namespaces: ['web', 'api'] }];
    const gone = lb({ tags: { 'kubernetes.io/cluster/prod-eks': 'owned', 'kubernetes.io/service-name': 'shop/gone' } });
    const verdict = classify(gone, context({ clusters }));
    expect(verdict).toEqual({ status: 'other-namespace', cluster: 'prod', namespace: 'shop' });
    expect(deletable(verdict)).toBe(false);
    expect(classify(gone, context({ clusters, services: new Map() }))).toEqual({ status: 'other-namespace', cluster: 'prod', namespace: 'shop' });
    // In a configured namespace, judged as ever.
    const ours = lb({ tags: { 'kubernetes.io/cluster/prod-eks': 'owned', 'kubernetes.io/service-name': 'web/gone' } });
    expect(classify(ours, context({ clusters }))).toMatchObject({ status: 'orphan', namespace: 'web', reason: 'service-gone' });
  });

  it('a cluster svcbot is not configured for: lost cluster', () => {
    expect(classify(lb({ tags: { 'kubernetes.io/cluster/old-prod': 'owned', 'kubernetes.io/service-name': 'shop/web' } }), context())).toEqual({ status: 'lost-cluster', awsCluster: 'old-prod', shared: false });
  });

  it('a cluster of another region is another cluster', () => {
    expect(classify(lb({ region: 'eu-west-1' }), context())).toMatchObject({ status: 'lost-cluster', awsCluster: 'prod-eks' });
    // A cluster without a region matches in every region.
    const tags = { 'kubernetes.io/cluster/staging-eks': 'owned', 'kubernetes.io/service-name': 'a/b' };
    expect(classify(lb({ region: 'eu-west-1', tags }), context())).toMatchObject({ status: 'orphan', cluster: 'staging' });
  });

  it('no cluster tag: unmanaged, never an orphan', () => {
    const verdict = classify(lb({ tags: { team: 'web' } }), context());
    expect(verdict).toEqual({ status: 'unmanaged' });
    expect(deletable(verdict)).toBe(false);
  });

  it("an Ingress's load balancer is listed under its Ingress, never an orphan", () => {
    const verdict = classify(lb({ kind: 'application', tags: { 'elbv2.k8s.aws/cluster': 'prod-eks', 'ingress.k8s.aws/stack': 'shop/front' }, inService: 0 }), context());
    expect(verdict).toEqual({ status: 'ingress', cluster: 'prod', stack: 'shop/front', idle: true });
    expect(deletable(verdict)).toBe(false);
  });

  it('tagged for a managed cluster but naming no Service: listed, never an orphan', () => {
    const verdict = classify(lb({ tags: { 'kubernetes.io/cluster/prod-eks': 'owned' } }), context());
    expect(verdict).toEqual({ status: 'cluster-only', cluster: 'prod', idle: false });
    expect(deletable(verdict)).toBe(false);
  });

  it('a cluster that could not be listed: unknown, never guessed an orphan', () => {
    const ctx = context({ services: new Map() });
    expect(classify(lb({ tags: { 'kubernetes.io/cluster/prod-eks': 'owned', 'kubernetes.io/service-name': 'shop/gone' } }), ctx)).toEqual({ status: 'unknown', cluster: 'prod' });
  });

  it('younger than the grace period: settling', () => {
    const gone = { 'kubernetes.io/cluster/prod-eks': 'owned', 'kubernetes.io/service-name': 'shop/gone' };
    expect(classify(lb({ tags: gone, createdAt: NOW - 29 * 60_000 }), context())).toEqual({ status: 'settling', why: 'young' });
    expect(classify(lb({ tags: gone, createdAt: NOW - 31 * 60_000 }), context())).toMatchObject({ status: 'orphan' });
    // A grace of 0 turns it off.
    expect(classify(lb({ tags: gone, createdAt: NOW }), context({ graceMs: 0 }))).toMatchObject({ status: 'orphan' });
  });

  it('its Service has a svcbot job running: settling', () => {
    const gone = { 'kubernetes.io/cluster/prod-eks': 'owned', 'kubernetes.io/service-name': 'shop/gone' };
    expect(classify(lb({ tags: gone }), context({ busy: new Set(['prod/shop/gone']) }))).toEqual({ status: 'settling', why: 'job-running' });
  });
});

/**
 * LoadBalancerRemoval against the sandbox's ELB endpoint, through the real AWS SDK clients: the full
 * description of a classic load balancer and of an NLB (listeners, health checks, what is behind them,
 * tags), for the record; deleting, after which AWS no longer lists it; deleting again; throttling; and
 * keys that name no load balancer.
 */
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { BotError } from '../../src/domain/errors.js';
import { describeRecord, type LoadBalancerRecord } from '../../src/domain/load-balancer-record.js';
import { loadBalancerKey } from '../../src/domain/orphan-report.js';
import { createLoadBalancerRemoval } from '../../src/adapters/load-balancer-removal.js';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { countCalls } from '../helpers/aws-calls.js';

const NOW = Date.UTC(2025, 4, 1, 9, 30);

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ kubeconfigPath: null, nodes: 1, instanceWarmupMs: 0, dnsDelayMs: 0, provisionDelayMs: 0 });
});
afterAll(() => sandbox.close());
afterEach(() => {
  sandbox.faults.set({ elbThrottleRatePerSecond: 0 });
  for (const lb of sandbox.elbv2.listLoadBalancers()) sandbox.elbv2.deleteLoadBalancer(lb.arn);
  for (const lb of sandbox.elb.list()) sandbox.elb.delete(lb.name);
});

/**
 * The removal over clients made as svcbot's composition root makes them (adaptive retries), or with one
 * attempt only; `calls` counts both clients' calls by command, and `after` runs after each.
 */
function removalWith(retry: { retryMode?: 'adaptive'; maxAttempts: number } = { maxAttempts: 1 }, after?: (command: string) => void) {
  const common = { region: sandbox.info.region, endpoint: sandbox.info.elbEndpoint, credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' }, ...retry };
  const classic = new ElasticLoadBalancingClient(common);
  const v2 = new ElasticLoadBalancingV2Client(common);
  const classicCalls = countCalls(classic, after);
  const v2Calls = countCalls(v2, after);
  const total = () => [...classicCalls.values(), ...v2Calls.values()].reduce((a, b) => a + b, 0);
  return { removal: createLoadBalancerRemoval({ classicClientFor: () => classic, v2ClientFor: () => v2, now: () => NOW }), total };
}

function removal(retry?: { retryMode?: 'adaptive'; maxAttempts: number }) {
  return removalWith(retry).removal;
}

const owned = { 'kubernetes.io/cluster/prod': 'owned', 'kubernetes.io/service-name': 'default/web' };

function seedClassic(name = 'a0123456789abcdef0123456789abcde') {
  const lb = sandbox.elb.create({
    name,
    listeners: [
      { protocol: 'TCP', loadBalancerPort: 80, instanceProtocol: 'TCP', instancePort: 30080 },
      { protocol: 'SSL', loadBalancerPort: 443, instanceProtocol: 'TCP', instancePort: 30443, sslCertificateId: 'arn:aws:acm:us-east-1:123456789012:certificate/abc' },
    ],
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    tags: owned,
  });
  sandbox.elb.configureHealthCheck(name, { target: 'TCP:30080', interval: 10, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 6 });
  sandbox.elb.registerInstances(name, ['i-0aaa', 'i-0bbb']);
  return lb;
}

function seedNlb() {
  const lb = sandbox.elbv2.createLoadBalancer({ name: 'k8s-default-web-0a1b2c3d4e', type: 'network', subnets: ['subnet-0a1b2c3d', 'subnet-4e5f6a7b'], tags: { 'elbv2.k8s.aws/cluster': 'prod', 'service.k8s.aws/stack': 'default/web' } });
  const group = sandbox.elbv2.createTargetGroup({ name: 'k8s-default-web-tcp', protocol: 'TCP', port: 30080, vpcId: sandbox.elbv2.vpcId, tags: { 'service.k8s.aws/stack': 'default/web' } });
  const listener = sandbox.elbv2.createListener({ loadBalancerArn: lb.arn, protocol: 'TCP', port: 80, defaultActions: [{ type: 'forward', targetGroupArn: group.arn }] });
  sandbox.elbv2.registerTargets(group.arn, [{ id: 'i-0aaa' }, { id: 'i-0bbb' }]);
  sandbox.elbv2.setTargetHealth(group.arn, 'i-0bbb', 'unhealthy');
  return { lb, group, listener };
}

test('describes a classic load balancer: listeners, health check, instances with health, tags, placement, attributes', async () => {
  const lb = seedClassic();
  const key = loadBalancerKey({ region: sandbox.info.region, name: lb.name });
  const record = await removal().describe(key);
  expect(record).toEqual({
    kind: 'classic',
    key: `us-east-1/${lb.name}`,
    region: 'us-east-1',
    name: lb.name,
    dnsName: lb.dnsName,
    scheme: 'internet-facing',
    createdAt: lb.createdTime.toISOString(),
    vpcId: lb.vpcId,
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    subnets: lb.subnets,
    securityGroups: lb.securityGroups,
    sourceSecurityGroup: { ownerAlias: '123456789012', groupName: expect.any(String) },
    tags: owned,
    listeners: [
      { protocol: 'TCP', loadBalancerPort: 80, instanceProtocol: 'TCP', instancePort: 30080, policyNames: [] },
      { protocol: 'SSL', loadBalancerPort: 443, instanceProtocol: 'TCP', instancePort: 30443, sslCertificateId: 'arn:aws:acm:us-east-1:123456789012:certificate/abc', policyNames: [] },
    ],
    healthCheck: { target: 'TCP:30080', intervalSeconds: 10, timeoutSeconds: 5, healthyThreshold: 2, unhealthyThreshold: 6 },
    instances: [
      { instanceId: 'i-0aaa', state: 'InService' },
      { instanceId: 'i-0bbb', state: 'InService' },
    ],
    policies: { appCookieStickiness: [], lbCookieStickiness: [], other: [] },
    backendServers: [],
    attributes: {
      crossZoneLoadBalancing: false,
      accessLog: { enabled: false },
      connectionDraining: { enabled: false, timeoutSeconds: 300 },
      idleTimeoutSeconds: 60,
      additional: { 'elb.http.desyncmitigationmode': 'defensive' },
    },
    describedAt: new Date(NOW).toISOString(),
  });
  // It is the audit log's text: JSON and back gives the same record.
  expect(JSON.parse(JSON.stringify(record))).toEqual(record);
  expect(describeRecord(record!)).toEqual(
    expect.arrayContaining([
      'Listeners: TCP:80 → TCP:30080, SSL:443 → TCP:30443 (certificate arn:aws:acm:us-east-1:123456789012:certificate/abc)',
      'Health check: TCP:30080 every 10 s, timeout 5 s, healthy after 2, unhealthy after 6',
      'Instances: 2 (2 in service): i-0aaa InService, i-0bbb InService',
    ]),
  );
});

test('describes an NLB: its listener, its target group with health check settings, targets with health, tags', async () => {
  const { lb, group, listener } = seedNlb();
  const record = await removal().describe(loadBalancerKey({ region: 'us-east-1', name: lb.name, arn: lb.arn }));
  expect(record).toEqual({
    kind: 'network',
    key: lb.arn,
    arn: lb.arn,
    region: 'us-east-1',
    name: lb.name,
    dnsName: lb.dnsName,
    scheme: 'internet-facing',
    createdAt: lb.createdTime.toISOString(),
    state: 'active',
    vpcId: lb.vpcId,
    ipAddressType: 'ipv4',
    availabilityZones: lb.availabilityZones.map((z) => ({ zoneName: z.zoneName, subnetId: z.subnetId, addresses: [] })),
    securityGroups: [],
    tags: { 'elbv2.k8s.aws/cluster': 'prod', 'service.k8s.aws/stack': 'default/web' },
    listeners: [
      {
        arn: listener.arn,
        protocol: 'TCP',
        port: 80,
        certificates: [],
        alpnPolicy: [],
        defaultActions: [
          { type: 'forward', targetGroupArn: group.arn, forward: { targetGroups: [{ targetGroupArn: group.arn, weight: 1 }], stickiness: { enabled: false } } },
        ],
      },
    ],
    targetGroups: [
      {
        arn: group.arn,
        name: 'k8s-default-web-tcp',
        protocol: 'TCP',
        port: 30080,
        targetType: 'instance',
        vpcId: sandbox.elbv2.vpcId,
        ipAddressType: 'ipv4',
        healthCheck: { enabled: true, protocol: 'TCP', port: 'traffic-port', intervalSeconds: 30, timeoutSeconds: 10, healthyThreshold: 5, unhealthyThreshold: 2 },
        tags: { 'service.k8s.aws/stack': 'default/web' },
        targets: [
          { id: 'i-0aaa', port: 30080, state: 'healthy' },
          { id: 'i-0bbb', port: 30080, state: 'unhealthy', reason: 'Target.FailedHealthChecks', description: 'Health checks failed' },
        ],
      },
    ],
    describedAt: new Date(NOW).toISOString(),
  });
  expect(JSON.parse(JSON.stringify(record))).toEqual(record);
  expect(describeRecord(record!)).toEqual(
    expect.arrayContaining([
      'Listeners: TCP:80 → forward to k8s-default-web-tcp',
      expect.stringContaining('targets: 2 (1 healthy): i-0aaa:30080 healthy, i-0bbb:30080 unhealthy'),
    ]),
  );
});

test('an unknown load balancer is undefined, not listed, and deleting it is "gone"', async () => {
  const r = removal();
  const arn = `arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/nothing/0123456789abcdef`;
  for (const key of ['us-east-1/nothing', arn]) {
    await expect(r.describe(key)).resolves.toBeUndefined();
    await expect(r.isListed(key)).resolves.toBe(false);
    await expect(r.delete(key)).resolves.toBe('gone');
  }
});

test.each([
  ['classic', () => `us-east-1/${seedClassic().name}`],
  ['v2', () => seedNlb().lb.arn],
])('a %s load balancer: deleted, then not listed and not described; deleting it again is "gone"', async (_api, seed) => {
  const key = seed();
  const r = removal();
  await expect(r.isListed(key)).resolves.toBe(true);
  await expect(r.delete(key)).resolves.toBe('deleted');
  await expect(r.isListed(key)).resolves.toBe(false);
  await expect(r.describe(key)).resolves.toBeUndefined();
  await expect(r.delete(key)).resolves.toBe('gone');
  expect(sandbox.elb.list()).toEqual([]);
  expect(sandbox.elbv2.listLoadBalancers()).toEqual([]);
});

test('deleting an NLB takes its listeners with it and leaves its target group, serving nothing', async () => {
  const { lb, group, listener } = seedNlb();
  await expect(removal().delete(lb.arn)).resolves.toBe('deleted');
  expect(sandbox.elbv2.getListener(listener.arn)).toBeUndefined();
  expect(sandbox.elbv2.getTargetGroup(group.arn)?.loadBalancerArns).toEqual([]);
});

test('throttled with one attempt: a throttled, transient BotError that names the load balancer and the region', async () => {
  const key = `us-east-1/${seedClassic().name}`;
  sandbox.faults.set({ elbThrottleRatePerSecond: 1 });
  const r = removal();
  const errors = await Promise.all([r.describe(key), r.describe(key)].map((p) => p.then(() => undefined, (err: unknown) => err)));
  const err = errors.find((e) => e !== undefined);
  expect(err).toBeInstanceOf(BotError);
  expect(err).toMatchObject({ code: 'aws_error', throttled: true, transient: true });
  expect((err as BotError).userMessage).toMatch(/^could not describe the classic load balancer a0123456789abcdef0123456789abcde in us-east-1 \(Throttling: Rate exceeded\)$/);
});

test("throttled with svcbot's adaptive retries: the description and the deletion still succeed", async () => {
  const { lb } = seedNlb();
  sandbox.faults.set({ elbThrottleRatePerSecond: 3 });
  const r = removal({ retryMode: 'adaptive', maxAttempts: 5 });
  const record: LoadBalancerRecord | undefined = await r.describe(lb.arn);
  expect(record?.kind === 'network' && record.targetGroups[0]?.targets).toHaveLength(2);
  await expect(r.delete(lb.arn)).resolves.toBe('deleted');
  await expect(r.isListed(lb.arn)).resolves.toBe(false);
}, 30_000);

test.each([
  'web',
  'us-east-1/',
  '/web',
  'us-east-1/-web',
  'us-east-1/a/b',
  'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef',
  'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/web',
])('a key that names no load balancer (%s) is refused before AWS is asked', async (key) => {
  const { removal: r, total } = removalWith();
  for (const call of [() => r.describe(key), () => r.delete(key), () => r.isListed(key)]) {
    await expect(call()).rejects.toMatchObject({ name: 'BotError', code: 'invalid', transient: false });
  }
  expect(total()).toBe(0);
});

test.each([
  ['classic', () => `us-east-1/${seedClassic().name}`],
  ['v2', () => seedNlb().lb.arn],
])('a %s load balancer deleted while it is being described is undefined', async (_api, seed) => {
  const key = seed();
  const { removal: r } = removalWith({ maxAttempts: 1 }, (command) => {
    if (command !== 'DescribeLoadBalancersCommand') return;
    for (const lb of sandbox.elbv2.listLoadBalancers()) sandbox.elbv2.deleteLoadBalancer(lb.arn);
    for (const lb of sandbox.elb.list()) sandbox.elb.delete(lb.name);
  });
  await expect(r.describe(key)).resolves.toBeUndefined();
});

test('an aborted description rejects with the abort, not as an AWS failure', async () => {
  const key = `us-east-1/${seedClassic().name}`;
  const controller = new AbortController();
  controller.abort();
  const err = await removal().describe(key, { signal: controller.signal }).catch((e: unknown) => e);
  expect(err).not.toBeInstanceOf(BotError);
  expect(err).toMatchObject({ name: 'AbortError' });
});

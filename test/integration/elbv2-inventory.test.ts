/**
 * The ELBv2 inventory against the sandbox's ELBv2 API, through the real AWS SDK client: every NLB and ALB
 * of the region with its tags and healthy targets, in the fewest describe and tag calls the API allows,
 * the region's target groups listed once (not once per load balancer) and their health asked only behind
 * a cluster's load balancers; a load balancer deleted in the middle of a scan is left out and costs its
 * batch nothing; every call waits its turn at the region's pacer.
 *
 * The sandbox cannot delete a target group: those a test makes stay for the rest of the file, so the
 * expected pages of target groups are counted from what the sandbox holds.
 */
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { countCalls, countingPacer } from '../helpers/aws-calls.js';
import { combinedInventory, createV2Inventory } from '../../src/adapters/elbv2-inventory.js';
import { createClassicInventory } from '../../src/adapters/elb-inventory.js';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ kubeconfigPath: null, nodes: 1, instanceWarmupMs: 0, dnsDelayMs: 0, provisionDelayMs: 0 });
});
afterAll(() => sandbox.close());
afterEach(() => {
  for (const lb of sandbox.elbv2.listLoadBalancers()) sandbox.elbv2.deleteLoadBalancer(lb.arn);
  for (const lb of sandbox.elb.list()) sandbox.elb.delete(lb.name);
});

function countingClient(after?: (commandName: string) => void): { client: ElasticLoadBalancingV2Client; calls: Map<string, number> } {
  const client = new ElasticLoadBalancingV2Client({
    region: sandbox.info.region,
    endpoint: sandbox.info.elbEndpoint,
    credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
    maxAttempts: 1,
  });
  return { client, calls: countCalls(client, after) };
}

const total = (calls: Map<string, number>) => [...calls.values()].reduce((a, b) => a + b, 0);
/** Pages of the unfiltered DescribeTargetGroups: every target group the sandbox holds, 400 a page, at least one. */
const targetGroupPages = () => Math.max(1, Math.ceil(sandbox.elbv2.listTargetGroups().length / 400));

const byController = (service: string) => ({ 'elbv2.k8s.aws/cluster': 'prod-eks', 'service.k8s.aws/stack': service });

function loadBalancer(name: string, tags: Record<string, string>, type: 'network' | 'application' = 'network') {
  return sandbox.elbv2.createLoadBalancer({ name, type, subnets: ['subnet-1', 'subnet-2'], tags });
}

/** A target group behind `behind`, with `targets` registered (healthy unless pinned otherwise). */
function targetGroup(name: string, behind: string[], targets: { id: string; health?: 'unhealthy' }[]) {
  const group = sandbox.elbv2.createTargetGroup({ name, protocol: 'TCP', port: 30080, vpcId: sandbox.elbv2.vpcId });
  for (const arn of behind) sandbox.elbv2.attachTargetGroup(group.arn, arn);
  sandbox.elbv2.registerTargets(group.arn, targets.map(({ id }) => ({ id })));
  for (const t of targets) if (t.health) sandbox.elbv2.setTargetHealth(group.arn, t.id, t.health);
  return group;
}

test('every NLB and ALB with its tags, in ceil(N/400) pages and ceil(N/20) tag calls; the target groups in one listing', async () => {
  const n = 450;
  for (let i = 0; i < n; i++) loadBalancer(`k8s-lb-${i}`, i % 2 === 0 ? byController(`default/s${i}`) : { team: 'x' }, i % 3 === 0 ? 'application' : 'network');
  const { client, calls } = countingClient();
  const { pacerFor, paced } = countingPacer();
  const scanned = await createV2Inventory({ clientFor: () => client, pacerFor }).scan(sandbox.info.region);
  expect(scanned).toHaveLength(n);
  expect(calls.get('DescribeLoadBalancersCommand')).toBe(Math.ceil(n / 400));
  expect(calls.get('DescribeTagsCommand')).toBe(Math.ceil(n / 20));
  const first = scanned.find((lb) => lb.name === 'k8s-lb-0')!;
  // A cluster's load balancer with no target group behind it: no targets at all.
  expect(first).toMatchObject({ region: 'us-east-1', kind: 'application', tags: byController('default/s0'), registered: 0, inService: 0 });
  expect(first.arn).toMatch(/^arn:aws:elasticloadbalancing:us-east-1:\d{12}:loadbalancer\/app\/k8s-lb-0\/[0-9a-f]{16}$/);
  expect(scanned.find((lb) => lb.name === 'k8s-lb-1')).toMatchObject({ kind: 'network' });
  // Targets matter only where a cluster tag makes them: none counted here.
  expect(scanned.find((lb) => lb.name === 'k8s-lb-1')).not.toHaveProperty('inService');
  // Not one call per load balancer: the region's target groups, once.
  expect(calls.get('DescribeTargetGroupsCommand')).toBe(targetGroupPages());
  expect(calls.get('DescribeTargetHealthCommand')).toBeUndefined();
  expect(paced.get('us-east-1')).toBe(total(calls));
});

test('targets: over all target groups behind a load balancer, in service when healthy, each group asked once and only behind a cluster', async () => {
  const web = loadBalancer('k8s-web', byController('default/web'));
  const api = loadBalancer('k8s-api', byController('default/api'), 'application');
  const admin = loadBalancer('k8s-admin', byController('default/admin'), 'application');
  const other = loadBalancer('team-x', { team: 'x' });
  targetGroup('web-a', [web.arn], [{ id: 'i-1' }, { id: 'i-2', health: 'unhealthy' }]);
  targetGroup('web-b', [web.arn], [{ id: 'i-3' }]);
  targetGroup('shared', [api.arn, admin.arn], [{ id: 'i-4' }]);
  targetGroup('other', [other.arn], [{ id: 'i-5' }]);
  // Enough target groups behind nothing for a second page.
  for (let i = 0; i < 400; i++) targetGroup(`idle-${i}`, [], []);
  const { client, calls } = countingClient();
  const { pacerFor, paced } = countingPacer();
  const scanned = await createV2Inventory({ clientFor: () => client, pacerFor }).scan(sandbox.info.region);
  const byName = new Map(scanned.map((lb) => [lb.name, lb]));
  expect(byName.get('k8s-web')).toMatchObject({ registered: 3, inService: 2 });
  // A target group behind two load balancers counts for each.
  expect(byName.get('k8s-api')).toMatchObject({ registered: 1, inService: 1 });
  expect(byName.get('k8s-admin')).toMatchObject({ registered: 1, inService: 1 });
  expect(byName.get('team-x')).not.toHaveProperty('inService');
  expect(targetGroupPages()).toBeGreaterThanOrEqual(2);
  expect(calls.get('DescribeTargetGroupsCommand')).toBe(targetGroupPages());
  // web-a, web-b and shared once; not 'other' (no cluster tag) nor the idle ones.
  expect(calls.get('DescribeTargetHealthCommand')).toBe(3);
  expect(paced.get('us-east-1')).toBe(total(calls));
});

test('a load balancer deleted after the target groups were read is left out, and its targets are not asked for', async () => {
  const kept = loadBalancer('k8s-kept', byController('default/kept'));
  const gone = loadBalancer('k8s-gone', byController('default/gone'));
  targetGroup('kept-tg', [kept.arn], [{ id: 'i-1' }]);
  targetGroup('gone-tg', [gone.arn], [{ id: 'i-2' }]);
  const { client, calls } = countingClient((command) => {
    if (command === 'DescribeTargetGroupsCommand') sandbox.elbv2.deleteLoadBalancer(gone.arn);
  });
  const scanned = await createV2Inventory({ clientFor: () => client, pacerFor: countingPacer().pacerFor }).scan(sandbox.info.region);
  expect(scanned.map((lb) => lb.name)).toEqual(['k8s-kept']);
  expect(scanned[0]).toMatchObject({ registered: 1, inService: 1 });
  expect(calls.get('DescribeTargetHealthCommand')).toBe(1);
});

test('a target group deleted before its health was read: its load balancers are listed with their targets unknown', async () => {
  const web = loadBalancer('k8s-web', byController('default/web'));
  const api = loadBalancer('k8s-api', byController('default/api'));
  targetGroup('web-tg', [web.arn], [{ id: 'i-1' }]);
  const vanished = targetGroup('api-tg', [api.arn], [{ id: 'i-2' }]);
  const { client } = countingClient();
  // The sandbox cannot delete a target group: answer as AWS does for one deleted meanwhile.
  (client.middlewareStack as ElasticLoadBalancingClient['middlewareStack']).add(
    (next) => async (args) => {
      if ((args.input as { TargetGroupArn?: string }).TargetGroupArn === vanished.arn) {
        throw Object.assign(new Error(`Target groups '${vanished.arn}' not found`), { name: 'TargetGroupNotFoundException' });
      }
      return next(args);
    },
    { step: 'initialize' },
  );
  const scanned = await createV2Inventory({ clientFor: () => client, pacerFor: countingPacer().pacerFor }).scan(sandbox.info.region);
  const byName = new Map(scanned.map((lb) => [lb.name, lb]));
  expect(byName.get('k8s-web')).toMatchObject({ registered: 1, inService: 1 });
  expect(byName.get('k8s-api')).toBeDefined();
  expect(byName.get('k8s-api')).not.toHaveProperty('registered');
  expect(byName.get('k8s-api')).not.toHaveProperty('inService');
});

test('a load balancer deleted between the page and its tags: its batch is asked again without it', async () => {
  const arns = Array.from({ length: 30 }, (_, i) => sandbox.elbv2.createLoadBalancer({ name: `k8s-x-${i}`, type: 'network', subnets: ['subnet-1'], tags: { team: 'x' } }).arn);
  const { client, calls } = countingClient((command) => {
    if (command === 'DescribeLoadBalancersCommand') sandbox.elbv2.deleteLoadBalancer(arns[3]!);
  });
  const scanned = await createV2Inventory({ clientFor: () => client, pacerFor: countingPacer().pacerFor }).scan(sandbox.info.region);
  expect(scanned).toHaveLength(29);
  expect(scanned.map((lb) => lb.arn)).not.toContain(arns[3]);
  expect(scanned.find((lb) => lb.arn === arns[4])?.tags).toEqual({ team: 'x' });
  expect(calls.get('DescribeTagsCommand')).toBe(3);
});

test('one inventory of both APIs: classic and v2 load balancers of the region together, their calls at one pacer', async () => {
  sandbox.elb.create({ name: 'classic-one', listeners: [{ protocol: 'TCP', loadBalancerPort: 80, instanceProtocol: 'TCP', instancePort: 30080 }], availabilityZones: ['us-east-1a'], tags: {} });
  sandbox.elbv2.createLoadBalancer({ name: 'v2-one', type: 'network', subnets: ['subnet-1'], tags: {} });
  const classic = new ElasticLoadBalancingClient({ region: sandbox.info.region, endpoint: sandbox.info.elbEndpoint, credentials: { accessKeyId: 's', secretAccessKey: 's' }, maxAttempts: 1 });
  const classicCalls = countCalls(classic);
  const { client, calls } = countingClient();
  const { pacerFor, paced } = countingPacer();
  const both = combinedInventory(createClassicInventory({ clientFor: () => classic, pacerFor }), createV2Inventory({ clientFor: () => client, pacerFor }));
  expect((await both.scan(sandbox.info.region)).map((lb) => [lb.name, lb.kind])).toEqual([
    ['classic-one', 'classic'],
    ['v2-one', 'network'],
  ]);
  expect(paced.get('us-east-1')).toBe(total(classicCalls) + total(calls));
});

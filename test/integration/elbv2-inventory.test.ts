/**
 * The ELBv2 inventory against the sandbox's ELBv2 API, through the real AWS SDK client: every NLB and ALB
 * of the region with its tags and healthy targets, in the fewest describe and tag calls the API allows,
 * and a load balancer deleted in the middle of a scan costs its batch nothing.
 */
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { countCalls } from '../helpers/aws-calls.js';
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

const byController = (service: string) => ({ 'elbv2.k8s.aws/cluster': 'prod-eks', 'service.k8s.aws/stack': service });

test('every NLB and ALB with its tags, in ceil(N/400) pages and ceil(N/20) tag calls', async () => {
  const n = 450;
  for (let i = 0; i < n; i++) sandbox.elbv2.createLoadBalancer({ name: `k8s-lb-${i}`, type: i % 3 === 0 ? 'application' : 'network', subnets: ['subnet-1', 'subnet-2'], tags: i % 2 === 0 ? byController(`default/s${i}`) : { team: 'x' } });
  const { client, calls } = countingClient();
  const scanned = await createV2Inventory({ clientFor: () => client }).scan(sandbox.info.region);
  expect(scanned).toHaveLength(n);
  expect(calls.get('DescribeLoadBalancersCommand')).toBe(Math.ceil(n / 400));
  expect(calls.get('DescribeTagsCommand')).toBe(Math.ceil(n / 20));
  const first = scanned.find((lb) => lb.name === 'k8s-lb-0')!;
  expect(first).toMatchObject({ region: 'us-east-1', kind: 'application', tags: byController('default/s0'), registered: 0, inService: 0 });
  expect(first.arn).toMatch(/^arn:aws:elasticloadbalancing:us-east-1:\d{12}:loadbalancer\/app\/k8s-lb-0\/[0-9a-f]{16}$/);
  expect(scanned.find((lb) => lb.name === 'k8s-lb-1')).toMatchObject({ kind: 'network' });
  // Targets are asked for only where a cluster tag makes them matter.
  expect(scanned.find((lb) => lb.name === 'k8s-lb-1')).not.toHaveProperty('inService');
  expect(calls.get('DescribeTargetGroupsCommand')).toBe(Math.ceil(n / 2));
});

test('healthy targets are in service; a target group behind it counts them all', async () => {
  const lb = sandbox.elbv2.createLoadBalancer({ name: 'k8s-web', type: 'network', subnets: ['subnet-1'], tags: byController('default/web') });
  const group = sandbox.elbv2.createTargetGroup({ name: 'k8s-web-tg', protocol: 'TCP', port: 30080, vpcId: sandbox.elbv2.vpcId });
  sandbox.elbv2.attachTargetGroup(group.arn, lb.arn);
  sandbox.elbv2.registerTargets(group.arn, [{ id: 'i-1' }, { id: 'i-2' }]);
  sandbox.elbv2.setTargetHealth(group.arn, 'i-2', 'unhealthy');
  const { client } = countingClient();
  const [scanned] = await createV2Inventory({ clientFor: () => client }).scan(sandbox.info.region);
  expect(scanned).toMatchObject({ name: 'k8s-web', registered: 2, inService: 1 });
});

test('a load balancer deleted between the page and its tags: its batch is asked again without it', async () => {
  const arns = Array.from({ length: 30 }, (_, i) => sandbox.elbv2.createLoadBalancer({ name: `k8s-x-${i}`, type: 'network', subnets: ['subnet-1'], tags: { team: 'x' } }).arn);
  const { client, calls } = countingClient((command) => {
    if (command === 'DescribeLoadBalancersCommand') sandbox.elbv2.deleteLoadBalancer(arns[3]!);
  });
  const scanned = await createV2Inventory({ clientFor: () => client }).scan(sandbox.info.region);
  expect(scanned).toHaveLength(29);
  expect(scanned.map((lb) => lb.arn)).not.toContain(arns[3]);
  expect(scanned.find((lb) => lb.arn === arns[4])?.tags).toEqual({ team: 'x' });
  expect(calls.get('DescribeTagsCommand')).toBe(3);
});

test('one inventory of both APIs: classic and v2 load balancers of the region together', async () => {
  sandbox.elb.create({ name: 'classic-one', listeners: [{ protocol: 'TCP', loadBalancerPort: 80, instanceProtocol: 'TCP', instancePort: 30080 }], availabilityZones: ['us-east-1a'], tags: {} });
  sandbox.elbv2.createLoadBalancer({ name: 'v2-one', type: 'network', subnets: ['subnet-1'], tags: {} });
  const classic = new ElasticLoadBalancingClient({ region: sandbox.info.region, endpoint: sandbox.info.elbEndpoint, credentials: { accessKeyId: 's', secretAccessKey: 's' }, maxAttempts: 1 });
  const { client } = countingClient();
  const both = combinedInventory(createClassicInventory({ clientFor: () => classic }), createV2Inventory({ clientFor: () => client }));
  expect((await both.scan(sandbox.info.region)).map((lb) => [lb.name, lb.kind])).toEqual([
    ['classic-one', 'classic'],
    ['v2-one', 'network'],
  ]);
});

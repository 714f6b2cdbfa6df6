/**
 * The classic ELB inventory against the sandbox's ELB API, through the real AWS SDK client: every load
 * balancer of the region with its tags and in-service count, in the fewest calls the API allows, and a
 * load balancer deleted in the middle of a scan costs its batch nothing; every call waits its turn at the
 * region's pacer.
 */
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { countCalls, countingPacer } from '../helpers/aws-calls.js';
import { createClassicInventory } from '../../src/adapters/elb-inventory.js';
import { BotError } from '../../src/domain/errors.js';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';

const LISTENERS = [{ protocol: 'TCP', loadBalancerPort: 80, instanceProtocol: 'TCP', instancePort: 30080 }];
const ZONES = ['us-east-1a'];

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ kubeconfigPath: null, nodes: 1, instanceWarmupMs: 0, dnsDelayMs: 0, provisionDelayMs: 0 });
});
afterAll(() => sandbox.close());
afterEach(() => {
  sandbox.faults.reset();
  for (const lb of sandbox.elb.list()) sandbox.elb.delete(lb.name);
});

const total = (calls: Map<string, number>) => [...calls.values()].reduce((a, b) => a + b, 0);

/** A client of the sandbox's ELB API that counts the calls it makes, by command. */
function countingClient(after?: (commandName: string) => void): { client: ElasticLoadBalancingClient; calls: Map<string, number> } {
  const client = new ElasticLoadBalancingClient({
    region: sandbox.info.region,
    endpoint: sandbox.info.elbEndpoint,
    credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
    maxAttempts: 1,
  });
  return { client, calls: countCalls(client, after) };
}

function owned(service: string): Record<string, string> {
  return { 'kubernetes.io/cluster/prod-eks': 'owned', 'kubernetes.io/service-name': service };
}

test('every load balancer with its tags, in ceil(N/400) pages and ceil(N/20) tag calls', async () => {
  const n = 850;
  for (let i = 0; i < n; i++) sandbox.elb.create({ name: `lb-${String(i).padStart(4, '0')}`, listeners: LISTENERS, availabilityZones: ZONES, tags: i % 2 === 0 ? owned(`default/s${i}`) : { team: 'x' } });
  const { client, calls } = countingClient();
  const { pacerFor, paced } = countingPacer();
  const scanned = await createClassicInventory({ clientFor: () => client, pacerFor }).scan(sandbox.info.region);
  expect(scanned).toHaveLength(n);
  expect(calls.get('DescribeLoadBalancersCommand')).toBe(Math.ceil(n / 400));
  expect(calls.get('DescribeTagsCommand')).toBe(Math.ceil(n / 20));
  // Nothing registered behind them: in service 0 for the cluster's, unknown (not asked) for the rest.
  expect(calls.get('DescribeInstanceHealthCommand')).toBeUndefined();
  const first = scanned.find((lb) => lb.name === 'lb-0000')!;
  expect(first).toMatchObject({ region: 'us-east-1', kind: 'classic', tags: owned('default/s0'), registered: 0, inService: 0 });
  expect(first.dnsName).toMatch(/^lb-0000-\d+\.us-east-1\.elb\.amazonaws\.com$/);
  expect(first.createdAt).toBeGreaterThan(Date.now() - 60_000);
  expect(scanned.find((lb) => lb.name === 'lb-0001')).not.toHaveProperty('inService');
  expect(paced.get('us-east-1')).toBe(total(calls));
});

test('in service: asked only for a cluster’s load balancers with instances registered', async () => {
  sandbox.elb.create({ name: 'served', listeners: LISTENERS, availabilityZones: ZONES, tags: owned('default/web') });
  sandbox.elb.registerInstances('served', ['i-1', 'i-2']);
  sandbox.elb.create({ name: 'unmanaged', listeners: LISTENERS, availabilityZones: ZONES, tags: {} });
  sandbox.elb.registerInstances('unmanaged', ['i-1']);
  const { client, calls } = countingClient();
  const { pacerFor, paced } = countingPacer();
  const scanned = await createClassicInventory({ clientFor: () => client, pacerFor }).scan(sandbox.info.region);
  expect(scanned.find((lb) => lb.name === 'served')).toMatchObject({ registered: 2, inService: 2 });
  expect(scanned.find((lb) => lb.name === 'unmanaged')).toMatchObject({ registered: 1 });
  expect(scanned.find((lb) => lb.name === 'unmanaged')).not.toHaveProperty('inService');
  expect(calls.get('DescribeInstanceHealthCommand')).toBe(1);
  expect(paced.get('us-east-1')).toBe(total(calls));
});

test('a load balancer deleted between the page and its tags: its batch is asked again without it', async () => {
  for (let i = 0; i < 40; i++) sandbox.elb.create({ name: `lb-${String(i).padStart(2, '0')}`, listeners: LISTENERS, availabilityZones: ZONES, tags: owned(`default/s${i}`) });
  // Delete one as soon as the first page is read.
  const { client, calls } = countingClient((command) => {
    if (command === 'DescribeLoadBalancersCommand') sandbox.elb.delete('lb-07');
  });
  const { pacerFor, paced } = countingPacer();
  const scanned = await createClassicInventory({ clientFor: () => client, pacerFor }).scan(sandbox.info.region);
  expect(scanned.map((lb) => lb.name)).toHaveLength(39);
  expect(scanned.map((lb) => lb.name)).not.toContain('lb-07');
  expect(scanned.find((lb) => lb.name === 'lb-08')?.tags).toEqual(owned('default/s8'));
  expect(calls.get('DescribeTagsCommand')).toBe(3);
  // The batch asked again waited its turn too.
  expect(paced.get('us-east-1')).toBe(total(calls));
});

test('a region it cannot reach: a BotError that says which region and why, marked transient', async () => {
  // A port nothing listens on: connection refused.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as AddressInfo;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const client = new ElasticLoadBalancingClient({ region: 'eu-west-1', endpoint: `http://127.0.0.1:${port}`, credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
  const error = await createClassicInventory({ clientFor: () => client, pacerFor: countingPacer().pacerFor }).scan('eu-west-1').then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(BotError);
  expect((error as BotError).userMessage).toMatch(/^could not list the classic load balancers in eu-west-1 \(/);
  expect((error as BotError).transient).toBe(true);
});

/**
 * The orphan commands' AWS side against the sandbox, through the real SDK clients: a load balancer found
 * by each key a user can type — a classic one's REGION/NAME, an NLB's ARN, and an NLB's REGION/NAME (the
 * report shows names, not ARNs) — judged from its record as a scan would see it; deleted; gone.
 */
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { createLoadBalancerRemoval } from '../../src/adapters/load-balancer-removal.js';
import { createOrphanTarget } from '../../src/adapters/orphan-target.js';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { countCalls } from '../helpers/aws-calls.js';

let sandbox: Sandbox;
let target: ReturnType<typeof createOrphanTarget>;
/** The calls each API's client made, by command name (they only grow: a test compares before and after). */
let classicCalls: Map<string, number>;
let v2Calls: Map<string, number>;
beforeAll(async () => {
  sandbox = await startSandbox({ kubeconfigPath: null, nodes: 1, instanceWarmupMs: 0, dnsDelayMs: 0, provisionDelayMs: 0 });
  const common = { region: sandbox.info.region, endpoint: sandbox.info.elbEndpoint, credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' }, maxAttempts: 1 };
  const classic = new ElasticLoadBalancingClient(common);
  const v2 = new ElasticLoadBalancingV2Client(common);
  classicCalls = countCalls(classic);
  v2Calls = countCalls(v2);
  target = createOrphanTarget({ removal: createLoadBalancerRemoval({ classicClientFor: () => classic, v2ClientFor: () => v2 }) });
});
afterAll(() => sandbox.close());

const tags = { 'elbv2.k8s.aws/cluster': 'prod', 'service.k8s.aws/stack': 'default/api' };

test('a classic load balancer by REGION/NAME: what a scan would see (instances in service), its record and summary', async () => {
  sandbox.elb.create({ name: 'web-classic', listeners: [{ protocol: 'TCP', loadBalancerPort: 80, instanceProtocol: 'TCP', instancePort: 30080 }], availabilityZones: ['us-east-1a'], tags: { 'kubernetes.io/cluster/prod': 'owned' } });
  sandbox.elb.registerInstances('web-classic', ['i-0aaa']);
  const found = await target.find('us-east-1/web-classic');
  expect(found?.lb).toMatchObject({ region: 'us-east-1', name: 'web-classic', kind: 'classic', tags: { 'kubernetes.io/cluster/prod': 'owned' }, registered: 1 });
  expect(found?.lb.arn).toBeUndefined();
  expect(found?.record.kind).toBe('classic');
  expect(found?.summary.join('\n')).toContain('web-classic');
});

test('an NLB by its ARN and by REGION/NAME alike; deleted, it is no longer listed and no longer found', async () => {
  const { arn } = sandbox.elbv2.createLoadBalancer({ name: 'k8s-default-api-0a1b', type: 'network', subnets: ['subnet-1'], tags });
  const byArn = await target.find(arn);
  const byName = await target.find('us-east-1/k8s-default-api-0a1b');
  expect(byArn?.lb).toMatchObject({ arn, kind: 'network', name: 'k8s-default-api-0a1b', tags, registered: 0, inService: 0 });
  expect(byName?.lb).toEqual(byArn?.lb);
  expect(await target.isListed(byArn!.lb)).toBe(true);
  expect(await target.delete(byArn!.lb)).toBe('deleted');
  expect(await target.isListed(byArn!.lb)).toBe(false);
  expect(await target.find('us-east-1/k8s-default-api-0a1b')).toBeUndefined();
  expect(await target.delete(byArn!.lb)).toBe('gone');
});

test('a name no load balancer has, in either API: undefined', async () => {
  expect(await target.find('us-east-1/nothing-here')).toBeUndefined();
});

/** The calls made by `run`, by API and command name (commands not called are absent). */
async function callsDuring(run: () => Promise<unknown>): Promise<{ classic: Record<string, number>; v2: Record<string, number> }> {
  const before = { classic: new Map(classicCalls), v2: new Map(v2Calls) };
  await run();
  const since = (now: Map<string, number>, then: Map<string, number>): Record<string, number> =>
    Object.fromEntries([...now].map(([name, n]): [string, number] => [name, n - (then.get(name) ?? 0)]).filter(([, n]) => n !== 0));
  return { classic: since(classicCalls, before.classic), v2: since(v2Calls, before.v2) };
}

test('an NLB by REGION/NAME costs one ELBv2 DescribeLoadBalancers (by name: its answer has the ARN), as by its ARN', async () => {
  const { arn } = sandbox.elbv2.createLoadBalancer({ name: 'k8s-default-count-0a1b', type: 'network', subnets: ['subnet-1'], tags });
  const byName = await callsDuring(() => target.find('us-east-1/k8s-default-count-0a1b'));
  // The classic API is asked first (REGION/NAME names a classic load balancer as well): once, not found.
  expect(byName.classic).toEqual({ DescribeLoadBalancersCommand: 1 });
  expect(byName.v2.DescribeLoadBalancersCommand).toBe(1);
  const byArn = await callsDuring(() => target.find(arn));
  expect(byArn.classic).toEqual({});
  expect(byArn.v2).toEqual(byName.v2);
});

/**
 * The IAM policy enforced by the sandbox (`startSandbox({ iamPolicy })`): the ELB APIs, classic and v2,
 * answer 403 AccessDenied for actions the policy does not allow; an explicit deny wins; requests signed
 * with the admin access key are never refused.
 */
import {
  CreateLoadBalancerCommand,
  DeleteLoadBalancerCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  ElasticLoadBalancingClient,
} from '@aws-sdk/client-elastic-load-balancing';
import { DescribeLoadBalancersCommand as DescribeV2, DescribeTargetGroupsCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { sandboxAdminCredentials, startSandbox, type Sandbox } from '../../../sandbox/index.js';

const POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['elasticloadbalancing:Describe*'], Resource: '*' },
    { Effect: 'Allow', Action: 'elasticloadbalancing:DeleteLoadBalancer', Resource: '*' },
    { Effect: 'Deny', Action: 'elasticloadbalancing:DescribeTargetGroups', Resource: '*' },
  ],
});

let sandbox: Sandbox;
let elb: ElasticLoadBalancingClient;
let elbv2: ElasticLoadBalancingV2Client;
let admin: ElasticLoadBalancingClient;

beforeAll(async () => {
  sandbox = await startSandbox({ kubeconfigPath: null, iamPolicy: POLICY });
  const common = { region: sandbox.info.region, endpoint: sandbox.info.elbEndpoint, maxAttempts: 1 };
  elb = new ElasticLoadBalancingClient({ ...common, credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' } });
  elbv2 = new ElasticLoadBalancingV2Client({ ...common, credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' } });
  admin = new ElasticLoadBalancingClient({ ...common, credentials: sandboxAdminCredentials });
});
afterAll(() => sandbox.close());

async function rejection(call: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await call;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to be refused');
}

const create = (client: ElasticLoadBalancingClient, name: string) =>
  client.send(
    new CreateLoadBalancerCommand({
      LoadBalancerName: name,
      Listeners: [{ Protocol: 'TCP', LoadBalancerPort: 80, InstanceProtocol: 'TCP', InstancePort: 30080 }],
      AvailabilityZones: ['us-east-1a'],
    }),
  );

test('an action no statement allows answers 403 AccessDenied, naming the principal, action and resource; nothing changes', async () => {
  const refused = await rejection(create(elb, 'not-mine'));
  expect(refused).toEqual({
    name: 'AccessDenied',
    status: 403,
    message:
      'User: arn:aws:sts::123456789012:assumed-role/svcbot/sandbox is not authorized to perform: elasticloadbalancing:CreateLoadBalancer ' +
      'on resource: arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/not-mine because no identity-based policy allows the elasticloadbalancing:CreateLoadBalancer action',
  });
  expect(sandbox.elb.get('not-mine')).toBeUndefined();
});

test('wildcard and exact Allow statements: Describe* and DeleteLoadBalancer work (classic and v2)', async () => {
  await create(admin, 'doomed');
  await expect(elb.send(new DescribeLoadBalancersCommand({}))).resolves.toMatchObject({ LoadBalancerDescriptions: [expect.objectContaining({ LoadBalancerName: 'doomed' })] });
  await expect(elb.send(new DescribeTagsCommand({ LoadBalancerNames: ['doomed'] }))).resolves.toBeDefined();
  await expect(elbv2.send(new DescribeV2({}))).resolves.toMatchObject({ LoadBalancers: [] });
  await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerName: 'doomed' }));
  expect(sandbox.elb.get('doomed')).toBeUndefined();
});

test('an explicit Deny wins over an Allow (ELBv2)', async () => {
  const refused = await rejection(elbv2.send(new DescribeTargetGroupsCommand({})));
  expect(refused).toMatchObject({ name: 'AccessDenied', status: 403 });
  expect(refused.message).toBe(
    'User: arn:aws:sts::123456789012:assumed-role/svcbot/sandbox is not authorized to perform: elasticloadbalancing:DescribeTargetGroups with an explicit deny in an identity-based policy',
  );
});

test('a policy the sandbox cannot evaluate stops it from starting', async () => {
  await expect(
    startSandbox({ kubeconfigPath: null, iamPolicy: '{"Statement":[{"Effect":"Allow","Action":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}' }),
  ).rejects.toThrow(/does not evaluate the condition operator IpAddress/);
  await expect(startSandbox({ kubeconfigPath: null, iamPolicy: '{"Statement":[{"Effect":"Allow","Action":"*","NotResource":"*"}]}' })).rejects.toThrow(/does not evaluate NotResource/);
  await expect(startSandbox({ kubeconfigPath: null, iamPolicy: 'nope' })).rejects.toThrow(/IAM policy: not JSON/);
});

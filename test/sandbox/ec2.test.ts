/**
 * The sandbox's EC2 API through the real `@aws-sdk/client-ec2`: the nodes as instances (filters as the
 * NodePort tutorial uses them), their security groups, ingress authorized then revoked, AWS's error
 * codes, and what `allowsIngress` (the data plane's gate) says before and after.
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  type AuthorizeSecurityGroupIngressCommandInput,
  type Instance,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { sandboxAdminCredentials, startSandbox, type Sandbox } from '../../sandbox/index.js';

let sandbox: Sandbox;
let ec2: EC2Client;

beforeAll(async () => {
  sandbox = await startSandbox({ kubeconfigPath: null, clusterName: 'demo', provisionDelayMs: 0, dnsDelayMs: 0 });
  ec2 = new EC2Client({
    region: sandbox.info.region,
    endpoint: sandbox.info.ec2Endpoint,
    maxAttempts: 1,
    credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
  });
});
afterAll(async () => {
  ec2.destroy();
  await sandbox.close();
});

async function rejection(call: Promise<unknown>): Promise<{ name: string; message: string; status: number | undefined }> {
  try {
    await call;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

const instancesOf = (out: { Reservations?: { Instances?: Instance[] }[] }): Instance[] =>
  (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);

const describe_ = (filters: { Name: string; Values: string[] }[], instanceIds?: string[]) =>
  ec2.send(new DescribeInstancesCommand({ Filters: filters, ...(instanceIds ? { InstanceIds: instanceIds } : {}) })).then(instancesOf);

function nodes() {
  return sandbox.cluster.listNodes().map((n) => ({
    instanceId: /\/(i-[0-9a-f]+)$/.exec(n.spec.providerID ?? '')?.[1],
    internalIp: n.status.addresses.find((a) => a.type === 'InternalIP')?.address,
  }));
}

const nodePortRule = (cidr: string, port = 30080) => ({ IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{ CidrIp: cidr }] });

test('ready line and env name the EC2 endpoint, apart from the ELB one', () => {
  expect(sandbox.info.ec2Endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(sandbox.info.ec2Endpoint).not.toBe(sandbox.info.elbEndpoint);
  expect(sandbox.info.env.AWS_ENDPOINT_URL_EC2).toBe(sandbox.info.ec2Endpoint);
});

test("DescribeInstances: one running instance per node, the node's instance id, private IP and a distinct loopback public IP, in the nodes' group", async () => {
  const instances = await describe_([{ Name: 'tag-key', Values: ['kubernetes.io/cluster/demo'] }]);
  const expected = nodes();
  expect(expected).toHaveLength(3);
  expect(instances.map((i) => [i.InstanceId, i.PrivateIpAddress])).toEqual(expected.map((n) => [n.instanceId, n.internalIp]));
  const publicIps = instances.map((i) => i.PublicIpAddress ?? '');
  for (const ip of publicIps) expect(ip).toMatch(/^127\.\d+\.\d+\.\d+$/);
  expect(new Set(publicIps).size).toBe(3);
  for (const i of instances) {
    expect(i.State).toEqual({ Code: 16, Name: 'running' });
    expect(i.SecurityGroups).toEqual([{ GroupId: sandbox.ec2.nodesSecurityGroupId, GroupName: 'k8s-demo-nodes' }]);
    expect(i.Tags).toEqual(expect.arrayContaining([{ Key: 'kubernetes.io/cluster/demo', Value: 'owned' }, { Key: 'Name', Value: 'demo-nodes-Node' }]));
    expect(i.VpcId).toBe(sandbox.elb.vpcId);
    expect(i.NetworkInterfaces?.[0]?.Association?.PublicIp).toBe(i.PublicIpAddress);
  }
  // Each node was launched on its own (by its node group), so each instance is its own reservation.
  const out = await ec2.send(new DescribeInstancesCommand({}));
  expect(out.Reservations?.every((r) => r.ReservationId?.startsWith('r-') && r.Instances?.length === 1)).toBe(true);
});

test.each([
  ['tag:kubernetes.io/cluster/demo = owned', [{ Name: 'tag:kubernetes.io/cluster/demo', Values: ['owned'] }], 3],
  ['tag:kubernetes.io/cluster/demo = shared', [{ Name: 'tag:kubernetes.io/cluster/demo', Values: ['shared'] }], 0],
  ['tag-key of another cluster', [{ Name: 'tag-key', Values: ['kubernetes.io/cluster/other'] }], 0],
  ['tag-key with a wildcard', [{ Name: 'tag-key', Values: ['kubernetes.io/cluster/*'] }], 3],
  ['instance-state-name running', [{ Name: 'instance-state-name', Values: ['running'] }], 3],
  ['instance-state-name stopped or terminated', [{ Name: 'instance-state-name', Values: ['stopped', 'terminated'] }], 0],
  ['private-ip-address of the first node', [{ Name: 'private-ip-address', Values: ['10.0.1.11'] }], 1],
  ['private-ip-address with ? and a second value', [{ Name: 'private-ip-address', Values: ['10.0.1.1?', '10.9.9.9'] }], 3],
  ['two filters: both must match', [{ Name: 'instance-state-name', Values: ['running'] }, { Name: 'private-ip-address', Values: ['10.0.1.12'] }], 1],
])('DescribeInstances filter %s', async (_what, filters, count) => {
  expect(await describe_(filters)).toHaveLength(count);
});

test('DescribeInstances by instance-id filter and by InstanceIds', async () => {
  const [first, second] = nodes();
  const byFilter = await describe_([{ Name: 'instance-id', Values: [first?.instanceId ?? ''] }]);
  expect(byFilter.map((i) => i.InstanceId)).toEqual([first?.instanceId]);
  const byIds = await describe_([], [second?.instanceId ?? '', first?.instanceId ?? '']);
  expect(byIds.map((i) => i.InstanceId).sort()).toEqual([first?.instanceId, second?.instanceId].sort());
});

test('DescribeInstances errors: unknown id, malformed id, unknown filter', async () => {
  expect(await rejection(describe_([], ['i-0123456789abcdef0']))).toEqual({
    name: 'InvalidInstanceID.NotFound',
    message: "The instance ID 'i-0123456789abcdef0' does not exist",
    status: 400,
  });
  expect(await rejection(describe_([], ['node-1']))).toMatchObject({ name: 'InvalidInstanceID.Malformed', message: 'Invalid id: "node-1" (expecting "i-...")' });
  expect(await rejection(describe_([{ Name: 'colour', Values: ['blue'] }]))).toMatchObject({ name: 'InvalidParameterValue', message: "The filter 'colour' is invalid" });
});

test("DescribeSecurityGroups: the nodes' group lets in only the load balancers' group (and itself); found by id, name and filters", async () => {
  const nodesGroup = sandbox.ec2.nodesSecurityGroupId;
  const lbGroup = sandbox.elb.defaultSecurityGroup;
  expect(nodesGroup).toMatch(/^sg-[0-9a-f]{17}$/);
  const byId = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [nodesGroup] }));
  expect(byId.SecurityGroups).toEqual([
    expect.objectContaining({
      GroupId: nodesGroup,
      GroupName: 'k8s-demo-nodes',
      VpcId: sandbox.elb.vpcId,
      OwnerId: '123456789012',
      IpPermissions: [
        expect.objectContaining({
          IpProtocol: '-1',
          UserIdGroupPairs: [
            { UserId: '123456789012', GroupId: lbGroup, Description: 'the cluster load balancers' },
            { UserId: '123456789012', GroupId: nodesGroup },
          ],
          IpRanges: [],
        }),
      ],
      IpPermissionsEgress: [expect.objectContaining({ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] })],
    }),
  ]);
  const byName = await ec2.send(new DescribeSecurityGroupsCommand({ GroupNames: ['k8s-demo-nodes'] }));
  expect(byName.SecurityGroups?.map((g) => g.GroupId)).toEqual([nodesGroup]);
  const all = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [sandbox.elb.vpcId] }] }));
  expect(all.SecurityGroups?.map((g) => g.GroupId).sort()).toEqual([lbGroup, nodesGroup].sort());
  const tagged = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'tag:kubernetes.io/cluster/demo', Values: ['owned'] }] }));
  expect(tagged.SecurityGroups?.map((g) => g.GroupId)).toEqual([nodesGroup]);
  const byGroupName = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['default'] }] }));
  expect(byGroupName.SecurityGroups?.map((g) => g.GroupId)).toEqual([lbGroup]);
  const byGroupId = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-id', Values: [lbGroup] }] }));
  expect(byGroupId.SecurityGroups?.map((g) => g.GroupName)).toEqual(['default']);
});

test('DescribeSecurityGroups errors: unknown id, unknown name, malformed id', async () => {
  expect(await rejection(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-0123456789abcdef0'] })))).toEqual({
    name: 'InvalidGroup.NotFound',
    message: "The security group 'sg-0123456789abcdef0' does not exist",
    status: 400,
  });
  expect(await rejection(ec2.send(new DescribeSecurityGroupsCommand({ GroupNames: ['nope'] })))).toMatchObject({
    name: 'InvalidGroup.NotFound',
    message: `The security group 'nope' does not exist in default VPC '${sandbox.elb.vpcId}'`,
  });
  expect(await rejection(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['web'] })))).toMatchObject({
    name: 'InvalidGroupId.Malformed',
    message: 'Invalid id: "web" (expecting "sg-...")',
  });
});

test('a node port is closed to the host until authorized; authorize, describe, duplicate, revoke, revoke again', async () => {
  const groupId = sandbox.ec2.nodesSecurityGroupId;
  const [node] = nodes();
  const instanceId = node?.instanceId ?? '';
  expect(sandbox.ec2.allowsIngress(instanceId, 30080, '127.0.0.1')).toBe(false);

  const added = await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [nodePortRule('127.0.0.1/32')] }));
  expect(added.Return).toBe(true);
  expect(added.SecurityGroupRules).toEqual([
    expect.objectContaining({ GroupId: groupId, IsEgress: false, IpProtocol: 'tcp', FromPort: 30080, ToPort: 30080, CidrIpv4: '127.0.0.1/32', SecurityGroupRuleId: expect.stringMatching(/^sgr-[0-9a-f]{17}$/) }),
  ]);
  expect(sandbox.ec2.allowsIngress(instanceId, 30080, '127.0.0.1')).toBe(true);
  expect(sandbox.ec2.allowsIngress(instanceId, 30081, '127.0.0.1')).toBe(false);
  expect(sandbox.ec2.allowsIngress(instanceId, 30080, '127.0.0.2')).toBe(false);

  const described = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
  expect(described.SecurityGroups?.[0]?.IpPermissions).toContainEqual(
    expect.objectContaining({ IpProtocol: 'tcp', FromPort: 30080, ToPort: 30080, IpRanges: [{ CidrIp: '127.0.0.1/32' }] }),
  );

  expect(await rejection(ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [nodePortRule('127.0.0.1/32')] })))).toEqual({
    name: 'InvalidPermission.Duplicate',
    message: 'the specified rule "peer: 127.0.0.1/32, TCP, from port: 30080, to port: 30080, ALLOW" already exists',
    status: 400,
  });

  const revoked = await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [nodePortRule('127.0.0.1/32')] }));
  expect(revoked.Return).toBe(true);
  expect(revoked.UnknownIpPermissions ?? []).toEqual([]);
  expect(sandbox.ec2.allowsIngress(instanceId, 30080, '127.0.0.1')).toBe(false);
  const after = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
  expect(after.SecurityGroups?.[0]?.IpPermissions?.map((p) => p.IpProtocol)).toEqual(['-1']);

  expect(await rejection(ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [nodePortRule('127.0.0.1/32')] })))).toEqual({
    name: 'InvalidPermission.NotFound',
    message: 'The specified rule does not exist in this security group.',
    status: 400,
  });
});

test('the legacy form (IpProtocol/FromPort/ToPort/CidrIp) authorizes and revokes a port range; a revoke of one known and one unknown rule lists the unknown one', async () => {
  const groupId = sandbox.ec2.nodesSecurityGroupId;
  const instanceId = nodes()[1]?.instanceId ?? '';
  await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpProtocol: 'tcp', FromPort: 30000, ToPort: 30100, CidrIp: '127.0.0.0/8' }));
  expect(sandbox.ec2.allowsIngress(instanceId, 30000, '127.9.8.7')).toBe(true);
  expect(sandbox.ec2.allowsIngress(instanceId, 30100, '127.9.8.7')).toBe(true);
  expect(sandbox.ec2.allowsIngress(instanceId, 30101, '127.9.8.7')).toBe(false);

  const out = await ec2.send(
    new RevokeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 30000, ToPort: 30100, IpRanges: [{ CidrIp: '127.0.0.0/8' }] },
        nodePortRule('10.0.0.0/8'),
      ],
    }),
  );
  expect(out.UnknownIpPermissions).toEqual([expect.objectContaining({ IpProtocol: 'tcp', FromPort: 30080, ToPort: 30080, IpRanges: [{ CidrIp: '10.0.0.0/8' }] })]);
  expect(sandbox.ec2.allowsIngress(instanceId, 30000, '127.9.8.7')).toBe(false);
});

test('authorize errors: unknown group, malformed group id, bad CIDR, unknown protocol, TCP without ports; nothing is added', async () => {
  const groupId = sandbox.ec2.nodesSecurityGroupId;
  const before = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }))).SecurityGroups?.[0]?.IpPermissions;
  const authorize = (input: AuthorizeSecurityGroupIngressCommandInput) =>
    rejection(ec2.send(new AuthorizeSecurityGroupIngressCommand(input)));
  expect(await authorize({ GroupId: 'sg-0123456789abcdef0', IpPermissions: [nodePortRule('127.0.0.1/32')] })).toMatchObject({
    name: 'InvalidGroup.NotFound',
    message: "The security group 'sg-0123456789abcdef0' does not exist",
  });
  expect(await authorize({ GroupId: 'sg-nodes', IpPermissions: [nodePortRule('127.0.0.1/32')] })).toMatchObject({
    name: 'InvalidGroupId.Malformed',
    message: 'Invalid id: "sg-nodes" (expecting "sg-...")',
  });
  expect(await authorize({ GroupId: groupId, IpPermissions: [nodePortRule('127.0.0.1/33')] })).toMatchObject({
    name: 'InvalidParameterValue',
    message: 'Value (127.0.0.1/33) for parameter cidrIp is invalid. This is not a valid CIDR block.',
  });
  expect(await authorize({ GroupId: groupId, IpPermissions: [{ IpProtocol: 'tcpp', FromPort: 1, ToPort: 1, IpRanges: [{ CidrIp: '127.0.0.1/32' }] }] })).toMatchObject({
    name: 'InvalidParameterValue',
    message: "Invalid value 'tcpp' for IP protocol. Unknown protocol.",
  });
  expect(await authorize({ GroupId: groupId, IpPermissions: [{ IpProtocol: 'tcp', IpRanges: [{ CidrIp: '127.0.0.1/32' }] }] })).toMatchObject({
    name: 'InvalidParameterValue',
    message: 'Invalid value for portRange. Must specify both from and to ports with TCP/UDP.',
  });
  // One bad permission among good ones: none is added.
  expect(await authorize({ GroupId: groupId, IpPermissions: [nodePortRule('127.0.0.1/32'), nodePortRule('not-a-cidr')] })).toMatchObject({ name: 'InvalidParameterValue' });
  const after = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }))).SecurityGroups?.[0]?.IpPermissions;
  expect(after).toEqual(before);
});

test("traffic from a load balancer (an address of the ELB's group) reaches every node port; the host's does not", () => {
  const lb = sandbox.elb.create({
    name: 'ec2-test-lb',
    listeners: [{ protocol: 'TCP', loadBalancerPort: 80, instanceProtocol: 'TCP', instancePort: 30080 }],
    availabilityZones: ['us-east-1a'],
  });
  try {
    const instanceId = nodes()[2]?.instanceId ?? '';
    expect(lb.securityGroups).toEqual([sandbox.elb.defaultSecurityGroup]);
    for (const address of lb.addresses) expect(sandbox.ec2.allowsIngress(instanceId, 31234, address)).toBe(true);
    expect(sandbox.ec2.allowsIngress(instanceId, 31234, '127.0.0.1')).toBe(false);
    expect(sandbox.ec2.allowsIngress('i-0123456789abcdef0', 31234, lb.addresses[0] ?? '')).toBe(false);
  } finally {
    sandbox.elb.delete('ec2-test-lb');
  }
});

describe('under an IAM policy', () => {
  let governed: Sandbox;
  let client: EC2Client;
  let admin: EC2Client;
  beforeAll(async () => {
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['ec2:Describe*'], Resource: '*' },
        { Effect: 'Deny', Action: 'ec2:DescribeSecurityGroups', Resource: '*' },
      ],
    });
    governed = await startSandbox({ kubeconfigPath: null, iamPolicy: policy });
    const common = { region: governed.info.region, endpoint: governed.info.ec2Endpoint, maxAttempts: 1 };
    client = new EC2Client({ ...common, credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' } });
    admin = new EC2Client({ ...common, credentials: sandboxAdminCredentials });
  });
  afterAll(async () => {
    client.destroy();
    admin.destroy();
    await governed.close();
  });

  test('allowed actions work; others answer 403 UnauthorizedOperation naming action and group; an explicit deny wins; the admin key is never refused', async () => {
    await expect(client.send(new DescribeInstancesCommand({}))).resolves.toMatchObject({ Reservations: expect.any(Array) });
    const groupId = governed.ec2.nodesSecurityGroupId;
    const refused = await rejection(client.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [nodePortRule('127.0.0.1/32')] })));
    const message =
      'You are not authorized to perform this operation. User: arn:aws:sts::123456789012:assumed-role/svcbot/sandbox is not authorized to perform: ' +
      `ec2:AuthorizeSecurityGroupIngress on resource: arn:aws:ec2:us-east-1:123456789012:security-group/${groupId} because no identity-based policy allows the ec2:AuthorizeSecurityGroupIngress action`;
    expect(refused).toEqual({ name: 'UnauthorizedOperation', status: 403, message });
    expect(governed.ec2.allowsIngress(governed.ec2.instances()[0]?.instanceId ?? '', 30080, '127.0.0.1')).toBe(false);

    const denied = await rejection(client.send(new DescribeSecurityGroupsCommand({})));
    expect(denied).toMatchObject({ name: 'UnauthorizedOperation', status: 403, message: expect.stringContaining('ec2:DescribeSecurityGroups with an explicit deny') });
    expect(governed.refusals).toEqual([message, denied.message]);

    await admin.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [nodePortRule('127.0.0.1/32')] }));
    await expect(admin.send(new DescribeSecurityGroupsCommand({}))).resolves.toBeDefined();
    expect(governed.ec2.allowsIngress(governed.ec2.instances()[0]?.instanceId ?? '', 30080, '127.0.0.1')).toBe(true);
    expect(governed.refusals).toHaveLength(2);
  });
});

describe("under an IAM policy that scopes changes by the group's cluster tag", () => {
  let governed: Sandbox;
  let client: EC2Client;
  const policyFor = (operator: string, key: string, values: string[]) =>
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['ec2:Describe*'], Resource: '*' },
        {
          Effect: 'Allow',
          Action: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress'],
          Resource: 'arn:aws:ec2:*:*:security-group/*',
          Condition: { [operator]: { [key]: values } },
        },
      ],
    });
  beforeAll(async () => {
    governed = await startSandbox({ kubeconfigPath: null, clusterName: 'blue', iamPolicy: policyFor('StringEquals', 'aws:ResourceTag/kubernetes.io/cluster/blue', ['owned', 'shared']) });
    client = new EC2Client({ region: governed.info.region, endpoint: governed.info.ec2Endpoint, maxAttempts: 1, credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' } });
  });
  afterAll(async () => {
    client.destroy();
    await governed.close();
  });

  test('a group tagged for the cluster may be changed; an untagged one (the VPC default) is refused', async () => {
    const nodes = governed.ec2.nodesSecurityGroupId;
    await client.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: nodes, IpPermissions: [nodePortRule('127.0.0.1/32')] }));
    await client.send(new RevokeSecurityGroupIngressCommand({ GroupId: nodes, IpPermissions: [nodePortRule('127.0.0.1/32')] }));
    const untagged = governed.elb.defaultSecurityGroup;
    const refused = await rejection(client.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: untagged, IpPermissions: [nodePortRule('127.0.0.1/32')] })));
    expect(refused).toMatchObject({ name: 'UnauthorizedOperation', status: 403, message: expect.stringContaining(`security-group/${untagged} because no identity-based policy allows`) });
  });

  test('the condition is read as IAM reads it: StringLike takes wildcards, another cluster\'s tag does not match, an unknown key or operator is refused at load', async () => {
    const { IamPolicy } = await import('../../sandbox/elb/iam.js');
    const arn = 'arn:aws:ec2:us-east-1:123456789012:security-group/sg-0abc';
    const tags = { resourceTags: [['kubernetes.io/cluster/blue', 'owned']] as [string, string][] };
    const like = new IamPolicy(policyFor('StringLike', 'ec2:ResourceTag/kubernetes.io/cluster/blue', ['own*']));
    expect(like.check('ec2:AuthorizeSecurityGroupIngress', arn, tags)).toBeUndefined();
    const green = new IamPolicy(policyFor('StringEquals', 'aws:ResourceTag/kubernetes.io/cluster/green', ['owned']));
    expect(green.check('ec2:AuthorizeSecurityGroupIngress', arn, tags)).toBeDefined();
    expect(green.check('ec2:AuthorizeSecurityGroupIngress', arn)).toBeDefined();
    expect(() => new IamPolicy(policyFor('StringEquals', 'aws:SourceIp', ['10.0.0.0/8']))).toThrow('the sandbox does not evaluate the condition key aws:SourceIp');
    expect(() => new IamPolicy(policyFor('IpAddress', 'aws:ResourceTag/x', ['y']))).toThrow('the sandbox does not evaluate the condition operator IpAddress');
  });
});

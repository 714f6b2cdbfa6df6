/**
 * The sandbox's EC2 endpoint on the wire (raw HTTP, no SDK): EC2's own Query dialect (`Filter.N.Value.M`,
 * `InstanceId.N`, `GroupId.N`, the legacy top-level ingress parameters) and its XML — `requestId` in
 * success answers, `<Response><Errors><Error><Code>` with `RequestID` in errors.
 */
import { startSandbox, type Sandbox } from '../../sandbox/index.js';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ kubeconfigPath: null });
});
afterAll(() => sandbox.close());

async function call(params: Record<string, string>, method: 'POST' | 'GET' = 'POST') {
  const body = new URLSearchParams({ Version: '2016-11-15', ...params }).toString();
  const endpoint = sandbox.info.ec2Endpoint;
  const res =
    method === 'GET'
      ? await fetch(`${endpoint}/?${body}`)
      : await fetch(endpoint, { method, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body });
  return { status: res.status, text: await res.text(), requestId: res.headers.get('x-amzn-requestid'), type: res.headers.get('content-type') };
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

function expectError(res: Awaited<ReturnType<typeof call>>, status: number, code: string, message: string): void {
  expect(res.status).toBe(status);
  expect(res.text).toMatch(
    new RegExp(
      `^<\\?xml version="1\\.0" encoding="UTF-8"\\?>\\n<Response><Errors><Error><Code>${code.replace(/\./g, '\\.')}</Code>` +
        `<Message>([^<]*)</Message></Error></Errors><RequestID>(${UUID})</RequestID></Response>\\n$`,
    ),
  );
  const [, actualMessage, requestId] = /<Message>([^<]*)<\/Message>.*<RequestID>([^<]*)</.exec(res.text) ?? [];
  expect(actualMessage).toBe(message.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
  expect(requestId).toBe(res.requestId);
}

const count = (text: string, tag: string) => text.split(`<${tag}>`).length - 1;

test('a success answer: <ActionResponse> in the 2016-11-15 namespace, requestId first, reservations with items', async () => {
  const res = await call({ Action: 'DescribeInstances', 'Filter.1.Name': 'tag-key', 'Filter.1.Value.1': 'kubernetes.io/cluster/sandbox' });
  expect(res.status).toBe(200);
  expect(res.type).toMatch(/^text\/xml/);
  expect(res.text).toMatch(
    new RegExp(`^<\\?xml version="1\\.0" encoding="UTF-8"\\?>\\n<DescribeInstancesResponse xmlns="http://ec2\\.amazonaws\\.com/doc/2016-11-15/"><requestId>${UUID}</requestId><reservationSet><item><reservationId>r-`),
  );
  expect(res.text).toContain(`<requestId>${String(res.requestId)}</requestId>`);
  expect(count(res.text, 'instancesSet')).toBe(3);
  expect(res.text).toContain('<instanceState><code>16</code><name>running</name></instanceState>');
});

test('Filter.N.Value.M: any value of a filter, every filter; InstanceId.N; GET works as POST does', async () => {
  const twoValues = await call({
    Action: 'DescribeInstances',
    'Filter.1.Name': 'private-ip-address',
    'Filter.1.Value.2': '10.0.1.13',
    'Filter.1.Value.1': '10.0.1.11',
    'Filter.2.Name': 'instance-state-name',
    'Filter.2.Value.1': 'running',
  });
  expect(count(twoValues.text, 'instancesSet')).toBe(2);
  expect(twoValues.text).toContain('<privateIpAddress>10.0.1.11</privateIpAddress>');
  expect(twoValues.text).toContain('<privateIpAddress>10.0.1.13</privateIpAddress>');
  expect(twoValues.text).not.toContain('<privateIpAddress>10.0.1.12</privateIpAddress>');

  const id = sandbox.ec2.instances()[1]?.instanceId ?? '';
  const byId = await call({ Action: 'DescribeInstances', 'InstanceId.1': id }, 'GET');
  expect(byId.status).toBe(200);
  expect(count(byId.text, 'instancesSet')).toBe(1);
  expect(byId.text).toContain(`<instanceId>${id}</instanceId>`);
});

test('GroupId.N and GroupName.N in DescribeSecurityGroups', async () => {
  const res = await call({ Action: 'DescribeSecurityGroups', 'GroupId.1': sandbox.ec2.nodesSecurityGroupId, 'GroupName.1': 'default' });
  expect(res.status).toBe(200);
  expect(res.text).toContain('<securityGroupInfo><item><ownerId>123456789012</ownerId>');
  expect(count(res.text, 'groupName')).toBe(2);
});

test('the legacy ingress form on the wire: authorize, duplicate, revoke, revoke again', async () => {
  const rule = { GroupId: sandbox.ec2.nodesSecurityGroupId, IpProtocol: 'tcp', FromPort: '30080', ToPort: '30080', CidrIp: '127.0.0.1/32' };
  const instanceId = sandbox.ec2.instances()[0]?.instanceId ?? '';
  const added = await call({ Action: 'AuthorizeSecurityGroupIngress', ...rule });
  expect(added.status).toBe(200);
  expect(added.text).toContain('<return>true</return>');
  expect(added.text).toContain('<cidrIpv4>127.0.0.1/32</cidrIpv4>');
  expect(sandbox.ec2.allowsIngress(instanceId, 30080, '127.0.0.1')).toBe(true);
  expectError(
    await call({ Action: 'AuthorizeSecurityGroupIngress', ...rule }),
    400,
    'InvalidPermission.Duplicate',
    'the specified rule "peer: 127.0.0.1/32, TCP, from port: 30080, to port: 30080, ALLOW" already exists',
  );
  const revoked = await call({ Action: 'RevokeSecurityGroupIngress', ...rule });
  expect(revoked.status).toBe(200);
  expect(revoked.text).toContain('<return>true</return>');
  expect(sandbox.ec2.allowsIngress(instanceId, 30080, '127.0.0.1')).toBe(false);
  expectError(await call({ Action: 'RevokeSecurityGroupIngress', ...rule }), 400, 'InvalidPermission.NotFound', 'The specified rule does not exist in this security group.');
});

test('the legacy source-group form (SourceSecurityGroupName alone) allows all traffic from that group', async () => {
  const lbGroup = sandbox.elb.defaultSecurityGroup;
  const res = await call({ Action: 'AuthorizeSecurityGroupIngress', GroupId: lbGroup, SourceSecurityGroupName: 'k8s-sandbox-nodes' });
  expect(res.status).toBe(200);
  expect(res.text).toContain('<ipProtocol>-1</ipProtocol>');
  expect(res.text).toContain(`<referencedGroupInfo><groupId>${sandbox.ec2.nodesSecurityGroupId}</groupId>`);
});

test.each([
  [{ Action: 'AuthorizeSecurityGroupIngress', GroupId: 'sg-0123456789abcdef0', IpProtocol: 'tcp', FromPort: '1', ToPort: '1', CidrIp: '127.0.0.1/32' }, 400, 'InvalidGroup.NotFound', "The security group 'sg-0123456789abcdef0' does not exist"],
  [{ Action: 'RevokeSecurityGroupIngress', GroupId: 'sg-xyz', IpProtocol: 'tcp', FromPort: '1', ToPort: '1', CidrIp: '127.0.0.1/32' }, 400, 'InvalidGroupId.Malformed', 'Invalid id: "sg-xyz" (expecting "sg-...")'],
  [{ Action: 'DescribeSecurityGroups', 'GroupId.1': 'sg-0123456789abcdef0' }, 400, 'InvalidGroup.NotFound', "The security group 'sg-0123456789abcdef0' does not exist"],
  [{ Action: 'AuthorizeSecurityGroupIngress', GroupName: 'k8s-sandbox-nodes', IpProtocol: 'tcp', FromPort: '1', ToPort: '1', CidrIp: '300.0.0.1/32' }, 400, 'InvalidParameterValue', 'Value (300.0.0.1/32) for parameter cidrIp is invalid. This is not a valid CIDR block.'],
  [{ Action: 'AuthorizeSecurityGroupIngress', GroupName: 'k8s-sandbox-nodes', IpProtocol: 'tcp', FromPort: '2', ToPort: '1', CidrIp: '127.0.0.1/32' }, 400, 'InvalidParameterValue', 'Invalid TCP/UDP port range (2-1): ports must be from 0 to 65535, from port first.'],
  [{ Action: 'AuthorizeSecurityGroupIngress', GroupName: 'k8s-sandbox-nodes' }, 400, 'MissingParameter', 'The request must contain the parameter ipPermissions'],
  [{ Action: 'DescribeInstances', 'Filter.1.Name': 'tag-keys', 'Filter.1.Value.1': 'x' }, 400, 'InvalidParameterValue', "The filter 'tag-keys' is invalid"],
  [{ Action: 'DescribeInstances', 'InstanceId.1': 'i-0123456789abcdef0', 'InstanceId.2': 'i-0123456789abcdef1' }, 400, 'InvalidInstanceID.NotFound', "The instance IDs 'i-0123456789abcdef0, i-0123456789abcdef1' do not exist"],
  [{ Action: 'RunInstances' }, 400, 'InvalidAction', 'The action RunInstances is not valid for this web service.'],
  [{}, 400, 'MissingAction', 'The request must contain the parameter Action'],
])('error %j → %i %s', async (params, status, code, message) => {
  expectError(await call(params), status, code, message);
});

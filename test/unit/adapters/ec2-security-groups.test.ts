/**
 * The EC2 security-group adapter with a stub client answering `send`: what it asks (instances, then
 * their groups), how it reads IpPermissions, its cache, and its error mapping (what the sandbox answers
 * is covered end to end in test/e2e/node-port-security-groups.test.ts).
 */
import { DescribeInstancesCommand, DescribeSecurityGroupsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { createEc2SecurityGroups } from '../../../src/adapters/ec2-security-groups.js';
import { expectBotError } from '../../contract/expect-bot-error.js';

function awsError(name: string, status = 400): Error {
  return Object.assign(new Error(`${name} happened`), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

const INSTANCES = {
  $metadata: {},
  Reservations: [
    { Instances: [{ InstanceId: 'i-0aaa', SecurityGroups: [{ GroupId: 'sg-0abc', GroupName: 'k8s-prod-nodes' }] }] },
    { Instances: [{ InstanceId: 'i-0bbb', SecurityGroups: [{ GroupId: 'sg-0abc' }, { GroupId: 'sg-0def' }] }] },
  ],
};
const GROUPS = {
  $metadata: {},
  SecurityGroups: [
    {
      GroupId: 'sg-0abc',
      GroupName: 'k8s-prod-nodes',
      IpPermissions: [
        { IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: 'sg-0lb' }] },
        { IpProtocol: 'tcp', FromPort: 30080, ToPort: 30080, IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] },
      ],
    },
    { GroupId: 'sg-0def', GroupName: 'extra', IpPermissions: [] },
  ],
};

function stubClient(answers: { instances?: object | Error; groups?: object | Error }) {
  const sent: { command: string; input: unknown }[] = [];
  const answer = (a: object | Error | undefined) => (a instanceof Error ? Promise.reject(a) : Promise.resolve(a ?? { $metadata: {} }));
  const client = {
    send(command: unknown) {
      if (command instanceof DescribeInstancesCommand) {
        sent.push({ command: 'DescribeInstances', input: command.input });
        return answer(answers.instances);
      }
      if (command instanceof DescribeSecurityGroupsCommand) {
        sent.push({ command: 'DescribeSecurityGroups', input: command.input });
        return answer(answers.groups);
      }
      return Promise.reject(new Error('unexpected command'));
    },
  };
  // The adapter only calls `send`; a stub with just that stands in for the SDK client.
  return { client: client as unknown as EC2Client, sent };
}

test("asks for the instances by id, then for their groups by id, and reads each rule's sources", async () => {
  const { client, sent } = stubClient({ instances: INSTANCES, groups: GROUPS });
  const answer = await createEc2SecurityGroups(client).groupsOfInstances(['i-0aaa', 'i-0bbb']);
  expect(sent).toEqual([
    { command: 'DescribeInstances', input: { InstanceIds: ['i-0aaa', 'i-0bbb'] } },
    { command: 'DescribeSecurityGroups', input: { GroupIds: ['sg-0abc', 'sg-0def'] } },
  ]);
  expect(answer).toEqual({
    instances: [
      { instanceId: 'i-0aaa', groupIds: ['sg-0abc'] },
      { instanceId: 'i-0bbb', groupIds: ['sg-0abc', 'sg-0def'] },
    ],
    groups: [
      {
        groupId: 'sg-0abc',
        groupName: 'k8s-prod-nodes',
        ingress: [
          { protocol: '-1', cidrs: [], groups: ['sg-0lb'] },
          { protocol: 'tcp', fromPort: 30080, toPort: 30080, cidrs: ['0.0.0.0/0', '::/0'], groups: [] },
        ],
      },
      { groupId: 'sg-0def', groupName: 'extra', ingress: [] },
    ],
  });
});

test('one answer per set of instances while it is fresh (any order), asked again once it is not', async () => {
  let clock = 0;
  const { client, sent } = stubClient({ instances: INSTANCES, groups: GROUPS });
  const groups = createEc2SecurityGroups(client, { cacheMs: 30_000, now: () => clock });
  await Promise.all([groups.groupsOfInstances(['i-0aaa', 'i-0bbb']), groups.groupsOfInstances(['i-0bbb', 'i-0aaa'])]);
  clock = 29_999;
  await groups.groupsOfInstances(['i-0aaa', 'i-0bbb']);
  expect(sent.length).toBe(2);
  await groups.groupsOfInstances(['i-0aaa']); // another set
  expect(sent.length).toBe(4);
  clock = 30_000;
  await groups.groupsOfInstances(['i-0aaa', 'i-0bbb']);
  expect(sent.length).toBe(6);
});

test.each(['AccessDenied', 'UnauthorizedOperation'])('%s is `forbidden`, and not remembered', async (name) => {
  const { client, sent } = stubClient({ instances: awsError(name, 403) });
  const groups = createEc2SecurityGroups(client);
  await expectBotError(groups.groupsOfInstances(['i-0aaa']), 'forbidden');
  await expectBotError(groups.groupsOfInstances(['i-0aaa']), 'forbidden');
  expect(sent.length).toBe(2);
});

test('other failures are `aws_error`, transient where trying again can help', async () => {
  const { client } = stubClient({ instances: INSTANCES, groups: awsError('InternalFailure', 500) });
  const err = await expectBotError(createEc2SecurityGroups(client).groupsOfInstances(['i-0aaa']), 'aws_error');
  expect(err.transient).toBe(true);
});

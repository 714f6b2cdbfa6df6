/**
 * The EC2 ingress-rules adapter with a stub client answering `send`: the one IpPermission it sends
 * (IPv4 in IpRanges, IPv6 in Ipv6Ranges, the description on authorize only), EC2's Duplicate/NotFound
 * as `existed`/`absent`, and every other error in words (the sandbox's answers are covered end to end
 * in test/e2e/slack-allow.test.ts; its EC2 API does not read Ipv6Ranges yet).
 */
import type { AuthorizeSecurityGroupIngressCommand, RevokeSecurityGroupIngressCommand, EC2Client } from '@aws-sdk/client-ec2';
import { createEc2IngressRules } from '../../../src/adapters/ec2-ingress-rules.js';
import { expectBotError } from '../../contract/expect-bot-error.js';

function awsError(name: string, status = 400): Error {
  return Object.assign(new Error(`${name} happened`), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

function stubClient(answer?: Error) {
  const sent: { command: string; input: unknown }[] = [];
  const client = {
    send(command: AuthorizeSecurityGroupIngressCommand | RevokeSecurityGroupIngressCommand) {
      sent.push({ command: command.constructor.name, input: command.input });
      return answer ? Promise.reject(answer) : Promise.resolve({ $metadata: {} });
    },
  } as unknown as EC2Client;
  return { client, sent };
}

const v4 = { groupId: 'sg-0abc', protocol: 'tcp' as const, port: 30080, cidr: '203.0.113.0/24' };
const v6 = { ...v4, cidr: '2001:db8::/32' };

test('authorize sends one IpPermission: IPv4 in IpRanges with the description, IPv6 in Ipv6Ranges', async () => {
  const { client, sent } = stubClient();
  const rules = createEc2IngressRules(client);
  expect(await rules.authorize(v4, 'svcbot grant 1a2b3c4d')).toBe('added');
  expect(await rules.authorize(v6, 'svcbot grant 1a2b3c4d')).toBe('added');
  expect(await rules.revoke(v6)).toBe('revoked');
  expect(sent).toEqual([
    { command: 'AuthorizeSecurityGroupIngressCommand', input: { GroupId: 'sg-0abc', IpPermissions: [{ IpProtocol: 'tcp', FromPort: 30080, ToPort: 30080, IpRanges: [{ CidrIp: '203.0.113.0/24', Description: 'svcbot grant 1a2b3c4d' }] }] } },
    { command: 'AuthorizeSecurityGroupIngressCommand', input: { GroupId: 'sg-0abc', IpPermissions: [{ IpProtocol: 'tcp', FromPort: 30080, ToPort: 30080, Ipv6Ranges: [{ CidrIpv6: '2001:db8::/32', Description: 'svcbot grant 1a2b3c4d' }] }] } },
    { command: 'RevokeSecurityGroupIngressCommand', input: { GroupId: 'sg-0abc', IpPermissions: [{ IpProtocol: 'tcp', FromPort: 30080, ToPort: 30080, Ipv6Ranges: [{ CidrIpv6: '2001:db8::/32' }] }] } },
  ]);
});

test('a duplicate is a rule that existed; a rule not found is absent', async () => {
  expect(await createEc2IngressRules(stubClient(awsError('InvalidPermission.Duplicate')).client).authorize(v4, 'd')).toBe('existed');
  expect(await createEc2IngressRules(stubClient(awsError('InvalidPermission.NotFound')).client).revoke(v4)).toBe('absent');
});

test.each([
  ['UnauthorizedOperation', 403, 'authorize', 'forbidden', 'EC2 refused svcbot (UnauthorizedOperation) opening tcp/30080 from 203.0.113.0/24 in security group sg-0abc: its IAM policy needs ec2:AuthorizeSecurityGroupIngress on that group.', false],
  ['AccessDenied', 403, 'revoke', 'forbidden', 'EC2 refused svcbot (AccessDenied) closing tcp/30080 from 203.0.113.0/24 in security group sg-0abc: its IAM policy needs ec2:RevokeSecurityGroupIngress on that group.', false],
  ['InvalidGroup.NotFound', 400, 'revoke', 'not_found', 'Security group sg-0abc no longer exists: nothing to close there.', false],
  ['RequestLimitExceeded', 503, 'authorize', 'aws_error', 'Could not open tcp/30080 from 203.0.113.0/24 in security group sg-0abc: RequestLimitExceeded: RequestLimitExceeded happened.', true],
] as const)('%s on %s -> %s', async (name, status, action, code, message, transient) => {
  const rules = createEc2IngressRules(stubClient(awsError(name, status)).client);
  const call = action === 'authorize' ? rules.authorize(v4, 'd') : rules.revoke(v4);
  const err = await expectBotError(call, code);
  expect(err.userMessage).toBe(message);
  expect(err.transient).toBe(transient);
});

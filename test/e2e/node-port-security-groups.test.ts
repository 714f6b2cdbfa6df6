/**
 * NodePort answers say whether the nodes' security groups let each node port in, read from the sandbox's
 * EC2 API under manifests/'s IAM policy: closed by default, open to a CIDR once an operator authorizes it
 * (the admin EC2 client, as `aws ec2 authorize-security-group-ingress` would), and "cannot tell" — the
 * command still succeeding — when svcbot's policy lacks the EC2 actions.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AuthorizeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import { startBot, type BotUnderTest } from '../helpers/bot.js';
import { sandboxClients } from '../helpers/sandbox-clients.js';
import type { RecordedCall } from '../helpers/slack-stub.js';

function allText(call: RecordedCall): string {
  return `${String(call.body.text)}\n${JSON.stringify(call.body.blocks ?? [])}`;
}

/** svcbot's answer to `/svc TEXT`: its ephemeral reply, or (a change) its post in the channel that names `name`. */
async function answer(bot: BotUnderTest, text: string, name: string): Promise<string> {
  const seen = new Set(bot.slack.calls.filter((c) => c.method === 'chat.postMessage'));
  const { status, responseId } = await bot.command(text);
  expect(status).toBe(200);
  const reply = await bot.slack.waitForCall(
    (c) => (c.method === 'response_url' && c.responseId === responseId) || (c.method === 'chat.postMessage' && !seen.has(c) && String(c.body.text).includes(`\`${name}\``)),
  );
  return allText(reply);
}

function nodePortOf(bot: BotUnderTest, name: string): number {
  const port = bot.sandbox.cluster.getService('default', name)?.spec.ports?.[0]?.nodePort;
  expect(port).toBeDefined();
  return port!;
}

describe('under manifests/ IAM policy', () => {
  let bot: BotUnderTest;
  beforeAll(async () => {
    // Answers are not reused here, so the describe after the authorize sees it (svcbot's default keeps them 30 s).
    bot = await startBot({ jobs: false, approvals: false, securityGroupCacheMs: 0 });
  });
  afterAll(() => bot.stop());

  test('create --type nodeport says the node port is closed by the nodes\u2019 group; after the port is opened, describe says open to that CIDR', async () => {
    const groupId = bot.sandbox.ec2.nodesSecurityGroupId;
    const groupName = `k8s-${bot.sandbox.info.clusterName}-nodes`;
    const created = await answer(bot, 'create sg-web --selector app=alpine --port 80 --type nodeport', 'sg-web');
    const port = nodePortOf(bot, 'sg-web');
    expect(created).toContain(`node port ${port}: closed by the nodes\u2019 security group ${groupId} (${groupName}): reachable only inside the VPC`);

    const { ec2 } = sandboxClients(bot.sandbox);
    try {
      await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: groupId,
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{ CidrIp: '203.0.113.0/24' }] }],
        }),
      );
    } finally {
      ec2.destroy();
    }
    const described = await answer(bot, 'describe sg-web', 'sg-web');
    expect(described).toContain(`node port ${port}: open to 203.0.113.0/24 in ${groupId} (${groupName})`);
  });

  test('type NAME nodeport says it too', async () => {
    await answer(bot, 'create sg-retype --selector app=alpine --port 80', 'sg-retype');
    const changed = await answer(bot, 'type sg-retype nodeport', 'sg-retype');
    expect(changed).toContain(`node port ${nodePortOf(bot, 'sg-retype')}: closed by the nodes\u2019 security group ${bot.sandbox.ec2.nodesSecurityGroupId}`);
  });
});

test('with the EC2 actions missing from the IAM policy: the answer says svcbot cannot tell, and the command succeeds', async () => {
  const manifestPolicy = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../manifests/iam-policy.json'), 'utf8')) as { Statement: { Action: string[] }[] };
  const withoutEc2 = { ...manifestPolicy, Statement: manifestPolicy.Statement.filter((s) => !s.Action.some((a) => a.startsWith('ec2:'))) };
  const bot = await startBot({ jobs: false, approvals: false, sandbox: { iamPolicy: JSON.stringify(withoutEc2) }, refusalsExpected: true });
  try {
    const created = await answer(bot, 'create sg-denied --selector app=alpine --port 80 --type nodeport', 'sg-denied');
    const port = nodePortOf(bot, 'sg-denied');
    expect(created).toContain('created NodePort Service `sg-denied`');
    expect(created).toContain(
      `node port ${port}: svcbot cannot tell whether the nodes\u2019 security groups let it in (EC2 refused svcbot: its IAM policy needs ec2:DescribeInstances and ec2:DescribeSecurityGroups)`,
    );
    expect(bot.sandbox.refusals.some((r) => /DescribeInstances/.test(r))).toBe(true);
  } finally {
    await bot.stop();
  }
});

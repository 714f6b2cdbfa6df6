/**
 * A load balancer is announced only once svcbot has connected to it, end to end: svcbot's GET goes
 * through the sandbox's real data path (DNS → the ELB's loopback listener → an InService node's node port
 * → a ready pod), and one that stays silent is never called ready: the job says why, in words.
 */
import { AuthorizeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import type { Hop } from '../../sandbox/net/dataplane.js';
import { startBot, type BotUnderTest } from '../helpers/bot.js';
import { sandboxClients } from '../helpers/sandbox-clients.js';
import type { RecordedCall } from '../helpers/slack-stub.js';
import { waitFor } from '../helpers/wait.js';

let bot: BotUnderTest;
const hops: Hop[] = [];

beforeAll(async () => {
  bot = await startBot({ approvals: false, env: { JOB_TIMEOUT: '10s' } });
  bot.sandbox.dataPlane.onHop((hop) => hops.push(hop));
});
afterAll(() => bot.stop());

const text = (c: RecordedCall) => String(c.body.text);
/** The job's messages about `name`: posts and updates. */
const about = (name: string) => bot.slack.calls.filter((c) => (c.method === 'chat.postMessage' || c.method === 'chat.update') && text(c).includes(`default/${name}`));

test('an httpd behind it: "reachable" only after svcbot\'s GET went through the load balancer to a pod; the progress shows the step', async () => {
  await bot.command('create answered --selector app=alpine --port 8080:80 --type lb');
  await waitFor(() => about('answered').find((c) => text(c).includes('is reachable at')), { what: 'the endpoint message', timeoutMs: 15_000 });
  const lb = bot.sandbox.elb.list().find((l) => l.tags.get('kubernetes.io/service-name') === 'default/answered');
  expect(hops).toContainEqual(expect.objectContaining({ kind: 'loadBalancer', name: lb?.name, port: 8080 }));
  expect(hops).toContainEqual(expect.objectContaining({ kind: 'pod', namespace: 'default', port: 80, serves: 'http' }));
  const final = await waitFor(() => about('answered').find((c) => c.method === 'chat.update' && text(c).includes('Ready')), { what: 'the final progress' });
  expect(JSON.stringify(final.body)).toContain(':white_check_mark: endpoint answers');
}, 30_000);

test('no pod behind it: no instance passes the health check, never "reachable"; the job fails saying the selector matches no ready pod', async () => {
  await bot.command('create lonely --selector app=nobody --port 80 --type lb');
  const failed = await waitFor(() => about('lonely').find((c) => text(c).includes(':x: stuck at')), { what: 'the failure', timeoutMs: 25_000 });
  expect(text(failed)).toMatch(/stuck at \*instances in service\*/);
  expect(text(failed)).toMatch(/0 of \d+ instances in service: no ready endpoint behind the Service: its selector app=nobody matches no ready pod/);
  expect(about('lonely').filter((c) => text(c).includes('is reachable at'))).toEqual([]);
  // While it waited, the progress message said why.
  expect(about('lonely').some((c) => c.method === 'chat.update' && JSON.stringify(c.body).includes('app=nobody matches no ready pod'))).toBe(true);
}, 40_000);

test('a security group closed to svcbot: the wait says so; once the group lets svcbot in, "reachable"', async () => {
  const admin = sandboxClients(bot.sandbox);
  // A Service open only to a range svcbot is not in (the cloud provider builds the ELB's group from it;
  // the annotation, as spec.loadBalancerSourceRanges is refused on a ClusterIP Service).
  await admin.core.createNamespacedService({
    namespace: 'default',
    body: {
      metadata: { name: 'guarded', annotations: { 'service.beta.kubernetes.io/load-balancer-source-ranges': '203.0.113.0/24' } },
      spec: { type: 'ClusterIP', selector: { app: 'alpine' }, ports: [{ port: 80, targetPort: 80 }] },
    },
  });
  await bot.command('type guarded loadbalancer');
  const waiting = await waitFor(() => about('guarded').find((c) => c.method === 'chat.update' && JSON.stringify(c.body).includes('security group')), {
    what: 'the progress saying the security group keeps svcbot out',
    timeoutMs: 15_000,
  });
  expect(JSON.stringify(waiting.body)).toMatch(/lets port 80 in only from 203\.0\.113\.0\/24(, not from svcbot's address 127\.0\.0\.1|, which may not hold svcbot's address)/);
  expect(about('guarded').filter((c) => text(c).includes('is reachable at'))).toEqual([]);

  const lb = bot.sandbox.elb.list().find((l) => l.tags.get('kubernetes.io/service-name') === 'default/guarded');
  const groupId = lb?.securityGroups[0];
  expect(groupId).toBeDefined();
  try {
    await admin.ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '127.0.0.1/32' }] }] }));
  } finally {
    admin.ec2.destroy();
  }
  await waitFor(() => about('guarded').find((c) => text(c).includes('is reachable at')), { what: 'the endpoint message once the group lets svcbot in', timeoutMs: 15_000 });
}, 40_000);

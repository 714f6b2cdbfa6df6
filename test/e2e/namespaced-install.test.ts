/**
 * A namespaced install: svcbot configured with `namespaces: [team-a, team-b]`, its service account
 * bound only by the Roles `svcbot rbac` writes for them (and a ClusterRole that lists nodes), and the
 * sandbox enforcing exactly that. Everything svcbot does there works without a single refusal (stop()
 * fails on any): commands, the worker's Service watch (one per namespace), a load-balancer job, the orphan
 * scan. A command about another namespace is refused by svcbot in words, before the API server is asked.
 */
import { AppsV1Api } from '@kubernetes/client-node';
import { startBot, startBotSandbox, type BotUnderTest } from '../helpers/bot.js';
import { sandboxClients } from '../helpers/sandbox-clients.js';
import type { RecordedCall } from '../helpers/slack-stub.js';
import { waitFor } from '../helpers/wait.js';
import { rbacYaml } from '../../src/domain/kubernetes-access.js';
import type { Sandbox } from '../../sandbox/index.js';

const SERVICE_ACCOUNT = 'system:serviceaccount:svcbot:svcbot';
const owned = (service: string) => ({ 'kubernetes.io/cluster/sandbox': 'owned', 'kubernetes.io/service-name': service });
const LISTENER = { protocol: 'TCP', loadBalancerPort: 80, instanceProtocol: 'TCP', instancePort: 30080 };

function allText(call: RecordedCall): string {
  return `${String(call.body.text)}\n${JSON.stringify(call.body.blocks ?? [])}`;
}

let sandbox: Sandbox;
let bot: BotUnderTest;

beforeAll(async () => {
  sandbox = await startBotSandbox({ rbac: { yaml: rbacYaml(['team-a', 'team-b']), as: SERVICE_ACCOUNT } });
  const admin = sandboxClients(sandbox);
  for (const name of ['team-a', 'team-b', 'team-c']) await admin.core.createNamespace({ body: { metadata: { name } } });
  // A web server in team-b, for the load balancer svcbot proves by connecting to it before "Ready".
  await admin.kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
    namespace: 'team-b',
    body: {
      metadata: { name: 'alpine' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'alpine' } },
        template: { metadata: { labels: { app: 'alpine' } }, spec: { containers: [{ name: 'httpd', image: 'httpd:2.4-alpine', ports: [{ containerPort: 80 }] }] } },
      },
    },
  });
  // Someone else's Service, in a namespace svcbot does not work in.
  await admin.core.createNamespacedService({
    namespace: 'team-c',
    body: { metadata: { name: 'theirs' }, spec: { type: 'ClusterIP', selector: { app: 'x' }, ports: [{ port: 80 }] } },
  });
  const zone = [`${sandbox.info.region}a`];
  sandbox.elb.create({ name: 'a0rphan0team0a', listeners: [LISTENER], availabilityZones: zone, tags: owned('team-a/gone') });
  sandbox.elb.create({ name: 'a0ther0team0c', listeners: [LISTENER], availabilityZones: zone, tags: owned('team-c/gone') });
  bot = await startBot({ use: { sandbox }, env: { SVCBOT_NAMESPACES: 'team-a,team-b', ORPHAN_GRACE: '0s' }, approvals: false });
});

afterAll(async () => {
  try {
    // stop() fails on any request the sandbox refused: under the generated Roles there must be none.
    await bot?.stop();
  } finally {
    await sandbox?.close();
  }
});

async function say(text: string): Promise<RecordedCall> {
  const res = await bot.command(text, { user_id: 'U1ALICE', channel_id: 'C1' });
  expect(res.status).toBe(200);
  return bot.slack.waitForCall((c) => c.method === 'response_url' && c.responseId === res.responseId);
}

/** A change's outcome, which svcbot posts in the channel. */
async function change(text: string, outcome: string): Promise<RecordedCall> {
  const before = bot.slack.calls.length;
  expect((await bot.command(text, { user_id: 'U1ALICE', channel_id: 'C1' })).status).toBe(200);
  return bot.slack.waitForCall((c) => bot.slack.calls.indexOf(c) >= before && c.method === 'chat.postMessage' && allText(c).includes(outcome));
}

test('create, list (every namespace = the configured ones), describe and delete in a configured namespace', async () => {
  await change('create web -n team-a --selector app=alpine --port 8080:80', 'web.team-a.svc.cluster.local');
  expect(sandbox.cluster.getService('team-a', 'web')?.spec.type).toBe('ClusterIP');
  const list = allText(await say('list -A'));
  expect(list).toContain("1 Service in svcbot's namespaces (`team-a`, `team-b`) on cluster `sandbox`");
  expect(list).toContain('web');
  expect(list).not.toContain('theirs');
  expect(list).not.toContain('kubernetes');
  expect(allText(await say('describe web -n team-a'))).toContain('web.team-a.svc.cluster.local');
  await change('delete web -n team-a', 'deleted ClusterIP Service `web` in namespace `team-a`');
  expect(sandbox.cluster.getService('team-a', 'web')).toBeUndefined();
});

test('a command about another namespace is refused in words, and the API server is never asked', async () => {
  const requestsBefore = sandbox.refusals.length;
  for (const text of ['create web -n team-c --selector app=alpine --port 80', 'describe theirs -n team-c', 'delete theirs -n team-c', 'list -n default']) {
    const reply = allText(await say(text));
    expect(reply).toMatch(/svcbot works only in namespaces `team-a`, `team-b` on cluster `sandbox`, not in `(team-c|default)`/);
    expect(reply).not.toMatch(/forbidden|403/i);
  }
  expect(sandbox.cluster.getService('team-c', 'web')).toBeUndefined();
  expect(sandbox.cluster.getService('team-c', 'theirs')).toBeDefined();
  expect(sandbox.refusals.length).toBe(requestsBefore);
});

test("a load-balancer job runs to Ready on the worker's watch of the configured namespaces", async () => {
  expect((await bot.command('create shop -n team-b --selector app=alpine --port 80 --type lb')).status).toBe(200);
  await waitFor(
    () => bot.slack.calls.find((c) => c.method === 'chat.update' && String(c.body.text).includes('team-b/shop') && String(c.body.text).includes('Ready')),
    { what: 'the provisioning to be ready', timeoutMs: 15_000 },
  );
  expect(bot.logs()).not.toContain('service watch failed');
});

test("the orphan scan judges the configured namespaces' load balancers and leaves the others alone", async () => {
  const report = allText(await say('orphans'));
  expect(report).toContain('a0rphan0team0a');
  expect(report).not.toContain('a0ther0team0c');
  const all = allText(await say('orphans --all'));
  expect(all).toMatch(/a0ther0team0c.*namespace `team-c` of cluster `sandbox`, where svcbot does not work/s);
  const refused = allText(await say('orphan delete us-east-1/a0ther0team0c'));
  expect(refused).toContain('belongs to a Service in namespace `team-c` of cluster `sandbox`, where svcbot does not work');
  expect(sandbox.elb.list().map((lb) => lb.name)).toContain('a0ther0team0c');
});

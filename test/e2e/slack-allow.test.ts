/**
 * `/svc allow` end to end, under manifests/'s RBAC and IAM policy: signed slash commands and button presses
 * in, the Slack stand-in's calls out, the sandbox's EC2 security groups read back, and the node port tried
 * from the host (127.0.0.1) through the sandbox's data plane, which lets in what the nodes' group lets in.
 *
 * Through approval: the node port opens once approved and closes again at the grant's time (a delayed
 * job); `--list`, `--revoke`; everyone (0.0.0.0/0) refused by default and allowed when the policy says; a
 * rule opened by hand before is left as it was; two workers close a grant once (one message, one
 * RevokeSecurityGroupIngress); a worker stopped before the time and another started after still close it.
 */
import { AuthorizeSecurityGroupIngressCommand, DescribeSecurityGroupsCommand, RevokeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { startBot, startBotSandbox, newRedisPrefix, removeBotKeys, type BotUnderTest } from '../helpers/bot.js';
import { onEachBotRedis } from '../helpers/bot-redis.js';
import { sandboxClients } from '../helpers/sandbox-clients.js';
import { startSlackStub } from '../helpers/slack-stub.js';
import type { RecordedCall } from '../helpers/slack-stub.js';
import { waitFor } from '../helpers/wait.js';
import { tcpExchange } from '../sandbox/net/clients.js';
import type { Sandbox } from '../../sandbox/index.js';

const ALICE = 'U1ALICE';
const BOB = 'U2BOB';
/** Short grants in tests: the policy's shortest --for, from the environment. */
const SHORT = { SVCBOT_ALLOW_MIN_DURATION: '1s' };
const HTTP_GET = 'GET / HTTP/1.0\r\n\r\n';

function allText(call: RecordedCall): string {
  return `${String(call.body.text)}\n${JSON.stringify(call.body.blocks ?? [])}`;
}

/** A NodePort Service over the sandbox's seeded httpd pods, made as kubectl would; its node port. */
async function nodePortService(sandbox: Sandbox, name: string): Promise<number> {
  const { core } = sandboxClients(sandbox);
  const svc = await core.createNamespacedService({
    namespace: 'default',
    body: { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { type: 'NodePort', selector: { app: 'alpine' }, ports: [{ port: 80, targetPort: 80 }] } },
  });
  return svc.spec!.ports![0]!.nodePort!;
}

/** A node's ExternalIP: where the host reaches node ports. */
async function nodeAddress(sandbox: Sandbox): Promise<string> {
  const nodes = await sandboxClients(sandbox).core.listNode();
  return nodes.items[0]!.status!.addresses!.find((a) => a.type === 'ExternalIP')!.address;
}

/** Whether an HTTP GET from 127.0.0.1 to the node port gets an answer (the nodes' group lets the host in) or is reset. */
async function reachable(ip: string, port: number): Promise<boolean> {
  return (await tcpExchange(ip, port, HTTP_GET)).outcome === 'answered';
}

/** The nodes' group's rules for `port` from `cidr`, as EC2 describes them (the admin's view). */
async function rulesFor(sandbox: Sandbox, port: number, cidr: string): Promise<number> {
  const { ec2 } = sandboxClients(sandbox);
  try {
    const out = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [sandbox.ec2.nodesSecurityGroupId] }));
    return (out.SecurityGroups?.[0]?.IpPermissions ?? []).filter((p) => p.FromPort === port && (p.IpRanges ?? []).some((r) => r.CidrIp === cidr)).length;
  } finally {
    ec2.destroy();
  }
}

/** Counts the RevokeSecurityGroupIngress calls that reach the sandbox's EC2 store (test instrumentation only). */
function countRevokes(sandbox: Sandbox): { count: () => number } {
  let n = 0;
  const store = sandbox.ec2;
  const original = store.revokeIngress.bind(store);
  store.revokeIngress = (...args: Parameters<typeof original>) => {
    n += 1;
    return original(...args);
  };
  return { count: () => n };
}

function harness(bot: BotUnderTest) {
  const slack = bot.slack;
  /** `text` typed by `user` in C1: its ephemeral answer (response_url), or its answer posted in the channel (a change made). */
  async function say(text: string, user = ALICE): Promise<RecordedCall> {
    const seen = new Set(slack.calls);
    const res = await bot.command(text, { user_id: user, channel_id: 'C1' });
    expect(res.status).toBe(200);
    return slack.waitForCall(
      (c) =>
        (c.method === 'response_url' && c.responseId === res.responseId) ||
        (c.method === 'chat.postMessage' &&
          !seen.has(c) &&
          c.body.channel === 'C1' &&
          c.body.thread_ts === undefined &&
          /^:(unlock|lock): (Opened|Closed grant)/.test(String(c.body.text))),
    );
  }
  /** A grant's closing message. */
  const closedPosts = (id: string) => slack.calls.filter((c) => c.method === 'chat.postMessage' && String(c.body.text).includes(':lock: Closed:') && String(c.body.text).includes(id));
  return { slack, say, closedPosts };
}

onEachBotRedis((redis) => describe('through approval', () => {
  let bot: BotUnderTest;
  let h: ReturnType<typeof harness>;
  beforeAll(async () => {
    bot = await startBot({ redis: redis(), env: SHORT, securityGroupCacheMs: 0 });
    h = harness(bot);
  });
  afterAll(() => bot.stop());

  test('allow -> approve button -> the node port opens to that range only -> at its time it closes again; the thread hears of both; audited', async () => {
    const port = await nodePortService(bot.sandbox, 'al-web');
    const ip = await nodeAddress(bot.sandbox);
    expect(await reachable(ip, port)).toBe(false);

    const waiting = await h.say('allow al-web --from 127.0.0.1/32 --for 5s');
    const id = /request `([0-9a-f]{8})`/.exec(String(waiting.body.text))?.[1];
    expect(id).toBeDefined();
    const request = await h.slack.waitForCall((c) => c.method === 'chat.postMessage' && String(c.body.text).includes('Approval needed') && String(c.body.text).includes(id!));
    const requestText = allText(request);
    expect(requestText).toContain('opens the node ports of NodePort Service `al-web`');
    expect(requestText).toContain('to `127.0.0.1/32`');
    expect(requestText).toContain(bot.sandbox.ec2.nodesSecurityGroupId);
    expect(await reachable(ip, port)).toBe(false);

    const pressed = await bot.press('svc_approve', id!, { user_id: BOB, message_ts: String(request.ts) });
    expect(pressed.status).toBe(200);
    const opened = await h.slack.waitForCall((c) => c.method === 'chat.postMessage' && c.body.thread_ts === request.ts && String(c.body.text).includes(':unlock: Opened'));
    expect(String(opened.body.text)).toContain(`\`tcp/${port}\` in \`${bot.sandbox.ec2.nodesSecurityGroupId}\``);
    expect(String(opened.body.text)).toContain(`Grant \`${id!}\``);
    expect(await reachable(ip, port)).toBe(true);
    expect(await rulesFor(bot.sandbox, port, '127.0.0.1/32')).toBe(1);

    const listed = await h.say('allow --list', BOB);
    expect(allText(listed)).toContain(`\`${id!}\``);
    expect(allText(listed)).toContain('`default/al-web`');

    const closed = await h.slack.waitForCall((c) => c.method === 'chat.postMessage' && c.body.thread_ts === request.ts && String(c.body.text).includes(':lock: Closed:'), 15_000);
    expect(String(closed.body.text)).toContain('its time was up');
    expect(await reachable(ip, port)).toBe(false);
    expect(await rulesFor(bot.sandbox, port, '127.0.0.1/32')).toBe(0);
    expect(allText(await h.say('allow --list', BOB))).not.toContain(id!);
    const audit = allText(await h.say('audit 10 --service al-web', BOB));
    expect(audit).toContain(`opened grant ${id!}`);
    expect(audit).toContain(`expired: closed grant ${id!}`);
  });

  test('allow --revoke closes it now and says so in the thread; a second revoke says it was closed already', async () => {
    const port = await nodePortService(bot.sandbox, 'al-revoke');
    const ip = await nodeAddress(bot.sandbox);
    const waiting = await h.say('allow al-revoke --from 127.0.0.1/32 --for 1h');
    const id = /request `([0-9a-f]{8})`/.exec(String(waiting.body.text))![1]!;
    const request = await h.slack.waitForCall((c) => c.method === 'chat.postMessage' && String(c.body.text).includes('Approval needed') && String(c.body.text).includes(id));
    await bot.press('svc_approve', id, { user_id: BOB, message_ts: String(request.ts) });
    await h.slack.waitForCall((c) => c.method === 'chat.postMessage' && c.body.thread_ts === request.ts && String(c.body.text).includes(':unlock: Opened'));
    expect(await reachable(ip, port)).toBe(true);

    const revoked = await h.say(`allow --revoke ${id}`, BOB);
    expect(String(revoked.body.text)).toContain(`Closed grant \`${id}\``);
    expect(await reachable(ip, port)).toBe(false);
    const closed = await h.slack.waitForCall((c) => c.method === 'chat.postMessage' && c.body.thread_ts === request.ts && String(c.body.text).includes(':lock: Closed:'));
    expect(String(closed.body.text)).toContain(`revoked by <@${BOB}>`);
    expect(String((await h.say(`allow --revoke ${id}`, BOB)).body.text)).toContain('was closed already');
  });

  test('0.0.0.0/0 is refused by the default policy, at the request: nothing waits for approval', async () => {
    await nodePortService(bot.sandbox, 'al-world');
    const refused = await h.say('allow al-world --from 0.0.0.0/0');
    expect(String(refused.body.text)).toContain('Opening a port to everyone (0.0.0.0/0) is refused');
    expect(String(refused.body.text)).toContain('policy.allow.worldOpen');
  });

  test('a ClusterIP Service: refused, it has no address outside the cluster; an unknown grant: said so', async () => {
    const { core } = sandboxClients(bot.sandbox);
    await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'al-cip' }, spec: { selector: { app: 'alpine' }, ports: [{ port: 80 }] } } });
    expect(String((await h.say('allow al-cip --from 127.0.0.1/32')).body.text)).toContain('is a ClusterIP Service: it has no address outside the cluster');
    expect(String((await h.say('allow --revoke 0badc0de')).body.text)).toContain('There is no grant 0badc0de');
  });
}));

describe('without approval, with world-open ranges allowed by the policy', () => {
  let bot: BotUnderTest;
  let h: ReturnType<typeof harness>;
  beforeAll(async () => {
    bot = await startBot({ env: { ...SHORT, SVCBOT_ALLOW_WORLD_OPEN: 'true' }, approvals: false, securityGroupCacheMs: 0 });
    h = harness(bot);
  });
  afterAll(() => bot.stop());

  test('0.0.0.0/0 opens when the policy allows it', async () => {
    const port = await nodePortService(bot.sandbox, 'al-open');
    const ip = await nodeAddress(bot.sandbox);
    const answer = await h.say('allow al-open --from 0.0.0.0/0 --for 1h');
    expect(String(answer.body.text)).toContain(':unlock: Opened');
    expect(await reachable(ip, port)).toBe(true);
    const id = /Grant `([0-9a-f]{8})`/.exec(String(answer.body.text))![1]!;
    await h.say(`allow --revoke ${id}`);
    expect(await reachable(ip, port)).toBe(false);
  });

  test('a rule opened by hand before is not the grant\u2019s: it stays at the grant\u2019s end', async () => {
    const port = await nodePortService(bot.sandbox, 'al-manual');
    const ip = await nodeAddress(bot.sandbox);
    const { ec2 } = sandboxClients(bot.sandbox);
    const byHand = { IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{ CidrIp: '127.0.0.1/32' }] };
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: bot.sandbox.ec2.nodesSecurityGroupId, IpPermissions: [byHand] }));
    try {
      const answer = await h.say('allow al-manual --from 127.0.0.1/32 --for 2s');
      expect(allText(answer)).toContain('was open already (by hand or another grant)');
      const id = /Grant `([0-9a-f]{8})`/.exec(String(answer.body.text))![1]!;
      await h.slack.waitForCall((c) => c.method === 'chat.postMessage' && String(c.body.text).includes(':lock: Closed:') && String(c.body.text).includes(id), 15_000);
      expect(await rulesFor(bot.sandbox, port, '127.0.0.1/32')).toBe(1);
      expect(await reachable(ip, port)).toBe(true);
    } finally {
      await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: bot.sandbox.ec2.nodesSecurityGroupId, IpPermissions: [byHand] }));
      ec2.destroy();
    }
  });

  test('a LoadBalancer Service: its listener ports open in the load balancer\u2019s own security group to the host, and close again', async () => {
    const { core } = sandboxClients(bot.sandbox);
    // Its source ranges leave the host (127.0.0.1) out: the load balancer's group refuses it at the listener.
    await core.createNamespacedService({
      namespace: 'default',
      body: { metadata: { name: 'al-lb' }, spec: { type: 'LoadBalancer', selector: { app: 'alpine' }, ports: [{ port: 8080, targetPort: 80 }], loadBalancerSourceRanges: ['127.0.0.2/32'] } },
    });
    await waitFor(() => bot.sandbox.cluster.getService('default', 'al-lb')?.status?.loadBalancer?.ingress?.[0]?.hostname, { what: 'the load balancer\u2019s hostname' });
    const lb = bot.sandbox.elb.list().find((l) => l.tags.get('kubernetes.io/service-name') === 'default/al-lb')!;
    const groupId = lb.securityGroups[0]!;
    const address = lb.addresses[0]!;
    await waitFor(async () => (await tcpExchange(address, 8080, HTTP_GET, '127.0.0.2')).outcome === 'answered', { what: 'the load balancer to answer its source range' });
    expect(await reachable(address, 8080)).toBe(false);
    const answer = await h.say('allow al-lb --from 127.0.0.1/32 --for 1h');
    expect(String(answer.body.text)).toContain(`:unlock: Opened load balancer \`${lb.name}\` of \`al-lb\``);
    expect(String(answer.body.text)).toContain(`\`tcp/8080\` in \`${groupId}\``);
    const { ec2 } = sandboxClients(bot.sandbox);
    const rules = async () =>
      ((await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }))).SecurityGroups?.[0]?.IpPermissions ?? []).filter(
        (p) => p.FromPort === 8080 && (p.IpRanges ?? []).some((r) => r.CidrIp === '127.0.0.1/32'),
      ).length;
    try {
      expect(await rules()).toBe(1);
      expect(await reachable(address, 8080)).toBe(true);
      await h.say(`allow --revoke ${/Grant `([0-9a-f]{8})`/.exec(String(answer.body.text))![1]!}`);
      expect(await rules()).toBe(0);
      expect(await reachable(address, 8080)).toBe(false);
    } finally {
      ec2.destroy();
    }
  });

  test('two grants of the same rule: the rule stays until the last one ends', async () => {
    const port = await nodePortService(bot.sandbox, 'al-shared');
    const ip = await nodeAddress(bot.sandbox);
    const first = /Grant `([0-9a-f]{8})`/.exec(String((await h.say('allow al-shared --from 127.0.0.1/32 --for 1h')).body.text))![1]!;
    const second = /Grant `([0-9a-f]{8})`/.exec(String((await h.say('allow al-shared --from 127.0.0.1/32 --for 1h', BOB)).body.text))![1]!;
    await h.say(`allow --revoke ${first}`);
    expect(await reachable(ip, port)).toBe(true);
    await h.say(`allow --revoke ${second}`);
    expect(await reachable(ip, port)).toBe(false);
  });
});

describe('two workers, and a restart before the time', () => {
  test('two processes running the expiry jobs: the grant is closed once (one message, one RevokeSecurityGroupIngress)', async () => {
    const sandbox = await startBotSandbox();
    const slack = await startSlackStub();
    const prefix = newRedisPrefix();
    const common = { use: { sandbox, slack }, redisPrefix: prefix, keepKeys: true as const, env: SHORT, approvals: false as const, securityGroupCacheMs: 0 };
    const revokes = countRevokes(sandbox);
    const a = await startBot(common);
    const b = await startBot(common);
    try {
      const port = await nodePortService(sandbox, 'al-two');
      const ip = await nodeAddress(sandbox);
      const answer = await harness(a).say('allow al-two --from 127.0.0.1/32 --for 2s');
      const id = /Grant `([0-9a-f]{8})`/.exec(String(answer.body.text))![1]!;
      expect(await reachable(ip, port)).toBe(true);
      await slack.waitForCall((c) => c.method === 'chat.postMessage' && String(c.body.text).includes(':lock: Closed:') && String(c.body.text).includes(id), 15_000);
      expect(await reachable(ip, port)).toBe(false);
      // Both workers had time to run it twice over: still one of each.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(harness(a).closedPosts(id)).toHaveLength(1);
      expect(revokes.count()).toBe(1);
    } finally {
      await a.stop();
      await b.stop();
      await removeBotKeys(prefix);
      await slack.close();
      await sandbox.close();
    }
  });

  test('a worker stopped before the grant\u2019s time and another started after it: the grant is still closed', async () => {
    const sandbox = await startBotSandbox();
    const slack = await startSlackStub();
    const prefix = newRedisPrefix();
    const common = { use: { sandbox, slack }, redisPrefix: prefix, keepKeys: true as const, env: SHORT, approvals: false as const, securityGroupCacheMs: 0 };
    try {
      const first = await startBot(common);
      const port = await nodePortService(sandbox, 'al-restart');
      const ip = await nodeAddress(sandbox);
      const opened = Date.now();
      const answer = await harness(first).say('allow al-restart --from 127.0.0.1/32 --for 3s');
      const id = /Grant `([0-9a-f]{8})`/.exec(String(answer.body.text))![1]!;
      await first.stop();
      expect(await reachable(ip, port)).toBe(true);
      // Nobody runs the expiry meanwhile: at its time, the port is still open.
      await waitFor(() => Date.now() > opened + 4000, { what: 'the grant\u2019s time to pass', timeoutMs: 10_000, intervalMs: 100 });
      expect(await reachable(ip, port)).toBe(true);
      const second = await startBot(common);
      try {
        await slack.waitForCall((c) => c.method === 'chat.postMessage' && String(c.body.text).includes(':lock: Closed:') && String(c.body.text).includes(id), 15_000);
        expect(await reachable(ip, port)).toBe(false);
      } finally {
        await second.stop();
      }
    } finally {
      await removeBotKeys(prefix);
      await slack.close();
      await sandbox.close();
    }
  });
});

test('without ec2:AuthorizeSecurityGroupIngress in the IAM policy: the answer names the permission, nothing is opened or left behind', async () => {
  const manifestPolicy = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../manifests/iam-policy.json'), 'utf8')) as { Statement: { Action: string[] }[] };
  const withoutAuthorize = { ...manifestPolicy, Statement: manifestPolicy.Statement.map((s) => ({ ...s, Action: s.Action.filter((a) => a !== 'ec2:AuthorizeSecurityGroupIngress') })) };
  const bot = await startBot({ env: SHORT, approvals: false, securityGroupCacheMs: 0, sandbox: { iamPolicy: JSON.stringify(withoutAuthorize) }, refusalsExpected: true });
  try {
    const h = harness(bot);
    const port = await nodePortService(bot.sandbox, 'al-denied');
    const ip = await nodeAddress(bot.sandbox);
    const answer = await h.say('allow al-denied --from 127.0.0.1/32 --for 1h');
    expect(String(answer.body.text)).toContain(`EC2 refused svcbot (UnauthorizedOperation) opening tcp/${port} from 127.0.0.1/32 in security group ${bot.sandbox.ec2.nodesSecurityGroupId}: its IAM policy needs ec2:AuthorizeSecurityGroupIngress on that group.`);
    expect(await reachable(ip, port)).toBe(false);
    expect(allText(await h.say('allow --list'))).toContain('No openings in force');
    expect(bot.sandbox.refusals.some((r) => /AuthorizeSecurityGroupIngress/.test(r))).toBe(true);
  } finally {
    await bot.stop();
  }
});

test('the policy is checked again when the approved request runs: 0.0.0.0/0 asked under a policy that allowed it, approved under one that does not, is not opened', async () => {
  const sandbox = await startBotSandbox();
  const slack = await startSlackStub();
  const prefix = newRedisPrefix();
  const common = { use: { sandbox, slack }, redisPrefix: prefix, keepKeys: true as const, securityGroupCacheMs: 0 };
  const lenient = await startBot({ ...common, env: { ...SHORT, SVCBOT_ALLOW_WORLD_OPEN: 'true' } });
  const strict = await startBot({ ...common, env: SHORT });
  try {
    const port = await nodePortService(sandbox, 'al-policy');
    const ip = await nodeAddress(sandbox);
    const waiting = await harness(lenient).say('allow al-policy --from 0.0.0.0/0 --for 1h');
    const id = /request `([0-9a-f]{8})`/.exec(String(waiting.body.text))![1]!;
    const request = await slack.waitForCall((c) => c.method === 'chat.postMessage' && String(c.body.text).includes('Approval needed') && String(c.body.text).includes(id));
    expect(allText(request)).toContain('to `0.0.0.0/0`');
    // Approved through the process whose policy refuses it (a deployment whose policy was tightened since).
    await strict.press('svc_approve', id, { user_id: BOB, message_ts: String(request.ts) });
    const outcome = await slack.waitForCall((c) => c.method === 'chat.postMessage' && c.body.thread_ts === request.ts && /did not run|not run/i.test(String(c.body.text)));
    expect(allText(outcome)).toContain('Opening a port to everyone (0.0.0.0/0) is refused');
    expect(await reachable(ip, port)).toBe(false);
    expect(await rulesFor(sandbox, port, '0.0.0.0/0')).toBe(0);
  } finally {
    await lenient.stop();
    await strict.stop();
    await removeBotKeys(prefix);
    await slack.close();
    await sandbox.close();
  }
});

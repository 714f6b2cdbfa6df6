/**
 * Several web replicas answering Slack at once, as behind a load balancer (round-robin here), on one
 * Redis: the same change submitted through both at the same moment is one job, one Service, one load
 * balancer and one progress message; an approval pressed on two replicas at once is decided once.
 */
import { newRedisPrefix, removeBotKeys, startBot, startBotSandbox, type BotUnderTest } from '../helpers/bot.js';
import { startSlackStub, type RecordedCall, type SlackStub } from '../helpers/slack-stub.js';
import { auditEntries } from '../helpers/audit-stream.js';
import { waitFor } from '../helpers/wait.js';
import type { Sandbox } from '../../sandbox/index.js';

const ALICE = 'U1ALICE';
const BOB = 'U2BOB';
const CAROL = 'U3CAROL';

function allText(call: RecordedCall): string {
  return `${String(call.body.text)}\n${JSON.stringify(call.body.blocks ?? [])}`;
}

let sandbox: Sandbox;
let slack: SlackStub;
const prefixes: string[] = [];
const bots: BotUnderTest[] = [];

beforeAll(async () => {
  sandbox = await startBotSandbox();
  slack = await startSlackStub();
});
afterAll(async () => {
  for (const bot of bots.splice(0)) await bot.stop();
  for (const prefix of prefixes) await removeBotKeys(prefix);
  await slack.close();
  await sandbox.close();
});

/** Two replicas on one Redis prefix, one Slack and one cluster. */
async function replicas(options: { approvals?: false } = {}): Promise<[BotUnderTest, BotUnderTest, string]> {
  const prefix = newRedisPrefix();
  prefixes.push(prefix);
  const start = () => startBot({ use: { sandbox, slack }, redisPrefix: prefix, keepKeys: true, ...options });
  const pair = [await start(), await start()] as const;
  bots.push(...pair);
  return [pair[0], pair[1], prefix];
}

test('the same change through two replicas at once, 20 times round-robin: one job, one Service, one load balancer, one progress message', async () => {
  const [a, b] = await replicas({ approvals: false });
  const text = 'create twice --selector app=alpine --port 80 --type lb';
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).command(text, { user_id: ALICE, channel_id: 'C1' })));
  expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
  const replies = await Promise.all(answers.map((r) => slack.waitForCall((c) => c.method === 'response_url' && c.responseId === r.responseId)));
  const texts = replies.map(allText);
  const jobId = `provision.${sandbox.info.clusterName}.default.twice`;
  expect(texts.every((t) => t.includes(jobId))).toBe(true);
  expect(texts.filter((t) => /Queued/.test(t) && !/Already in progress/.test(t))).toHaveLength(1);
  expect(texts.filter((t) => /Already in progress/.test(t))).toHaveLength(19);
  await waitFor(() => slack.calls.find((c) => c.method === 'chat.update' && String(c.body.text).includes('default/twice') && String(c.body.text).includes('Ready')), {
    what: 'the load balancer to be ready',
    timeoutMs: 15_000,
  });
  expect(sandbox.cluster.listServices().filter((s) => s.metadata.name === 'twice')).toHaveLength(1);
  expect(sandbox.elb.list().filter((lb) => lb.tags.get('kubernetes.io/service-name') === 'default/twice')).toHaveLength(1);
  const progress = slack.calls.filter((c) => c.method === 'chat.postMessage' && String(c.body.text).startsWith('Load balancer for `default/twice`'));
  expect(progress).toHaveLength(1);
});

test('one request approved on two replicas at the same moment is decided once: one approval, one job, one audit entry', async () => {
  const [a, b, prefix] = await replicas();
  const typed = await a.command('create once --selector app=alpine --port 80 --type lb', { user_id: ALICE, channel_id: 'C1' });
  const waiting = allText(await slack.waitForCall((c) => c.method === 'response_url' && c.responseId === typed.responseId));
  const id = /request `([0-9a-f]{8})`/.exec(waiting)?.[1];
  expect(id).toBeDefined();
  const [byBob, byCarol] = await Promise.all([a.command(`approve ${id!}`, { user_id: BOB, channel_id: 'C1' }), b.command(`approve ${id!}`, { user_id: CAROL, channel_id: 'C1' })]);
  const answers = await Promise.all([byBob, byCarol].map((r) => slack.waitForCall((c) => c.method === 'response_url' && c.responseId === r.responseId).then(allText)));
  expect(answers.filter((t) => t.includes(`Approved request \`${id!}\``))).toHaveLength(1);
  expect(answers.filter((t) => t.includes('already approved'))).toHaveLength(1);
  await waitFor(() => slack.calls.find((c) => c.method === 'chat.update' && String(c.body.text).includes('default/once') && String(c.body.text).includes('Ready')), {
    what: 'the approved load balancer to be ready',
    timeoutMs: 15_000,
  });
  const entries = (await auditEntries(a.redisUrl, prefix)).filter((e) => e.requestId === id);
  expect(entries.filter((e) => e.action === 'approved')).toHaveLength(1);
  expect(sandbox.elb.list().filter((lb) => lb.tags.get('kubernetes.io/service-name') === 'default/once')).toHaveLength(1);
});

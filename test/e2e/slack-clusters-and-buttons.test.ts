/**
 * Several configured clusters (one of them unreachable) and the buttons on svcbot's replies, driven as
 * Slack drives them: signed slash commands and signed `block_actions` interaction payloads.
 */
import { BOT_TOKEN, SIGNING_SECRET, startBot, type BotUnderTest } from '../helpers/bot.js';
import { postSigned } from '../helpers/slack-request.js';
import type { RecordedCall } from '../helpers/slack-stub.js';
import { waitFor } from '../helpers/wait.js';

let bot: BotUnderTest;

// `prod` is the sandbox; `dr` points at a port nothing listens on.
const YAML = `
kubeconfig: /virtual/kubeconfig
clusters:
  - name: prod
    context: sandbox
    clusterName: sandbox
    region: us-east-1
  - name: dr
    context: dr
    clusterName: dr-cluster
    region: us-west-2
`;

const UNREACHABLE_KUBECONFIG = `
apiVersion: v1
kind: Config
clusters: [{ name: dr, cluster: { server: "http://127.0.0.1:9", insecure-skip-tls-verify: true } }]
users: [{ name: dr, user: {} }]
contexts: [{ name: dr, context: { cluster: dr, user: dr } }]
current-context: dr
`;

beforeAll(async () => {
  bot = await startBot({ yaml: YAML, kubeconfigs: { dr: UNREACHABLE_KUBECONFIG } });
});
afterAll(() => bot.stop());

function reply(responseId: string): Promise<RecordedCall> {
  return bot.slack.waitForCall((c) => c.method === 'response_url' && c.responseId === responseId);
}

function allText(call: RecordedCall): string {
  return `${String(call.body.text)}\n${JSON.stringify(call.body.blocks ?? [])}`;
}

test('the first configured cluster is the default; --cluster picks another', async () => {
  const res = await bot.command('list --cluster prod');
  expect(allText(await reply(res.responseId))).toMatch(/prod/);
  const dflt = await bot.command('create on-default --selector app=alpine --port 80');
  await bot.slack.waitForCall((c) => c.method === 'chat.postMessage' && String(c.body.text).includes('on-default'));
  expect(bot.sandbox.cluster.getService('default', 'on-default')).toBeDefined();
  expect(dflt.status).toBe(200);
});

test('an unreachable cluster is reported with its name', async () => {
  const res = await bot.command('list --cluster dr');
  const text = allText(await reply(res.responseId));
  expect(text).toMatch(/`dr`/);
  expect(text).toMatch(/unreachable/);
});

test('an unknown cluster gets a did-you-mean among the configured ones', async () => {
  const res = await bot.command('list --cluster prd');
  const text = allText(await reply(res.responseId));
  expect(text).toMatch(/prod/);
  expect(text).toMatch(/dr/);
});

async function pressButton(actionId: string, value: string, responseId: string): Promise<number> {
  const payload = {
    type: 'block_actions',
    user: { id: 'U2BOB', username: 'bob', team_id: 'T1' },
    api_app_id: 'A1',
    token: 'deprecated',
    container: { type: 'message', message_ts: '1.2', channel_id: 'C1', is_ephemeral: false },
    trigger_id: '1.2.3',
    team: { id: 'T1', domain: 'test' },
    channel: { id: 'C1', name: 'ops' },
    response_url: bot.slack.responseUrl(responseId),
    actions: [{ type: 'button', action_id: actionId, block_id: 'b1', value, text: { type: 'plain_text', text: 'x' }, action_ts: '1.3' }],
  };
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const res = await postSigned(bot.eventsUrl, body, SIGNING_SECRET);
  return res.status;
}

test('the Details and Delete buttons on a reply run describe and delete as the user who pressed them', async () => {
  await bot.command('create buttoned --selector app=alpine --port 80');
  const post = await bot.slack.waitForCall((c) => c.method === 'chat.postMessage' && String(c.body.text).includes('buttoned'));
  expect(post.authorization).toBe(`Bearer ${BOT_TOKEN}`);
  const buttons = (post.body.blocks as { type: string; elements?: { action_id: string; value: string }[] }[])
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements ?? []);
  const details = buttons.find((b) => b.action_id === 'svc_describe')!;
  const del = buttons.find((b) => b.action_id === 'svc_delete')!;

  expect(await pressButton(details.action_id, details.value, 'details-1')).toBe(200);
  expect(allText(await reply('details-1'))).toMatch(/Service buttoned/);

  expect(await pressButton(del.action_id, del.value, 'delete-1')).toBe(200);
  const deleted = await bot.slack.waitForCall((c) => c.method === 'chat.postMessage' && String(c.body.text).includes('deleted'));
  expect(String(deleted.body.text)).toContain('<@U2BOB>');
  await waitFor(() => bot.sandbox.cluster.getService('default', 'buttoned') === undefined, { what: 'deletion' });
});

test('a button with a forged value changes nothing', async () => {
  await bot.command('create keepme --selector app=alpine --port 80');
  await bot.slack.waitForCall((c) => c.method === 'chat.postMessage' && String(c.body.text).includes('keepme'));
  const forged = JSON.stringify({ cluster: 'prod', namespace: 'default', name: 'keepme --cluster dr' });
  const callsBefore = bot.slack.calls.length;
  expect(await pressButton('svc_delete', forged, 'forged-1')).toBe(200);
  // Pressing a valid button afterwards proves the forged one was fully handled (and ignored) first.
  const valid = JSON.stringify({ cluster: 'prod', namespace: 'default', name: 'keepme' });
  expect(await pressButton('svc_describe', valid, 'valid-1')).toBe(200);
  await reply('valid-1');
  expect(bot.slack.calls.slice(callsBefore).some((c) => c.responseId === 'forged-1')).toBe(false);
  expect(bot.sandbox.cluster.getService('default', 'keepme')).toBeDefined();
});

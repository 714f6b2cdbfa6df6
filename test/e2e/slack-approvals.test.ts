/**
 * Approvals, the policy and the audit log, end to end: signed slash commands and signed button presses
 * in, the Slack stand-in's recorded Web API and response_url calls out, the sandbox's cluster and ELBs
 * checked, and the audit stream read back from Redis under the bot's own key prefix.
 *
 * Three svcbots: the default policy (anyone but the requester approves) with an audit channel; approvers
 * (a user and a user group) with self-approval on and an approval channel; and a one-second TTL. All of it
 * twice: on one Redis and on a local Redis Cluster (test/helpers/bot-redis.ts), where the approval store,
 * the queue and the audit stream sit on different masters.
 */
import type { Cluster, Redis } from 'ioredis';
import { BOT_TOKEN, SIGNING_SECRET, startBot, type BotUnderTest } from '../helpers/bot.js';
import { onEachBotRedis } from '../helpers/bot-redis.js';
import { sandboxClients } from '../helpers/sandbox-clients.js';
import { blockActionsBody, postSigned } from '../helpers/slack-request.js';
import type { RecordedCall } from '../helpers/slack-stub.js';
import { waitFor } from '../helpers/wait.js';
import type { AuditEntry } from '../../src/ports/audit.js';

const ALICE = 'U1ALICE';
const BOB = 'U2BOB';
const CAROL = 'U3CAROL';
const DAVE = 'U4DAVE';
const ERIN = 'U5ERIN';
const NAMES: Record<string, string> = { [ALICE]: 'alice', [BOB]: 'bob', [CAROL]: 'carol', [DAVE]: 'dave', [ERIN]: 'erin' };
const CLUSTER = 'sandbox';
const AUDIT_CHANNEL = 'C0AUDIT';

interface Button {
  action_id: string;
  value: string;
  confirm?: { title: { text: string }; text: { text: string } };
}

function allText(call: RecordedCall): string {
  return `${String(call.body.text)}\n${JSON.stringify(call.body.blocks ?? [])}`;
}

function buttonsOf(call: RecordedCall): Button[] {
  return ((call.body.blocks ?? []) as { type: string; elements?: Button[] }[]).filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);
}

function hasActions(call: RecordedCall): boolean {
  return ((call.body.blocks ?? []) as { type: string }[]).some((b) => b.type === 'actions');
}

/** A NodePort (or other) Service made directly in the sandbox, as kubectl would: no svcbot, no approval. */
function serviceBody(name: string, type: 'NodePort' | 'ClusterIP' = 'NodePort') {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { type, selector: { app: 'alpine' }, ports: [{ port: 80, targetPort: 80 }] } };
}

/** What the tests do with one bot: ask for changes, decide them, and read what Slack and the audit log (through `redis`) saw. */
function harness(bot: BotUnderTest, redis: Redis | Cluster) {
  const slack = bot.slack;
  const core = sandboxClients(bot.sandbox).core;

  const reply = (responseId: string) => slack.waitForCall((c) => c.method === 'response_url' && c.responseId === responseId);

  /** `text` typed by `user`: its ephemeral answer. */
  async function say(text: string, user: string, channel = 'C1'): Promise<RecordedCall> {
    const res = await bot.command(text, { user_id: user, channel_id: channel });
    expect(res.status).toBe(200);
    return reply(res.responseId);
  }

  /** `text` typed by `user`, for a change posted in the channel (no ephemeral answer to wait for). */
  async function run(text: string, user: string, channel = 'C1'): Promise<void> {
    const res = await bot.command(text, { user_id: user, channel_id: channel });
    expect(res.status).toBe(200);
  }

  /** A button pressed by `user`: its ephemeral answer. */
  async function press(actionId: string, value: string, user: string, messageTs?: string): Promise<RecordedCall> {
    const res = await bot.press(actionId, value, { user_id: user, ...(messageTs ? { message_ts: messageTs } : {}) });
    expect(res.status).toBe(200);
    return reply(res.responseId);
  }

  /** `text` typed by `user` waits for approval: the request's ID, its message in the channel and the requester's answer. */
  async function ask(text: string, user = ALICE, channel = 'C1') {
    const waiting = await say(text, user, channel);
    const id = /Waiting for approval \(request `([0-9a-f]{8})`\)/.exec(String(waiting.body.text))?.[1];
    if (id === undefined) throw new Error(`"${text}" did not wait for approval: ${allText(waiting)}`);
    const post = await slack.waitForCall(
      (c) => c.method === 'chat.postMessage' && c.body.thread_ts === undefined && String(c.body.text).includes('Approval needed') && String(c.body.text).includes(id),
    );
    return { id, ts: String(post.ts), channel: String(post.body.channel), post, waiting, buttons: buttonsOf(post) };
  }

  /** The request message's updates (chat.update of its ts). */
  const updatesOf = (ts: string) => slack.calls.filter((c) => c.method === 'chat.update' && c.body.ts === ts);
  const updated = (ts: string) => slack.waitForCall((c) => c.method === 'chat.update' && c.body.ts === ts);
  /** Replies in the request message's thread. */
  const threadOf = (ts: string) => slack.calls.filter((c) => c.method === 'chat.postMessage' && c.body.thread_ts === ts);
  const threadReply = (ts: string) => slack.waitForCall((c) => c.method === 'chat.postMessage' && c.body.thread_ts === ts);
  /** The job progress messages about `namespace/name` (top-level posts in the requester's channel). */
  const progressPosts = (name: string, namespace = 'default') =>
    slack.calls.filter(
      (c) => c.method === 'chat.postMessage' && c.body.channel !== AUDIT_CHANNEL && c.body.thread_ts === undefined && String(c.body.text).includes(`Load balancer for`) && String(c.body.text).includes(`${namespace}/${name}`),
    );

  /** The audit stream, oldest first, exactly as svcbot wrote it. */
  async function audit(): Promise<AuditEntry[]> {
    const rows = await redis.xrange(`${bot.queuePrefix}:audit`, '-', '+');
    return rows.map(([, fields]) => {
      expect(fields).toHaveLength(2);
      expect(fields[0]).toBe('entry');
      return JSON.parse(fields[1]!) as AuditEntry;
    });
  }
  /** The raw stream fields (for the no-secrets check). */
  async function auditRaw(): Promise<string> {
    return JSON.stringify(await redis.xrange(`${bot.queuePrefix}:audit`, '-', '+'));
  }
  const auditOf = async (requestId: string) => (await audit()).filter((e) => e.requestId === requestId);

  const svc = (name: string, namespace = 'default') => bot.sandbox.cluster.getService(namespace, name);
  const elbsOf = (name: string, namespace = 'default') => bot.sandbox.elb.list().filter((lb) => lb.tags.get('kubernetes.io/service-name') === `${namespace}/${name}`);

  return { slack, core, reply, say, run, press, ask, updatesOf, updated, threadOf, threadReply, progressPosts, audit, auditRaw, auditOf, svc, elbsOf };
}

onEachBotRedis((redis) => {
  /* ------------------------------------------------------------------------------------------------ */

  describe('default policy (anyone but the requester approves), with an audit channel', () => {
    let bot: BotUnderTest;
    let h: ReturnType<typeof harness>;

    beforeAll(async () => {
      bot = await startBot({ redis: redis(), env: { SVCBOT_AUDIT_CHANNEL: AUDIT_CHANNEL } });
      for (const [id, name] of Object.entries(NAMES)) bot.slack.setUserName(id, { name, real_name: name.toUpperCase() });
      h = harness(bot, redis().client);
    });
    afterAll(() => bot.stop());

    test('approve with the button, by someone else: request message with three buttons, requester waits; the message is updated without buttons, the load balancer job runs, the thread mentions the requester; audited', async () => {
      const jobId = `provision.${CLUSTER}.default.web`;
      const { id, ts, post, waiting, buttons } = await h.ask('create web --selector app=alpine --port 80 --type lb');

      // The requester, alone: waiting for approval, with the ID.
      expect(waiting.body.response_type).toBe('ephemeral');
      expect(String(waiting.body.text)).toContain(`Waiting for approval (request \`${id}\`)`);
      // The request message in the channel: who asked, what, the cost, and Approve (confirmed) / Reject / Withdraw.
      expect(post.body.channel).toBe('C1');
      const requestText = allText(post);
      expect(requestText).toContain('<@U1ALICE>');
      expect(requestText).toContain('creates a load balancer');
      expect(requestText).toContain('~$18.25/month');
      expect(requestText).toMatch(/\*Expires:\* in 60 min, at (\d{4}-\d\d-\d\d )?\d\d:\d\d UTC/);
      expect(buttons.map((b) => b.action_id)).toEqual(['svc_approve', 'svc_reject', 'svc_withdraw']);
      expect(buttons.map((b) => b.value)).toEqual([id, id, id]);
      expect(buttons[0]!.confirm?.title.text).toBe('Approve this change?');
      expect(buttons[0]!.confirm?.text.text).toContain('Creates a load balancer for default/web');
      // Nothing happened yet; the request is in the audit channel already.
      expect(h.svc('web')).toBeUndefined();
      expect(h.elbsOf('web')).toEqual([]);
      await h.slack.waitForCall((c) => c.method === 'chat.postMessage' && c.body.channel === AUDIT_CHANNEL && String(c.body.text).includes('asked for approval') && String(c.body.text).includes(id));

      const answer = await h.press('svc_approve', id, BOB, ts);
      expect(answer.body.response_type).toBe('ephemeral');
      expect(String(answer.body.text)).toContain(`Approved request \`${id}\`: the change runs now`);

      // The request message, updated in place: no buttons, approved by whom.
      const update = await h.updated(ts);
      expect(update.body.channel).toBe('C1');
      expect(hasActions(update)).toBe(false);
      expect(allText(update)).toMatch(/Approved by <@U2BOB> at (\d{4}-\d\d-\d\d )?\d\d:\d\d UTC/);
      // The thread: the requester is told, with what came of it (the job).
      const outcome = await h.threadReply(ts);
      expect(outcome.body.channel).toBe('C1');
      expect(String(outcome.body.text)).toContain(`<@U1ALICE> your request \`${id}\` was approved by <@U2BOB>`);
      expect(allText(outcome)).toContain(jobId);

      // The job: its progress message, updated to ready; the Service is a LoadBalancer with its ELB.
      const progress = await waitFor(() => h.progressPosts('web')[0], { what: 'the progress message' });
      await waitFor(
        () => h.slack.calls.find((c) => c.method === 'chat.update' && c.body.ts === progress.ts && String(c.body.text).includes('Ready')),
        { what: 'the progress message to say ready', timeoutMs: 15_000 },
      );
      expect(h.svc('web')?.spec.type).toBe('LoadBalancer');
      expect(h.elbsOf('web')).toHaveLength(1);

      // The audit log ties it together: requested → approved → change (queued as the job) → the job's outcome.
      const entries = await waitFor(
        async () => {
          const all = (await h.audit()).filter((e) => e.requestId === id || e.jobId === jobId);
          return all.some((e) => e.action === 'job') && all;
        },
        { what: 'the job\'s audit entry' },
      );
      expect(entries.map((e) => e.action)).toEqual(['requested', 'approved', 'change', 'job']);
      const where = { cluster: CLUSTER, namespace: 'default', service: 'web' };
      expect(entries[0]).toMatchObject({ userId: ALICE, userName: 'alice', command: '/svc create web --selector app=alpine --port 80 --type lb', ...where, requestId: id });
      expect(entries[0]!.result).toMatch(/waiting for approval/);
      expect(entries[1]).toMatchObject({ userId: BOB, userName: 'bob', command: `/svc approve ${id} (button)`, ...where, requestId: id });
      expect(entries[1]!.result).toContain('approved U1ALICE\'s request');
      expect(entries[2]).toMatchObject({ userId: ALICE, userName: 'alice', command: '/svc create web --selector app=alpine --port 80 --type lb', ...where, requestId: id, jobId });
      expect(entries[2]!.result).toContain(`queued`);
      expect(entries[3]).toMatchObject({ userId: ALICE, userName: 'alice', ...where, jobId });
      for (const e of entries) expect(typeof e.at).toBe('number');
    });

    test('reject with a reason (/svc reject ID REASON…): nothing changes, the message says so, the requester is told the reason', async () => {
      await h.run('create cheap --selector app=alpine --port 80', ALICE);
      await waitFor(() => h.svc('cheap'), { what: 'the ClusterIP Service' });
      const before = h.svc('cheap')!;
      const { id, ts, post } = await h.ask('type cheap lb');
      expect(allText(post)).toContain('from ClusterIP to LoadBalancer');

      const answer = await h.say(`reject ${id} too expensive, use staging`, BOB);
      expect(String(answer.body.text)).toContain(`Rejected request \`${id}\`; <@U1ALICE> is told, with your reason: too expensive, use staging`);
      const update = await h.updated(ts);
      expect(hasActions(update)).toBe(false);
      expect(allText(update)).toContain('Rejected by <@U2BOB>');
      expect(allText(update)).toContain('too expensive, use staging');
      const told = await h.threadReply(ts);
      expect(String(told.body.text)).toContain(`<@U1ALICE> your request \`${id}\` was rejected by <@U2BOB>: too expensive, use staging`);

      // A later approval does nothing but say who rejected it.
      const late = await h.press('svc_approve', id, CAROL, ts);
      expect(String(late.body.text)).toMatch(new RegExp(`Request \`${id}\` was already rejected by <@U2BOB> at \\d\\d:\\d\\d UTC`));

      expect(h.svc('cheap')?.spec.type).toBe('ClusterIP');
      expect(h.svc('cheap')?.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
      expect(h.progressPosts('cheap')).toEqual([]);
      expect(h.updatesOf(ts)).toHaveLength(1);
      const entries = await h.auditOf(id);
      expect(entries.map((e) => e.action)).toEqual(['requested', 'rejected']);
      expect(entries[1]).toMatchObject({ userId: BOB, userName: 'bob', command: `/svc reject ${id} too expensive, use staging`, cluster: CLUSTER, namespace: 'default', service: 'cheap' });
      expect(entries[1]!.result).toContain('too expensive, use staging');
    });

    test('withdraw: by the requester with the command and with the button; by someone else refused, to them alone', async () => {
      // By command.
      const first = await h.ask('create wd-one --selector app=alpine --port 80 --type lb');
      const withdrawn = await h.say(`withdraw ${first.id}`, ALICE);
      expect(withdrawn.body.response_type).toBe('ephemeral');
      expect(String(withdrawn.body.text)).toContain(`Withdrew request \`${first.id}\`. Nothing was changed.`);
      const update = await h.updated(first.ts);
      expect(hasActions(update)).toBe(false);
      expect(allText(update)).toContain('Withdrawn by <@U1ALICE>');

      // By button: someone else first (refused, the request still waits), then the requester.
      const second = await h.ask('create wd-two --selector app=alpine --port 80 --type lb');
      const refused = await h.press('svc_withdraw', second.id, BOB, second.ts);
      expect(refused.body.response_type).toBe('ephemeral');
      expect(String(refused.body.text)).toContain('Only the person who asked can withdraw a request. Nothing was changed.');
      expect(h.updatesOf(second.ts)).toEqual([]);
      const pending = await h.say('approvals', CAROL);
      expect(allText(pending)).toContain(second.id);
      const byButton = await h.press('svc_withdraw', second.id, ALICE, second.ts);
      expect(String(byButton.body.text)).toContain(`Withdrew request \`${second.id}\``);
      expect(allText(await h.updated(second.ts))).toContain('Withdrawn by <@U1ALICE>');
      expect(allText(await h.say('approvals', CAROL))).not.toContain(second.id);

      expect(h.svc('wd-one')).toBeUndefined();
      expect(h.svc('wd-two')).toBeUndefined();
      const one = await h.auditOf(first.id);
      expect(one.map((e) => e.action)).toEqual(['requested', 'withdrawn']);
      expect(one[1]).toMatchObject({ userId: ALICE, userName: 'alice', command: `/svc withdraw ${first.id}`, service: 'wd-one' });
      const two = await h.auditOf(second.id);
      expect(two.map((e) => e.action)).toEqual(['requested', 'refused', 'withdrawn']);
      expect(two[1]).toMatchObject({ userId: BOB, userName: 'bob', command: `/svc withdraw ${second.id} (button)`, service: 'wd-two', result: 'Only the person who asked can withdraw a request.' });
      expect(two[2]).toMatchObject({ userId: ALICE, command: `/svc withdraw ${second.id} (button)` });
    });

    test('a double click on Approve: one decision, one job; the second press says who approved it and when', async () => {
      const { id, ts } = await h.ask('create dbl --selector app=alpine --port 80 --type lb');
      const answers = await Promise.all([h.press('svc_approve', id, BOB, ts), h.press('svc_approve', id, BOB, ts)]);
      const texts = answers.map((a) => String(a.body.text));
      expect(texts.filter((t) => t.includes(`Approved request \`${id}\``))).toHaveLength(1);
      const already = texts.filter((t) => new RegExp(`Request \`${id}\` was already approved by <@U2BOB> at \\d\\d:\\d\\d UTC`).test(t));
      expect(already).toHaveLength(1);

      const progress = await waitFor(() => h.progressPosts('dbl')[0], { what: 'the progress message' });
      await waitFor(
        () => h.slack.calls.find((c) => c.method === 'chat.update' && c.body.ts === progress.ts && String(c.body.text).includes('Ready')),
        { what: 'the job to finish', timeoutMs: 15_000 },
      );
      expect(h.progressPosts('dbl')).toHaveLength(1);
      expect(h.elbsOf('dbl')).toHaveLength(1);
      expect(h.updatesOf(ts)).toHaveLength(1);
      expect(h.threadOf(ts)).toHaveLength(1);
      const entries = await h.auditOf(id);
      expect(entries.map((e) => e.action)).toEqual(['requested', 'approved', 'change']);
    });

    test('two approvers at once, 50 times: exactly one decides, the other is told; one change in the cluster and one approved entry each round', async () => {
      const rounds = 50;
      const ids: { id: string; name: string; ts: string; winner: string }[] = [];
      for (let i = 0; i < rounds; i++) {
        const name = `race-${i}`;
        await h.core.createNamespacedService({ namespace: 'default', body: serviceBody(name) });
        const { id, ts } = await h.ask(`delete ${name}`);
        const [bob, carol] = await Promise.all([h.press('svc_approve', id, BOB, ts), h.press('svc_approve', id, CAROL, ts)]);
        const decided = [bob, carol].map((a) => String(a.body.text).includes(`Approved request \`${id}\``));
        expect(decided.filter(Boolean)).toHaveLength(1);
        const [winner, loser] = decided[0] ? [BOB, carol] : [CAROL, bob];
        expect(String(loser.body.text)).toMatch(new RegExp(`Request \`${id}\` was already approved by <@${winner}> at \\d\\d:\\d\\d UTC`));
        expect(h.svc(name)).toBeUndefined();
        ids.push({ id, name, ts, winner });
      }
      const entries = await h.audit();
      for (const { id, name, ts, winner } of ids) {
        const mine = entries.filter((e) => e.requestId === id);
        expect(mine.map((e) => e.action)).toEqual(['requested', 'approved', 'change']);
        expect(mine[1]).toMatchObject({ userId: winner, service: name });
        expect(mine[2]).toMatchObject({ userId: ALICE, service: name, result: 'deleted NodePort Service' });
        expect(h.updatesOf(ts)).toHaveLength(1);
        expect(h.threadOf(ts)).toHaveLength(1);
      }
    });

    test('self-approval is refused (four eyes), to the requester alone; the request still waits', async () => {
      const { id, ts } = await h.ask('create mine --selector app=alpine --port 80 --type lb');
      const refused = await h.press('svc_approve', id, ALICE, ts);
      expect(refused.body.response_type).toBe('ephemeral');
      expect(String(refused.body.text)).toContain('You asked for this change: someone else must approve it (rule four-eyes). Nothing was changed.');
      const typed = await h.say(`approve ${id}`, ALICE);
      expect(String(typed.body.text)).toContain('someone else must approve it (rule four-eyes)');
      expect(h.updatesOf(ts)).toEqual([]);
      expect(h.svc('mine')).toBeUndefined();
      expect(allText(await h.say('approvals', BOB))).toContain(id);
      const entries = await h.auditOf(id);
      expect(entries.map((e) => e.action)).toEqual(['requested', 'refused', 'refused']);
      expect(entries[1]).toMatchObject({ userId: ALICE, command: `/svc approve ${id} (button)`, cluster: CLUSTER, namespace: 'default', service: 'mine' });
      expect(entries[1]!.result).toContain('rule four-eyes');
      await h.say(`withdraw ${id}`, ALICE);
    });

    test('a protected namespace is refused by command and by the Delete button, naming the rule; nothing changes; audited', async () => {
      const byCommand = await h.say('create sneaky --selector app=alpine --port 80 --type lb -n kube-system', ALICE);
      expect(byCommand.body.response_type).toBe('ephemeral');
      expect(allText(byCommand)).toContain('Namespace kube-system is protected: svcbot makes no changes there (rule protected-namespaces).');
      expect(h.svc('sneaky', 'kube-system')).toBeUndefined();

      await h.core.createNamespacedService({ namespace: 'kube-system', body: serviceBody('kube-dns', 'ClusterIP') });
      const value = JSON.stringify({ cluster: CLUSTER, namespace: 'kube-system', name: 'kube-dns' });
      const byButton = await h.press('svc_delete', value, BOB);
      expect(byButton.body.response_type).toBe('ephemeral');
      expect(allText(byButton)).toContain('(rule protected-namespaces)');
      expect(h.svc('kube-dns', 'kube-system')).toBeDefined();

      const refusals = (await h.audit()).filter((e) => e.action === 'refused' && e.namespace === 'kube-system');
      expect(refusals).toEqual([
        expect.objectContaining({ userId: ALICE, userName: 'alice', command: '/svc create sneaky --selector app=alpine --port 80 --type lb -n kube-system', cluster: CLUSTER, service: 'sneaky' }),
        expect.objectContaining({ userId: BOB, userName: 'bob', command: `/svc delete kube-dns -n kube-system --cluster ${CLUSTER} (button)`, cluster: CLUSTER, service: 'kube-dns' }),
      ]);
      for (const r of refusals) expect(r.result).toContain('rule protected-namespaces');
      // No request was made for either.
      expect(h.slack.calls.filter((c) => c.method === 'chat.postMessage' && /sneaky|kube-dns/.test(String(c.body.text)) && c.body.channel !== AUDIT_CHANNEL)).toEqual([]);
    });

    test('a replayed approve payload (same body, fresh signature) after the decision only says who decided and when', async () => {
      const { id, ts } = await h.ask('create replay --selector app=alpine --port 80 --type lb');
      const body = blockActionsBody({ action_id: 'svc_approve', value: id, user_id: BOB, message_ts: ts, response_url: h.slack.responseUrl(`replay-${id}`) });
      const answers = () => h.slack.calls.filter((c) => c.method === 'response_url' && c.responseId === `replay-${id}`);
      const firstAt = Math.floor(Date.now() / 1000);
      expect((await postSigned(bot.eventsUrl, body, SIGNING_SECRET, { timestamp: firstAt })).status).toBe(200);
      await waitFor(() => answers().length === 1, { what: 'the approval\'s answer' });
      expect(String(answers()[0]!.body.text)).toContain(`Approved request \`${id}\``);
      const progress = await waitFor(() => h.progressPosts('replay')[0], { what: 'the progress message' });
      await waitFor(
        () => h.slack.calls.find((c) => c.method === 'chat.update' && c.body.ts === progress.ts && String(c.body.text).includes('Ready')),
        { what: 'the job to finish', timeoutMs: 15_000 },
      );

      // A fresh signature: another timestamp (in the same second the same body signs the same, and the
      // replay guard rightly drops a signature it has taken — the test failed so when the job was quick).
      const replayAt = Math.max(Math.floor(Date.now() / 1000), firstAt + 1);
      expect((await postSigned(bot.eventsUrl, body, SIGNING_SECRET, { timestamp: replayAt })).status).toBe(200);
      await waitFor(() => answers().length === 2, { what: 'the replay\'s answer' });
      expect(String(answers()[1]!.body.text)).toMatch(new RegExp(`Request \`${id}\` was already approved by <@U2BOB> at \\d\\d:\\d\\d UTC \\(just now\\)`));
      expect(h.progressPosts('replay')).toHaveLength(1);
      expect(h.elbsOf('replay')).toHaveLength(1);
      expect(h.updatesOf(ts)).toHaveLength(1);
      expect(h.threadOf(ts)).toHaveLength(1);
      expect((await h.auditOf(id)).map((e) => e.action)).toEqual(['requested', 'approved', 'change']);
    });

    test('the Service changed between request and approval: nothing runs, "changed since the request — ask again", audited as not-run', async () => {
      // type lb requested; the Service is then changed with a command that needs no approval.
      await h.run('create drift --selector app=alpine --port 80', ALICE);
      await waitFor(() => h.svc('drift'), { what: 'the Service' });
      const typed = await h.ask('type drift lb');
      await h.run('type drift nodeport', CAROL);
      await waitFor(() => h.svc('drift')?.spec.type === 'NodePort', { what: 'the type change' });
      const answer = await h.press('svc_approve', typed.id, BOB, typed.ts);
      expect(String(answer.body.text)).toContain('changed since the request — ask again');
      const told = await h.threadReply(typed.ts);
      expect(String(told.body.text)).toContain('<@U1ALICE>');
      expect(String(told.body.text)).toContain('changed since the request — ask again');
      expect(h.svc('drift')?.spec.type).toBe('NodePort');
      expect(h.progressPosts('drift')).toEqual([]);
      const typedEntries = await h.auditOf(typed.id);
      expect(typedEntries.map((e) => e.action)).toEqual(['requested', 'approved', 'not-run']);
      expect(typedEntries[2]).toMatchObject({ userId: ALICE, command: '/svc type drift lb', cluster: CLUSTER, namespace: 'default', service: 'drift', requestId: typed.id });
      expect(typedEntries[2]!.result).toContain('changed since the request — ask again');

      // delete of a NodePort Service requested; the Service is then changed directly in the cluster (a label).
      const deleted = await h.ask('delete drift');
      bot.sandbox.cluster.updateService('default', 'drift', (s) => {
        s.metadata.labels = { ...s.metadata.labels, touched: 'yes' };
      });
      const answer2 = await h.press('svc_approve', deleted.id, BOB, deleted.ts);
      expect(String(answer2.body.text)).toContain('changed since the request — ask again');
      expect(h.svc('drift')).toBeDefined();
      const deletedEntries = await h.auditOf(deleted.id);
      expect(deletedEntries.map((e) => e.action)).toEqual(['requested', 'approved', 'not-run']);
    });

    test('Slack markup in user input is escaped wherever svcbot echoes it; the mentions svcbot builds stay', async () => {
      const reason = '<!channel> <@U0123> *bold* & <https://evil.example|click>';
      const escaped = '&lt;!channel&gt; &lt;@U0123&gt; *bold* &amp; &lt;https://evil.example|click&gt;';
      // A user whose handle is markup, too (what users.info says ends up in the audit channel and /svc audit).
      h.slack.setUserName('U6MALLORY', { name: '<!here>' });
      const from = h.slack.calls.length;
      const { id, ts } = await h.ask('create markup --selector app=alpine --port 80 --type lb');
      const answer = await h.say(`reject ${id} ${reason}`, 'U6MALLORY');
      await h.updated(ts);
      await h.threadReply(ts);
      await h.slack.waitForCall((c) => c.method === 'chat.postMessage' && c.body.channel === AUDIT_CHANNEL && String(c.body.text).includes('rejected') && String(c.body.text).includes(id));
      const audit = await h.say('audit 5', ALICE);

      const posted = h.slack.calls.slice(from).filter((c) => c.method === 'chat.postMessage' || c.method === 'chat.update' || c.method === 'response_url');
      for (const call of posted) {
        const all = JSON.stringify(call.body);
        expect(all).not.toContain('<!channel>');
        expect(all).not.toContain('<!here>');
        expect(all).not.toContain('<@U0123>');
        expect(all).not.toContain('<https://evil');
      }
      // Where the reason is echoed, it is there as typed (escaped, in a code span because of the *).
      const span = `\`${escaped}\``;
      expect(allText(answer)).toContain(span);
      const update = h.updatesOf(ts)[0]!;
      expect(allText(update)).toContain(span);
      expect(allText(update)).toContain('<@U6MALLORY>');
      expect(allText(update)).toContain('<@U1ALICE>');
      const told = h.threadOf(ts)[0]!;
      expect(allText(told)).toContain(span);
      expect(String(told.body.text)).toContain('<@U1ALICE> your request');
      const channelPost = h.slack.calls.find((c) => c.method === 'chat.postMessage' && c.body.channel === AUDIT_CHANNEL && String(c.body.text).includes('rejected') && String(c.body.text).includes(id))!;
      expect(allText(channelPost)).toContain('&lt;!here&gt;');
      expect(allText(channelPost)).toContain('&lt;!channel&gt;');
      expect(allText(audit)).toContain('&lt;!channel&gt;');
      expect(allText(audit)).toContain('<@U6MALLORY> (&lt;!here&gt;)');
      // The audit log keeps what was typed, as typed.
      const entry = (await h.auditOf(id)).find((e) => e.action === 'rejected')!;
      expect(entry.command).toBe(`/svc reject ${id} ${reason}`);
      expect(entry.userName).toBe('<!here>');
    });

    test('the audit channel gets every audit entry, those recorded within a few seconds together in one message; no token or signing secret in any Slack call body or audit entry', async () => {
      const entries = await h.audit();
      const posts = h.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.body.channel === AUDIT_CHANNEL);
      expect(entries.length).toBeGreaterThan(100);
      expect(posts.length).toBeLessThan(entries.length); // bursts went as digests
      // A digest is its title, then each entry's own text, in order (blank lines between).
      const shown = posts.flatMap((p) => {
        const parts = String(p.body.text).split('\n\n');
        return /^:ledger: \d+ audit entries/.test(parts[0]!) ? parts.slice(1) : [parts.join('\n\n')];
      });
      expect(shown).toHaveLength(entries.length);
      // Each entry is shown once (its action, its request and job IDs, its place), and each shown one is an entry.
      const words: Record<string, string> = {
        change: 'changed',
        refused: 'refused',
        requested: 'asked for approval',
        approved: 'approved',
        rejected: 'rejected',
        expired: 'expired',
        withdrawn: 'withdrew',
        'not-run': 'not run',
        job: 'job ended',
      };
      const unmatched = [...shown];
      for (const entry of entries) {
        const i = unmatched.findIndex(
          (text) =>
            text.includes(`*${words[entry.action]}*`) &&
            (entry.requestId === undefined || text.includes(`Request \`${entry.requestId}\``)) &&
            (entry.jobId === undefined || text.includes(`Job \`${entry.jobId}\``)) &&
            text.includes([entry.cluster, entry.namespace, entry.service].filter(Boolean).join('/')),
        );
        expect(i).toBeGreaterThanOrEqual(0);
        unmatched.splice(i, 1);
      }
      expect(unmatched).toEqual([]);

      const raw = await h.auditRaw();
      for (const secret of [BOT_TOKEN, SIGNING_SECRET]) {
        expect(raw).not.toContain(secret);
        // Bolt's own auth.test sends the token to Slack in its body (that is Slack's authentication, not svcbot's output).
        const carrying = h.slack.calls.filter((c) => JSON.stringify(c.body).includes(secret)).map((c) => c.method);
        expect(carrying.filter((m) => m !== 'auth.test')).toEqual([]);
      }
    });
  });

  /* ------------------------------------------------------------------------------------------------ */

  describe('configured approvers (a user and a user group), self-approval on, an approval channel', () => {
    let bot: BotUnderTest;
    let h: ReturnType<typeof harness>;
    const APPROVALS = 'C0APPROVALS';

    beforeAll(async () => {
      bot = await startBot({
        redis: redis(),
        env: { SVCBOT_APPROVERS: `${CAROL},S0PLATFORM`, SVCBOT_SELF_APPROVAL: 'true', SVCBOT_APPROVAL_CHANNEL: APPROVALS },
      });
      for (const [id, name] of Object.entries(NAMES)) bot.slack.setUserName(id, { name });
      bot.slack.setUserGroup('S0PLATFORM', [ERIN]);
      h = harness(bot, redis().client);
    });
    afterAll(() => bot.stop());

    // First in this block: the Directory keeps a group's members for 5 minutes once Slack has listed them.
    test('a user group Slack cannot list refuses only what depends on it: commands still run, a listed approver still approves, the group\'s members are refused', async () => {
      const restore = h.slack.override((c) => (c.method === 'usergroups.users.list' ? { body: { ok: false, error: 'internal_error' } } : undefined));
      try {
        await h.core.createNamespacedService({ namespace: 'default', body: serviceBody('np-directory') });
        const list = await h.say('list', ALICE);
        expect(allText(list)).toContain('np-directory');
        const { id, ts } = await h.ask('delete np-directory', ALICE);
        const failedClosed = await h.press('svc_approve', id, ERIN, ts);
        expect(allText(failedClosed)).toContain('could not find out from Slack who is in user group S0PLATFORM');
        expect(h.updatesOf(ts)).toEqual([]);
        expect(h.svc('np-directory')).toBeDefined();
        const approved = await h.press('svc_approve', id, CAROL, ts);
        expect(String(approved.body.text)).toContain(`Approved request \`${id}\``);
        await waitFor(() => h.svc('np-directory') === undefined, { what: 'the deletion' });
        expect((await h.auditOf(id)).map((e) => [e.action, e.userId])).toEqual([
          ['requested', ALICE],
          ['approved', CAROL],
          ['change', ALICE],
        ]);
      } finally {
        restore();
      }
    });

    test('a non-approver is refused; a member of the approvers\' user group approves; the request is in the approval channel, the outcome where it was asked too', async () => {
      await h.core.createNamespacedService({ namespace: 'default', body: serviceBody('np-group') });
      const { id, ts, channel, waiting } = await h.ask('delete np-group', ALICE, 'C1');
      expect(channel).toBe(APPROVALS);
      expect(String(waiting.body.text)).toContain(`<#${APPROVALS}>`);

      const refused = await h.press('svc_approve', id, DAVE, ts);
      expect(refused.body.response_type).toBe('ephemeral');
      expect(String(refused.body.text)).toContain('Only the configured approvers may decide this request (rule approvers). Nothing was changed.');
      const rejectRefused = await h.say(`reject ${id} no`, BOB);
      expect(String(rejectRefused.body.text)).toContain('Only the configured approvers may decide this request (rule approvers).');
      expect(h.updatesOf(ts)).toEqual([]);
      expect(h.svc('np-group')).toBeDefined();

      const approved = await h.press('svc_approve', id, ERIN, ts);
      expect(String(approved.body.text)).toContain(`Approved request \`${id}\``);
      expect(allText(await h.updated(ts))).toContain('Approved by <@U5ERIN>');
      await waitFor(() => h.svc('np-group') === undefined, { what: 'the deletion' });
      // Told in the request's thread (approval channel) and where they asked.
      const inThread = await h.threadReply(ts);
      expect(inThread.body.channel).toBe(APPROVALS);
      const inChannel = await h.slack.waitForCall((c) => c.method === 'chat.postMessage' && c.body.channel === 'C1' && String(c.body.text).includes(id));
      expect(String(inChannel.body.text)).toContain(`<@U1ALICE> your request \`${id}\` was approved by <@U5ERIN>`);
      expect(h.slack.calls.some((c) => c.method === 'usergroups.users.list' && c.body.usergroup === 'S0PLATFORM')).toBe(true);

      const entries = await h.auditOf(id);
      expect(entries.map((e) => e.action)).toEqual(['requested', 'refused', 'refused', 'approved', 'change']);
      expect(entries[1]).toMatchObject({ userId: DAVE, userName: 'dave', command: `/svc approve ${id} (button)`, result: 'Only the configured approvers may decide this request (rule approvers).' });
      expect(entries[2]).toMatchObject({ userId: BOB, userName: 'bob', command: `/svc reject ${id} no` });
      expect(entries[3]).toMatchObject({ userId: ERIN, userName: 'erin', service: 'np-group' });
      expect(entries[4]).toMatchObject({ userId: ALICE, result: 'deleted NodePort Service' });
    });

    test('with SVCBOT_SELF_APPROVAL=true an approver may approve their own request', async () => {
      await h.core.createNamespacedService({ namespace: 'default', body: serviceBody('np-self') });
      const { id, ts } = await h.ask('delete np-self', CAROL);
      const approved = await h.press('svc_approve', id, CAROL, ts);
      expect(String(approved.body.text)).toContain(`Approved request \`${id}\``);
      expect(allText(await h.updated(ts))).toContain('Approved by <@U3CAROL>');
      await waitFor(() => h.svc('np-self') === undefined, { what: 'the deletion' });
      expect((await h.auditOf(id)).map((e) => [e.action, e.userId])).toEqual([
        ['requested', CAROL],
        ['approved', CAROL],
        ['change', CAROL],
      ]);
    });
  });

  /* ------------------------------------------------------------------------------------------------ */

  describe('requests expire (SVCBOT_APPROVAL_TTL=1s)', () => {
    let bot: BotUnderTest;
    let h: ReturnType<typeof harness>;

    beforeAll(async () => {
      bot = await startBot({ redis: redis(), env: { SVCBOT_APPROVAL_TTL: '1s' } });
      for (const [id, name] of Object.entries(NAMES)) bot.slack.setUserName(id, { name });
      h = harness(bot, redis().client);
    });
    afterAll(() => bot.stop());

    test('an undecided request expires: its buttons go, the requester is told; an approval after that only says it expired', async () => {
      const { id, ts } = await h.ask('create late --selector app=alpine --port 80 --type lb');
      const update = await h.updated(ts);
      expect(hasActions(update)).toBe(false);
      expect(allText(update)).toMatch(/Expired at (\d{4}-\d\d-\d\d )?\d\d:\d\d UTC without a decision/);
      const told = await h.threadReply(ts);
      expect(String(told.body.text)).toContain(`<@U1ALICE> your request \`${id}\` expired`);

      const late = await h.press('svc_approve', id, BOB, ts);
      expect(late.body.response_type).toBe('ephemeral');
      expect(String(late.body.text)).toMatch(new RegExp(`Request \`${id}\` already expired at \\d\\d:\\d\\d UTC \\(just now\\) without a decision`));
      expect(h.svc('late')).toBeUndefined();
      expect(h.progressPosts('late')).toEqual([]);
      expect(h.updatesOf(ts)).toHaveLength(1);
      expect(h.threadOf(ts)).toHaveLength(1);
      const entries = await h.auditOf(id);
      expect(entries.map((e) => e.action)).toEqual(['requested', 'expired']);
      expect(entries[1]).toMatchObject({ userId: ALICE, userName: 'alice', command: '/svc create late --selector app=alpine --port 80 --type lb', cluster: CLUSTER, namespace: 'default', service: 'late' });
    });
  });
});

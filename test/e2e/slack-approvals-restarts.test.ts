/**
 * Approval requests live in Redis, so they outlive the process that took them, and each expires once
 * however many processes run (README, "Approvals and the audit log"). Driven as Slack drives svcbot
 * (signed HTTP in, a Slack stand-in out) with several bots on one Redis key prefix:
 *
 * 1. A restart: bot A takes a request and stops (leaving Redis as it is); bot B, a new process with a Slack
 *    stand-in of its own (so whatever B sends is seen to come from B), starts under the same prefix. B
 *    lists the request, and approving it on B runs it in the sandbox and updates the message A posted
 *    (its channel and ts). A request of A's whose time runs out after A stopped is expired by B: its
 *    message updated to "expired" once, the requester told once, one `expired` audit entry.
 * 2. Several processes: two bots and a real `svcbot worker` (child process) on one prefix, a TTL of 1 s and
 *    several requests: each request's message is updated to "expired" once across all of them, the
 *    requester told once, and the audit stream holds one `expired` entry per request.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { BOT_TOKEN, newRedisPrefix, removeBotKeys, startBot, startBotSandbox, type BotUnderTest } from '../helpers/bot.js';
import type { Sandbox } from '../../sandbox/index.js';
import { startSlackStub, type RecordedCall, type SlackStub } from '../helpers/slack-stub.js';
import { killAll, spawnSvcbot, withOutputOnFailure } from '../helpers/svcbot-process.js';
import { auditEntries } from '../helpers/audit-stream.js';
import { waitFor } from '../helpers/wait.js';

const ALICE = 'U1ALICE';
const BOB = 'U2BOB';
const CHANNEL = 'C1';

function allText(call: RecordedCall): string {
  return `${String(call.body.text)}\n${JSON.stringify(call.body.blocks ?? [])}`;
}

function reply(bot: BotUnderTest, responseId: string): Promise<RecordedCall> {
  return bot.slack.waitForCall((c) => c.method === 'response_url' && c.responseId === responseId);
}

interface Posted {
  id: string;
  /** Where the request message is: the approvers' message, updated in place. */
  channel: string;
  ts: string;
}

/** `text` by alice waits for approval on `bot`: the request's ID and its message. */
async function request(bot: BotUnderTest, text: string): Promise<Posted> {
  const typed = await bot.command(text, { user_id: ALICE, channel_id: CHANNEL });
  const waiting = allText(await reply(bot, typed.responseId));
  const id = /request `([0-9a-f]{8})`/.exec(waiting)?.[1];
  if (id === undefined) throw new Error(`"${text}" did not wait for approval: ${waiting}`);
  const post = await bot.slack.waitForCall((c) => c.method === 'chat.postMessage' && String(c.body.text).includes(id) && String(c.body.text).includes('Approval needed'));
  return { id, channel: String(post.body.channel), ts: String(post.ts) };
}

/** The updates of a request's message (chat.update of its channel and ts). */
function updatesOf(slack: SlackStub, posted: Posted): RecordedCall[] {
  return slack.calls.filter((c) => c.method === 'chat.update' && c.body.channel === posted.channel && c.body.ts === posted.ts);
}

/** What was posted in a request message's thread (the requester told how it ended). */
function threadOf(slack: SlackStub, posted: Posted): RecordedCall[] {
  return slack.calls.filter((c) => c.method === 'chat.postMessage' && c.body.channel === posted.channel && c.body.thread_ts === posted.ts);
}

/** The status of a request as the store keeps it (a hash per request; see src/adapters/redis/approvals.ts). */
async function storedStatus(redisUrl: string, prefix: string, id: string): Promise<string | null> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    return await redis.hget(`${prefix}:approvals:{a}:req:${id}`, 'status');
  } finally {
    redis.disconnect();
  }
}

/**
 * That something did NOT happen cannot be awaited: after what should happen has, give every process time
 * for a few more sweeps (each sweeps every quarter of the TTL, at least every 250 ms) before counting.
 */
function furtherSweeps(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Creates a NodePort Service through `bot` (no approval needed) and waits for it in the sandbox. */
async function nodePortService(bot: BotUnderTest, name: string): Promise<void> {
  await bot.command(`create ${name} --selector app=alpine --port 80 --type nodeport`, { user_id: ALICE, channel_id: CHANNEL });
  await waitFor(() => bot.sandbox.cluster.getService('default', name)?.spec.type === 'NodePort', { what: `NodePort Service ${name}` });
}

describe('a restart with approval requests waiting', () => {
  let sandbox: Sandbox;
  const bots: BotUnderTest[] = [];
  const slacks: SlackStub[] = [];
  const prefixes: string[] = [];

  beforeAll(async () => {
    sandbox = await startBotSandbox();
  });
  afterEach(async () => {
    for (const bot of bots.splice(0).reverse()) await bot.stop().catch(() => undefined);
    for (const prefix of prefixes.splice(0)) await removeBotKeys(prefix);
    for (const slack of slacks.splice(0)) await slack.close();
  });
  afterAll(() => sandbox.close());

  /**
   * A bot on the shared sandbox, with a Slack stand-in of its own that stays up after the bot stops (so a
   * stopped bot that still sent something would be seen); `prefix` given: under that prefix. Its keys
   * outlive it; afterEach removes them.
   */
  async function bot(prefix: string | undefined, env: Record<string, string> = {}): Promise<BotUnderTest> {
    const slack = await startSlackStub();
    slacks.push(slack);
    const b = await startBot({ use: { sandbox, slack }, keepKeys: true, env, ...(prefix === undefined ? {} : { redisPrefix: prefix }) });
    bots.push(b);
    if (!prefixes.includes(b.queuePrefix)) prefixes.push(b.queuePrefix);
    return b;
  }

  async function stop(b: BotUnderTest): Promise<void> {
    bots.splice(bots.indexOf(b), 1);
    await b.stop();
  }

  test('a request taken by A is listed by B after A stops; approved on B, it runs, and B updates the message A posted', async () => {
    const a = await bot(undefined);
    await nodePortService(a, 'np-restart');
    const posted = await request(a, 'delete np-restart');
    await stop(a);
    const callsOfA = a.slack.calls.length;

    const b = await bot(a.queuePrefix);
    const listed = await b.command('approvals', { user_id: BOB, channel_id: CHANNEL });
    const list = allText(await reply(b, listed.responseId));
    expect(list).toContain(posted.id);
    expect(list).toContain('np-restart');
    expect(sandbox.cluster.getService('default', 'np-restart')).toBeDefined();

    const pressed = await b.press('svc_approve', posted.id, { user_id: BOB, channel_id: posted.channel, message_ts: posted.ts });
    expect(pressed.status).toBe(200);
    await waitFor(() => sandbox.cluster.getService('default', 'np-restart') === undefined, { what: 'the approved delete to run on B' });

    // B updates A's message in place (its channel and ts, which B knows only from Redis): approved by bob.
    const update = await waitFor(() => updatesOf(b.slack, posted).at(-1), { what: "B's update of the request message" });
    expect(allText(update)).toMatch(/Approved by <@U2BOB>/);
    expect(JSON.stringify(update.body.blocks)).not.toContain('svc_approve');
    // …and tells alice how it went, in the message's thread.
    const told = await waitFor(() => threadOf(b.slack, posted)[0], { what: 'the outcome in the thread' });
    expect(allText(told)).toContain(`<@${ALICE}>`);
    expect(allText(told)).toContain('was approved by');
    expect(await storedStatus(b.redisUrl, b.queuePrefix, posted.id)).toBe('approved');
    const entries = (await auditEntries(b.redisUrl, b.queuePrefix)).filter((e) => e.requestId === posted.id);
    expect(entries.map((e) => e.action)).toEqual(['requested', 'approved', 'change']);
    expect(entries[2]).toMatchObject({ userId: ALICE, service: 'np-restart', result: expect.stringMatching(/deleted/) as unknown });
    expect(a.slack.calls).toHaveLength(callsOfA); // A said nothing after it stopped
  });

  test("a request of A's that runs out after A stopped is expired by B: the message A posted updated once, alice told once, one audit entry", async () => {
    const ttl = { SVCBOT_APPROVAL_TTL: '3s' };
    const a = await bot(undefined, ttl);
    await nodePortService(a, 'np-expire');
    const posted = await request(a, 'delete np-expire');
    await stop(a);
    // Still waiting when A is gone: what happens to it from now on is B's doing.
    expect(await storedStatus(a.redisUrl, a.queuePrefix, posted.id)).toBe('pending');
    expect(updatesOf(a.slack, posted)).toEqual([]);
    const callsOfA = a.slack.calls.length;

    const b = await bot(a.queuePrefix, ttl);
    const expired = await waitFor(() => updatesOf(b.slack, posted)[0], { what: 'B to expire the request', timeoutMs: 10_000 });
    expect(allText(expired)).toMatch(/Expired at .* without a decision/);
    expect(JSON.stringify(expired.body.blocks)).not.toContain('svc_approve');
    const told = await waitFor(() => threadOf(b.slack, posted)[0], { what: 'alice to be told' });
    expect(allText(told)).toContain(`<@${ALICE}> your request \`${posted.id}\` expired after`);

    // A late press of Approve changes nothing: the request expired.
    const late = await b.press('svc_approve', posted.id, { user_id: BOB, channel_id: posted.channel, message_ts: posted.ts });
    expect(allText(await reply(b, late.responseId))).toMatch(/already expired/);

    await furtherSweeps(2000);
    expect(updatesOf(b.slack, posted)).toHaveLength(1);
    expect(threadOf(b.slack, posted)).toHaveLength(1);
    const entries = (await auditEntries(b.redisUrl, b.queuePrefix)).filter((e) => e.requestId === posted.id);
    expect(entries.map((e) => e.action)).toEqual(['requested', 'expired']);
    expect(sandbox.cluster.getService('default', 'np-expire')?.spec.type).toBe('NodePort');
    expect(a.slack.calls).toHaveLength(callsOfA);
  });
});

describe('expiry with several processes on one Redis', () => {
  let tmp: string;
  let sandbox: Sandbox;
  let workerSlack: SlackStub;
  const prefix = newRedisPrefix();
  const bots: BotUnderTest[] = [];

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'svcbot-expiry-'));
    // A kubeconfig file: the `svcbot worker` child reaches the sandbox through it.
    sandbox = await startBotSandbox({ kubeconfigPath: join(tmp, 'kubeconfig') });
    workerSlack = await startSlackStub();
  });
  afterAll(async () => {
    await killAll();
    for (const bot of bots.splice(0)) await bot.stop().catch(() => undefined);
    await removeBotKeys(prefix);
    await workerSlack.close();
    await sandbox.close();
    await rm(tmp, { recursive: true, force: true });
  });

  test('two bots and a svcbot worker, TTL 1 s, six requests: each message updated to expired once, each requester told once, one expired audit entry each', async () => {
    const ttl = { SVCBOT_APPROVAL_TTL: '1s' };
    const first = await startBot({ use: { sandbox }, redisPrefix: prefix, keepKeys: true, env: ttl });
    bots.push(first);
    const second = await startBot({ use: { sandbox }, redisPrefix: prefix, keepKeys: true, env: ttl });
    bots.push(second);
    const worker = spawnSvcbot('worker', ['worker'], {
      ...sandbox.info.env,
      REDIS_URL: first.redisUrl,
      REDIS_PREFIX: prefix,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_API_URL: workerSlack.apiUrl,
      SVCBOT_APPROVAL_TTL: '1s',
      LOG_LEVEL: 'debug',
    });
    const slacks = [first.slack, second.slack, workerSlack];

    await withOutputOnFailure(
      async () => {
        await waitFor(() => worker.output().includes('svcbot is running load-balancer jobs'), { what: 'svcbot worker to run', timeoutMs: 15_000 });
        // Taken one after another, so they fall due at different moments, for whichever process sweeps next.
        const posted: Posted[] = [];
        for (let i = 1; i <= 6; i++) posted.push(await request(first, `create lb-${i} --selector app=alpine --port 80 --type loadbalancer`));

        const updates = (p: Posted) => slacks.flatMap((s) => updatesOf(s, p));
        const tells = (p: Posted) => slacks.flatMap((s) => threadOf(s, p));
        await waitFor(() => posted.every((p) => updates(p).length > 0 && tells(p).length > 0), { what: 'every request to expire', timeoutMs: 10_000 });
        await furtherSweeps(1000);

        for (const p of posted) {
          const [update, ...moreUpdates] = updates(p);
          expect(allText(update!)).toMatch(/Expired at .* without a decision/);
          expect(moreUpdates).toEqual([]);
          const [told, ...moreTold] = tells(p);
          expect(allText(told!)).toContain(`<@${ALICE}> your request \`${p.id}\` expired after`);
          expect(moreTold).toEqual([]);
        }
        const entries = await auditEntries(first.redisUrl, prefix);
        for (const p of posted) {
          expect(entries.filter((e) => e.requestId === p.id).map((e) => e.action).sort()).toEqual(['expired', 'requested']);
        }
        expect(sandbox.cluster.listServices().filter((s) => s.metadata.name.startsWith('lb-'))).toEqual([]);
        expect(await worker.kill('SIGTERM')).toEqual({ code: 0, signal: null });
      },
      { first: first.logs, second: second.logs },
    );
  });
});

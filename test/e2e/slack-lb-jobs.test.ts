/**
 * Load-balancer changes through the queue, end to end over Slack's HTTP surface: `/svc jobs` and
 * `/svc cancel` on a job parked waiting for DNS, a double submission, and a Redis that cannot be
 * reached (the queue message, nothing changed). Each bot has a queue prefix of its own, removed on stop.
 */
import * as k8s from '@kubernetes/client-node';
import { createServer } from 'node:net';
import { startBot, type BotUnderTest } from '../helpers/bot.js';
import type { RecordedCall } from '../helpers/slack-stub.js';
import { waitFor } from '../helpers/wait.js';

function allText(call: RecordedCall): string {
  return `${String(call.body.text)}\n${JSON.stringify(call.body.blocks ?? [])}`;
}

async function replyText(bot: BotUnderTest, text: string, fields: { user_id?: string } = {}): Promise<RecordedCall> {
  const res = await bot.command(text, fields);
  return bot.slack.waitForCall((c) => c.method === 'response_url' && c.responseId === res.responseId);
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('jobs waiting for DNS (the hostname resolves only after a minute)', () => {
  let bot: BotUnderTest;
  beforeAll(async () => {
    bot = await startBot({ sandbox: { dnsDelayMs: 60_000 }, approvals: false });
  });
  afterAll(() => bot.stop());

  test('create --type lb is queued; a second submission is "already in progress"; /svc jobs shows it waiting; /svc cancel stops it and leaves the Service', async () => {
    const cluster = bot.sandbox.info.clusterName;
    const jobId = `provision.${cluster}.default.slow-web`;
    const first = await replyText(bot, 'create slow-web --selector app=alpine --port 8080:80 --type lb', { user_id: 'U1ALICE' });
    expect(allText(first)).toContain(jobId);
    expect(allText(first)).toMatch(/Queued/);
    await bot.slack.waitForCall((c) => c.method === 'chat.postMessage' && String(c.body.text).includes('Load balancer for') && String(c.body.text).includes('default/slow-web'));

    // The job creates the Service, then parks until DNS resolves.
    await waitFor(() => bot.sandbox.cluster.getService('default', 'slow-web')?.status?.loadBalancer?.ingress?.[0]?.hostname, {
      what: 'the load balancer hostname',
      timeoutMs: 10_000,
    });

    for (const text of ['type slow-web lb', 'create slow-web --selector app=alpine --port 8080:80 --type lb']) {
      const again = await replyText(bot, text);
      expect(allText(again)).toMatch(/Already in progress/);
      expect(allText(again)).toContain(jobId);
    }

    const jobs = await waitFor(async () => {
      const r = await replyText(bot, 'jobs');
      const text = allText(r);
      return text.includes(jobId) && /waiting/.test(text) && text;
    }, { what: '/svc jobs to show the job waiting', timeoutMs: 10_000 });
    expect(jobs).toContain('slow-web');

    await bot.command(`cancel ${jobId}`, { user_id: 'U2BOB' });
    // A cancel is announced in the channel.
    const cancelled = await bot.slack.waitForCall((c) => c.method === 'chat.postMessage' && String(c.body.text).includes('cancelled'));
    expect(allText(cancelled)).toContain('<@U2BOB>');
    expect(allText(cancelled)).toMatch(/left as it is/);
    // The job may have been running a step when the cancel came: the worker holding it ends it at once.
    await waitFor(async () => /cancelled/.test(allText(await replyText(bot, 'jobs'))), { what: '/svc jobs to show the job cancelled' });
    expect(bot.sandbox.cluster.getService('default', 'slow-web')?.spec.type).toBe('LoadBalancer');
    expect(bot.slack.calls.filter((c) => c.method === 'chat.postMessage' && String(c.body.text).includes('is reachable at'))).toEqual([]);
  });

  test('/svc cancel of an unknown job says there is no such job', async () => {
    const r = await replyText(bot, `cancel provision.${bot.sandbox.info.clusterName}.default.nothing-here`);
    expect(allText(r)).toMatch(/There is no job/);
  });
});

describe('type away from LoadBalancer', () => {
  let bot: BotUnderTest;
  beforeAll(async () => {
    bot = await startBot({ approvals: false });
  });
  afterAll(() => bot.stop());

  test('type nodeport of a LoadBalancer Service is a job: patched in place (same node port), the ELB goes, then "no further charges"', async () => {
    const cluster = bot.sandbox.info.clusterName;
    await bot.command('create shop --selector app=alpine --port 8080:80 --type lb', { user_id: 'U1ALICE' });
    await waitFor(
      () => bot.slack.calls.find((c) => c.method === 'chat.update' && String(c.body.text).includes('default/shop') && String(c.body.text).includes('Ready')),
      { what: 'the provisioning to be ready', timeoutMs: 15_000 },
    );
    const before = bot.sandbox.cluster.getService('default', 'shop');
    const nodePort = before?.spec.ports?.[0]?.nodePort;
    expect(nodePort).toBeDefined();
    const elbsOfShop = () => bot.sandbox.elb.list().filter((lb) => lb.tags.get('kubernetes.io/service-name') === 'default/shop');
    expect(elbsOfShop()).toHaveLength(1);

    const queued = await replyText(bot, 'type shop nodeport', { user_id: 'U2BOB' });
    expect(allText(queued)).toContain(`retype.${cluster}.default.shop`);
    const done = await waitFor(
      () => bot.slack.calls.find((c) => c.method === 'chat.update' && String(c.body.text).includes('default/shop') && String(c.body.text).includes('no further charges')),
      { what: 'the teardown of the load balancer to finish', timeoutMs: 15_000 },
    );
    expect(allText(done)).toContain('asked by <@U2BOB>');
    // An edit notifies nobody: the requester is told in the thread, once.
    const told = await waitFor(() => {
      const replies = bot.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.body.thread_ts === done.body.ts);
      return replies.length > 0 && replies;
    }, { what: 'the thread reply telling the requester' });
    expect(told).toHaveLength(1);
    expect(String(told[0]!.body.text)).toBe(`<@U2BOB> \`default/shop\` on \`${cluster}\`: load balancer deleted — no further charges.`);
    const after = bot.sandbox.cluster.getService('default', 'shop');
    expect(after?.spec.type).toBe('NodePort');
    expect(after?.metadata.uid).toBe(before?.metadata.uid);
    expect(after?.spec.ports?.[0]?.nodePort).toBe(nodePort);
    expect(after?.metadata.finalizers ?? []).toEqual([]);
    expect(elbsOfShop()).toEqual([]);
  });
});

describe('a stale job never acts on a newer world (jobs parked waiting for DNS)', () => {
  let bot: BotUnderTest;
  beforeAll(async () => {
    bot = await startBot({ sandbox: { dnsDelayMs: 60_000 }, approvals: false });
  });
  afterAll(() => bot.stop());

  /** The job's progress message about `default/NAME` (posted by the job, not in a thread). */
  const progressPosts = (name: string) =>
    bot.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.body.thread_ts === undefined && String(c.body.text).includes(`default/${name}\``));
  const updatesOf = (ts: string) => bot.slack.calls.filter((c) => c.method === 'chat.update' && c.body.ts === ts).map((c) => String(c.body.text));
  const parkedAtDns = (name: string) =>
    waitFor(() => progressPosts(name)[0]?.ts !== undefined && updatesOf(progressPosts(name)[0]!.ts!).some((t) => /to resolve/.test(t)), {
      what: `the job of ${name} to wait for DNS`,
      timeoutMs: 10_000,
    });

  test('delete while its provisioning waits for DNS: the provisioning ends at once as superseded by the delete, quietly; only the delete reports', async () => {
    const cluster = bot.sandbox.info.clusterName;
    await replyText(bot, 'create gone-web --selector app=alpine --port 80 --type lb', { user_id: 'U1ALICE' });
    await parkedAtDns('gone-web');
    const progressTs = progressPosts('gone-web')[0]!.ts!;

    await replyText(bot, 'delete gone-web', { user_id: 'U2BOB' });
    const superseded = await waitFor(() => updatesOf(progressTs).find((t) => t.includes('Superseded')), { what: 'the provisioning to stand down', timeoutMs: 5000 });
    expect(superseded).toContain(`Superseded by \`delete\` (job \`delete.${cluster}.default.gone-web\`), asked by <@U2BOB>`);
    await waitFor(() => bot.slack.calls.some((c) => c.method === 'chat.update' && String(c.body.text).includes('default/gone-web') && String(c.body.text).includes('no further charges')), {
      what: 'the delete to finish',
      timeoutMs: 15_000,
    });
    expect(bot.sandbox.cluster.getService('default', 'gone-web')).toBeUndefined();
    // Nothing said the provisioning was stuck, and nobody was told of an endpoint.
    const everything = bot.slack.calls.map((c) => String(c.body.text)).join('\n');
    expect(everything).not.toMatch(/Stuck at/);
    expect(everything).not.toMatch(/gone-web` is reachable at/);
    // The provisioning's thread got nothing (its requester hears nothing more of it).
    expect(bot.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.body.thread_ts === progressTs)).toEqual([]);
  });

  test('a Service deleted with kubectl while its job waits for DNS gets no "Ready": the job ends as deleted meanwhile, creating nothing', async () => {
    await replyText(bot, 'create kubectl-web --selector app=alpine --port 80 --type lb', { user_id: 'U1ALICE' });
    await parkedAtDns('kubectl-web');
    const progressTs = progressPosts('kubectl-web')[0]!.ts!;
    const kc = new k8s.KubeConfig();
    kc.loadFromString(bot.sandbox.adminKubeconfigYaml);
    await kc.makeApiClient(k8s.CoreV1Api).deleteNamespacedService({ namespace: 'default', name: 'kubectl-web' });

    const ended = await waitFor(() => updatesOf(progressTs).find((t) => t.includes('deleted meanwhile')), { what: 'the job to end', timeoutMs: 10_000 });
    expect(ended).not.toContain('Ready');
    await waitFor(() => bot.sandbox.cluster.getService('default', 'kubectl-web') === undefined, { what: 'the Service to be gone' });
    // Not made again by the job, and nobody was told of an endpoint.
    expect(bot.sandbox.cluster.getService('default', 'kubectl-web')).toBeUndefined();
    expect(bot.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.body.thread_ts === progressTs)).toEqual([]);
  });

  test('20 identical `type same lb` at once: one job, one load balancer, one progress message; one reply says queued, the others "already in progress"', async () => {
    await bot.command('create same --selector app=alpine --port 80');
    await waitFor(() => bot.sandbox.cluster.getService('default', 'same'), { what: 'the ClusterIP Service' });
    const sent = await Promise.all(Array.from({ length: 20 }, (_, i) => bot.command('type same lb', { user_id: `U${i}SAME` })));
    const replies = await Promise.all(sent.map((r) => bot.slack.waitForCall((c) => c.method === 'response_url' && c.responseId === r.responseId)));
    const texts = replies.map((r) => String(r.body.text));
    expect(texts.filter((t) => t.includes('Queued'))).toHaveLength(1);
    expect(texts.filter((t) => t.includes('Already in progress'))).toHaveLength(19);
    await parkedAtDns('same');
    expect(progressPosts('same')).toHaveLength(1);
    expect(bot.sandbox.elb.list().filter((lb) => lb.tags.get('kubernetes.io/service-name') === 'default/same')).toHaveLength(1);
    // Its one message says who asked: the one whose submission became the job.
    const asker = /asked by <@(U\d+SAME)>/.exec(String(progressPosts('same')[0]!.body.text))?.[1];
    expect(texts[sent.findIndex((_, i) => `U${i}SAME` === asker)]).toContain('Queued');
  });
});

describe('Redis unreachable', () => {
  let bot: BotUnderTest;
  beforeAll(async () => {
    bot = await startBot({ env: { REDIS_URL: `redis://127.0.0.1:${await closedPort()}` }, approvals: false });
  });
  afterAll(() => bot.stop());

  test('load-balancer changes and /svc jobs answer that svcbot cannot reach its queue and change nothing; other commands still work', async () => {
    const created = await replyText(bot, 'create no-queue --selector app=alpine --port 80 --type lb');
    expect(allText(created)).toContain('svcbot cannot reach its queue (Redis) — try again shortly');
    expect(bot.sandbox.cluster.getService('default', 'no-queue')).toBeUndefined();

    await bot.command('create plain --selector app=alpine --port 80');
    await waitFor(() => bot.sandbox.cluster.getService('default', 'plain'), { what: 'the ClusterIP Service' });
    const typed = await replyText(bot, 'type plain lb');
    expect(allText(typed)).toContain('svcbot cannot reach its queue (Redis)');
    expect(bot.sandbox.cluster.getService('default', 'plain')?.spec.type).toBe('ClusterIP');

    expect(allText(await replyText(bot, 'jobs'))).toContain('svcbot cannot reach its queue (Redis)');
    expect(allText(await replyText(bot, 'list'))).toContain('plain');
    // No progress message was posted for a job that was never queued.
    expect(bot.slack.calls.filter((c) => c.method === 'chat.postMessage' && String(c.body.text).includes('Load balancer for'))).toEqual([]);
  });
});

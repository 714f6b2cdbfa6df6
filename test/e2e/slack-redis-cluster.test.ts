/**
 * svcbot on a Redis Cluster, end to end: a bot started with REDIS_CLUSTER_NODES (a local 3-master +
 * 3-replica cluster; REDIS_URL then unused) takes load-balancer changes over Slack's HTTP surface — a
 * double submission is one job, each job posts its endpoints once, `/svc jobs` lists them and the audit
 * log has them — with its queue, approvals and audit on the cluster, the jobs spread over 4 queues
 * (JOB_QUEUE_SHARDS). The cluster is removed afterwards.
 */
import { startBot, type BotUnderTest } from '../helpers/bot.js';
import { startRedisCluster, type LocalRedisCluster } from '../helpers/redis-cluster.js';
import type { RecordedCall } from '../helpers/slack-stub.js';
import { waitFor } from '../helpers/wait.js';

function allText(call: RecordedCall): string {
  return `${String(call.body.text)}\n${JSON.stringify(call.body.blocks ?? [])}`;
}

async function replyText(bot: BotUnderTest, text: string, fields: { user_id?: string } = {}): Promise<string> {
  const res = await bot.command(text, fields);
  return allText(await bot.slack.waitForCall((c) => c.method === 'response_url' && c.responseId === res.responseId));
}

let cluster: LocalRedisCluster;
let bot: BotUnderTest;
beforeAll(async () => {
  cluster = await startRedisCluster();
  // Its keys live on the cluster (stop() would look for them on REDIS_URL): the cluster's removal takes them.
  // Names resolve 3 s after their load balancer is made: the first job is still in progress when it is
  // submitted again (at the 200 ms of the other e2e tests it could be done by then, on a loaded machine).
  bot = await startBot({
    env: { REDIS_CLUSTER_NODES: cluster.seeds, REDIS_URL: 'redis://127.0.0.1:1', JOB_QUEUE_SHARDS: '4' },
    sandbox: { dnsDelayMs: 3000 },
    approvals: false,
    keepKeys: true,
  });
}, 60_000);
afterAll(async () => {
  await bot?.stop();
  await cluster?.stop();
});

test('load-balancer jobs run on the cluster: one job per double submission, each endpoint posted once, listed and audited', async () => {
  const names = ['cl-web-0', 'cl-web-1', 'cl-web-2'];
  for (const name of names) expect(await replyText(bot, `create ${name} --selector app=alpine --port 80 --type lb`, { user_id: 'U1ALICE' })).toMatch(/Queued/);
  expect(await replyText(bot, `type ${names[0]!} lb`)).toMatch(/Already in progress/);
  const endpointPosts = (name: string) =>
    bot.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.body.thread_ts && String(c.body.text).includes(`default/${name}`) && String(c.body.text).includes('is reachable at'));
  await waitFor(() => names.every((n) => endpointPosts(n).length > 0), { what: 'every job to post its endpoints', timeoutMs: 30_000 });
  expect(names.map((n) => endpointPosts(n).length)).toEqual([1, 1, 1]);
  const jobs = await waitFor(async () => {
    const text = await replyText(bot, 'jobs');
    return names.every((n) => text.includes(n)) && (text.match(/\bdone\b/g) ?? []).length >= names.length && text;
  }, { what: '/svc jobs to list the three jobs done', timeoutMs: 10_000 });
  expect(jobs).toContain(`provision.${bot.sandbox.info.clusterName}.default.cl-web-0`);
  const audit = await replyText(bot, 'audit');
  for (const name of names) expect(audit).toContain(name);
  // Everything svcbot kept is on the cluster, under its prefix.
  const admin = cluster.client();
  await new Promise((resolve) => admin.once('ready', resolve));
  try {
    const keys: string[] = [];
    for (const master of admin.nodes('master')) keys.push(...(await master.keys(`${bot.queuePrefix}:*`)));
    expect(keys).toEqual(expect.arrayContaining([`${bot.queuePrefix}:audit`]));
    // The jobs are in the shards' queues (`{lb-jobs-N}`), none in the single queue's.
    expect(keys.some((k) => /:\{lb-jobs-[0-3]\}:meta$/.test(k))).toBe(true);
    expect(keys.filter((k) => k.includes(':{lb-jobs}:') && !k.includes(':once:'))).toEqual([]);
  } finally {
    admin.disconnect();
  }
}, 60_000);

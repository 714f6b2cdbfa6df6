/**
 * A worker that dies after Slack took its message and before it recorded the post leaves a claim that
 * another worker takes over: the job's post (postOnce) reads the channel or thread back for the message's
 * key and records it, rather than posting it again — on real Redis (the once guard), real Slack replies
 * and the Slack stand-in's history.
 */
import { LogLevel, WebClient } from '@slack/web-api';
import { Redis } from 'ioredis';
import { postOnce } from '../../jobs/lb-job.js';
import { createRedisOnceGuard } from '../../src/adapters/queue/once.js';
import { createSlackReplies } from '../../src/adapters/slack/replies.js';
import { startSlackStub, type SlackStub } from '../helpers/slack-stub.js';
import { REDIS_URL } from './jobs-harness.js';

const prefix = `svcbot-test-post-once-${Math.random().toString(36).slice(2, 10)}`;
let redis: Redis;
let slack: SlackStub;
beforeAll(async () => {
  redis = new Redis(REDIS_URL);
  slack = await startSlackStub();
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await slack.close();
});

const alive = new Set<string>();
function worker(id: string) {
  alive.add(id);
  const replies = createSlackReplies(new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR }), { maxAttempts: 1 });
  return { once: createRedisOnceGuard(redis, { prefix, ownerId: id, ownerAlive: (owner) => Promise.resolve(alive.has(owner)) }), replies };
}

/** worker `id` posted for the job, then died before recording it: its claim is still `pending:<id>`. */
async function diedAfterPosting(id: string, job: { id: string; data: { requestedAt: number } }, what: string, channel: string, threadTs?: string) {
  const w = worker(id);
  const ref = await postOnce(job, w, what, channel, { text: `${what} of ${job.id}`, blocks: [] }, threadTs ? { threadTs } : {});
  await redis.set(`${prefix}:once:${job.id}:${job.data.requestedAt}:${what}`, `pending:${id}`);
  alive.delete(id);
  return ref;
}

const posts = (channel: string) => slack.calls.filter((c) => c.method === 'chat.postMessage' && c.body.channel === channel);

test("a dead worker's endpoint message, in the channel: the worker taking over finds it and does not post it again", async () => {
  const job = { id: 'provision.prod.default.web', data: { requestedAt: Date.now() } };
  const first = await diedAfterPosting('worker-a', job, 'endpoint', 'CTAKE1');
  const b = worker('worker-b');
  await expect(postOnce(job, b, 'endpoint', 'CTAKE1', { text: 'endpoint again', blocks: [] })).resolves.toEqual(first);
  expect(posts('CTAKE1')).toHaveLength(1);
  // Recorded: a third attempt neither reads nor posts.
  const reads = slack.calls.length;
  await expect(postOnce(job, worker('worker-c'), 'endpoint', 'CTAKE1', { text: 'x', blocks: [] })).resolves.toEqual(first);
  expect(slack.calls.length).toBe(reads);
});

test('in the thread of the progress message: found there', async () => {
  const job = { id: 'provision.prod.default.api', data: { requestedAt: Date.now() } };
  const progress = await postOnce(job, worker('worker-a'), 'progress', 'CTAKE2', { text: 'progress', blocks: [] });
  const first = await diedAfterPosting('worker-a', job, 'endpoint', 'CTAKE2', progress!.ts);
  await expect(postOnce(job, worker('worker-b'), 'endpoint', 'CTAKE2', { text: 'again', blocks: [] }, { threadTs: progress!.ts })).resolves.toEqual(first);
  expect(posts('CTAKE2')).toHaveLength(2); // the progress message and one endpoint message
});

test('a dead worker that died before Slack took the message: the worker taking over posts it', async () => {
  const job = { id: 'provision.prod.default.db', data: { requestedAt: Date.now() } };
  await redis.set(`${prefix}:once:${job.id}:${job.data.requestedAt}:endpoint`, 'pending:worker-gone');
  const ref = await postOnce(job, worker('worker-b'), 'endpoint', 'CTAKE3', { text: 'endpoint', blocks: [] });
  expect(posts('CTAKE3').map((c) => c.ts)).toEqual([ref!.ts]);
});

test('the same key of an earlier request of the Service is another post (the key holds the request time)', async () => {
  const earlier = { id: 'provision.prod.default.cache', data: { requestedAt: Date.now() - 1000 } };
  await postOnce(earlier, worker('worker-a'), 'endpoint', 'CTAKE4', { text: 'earlier', blocks: [] });
  const job = { id: earlier.id, data: { requestedAt: Date.now() } };
  await redis.set(`${prefix}:once:${job.id}:${job.data.requestedAt}:endpoint`, 'pending:worker-gone');
  await postOnce(job, worker('worker-b'), 'endpoint', 'CTAKE4', { text: 'this one', blocks: [] });
  expect(posts('CTAKE4').map((c) => c.body.text)).toEqual(['earlier', 'this one']);
});

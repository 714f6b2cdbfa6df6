/**
 * The Slack replies translate Slack's failures into BotErrors and marks them: a refusal (a platform
 * error such as invalid_auth, an expired response_url) is permanent, a network failure or a 5xx is
 * transient, so a job retries only what a retry can mend.
 */
import { LogLevel, WebClient } from '@slack/web-api';
import { auditChannel } from '../../../handlers/approval-notices.js';
import { createSlackReplies } from '../../../src/adapters/slack/replies.js';
import { BotError } from '../../../src/domain/errors.js';
import { createTsClock } from '../../../bench/slack-history.js';
import { SLACK_LIMITS } from '../../../bench/slack-limits.js';
import { startSlackStub, type SlackStub } from '../../helpers/slack-stub.js';

let slack: SlackStub;
beforeAll(async () => {
  slack = await startSlackStub();
});
afterAll(() => slack.close());

function notifier(apiUrl = slack.apiUrl) {
  return createSlackReplies(new WebClient('xoxb-test', { slackApiUrl: apiUrl, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR }), { maxAttempts: 1 });
}

async function failure(p: Promise<unknown>): Promise<BotError> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BotError);
  return err as BotError;
}

test.each([
  { what: 'a platform error (invalid_auth) is permanent', answer: { status: 200, body: { ok: false, error: 'invalid_auth' } }, transient: false },
  { what: 'Slack rate-limiting as a platform error is transient', answer: { status: 200, body: { ok: false, error: 'ratelimited' } }, transient: true },
  { what: 'an HTTP 503 is transient', answer: { status: 503, body: { ok: false } }, transient: true },
])('post: $what', async ({ answer, transient }) => {
  const remove = slack.override((c) => (c.method === 'chat.postMessage' && c.body.channel === 'CMARK' ? answer : undefined));
  try {
    const err = await failure(notifier().post('CMARK', { text: 'hi', blocks: [] }));
    expect(err).toMatchObject({ code: 'slack_error', transient });
  } finally {
    remove();
  }
});

test('not in the channel, without a fallback: slack_not_in_channel, permanent', async () => {
  const remove = slack.override((c) => (c.body.channel === 'CGONE' ? { body: { ok: false, error: 'not_in_channel' } } : undefined));
  try {
    const err = await failure(notifier().update({ channel: 'CGONE', ts: '1.2' }, { text: 'hi', blocks: [] }));
    expect(err).toMatchObject({ code: 'slack_not_in_channel', transient: false });
  } finally {
    remove();
  }
});

test('the fallback response_url has expired (404): permanent; Slack unreachable: transient', async () => {
  const remove = slack.override((c) =>
    c.body.channel === 'COUT' ? { body: { ok: false, error: 'not_in_channel' } } : c.responseId === 'expired' ? { status: 404, body: { ok: false } } : undefined,
  );
  try {
    const expired = await failure(notifier().post('COUT', { text: 'hi', blocks: [] }, { fallbackResponseUrl: slack.responseUrl('expired') }));
    expect(expired).toMatchObject({ code: 'slack_error', transient: false });
  } finally {
    remove();
  }
  // Nothing listens on port 9 of loopback.
  const unreachable = await failure(notifier('http://127.0.0.1:9/api/').post('C1', { text: 'hi', blocks: [] }));
  expect(unreachable).toMatchObject({ code: 'slack_error', transient: true });
});

describe('a response_url takes 5 posts (Slack\'s limit, enforced by the stand-in)', () => {
  let limited: SlackStub;
  beforeAll(async () => {
    limited = await startSlackStub({ limits: SLACK_LIMITS });
  });
  afterAll(() => limited.close());
  const replies = () => notifier(limited.apiUrl);
  const ephemeral = (text: string) => ({ responseType: 'ephemeral' as const, text, blocks: [] });

  test('answers beyond the 5th go as ephemeral messages; Slack never sees a 6th post', async () => {
    const r = replies();
    const to = { userId: 'U7', channelId: 'C7', responseUrl: limited.responseUrl('seven') };
    for (let i = 1; i <= 7; i++) await r.respond(to, ephemeral(`answer ${i}`));
    expect(limited.calls.filter((c) => c.responseId === 'seven').map((c) => c.body.text)).toEqual(['answer 1', 'answer 2', 'answer 3', 'answer 4', 'answer 5']);
    const ephemerals = limited.calls.filter((c) => c.method === 'chat.postEphemeral' && c.body.channel === 'C7');
    expect(ephemerals.map((c) => [c.body.user, c.body.text])).toEqual([
      ['U7', 'answer 6'],
      ['U7', 'answer 7'],
    ]);
    expect(limited.limited).toEqual({});
  });

  test('a response_url another process used up (Slack\'s 404) falls back too', async () => {
    for (let i = 0; i < 5; i++) await fetch(limited.responseUrl('elsewhere'), { method: 'POST', body: '{}' });
    await replies().respond({ userId: 'U8', channelId: 'C8', responseUrl: limited.responseUrl('elsewhere') }, ephemeral('late answer'));
    expect(limited.calls.find((c) => c.method === 'chat.postEphemeral' && c.body.text === 'late answer')?.body).toMatchObject({ channel: 'C8', user: 'U8' });
  });

  test('not in the channel and the response_url spent: a direct message to the user', async () => {
    const remove = limited.override((c) => (c.body.channel === 'CAWAY' ? { body: { ok: false, error: 'not_in_channel' } } : undefined));
    try {
      const r = replies();
      const refusedBefore = limited.limited.response_url ?? 0;
      const opts = { fallbackResponseUrl: limited.responseUrl('away'), fallbackUserId: 'U9' };
      for (let i = 1; i <= 6; i++) expect(await r.post('CAWAY', { text: `message ${i}`, blocks: [] }, opts)).toBeUndefined();
      expect(limited.calls.filter((c) => c.responseId === 'away')).toHaveLength(5);
      const direct = limited.calls.filter((c) => c.method === 'chat.postMessage' && c.body.channel === 'U9');
      expect(direct).toHaveLength(1);
      expect(String(direct[0]!.body.text)).toContain('message 6');
      expect(limited.limited.response_url ?? 0).toBe(refusedBefore);
    } finally {
      remove();
    }
  });

  test('without a user to fall back on, a spent response_url fails as it did (permanent)', async () => {
    const remove = limited.override((c) => (c.body.channel === 'CAWAY2' ? { body: { ok: false, error: 'not_in_channel' } } : undefined));
    try {
      const r = replies();
      const opts = { fallbackResponseUrl: limited.responseUrl('away2') };
      for (let i = 1; i <= 5; i++) await r.post('CAWAY2', { text: `m${i}`, blocks: [] }, opts);
      const err = await failure(r.post('CAWAY2', { text: 'm6', blocks: [] }, opts));
      expect(err).toMatchObject({ code: 'slack_error', transient: false });
      expect(limited.calls.filter((c) => c.responseId === 'away2')).toHaveLength(5);
    } finally {
      remove();
    }
  });
});

test('digestible results waiting for one channel go as one message there, mentioning each requester', async () => {
  const s = await startSlackStub({ limits: SLACK_LIMITS });
  try {
    const r = createSlackReplies(new WebClient('xoxb-test', { slackApiUrl: s.apiUrl, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR, rejectRateLimitedCalls: true }));
    // Two go at once (the send queue's burst, one under Slack's); the rest wait together and go as one digest.
    const refs = await Promise.all(
      Array.from({ length: 8 }, (_, i) => r.post('CDIGEST', { text: `<@U${i}> \`default/s${i}\` is reachable at: x`, blocks: [] }, { digest: 'results', threadTs: `1.${i}` })),
    );
    const posts = s.calls.filter((c) => c.method === 'chat.postMessage' && c.limited !== true);
    expect(posts).toHaveLength(3);
    const digest = posts[2]!;
    expect(digest.body.thread_ts).toBeUndefined();
    for (let i = 2; i < 8; i++) expect(String(digest.body.text)).toContain(`<@U${i}>`);
    expect(new Set(refs.slice(2).map((ref) => ref?.ts))).toEqual(new Set([digest.ts]));
    expect(s.limited).toEqual({});
  } finally {
    await s.close();
  }
});

test('audit entries recorded within a few seconds go to the audit channel as few messages: every entry, in order, escaped, within 4,000 characters each, no 429', async () => {
  const s = await startSlackStub({ limits: SLACK_LIMITS });
  try {
    const r = createSlackReplies(new WebClient('xoxb-test', { slackApiUrl: s.apiUrl, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR, rejectRateLimitedCalls: true }));
    const post = auditChannel(r, 'CAUDIT');
    // 120 decisions in about a second; their user text tries to ping the channel.
    const entries = Array.from({ length: 120 }, (_, i) => ({ at: 1_800_000_000_000 + i, action: 'refused' as const, userId: `U${i}`, userName: `user${i}`, result: `entry-${i} <!channel> & more` }));
    await Promise.all(entries.map((entry) => post(entry)));
    const posts = s.calls.filter((c) => c.method === 'chat.postMessage');
    expect(s.limited).toEqual({});
    // 120 messages would take two minutes at Slack's one a second; a digest takes as many as fit 4,000 characters.
    expect(posts.length).toBeLessThanOrEqual(10);
    const texts = posts.map((c) => String(c.body.text));
    for (const text of texts) {
      expect(text.length).toBeLessThanOrEqual(4000);
      expect(text).not.toContain('<!channel>');
    }
    const order = texts.join('\n').match(/entry-\d+/g);
    expect(order).toEqual(entries.map((_, i) => `entry-${i}`));
    expect(texts.join('\n')).toContain('entry-7 &lt;!channel&gt; &amp; more');
  } finally {
    await s.close();
  }
});

describe('keyed posts and reading them back (findPosted)', () => {
  test('a keyed post carries its key in its metadata; findPosted finds it in the channel and in a thread, not another key', async () => {
    const r = notifier();
    const since = Date.now() - 60_000;
    const parent = await r.post('CFIND', { text: 'progress', blocks: [] }, { key: 'job-1:progress' });
    const reply = await r.post('CFIND', { text: 'endpoint', blocks: [] }, { key: 'job-1:endpoint', threadTs: parent!.ts });
    const posted = slack.calls.filter((c) => c.method === 'chat.postMessage' && c.body.channel === 'CFIND');
    expect(posted[0]!.body.metadata).toEqual({ event_type: 'svcbot_post', event_payload: { posts: [{ key: 'job-1:progress' }] } });
    await expect(r.findPosted('CFIND', 'job-1:progress', { since })).resolves.toEqual(parent);
    // A thread reply is not in the channel's history: found in the thread asked for.
    await expect(r.findPosted('CFIND', 'job-1:endpoint', { since })).resolves.toBeUndefined();
    await expect(r.findPosted('CFIND', 'job-1:endpoint', { since, threadTs: parent!.ts })).resolves.toEqual(reply);
    await expect(r.findPosted('CFIND', 'job-2:endpoint', { since, threadTs: parent!.ts })).resolves.toBeUndefined();
    // Older than `since`: not looked at.
    await expect(r.findPosted('CFIND', 'job-1:progress', { since: Date.now() + 3_600_000 })).resolves.toBeUndefined();
    const reads = slack.calls.filter((c) => c.method.startsWith('conversations.'));
    expect(reads.every((c) => c.body.include_all_metadata === 'true')).toBe(true);
  });

  test('findPosted pages through a busy channel', async () => {
    const r = notifier();
    const since = Date.now() - 60_000;
    const one = await r.post('CBUSY', { text: 'the one', blocks: [] }, { key: 'job-old:endpoint' });
    // 450 later messages (in the stand-in's history directly: posting them would take Slack's 450 seconds).
    const nextTs = createTsClock();
    for (let i = 0; i < 450; i++) slack.history.posted('CBUSY', { ts: nextTs(), text: `m${i}`, metadata: { event_type: 'svcbot_post', event_payload: { posts: [{ key: `other-${i}` }] } } });
    const before = slack.calls.filter((c) => c.method === 'conversations.history').length;
    await expect(r.findPosted('CBUSY', 'job-old:endpoint', { since })).resolves.toEqual(one);
    expect(slack.calls.filter((c) => c.method === 'conversations.history').length - before).toBe(3); // 200 a page, newest first
  });

  test('a digest carries every part\'s key: each is found by its own', async () => {
    const s = await startSlackStub({ limits: SLACK_LIMITS });
    try {
      const r = createSlackReplies(new WebClient('xoxb-test', { slackApiUrl: s.apiUrl, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR, rejectRateLimitedCalls: true }));
      const refs = await Promise.all(Array.from({ length: 6 }, (_, i) => r.post('CDIG', { text: `<@U${i}> s${i} is reachable`, blocks: [] }, { digest: 'results', key: `job-${i}:endpoint` })));
      const posts = s.calls.filter((c) => c.method === 'chat.postMessage' && c.limited !== true);
      expect(posts.length).toBeLessThan(6); // some went together
      for (let i = 0; i < 6; i++) await expect(r.findPosted('CDIG', `job-${i}:endpoint`, { since: 0 })).resolves.toEqual(refs[i]);
    } finally {
      await s.close();
    }
  });

  test('where svcbot may not read (missing_scope, not in the channel) it finds nothing; Slack failing is a transient error', async () => {
    const r = notifier();
    const answers: Record<string, { status?: number; body: unknown }> = {
      CNOSCOPE: { body: { ok: false, error: 'missing_scope', needed: 'channels:history' } },
      CNOTIN: { body: { ok: false, error: 'not_in_channel' } },
      CDOWN: { status: 503, body: { ok: false } },
    };
    const remove = slack.override((c) => (c.method === 'conversations.history' ? answers[String(c.body.channel)] : undefined));
    try {
      await expect(r.findPosted('CNOSCOPE', 'k', { since: 0 })).resolves.toBeUndefined();
      await expect(r.findPosted('CNOTIN', 'k', { since: 0 })).resolves.toBeUndefined();
      const err = await failure(r.findPosted('CDOWN', 'k', { since: 0 }));
      expect(err).toMatchObject({ code: 'slack_error', transient: true });
    } finally {
      remove();
    }
  });
});

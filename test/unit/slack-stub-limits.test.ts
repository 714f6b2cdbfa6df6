import { afterEach, describe, expect, it } from '@jest/globals';
import { createSlackLimiter, SLACK_LIMITS } from '../../bench/slack-limits.js';
import { startSlackStub, type SlackStub } from '../helpers/slack-stub.js';

describe('the Slack stand-in\'s limiter', () => {
  const clock = () => {
    let t = 1_000_000;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  };

  it('takes a short burst of chat.postMessage per channel, then about one a second, with Retry-After', () => {
    const c = clock();
    const limiter = createSlackLimiter(SLACK_LIMITS, c.now);
    for (let i = 0; i < 3; i++) expect(limiter.admit('chat.postMessage', 'C1')).toEqual({ ok: true });
    expect(limiter.admit('chat.postMessage', 'C1')).toEqual({ ok: false, retryAfterSeconds: 1 });
    // Another channel has its own budget.
    expect(limiter.admit('chat.postMessage', 'C2')).toEqual({ ok: true });
    c.advance(1000);
    expect(limiter.admit('chat.postMessage', 'C1')).toEqual({ ok: true });
    expect(limiter.admit('chat.postMessage', 'C1').ok).toBe(false);
  });

  it('counts chat.update (Tier 3, ~50 a minute) across the workspace, whatever the channel', () => {
    const c = clock();
    const limiter = createSlackLimiter(SLACK_LIMITS, c.now);
    for (let i = 0; i < 5; i++) expect(limiter.admit('chat.update', `C${i}`).ok).toBe(true);
    const refused = limiter.admit('chat.update', 'C9');
    // 50 a minute: one more every 1.2 s, said in whole seconds.
    expect(refused).toEqual({ ok: false, retryAfterSeconds: 2 });
    c.advance(1200);
    expect(limiter.admit('chat.update', 'C9').ok).toBe(true);
    // Over a minute at most the burst and 50 more.
    let taken = 0;
    for (let ms = 0; ms < 60_000; ms += 100) {
      c.advance(100);
      if (limiter.admit('chat.update', 'C1').ok) taken += 1;
    }
    expect(taken).toBeLessThanOrEqual(50);
    expect(taken).toBeGreaterThanOrEqual(49);
  });

  it('takes 5 posts per response_url, and no 6th', () => {
    const limiter = createSlackLimiter(SLACK_LIMITS);
    for (let i = 0; i < 5; i++) expect(limiter.admitResponseUrl('r1')).toBe(true);
    expect(limiter.admitResponseUrl('r1')).toBe(false);
    expect(limiter.admitResponseUrl('r2')).toBe(true);
  });

  it('lets methods without a limit through', () => {
    const limiter = createSlackLimiter(SLACK_LIMITS);
    for (let i = 0; i < 100; i++) expect(limiter.admit('auth.test', undefined).ok).toBe(true);
  });
});

describe('the Slack stand-in with limits', () => {
  let stub: SlackStub | undefined;
  afterEach(async () => {
    await stub?.close();
    stub = undefined;
  });

  const post = (s: SlackStub, method: string, body: Record<string, unknown>) =>
    fetch(`${s.apiUrl}${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('answers 429 with Retry-After and ratelimited over the limit, and counts it', async () => {
    stub = await startSlackStub({ limits: SLACK_LIMITS });
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await post(stub, 'chat.postMessage', { channel: 'C1', text: `m${i}` }));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    const refused = answers[3]!;
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toEqual({ ok: false, error: 'ratelimited' });
    expect(stub.limited).toEqual({ 'chat.postMessage': 1 });
    expect(stub.calls.filter((c) => c.limited)).toHaveLength(1);
    // Another channel is not held up.
    expect((await post(stub, 'chat.postMessage', { channel: 'C2', text: 'x' })).status).toBe(200);
  });

  it('refuses a 6th post to one response_url with 404 used_url', async () => {
    stub = await startSlackStub({ limits: SLACK_LIMITS });
    const statuses = [];
    for (let i = 0; i < 6; i++) {
      const res = await fetch(stub.responseUrl('r1'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: `${i}` }) });
      statuses.push(res.status);
      if (i === 5) expect(await res.text()).toBe('used_url');
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 404]);
    expect(stub.limited).toEqual({ response_url: 1 });
  });

  it('takes everything without limits (the default)', async () => {
    stub = await startSlackStub();
    for (let i = 0; i < 10; i++) expect((await post(stub, 'chat.postMessage', { channel: 'C1', text: `m${i}` })).status).toBe(200);
    for (let i = 0; i < 7; i++) expect((await fetch(stub.responseUrl('r1'), { method: 'POST', body: '{}' })).status).toBe(200);
    expect(stub.limited).toEqual({});
  });
});

/**
 * The Slack replies' send queue: paced to Slack's rates per lane, results before progress messages,
 * only the latest version of an update, and a 429 pausing its own lane for Retry-After.
 */
import { afterEach, beforeEach, expect, jest, test } from '@jest/globals';
import { createSendQueue, SEND_PRIORITY, SendCancelled } from '../../../src/adapters/slack/send-queue.js';

beforeEach(() => {
  jest.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  jest.useRealTimers();
});

/** A Web API call that records when (fake time) it was made, under `name`. */
function recorder() {
  const sent: { name: string; at: number }[] = [];
  const call = (name: string) => () => {
    sent.push({ name, at: Date.now() });
    return Promise.resolve(name);
  };
  return { sent, call, names: () => sent.map((s) => s.name) };
}

const rateLimited = (seconds: number) => Object.assign(new Error('rate limited'), { code: 'slack_webapi_rate_limited_error', retryAfter: seconds });

test('posts to one channel: a burst, then one a second; another channel is not held up', async () => {
  const q = createSendQueue({ rates: { 'chat.postMessage': { perMinute: 60, burst: 2 } } });
  const r = recorder();
  const done = Array.from({ length: 5 }, (_, i) => q.send('chat.postMessage', 'C1', r.call(`c1-${i}`)));
  const other = q.send('chat.postMessage', 'C2', r.call('c2-0'));
  await jest.advanceTimersByTimeAsync(0);
  expect(r.names()).toEqual(['c1-0', 'c1-1', 'c2-0']);
  await other;
  await jest.advanceTimersByTimeAsync(3000);
  await Promise.all(done);
  expect(r.sent.map((s) => s.at - 1_000_000)).toEqual([0, 0, 0, 1000, 2000, 3000]);
  expect(q.queued).toBe(0);
});

test('results go before queued progress messages of the same channel', async () => {
  const q = createSendQueue({ rates: { 'chat.postMessage': { perMinute: 60, burst: 1 } } });
  const r = recorder();
  const all = [
    q.send('chat.postMessage', 'C1', r.call('progress-1'), { priority: SEND_PRIORITY.progress }),
    q.send('chat.postMessage', 'C1', r.call('progress-2'), { priority: SEND_PRIORITY.progress }),
    q.send('chat.postMessage', 'C1', r.call('progress-3'), { priority: SEND_PRIORITY.progress }),
    q.send('chat.postMessage', 'C1', r.call('endpoint-a')),
    q.send('chat.postMessage', 'C1', r.call('endpoint-b')),
  ];
  await jest.advanceTimersByTimeAsync(5000);
  await Promise.all(all);
  // The first was sent at once; then the results, in order, then the rest of the progress messages.
  expect(r.names()).toEqual(['progress-1', 'endpoint-a', 'endpoint-b', 'progress-2', 'progress-3']);
});

test('updates of one message are merged: only the latest is sent, and every caller settles with it', async () => {
  const q = createSendQueue({ rates: { 'chat.update': { perMinute: 60, burst: 1 } } });
  const r = recorder();
  const first = q.send('chat.update', 'C1', r.call('m1-v1'), { mergeKey: 'C1/1' });
  const later = [2, 3, 4].map((v) => q.send('chat.update', 'C1', r.call(`m1-v${v}`), { mergeKey: 'C1/1', priority: SEND_PRIORITY.progress }));
  const otherMessage = q.send('chat.update', 'C2', r.call('m2-v1'), { mergeKey: 'C2/1', priority: SEND_PRIORITY.progress });
  expect(q.queued).toBe(2);
  await jest.advanceTimersByTimeAsync(2000);
  await expect(first).resolves.toBe('m1-v1');
  await expect(Promise.all(later)).resolves.toEqual(['m1-v4', 'm1-v4', 'm1-v4']);
  await otherMessage;
  expect(r.names()).toEqual(['m1-v1', 'm1-v4', 'm2-v1']);
});

test('a final update goes before other messages\' intermediate ones', async () => {
  const q = createSendQueue({ rates: { 'chat.update': { perMinute: 60, burst: 1 } } });
  const r = recorder();
  const all = [
    q.send('chat.update', 'C1', r.call('a-1'), { mergeKey: 'a', priority: SEND_PRIORITY.progress }),
    q.send('chat.update', 'C1', r.call('b-1'), { mergeKey: 'b', priority: SEND_PRIORITY.progress }),
    q.send('chat.update', 'C1', r.call('c-1'), { mergeKey: 'c', priority: SEND_PRIORITY.progress }),
    q.send('chat.update', 'C1', r.call('c-final'), { mergeKey: 'c', priority: SEND_PRIORITY.result }),
  ];
  await jest.advanceTimersByTimeAsync(3000);
  await Promise.all(all);
  expect(r.names()).toEqual(['a-1', 'c-final', 'b-1']);
});

test('updates have their own lane: they never hold a post up', async () => {
  const q = createSendQueue({ rates: { 'chat.update': { perMinute: 1, burst: 1 } } });
  const r = recorder();
  void q.send('chat.update', 'C1', r.call('u1'), { mergeKey: 'x' });
  void q.send('chat.update', 'C1', r.call('u2'), { mergeKey: 'y' });
  await q.send('chat.postMessage', 'C1', r.call('endpoint'));
  expect(r.names()).toEqual(['u1', 'endpoint']);
});

test('a 429 pauses its lane for Retry-After and the call is made again in its place; other lanes go on', async () => {
  const q = createSendQueue({ rates: { 'chat.postMessage': { perMinute: 600, burst: 5 } } });
  const r = recorder();
  let refusals = 1;
  const refusedOnce = () => {
    r.sent.push({ name: 'first-try', at: Date.now() });
    return refusals-- > 0 ? Promise.reject(rateLimited(2)) : Promise.resolve('first');
  };
  const first = q.send('chat.postMessage', 'C1', refusedOnce);
  await jest.advanceTimersByTimeAsync(0);
  const second = q.send('chat.postMessage', 'C1', r.call('second'));
  const elsewhere = q.send('chat.postMessage', 'C2', r.call('elsewhere'));
  await jest.advanceTimersByTimeAsync(0);
  await elsewhere;
  expect(r.names()).toEqual(['first-try', 'elsewhere']);
  await jest.advanceTimersByTimeAsync(1999);
  expect(r.names()).toEqual(['first-try', 'elsewhere']);
  await jest.advanceTimersByTimeAsync(1);
  await expect(first).resolves.toBe('first');
  await second;
  expect(r.names()).toEqual(['first-try', 'elsewhere', 'first-try', 'second']);
  expect(q.rateLimited).toBe(1);
});

test('a call Slack keeps refusing fails with the rate-limited error after maxRateLimited 429s; other errors at once', async () => {
  const q = createSendQueue({ maxRateLimited: 2 });
  let tries = 0;
  const refused = q.send('chat.postMessage', 'C1', () => {
    tries += 1;
    return Promise.reject(rateLimited(1));
  });
  const caught = refused.catch((err: unknown) => err);
  await jest.advanceTimersByTimeAsync(5000);
  expect(await caught).toMatchObject({ code: 'slack_webapi_rate_limited_error' });
  expect(tries).toBe(3);
  await expect(q.send('chat.postMessage', 'C1', () => Promise.reject(new Error('invalid_auth')))).rejects.toThrow('invalid_auth');
});

test('results waiting together in one channel go as one digest; each caller settles with it', async () => {
  const q = createSendQueue({ rates: { 'chat.postMessage': { perMinute: 60, burst: 1 } }, maxDigestParts: 3 });
  const r = recorder();
  const digest = (name: string) => ({ key: 'results', part: name, combine: (parts: string[]) => r.call(`digest(${parts.join(',')})`) });
  const sends = ['a', 'b', 'c', 'd', 'e', 'f'].map((name) => q.send('chat.postMessage', 'C1', r.call(name), { digest: digest(name) }));
  const progress = q.send('chat.postMessage', 'C1', r.call('progress'), { priority: SEND_PRIORITY.progress });
  await jest.advanceTimersByTimeAsync(3000);
  // The first goes alone (nothing waited with it); then at most 3 a digest; the progress message after the results.
  expect(await Promise.all(sends)).toEqual(['a', 'digest(b,c,d)', 'digest(b,c,d)', 'digest(b,c,d)', 'digest(e,f)', 'digest(e,f)']);
  await progress;
  expect(r.names()).toEqual(['a', 'digest(b,c,d)', 'digest(e,f)', 'progress']);
});

test("a digest takes waiting parts in order while their sizes fit its maxSize; a part too large for any digest goes alone", async () => {
  const q = createSendQueue({ rates: { 'chat.postMessage': { perMinute: 60, burst: 1 } } });
  const r = recorder();
  const sizes: Record<string, number> = { a: 1, b: 4, c: 4, d: 3, big: 50, e: 2 };
  const digest = (name: string) => ({ key: 'k', part: name, size: sizes[name]!, maxSize: 10, combine: (parts: string[]) => r.call(`digest(${parts.join(',')})`) });
  const sends = Object.keys(sizes).map((name) => q.send('chat.postMessage', 'C1', r.call(name), { digest: digest(name) }));
  await jest.advanceTimersByTimeAsync(5000);
  await Promise.all(sends);
  // b+c = 8 fit 10, d would make 11: it starts the next digest, and e does not jump ahead of big.
  expect(r.names()).toEqual(['a', 'digest(b,c)', 'd', 'big', 'e']);
});

test('a digest held for holdMs gathers what comes meanwhile: a burst is one call, in order; other calls of the lane are not held', async () => {
  const q = createSendQueue({ rates: { 'chat.postMessage': { perMinute: 60, burst: 2 } } });
  const r = recorder();
  const digest = (name: string) => ({ key: 'audit', part: name, holdMs: 2000, combine: (parts: string[]) => r.call(`digest(${parts.join(',')})`) });
  const lines: Promise<string>[] = [];
  for (let i = 0; i < 30; i++) {
    lines.push(q.send('chat.postMessage', 'CAUDIT', r.call(`line-${i}`), { digest: digest(`line-${i}`) }));
    await jest.advanceTimersByTimeAsync(50); // 30 lines over 1.5 s
  }
  const answer = q.send('chat.postMessage', 'CAUDIT', r.call('answer'));
  await jest.advanceTimersByTimeAsync(0);
  expect(r.names()).toEqual(['answer']); // the channel's budget was there, the lines wait for their hold
  await jest.advanceTimersByTimeAsync(499); // 1,999 ms after the first line
  expect(r.names()).toEqual(['answer']);
  await jest.advanceTimersByTimeAsync(1);
  const all = `digest(${Array.from({ length: 30 }, (_, i) => `line-${i}`).join(',')})`;
  expect(await Promise.all(lines)).toEqual(Array.from({ length: 30 }, () => all));
  await answer;
  expect(r.names()).toEqual(['answer', all]);
  expect(q.queued).toBe(0);
});

test('a lone held call goes alone after its hold', async () => {
  const q = createSendQueue();
  const r = recorder();
  const sent = q.send('chat.postMessage', 'CAUDIT', r.call('only'), { digest: { key: 'audit', part: 'only', holdMs: 2000, combine: (parts: string[]) => r.call(`digest(${parts.join(',')})`) } });
  await jest.advanceTimersByTimeAsync(1999);
  expect(r.names()).toEqual([]);
  await jest.advanceTimersByTimeAsync(1);
  await expect(sent).resolves.toBe('only');
});

test('with a shared pace, a lane sends at the slot it took there (its first call then), and paces a call alone when the pace fails', async () => {
  const asked: string[] = [];
  let failNext = false;
  const pace = {
    reserve: (key: string) => {
      asked.push(key);
      if (failNext) return Promise.reject(new Error('Redis is down'));
      return Promise.resolve(asked.length === 1 ? 500 : 0);
    },
    close: () => Promise.resolve(),
  };
  const q = createSendQueue({ pace, rates: { 'chat.postMessage': { perMinute: 60, burst: 5 } } });
  const r = recorder();
  const progress = q.send('chat.postMessage', 'C1', r.call('progress'), { priority: SEND_PRIORITY.progress });
  await jest.advanceTimersByTimeAsync(0);
  const endpoint = q.send('chat.postMessage', 'C1', r.call('endpoint'));
  await jest.advanceTimersByTimeAsync(499);
  expect(r.names()).toEqual([]); // the local budget has 5, but the shared slot is 500 ms away
  await jest.advanceTimersByTimeAsync(1);
  await endpoint; // the result came later, but is the lane's first at the slot
  await progress;
  expect(r.names()).toEqual(['endpoint', 'progress']);
  expect(asked).toEqual(['chat.postMessage:C1', 'chat.postMessage:C1']);

  failNext = true;
  const alone = q.send('chat.postMessage', 'C1', r.call('while Redis is down'));
  await jest.advanceTimersByTimeAsync(999);
  expect(r.names()).toHaveLength(2);
  await jest.advanceTimersByTimeAsync(1);
  await alone;
  expect(r.names()).toEqual(['endpoint', 'progress', 'while Redis is down']);
});

test('a call cancelled while it waits in its lane is never made (SendCancelled); one already made is not undone', async () => {
  const q = createSendQueue({ rates: { 'chat.postMessage': { perMinute: 60, burst: 1 } } });
  const r = recorder();
  const first = new AbortController();
  const waiting = new AbortController();
  const sent = q.send('chat.postMessage', 'C1', r.call('first'), { signal: first.signal });
  const cancelled = q.send('chat.postMessage', 'C1', r.call('progress'), { priority: SEND_PRIORITY.progress, signal: waiting.signal });
  const after = q.send('chat.postMessage', 'C1', r.call('after'), { priority: SEND_PRIORITY.progress });
  const outcome = cancelled.catch((err: unknown) => err);
  first.abort(); // made already: it settles as it went
  waiting.abort();
  expect(await outcome).toBeInstanceOf(SendCancelled);
  expect(q.queued).toBe(1);
  await jest.advanceTimersByTimeAsync(1000);
  await expect(sent).resolves.toBe('first');
  await after;
  expect(r.names()).toEqual(['first', 'after']); // the cancelled call's slot went to the next
  const already = new AbortController();
  already.abort();
  await expect(q.send('chat.postMessage', 'C2', r.call('never'), { signal: already.signal })).rejects.toBeInstanceOf(SendCancelled);
  expect(r.names()).not.toContain('never');
});

/**
 * Counting Slack Web API calls: which method and answer a request is counted as (bounded label values),
 * and a real WebClient with the metered fetch against the Slack stand-in, each attempt counted once,
 * response_url posts not at all.
 */
import { LogLevel, WebClient } from '@slack/web-api';
import { createServer, type Socket } from 'node:net';
import { meteredSlackFetch, meterSlackClient, slackFailureOf, slackMethodOf, slackResultOf } from '../../../src/adapters/slack/metered.js';
import { startSlackStub, type SlackStub } from '../../helpers/slack-stub.js';

describe('slackMethodOf', () => {
  const api = 'https://slack.example/api/';
  test.each([
    [`${api}chat.postMessage`, 'chat.postMessage'],
    [`${api}usergroups.users.list?x=1`, 'usergroups.users.list'],
    [`${api}auth.test`, 'auth.test'],
    [`${api}conversations.history`, 'conversations.history'],
    // Not one of svcbot's methods: one bounded value, whatever the name.
    [`${api}conversations.list`, 'unknown'],
    [`${api}T01ABCDEF/chat.postMessage`, 'unknown'],
    // Not the Web API (a response_url): not counted at all.
    ['https://hooks.slack.example/commands/T1/123/abc', undefined],
  ])('%s → %s', (url, method) => {
    expect(slackMethodOf(url, api)).toBe(method);
  });

  test('the API URL may be given without its trailing slash', () => {
    expect(slackMethodOf('http://127.0.0.1:1/api/chat.update', 'http://127.0.0.1:1/api')).toBe('chat.update');
  });
});

describe('slackResultOf', () => {
  test.each([
    [200, { ok: true }, 'ok'],
    [200, { ok: false, error: 'channel_not_found' }, 'channel_not_found'],
    [200, { ok: false, error: 'not_in_channel' }, 'not_in_channel'],
    // An error code not in the known set, or none: one bounded value.
    [200, { ok: false, error: 'some_new_error_U12345' }, 'error'],
    [200, { ok: false }, 'error'],
    [200, undefined, 'error'],
    [429, { ok: false, error: 'ratelimited' }, 'rate_limited'],
    [500, undefined, 'http_5xx'],
    [503, undefined, 'http_5xx'],
    [404, undefined, 'http_4xx'],
  ])('HTTP %s %j → %s', (status, body, result) => {
    expect(slackResultOf(status, body)).toBe(result);
  });

  test('a request that got no answer: timeout or network', () => {
    expect(slackFailureOf(new DOMException('The operation timed out', 'TimeoutError'))).toBe('timeout');
    expect(slackFailureOf(new TypeError('fetch failed'))).toBe('network');
  });
});

describe('a WebClient with the metered fetch, against the Slack stand-in', () => {
  let slack: SlackStub;
  beforeAll(async () => {
    slack = await startSlackStub();
  });
  afterAll(() => slack.close());

  function client(retries = 0) {
    const counted: string[] = [];
    const waits: string[] = [];
    const metrics = {
      slackRequest: (method: string, result: string) => void counted.push(`${method} ${result}`),
      slackRateLimited: (method: string, seconds: number) => void waits.push(`${method} ${seconds}`),
    };
    const web = meterSlackClient(new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, fetch: meteredSlackFetch(slack.apiUrl, metrics), retryConfig: { retries, minTimeout: 10, maxTimeout: 10 }, logLevel: LogLevel.ERROR }), metrics);
    return { web, counted, waits };
  }

  test('an answered call and a refused one are counted by method and result; the client still gets its answer', async () => {
    const { web, counted } = client();
    await expect(web.chat.postMessage({ channel: 'C1', text: 'hi' })).resolves.toMatchObject({ ok: true });
    const remove = slack.override((c) => (c.method === 'chat.postMessage' ? { body: { ok: false, error: 'channel_not_found' } } : undefined));
    try {
      await expect(web.chat.postMessage({ channel: 'C404', text: 'hi' })).rejects.toMatchObject({ data: { error: 'channel_not_found' } });
    } finally {
      remove();
    }
    expect(counted).toEqual(['chat.postMessage ok', 'chat.postMessage channel_not_found']);
  });

  test('each attempt is counted: a 500 retried, then answered', async () => {
    const { web, counted } = client(1);
    let failures = 1;
    const remove = slack.override((c) => (c.method === 'auth.test' && failures-- > 0 ? { status: 500, body: 'down' } : undefined));
    try {
      await expect(web.auth.test()).resolves.toMatchObject({ ok: true });
    } finally {
      remove();
    }
    expect(counted).toEqual(['auth.test http_5xx', 'auth.test ok']);
  });

  test('a 429 is counted as rate_limited, and its wait by method', async () => {
    const { web, counted, waits } = client(1);
    let limited = 1;
    const remove = slack.override((c) => (c.method === 'chat.update' && limited-- > 0 ? { status: 429, headers: { 'retry-after': '0' }, body: { ok: false, error: 'ratelimited' } } : undefined));
    try {
      await expect(web.chat.update({ channel: 'C1', ts: '1.2', text: 'x' })).resolves.toMatchObject({ ok: true });
    } finally {
      remove();
    }
    expect(counted).toEqual(['chat.update rate_limited', 'chat.update ok']);
    expect(waits).toEqual(['chat.update 0']);
  });

  test('an API that does not answer is counted as network', async () => {
    const counted: string[] = [];
    const apiUrl = 'http://127.0.0.1:9/api/';
    const web = new WebClient('xoxb-test', { slackApiUrl: apiUrl, fetch: meteredSlackFetch(apiUrl, { slackRequest: (m, r) => void counted.push(`${m} ${r}`) }), retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR });
    await expect(web.auth.test()).rejects.toThrow();
    expect(counted).toEqual(['auth.test network']);
  });

  test("an API that takes longer than the client's timeout is counted as timeout", async () => {
    // Accepts connections and never answers.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const apiUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}/api/`;
      const counted: string[] = [];
      const web = new WebClient('xoxb-test', { slackApiUrl: apiUrl, timeout: 50, fetch: meteredSlackFetch(apiUrl, { slackRequest: (m, r) => void counted.push(`${m} ${r}`) }), retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR });
      await expect(web.users.info({ user: 'U1' })).rejects.toThrow();
      expect(counted).toEqual(['users.info timeout']);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  test('a post to a response_url through the same fetch is not counted', async () => {
    const counted: string[] = [];
    const fetchFn = meteredSlackFetch(slack.apiUrl, { slackRequest: (m, r) => void counted.push(`${m} ${r}`) });
    const res = await fetchFn(slack.responseUrl('r1'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'hi' }) });
    expect(res.status).toBe(200);
    expect(counted).toEqual([]);
  });
});

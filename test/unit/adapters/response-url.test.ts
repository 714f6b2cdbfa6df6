import { postToResponseUrl, ResponseUrlError } from '../../../src/adapters/slack/response-url.js';
import { startSlackStub, type SlackStub } from '../../helpers/slack-stub.js';

let slack: SlackStub;
beforeAll(async () => {
  slack = await startSlackStub();
});
afterAll(() => slack.close());

test('a 429 waits Retry-After seconds, then posts again', async () => {
  let refusals = 0;
  const remove = slack.override((c) =>
    c.responseId === 'limited' && refusals++ < 2 ? { status: 429, headers: { 'retry-after': '3' }, body: { ok: false } } : undefined,
  );
  const waits: number[] = [];
  await postToResponseUrl(slack.responseUrl('limited'), { response_type: 'ephemeral', text: 'hi' }, {
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
  });
  remove();
  expect(waits).toEqual([3000, 3000]);
  expect(slack.calls.filter((c) => c.responseId === 'limited')).toHaveLength(3);
});

test('gives up after maxAttempts, and other errors fail at once', async () => {
  const remove = slack.override((c) =>
    c.responseId === 'always' ? { status: 429, headers: { 'retry-after': '1' }, body: {} } : c.responseId === 'gone' ? { status: 404, body: { ok: false } } : undefined,
  );
  const sleep = () => Promise.resolve();
  await expect(postToResponseUrl(slack.responseUrl('always'), { response_type: 'ephemeral', text: 'x' }, { sleep, maxAttempts: 2 })).rejects.toBeInstanceOf(ResponseUrlError);
  await expect(postToResponseUrl(slack.responseUrl('gone'), { response_type: 'ephemeral', text: 'x' }, { sleep })).rejects.toMatchObject({ status: 404 });
  expect(slack.calls.filter((c) => c.responseId === 'gone')).toHaveLength(1);
  remove();
});

test('a Retry-After longer than the bound is capped', async () => {
  let first = true;
  const remove = slack.override((c) => {
    if (c.responseId !== 'long' || !first) return undefined;
    first = false;
    return { status: 429, headers: { 'retry-after': '3600' }, body: {} };
  });
  const waits: number[] = [];
  await postToResponseUrl(slack.responseUrl('long'), { response_type: 'ephemeral', text: 'x' }, {
    maxRetryAfterMs: 5000,
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
  });
  remove();
  expect(waits).toEqual([5000]);
});

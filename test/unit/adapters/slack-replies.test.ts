/**
 * The Slack replies translate Slack's failures into BotErrors and marks them: a refusal (a platform
 * error such as invalid_auth, an expired response_url) is permanent, a network failure or a 5xx is
 * transient, so a job retries only what a retry can mend.
 */
import { LogLevel, WebClient } from '@slack/web-api';
import { createSlackReplies } from '../../../src/adapters/slack/replies.js';
import { BotError } from '../../../src/domain/errors.js';
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

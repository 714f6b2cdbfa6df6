/**
 * The bot token is checked with Slack's auth.test before svcbot starts: a refused token is a problem in
 * words; an API that cannot be reached is tried again with backoff, each attempt logged once.
 */
import { pino } from 'pino';
import { checkSlackToken } from '../../../src/adapters/slack/index.js';
import { loadConfig } from '../../../src/config/index.js';
import { startSlackStub, type SlackStub } from '../../helpers/slack-stub.js';

let slack: SlackStub;
beforeAll(async () => {
  slack = await startSlackStub();
});
afterAll(() => slack.close());

const slackConfig = (apiUrl: string, token = 'xoxb-test') => loadConfig({ SLACK_BOT_TOKEN: token, SLACK_API_URL: apiUrl }).slack;

function capture() {
  const lines: { msg: string; attempt?: number }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as { msg: string }) });
  return { logger, lines };
}

test('a token Slack accepts: ok, with the team and the bot user', async () => {
  const { logger, lines } = capture();
  expect(await checkSlackToken(slackConfig(slack.apiUrl), logger)).toEqual({ ok: true, team: 'Test', botUser: 'svcbot' });
  expect(lines).toEqual([]);
});

test.each(['invalid_auth', 'token_revoked', 'not_authed'])('a token Slack refuses (%s): a problem that says what to do, at once', async (error) => {
  const remove = slack.override((c) => (c.method === 'auth.test' ? { body: { ok: false, error } } : undefined));
  try {
    const check = await checkSlackToken(slackConfig(slack.apiUrl), capture().logger);
    expect(check).toEqual({ ok: false, problem: expect.stringContaining(`Slack refused SLACK_BOT_TOKEN (${error}): use the Bot User OAuth Token (xoxb-…)`) as string });
  } finally {
    remove();
  }
});

test('Slack unreachable, then answering: tried again with backoff, each failed attempt logged once, then ok', async () => {
  let refusals = 0;
  const remove = slack.override((c) => (c.method === 'auth.test' && refusals++ < 2 ? { status: 503, body: { ok: false } } : undefined));
  const { logger, lines } = capture();
  const waits: number[] = [];
  try {
    const check = await checkSlackToken(slackConfig(slack.apiUrl), logger, { sleep: (ms) => (waits.push(ms), Promise.resolve()) });
    expect(check).toMatchObject({ ok: true });
  } finally {
    remove();
  }
  expect(waits).toEqual([1000, 2000]);
  expect(lines.map((l) => [l.attempt, l.msg])).toEqual([
    [1, expect.stringMatching(/^cannot reach Slack's API to check the bot token \(.+\); trying again in 1 s$/)],
    [2, expect.stringMatching(/trying again in 2 s$/)],
  ]);
});

test('stopped (SIGTERM) while Slack cannot be reached: the check ends and says so', async () => {
  const abort = new AbortController();
  const check = checkSlackToken(slackConfig('http://127.0.0.1:9/api/'), capture().logger, {
    signal: abort.signal,
    sleep: () => new Promise(() => undefined),
  });
  setImmediate(() => abort.abort());
  expect(await check).toEqual({ ok: false, problem: "stopped before Slack's API answered" });
});

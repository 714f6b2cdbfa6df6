/**
 * svcbot in Socket Mode (SLACK_APP_TOKEN set), driven as Slack drives it: the connection opened with the
 * app token, slash commands and button presses delivered as envelopes over the WebSocket and acknowledged
 * there, replies at the Web API stand-in; /healthz, /readyz and /metrics served on PORT (what the
 * Kubernetes probes ask), by svcbot's own server; stop() closing the socket and that server.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer } from 'node:net';
import { APP_TOKEN, BOT_TOKEN, startBot, startBotSandbox, type BotUnderTest } from '../helpers/bot.js';
import type { SlackSocketStub } from '../helpers/slack-socket-stub.js';
import { startSlackStub, type RecordedCall } from '../helpers/slack-stub.js';

async function get(url: string): Promise<{ status: number; body: string; contentType: string | null }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.text(), contentType: res.headers.get('content-type') };
}

/** Listens on `port` (0: any free one) and closes again; resolves with the port, or rejects when it is taken. */
function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, () => {
      const { port: bound } = server.address() as { port: number };
      server.close(() => resolve(bound));
    });
  });
}

const base = (b: BotUnderTest) => `http://127.0.0.1:${b.app.port}`;

function socketOf(b: BotUnderTest): SlackSocketStub {
  if (!b.socket) throw new Error('the bot was not started in Socket Mode');
  return b.socket;
}

function allText(call: RecordedCall): string {
  return `${String(call.body.text)}\n${JSON.stringify(call.body.blocks ?? [])}`;
}

describe('svcbot in Socket Mode', () => {
  let bot: BotUnderTest;
  beforeAll(async () => {
    bot = await startBot({ socketMode: true, approvals: false });
  });
  afterAll(() => bot.stop());

  test('connects with the app token and says where its probes are', async () => {
    const socket = socketOf(bot);
    await socket.connected();
    expect(socket.opened).toEqual([APP_TOKEN]);
    expect(socket.connections()).toBe(1);
    expect(bot.app.port).toEqual(expect.any(Number));
    expect(bot.app.port).toBeGreaterThan(0);
    expect(bot.logs()).toContain(`serving /healthz, /readyz and /metrics on port ${bot.app.port}`);
    // The app token opens the socket only: Web API calls go with the bot token.
    const appTokenCalls = bot.slack.calls.filter((c) => c.authorization === `Bearer ${APP_TOKEN}`).map((c) => c.method);
    expect(new Set(appTokenCalls)).toEqual(new Set(['apps.connections.open']));
  });

  test('acknowledges a slash command envelope, and the reply reaches its response_url', async () => {
    const ack = await socketOf(bot).slashCommand({ text: 'list', response_url: bot.slack.responseUrl('sm-list') });
    expect(ack.payload).toEqual({});
    const reply = await bot.slack.waitForCall((c) => c.method === 'response_url' && c.responseId === 'sm-list');
    expect(reply.body.response_type).toBe('ephemeral');
  });

  test('a button press (an interactive envelope) is acknowledged and runs as the user who pressed it', async () => {
    const socket = socketOf(bot);
    await socket.slashCommand({ text: 'create socketed --selector app=alpine --port 80', response_url: bot.slack.responseUrl('sm-create') });
    const post = await bot.slack.waitForCall((c) => c.method === 'chat.postMessage' && String(c.body.text).includes('socketed'));
    expect(post.authorization).toBe(`Bearer ${BOT_TOKEN}`);
    expect(bot.sandbox.cluster.getService('default', 'socketed')).toBeDefined();
    const details = (post.body.blocks as { type: string; elements?: { action_id: string; value: string }[] }[])
      .filter((b) => b.type === 'actions')
      .flatMap((b) => b.elements ?? [])
      .find((b) => b.action_id === 'svc_describe');
    expect(details).toBeDefined();

    const ack = await socket.pressButton({ action_id: details!.action_id, value: details!.value, user_id: 'U2BOB', message_ts: String(post.ts), response_url: bot.slack.responseUrl('sm-details') });
    expect(ack.payload).toEqual({});
    const reply = await bot.slack.waitForCall((c) => c.method === 'response_url' && c.responseId === 'sm-details');
    expect(allText(reply)).toMatch(/Service socketed/);
  });

  test("connects anew when Slack asks it to go (`disconnect`), and takes commands on the new socket", async () => {
    const socket = socketOf(bot);
    const opened = socket.opened.length;
    socket.disconnect();
    await socket.allClosed();
    // @slack/socket-mode waits its client ping timeout (5 s) before connecting again.
    await socket.connected(15_000);
    expect(socket.opened).toHaveLength(opened + 1);
    expect(socket.connections()).toBe(1);
    await socket.slashCommand({ text: 'list', response_url: bot.slack.responseUrl('sm-after') });
    await bot.slack.waitForCall((c) => c.method === 'response_url' && c.responseId === 'sm-after');
    // The probes were not touched by it.
    await expect(get(`${base(bot)}/healthz`)).resolves.toMatchObject({ status: 200 });
  }, 30_000);

  test('serves /healthz, /readyz and /metrics on PORT', async () => {
    await expect(get(`${base(bot)}/healthz`)).resolves.toMatchObject({ status: 200, body: '{"status":"ok"}' });
    const ready = await get(`${base(bot)}/readyz`);
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({ status: 'ready', checks: { redis: { ok: true }, [`cluster:${bot.sandbox.info.clusterName}`]: { ok: true }, slack: { ok: true } } });
    const metrics = await get(`${base(bot)}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.contentType).toMatch(/^text\/plain/);
    // The commands above were counted.
    expect(metrics.body).toMatch(/^svcbot_commands_total\{[^}]*\} [1-9]/m);
    // Slack's requests come over the socket: nothing else is served on PORT.
    await expect(get(`${base(bot)}/slack/events`)).resolves.toMatchObject({ status: 404 });
  });
});

test('in Socket Mode, /readyz answers 503 naming Slack while Slack refuses the bot token', async () => {
  const bot = await startBot({ socketMode: true, jobs: false });
  try {
    bot.slack.override((c) => (c.method === 'auth.test' ? { body: { ok: false, error: 'invalid_auth' } } : undefined));
    const ready = await get(`${base(bot)}/readyz`);
    expect(ready.status).toBe(503);
    const body = JSON.parse(ready.body) as { status: string; notReady: string[]; checks: Record<string, { ok: boolean; problem?: string }> };
    expect(body.status).toBe('not ready');
    expect(body.notReady).toEqual(['slack']);
    expect(body.checks.slack?.problem).toMatch(/invalid_auth/);
    // Alive all the same: a restart would not fix the token.
    await expect(get(`${base(bot)}/healthz`)).resolves.toMatchObject({ status: 200 });
  } finally {
    await bot.stop();
  }
});

test('in Socket Mode, stop() closes the socket and the probe server promptly', async () => {
  const bot = await startBot({ socketMode: true, jobs: false });
  try {
    const socket = socketOf(bot);
    await socket.connected();
    const url = `${base(bot)}/healthz`;
    await expect(get(url)).resolves.toMatchObject({ status: 200 });
    const started = performance.now();
    await bot.app.stop();
    expect(performance.now() - started).toBeLessThan(3000);
    // The close handshake is done when stop() resolves; the stand-in sees it within moments.
    await socket.allClosed(1000);
    await expect(get(url)).rejects.toThrow();
    // Stopped for good: it does not connect again.
    expect(socket.opened).toHaveLength(1);
  } finally {
    await bot.stop();
  }
});

test("in Socket Mode, stop() waits for Slack's side of the close handshake 2 s at most", async () => {
  const bot = await startBot({ socketMode: true, jobs: false });
  try {
    const socket = socketOf(bot);
    await socket.connected();
    socket.stallReads();
    const started = performance.now();
    await bot.app.stop();
    const ms = performance.now() - started;
    expect(ms).toBeGreaterThanOrEqual(1900);
    expect(ms).toBeLessThan(4000);
    expect(bot.logs()).toContain('Slack did not finish closing the Socket Mode connection; cutting it');
    // Cut, not left to the Socket Mode client's own 30 s wait (which would outlive stop()).
    expect(bot.logs()).toContain('force-terminating');
    await expect(get(`${base(bot)}/healthz`)).rejects.toThrow();
  } finally {
    await bot.stop();
  }
});

test('in Socket Mode, an app token Slack refuses fails the start, and PORT is left free', async () => {
  const sandbox = await startBotSandbox();
  const slack = await startSlackStub();
  // Ahead of the Socket Mode stand-in's own answer.
  slack.override((c) => (c.method === 'apps.connections.open' ? { body: { ok: false, error: 'invalid_auth' } } : undefined));
  try {
    const port = await listenOnce(0);
    await expect(startBot({ socketMode: true, jobs: false, use: { sandbox, slack }, env: { PORT: String(port) } })).rejects.toThrow(/invalid_auth/);
    await expect(listenOnce(port)).resolves.toBe(port);
  } finally {
    await slack.close();
    await sandbox.close();
  }
});

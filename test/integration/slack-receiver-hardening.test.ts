/**
 * The Slack HTTP receiver under attack (issue 11): signed requests outside the 5-minute window, header
 * values parsed leniently, replays (to one process and across two on one Redis), bodies of the wrong
 * content type, bodies too large or read too many at once, slow clients and too many connections, paths
 * other than Slack's. The receiver runs in this process with a Bolt app whose `/svc` listener records what
 * it executes; the memory flood runs it in a child process (svcbot's own Slack chat) to measure its RSS.
 */
import { App } from '@slack/bolt';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { createMemoryReplayGuard } from '../../src/adapters/memory/replay-guard.js';
import { createRedisReplayGuard } from '../../src/adapters/redis/replay-guard.js';
import { boltLogger } from '../../src/adapters/slack/bolt-logger.js';
import { createSlackReceiver } from '../../src/adapters/slack/receiver.js';
import { loadConfig, type HttpConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/logger.js';
import type { ReplayGuard } from '../../src/ports/replay-guard.js';
import { newRedisPrefix } from '../helpers/bot.js';
import { openConnection, rawRequest, trickle } from '../helpers/raw-http.js';
import { slackSignature, slashCommandBody } from '../helpers/slack-request.js';
import { startSlackStub, type SlackStub } from '../helpers/slack-stub.js';
import { waitFor } from '../helpers/wait.js';

const SECRET = 'hardening-signing-secret';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DEFAULTS: HttpConfig = loadConfig({}).http;
const MB = 1024 * 1024;

interface Harness {
  port: number;
  url: string;
  /** The text of each `/svc` command the app executed. */
  executed: string[];
  logs(): string;
  stop(): Promise<void>;
}

const running: Harness[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((h) => h.stop()));
});

/** The receiver with a Bolt app whose `/svc` listener records each command it executes, then acks. */
async function startReceiver(opts: { limits?: Partial<HttpConfig>; guard?: ReplayGuard; now?: () => number } = {}): Promise<Harness> {
  let logText = '';
  const logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk: Buffer, _enc, done) {
        logText += chunk.toString();
        done();
      },
    }),
  });
  const guard = opts.guard ?? createMemoryReplayGuard(opts.now);
  const receiver = createSlackReceiver({
    signingSecret: SECRET,
    eventsPath: '/slack/events',
    routes: [{ method: 'GET', path: '/healthz', handler: (_req, res) => res.end('ok') }],
    limits: { ...DEFAULTS, ...opts.limits },
    replayGuard: guard,
    logger,
    boltLogger: boltLogger(logger),
    unhandledRequestTimeoutMs: 2500,
    ...(opts.now ? { now: opts.now } : {}),
  });
  const app = new App({
    receiver,
    authorize: () => Promise.resolve({ botToken: 'xoxb-test', botId: 'B1', botUserId: 'U0BOT' }),
    // Nothing here calls Slack; a closed loopback port, should anything try.
    clientOptions: { slackApiUrl: 'http://127.0.0.1:9/api/' },
    logger: boltLogger(logger),
  });
  const executed: string[] = [];
  app.command('/svc', async ({ ack, command }) => {
    executed.push(command.text);
    await ack();
  });
  const server = (await app.start(0)) as Server;
  const port = (server.address() as AddressInfo).port;
  const harness: Harness = {
    port,
    url: `http://127.0.0.1:${port}/slack/events`,
    executed,
    logs: () => logText,
    async stop() {
      await app.stop();
      if (!opts.guard) await guard.close();
    },
  };
  running.push(harness);
  return harness;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A slash command's body, unique per call unless `text` and `id` say otherwise. */
let seq = 0;
function commandBody(text: string, id = `r${++seq}`): string {
  return slashCommandBody({ text, response_url: `http://127.0.0.1:9/respond/${id}` });
}

/** POSTs `body` signed for `timestamp` (default now) with `contentType` (default form). */
async function post(url: string, body: string, o: { timestamp?: number; contentType?: string; signature?: string; headers?: Record<string, string> } = {}) {
  const timestamp = o.timestamp ?? nowSeconds();
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': o.contentType ?? 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': o.signature ?? slackSignature(SECRET, timestamp, body),
      ...o.headers,
    },
    body,
  });
  return { status: res.status, text: await res.text() };
}

/** The head of a POST to the events path (no blank line), with these extra header lines. */
function postHead(lines: readonly string[]): string {
  return ['POST /slack/events HTTP/1.1', 'Host: 127.0.0.1', ...lines].join('\r\n');
}

describe('signature headers', () => {
  test.each([
    ['+10 minutes', 600],
    ['+1 day', 86_400],
    ['+1 year', 365 * 86_400],
    ['+1000 years', 1000 * 365 * 86_400],
    ['-6 minutes', -360],
  ])('a correctly signed request timestamped %s is refused with 401 and not executed', async (_what, offset) => {
    const h = await startReceiver();
    const res = await post(h.url, commandBody('delete web'), { timestamp: nowSeconds() + offset });
    expect(res.status).toBe(401);
    expect(h.executed).toEqual([]);
  });

  test('timestamps within 5 minutes either way are accepted', async () => {
    const h = await startReceiver();
    expect((await post(h.url, commandBody('ahead'), { timestamp: nowSeconds() + 240 })).status).toBe(200);
    expect((await post(h.url, commandBody('behind'), { timestamp: nowSeconds() - 240 })).status).toBe(200);
    expect(h.executed).toEqual(['ahead', 'behind']);
  });

  // Each is signed over the number the header spells (as a lenient parser reads it): only digits are a timestamp.
  test.each([
    ['a plus sign', (ts: number) => `+${ts}`],
    ['a decimal point', (ts: number) => `${ts}.0`],
    ['an exponent', (ts: number) => `${ts / 10}e1`],
    ['hexadecimal', (ts: number) => `0x${ts.toString(16)}`],
    ['a form feed around it', (ts: number) => `\f${ts}\f`],
    ['a vertical tab before it', (ts: number) => `\v${ts}`],
    ['no-break spaces around it', (ts: number) => `\u00a0${ts}\u00a0`],
    ['leading zeros past 12 digits', (ts: number) => `000${ts}`],
  ])('a timestamp header with %s is refused with 401', async (_what, spell) => {
    const h = await startReceiver();
    const ts = nowSeconds() - (nowSeconds() % 10);
    const body = commandBody('delete web');
    const res = await rawRequest({
      port: h.port,
      head: postHead([
        'Content-Type: application/x-www-form-urlencoded',
        `Content-Length: ${Buffer.byteLength(body)}`,
        `X-Slack-Request-Timestamp: ${spell(ts)}`,
        `X-Slack-Signature: ${slackSignature(SECRET, ts, body)}`,
      ]),
      body: Buffer.from(body),
    });
    expect([400, 401]).toContain(res.status);
    expect(h.executed).toEqual([]);
  });

  test.each([
    ['uppercase hex', (sig: string) => sig.toUpperCase().replace('V0=', 'v0=')],
    ['a form feed after it', (sig: string) => `${sig}\f`],
    ['a no-break space after it', (sig: string) => `${sig}\u00a0`],
    ['a second value', (sig: string) => `${sig}, ${sig}`],
    ['another version', (sig: string) => sig.replace('v0=', 'v1=')],
    ['a hex digit short', (sig: string) => sig.slice(0, -1)],
  ])('a signature header with %s is refused with 401', async (_what, spell) => {
    const h = await startReceiver();
    const ts = nowSeconds();
    const body = commandBody('delete web');
    const res = await rawRequest({
      port: h.port,
      head: postHead([
        'Content-Type: application/x-www-form-urlencoded',
        `Content-Length: ${Buffer.byteLength(body)}`,
        `X-Slack-Request-Timestamp: ${ts}`,
        `X-Slack-Signature: ${spell(slackSignature(SECRET, ts, body))}`,
      ]),
      body: Buffer.from(body),
    });
    expect([400, 401]).toContain(res.status);
    expect(h.executed).toEqual([]);
  });

  test('Slack’s unsigned ssl_check is answered 200; any other unsigned body 401', async () => {
    const h = await startReceiver();
    const ssl = await fetch(h.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'ssl_check=1&token=x' });
    expect(ssl.status).toBe(200);
    const unsigned = await fetch(h.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: commandBody('delete web') });
    expect(unsigned.status).toBe(401);
    expect(h.executed).toEqual([]);
  });
});

describe('replays', () => {
  test('the same signed bytes again 5 s and 62 s later: 200, not executed again, logged without the signature', async () => {
    let clock = Date.now();
    const h = await startReceiver({ now: () => clock });
    const ts = Math.floor(clock / 1000);
    const body = commandBody('delete web', 'once');
    const signature = slackSignature(SECRET, ts, body);
    expect((await post(h.url, body, { timestamp: ts, signature })).status).toBe(200);
    clock += 5000;
    expect((await post(h.url, body, { timestamp: ts, signature })).status).toBe(200);
    clock += 57_000;
    expect((await post(h.url, body, { timestamp: ts, signature })).status).toBe(200);
    expect(h.executed).toEqual(['delete web']);
    expect(h.logs().match(/ignored a replayed Slack request/g)).toHaveLength(2);
    expect(h.logs()).not.toContain(signature.slice(3));
    expect(h.logs()).not.toContain(SECRET);
    // Past the window it is no longer a request at all.
    clock += 300_000;
    expect((await post(h.url, body, { timestamp: ts, signature })).status).toBe(401);
  });

  test('a burst of 10 identical copies executes once', async () => {
    const h = await startReceiver();
    const ts = nowSeconds();
    const body = commandBody('delete web');
    const answers = await Promise.all(Array.from({ length: 10 }, () => post(h.url, body, { timestamp: ts })));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(h.executed).toEqual(['delete web']);
  });

  describe('two receivers on one Redis', () => {
    const prefix = newRedisPrefix();
    const guards: ReplayGuard[] = [];
    afterAll(async () => {
      await Promise.all(guards.map((g) => g.close()));
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    });

    test('a burst of 10 identical copies split across them executes exactly once, and the claim expires with the window', async () => {
      const logger = createLogger({ level: 'silent' });
      const a = createRedisReplayGuard({ redis: { url: REDIS_URL }, prefix, logger });
      const b = createRedisReplayGuard({ redis: { url: REDIS_URL }, prefix, logger });
      guards.push(a, b);
      const [one, two] = [await startReceiver({ guard: a }), await startReceiver({ guard: b })];
      const ts = nowSeconds();
      const body = commandBody('delete web');
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => post((i % 2 === 0 ? one : two).url, body, { timestamp: ts })));
      expect(answers.map((x) => x.status)).toEqual(Array(10).fill(200));
      expect([...one.executed, ...two.executed]).toEqual(['delete web']);
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`${prefix}:slack-replay:*`);
      expect(keys).toHaveLength(1);
      const ttl = await redis.pttl(keys[0]!);
      redis.disconnect();
      // Until the timestamp leaves the 5-minute window (and a second of slack), no longer.
      expect(ttl).toBeGreaterThan(290_000);
      expect(ttl).toBeLessThanOrEqual(302_000);
    });
  });
});

describe('content types', () => {
  test('a signed JSON body shaped as a slash command is refused with 415 and not executed', async () => {
    const h = await startReceiver();
    const body = JSON.stringify(Object.fromEntries(new URLSearchParams(commandBody('delete web'))));
    const res = await post(h.url, body, { contentType: 'application/json' });
    expect(res.status).toBe(415);
    expect(h.executed).toEqual([]);
  });

  test.each(['text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded-evil', ''])('a body of type %j is refused with 415 before it is read', async (type) => {
    const h = await startReceiver();
    // Headers only: the answer comes without the body being sent.
    const res = await rawRequest({ port: h.port, head: postHead([...(type ? [`Content-Type: ${type}`] : []), 'Content-Length: 1000']) });
    expect(res.status).toBe(415);
    expect(h.executed).toEqual([]);
  });

  test('a form payload that carries a command is refused with 415', async () => {
    const h = await startReceiver();
    const body = new URLSearchParams({ payload: JSON.stringify({ type: 'block_actions', command: '/svc', text: 'delete web' }) }).toString();
    expect((await post(h.url, body)).status).toBe(415);
    expect(h.executed).toEqual([]);
  });

  test('form with a charset is a form; JSON url_verification is answered with its challenge', async () => {
    const h = await startReceiver();
    expect((await post(h.url, commandBody('list'), { contentType: 'application/x-www-form-urlencoded; charset=utf-8' })).status).toBe(200);
    const challenge = await post(h.url, JSON.stringify({ type: 'url_verification', challenge: 'c-123', token: 't' }), { contentType: 'application/json' });
    expect(challenge).toEqual({ status: 200, text: JSON.stringify({ challenge: 'c-123' }) });
    expect(h.executed).toEqual(['list']);
  });
});

describe('bodies', () => {
  test('a declared length over the cap is answered 413 at once, its body unread', async () => {
    const h = await startReceiver({ limits: { bodyLimitBytes: 64 * 1024 } });
    const ts = nowSeconds();
    const res = await rawRequest({
      port: h.port,
      head: postHead(['Content-Type: application/x-www-form-urlencoded', `Content-Length: ${4 * MB}`, `X-Slack-Request-Timestamp: ${ts}`, `X-Slack-Signature: v0=${'a'.repeat(64)}`]),
    });
    expect(res.status).toBe(413);
    expect(res.text.toLowerCase()).toContain('connection: close');
  });

  test('a chunked body passing the cap is answered 413 and its connection closed without reading the rest', async () => {
    const h = await startReceiver({ limits: { bodyLimitBytes: 64 * 1024 } });
    const ts = nowSeconds();
    const res = await rawRequest({
      port: h.port,
      head: postHead(['Content-Type: application/x-www-form-urlencoded', 'Transfer-Encoding: chunked', `X-Slack-Request-Timestamp: ${ts}`, `X-Slack-Signature: v0=${'a'.repeat(64)}`]),
      body: Buffer.alloc(64 * MB, 'a'),
      chunked: true,
      stopOnAnswer: false,
    });
    expect(res.status).toBe(413);
    expect(res.bodyBytesWritten).toBeLessThan(32 * MB);
  });

  test('a request without signature headers is refused with 401 before its body is read', async () => {
    const h = await startReceiver();
    const res = await rawRequest({ port: h.port, head: postHead(['Content-Type: application/x-www-form-urlencoded', `Content-Length: ${512 * 1024}`]) });
    expect(res.status).toBe(401);
  });

  test('bodies read before their signature is checked are bounded: one more than the turns and queue hold gets 503 at once; a small signed command still goes through', async () => {
    const h = await startReceiver({ limits: { maxUnverifiedBodies: 1 } });
    const ts = nowSeconds();
    const slow = () => {
      const c = openConnection(h.port);
      void c.connected.then(() => {
        c.socket.write(`${postHead(['Content-Type: application/x-www-form-urlencoded', 'Transfer-Encoding: chunked', `X-Slack-Request-Timestamp: ${ts}`, `X-Slack-Signature: v0=${'b'.repeat(64)}`])}\r\n\r\n`);
        trickle(c.socket, '1\r\na\r\n'.repeat(100), 200);
      });
      return c;
    };
    // One reading, four waiting (the large bodies' turn and queue at maxUnverifiedBodies 1).
    const holders = Array.from({ length: 5 }, slow);
    await Promise.all(holders.map((c) => c.connected));
    await waitFor(() => (h.logs().match(/a body waits for its turn/g) ?? []).length === 4, { what: 'four bodies waiting for the one turn' });
    const extra = await rawRequest({
      port: h.port,
      head: postHead(['Content-Type: application/x-www-form-urlencoded', 'Transfer-Encoding: chunked', `X-Slack-Request-Timestamp: ${ts}`, `X-Slack-Signature: v0=${'c'.repeat(64)}`]),
    });
    expect(extra.status).toBe(503);
    expect(extra.ms).toBeLessThan(500);
    const legit = await post(h.url, commandBody('list'));
    expect(legit.status).toBe(200);
    expect(h.executed).toEqual(['list']);
    for (const c of holders) c.socket.destroy();
  });
});

describe('slow clients and many connections', () => {
  const fast = { headersTimeoutMs: 1000, requestTimeoutMs: 2000 };

  test('a body trickled 1 byte every 200 ms is cut (408) within the request timeout', async () => {
    const h = await startReceiver({ limits: fast });
    const body = commandBody('delete web');
    const ts = nowSeconds();
    const c = openConnection(h.port);
    let answer = '';
    c.socket.on('data', (d: Buffer) => (answer += d.toString()));
    await c.connected;
    c.socket.write(
      `${postHead(['Content-Type: application/x-www-form-urlencoded', `Content-Length: ${Buffer.byteLength(body)}`, `X-Slack-Request-Timestamp: ${ts}`, `X-Slack-Signature: ${slackSignature(SECRET, ts, body)}`])}\r\n\r\n`,
    );
    trickle(c.socket, body, 200);
    const ms = await c.closed;
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(ms).toBeLessThan(2000 + 1500);
    expect(h.executed).toEqual([]);
  });

  test('headers trickled 1 byte every 200 ms get 408 within the headers timeout', async () => {
    const h = await startReceiver({ limits: fast });
    const c = openConnection(h.port);
    let answer = '';
    c.socket.on('data', (d: Buffer) => (answer += d.toString()));
    await c.connected;
    trickle(c.socket, `${postHead(['Content-Type: application/x-www-form-urlencoded', `X-Padding: ${'p'.repeat(200)}`])}\r\n\r\n`, 200);
    const ms = await c.closed;
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(ms).toBeLessThan(1000 + 1500);
  });

  test('500 slow connections from one address: those past the per-address cap are closed at once, the rest cut by the headers timeout; another address is still served', async () => {
    const h = await startReceiver({ limits: { ...fast, maxConnectionsPerClient: 64 } });
    const conns = Array.from({ length: 500 }, () => openConnection(h.port));
    await Promise.all(conns.map((c) => c.connected.catch(() => undefined)));
    for (const c of conns) trickle(c.socket, `${postHead(['X-Padding: slow'])}\r\n\r\n`, 200);
    const times = await Promise.all(conns.map((c) => c.closed));
    const atOnce = times.filter((ms) => ms < 500).length;
    expect(atOnce).toBeGreaterThanOrEqual(436);
    expect(Math.max(...times)).toBeLessThan(1000 + 2500);
    const health = await rawRequest({ port: h.port, head: 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close', localAddress: '127.0.0.2' });
    expect(health.status).toBe(200);
  });

  test('the per-address cap holds: of 20 connections with a cap of 8, 12 are closed at once and 8 stay open', async () => {
    const h = await startReceiver({ limits: { maxConnectionsPerClient: 8 } });
    const conns = Array.from({ length: 20 }, () => openConnection(h.port));
    let closedCount = 0;
    for (const c of conns) void c.closed.then(() => closedCount++);
    await waitFor(() => closedCount === 12, { what: '12 connections closed' });
    // Those still open are served.
    const open = conns.filter((c) => !c.socket.destroyed);
    expect(open).toHaveLength(8);
    let answer = '';
    open[0]!.socket.on('data', (d: Buffer) => (answer += d.toString()));
    open[0]!.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => answer.startsWith('HTTP/1.1 200'), { what: 'the health answer' });
    for (const c of conns) c.socket.destroy();
  });
});

describe('routes', () => {
  test('the health route answers on its own path only; anything else is 404 without reading a body', async () => {
    const h = await startReceiver();
    expect((await fetch(`http://127.0.0.1:${h.port}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${h.port}/healthz/x`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${h.port}/slack/events`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${h.port}/healthz`, { method: 'POST', body: 'x' })).status).toBe(404);
    const big = await rawRequest({ port: h.port, head: ['POST /anything HTTP/1.1', 'Host: x', `Content-Length: ${64 * MB}`].join('\r\n') });
    expect(big.status).toBe(404);
    expect(big.text.toLowerCase()).toContain('connection: close');
  });
});

describe('a flood of 256 concurrent 4 MB unsigned bodies (svcbot’s Slack chat in a child process)', () => {
  const LOADER = fileURLToPath(new URL('../ts-loader.js', import.meta.url));
  let stub: SlackStub;
  let child: ChildProcess | undefined;
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null) {
        const exited = once(c, 'exit');
        c.kill('SIGKILL');
        await exited;
      }
    }
    await stub?.close();
  });

  function ask(message: 'memory' | 'reset-peak'): Promise<{ rss: number; peak: number; acked: number; maxLagMs: number }> {
    const c = child!;
    return new Promise((resolve) => {
      c.once('message', (m) => resolve(m as { rss: number; peak: number; acked: number; maxLagMs: number }));
      c.send(message);
    });
  }

  async function legitCommand(port: number, text: string): Promise<{ status: number | undefined; ms: number }> {
    const ts = nowSeconds();
    const body = commandBody(text);
    const res = await rawRequest({
      port,
      localAddress: '127.0.0.2',
      head: postHead([
        'Connection: close',
        'Content-Type: application/x-www-form-urlencoded',
        `Content-Length: ${Buffer.byteLength(body)}`,
        `X-Slack-Request-Timestamp: ${ts}`,
        `X-Slack-Signature: ${slackSignature(SECRET, ts, body)}`,
      ]),
      body: Buffer.from(body),
    });
    return { status: res.status, ms: res.ms };
  }

  test('leaves RSS within +50 MB, and a signed command sent during it is acknowledged in < 100 ms', async () => {
    stub = await startSlackStub();
    child = spawn(process.execPath, ['--import', LOADER, fileURLToPath(new URL('../helpers/receiver-process.ts', import.meta.url))], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        SLACK_BOT_TOKEN: 'xoxb-flood',
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: stub.apiUrl,
        // Every flood connection reaches the body checks (the per-address cap is tested above).
        HTTP_MAX_CONNECTIONS_PER_CLIENT: '1024',
      },
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    children.push(child);
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    const { port } = JSON.parse(line.toString()) as { port: number };
    // Warm up (Bolt's auth.test, the JIT), so "before" is the process as it serves.
    for (let i = 0; i < 20; i++) expect((await legitCommand(port, 'warm')).status).toBe(200);
    const before = (await ask('reset-peak')).rss;

    const flooder = spawn(process.execPath, ['--import', LOADER, fileURLToPath(new URL('../helpers/flood-process.ts', import.meta.url))], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', FLOOD_PORT: String(port), FLOOD_COUNT: '256', FLOOD_MB: '4' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(flooder);
    const events: { event: string; statuses?: Record<string, number> }[] = [];
    let pending = '';
    flooder.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const l of lines) events.push(JSON.parse(l) as { event: string });
    });
    const floodOver = () => events.some((e) => e.event === 'done') || flooder.exitCode !== null;
    // Signed commands, one after another (10 ms apart), from the flood's start until it is over.
    await waitFor(() => events.length > 0, { what: 'the flood to start' });
    const legit: { status: number | undefined; ms: number }[] = [];
    while (!floodOver()) {
      const sample = await legitCommand(port, `during ${legit.length}`);
      if (!floodOver()) legit.push(sample);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(events.map((e) => e.event)).toEqual(['sending', 'started', 'done']);
    const statuses = events[2]!.statuses!;
    const { peak: peakDuring, maxLagMs } = await ask('memory');
    // The receiver's event loop kept turning (it is what acks).
    expect(maxLagMs).toBeLessThan(500);
    const after = await waitFor(
      async () => {
        const { rss } = await ask('memory');
        return rss - before < 50 * MB ? rss : false;
      },
      { what: 'RSS back within +50 MB', timeoutMs: 5000, intervalMs: 200 },
    ).catch(async () => (await ask('memory')).rss);

    const ms = legit.map((l) => l.ms).sort((x, y) => x - y);

    expect(legit.length).toBeGreaterThanOrEqual(3);
    expect(legit.every((l) => l.status === 200)).toBe(true);
    expect(after - before).toBeLessThan(50 * MB);
    expect(peakDuring - before).toBeLessThan(150 * MB);
    // The median well under 100 ms; none near Slack's 3 s.
    expect(ms[Math.floor(ms.length / 2)]).toBeLessThan(100);
    expect(ms.at(-1)).toBeLessThan(1000);
    expect(statuses['200']).toBeUndefined();
  }, 90_000);
});

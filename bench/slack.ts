/**
 * What the benchmarks need of Slack: slash-command bodies signed as Slack signs them, and a lean local
 * stand-in for the Web API and `response_url` that only counts replies, so a run can wait until svcbot
 * has finished the work it started after each acknowledgement.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer } from './servers.js';
import { createSlackHistory, createTsClock } from './slack-history.js';

/** Slack's request signature: `v0=` + HMAC-SHA256 of `v0:<timestamp>:<body>`. */
function slackSignature(signingSecret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** The headers Slack sends with a request body, signed now. */
export function signedHeaders(signingSecret: string, body: string, now = Date.now()): Record<string, string> {
  const timestamp = Math.floor(now / 1000);
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'content-length': String(Buffer.byteLength(body)),
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': slackSignature(signingSecret, timestamp, body),
  };
}

export interface SlashCommandFields {
  command: string;
  text: string;
  response_url: string;
  channel_id: string;
  user_id: string;
}

/** A slash-command payload, form-encoded with the fields Slack sends. */
export function slashCommandBody(fields: SlashCommandFields): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: 'T0BENCH',
    team_domain: 'bench',
    channel_name: 'bench',
    user_name: 'bench',
    api_app_id: 'A0BENCH',
    trigger_id: '1.2.3',
    ...fields,
  }).toString();
}

export interface ReplyStub {
  /** Base URL of the Web API (`SLACK_API_URL`), ending in `/`. */
  apiUrl: string;
  /** The `response_url` to put into a command whose reply is counted under `id`. */
  responseUrl(id: string): string;
  /**
   * Resolves once every id has had a reply: a POST to its `responseUrl(id)` or a `chat.postMessage`
   * to channel `id`. Rejects after `timeoutMs` naming how many are missing.
   */
  waitForReplies(ids: readonly string[], timeoutMs: number): Promise<void>;
  /** Replies received so far (any id). */
  readonly replies: number;
  close(): Promise<void>;
}

async function readText(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The string fields of a Web API call, whether the WebClient sent a form or JSON. */
function apiFields(req: http.IncomingMessage, text: string): (name: string) => string | undefined {
  if ((req.headers['content-type'] ?? '').includes('application/json')) {
    const body = JSON.parse(text) as Record<string, unknown>;
    return (name) => {
      const value = body[name];
      return typeof value === 'string' ? value : undefined;
    };
  }
  const form = new URLSearchParams(text);
  return (name) => form.get(name) ?? undefined;
}

/** Callers waiting for the next event: `wait(ms)` resolves at the next `notify()`, or after `ms`. */
function nextEvent() {
  let waiting: (() => void)[] = [];
  return {
    notify(): void {
      const woken = waiting;
      waiting = [];
      for (const w of woken) w();
    },
    wait(ms: number): Promise<void> {
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        waiting.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}


export async function startReplyStub(): Promise<ReplyStub> {
  const seen = new Set<string>();
  let replies = 0;
  const next = nextEvent();
  let ts = 1_700_000_000;

  const record = (id: string | undefined) => {
    replies += 1;
    if (id !== undefined) seen.add(id);
    next.notify();
  };

  const server = http.createServer((req, res) => {
    void (async () => {
      const text = await readText(req);
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const answer = (body: unknown) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const response = /^\/response\/([^/]+)$/.exec(path);
      if (response) {
        record(response[1]);
        answer({ ok: true });
        return;
      }
      const method = path.replace(/^\/api\//, '');
      if (method === 'auth.test') {
        answer({ ok: true, user_id: 'UBENCHBOT', bot_id: 'BBENCHBOT', team_id: 'T0BENCH', user: 'svcbot', team: 'Bench' });
        return;
      }
      if (method === 'chat.postMessage') {
        const channel = apiFields(req, text)('channel');
        ts += 1;
        record(channel);
        answer({ ok: true, channel, ts: `${ts}.000100` });
        return;
      }
      answer({ ok: true });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    apiUrl: `${base}/api/`,
    responseUrl: (id) => `${base}/response/${id}`,
    get replies() {
      return replies;
    },
    async waitForReplies(ids, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const missing = ids.filter((id) => !seen.has(id));
        if (missing.length === 0) {
          for (const id of ids) seen.delete(id);
          return;
        }
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new Error(`${missing.length} of ${ids.length} replies did not arrive within ${timeoutMs} ms (first: ${missing[0]})`);
        }
        await next.wait(left);
      }
    },
    close: () => closeServer(server),
  };
}

/** An endpoint announcement (`renderEndpointMessage`) as Slack receives it: its load balancer's hostname. */
const ENDPOINT_MESSAGE = /` is reachable at:\n• `([^`:\s]+):\d+`/;

export interface SlackRecorder {
  /** Base URL of the Web API (`SLACK_API_URL`), ending in `/`. */
  apiUrl: string;
  /**
   * Endpoint announcements (`chat.postMessage` whose text says where a Service is reachable), by the
   * hostname they announce: when the first one for that hostname reached the stand-in (epoch ms, taken
   * as the request arrives, before its body is read).
   */
  readonly endpoints: ReadonlyMap<string, number>;
  /** Announcements of a hostname already announced. */
  readonly duplicateEndpoints: number;
  /** Web API calls received, by method. */
  readonly calls: Readonly<Record<string, number>>;
  /** The `response_url` to give a slash command (posts to it are answered and counted as `response_url`). */
  responseUrl(id: string): string;
  /** Resolves at the next endpoint announcement, or after `ms`. */
  nextEndpoint(ms: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A Slack Web API stand-in for load-balancer jobs: answers `auth.test`, `chat.postMessage`,
 * `chat.update` and reading messages back (`conversations.history` / `.replies`) like Slack (without its rate limits), counts every call, and records when each endpoint
 * announcement arrived.
 */
export async function startSlackRecorder(): Promise<SlackRecorder> {
  const endpoints = new Map<string, number>();
  const calls: Record<string, number> = {};
  let duplicateEndpoints = 0;
  const next = nextEvent();
  const nextTs = createTsClock();
  // A job taking over a dead worker's post reads the channel back for it (conversations.history / .replies).
  const history = createSlackHistory();

  const server = http.createServer((req, res) => {
    const receivedAt = Date.now();
    void (async () => {
      const text = await readText(req);
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      // A slash command's `response_url` (`responseUrl(id)`): counted as one method, whatever the id.
      const method = path.startsWith('/response/') ? 'response_url' : path.replace(/^\/api\//, '');
      calls[method] = (calls[method] ?? 0) + 1;
      const field = apiFields(req, text);
      const channel = field('channel');
      let body: Record<string, unknown> = { ok: true };
      if (method === 'auth.test') {
        body = { ok: true, user_id: 'UBENCHBOT', bot_id: 'BBENCHBOT', team_id: 'T0BENCH', user: 'svcbot', team: 'Bench' };
      } else if (method === 'chat.postMessage') {
        const messageTs = nextTs();
        body = { ok: true, channel, ts: messageTs };
        const threadTs = field('thread_ts');
        history.posted(channel ?? '', { ts: messageTs, text: field('text') ?? '', ...(threadTs ? { threadTs } : {}), metadata: field('metadata') });
        const host = ENDPOINT_MESSAGE.exec(field('text') ?? '')?.[1];
        if (host !== undefined) {
          if (endpoints.has(host)) duplicateEndpoints += 1;
          else endpoints.set(host, receivedAt);
          next.notify();
        }
      } else if (method === 'chat.update') {
        body = { ok: true, channel, ts: field('ts') };
        history.updated(channel ?? '', field('ts') ?? '', field('text') ?? '', field('metadata'));
      } else if (method === 'conversations.history' || method === 'conversations.replies') {
        body = history.answer(method, field);
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    })();
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    apiUrl: `${base}/api/`,
    endpoints,
    get duplicateEndpoints() {
      return duplicateEndpoints;
    },
    calls,
    responseUrl: (id) => `${base}/response/${encodeURIComponent(id)}`,
    nextEndpoint: (ms) => next.wait(ms),
    close: () => closeServer(server),
  };
}

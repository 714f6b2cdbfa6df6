/**
 * What the benchmarks need of Slack: slash-command bodies signed as Slack signs them, and a lean local
 * stand-in for the Web API and `response_url` that only counts replies, so a run can wait until svcbot
 * has finished the work it started after each acknowledgement.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Slack's request signature: `v0=` + HMAC-SHA256 of `v0:<timestamp>:<body>`. */
export function slackSignature(signingSecret: string, timestamp: number, body: string): string {
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

/** The channel a Web API call names, whether the WebClient sent a form or JSON. */
function channelOf(req: http.IncomingMessage, text: string): string | undefined {
  if ((req.headers['content-type'] ?? '').includes('application/json')) {
    const channel = (JSON.parse(text) as { channel?: unknown }).channel;
    return typeof channel === 'string' ? channel : undefined;
  }
  return new URLSearchParams(text).get('channel') ?? undefined;
}

export async function startReplyStub(): Promise<ReplyStub> {
  const seen = new Set<string>();
  let replies = 0;
  let wake: (() => void)[] = [];
  let ts = 1_700_000_000;

  const record = (id: string | undefined) => {
    replies += 1;
    if (id !== undefined) seen.add(id);
    const waiting = wake;
    wake = [];
    for (const w of waiting) w();
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
        const channel = channelOf(req, text);
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
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * A local stand-in for Slack: the Web API (`chat.postMessage`, `chat.postEphemeral`, `chat.update`,
 * `auth.test`, `usergroups.users.list`, `users.info`, `conversations.history` / `.replies` over the
 * messages it accepted (bench/slack-history.ts), …) and `response_url` endpoints, recording every
 * call. Tests point svcbot's `SLACK_API_URL` at `apiUrl` and put `responseUrl(id)` into the
 * slash-command payloads they send; `setUserGroup` and `setUserName` say who is in which user group
 * and what users are called. With `limits` (e.g. `SLACK_LIMITS`, slack-limits.ts) it enforces Slack's
 * rate limits (429 with `Retry-After`, per method and per channel or workspace) and the response_url's
 * 5 posts, and counts what it refused (`limited`); without, it takes everything.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSlackHistory, createTsClock, type SlackHistory } from '../../bench/slack-history.js';
import { createSlackLimiter, type SlackLimits } from '../../bench/slack-limits.js';

export interface RecordedCall {
  /** Web API method (`chat.postMessage`) or `response_url`. */
  method: string;
  /** For response_url calls: the id in the URL. */
  responseId?: string;
  body: Record<string, unknown>;
  authorization?: string;
  at: number;
  /** The `ts` the stand-in gave a message it accepted (chat.postMessage). */
  ts?: string;
  /** Refused for Slack's limits (`limits`): HTTP 429, or a response_url used up. */
  limited?: true;
}

export interface SlackStubOptions {
  /** Enforces Slack's rate limits and response_url budget (e.g. `SLACK_LIMITS`); none by default. */
  limits?: SlackLimits;
}

type Override = (call: RecordedCall) => { status?: number; headers?: Record<string, string>; body: unknown } | undefined;

export interface SlackStub {
  apiUrl: string;
  responseUrl(id: string): string;
  calls: RecordedCall[];
  /** The messages it accepted, as `conversations.history` reads them back. */
  history: SlackHistory;
  /** Whether it enforces Slack's limits (started with `limits`). */
  readonly enforcesLimits: boolean;
  /** Calls refused for Slack's limits (`limits`), by method (`response_url` for a used-up one). */
  readonly limited: Readonly<Record<string, number>>;
  /** Resolves with the first call (past or future) matching `predicate`. */
  waitForCall(predicate: (call: RecordedCall) => boolean, timeoutMs?: number): Promise<RecordedCall>;
  /** Answers matching calls differently (an error, a 429…) until removed. */
  override(fn: Override): () => void;
  /** The members `usergroups.users.list` gives for `usergroup`; a group never set is `no_such_subteam`. */
  setUserGroup(usergroup: string, members: readonly string[]): void;
  /** What `users.info` says `userId` is called; unset, the name is the ID in lower case (`u1`), the real name `User U1`. */
  setUserName(userId: string, names: { name?: string; real_name?: string }): void;
  close(): Promise<void>;
}

async function readBody(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  const type = req.headers['content-type'] ?? '';
  if (raw === '') return {};
  if (type.includes('application/json')) return JSON.parse(raw) as Record<string, unknown>;
  const form = Object.fromEntries(new URLSearchParams(raw));
  // The WebClient form-encodes complex arguments as JSON strings.
  for (const key of ['blocks', 'attachments', 'metadata']) {
    if (typeof form[key] === 'string') form[key] = JSON.parse(form[key]) as never;
  }
  return form;
}

/** A call's argument as Slack reads it: text (numbers and flags of a JSON body as their text). */
function fieldText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value === undefined || value === null ? undefined : JSON.stringify(value);
}

export async function startSlackStub(options: SlackStubOptions = {}): Promise<SlackStub> {
  const calls: RecordedCall[] = [];
  const limiter = options.limits ? createSlackLimiter(options.limits) : undefined;
  const limited: Record<string, number> = {};
  const refuse = (call: RecordedCall) => {
    call.limited = true;
    limited[call.method] = (limited[call.method] ?? 0) + 1;
  };
  const waiters: { predicate: (c: RecordedCall) => boolean; resolve: (c: RecordedCall) => void }[] = [];
  const overrides = new Set<Override>();
  const userGroups = new Map<string, string[]>();
  const userNames = new Map<string, { name?: string; real_name?: string }>();
  const nextTs = createTsClock();
  const history = createSlackHistory();

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://stub');
      const body = await readBody(req);
      const responseMatch = /^\/response\/([^/]+)$/.exec(url.pathname);
      const call: RecordedCall = {
        method: responseMatch ? 'response_url' : url.pathname.replace(/^\/api\//, ''),
        ...(responseMatch?.[1] ? { responseId: responseMatch[1] } : {}),
        body,
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
        at: Date.now(),
      };
      calls.push(call);
      for (const w of [...waiters]) {
        if (w.predicate(call)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(call);
        }
      }
      for (const fn of overrides) {
        const answer = fn(call);
        if (answer) {
          res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...answer.headers });
          res.end(JSON.stringify(answer.body));
          return;
        }
      }
      if (limiter && responseMatch?.[1] !== undefined && !limiter.admitResponseUrl(responseMatch[1])) {
        refuse(call);
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('used_url');
        return;
      }
      const admission = limiter && !responseMatch ? limiter.admit(call.method, typeof body.channel === 'string' ? body.channel : undefined) : { ok: true as const };
      if (!admission.ok) {
        refuse(call);
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(admission.retryAfterSeconds) });
        res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      if (responseMatch) {
        res.end(JSON.stringify({ ok: true }));
        return;
      }
      switch (call.method) {
        case 'auth.test':
          res.end(JSON.stringify({ ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T1', user: 'svcbot', team: 'Test' }));
          return;
        case 'chat.postMessage':
        case 'chat.update': {
          const messageTs = typeof body.ts === 'string' ? body.ts : nextTs();
          const channel = String(body.channel);
          const text = typeof body.text === 'string' ? body.text : '';
          if (call.method === 'chat.postMessage') {
            call.ts = messageTs;
            history.posted(channel, { ts: messageTs, text, ...(typeof body.thread_ts === 'string' ? { threadTs: body.thread_ts } : {}), metadata: body.metadata });
          } else {
            history.updated(channel, messageTs, text, body.metadata);
          }
          res.end(JSON.stringify({ ok: true, channel: body.channel, ts: messageTs, message: { text: body.text } }));
          return;
        }
        case 'conversations.history':
        case 'conversations.replies':
          res.end(JSON.stringify(history.answer(call.method, (name) => fieldText(body[name]))));
          return;
        case 'chat.postEphemeral':
          res.end(JSON.stringify({ ok: true, message_ts: nextTs() }));
          return;
        case 'usergroups.users.list': {
          const members = typeof body.usergroup === 'string' ? userGroups.get(body.usergroup) : undefined;
          res.end(JSON.stringify(members ? { ok: true, users: members } : { ok: false, error: 'no_such_subteam' }));
          return;
        }
        case 'users.info': {
          if (typeof body.user !== 'string' || body.user === '') {
            res.end(JSON.stringify({ ok: false, error: 'user_not_found' }));
            return;
          }
          const id = body.user;
          const names = userNames.get(id) ?? {};
          res.end(JSON.stringify({ ok: true, user: { id, name: names.name ?? id.toLowerCase(), real_name: names.real_name ?? `User ${id}` } }));
          return;
        }
        default:
          res.end(JSON.stringify({ ok: true }));
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    apiUrl: `${base}/api/`,
    responseUrl: (id) => `${base}/response/${id}`,
    calls,
    history,
    enforcesLimits: limiter !== undefined,
    limited,
    waitForCall(predicate, timeoutMs = 10_000) {
      const found = calls.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (c: RecordedCall) => {
            clearTimeout(timer);
            resolve(c);
          },
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`no matching Slack call within ${timeoutMs} ms; calls so far: ${calls.map((c) => c.method).join(', ')}`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    override(fn) {
      overrides.add(fn);
      return () => overrides.delete(fn);
    },
    setUserGroup(usergroup, members) {
      userGroups.set(usergroup, [...members]);
    },
    setUserName(userId, names) {
      userNames.set(userId, { ...names });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

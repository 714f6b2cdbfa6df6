/**
 * A Slack request's body: which content type it declares (before it is read), read with a cap (stops
 * reading past it), and what it is once read — slash commands and interactivity come form-encoded
 * (command fields, or `payload=` JSON), the Events API as JSON; anything else is refused, so a body
 * signed for one kind of request cannot be taken for another.
 */
import type { IncomingMessage } from 'node:http';
import { parse as parseQuery } from 'node:querystring';

export type SlackContentType = 'form' | 'json';

/** The content type of a request Slack sends to the events URL, or undefined for any other. */
export function slackContentType(header: string | undefined): SlackContentType | undefined {
  const media = header?.split(';', 1)[0]?.trim().toLowerCase();
  if (media === 'application/x-www-form-urlencoded') return 'form';
  if (media === 'application/json') return 'json';
  return undefined;
}

/** The declared Content-Length: undefined when there is none (chunked), NaN when it is not a number. */
export function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers['content-length'];
  if (header === undefined) return undefined;
  return /^[0-9]{1,15}$/.test(header) ? Number(header) : Number.NaN;
}

export type BodyRead = { ok: true; body: Buffer } | { ok: false; reason: 'too_large' | 'aborted' };

/**
 * Reads `req`'s body, at most `limit` bytes: past it, stops reading (the caller answers 413 and closes
 * the connection) and keeps nothing; a connection that closes first is `aborted`.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyRead> {
  return new Promise((resolve) => {
    let chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: BodyRead) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAborted);
      req.off('close', onAborted);
      if (!result.ok) req.pause();
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        chunks = [];
        finish({ ok: false, reason: 'too_large' });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish({ ok: true, body: Buffer.concat(chunks, size) });
    const onAborted = () => finish({ ok: false, reason: 'aborted' });
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAborted);
    req.on('close', onAborted);
  });
}

/** The envelopes of the Events API (JSON). */
const EVENTS_API_TYPES = new Set(['url_verification', 'event_callback', 'app_rate_limited']);

export type SlackBody =
  | { kind: 'ssl_check' }
  | { kind: 'url_verification'; challenge: unknown }
  /** A command, an interaction or an event, for Bolt. */
  | { kind: 'dispatch'; body: Record<string, unknown> }
  /** Not valid as the declared content type (400). */
  | { kind: 'malformed'; problem: string }
  /** Valid, but not a kind of request Slack sends with this content type (415). */
  | { kind: 'wrong_type'; problem: string };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** What a body of `type` is: form-encoded commands, `payload=` interactions or `ssl_check`; JSON Events API envelopes. */
export function parseSlackBody(type: SlackContentType, raw: Buffer): SlackBody {
  const text = raw.toString('utf8');
  if (type === 'json') {
    const body = parseJson(text);
    if (!isObject(body)) return { kind: 'malformed', problem: 'the body is not a JSON object' };
    if (typeof body.type !== 'string' || !EVENTS_API_TYPES.has(body.type) || 'command' in body) {
      return { kind: 'wrong_type', problem: 'a JSON body must be an Events API envelope (commands and interactions are form-encoded)' };
    }
    if (body.type === 'url_verification') return { kind: 'url_verification', challenge: body.challenge };
    return { kind: 'dispatch', body };
  }
  const form = parseQuery(text);
  if (typeof form.payload === 'string') {
    const payload = parseJson(form.payload);
    if (!isObject(payload) || typeof payload.type !== 'string') return { kind: 'malformed', problem: 'payload is not a JSON object with a type' };
    if (EVENTS_API_TYPES.has(payload.type) || 'command' in payload || 'event' in payload) {
      return { kind: 'wrong_type', problem: 'an interaction payload may not be an event or a command' };
    }
    return { kind: 'dispatch', body: payload };
  }
  if (form.payload !== undefined) return { kind: 'malformed', problem: 'payload given more than once' };
  if (form.ssl_check === '1') return { kind: 'ssl_check' };
  if (typeof form.command === 'string' && form.command.startsWith('/')) return { kind: 'dispatch', body: form };
  return { kind: 'wrong_type', problem: 'a form-encoded body must be a slash command or an interaction payload' };
}

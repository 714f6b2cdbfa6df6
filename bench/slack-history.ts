/**
 * The messages a Slack stand-in has accepted, and Slack's two ways of reading them back, as the stand-ins
 * (the tests' startSlackStub, bench/slack.ts) answer them:
 * - `conversations.history`: a channel's messages (not thread replies), newest first, from `oldest` /
 *   up to `latest` (exclusive unless `inclusive`), `limit` a page (default 100, at most 999), the next
 *   page through `response_metadata.next_cursor`;
 * - `conversations.replies`: a thread, its parent first and then the replies oldest first, same paging;
 *   `thread_not_found` for a `ts` that is no message of the channel.
 * A message's `metadata` (`event_type` + `event_payload`, given to chat.postMessage or chat.update) is in
 * the answer only with `include_all_metadata`; chat.update without metadata keeps the message's.
 * Unknown channels answer `channel_not_found`. Written from Slack's method documentation
 * (docs.slack.dev/reference/methods/conversations.history, …replies, …/messaging/message-metadata), not
 * from svcbot's code.
 */

interface StoredMessage {
  ts: string;
  /** The parent's ts, for a thread reply. */
  threadTs?: string;
  text: string;
  metadata?: unknown;
}

/** A call's arguments, form-encoded or JSON: a string field's value. */
type ApiFields = (name: string) => string | undefined;

export interface SlackHistory {
  /** Records a message chat.postMessage accepted. `metadata` as the call gave it (JSON text when form-encoded). */
  posted(channel: string, message: { ts: string; threadTs?: string; text: string; metadata?: unknown }): void;
  /** Records a chat.update of a message (its metadata kept when the update gives none). */
  updated(channel: string, ts: string, text: string, metadata?: unknown): void;
  /** The answer to `conversations.history` or `conversations.replies` with these arguments. */
  answer(method: 'conversations.history' | 'conversations.replies', field: ApiFields): Record<string, unknown>;
  /** What a channel holds (tests). */
  messages(channel: string): readonly StoredMessage[];
}

/**
 * Message timestamps as Slack makes them: the time it took the message, in seconds with six decimals
 * ("1765000001.000100"), unique and increasing (so `oldest` bounds mean what they mean on Slack).
 */
export function createTsClock(now: () => number = Date.now): () => string {
  let last = 0;
  return () => {
    last = Math.max(last + 1, now() * 1000);
    return `${Math.floor(last / 1e6)}.${String(last % 1e6).padStart(6, '0')}`;
  };
}

/** Slack's ts ("1700000001.000100") as a number, for ordering and the oldest/latest bounds. */
const tsValue = (ts: string) => Number(ts);

/** Metadata as stored: an object (form-encoded calls give it as JSON text). */
function metadataOf(given: unknown): unknown {
  if (typeof given !== 'string') return given;
  try {
    return JSON.parse(given) as unknown;
  } catch {
    return undefined;
  }
}

export function createSlackHistory(): SlackHistory {
  const channels = new Map<string, StoredMessage[]>();

  function page(list: StoredMessage[], field: ApiFields): Record<string, unknown> {
    const oldest = field('oldest');
    const latest = field('latest');
    const inclusive = field('inclusive') === 'true' || field('inclusive') === '1';
    const inRange = list.filter((m) => {
      const t = tsValue(m.ts);
      if (oldest !== undefined && (inclusive ? t < Number(oldest) : t <= Number(oldest))) return false;
      if (latest !== undefined && (inclusive ? t > Number(latest) : t >= Number(latest))) return false;
      return true;
    });
    const limit = Math.min(999, Math.max(1, Number(field('limit') ?? 100) || 100));
    const start = Number(field('cursor') ?? 0) || 0;
    const slice = inRange.slice(start, start + limit);
    const withMetadata = field('include_all_metadata') === 'true' || field('include_all_metadata') === '1';
    const more = start + limit < inRange.length;
    return {
      ok: true,
      messages: slice.map((m) => ({
        type: 'message',
        ts: m.ts,
        text: m.text,
        ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
        ...(withMetadata && m.metadata !== undefined ? { metadata: m.metadata } : {}),
      })),
      has_more: more,
      response_metadata: { next_cursor: more ? String(start + limit) : '' },
    };
  }

  return {
    posted(channel, message) {
      const list = channels.get(channel) ?? [];
      channels.set(channel, list);
      const metadata = metadataOf(message.metadata);
      list.push({ ts: message.ts, text: message.text, ...(message.threadTs ? { threadTs: message.threadTs } : {}), ...(metadata === undefined ? {} : { metadata }) });
    },
    updated(channel, ts, text, metadata) {
      const message = channels.get(channel)?.find((m) => m.ts === ts);
      if (!message) return;
      message.text = text;
      const given = metadataOf(metadata);
      if (given !== undefined) message.metadata = given;
    },
    answer(method, field) {
      const list = channels.get(field('channel') ?? '');
      if (!list) return { ok: false, error: 'channel_not_found' };
      if (method === 'conversations.history') {
        const top = list.filter((m) => m.threadTs === undefined || m.threadTs === m.ts);
        return page([...top].sort((a, b) => tsValue(b.ts) - tsValue(a.ts)), field);
      }
      const parentTs = field('ts') ?? '';
      const parent = list.find((m) => m.ts === parentTs);
      if (!parent) return { ok: false, error: 'thread_not_found' };
      const replies = list.filter((m) => m.threadTs === parentTs && m.ts !== parentTs).sort((a, b) => tsValue(a.ts) - tsValue(b.ts));
      return page([parent, ...replies], field);
    },
    messages: (channel) => channels.get(channel) ?? [],
  };
}

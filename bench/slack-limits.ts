/**
 * Slack's own limits, as the Slack stand-ins enforce them when asked (the tests' `startSlackStub({ limits })`, bench/slack-load.ts):
 * - Web API methods: a token bucket per method and per channel (`chat.postMessage`: about one message a
 *   second per channel, short bursts tolerated) or per workspace (Tier 3 `chat.update`: 50+ a minute;
 *   Slack counts tiers "per API method per app per workspace"). Over it Slack answers HTTP 429 with
 *   `Retry-After` in whole seconds and `{"ok":false,"error":"ratelimited"}`.
 * - `response_url`: at most 5 posts in the 30 minutes after the command; a 6th is refused (HTTP 404
 *   `used_url`, as for an expired one).
 * Written from Slack's rate-limit documentation (docs.slack.dev/apis/web-api/rate-limits), not from svcbot's code.
 */

interface SlackMethodLimit {
  /** Sustained calls a minute. */
  perMinute: number;
  /** Calls accepted at once above the sustained rate (the bucket's size). */
  burst: number;
  /** What one bucket covers: each channel (the `channel` argument) or the whole workspace. */
  per: 'channel' | 'workspace';
}

export interface SlackLimits {
  methods: Readonly<Record<string, SlackMethodLimit>>;
  /** Posts one response_url takes (Slack: 5, within the 30 minutes it lives; the stand-in does not expire them). */
  responseUrl?: { maxPosts: number };
}

/** Slack's documented limits for the methods svcbot calls. */
export const SLACK_LIMITS: SlackLimits = {
  methods: {
    'chat.postMessage': { perMinute: 60, burst: 3, per: 'channel' },
    'chat.update': { perMinute: 50, burst: 5, per: 'workspace' },
    'chat.postEphemeral': { perMinute: 100, burst: 10, per: 'workspace' },
    'conversations.history': { perMinute: 50, burst: 5, per: 'workspace' },
    'conversations.replies': { perMinute: 50, burst: 5, per: 'workspace' },
  },
  responseUrl: { maxPosts: 5 },
};

type Admission = { ok: true } | { ok: false; retryAfterSeconds: number };

export interface SlackLimiter {
  /** Whether Slack takes a call of `method` (to `channel`) now; if not, how many seconds to wait. */
  admit(method: string, channel: string | undefined): Admission;
  /** Whether Slack takes one more post to the response_url `id`. */
  admitResponseUrl(id: string): boolean;
}

interface Bucket {
  tokens: number;
  at: number;
}

export function createSlackLimiter(limits: SlackLimits, now: () => number = Date.now): SlackLimiter {
  const buckets = new Map<string, Bucket>();
  const responseUrlPosts = new Map<string, number>();
  return {
    admit(method, channel) {
      const limit = limits.methods[method];
      if (!limit) return { ok: true };
      const key = limit.per === 'channel' ? `${method}:${channel ?? ''}` : method;
      const perMs = limit.perMinute / 60_000;
      const t = now();
      const bucket = buckets.get(key) ?? { tokens: limit.burst, at: t };
      bucket.tokens = Math.min(limit.burst, bucket.tokens + (t - bucket.at) * perMs);
      bucket.at = t;
      buckets.set(key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { ok: true };
      }
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)) };
    },
    admitResponseUrl(id) {
      const rule = limits.responseUrl;
      if (!rule) return true;
      const posts = responseUrlPosts.get(id) ?? 0;
      if (posts >= rule.maxPosts) return false;
      responseUrlPosts.set(id, posts + 1);
      return true;
    },
  };
}

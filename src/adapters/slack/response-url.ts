/**
 * Posting to a slash command's `response_url`. Slack rate-limits these too: a 429 is honoured by waiting
 * `Retry-After` seconds (bounded) and trying again, never turned into an error the user sees.
 */
import type { Block } from '../../render/blocks.js';

export interface ResponsePayload {
  response_type: 'ephemeral' | 'in_channel';
  text: string;
  blocks?: Block[];
  replace_original?: boolean;
}

export interface ResponseUrlOptions {
  maxAttempts?: number;
  /** Longest wait honoured for one Retry-After, in ms. */
  maxRetryAfterMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export class ResponseUrlError extends Error {
  constructor(readonly status: number, body: string) {
    super(`response_url answered ${status}: ${body.slice(0, 200)}`);
    this.name = new.target.name;
  }
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function postToResponseUrl(url: string, payload: ResponsePayload, opts: ResponseUrlOptions = {}): Promise<void> {
  const { maxAttempts = 4, maxRetryAfterMs = 30_000, sleep = defaultSleep } = opts;
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(payload),
    });
    const body = await res.text();
    if (res.ok) return;
    if (res.status === 429 && attempt < maxAttempts) {
      const retryAfter = Number(res.headers.get('retry-after') ?? '1');
      await sleep(Math.min(Number.isFinite(retryAfter) ? retryAfter * 1000 : 1000, maxRetryAfterMs));
      continue;
    }
    throw new ResponseUrlError(res.status, body);
  }
}

/** Slack takes at most this many posts to one response_url, in the 30 minutes it lives. */
const RESPONSE_URL_POSTS = 5;
const RESPONSE_URL_LIFE_MS = 30 * 60_000;

export interface ResponseUrlBudget {
  /** Counts one post to `url` and says yes, or says no when its 5 posts are spent (or it has expired). */
  take(url: string): boolean;
}

/**
 * The posts each response_url has left, as this process counts them (another process's posts show as
 * Slack's 404, which the replies treat the same way). Entries leave when their URL expires.
 */
export function createResponseUrlBudget(now: () => number = Date.now): ResponseUrlBudget {
  const used = new Map<string, { first: number; posts: number }>();
  return {
    take(url) {
      const t = now();
      for (const [key, entry] of used) {
        if (t - entry.first < RESPONSE_URL_LIFE_MS) break; // in insertion order: the rest are younger
        used.delete(key);
      }
      const entry = used.get(url) ?? { first: t, posts: 0 };
      if (entry.posts >= RESPONSE_URL_POSTS) return false;
      entry.posts += 1;
      used.set(url, entry);
      return true;
    },
  };
}

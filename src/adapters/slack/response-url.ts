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

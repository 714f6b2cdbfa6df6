/**
 * Slack's request signature, checked strictly (Slack's "Verifying requests from Slack" guide):
 * `X-Slack-Request-Timestamp` is whole seconds, digits only, within 5 minutes of now in either
 * direction; `X-Slack-Signature` is `v0=` and 64 lowercase hex digits, the HMAC-SHA256 of
 * `v0:<timestamp>:<body>` under the signing secret, compared in constant time. The headers are checked
 * before the body is read ({@link signatureHeaders}); the body after ({@link signatureMatches}).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** How far a request's timestamp may be from now, either way (s). */
const SIGNATURE_WINDOW_SECONDS = 300;

const TIMESTAMP = /^[0-9]{1,12}$/;
const SIGNATURE = /^v0=[0-9a-f]{64}$/;

export interface SignatureHeaders {
  /** Seconds since the epoch, as the request says. */
  timestamp: number;
  /** `v0=…` as sent. */
  signature: string;
}

export type HeaderCheck = { ok: true; headers: SignatureHeaders } | { ok: false; reason: 'missing' | 'malformed' | 'outside_window' };

/**
 * The signature headers of a request, if both are there, well-formed (no whitespace, no second value)
 * and the timestamp is within {@link SIGNATURE_WINDOW_SECONDS} of `nowMs`.
 */
export function signatureHeaders(headers: IncomingHttpHeaders, nowMs: number): HeaderCheck {
  const timestamp = headers['x-slack-request-timestamp'];
  const signature = headers['x-slack-signature'];
  if (timestamp === undefined || signature === undefined) return { ok: false, reason: 'missing' };
  if (typeof timestamp !== 'string' || typeof signature !== 'string' || !TIMESTAMP.test(timestamp) || !SIGNATURE.test(signature)) {
    return { ok: false, reason: 'malformed' };
  }
  const seconds = Number(timestamp);
  if (Math.abs(nowMs / 1000 - seconds) > SIGNATURE_WINDOW_SECONDS) return { ok: false, reason: 'outside_window' };
  return { ok: true, headers: { timestamp: seconds, signature } };
}

/** Whether `signature` is the signing secret's HMAC of `v0:<timestamp>:<body>` (constant-time). */
export function signatureMatches(signingSecret: string, { timestamp, signature }: SignatureHeaders, body: Buffer): boolean {
  const expected = createHmac('sha256', signingSecret).update(`v0:${timestamp}:`).update(body).digest();
  const given = Buffer.from(signature.slice(3), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** How long a request signed at `timestamp` stays valid from `nowMs` (ms): what a replay guard keeps it for. */
export function msLeftInWindow(timestamp: number, nowMs: number): number {
  return Math.max(1, (timestamp + SIGNATURE_WINDOW_SECONDS) * 1000 - nowMs + 1000);
}

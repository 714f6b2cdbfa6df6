/**
 * Counts the waits Slack asks a Web API client for (HTTP 429), from the client's own `rate_limited` event,
 * by method (svcbot's own calls: a small fixed set). Counting every call by result is not done yet: the
 * client binds its methods to `apiCall` when it is built, so wrapping `apiCall` afterwards sees none.
 */
import { WebClientEvent, type WebClient } from '@slack/web-api';
import type { Metrics } from '../../ports/metrics.js';

/** The Web API method a request URL names (`…/api/chat.postMessage` → `chat.postMessage`). */
function methodOf(url: unknown): string {
  const last = typeof url === 'string' ? url.split('?', 1)[0]?.split('/').pop() : undefined;
  return last && /^[a-zA-Z.]{1,64}$/.test(last) ? last : 'unknown';
}

export function meterSlackClient<C extends WebClient>(client: C, metrics: Pick<Metrics, 'slackRateLimited'>): C {
  client.on(WebClientEvent.RATE_LIMITED, (seconds: number, { url }: { url?: unknown }) => metrics.slackRateLimited(methodOf(url), seconds));
  return client;
}

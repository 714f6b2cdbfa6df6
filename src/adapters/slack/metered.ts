/**
 * Counts a Web API client's calls by method and result, and the waits Slack asks for (HTTP 429): every
 * method of a WebClient goes through its `apiCall`, which this wraps on the one instance; the waits come
 * from the client's own `rate_limited` event. Methods are svcbot's own calls (a small fixed set).
 */
import { WebClientEvent, type WebClient } from '@slack/web-api';
import type { Metrics } from '../../ports/metrics.js';

/** The Web API client's error codes, as results (`slack_webapi_platform_error` → `platform_error`). */
function resultOf(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('slack_webapi_')) return code.slice('slack_webapi_'.length).replace(/_error$/, '');
  return 'error';
}

/** The Web API method a request URL names (`…/api/chat.postMessage` → `chat.postMessage`). */
function methodOf(url: unknown): string {
  const last = typeof url === 'string' ? url.split('?', 1)[0]?.split('/').pop() : undefined;
  return last && /^[a-zA-Z.]{1,64}$/.test(last) ? last : 'unknown';
}

export function meterSlackClient<C extends WebClient>(client: C, metrics: Pick<Metrics, 'slackRequest' | 'slackRateLimited'>): C {
  const apiCall = client.apiCall.bind(client);
  client.apiCall = async (method, options) => {
    try {
      const result = await apiCall(method, options);
      metrics.slackRequest(method, 'ok');
      return result;
    } catch (err) {
      metrics.slackRequest(method, resultOf(err));
      throw err;
    }
  };
  client.on(WebClientEvent.RATE_LIMITED, (seconds: number, { url }: { url?: unknown }) => metrics.slackRateLimited(methodOf(url), seconds));
  return client;
}

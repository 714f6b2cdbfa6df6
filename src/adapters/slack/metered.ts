/**
 * Counting svcbot's Slack Web API calls. A WebClient binds its methods to `apiCall` when it is built, so
 * wrapping `apiCall` afterwards sees none; what it does take is a `fetch` option, used for every HTTP
 * request it makes (and by Bolt for `respond()`). `meteredSlackFetch` wraps that fetch: each attempt to
 * Slack's Web API (retries included) is counted by method and answer (`svcbot_slack_requests_total`),
 * from the HTTP status and the body's `ok`/`error`; any other URL (a response_url) passes uncounted.
 * `meterSlackClient` also counts the waits Slack asks for (HTTP 429), from the client's own `rate_limited`
 * event. Label values stay bounded: methods from svcbot's own fixed set, error codes from a known set.
 */
import { WebClientEvent, type FetchFunction, type WebClient } from '@slack/web-api';
import type { Metrics } from '../../ports/metrics.js';

/** The Web API methods svcbot calls (its own and Bolt's); any other is counted as `unknown`. */
const METHODS = new Set(['auth.test', 'chat.postMessage', 'chat.postEphemeral', 'chat.update', 'conversations.history', 'conversations.replies', 'usergroups.users.list', 'users.info']);

/**
 * Slack error codes worth their own series: those svcbot's calls can meet and an operator would act on.
 * Any other is counted as `error`.
 */
const ERRORS = new Set([
  'account_inactive',
  'cant_update_message',
  'channel_not_found',
  'edit_window_closed',
  'fatal_error',
  'internal_error',
  'invalid_arguments',
  'invalid_auth',
  'invalid_blocks',
  'is_archived',
  'message_not_found',
  'missing_scope',
  'msg_too_long',
  'no_permission',
  'no_such_subteam',
  'no_text',
  'not_authed',
  'not_in_channel',
  'ratelimited',
  'request_timeout',
  'restricted_action',
  'service_unavailable',
  'token_expired',
  'token_revoked',
  'too_many_attachments',
  'user_not_found',
]);

/** The Web API method a request URL names under `apiUrl` (`…/api/chat.postMessage` → `chat.postMessage`), or undefined for another URL. */
export function slackMethodOf(url: string, apiUrl: string): string | undefined {
  const base = apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`;
  if (!url.startsWith(base)) return undefined;
  const method = url.slice(base.length).split('?', 1)[0] ?? '';
  return METHODS.has(method) ? method : 'unknown';
}

/** What a Web API request's answer is counted as: the HTTP status, then the body's `ok` and `error`. */
export function slackResultOf(status: number, body: unknown): string {
  if (status === 429) return 'rate_limited';
  // Slack's Web API answers 200 to everything else; a 5xx is Slack (or a proxy) failing.
  if (status !== 200) return `http_${Math.min(5, Math.max(1, Math.floor(status / 100)))}xx`;
  if (typeof body !== 'object' || body === null) return 'error';
  const { ok, error } = body as { ok?: unknown; error?: unknown };
  if (ok === true) return 'ok';
  return typeof error === 'string' && ERRORS.has(error) ? error : 'error';
}

/** What a request that got no answer is counted as. */
export function slackFailureOf(err: unknown): string {
  // The client's own deadline (`timeout`) aborts fetch with a DOMException named TimeoutError.
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'TimeoutError' ? 'timeout' : 'network';
}

/**
 * A fetch for WebClient (and Bolt's `clientOptions`) that counts each Web API request under `apiUrl`.
 * The answer's body is read from a copy before the client gets the response, so the count is in when the
 * call resolves.
 */
export function meteredSlackFetch(apiUrl: string, metrics: Pick<Metrics, 'slackRequest'>, inner: typeof fetch = globalThis.fetch): FetchFunction {
  return async (url, init) => {
    const method = slackMethodOf(String(url), apiUrl);
    if (method === undefined) return inner(url, init);
    let response: Response;
    try {
      response = await inner(url, init);
    } catch (err) {
      metrics.slackRequest(method, slackFailureOf(err));
      throw err;
    }
    const json = response.status === 200 && (response.headers.get('content-type') ?? '').includes('json');
    const body = json ? await response.clone().json().catch(() => undefined) : undefined;
    metrics.slackRequest(method, slackResultOf(response.status, body));
    return response;
  };
}

/** Counts the waits Slack asks `client` for (HTTP 429), by method: `svcbot_slack_rate_limited_total` and its seconds. */
export function meterSlackClient<C extends WebClient>(client: C, metrics: Pick<Metrics, 'slackRateLimited'>): C {
  client.on(WebClientEvent.RATE_LIMITED, (seconds: number, { url }: { url?: unknown }) =>
    metrics.slackRateLimited(typeof url === 'string' ? (slackMethodOf(url, client.slackApiUrl) ?? 'unknown') : 'unknown', seconds),
  );
  return client;
}

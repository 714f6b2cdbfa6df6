/**
 * Slack, as svcbot's composition root takes it: the chat (Bolt's HTTP receiver or Socket Mode, as the
 * ChatTransport port, with the Replies port over the app's Web API client) for the web side, and just the
 * Replies port (a Web API client with the bot token) for a worker, which answers no requests.
 */
import { WebClient, type WebClientOptions } from '@slack/web-api';
import type { HttpConfig, SlackConfig } from '../../config/index.js';
import type { ChatTransport } from '../../ports/chat.js';
import type { Logger } from '../../ports/logger.js';
import type { Replies } from '../../ports/replies.js';
import type { Directory } from '../../ports/directory.js';
import type { ReplayGuard } from '../../ports/replay-guard.js';
import type { ReadinessCheck } from '../../ports/health.js';
import type { Metrics } from '../../ports/metrics.js';
import { meteredSlackFetch, meterSlackClient } from './metered.js';
import { createSlackApp } from './app.js';
import { createHealthServer } from '../health/server.js';
import type { HttpRoute } from './receiver.js';
import { createSlackDirectory as directoryOver } from './directory.js';
import { createSlackReplies } from './replies.js';
import { createSendQueue } from './send-queue.js';
import type { SharedPace } from '../../ports/pace.js';
import { createSlackTransport } from './transport.js';

export interface SlackChatOptions {
  slack: SlackConfig;
  /** The HTTP receiver's limits (HTTP mode). */
  http: HttpConfig;
  /** Which signed requests were taken already (HTTP mode; shared by the web replicas through Redis). */
  replayGuard: ReplayGuard;
  /** The web port (0 = any free port): Slack's requests and the routes (HTTP mode), or the routes alone (Socket Mode). */
  port: number;
  logger: Logger;
  /** The routes served on the web port (next to Slack's endpoint in HTTP mode): health, readiness, metrics (default: `/healthz` alone). */
  routes?: readonly HttpRoute[];
  /** Where Slack calls and acknowledgement latency are counted (default: nowhere). */
  metrics?: Metrics;
  /** The pace shared with svcbot's other processes (Redis); default: this process's own. */
  pace?: SharedPace;
}

/** Without other routes: `/healthz` alone, next to Slack's endpoint (anything else is 404). */
const HEALTHZ_ONLY: readonly HttpRoute[] = [
  {
    path: '/healthz',
    method: 'GET',
    handler: (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"ok"}');
    },
  },
];

export function createSlackChat(options: SlackChatOptions): { transport: ChatTransport; replies: Replies } {
  const { metrics } = options;
  const routes = options.routes ?? HEALTHZ_ONLY;
  const { app, socket } = createSlackApp({ slack: options.slack, http: options.http, replayGuard: options.replayGuard, logger: options.logger, routes, ...(metrics ? { metrics } : {}) });
  // The app's client counts its calls through the fetch Bolt was given (createSlackApp); the waits, here.
  if (metrics) meterSlackClient(app.client, metrics);
  // Socket Mode: no HTTP receiver, so the routes get a server of their own on the web port (what the probes ask).
  const socketMode = socket ? { receiver: socket, probes: createHealthServer({ port: options.port, routes }) } : undefined;
  return {
    transport: createSlackTransport(app, { port: options.port, ...(socketMode ? { socketMode } : {}), logger: options.logger }),
    replies: createSlackReplies(repliesClient(options.slack, metrics), {}, createSendQueue({ pacing: options.slack.pacing, ...(options.pace ? { pace: options.pace } : {}) })),
  };
}

/**
 * A Web API client with the bot token on the configured API URL; with `metrics`, it counts each call
 * (`svcbot_slack_requests_total`) and each wait Slack asks for.
 */
function botClient(slack: SlackConfig, metrics: Metrics | undefined, options: Omit<WebClientOptions, 'slackApiUrl' | 'fetch'> = {}): WebClient {
  const client = new WebClient(slack.botToken, { ...options, slackApiUrl: slack.apiUrl, ...(metrics ? { fetch: meteredSlackFetch(slack.apiUrl, metrics) } : {}) });
  return metrics ? meterSlackClient(client, metrics) : client;
}

/**
 * The client of the Replies port: a 429 is handed back at once (`rejectRateLimitedCalls`) to the replies'
 * send queue, which pauses only the channel or method Slack refused. Left to itself the WebClient would
 * pause every call it makes for the Retry-After, endpoint messages of other channels included.
 */
function repliesClient(slack: SlackConfig, metrics: Metrics | undefined): WebClient {
  return botClient(slack, metrics, { rejectRateLimitedCalls: true });
}

/** The Replies port alone, for a process that answers no Slack requests (`svcbot worker`); `pace` as createSlackChat's. */
export function createSlackMessages(slack: SlackConfig, metrics?: Metrics, pace?: SharedPace): Replies {
  return createSlackReplies(repliesClient(slack, metrics), {}, createSendQueue({ pacing: slack.pacing, ...(pace ? { pace } : {}) }));
}

/**
 * Who people are, as Slack knows them (user groups for the policy, names for the audit trail), over a
 * Web API client of its own that does not retry for long: a policy decision must not wait minutes.
 */
export function createSlackDirectory(slack: SlackConfig, logger: Logger, metrics?: Metrics): Directory {
  const client = botClient(slack, metrics, { retryConfig: { retries: 1, factor: 1, minTimeout: 200, maxTimeout: 500 }, logger: silentSlackLogger });
  return directoryOver(client, { logger });
}

export type SlackTokenCheck = { ok: true; team: string | undefined; botUser: string | undefined } | { ok: false; problem: string };

/** Slack's answers that mean the token itself is wrong: trying again will not help. */
const REFUSED = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'no_permission', 'ekm_access_denied']);

/**
 * Checks the bot token with `auth.test` before svcbot starts: a token Slack refuses is a problem to report
 * (svcbot would otherwise start, then crash or fail every reply); a Slack API that cannot be reached is
 * tried again with backoff (1 s, 2 s … 30 s), each failed attempt logged in words, until it answers or
 * `signal` aborts (then the check says so).
 */
export async function checkSlackToken(
  slack: SlackConfig,
  logger: Logger,
  opts: { signal?: AbortSignal; sleep?: (ms: number) => Promise<void>; maxDelayMs?: number } = {},
): Promise<SlackTokenCheck> {
  // Not counted: it runs before svcbot (and its metrics) start, once.
  const client = botClient(slack, undefined, { retryConfig: { retries: 0 }, logger: silentSlackLogger });
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref()));
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await client.auth.test();
      return { ok: true, team: res.team, botUser: res.user };
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const refused = (err as { data?: { error?: unknown } }).data?.error;
      if (code === 'slack_webapi_platform_error' && typeof refused === 'string' && REFUSED.has(refused)) {
        return {
          ok: false,
          problem: `Slack refused SLACK_BOT_TOKEN (${refused}): use the Bot User OAuth Token (xoxb-…) from your Slack app's OAuth & Permissions page, and reinstall the app if it was revoked`,
        };
      }
      const why = typeof refused === 'string' ? refused : err instanceof Error ? err.message : String(err);
      const delayMs = Math.min(opts.maxDelayMs ?? 30_000, 1000 * 2 ** (attempt - 1));
      logger.warn({ attempt, slackApiUrl: slack.apiUrl }, `cannot reach Slack's API to check the bot token (${why}); trying again in ${Math.round(delayMs / 1000)} s`);
      if (opts.signal?.aborted) return { ok: false, problem: "stopped before Slack's API answered" };
      await Promise.race([sleep(delayMs), new Promise<void>((resolve) => opts.signal?.addEventListener('abort', () => resolve(), { once: true }))]);
      if (opts.signal?.aborted) return { ok: false, problem: "stopped before Slack's API answered" };
    }
  }
}

/**
 * Slack's verdict on the bot token, for the readiness probes: `auth.test`, asked at most once per `ttlMs`
 * (default 5 minutes) whatever the probes' rate. A token Slack refused is not ready; a Slack API that does
 * not answer leaves the last verdict standing (the token did not change), and is not ready only before
 * any verdict.
 */
export function createSlackAuthCheck(slack: SlackConfig, opts: { ttlMs?: number; now?: () => number; metrics?: Metrics } = {}): ReadinessCheck {
  const { ttlMs = 5 * 60_000, now = Date.now } = opts;
  const client = botClient(slack, opts.metrics, { retryConfig: { retries: 0 }, timeout: 5000, logger: silentSlackLogger });
  let verdict: { at: number; problem: string | undefined } | undefined;
  let asking: Promise<void> | undefined;

  async function ask(): Promise<void> {
    try {
      await client.auth.test();
      verdict = { at: now(), problem: undefined };
    } catch (err) {
      const refused = (err as { data?: { error?: unknown } }).data?.error;
      if ((err as { code?: unknown }).code === 'slack_webapi_platform_error' && typeof refused === 'string' && REFUSED.has(refused)) {
        verdict = { at: now(), problem: `Slack refused SLACK_BOT_TOKEN (${refused})` };
        return;
      }
      if (verdict) return;
      throw new Error(`Slack's API does not answer auth.test (${typeof refused === 'string' ? refused : err instanceof Error ? err.message : String(err)})`, { cause: err });
    }
  }

  return {
    name: 'slack',
    async check() {
      if (!verdict || now() - verdict.at >= ttlMs) {
        asking ??= ask().finally(() => {
          asking = undefined;
        });
        // With a verdict, it stands while the new one is asked for; without, this probe waits for the first.
        if (!verdict) await asking;
        else asking.catch(() => undefined);
      }
      if (verdict?.problem !== undefined) throw new Error(verdict.problem);
    },
  };
}

/** The WebClient's own logger, silenced: checkSlackToken says what happened, once per attempt. */
const silentSlackLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => 'error' as never,
  setName: () => undefined,
};

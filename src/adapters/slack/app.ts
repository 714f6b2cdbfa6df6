/**
 * The Bolt app: HTTP mode (slash commands and interactivity at POST /slack/events, through svcbot's own
 * receiver — src/adapters/slack/receiver.ts: signatures checked strictly, replays dropped, bodies capped,
 * slow clients cut) or Socket Mode when an app token is set. Web API calls go to the configured SLACK_API_URL.
 */
import { App, type CustomRoute } from '@slack/bolt';
import type { HttpConfig, SlackConfig } from '../../config/index.js';
import type { Logger } from '../../ports/logger.js';
import type { ReplayGuard } from '../../ports/replay-guard.js';
import type { Metrics } from '../../ports/metrics.js';
import { boltLogger } from './bolt-logger.js';
import { meteredSlackFetch } from './metered.js';
import { createSlackReceiver, type HttpRoute } from './receiver.js';

export const SLACK_EVENTS_PATH = '/slack/events';

export interface SlackAppOptions {
  slack: SlackConfig;
  /** The receiver's limits (HTTP mode). */
  http: HttpConfig;
  /** Which signed requests were taken already (HTTP mode). */
  replayGuard: ReplayGuard;
  logger: Logger;
  /** Extra HTTP routes (health, metrics) served next to Slack's endpoint (in Socket Mode, by Bolt's own server). */
  routes?: readonly HttpRoute[];
  /** Where the receiver measures acknowledgement latency (HTTP mode) and the app's client counts its Web API calls. */
  metrics?: Pick<Metrics, 'acknowledged' | 'slackRequest'>;
}

export function createSlackApp({ slack, http, replayGuard, logger, routes = [], metrics }: SlackAppOptions): App {
  // Every WebClient Bolt builds from these (its own, and any per workspace) counts its calls.
  const clientOptions = { slackApiUrl: slack.apiUrl, ...(metrics ? { fetch: meteredSlackFetch(slack.apiUrl, metrics) } : {}) };
  const log = boltLogger(logger);
  if (slack.socketMode) {
    const customRoutes: CustomRoute[] = routes.map((r) => ({ path: r.path, method: [r.method], handler: (req, res) => r.handler(req, res) }));
    return new App({
      token: slack.botToken,
      appToken: slack.appToken,
      socketMode: true,
      clientOptions,
      logger: log,
      customRoutes,
    });
  }
  const receiver = createSlackReceiver({
    signingSecret: slack.signingSecret ?? '',
    eventsPath: SLACK_EVENTS_PATH,
    routes,
    limits: http,
    replayGuard,
    logger,
    boltLogger: log,
    ...(metrics ? { metrics } : {}),
    // Acknowledge first, work after: the HTTP answer goes out as soon as a listener calls ack().
    unhandledRequestTimeoutMs: 2500,
  });
  return new App({ token: slack.botToken, receiver, clientOptions, logger: log });
}

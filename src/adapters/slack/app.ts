/**
 * The Bolt app: HTTP mode (slash commands and interactivity at POST /slack/events, through svcbot's own
 * receiver — src/adapters/slack/receiver.ts: signatures checked strictly, replays dropped, bodies capped,
 * slow clients cut) or Socket Mode when an app token is set. Web API calls go to the configured SLACK_API_URL.
 */
import { App, SocketModeReceiver } from '@slack/bolt';
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
  /** Extra HTTP routes (health, metrics) served next to Slack's endpoint (HTTP mode; in Socket Mode the transport's health server serves them). */
  routes?: readonly HttpRoute[];
  /** Where the receiver measures acknowledgement latency (HTTP mode) and the app's client counts its Web API calls. */
  metrics?: Pick<Metrics, 'acknowledged' | 'slackRequest'>;
}

/** The Bolt app, and in Socket Mode its receiver (whose client says when the socket is closed). */
export interface SlackApp {
  app: App;
  socket?: SocketModeReceiver;
}

export function createSlackApp({ slack, http, replayGuard, logger, routes = [], metrics }: SlackAppOptions): SlackApp {
  // Every WebClient Bolt builds from these (its own, and any per workspace) counts its calls.
  const clientOptions = { slackApiUrl: slack.apiUrl, ...(metrics ? { fetch: meteredSlackFetch(slack.apiUrl, metrics) } : {}) };
  const log = boltLogger(logger);
  if (slack.socketMode) {
    // No customRoutes: Bolt would serve them on its own port (3000), not PORT; the transport's health
    // server serves them on PORT. A copy of the options: the Socket Mode client sets its own retries in them.
    const socket = new SocketModeReceiver({ appToken: slack.appToken ?? '', logger: log, installerOptions: { clientOptions: { ...clientOptions } } });
    return { app: new App({ token: slack.botToken, receiver: socket, clientOptions, logger: log }), socket };
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
  return { app: new App({ token: slack.botToken, receiver, clientOptions, logger: log }) };
}

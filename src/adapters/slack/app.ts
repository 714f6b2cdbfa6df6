/**
 * The Bolt app: HTTP mode (slash commands and interactivity at POST /slack/events, every request's
 * signature verified with the signing secret and a 5-minute window) or Socket Mode when an app token is
 * set. Web API calls go to the configured SLACK_API_URL.
 */
import { App, HTTPReceiver, type CustomRoute } from '@slack/bolt';
import type { Logger } from '../../ports/logger.js';
import type { SlackConfig } from '../../config/index.js';
import { boltLogger } from './bolt-logger.js';

export const SLACK_EVENTS_PATH = '/slack/events';

export interface SlackAppOptions {
  slack: SlackConfig;
  logger: Logger;
  /** Extra HTTP routes (health, metrics) served next to Slack's endpoint in HTTP mode. */
  customRoutes?: CustomRoute[];
}

export function createSlackApp({ slack, logger, customRoutes = [] }: SlackAppOptions): App {
  const clientOptions = { slackApiUrl: slack.apiUrl };
  const log = boltLogger(logger);
  if (slack.socketMode) {
    return new App({
      token: slack.botToken,
      appToken: slack.appToken,
      socketMode: true,
      clientOptions,
      logger: log,
      customRoutes,
    });
  }
  const receiver = new HTTPReceiver({
    signingSecret: slack.signingSecret ?? '',
    endpoints: SLACK_EVENTS_PATH,
    // Acknowledge first, work after: the HTTP answer goes out as soon as a listener calls ack().
    processBeforeResponse: false,
    customRoutes,
    logger: log,
    unhandledRequestTimeoutMillis: 2500,
  });
  return new App({ token: slack.botToken, receiver, clientOptions, logger: log });
}

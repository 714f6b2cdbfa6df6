/**
 * Slack, as svcbot's composition root takes it: the chat (Bolt's HTTP receiver or Socket Mode, as the
 * ChatTransport port, with the Replies port over the app's Web API client) for the web side, and just the
 * Replies port (a Web API client with the bot token) for a worker, which answers no requests.
 */
import { type CustomRoute } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import type { SlackConfig } from '../../config/index.js';
import type { ChatTransport } from '../../ports/chat.js';
import type { Logger } from '../../ports/logger.js';
import type { Replies } from '../../ports/replies.js';
import { createSlackApp } from './app.js';
import { createSlackReplies } from './replies.js';
import { createSlackTransport } from './transport.js';

export interface SlackChatOptions {
  slack: SlackConfig;
  /** The HTTP port (HTTP mode; 0 = any free port). */
  port: number;
  logger: Logger;
}

/** Served next to Slack's endpoint in HTTP mode: the process answers HTTP. */
const healthRoutes: CustomRoute[] = [
  {
    path: '/healthz',
    method: ['GET'],
    handler: (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"ok"}');
    },
  },
];

export function createSlackChat(options: SlackChatOptions): { transport: ChatTransport; replies: Replies } {
  const app = createSlackApp({ slack: options.slack, logger: options.logger, customRoutes: healthRoutes });
  return {
    transport: createSlackTransport(app, { port: options.port, socketMode: options.slack.socketMode, logger: options.logger }),
    replies: createSlackReplies(app.client),
  };
}

/** The Replies port alone, for a process that answers no Slack requests (`svcbot worker`). */
export function createSlackMessages(slack: SlackConfig): Replies {
  return createSlackReplies(new WebClient(slack.botToken, { slackApiUrl: slack.apiUrl }));
}

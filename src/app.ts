/**
 * Composition root: configuration -> clients -> adapters -> operations -> handlers -> the Slack app.
 * The only module that wires concrete implementations together.
 */
import type { CustomRoute } from '@slack/bolt';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { registerButtons } from '../handlers/buttons.js';
import { makeCommandHandler, type CommandHandler } from '../handlers/command.js';
import { registerSlashCommand } from '../handlers/slash-command.js';
import { createClusterRegistry, type ClusterClientFactories } from './adapters/clusters.js';
import { createSlackApp } from './adapters/slack/app.js';
import type { Config } from './config.js';
import { makeOperations } from './domain/operations.js';

export interface RunningApp {
  /** The HTTP port Slack's requests arrive on (HTTP mode), or undefined in Socket Mode. */
  port: number | undefined;
  stop(): Promise<void>;
}

/** How clients are made; the defaults read the configured files and the AWS SDK's standard chain. */
export type AppOverrides = ClusterClientFactories;

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

/**
 * The command handler over the configured clusters: what both Slack and the console run.
 * `close()` releases the clients.
 */
export function createCommandHandling(
  config: Config,
  logger: Logger,
  overrides: AppOverrides = {},
): { handle: CommandHandler; clusterNames: readonly string[]; close: () => void } {
  const clusters = createClusterRegistry(config.clusters, overrides);
  const handle = makeCommandHandler({ operations: makeOperations({ clusters }), commandName: config.slack.command, logger });
  return { handle, clusterNames: clusters.names, close: () => clusters.close() };
}

export async function startApp(config: Config, logger: Logger, overrides: AppOverrides = {}): Promise<RunningApp> {
  const commandName = config.slack.command;
  const { handle, clusterNames, close } = createCommandHandling(config, logger, overrides);

  const app = createSlackApp({ slack: config.slack, logger, customRoutes: healthRoutes });
  registerSlashCommand(app, { commandName, handle, logger });
  registerButtons(app, { handle, logger });

  const started: unknown = await app.start(config.port);
  const port = config.slack.socketMode ? undefined : ((started as Server).address() as AddressInfo).port;
  logger.info(
    { port, socketMode: config.slack.socketMode, command: commandName, clusters: clusterNames },
    'svcbot is listening for %s',
    commandName,
  );
  return {
    port,
    async stop() {
      await app.stop();
      close();
    },
  };
}

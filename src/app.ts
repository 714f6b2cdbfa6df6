/**
 * Composition root: configuration -> clients -> adapters -> operations -> handlers -> the Slack app.
 * The only module that wires concrete implementations together.
 */
import type { CustomRoute } from '@slack/bolt';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { registerButtons } from '../handlers/buttons.js';
import { makeCommandHandler } from '../handlers/command.js';
import { registerSlashCommand } from '../handlers/slash-command.js';
import { createClusterRegistry } from './adapters/clusters.js';
import { createSlackApp } from './adapters/slack/app.js';
import type { ClusterConfig, Config } from './config.js';
import { makeOperations } from './domain/operations.js';

export interface RunningApp {
  /** The HTTP port Slack's requests arrive on (HTTP mode), or undefined in Socket Mode. */
  port: number | undefined;
  stop(): Promise<void>;
}

export interface AppOverrides {
  /** How each configured cluster's kubeconfig is loaded (tests and the console load the sandbox's). */
  loadKubeConfig?: (cluster: ClusterConfig) => k8s.KubeConfig;
}

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

export async function startApp(config: Config, logger: Logger, overrides: AppOverrides = {}): Promise<RunningApp> {
  const clusters = createClusterRegistry(config.clusters, overrides.loadKubeConfig);
  const commandName = config.slack.command;
  const handle = makeCommandHandler({ operations: makeOperations({ clusters }), commandName, logger });

  const app = createSlackApp({ slack: config.slack, logger, customRoutes: healthRoutes });
  registerSlashCommand(app, { commandName, handle, logger });
  registerButtons(app, { handle, logger });

  const started: unknown = await app.start(config.port);
  const port = config.slack.socketMode ? undefined : ((started as Server).address() as AddressInfo).port;
  logger.info(
    { port, socketMode: config.slack.socketMode, command: commandName, clusters: clusters.names },
    'svcbot is listening for %s',
    commandName,
  );
  return {
    port,
    async stop() {
      await app.stop();
      clusters.close();
    },
  };
}

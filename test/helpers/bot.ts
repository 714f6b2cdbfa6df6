/**
 * svcbot wired as in production (startApp), against the sandbox and a local Slack stand-in: what the
 * end-to-end tests drive with signed HTTP requests.
 */
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import * as k8s from '@kubernetes/client-node';
import { Writable } from 'node:stream';
import { startApp, type RunningApp } from '../../src/app.js';
import { loadConfig, type ClusterConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index.js';
import { postSigned, slashCommandBody } from './slack-request.js';
import { startSlackStub, type SlackStub } from './slack-stub.js';

export const SIGNING_SECRET = 'e2e-signing-secret';
export const BOT_TOKEN = 'xoxb-e2e-token';

export interface BotUnderTest {
  app: RunningApp;
  sandbox: Sandbox;
  slack: SlackStub;
  eventsUrl: string;
  logs: () => string;
  /** Sends `/svc TEXT` as Slack would; resolves with the HTTP answer (the ack). */
  command(text: string, fields?: { user_id?: string; channel_id?: string; responseId?: string }): Promise<{ status: number; text: string; ms: number; responseId: string }>;
  stop(): Promise<void>;
}

let responseCounter = 0;

export async function startBot(
  opts: {
    sandbox?: SandboxOptions;
    env?: Record<string, string>;
    /** An SVCBOT_CONFIG YAML file's content (e.g. a `clusters:` list). */
    yaml?: string;
    /** Kubeconfig YAML per configured cluster name; the others get the sandbox's. */
    kubeconfigs?: Record<string, string>;
  } = {},
): Promise<BotUnderTest> {
  const sandbox = await startSandbox({ kubeconfigPath: null, provisionDelayMs: 50, dnsDelayMs: 200, instanceWarmupMs: 50, ...opts.sandbox });
  const slack = await startSlackStub();
  const config = loadConfig(
    {
    ...(opts.yaml ? { SVCBOT_CONFIG: '/virtual/svcbot.yaml' } : {}),
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    PORT: '0',
    CLUSTER_NAME: sandbox.info.clusterName,
    AWS_REGION: sandbox.info.region,
    LOG_LEVEL: 'debug',
    ...opts.env,
    },
    () => opts.yaml ?? '',
  );
  let logText = '';
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      logText += chunk.toString();
      done();
    },
  });
  const logger = createLogger({ level: 'debug', destination });
  const app = await startApp(config, logger, {
    loadKubeConfig: (cluster: ClusterConfig) => {
      const kc = new k8s.KubeConfig();
      kc.loadFromString(opts.kubeconfigs?.[cluster.name] ?? sandbox.kubeconfigYaml);
      return kc;
    },
    createElbClient: (cluster) =>
      new ElasticLoadBalancingClient({
        region: cluster.region ?? sandbox.info.region,
        endpoint: sandbox.info.elbEndpoint,
        credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
        maxAttempts: 1,
      }),
  });
  const eventsUrl = `http://127.0.0.1:${app.port}/slack/events`;
  return {
    app,
    sandbox,
    slack,
    eventsUrl,
    logs: () => logText,
    async command(text, fields = {}) {
      const responseId = fields.responseId ?? `r${++responseCounter}`;
      const body = slashCommandBody({
        text,
        response_url: slack.responseUrl(responseId),
        ...(fields.user_id ? { user_id: fields.user_id } : {}),
        ...(fields.channel_id ? { channel_id: fields.channel_id } : {}),
      });
      return { ...(await postSigned(eventsUrl, body, SIGNING_SECRET)), responseId };
    },
    async stop() {
      await app.stop();
      await slack.close();
      await sandbox.close();
    },
  };
}

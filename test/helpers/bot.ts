/**
 * svcbot wired as in production (startApp), against the sandbox and a local Slack stand-in: what the
 * end-to-end tests drive with signed HTTP requests.
 */
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import * as k8s from '@kubernetes/client-node';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Writable } from 'node:stream';
import { startApp, type JobOverrides, type RunningApp } from '../../src/app.js';
import { loadConfig, type ClusterConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/logger.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../sandbox/index.js';
import { postSigned, slashCommandBody } from './slack-request.js';
import { startSlackStub, type SlackStub } from './slack-stub.js';

export const SIGNING_SECRET = 'e2e-signing-secret';
export const BOT_TOKEN = 'xoxb-e2e-token';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const JOB_QUEUE = 'lb-jobs';

export interface BotUnderTest {
  app: RunningApp;
  sandbox: Sandbox;
  slack: SlackStub;
  eventsUrl: string;
  /** The BullMQ key prefix of this bot's load-balancer jobs (its own; removed by stop()). */
  queuePrefix: string;
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
    /** Load-balancer job settings over the fast test ones; `false` runs without jobs (changes made directly). */
    jobs?: Partial<JobOverrides> | false;
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
    DNS_SERVERS: sandbox.info.dnsServer,
    REDIS_URL,
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
  const queuePrefix = `svcbot-test-${Math.random().toString(36).slice(2, 10)}`;
  const jobs: JobOverrides | false =
    opts.jobs === false
      ? false
      : {
          prefix: queuePrefix,
          queueName: JOB_QUEUE,
          timeoutMs: 20_000,
          maxParkMs: 2000,
          progressIntervalMs: 200,
          rates: { dnsPerSecond: 200, elbPerSecond: 50, kubePerSecond: 50 },
          watchBackoffMs: { min: 20, max: 200 },
          graceMs: 500,
          ...opts.jobs,
        };
  const app = await startApp(config, logger, {
    jobs,
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
    queuePrefix,
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
      if (jobs !== false) await removeQueue(config.redisUrl, queuePrefix);
      await slack.close();
      await sandbox.close();
    },
  };
}

/** Removes this bot's queue and every key under its prefix (nothing else of the shared Redis). */
async function removeQueue(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: true, connectTimeout: 1000, disconnectTimeout: 200 });
  redis.on('error', () => {
    // An unreachable Redis (the test pointed REDIS_URL at a closed port): nothing was made there.
  });
  try {
    await redis.ping();
  } catch {
    redis.disconnect();
    return;
  }
  const queue = new Queue(JOB_QUEUE, { connection: redis, prefix });
  await queue.obliterate({ force: true });
  await queue.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}

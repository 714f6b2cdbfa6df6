/**
 * svcbot wired as in production (createSlackAdapters + startSvcbot), against the sandbox and a local Slack
 * stand-in: what the end-to-end tests drive with signed HTTP requests. Job settings come the one way
 * svcbot takes options, through its configuration (short waits, a Redis key prefix of its own).
 *
 * Several bots can act as the processes of one deployment, or as one process and its restart: each may
 * use a sandbox and a Slack stand-in it was given (`use`; then they are the giver's to close), run under
 * another bot's Redis key prefix (`redisPrefix`), and leave the keys under it when it stops (`keepKeys`),
 * for the next bot — the last one to stop removes them.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import { createSlackAdapters, endpointClients, startSvcbot, type RunningSvcbot } from '../../src/app.js';
import { DEFAULT_QUEUE_NAME } from '../../src/adapters/queue/bullmq-queue.js';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/logger.js';
import { sandboxDefaults, startSandbox, type Sandbox, type SandboxOptions } from '../../sandbox/index.js';
import { blockActionsBody, postSigned, slashCommandBody } from './slack-request.js';
import { startSlackStub, type SlackStub } from './slack-stub.js';
import { startSlackSocketStub, type SlackSocketStub } from './slack-socket-stub.js';
import type { BotRedis } from './bot-redis.js';

export const SIGNING_SECRET = 'e2e-signing-secret';
export const BOT_TOKEN = 'xoxb-e2e-token';
export const APP_TOKEN = 'xapp-1-A1-e2e-token';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Job settings for tests: short waits, a fast progress message, a short shutdown grace. */
const FAST_JOBS: Record<string, string> = {
  JOB_TIMEOUT: '20s',
  JOB_RECHECK_INTERVAL: '2s',
  JOB_PROGRESS_INTERVAL: '200ms',
  JOB_SHUTDOWN_GRACE: '500ms',
  DNS_PROBE_RATE: '200',
  ELB_API_RATE: '50',
};

/**
 * A command's retries of a failing cluster end after 2 s in tests: a test of a failing cluster answers
 * quickly, and (the notice coming only after 2.5 s) with no "still trying" before it.
 */
const FAST_RETRIES: Record<string, string> = { COMMAND_RETRY_BUDGET: '2s' };

/** Nothing waits for approval (the settings' YAML paths, for loadConfig's `defaults`). */
export const NO_APPROVALS = {
  'policy.approval.needs.createLoadBalancer': false,
  'policy.approval.needs.deleteLoadBalancer': false,
  'policy.approval.needs.deleteNodePort': false,
  'policy.approval.needs.allowIngress': false,
};

export interface BotUnderTest {
  app: RunningSvcbot;
  sandbox: Sandbox;
  slack: SlackStub;
  /** Socket Mode's stand-in (`socketMode: true`), over `slack`: how a test sends commands and button presses then. */
  socket: SlackSocketStub | undefined;
  /** Slack's HTTP endpoint (HTTP mode; in Socket Mode the port serves the probes alone). */
  eventsUrl: string;
  /** The Redis key prefix of everything this bot keeps in Redis: jobs, approval requests, the audit log (removed by stop() unless `keepKeys`). */
  queuePrefix: string;
  /** The Redis it keeps them in (REDIS_URL). */
  redisUrl: string;
  logs: () => string;
  /** Sends `/svc TEXT` as Slack would; resolves with the HTTP answer (the ack). */
  command(text: string, fields?: { user_id?: string; channel_id?: string; responseId?: string }): Promise<{ status: number; text: string; ms: number; responseId: string }>;
  /** Presses a button as Slack would (a signed block_actions payload); resolves with the HTTP answer (the ack). */
  press(actionId: string, value: string, fields: { user_id: string; channel_id?: string; message_ts?: string; responseId?: string }): Promise<{ status: number; text: string; ms: number; responseId: string }>;
  stop(): Promise<void>;
}

let responseCounter = 0;

const repoRoot = resolve(import.meta.dirname, '../..');

/**
 * manifests/'s RBAC and IAM policy, as the sandbox enforces them on svcbot: a call svcbot makes without a
 * grant there fails the test that makes it.
 */
const MANIFEST_PERMISSIONS = {
  rbac: { yaml: readFileSync(resolve(repoRoot, 'manifests/rbac/cluster-wide/rbac.yaml'), 'utf8'), as: 'system:serviceaccount:svcbot:svcbot' },
  iamPolicy: manifestIamPolicy(sandboxDefaults.clusterName),
} satisfies SandboxOptions;

/** manifests/iam-policy.json with its CLUSTER_NAME placeholder filled in, as the install's steps say. */
function manifestIamPolicy(clusterName: string): string {
  return readFileSync(resolve(repoRoot, 'manifests/iam-policy.json'), 'utf8').replaceAll('CLUSTER_NAME', clusterName);
}

/**
 * A sandbox with the short delays of the end-to-end tests (what startBot starts unless given one),
 * enforcing manifests/'s RBAC and IAM policy on svcbot's kubeconfig and ELB credentials. A test that
 * needs another identity opts out explicitly (`{ rbac: undefined, iamPolicy: undefined }`).
 */
export function startBotSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const permissions = options.clusterName === undefined ? MANIFEST_PERMISSIONS : { ...MANIFEST_PERMISSIONS, iamPolicy: manifestIamPolicy(options.clusterName) };
  return startSandbox({ kubeconfigPath: null, provisionDelayMs: 50, dnsDelayMs: 200, instanceWarmupMs: 50, ...permissions, ...options });
}

/** A new Redis key prefix of a test's own. */
export function newRedisPrefix(): string {
  return `svcbot-test-${Math.random().toString(36).slice(2, 10)}`;
}

export async function startBot(
  opts: {
    /** Options of the sandbox startBot starts (not with `use.sandbox`). */
    sandbox?: SandboxOptions;
    /** Runs on these instead of starting its own; stop() leaves them running (they are the caller's to close). */
    use?: { sandbox?: Sandbox; slack?: SlackStub };
    /** Runs under this Redis key prefix (another bot's: the same jobs, approval requests and audit log). Default: a new one. */
    redisPrefix?: string;
    /** `true`: stop() leaves the keys under the prefix, for a bot that runs on (or starts next) under it. */
    keepKeys?: boolean;
    /** Keeps its state there (e.g. a Redis Cluster: test/helpers/bot-redis.ts). Default: the shared Redis at REDIS_URL. */
    redis?: BotRedis;
    /** Settings over the test ones (environment variables, as svcbot reads them). */
    env?: Record<string, string>;
    /** An SVCBOT_CONFIG YAML file's content (e.g. a `clusters:` list). */
    yaml?: string;
    /** Kubeconfig YAML per configured cluster name; the others get the sandbox's. */
    kubeconfigs?: Record<string, string>;
    /** How long the nodes' security groups are reused (ms; svcbot's default 30 s). */
    securityGroupCacheMs?: number;
    /** `false` runs without load-balancer jobs (no Redis; changes made directly). */
    jobs?: false;
    /** `false`: nothing waits for approval (tests of what changes do, not of approvals). Default: the policy's defaults. */
    approvals?: false;
    /**
     * `true`: stop() accepts requests the sandbox's RBAC or IAM policy refused while this bot ran. By
     * default it throws listing them: under manifests/'s permissions each one is a missing grant.
     */
    refusalsExpected?: true;
    /**
     * `true`: Socket Mode (SLACK_APP_TOKEN, no signing secret) over a Socket Mode stand-in it starts on the
     * Slack stand-in (closed by stop()); commands and button presses go through `socket`.
     */
    socketMode?: true;
  } = {},
): Promise<BotUnderTest> {
  const sandbox = opts.use?.sandbox ?? (await startBotSandbox(opts.sandbox));
  const refusalsBefore = sandbox.refusals.length;
  const slack = opts.use?.slack ?? (await startSlackStub());
  const socket = opts.socketMode ? await startSlackSocketStub(slack) : undefined;
  const queuePrefix = opts.redisPrefix ?? newRedisPrefix();
  const config = loadConfig(
    {
      ...(opts.yaml ? { SVCBOT_CONFIG: '/virtual/svcbot.yaml' } : {}),
      SLACK_BOT_TOKEN: BOT_TOKEN,
      ...(opts.socketMode ? { SLACK_APP_TOKEN: APP_TOKEN } : { SLACK_SIGNING_SECRET: SIGNING_SECRET }),
      SLACK_API_URL: slack.apiUrl,
      PORT: '0',
      CLUSTER_NAME: sandbox.info.clusterName,
      AWS_REGION: sandbox.info.region,
      DNS_SERVERS: sandbox.info.dnsServer,
      REDIS_URL,
      REDIS_PREFIX: queuePrefix,
      LOG_LEVEL: 'debug',
      ...FAST_JOBS,
      ...FAST_RETRIES,
      // svcbot paces its messages to Slack's rates only against a stand-in that enforces them: tests
      // of other things post faster than Slack would take.
      SLACK_PACING: String(slack.enforcesLimits),
      ...opts.redis?.env,
      ...opts.env,
    },
    () => opts.yaml ?? '',
    opts.approvals === false ? { defaults: NO_APPROVALS } : {},
  );
  let logText = '';
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      logText += chunk.toString();
      done();
    },
  });
  const logger = createLogger({ level: 'debug', destination });
  const clientsFor = (kubeconfigYaml: string) =>
    endpointClients({ kubeconfigYaml, elbEndpoint: sandbox.info.elbEndpoint, ec2Endpoint: sandbox.info.ec2Endpoint, region: sandbox.info.region });
  const adapters = createSlackAdapters(config, logger, {
    role: 'both',
    jobs: opts.jobs === false ? false : 'redis',
    clients: {
      createElbClient: clientsFor(sandbox.kubeconfigYaml).createElbClient!,
      createElbV2Client: clientsFor(sandbox.kubeconfigYaml).createElbV2Client!,
      createEc2Client: clientsFor(sandbox.kubeconfigYaml).createEc2Client!,
      ...(opts.securityGroupCacheMs === undefined ? {} : { securityGroupCacheMs: opts.securityGroupCacheMs }),
      loadKubeConfig: (cluster) => clientsFor(opts.kubeconfigs?.[cluster.name] ?? sandbox.kubeconfigYaml).loadKubeConfig!(cluster),
    },
  });
  const app = await startSvcbot(config, adapters, 'both').catch(async (err: unknown) => {
    await socket?.close();
    throw err;
  });
  const eventsUrl = `http://127.0.0.1:${app.port}/slack/events`;
  return {
    app,
    sandbox,
    slack,
    socket,
    eventsUrl,
    queuePrefix,
    redisUrl: config.redisUrl,
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
    async press(actionId, value, fields) {
      const responseId = fields.responseId ?? `r${++responseCounter}`;
      const body = blockActionsBody({
        action_id: actionId,
        value,
        user_id: fields.user_id,
        ...(fields.channel_id ? { channel_id: fields.channel_id } : {}),
        ...(fields.message_ts ? { message_ts: fields.message_ts } : {}),
        response_url: slack.responseUrl(responseId),
      });
      return { ...(await postSigned(eventsUrl, body, SIGNING_SECRET)), responseId };
    },
    async stop() {
      await app.stop();
      if (opts.jobs !== false && opts.keepKeys !== true) await (opts.redis ? opts.redis.removeKeys(queuePrefix) : removeBotKeys(queuePrefix, config.redisUrl));
      await socket?.close();
      if (opts.use?.slack === undefined) await slack.close();
      const refused = sandbox.refusals.slice(refusalsBefore);
      if (opts.use?.sandbox === undefined) await sandbox.close();
      if (refused.length > 0 && opts.refusalsExpected !== true) {
        throw new Error(`the sandbox refused svcbot ${refused.length} request(s) under the enforced RBAC / IAM policy (a missing grant in manifests/?):\n${[...new Set(refused)].join('\n')}`);
      }
    },
  };
}

/**
 * Removes the queue and every key under `prefix` (nothing else of the shared Redis): what stop() does,
 * for a test whose bots all kept their keys (or did not get to stop).
 */
export async function removeBotKeys(prefix: string, redisUrl: string = REDIS_URL): Promise<void> {
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
  const queue = new Queue(DEFAULT_QUEUE_NAME, { connection: redis, prefix });
  await queue.obliterate({ force: true });
  await queue.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}

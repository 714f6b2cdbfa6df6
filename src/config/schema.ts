/**
 * The configuration schema: the raw settings in their YAML shape (the environment already merged
 * in, see src/config/index.ts) -> zod, field by field with the parsers of src/config/fields.ts ->
 * the rules across clusters and the policy's (src/config/policy.ts) -> `toConfig`, which builds the
 * `Config` the rest of svcbot sees.
 * Unknown keys are problems (strict objects), so a typo in the YAML file does not go unnoticed.
 */
import { z } from 'zod';
import {
  apiUrl,
  boolean,
  byteSize,
  clusterName,
  command,
  context,
  defaultValue,
  dnsServerEntry,
  duration,
  field,
  fieldWithDefault,
  integer,
  isLabel,
  isPlainObject,
  kubeconfig,
  list,
  logLevel,
  mapping,
  namespace,
  port,
  redisPrefix,
  redisUrl,
  redisNodeEntry,
  redisSentinelName,
  redisUsername,
  region,
  requiredLabel,
  secretText,
  token,
} from './fields.js';
import { orphansSchema } from './orphans.js';
import { DEFAULT_PRICES, DEFAULT_V2_PRICES, allowSchema, approvalSchema, auditSchema, checkPolicy, costsSchema, needsSchema, policySchema, ruleSchema, toPolicy } from './policy.js';
import type { ClusterConfig, Config } from './types.js';

/** An empty list would be a cluster svcbot may do nothing in: a mistake worth saying. */
const NO_NAMESPACES = 'must list at least one namespace (or leave it out: every namespace)';

const clusterEntrySchema = z.strictObject(
  {
    name: field(requiredLabel),
    context: field(context),
    kubeconfig: field(kubeconfig),
    region: field(region),
    clusterName: field(clusterName),
    namespaces: z.array(field(namespace), list).min(1, NO_NAMESPACES).optional(),
  },
  mapping,
);

const slackSchema = z.strictObject(
  {
    botToken: field(token('xoxb-')),
    signingSecret: field(secretText),
    appToken: field(token('xapp-')),
    apiUrl: fieldWithDefault('slack.apiUrl', apiUrl),
    pacing: fieldWithDefault('slack.pacing', boolean),
    // 0 s: a result never waits for its progress message; over a minute, a busy channel's result waits with its queue.
    threadWait: fieldWithDefault('slack.threadWait', duration(0, 60_000, '0s, 2s or 5s')),
    command: fieldWithDefault('slack.command', command),
  },
  mapping,
);

const jobsSchema = z.strictObject(
  {
    timeout: fieldWithDefault('jobs.timeout', duration(10_000, 24 * 3_600_000)),
    concurrency: fieldWithDefault('jobs.concurrency', integer(1, 1000)),
    lockTimeout: fieldWithDefault('jobs.lockTimeout', duration(500, 10 * 60_000)),
    recheckInterval: fieldWithDefault('jobs.recheckInterval', duration(1000, 3_600_000)),
    heartbeatInterval: fieldWithDefault('jobs.heartbeatInterval', duration(300, 10 * 60_000)),
    queueShards: fieldWithDefault('jobs.queueShards', integer(1, 256)),
    progressInterval: fieldWithDefault('jobs.progressInterval', duration(100, 60_000, '500ms, 1s or 2s')),
    // At most 8 s: after SIGTERM svcbot must exit within 10 s, closing Redis included.
    shutdownGrace: fieldWithDefault('jobs.shutdownGrace', duration(0, 8000, '0s, 2s or 5s')),
    dnsQueriesPerSecond: fieldWithDefault('jobs.dnsQueriesPerSecond', integer(1, 100_000)),
    elbCallsPerSecond: fieldWithDefault('jobs.elbCallsPerSecond', integer(1, 10_000)),
    answerCheck: fieldWithDefault('jobs.answerCheck', boolean),
    answerProbesPerSecond: fieldWithDefault('jobs.answerProbesPerSecond', integer(1, 10_000)),
  },
  mapping,
);

// Slack sends a whole request within a second or two, and payloads far under 1 MB.
const httpSchema = z.strictObject(
  {
    bodyLimit: fieldWithDefault('http.bodyLimit', byteSize(4096, 16 * 1024 * 1024)),
    headersTimeout: fieldWithDefault('http.headersTimeout', duration(500, 120_000, '2s, 5s or 10s')),
    requestTimeout: fieldWithDefault('http.requestTimeout', duration(500, 300_000, '5s, 10s or 30s')),
    keepAliveTimeout: fieldWithDefault('http.keepAliveTimeout', duration(100, 300_000, '1s, 5s or 60s')),
    maxConnectionsPerClient: fieldWithDefault('http.maxConnectionsPerClient', integer(1, 100_000)),
    maxUnverifiedBodies: fieldWithDefault('http.maxUnverifiedBodies', integer(1, 10_000)),
  },
  mapping,
);

const kubeSchema = z.strictObject(
  {
    retryDeadline: fieldWithDefault('kube.retryDeadline', duration(0, 5 * 60_000, '0s, 10s or 30s')),
    // Well within the 30 minutes of Slack's response_url, and a command should answer long before.
    commandRetryBudget: fieldWithDefault('kube.commandRetryBudget', duration(0, 10 * 60_000, '0s, 25s or 1m')),
  },
  mapping,
);

type RawConfig = z.output<typeof rawSchema>;

const rawSchema = z.strictObject(
  {
    slack: slackSchema.prefault(() => ({})),
    jobs: jobsSchema.prefault(() => ({})),
    http: httpSchema.prefault(() => ({})),
    kube: kubeSchema.prefault(() => ({})),
    port: fieldWithDefault('port', port),
    healthPort: fieldWithDefault('healthPort', port),
    redisUrl: fieldWithDefault('redisUrl', redisUrl),
    redisPrefix: fieldWithDefault('redisPrefix', redisPrefix),
    redisClusterNodes: z.array(redisNodeEntry, list).optional(),
    redisSentinels: z.array(redisNodeEntry, list).optional(),
    redisSentinelName: fieldWithDefault('redisSentinelName', redisSentinelName),
    redisUsername: field(redisUsername),
    redisPassword: field(secretText),
    redisTls: fieldWithDefault('redisTls', boolean),
    redisSentinelPassword: field(secretText),
    redisSentinelTls: fieldWithDefault('redisSentinelTls', boolean),
    dnsServers: z.array(dnsServerEntry, list).optional(),
    logLevel: fieldWithDefault('logLevel', logLevel),
    kubeconfig: field(kubeconfig),
    // Without a default here: each cluster entry inherits the top-level value, set or not.
    clusterName: field(clusterName),
    awsRegion: field(region),
    // The default of every cluster entry without its own.
    namespaces: z.array(field(namespace), list).min(1, NO_NAMESPACES).optional(),
    clusters: z.array(clusterEntrySchema, list).min(1, 'must list at least one cluster (or leave it out for the default one)').optional(),
    policy: policySchema.prefault(() => ({})),
    audit: auditSchema.prefault(() => ({})),
    costs: costsSchema.prefault(() => ({})),
    orphans: orphansSchema.prefault(() => ({})),
  },
  mapping,
);

/** The mappings in the configuration, by where they are (`[]` for any entry of a list). */
const MAPPINGS: Readonly<Record<string, { shape: object }>> = {
  '': rawSchema,
  slack: slackSchema,
  jobs: jobsSchema,
  http: httpSchema,
  kube: kubeSchema,
  'clusters[]': clusterEntrySchema,
  policy: policySchema,
  'policy.rules[]': ruleSchema,
  'policy.approval': approvalSchema,
  'policy.approval.needs': needsSchema,
  'policy.allow': allowSchema,
  audit: auditSchema,
  costs: costsSchema,
  orphans: orphansSchema,
};

/** The keys a mapping at `keys` may hold (for "did you mean" on an unknown one). */
export function knownKeys(keys: readonly PropertyKey[]): string[] {
  const where = keys.map((k) => (typeof k === 'number' ? '[]' : `.${String(k)}`)).join('').replace(/^\./, '');
  const schema = MAPPINGS[where];
  return schema ? Object.keys(schema.shape) : [];
}

const DEFAULT_CLUSTER_NAME = defaultValue('clusterName', clusterName);

/** The settings of each cluster after applying the top-level defaults. */
function resolveClusters(raw: {
  kubeconfig: string | undefined;
  clusterName: string | undefined;
  awsRegion: string | undefined;
  namespaces?: readonly string[] | undefined;
  clusters?: readonly Partial<Record<keyof ClusterConfig, unknown>>[] | undefined;
}): ClusterConfig[] {
  const topClusterName = raw.clusterName ?? DEFAULT_CLUSTER_NAME;
  if (raw.clusters === undefined) {
    return [
      {
        name: isLabel(topClusterName) ? topClusterName : 'default',
        context: undefined,
        kubeconfig: raw.kubeconfig,
        region: raw.awsRegion,
        clusterName: topClusterName,
        namespaces: namespacesOf(raw.namespaces),
      },
    ];
  }
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return raw.clusters.map((c) => ({
    name: str(c.name) ?? '',
    context: str(c.context),
    kubeconfig: str(c.kubeconfig) ?? raw.kubeconfig,
    region: str(c.region) ?? raw.awsRegion,
    clusterName: str(c.clusterName) ?? topClusterName,
    namespaces: namespacesOf(c.namespaces) ?? namespacesOf(raw.namespaces),
  }));
}

/** A namespaces setting as the cluster keeps it: sorted, each once; undefined for every namespace. */
function namespacesOf(value: unknown): readonly string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const names = value.filter((v): v is string => typeof v === 'string');
  return names.length === 0 ? undefined : [...new Set(names)].sort();
}

const CROSS = { crossCheck: true };

/**
 * Rules across clusters. Runs even when single fields failed, so every problem is reported at once;
 * a field that failed its own check holds zod's "aborted" marker here instead of a string, and rules
 * that depend on such a field are skipped (its own problem is already reported).
 */
function checkClusters(value: unknown, ctx: z.RefinementCtx): void {
  if (!isPlainObject(value) || !Array.isArray(value.clusters)) return;
  const entries = (value.clusters as unknown[]).map((c) => (isPlainObject(c) ? c : undefined));
  const valid = (obj: Record<string, unknown>, keys: readonly string[]) =>
    keys.every((k) => obj[k] === undefined || typeof obj[k] === 'string');
  const topValid = valid(value, ['kubeconfig', 'clusterName', 'awsRegion']);
  const clusters = resolveClusters({
    kubeconfig: value.kubeconfig as string | undefined,
    clusterName: value.clusterName as string | undefined,
    awsRegion: value.awsRegion as string | undefined,
    clusters: entries.map((e) => e ?? {}),
  });
  const byName = new Map<string, number>();
  const byTarget = new Map<string, number>();
  const byTag = new Map<string, number>();
  clusters.forEach((c, i) => {
    const entry = entries[i];
    if (!entry) return;
    if (typeof entry.name === 'string') {
      const first = byName.get(c.name);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', params: CROSS, path: ['clusters', i, 'name'], message: `duplicate cluster name '${c.name}' (also clusters[${first}])` });
      } else byName.set(c.name, i);
    }
    if (!topValid || !valid(entry, ['context', 'kubeconfig', 'region', 'clusterName'])) return;
    if (c.kubeconfig === undefined && c.context !== undefined) {
      ctx.addIssue({
        code: 'custom',
        params: CROSS,
        path: ['clusters', i, 'context'],
        message: `needs a kubeconfig file (set clusters[${i}].kubeconfig, kubeconfig or KUBECONFIG); without one svcbot uses the in-cluster service account, which has no contexts`,
      });
      return;
    }
    const target = `${c.kubeconfig ?? ''}\u0000${c.context ?? ''}`;
    const sameTarget = byTarget.get(target);
    if (sameTarget !== undefined) {
      const what = c.kubeconfig === undefined ? 'the in-cluster configuration' : 'the same kubeconfig and context';
      ctx.addIssue({
        code: 'custom',
        params: CROSS,
        path: ['clusters', i],
        message: `uses ${what} as clusters[${sameTarget}]; give each cluster its own kubeconfig or context`,
      });
    } else byTarget.set(target, i);
    const tag = `${c.clusterName}\u0000${c.region ?? ''}`;
    const sameTag = byTag.get(tag);
    if (sameTag !== undefined) {
      ctx.addIssue({
        code: 'custom',
        params: CROSS,
        path: entry.clusterName === undefined ? ['clusters', i] : ['clusters', i, 'clusterName'],
        message:
          `has the same clusterName '${c.clusterName}' and region as clusters[${sameTag}], so their load balancers would ` +
          `share the AWS tag kubernetes.io/cluster/${c.clusterName}; give each cluster its own clusterName`,
      });
    } else byTag.set(tag, i);
  });
}

/**
 * The names of the configured clusters, for the policy's rules; undefined when a cluster setting failed
 * its own check (that problem is reported, and an "unknown cluster" in a rule would only follow from it).
 */
function clusterNames(value: Record<string, unknown>): string[] | undefined {
  if (value.clusters === undefined) {
    if (value.clusterName !== undefined && typeof value.clusterName !== 'string') return undefined;
    return resolveClusters({ kubeconfig: undefined, clusterName: value.clusterName, awsRegion: undefined }).map((c) => c.name);
  }
  if (!Array.isArray(value.clusters)) return undefined;
  const names = (value.clusters as unknown[]).map((c) => (isPlainObject(c) && typeof c.name === 'string' ? c.name : undefined));
  return names.length > 0 && names.every((n) => n !== undefined) ? names : undefined;
}

const ONE_REDIS_HINT = 'for one Redis, put it in REDIS_URL (rediss://user:password@host:6379)';

/**
 * Rules across the Redis settings. Credentials and TLS here are for a cluster's nodes or the master the
 * Sentinels name; one Redis takes them in its URL, so they are refused there rather than ignored. Never
 * echoes a value (a password is among them).
 */
function checkRedis(value: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const isSet = (v: unknown) => typeof v === 'string' || v === true;
  const nonEmpty = (v: unknown) => Array.isArray(v) && v.length > 0;
  const cluster = nonEmpty(value.redisClusterNodes);
  const sentinel = !cluster && nonEmpty(value.redisSentinels);
  const problem = (key: string, message: string) => ctx.addIssue({ code: 'custom', params: CROSS, path: [key], message });
  if (typeof value.redisUsername === 'string' && value.redisPassword === undefined) {
    problem('redisUsername', 'needs a password too (REDIS_PASSWORD, redisPassword)');
  }
  if (!cluster && !sentinel) {
    for (const key of ['redisUsername', 'redisPassword', 'redisTls']) {
      if (isSet(value[key])) problem(key, `applies to a Redis Cluster (REDIS_CLUSTER_NODES) or Sentinel (REDIS_SENTINELS) only; ${ONE_REDIS_HINT}`);
    }
  }
  if (!sentinel) {
    for (const key of ['redisSentinelPassword', 'redisSentinelTls']) {
      if (isSet(value[key])) problem(key, `applies to Sentinel (REDIS_SENTINELS, without REDIS_CLUSTER_NODES) only`);
    }
  }
}

/** The rules across settings: the clusters', Redis's, then the policy's. */
function checkAcross(value: unknown, ctx: z.RefinementCtx): void {
  checkClusters(value, ctx);
  if (isPlainObject(value)) checkRedis(value, ctx);
  if (isPlainObject(value)) checkPolicy(value.policy, clusterNames(value), ctx);
}

/** The configuration schema: raw settings (YAML shape, env already merged in) -> RawConfig. */
export const configSchema = rawSchema.superRefine(checkAcross, { when: () => true });

/** The `Config` of valid raw settings (not yet frozen). */
export function toConfig(raw: RawConfig, configFile: string | undefined): Config {
  const slack = raw.slack;
  const clusters = resolveClusters(raw);
  return {
    slack: {
      botToken: slack.botToken,
      signingSecret: slack.signingSecret,
      appToken: slack.appToken,
      socketMode: slack.appToken !== undefined,
      apiUrl: slack.apiUrl,
      pacing: slack.pacing,
      threadWaitMs: slack.threadWait,
      command: slack.command,
    },
    jobs: {
      timeoutMs: raw.jobs.timeout,
      concurrency: raw.jobs.concurrency,
      lockTimeoutMs: raw.jobs.lockTimeout,
      recheckMs: raw.jobs.recheckInterval,
      heartbeatMs: raw.jobs.heartbeatInterval,
      queueShards: raw.jobs.queueShards,
      progressIntervalMs: raw.jobs.progressInterval,
      shutdownGraceMs: raw.jobs.shutdownGrace,
      dnsQueriesPerSecond: raw.jobs.dnsQueriesPerSecond,
      elbCallsPerSecond: raw.jobs.elbCallsPerSecond,
      answerCheck: raw.jobs.answerCheck,
      answerProbesPerSecond: raw.jobs.answerProbesPerSecond,
    },
    http: {
      bodyLimitBytes: raw.http.bodyLimit,
      // A request's headers arrive within the request: the headers' deadline is never the later one.
      headersTimeoutMs: Math.min(raw.http.headersTimeout, raw.http.requestTimeout),
      requestTimeoutMs: raw.http.requestTimeout,
      keepAliveTimeoutMs: raw.http.keepAliveTimeout,
      maxConnectionsPerClient: raw.http.maxConnectionsPerClient,
      maxUnverifiedBodies: raw.http.maxUnverifiedBodies,
    },
    kube: { retryDeadlineMs: raw.kube.retryDeadline, commandRetryBudgetMs: raw.kube.commandRetryBudget },
    port: raw.port,
    healthPort: raw.healthPort,
    redisUrl: raw.redisUrl,
    redisPrefix: raw.redisPrefix,
    redisClusterNodes: raw.redisClusterNodes ?? [],
    redisSentinels: raw.redisSentinels ?? [],
    redisSentinelName: raw.redisSentinelName,
    redisUsername: raw.redisUsername,
    redisPassword: raw.redisPassword,
    redisTls: raw.redisTls,
    redisSentinelPassword: raw.redisSentinelPassword,
    redisSentinelTls: raw.redisSentinelTls,
    dnsServers: raw.dnsServers ?? [],
    logLevel: raw.logLevel,
    kubeconfig: raw.kubeconfig,
    clusterName: raw.clusterName ?? DEFAULT_CLUSTER_NAME,
    awsRegion: raw.awsRegion,
    clusters: clusters as [ClusterConfig, ...ClusterConfig[]],
    policy: toPolicy(raw.policy),
    audit: { channel: raw.audit.channel, maxEntries: raw.audit.maxEntries },
    costs: {
      elbHourlyUsd: { ...(raw.costs.elbHourlyUsd ?? DEFAULT_PRICES) },
      nlbHourlyUsd: { ...(raw.costs.nlbHourlyUsd ?? DEFAULT_V2_PRICES) },
      albHourlyUsd: { ...(raw.costs.albHourlyUsd ?? DEFAULT_V2_PRICES) },
    },
    orphans: {
      graceMs: raw.orphans.grace,
      // Not set: every region svcbot knows of (AWS_REGION and the clusters').
      regions: raw.orphans.regions ?? [...new Set([raw.awsRegion, ...clusters.map((c) => c.region)].filter((r): r is string => r !== undefined))],
      scanRate: raw.orphans.scanRate,
      report: { ...raw.orphans.report },
    },
    configFile,
  };
}

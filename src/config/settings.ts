/**
 * The settings table: every setting svcbot reads, stated once — its environment variable, its YAML
 * key, its default, whether it is secret and what it means. The rest of src/config/ derives from it:
 * which variable sets which YAML key (`ENV_SETTINGS`), which values are never echoed (`SECRET_KEYS`),
 * and the default values the field parsers fall back to (`defaultText`). The README's configuration
 * table shows the same rows; test/unit/config/settings.test.ts keeps the two in step.
 */

export interface SettingInfo {
  /** The environment variable; undefined = YAML only. */
  readonly env: string | undefined;
  /** Dotted YAML key. */
  readonly yaml: string;
  /**
   * The default. Written the way a user would set it (`15m`, `3000`, `/svc`), it IS the default
   * value: the setting's own parser turns this text into the Config value (src/config/fields.ts,
   * `defaultValue`), so the table and the behaviour cannot drift apart. In parentheses, it only
   * describes what leaving the setting unset means.
   */
  readonly default: string;
  /** Never echoed in error messages. */
  readonly secret: boolean;
  /** A list: comma-separated in the environment, a YAML list in the file. */
  readonly list?: boolean;
  readonly meaning: string;
}

export const SETTINGS = Object.freeze([
  { env: 'SLACK_BOT_TOKEN', yaml: 'slack.botToken', default: '(none)', secret: true, meaning: 'Bot token, xoxb-…' },
  { env: 'SLACK_SIGNING_SECRET', yaml: 'slack.signingSecret', default: '(none)', secret: true, meaning: 'Verifies Slack requests (HTTP mode)' },
  { env: 'SLACK_APP_TOKEN', yaml: 'slack.appToken', default: '(none)', secret: true, meaning: 'App token, xapp-…; when set, Socket Mode' },
  { env: 'SLACK_API_URL', yaml: 'slack.apiUrl', default: 'https://slack.com/api/', secret: false, meaning: 'Slack Web API base URL' },
  { env: 'SLACK_PACING', yaml: 'slack.pacing', default: 'true', secret: false, meaning: "Paces svcbot's messages to Slack's documented rates" },
  { env: 'SLACK_THREAD_WAIT', yaml: 'slack.threadWait', default: '2s', secret: false, meaning: "A job's result waits this long for its progress message, still queued for the channel, to go in its thread; then it goes in the channel" },
  { env: 'SVCBOT_COMMAND', yaml: 'slack.command', default: '/svc', secret: false, meaning: 'Slash command name' },
  { env: 'PORT', yaml: 'port', default: '3000', secret: false, meaning: 'HTTP port' },
  { env: 'HEALTH_PORT', yaml: 'healthPort', default: '8081', secret: false, meaning: '`svcbot worker`: port of /healthz, /readyz and /metrics (the web side serves them on PORT)' },
  { env: 'HTTP_BODY_LIMIT', yaml: 'http.bodyLimit', default: '1MiB', secret: false, meaning: 'Largest request body svcbot reads (413 beyond it); Slack sends far less' },
  { env: 'HTTP_HEADERS_TIMEOUT', yaml: 'http.headersTimeout', default: '5s', secret: false, meaning: "A request's headers must arrive within this long (408 after)" },
  { env: 'HTTP_REQUEST_TIMEOUT', yaml: 'http.requestTimeout', default: '10s', secret: false, meaning: 'A whole request must arrive within this long (408 after)' },
  { env: 'HTTP_KEEPALIVE_TIMEOUT', yaml: 'http.keepAliveTimeout', default: '5s', secret: false, meaning: 'An idle kept-alive connection is closed after this long' },
  { env: 'HTTP_MAX_CONNECTIONS_PER_CLIENT', yaml: 'http.maxConnectionsPerClient', default: '64', secret: false, meaning: 'Open connections one client address may have; more are closed at once' },
  { env: 'HTTP_MAX_UNVERIFIED_BODIES', yaml: 'http.maxUnverifiedBodies', default: '16', secret: false, meaning: 'Request bodies read at once before their signature is checked; more wait briefly, then 503' },
  { env: 'REDIS_URL', yaml: 'redisUrl', default: 'redis://127.0.0.1:6379', secret: true, meaning: 'Redis for the job queue' },
  { env: 'REDIS_CLUSTER_NODES', yaml: 'redisClusterNodes', default: '(none: one Redis)', secret: false, list: true, meaning: 'Seed nodes of a Redis Cluster, host:port; when set, svcbot uses the cluster and REDIS_URL is ignored' },
  { env: 'REDIS_SENTINELS', yaml: 'redisSentinels', default: '(none)', secret: false, list: true, meaning: 'Redis Sentinels, host:port; when set (and no cluster), svcbot uses the master they name and REDIS_URL is ignored' },
  { env: 'REDIS_SENTINEL_NAME', yaml: 'redisSentinelName', default: 'mymaster', secret: false, meaning: "The master's name at the Sentinels" },
  { env: 'REDIS_USERNAME', yaml: 'redisUsername', default: '(none: the default user)', secret: false, meaning: 'ACL user of the cluster nodes or the Sentinel-named master (needs REDIS_PASSWORD); for one Redis, put it in REDIS_URL' },
  { env: 'REDIS_PASSWORD', yaml: 'redisPassword', default: '(none)', secret: true, meaning: 'Password (AUTH token) of the cluster nodes or the Sentinel-named master; for one Redis, put it in REDIS_URL' },
  { env: 'REDIS_TLS', yaml: 'redisTls', default: 'false', secret: false, meaning: 'TLS to the cluster nodes or the Sentinel-named master (ElastiCache in-transit encryption); for one Redis, use a rediss:// REDIS_URL' },
  { env: 'REDIS_SENTINEL_PASSWORD', yaml: 'redisSentinelPassword', default: '(none)', secret: true, meaning: 'Password of the Sentinels themselves (their requirepass)' },
  { env: 'REDIS_SENTINEL_TLS', yaml: 'redisSentinelTls', default: 'false', secret: false, meaning: 'TLS to the Sentinels themselves' },
  { env: 'REDIS_PREFIX', yaml: 'redisPrefix', default: 'svcbot', secret: false, meaning: 'Key prefix of everything svcbot keeps in Redis' },
  { env: 'DNS_SERVERS', yaml: 'dnsServers', default: '(system resolvers)', secret: false, list: true, meaning: 'DNS servers, host or host:port' },
  { env: 'LOG_LEVEL', yaml: 'logLevel', default: 'info', secret: false, meaning: 'pino log level' },
  { env: 'KUBECONFIG', yaml: 'kubeconfig', default: '(in-cluster)', secret: false, meaning: 'Kubeconfig file' },
  { env: 'CLUSTER_NAME', yaml: 'clusterName', default: 'kubernetes', secret: false, meaning: 'Cluster name in AWS tags' },
  { env: 'AWS_REGION', yaml: 'awsRegion', default: '(AWS SDK default)', secret: false, meaning: 'AWS region' },
  { env: 'JOB_TIMEOUT', yaml: 'jobs.timeout', default: '15m', secret: false, meaning: 'A load-balancer job gives up after this long (e.g. 900s, 15m, 1h)' },
  { env: 'JOB_CONCURRENCY', yaml: 'jobs.concurrency', default: '50', secret: false, meaning: 'Jobs one worker runs at once (waiting jobs hold no slot)' },
  { env: 'JOB_LOCK_TIMEOUT', yaml: 'jobs.lockTimeout', default: '10s', secret: false, meaning: "A crashed worker's running jobs are taken over within about twice this" },
  { env: 'JOB_RECHECK_INTERVAL', yaml: 'jobs.recheckInterval', default: '15m', secret: false, meaning: "A waiting job of a live worker looks again after at most this long even if nothing woke it (a lost wake-up's safety net)" },
  { env: 'JOB_HEARTBEAT_INTERVAL', yaml: 'jobs.heartbeatInterval', default: '5s', secret: false, meaning: "A worker silent this long is taken for dead: another adopts its waiting jobs within about 1.33 × this" },
  { env: 'JOB_QUEUE_SHARDS', yaml: 'jobs.queueShards', default: '1', secret: false, meaning: 'Queues the jobs are spread over (by Service); on a Redis Cluster each is its own hash tag, so the masters share the work' },
  { env: 'JOB_PROGRESS_INTERVAL', yaml: 'jobs.progressInterval', default: '1s', secret: false, meaning: "Shortest time between two updates of one job's progress message" },
  { env: 'JOB_SHUTDOWN_GRACE', yaml: 'jobs.shutdownGrace', default: '5s', secret: false, meaning: 'A stopping worker lets running job steps finish this long, then hands them back' },
  { env: 'DNS_PROBE_RATE', yaml: 'jobs.dnsQueriesPerSecond', default: '600', secret: false, meaning: 'DNS queries/s checking waiting load balancer names' },
  { env: 'ELB_API_RATE', yaml: 'jobs.elbCallsPerSecond', default: '5', secret: false, meaning: 'ELB API calls/s following load balancers' },
  { env: 'LB_ANSWER_CHECK', yaml: 'jobs.answerCheck', default: 'true', secret: false, meaning: 'A load balancer is announced only once svcbot has connected to it (HTTP GET / on web ports); false: once its name resolves' },
  { env: 'ANSWER_PROBE_RATE', yaml: 'jobs.answerProbesPerSecond', default: '20', secret: false, meaning: 'Connections/s to load balancers that resolve but do not answer yet' },
  { env: 'KUBE_RETRY_DEADLINE', yaml: 'kube.retryDeadline', default: '10s', secret: false, meaning: 'A Kubernetes API call answered by a transient error (5xx, 429, reset) is retried for at most this long' },
  { env: 'COMMAND_RETRY_BUDGET', yaml: 'kube.commandRetryBudget', default: '25s', secret: false, meaning: "A command stops retrying the cluster's transient errors after this long in all" },
  { env: 'SVCBOT_NAMESPACES', yaml: 'namespaces', default: '(every namespace)', secret: false, list: true, meaning: "Namespaces svcbot works in (a namespaced install: `svcbot rbac` writes Roles for them instead of a ClusterRole); a cluster's own `namespaces` overrides it" },
  { env: undefined, yaml: 'clusters', default: '(one, from the above)', secret: false, meaning: 'Several clusters' },
  { env: 'SVCBOT_APPROVERS', yaml: 'policy.approval.approvers', default: '(anyone but the requester)', secret: false, list: true, meaning: 'Slack user and user-group IDs who may approve' },
  { env: 'SVCBOT_APPROVAL_CHANNEL', yaml: 'policy.approval.channel', default: "(the command's channel)", secret: false, meaning: 'Channel ID approval requests are posted in' },
  { env: 'SVCBOT_SELF_APPROVAL', yaml: 'policy.approval.selfApproval', default: 'false', secret: false, meaning: 'Whether requesters may approve their own requests' },
  { env: 'SVCBOT_APPROVAL_TTL', yaml: 'policy.approval.ttl', default: '1h', secret: false, meaning: 'An approval request not decided within this long expires' },
  { env: undefined, yaml: 'policy.approval.needs.createLoadBalancer', default: 'true', secret: false, meaning: 'Creating a load balancer needs approval' },
  { env: undefined, yaml: 'policy.approval.needs.deleteLoadBalancer', default: 'true', secret: false, meaning: 'Deleting a LoadBalancer Service needs approval' },
  { env: undefined, yaml: 'policy.approval.needs.deleteNodePort', default: 'true', secret: false, meaning: 'Deleting a NodePort Service needs approval' },
  { env: undefined, yaml: 'policy.approval.needs.allowIngress', default: 'true', secret: false, meaning: '`/svc allow` (opening a port to a range of addresses) needs approval' },
  { env: 'SVCBOT_ALLOW_WORLD_OPEN', yaml: 'policy.allow.worldOpen', default: 'false', secret: false, meaning: '`/svc allow` may open a port to everyone (0.0.0.0/0, ::/0)' },
  { env: 'SVCBOT_ALLOW_DEFAULT_DURATION', yaml: 'policy.allow.defaultDuration', default: '2h', secret: false, meaning: 'How long `/svc allow` opens a port without --for' },
  { env: 'SVCBOT_ALLOW_MAX_DURATION', yaml: 'policy.allow.maxDuration', default: '24h', secret: false, meaning: 'The longest --for `/svc allow` takes' },
  { env: 'SVCBOT_ALLOW_MIN_DURATION', yaml: 'policy.allow.minDuration', default: '1m', secret: false, meaning: 'The shortest --for `/svc allow` takes' },
  { env: 'SVCBOT_PROTECTED_NAMESPACES', yaml: 'policy.protectedNamespaces', default: '(kube-system, kube-public, kube-node-lease)', secret: false, list: true, meaning: 'Namespaces where svcbot makes no changes, added to the built-in ones' },
  { env: undefined, yaml: 'policy.rules', default: '(none)', secret: false, meaning: 'Who may do what, where' },
  { env: 'SVCBOT_AUDIT_CHANNEL', yaml: 'audit.channel', default: '(none)', secret: false, meaning: 'Channel ID audit log entries are posted in' },
  { env: undefined, yaml: 'audit.maxEntries', default: '10000', secret: false, meaning: 'The audit log keeps at most this many entries' },
  { env: undefined, yaml: 'costs.elbHourlyUsd', default: '(us-east-1: 0.025)', secret: false, meaning: 'USD an hour of a classic ELB, by region, for cost estimates' },
  { env: undefined, yaml: 'costs.nlbHourlyUsd', default: '(us-east-1: 0.0225)', secret: false, meaning: 'USD an hour of a Network Load Balancer, by region (capacity units extra), for the orphan report' },
  { env: undefined, yaml: 'costs.albHourlyUsd', default: '(us-east-1: 0.0225)', secret: false, meaning: 'USD an hour of an Application Load Balancer, by region (capacity units extra), for the orphan report' },
  { env: 'ORPHAN_GRACE', yaml: 'orphans.grace', default: '30m', secret: false, meaning: 'A load balancer younger than this is never called an orphan (being made or torn down); 0s turns it off' },
  { env: 'ORPHAN_REGIONS', yaml: 'orphans.regions', default: "(AWS_REGION and the clusters' regions)", secret: false, list: true, meaning: 'AWS regions the orphan scan lists load balancers in' },
  { env: 'ORPHAN_SCAN_RATE', yaml: 'orphans.scanRate', default: '10', secret: false, meaning: 'ELB API calls/s the orphan scan makes per region, classic and v2 together (AWS throttles per account and region; 10/s leaves room for the rest of the account)' },
  { env: 'ORPHAN_REPORT_CRON', yaml: 'orphans.report.cron', default: '0 9 * * 1-5', secret: false, meaning: 'When the scheduled orphan report is posted (cron: minute hour day-of-month month day-of-week)' },
  { env: 'ORPHAN_REPORT_TZ', yaml: 'orphans.report.timeZone', default: 'UTC', secret: false, meaning: 'Time zone of ORPHAN_REPORT_CRON (IANA name, e.g. Europe/Berlin)' },
  { env: 'ORPHAN_REPORT_CHANNEL', yaml: 'orphans.report.channel', default: '(none: no scheduled report)', secret: false, meaning: 'Channel ID the scheduled orphan report is posted in' },
  { env: undefined, yaml: 'orphans.report.quietWhenNone', default: 'false', secret: false, meaning: 'With no orphans, the scheduled report posts nothing (instead of "no orphans")' },
] as const satisfies readonly SettingInfo[]);

/** A setting's dotted YAML key; the compiler checks the keys the schema names against the table. */
export type SettingKey = (typeof SETTINGS)[number]['yaml'];

const ROWS: readonly SettingInfo[] = SETTINGS;

/** True when the table's default is a value (not a parenthesised description of "unset"). */
export function hasDefaultValue(s: SettingInfo): boolean {
  return !s.default.startsWith('(');
}

/** The default of `key` as text for its parser; throws for a setting without a default value (a bug in the table). */
export function defaultText(key: SettingKey): string {
  const s = ROWS.find((row) => row.yaml === key);
  if (s === undefined || !hasDefaultValue(s)) throw new Error(`SETTINGS: ${key} has no default value`);
  return s.default;
}

/** Each environment variable, with the YAML path it stands for (env > YAML). */
export const ENV_SETTINGS: readonly { readonly env: string; readonly path: readonly string[]; readonly list: boolean }[] = ROWS.flatMap((s) =>
  s.env === undefined ? [] : [{ env: s.env, path: s.yaml.split('.'), list: s.list === true }],
);

/** Dotted YAML keys whose values are never echoed in error messages. */
export const SECRET_KEYS: ReadonlySet<string> = new Set(ROWS.filter((s) => s.secret).map((s) => s.yaml));

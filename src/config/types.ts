/**
 * The shape of svcbot's configuration as the rest of the code sees it: a deeply frozen `Config`,
 * built by `loadConfig` (src/config/index.ts) from the settings in src/config/settings.ts. Types
 * only; what each setting accepts is in src/config/fields.ts, how they fit together in schema.ts.
 */
import type { PriceTable } from '../domain/approvals.js';
import type { Policy } from '../domain/policy.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** A DNS server svcbot queries to check that a load balancer's hostname resolves. */
/** A Redis Cluster seed node or a Sentinel. */
export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

export interface DnsServer {
  /** An IPv4 or IPv6 address (IPv6 without brackets). */
  readonly host: string;
  readonly port: number;
}

/** One Kubernetes cluster svcbot manages, with the AWS side of it. */
export interface ClusterConfig {
  /** What users type after `--cluster`; a DNS label, unique. */
  readonly name: string;
  /** Kubeconfig context to use; undefined = the file's current-context. */
  readonly context: string | undefined;
  /** Kubeconfig file; undefined = the in-cluster service account (svcbot runs in a pod). */
  readonly kubeconfig: string | undefined;
  /** AWS region of the cluster's load balancers; undefined = the AWS SDK's own default chain. */
  readonly region: string | undefined;
  /** The cluster's name in AWS tags: `kubernetes.io/cluster/<clusterName>`. */
  readonly clusterName: string;
  /**
   * The namespaces svcbot works in on this cluster (a namespaced install: Roles in these namespaces,
   * no cluster-wide Service access), sorted; undefined = every namespace.
   */
  readonly namespaces: readonly string[] | undefined;
}

export interface SlackConfig {
  /** Bot token, `xoxb-…`. Optional here; see `slackSettingsProblems`. */
  readonly botToken: string | undefined;
  /** Signing secret that verifies Slack's HTTP requests (HTTP mode). */
  readonly signingSecret: string | undefined;
  /** App-level token, `xapp-…`; when set, svcbot connects in Socket Mode. */
  readonly appToken: string | undefined;
  /** True when `appToken` is set. */
  readonly socketMode: boolean;
  /** Base URL of Slack's Web API, always ending in `/`. */
  readonly apiUrl: string;
  /**
   * Whether svcbot paces its messages to Slack's documented rates (chat.postMessage about 1 a second per
   * channel, chat.update about 50 a minute); off only against a stand-in of Slack that enforces none.
   */
  readonly pacing: boolean;
  /**
   * How long a job's result (endpoint or outcome message) waits for the job's progress message, still
   * queued behind the channel's other messages, to be posted so it can go in its thread (ms); after that
   * it goes in the channel, and the progress message follows. Slack answers a post in well under a second.
   */
  readonly threadWaitMs: number;
  /** The slash command, e.g. `/svc`. */
  readonly command: string;
}

/** How the load-balancer jobs run (`svcbot worker`, or the worker inside `svcbot start`). */
interface JobsConfig {
  /** A job gives up after this long, naming the step it is stuck on (ms). */
  readonly timeoutMs: number;
  /** Jobs one worker process runs at once; a job waiting for AWS or DNS is parked and holds no slot. */
  readonly concurrency: number;
  /** A running job's lock lasts this long; a crashed worker's jobs are taken over after about twice this (ms). */
  readonly lockTimeoutMs: number;
  /**
   * A parked job is run again after at most this long even if nothing woke it (ms): the safety net for a
   * wake-up lost in a live worker (a dead worker's parked jobs are adopted: `heartbeatMs`). The default
   * (15 min, JOB_TIMEOUT's) means a parked job runs again only when woken, adopted, or at its deadline.
   */
  readonly recheckMs: number;
  /**
   * A worker renews its heartbeat in Redis three times per this interval (ms); one silent for a whole
   * interval is taken for dead, and another worker adopts (runs again) the jobs it parked.
   */
  readonly heartbeatMs: number;
  /**
   * How many BullMQ queues the jobs are spread over, by Service (all jobs of one Service in one queue). On
   * a Redis Cluster each queue is its own hash tag, so its keys land on one master and the queues spread
   * over the masters; on one Redis more than one buys nothing. Changing it strands no job: the queues
   * ever used are recorded in Redis and the workers keep working all of them.
   */
  readonly queueShards: number;
  /**
   * The shortest time between two updates of one job's progress message (ms); Slack's chat.update
   * allows about one a second per message.
   */
  readonly progressIntervalMs: number;
  /**
   * How long a stopping worker (SIGTERM) lets running job steps finish before it hands them back to
   * the queue (ms); at most 8 s, as the process must exit within 10 s.
   */
  readonly shutdownGraceMs: number;
  /** DNS queries a second one worker spends checking whether waiting load balancers' names resolve. */
  readonly dnsQueriesPerSecond: number;
  /** ELB API calls a second one worker spends following load balancers (AWS throttles this API per account). */
  readonly elbCallsPerSecond: number;
  /** Whether a load balancer is announced only once svcbot has connected to it (else once its name resolves). */
  readonly answerCheck: boolean;
  /** Connections a second one worker spends on load balancers that resolve but do not answer yet. */
  readonly answerProbesPerSecond: number;
}

/**
 * How the Slack HTTP receiver guards itself (HTTP mode): Slack sends small requests, whole, within a
 * second or two; anything slower or bigger is refused before it costs memory or a connection for long.
 */
export interface HttpConfig {
  /** The largest request body read (bytes); a larger one is answered 413 and its connection closed. */
  readonly bodyLimitBytes: number;
  /** A request's headers must have arrived within this long (ms), else 408 and the connection is closed. */
  readonly headersTimeoutMs: number;
  /** A whole request must have arrived within this long (ms), else 408 and the connection is closed. */
  readonly requestTimeoutMs: number;
  /** An idle kept-alive connection is closed after this long (ms). */
  readonly keepAliveTimeoutMs: number;
  /** Open connections one client address may hold; a connection beyond it is closed at once. */
  readonly maxConnectionsPerClient: number;
  /** Bodies read at once before their signature is checked; beyond it a request waits briefly, then gets 503. */
  readonly maxUnverifiedBodies: number;
}

/** How svcbot copes with a Kubernetes API server answering transient errors (5xx, 429, resets, timeouts). */
interface KubeRetryConfig {
  /** One API call that is safe to repeat is retried, with jittered backoff, for at most this long (ms); 0 = never. */
  readonly retryDeadlineMs: number;
  /** All the retries of one command stop after this long in all (ms); the user is told after a few seconds. */
  readonly commandRetryBudgetMs: number;
}

/** The audit log of changes, approvals and refusals. */
interface AuditConfig {
  /** Channel ID each entry is also posted in; undefined = none. */
  readonly channel: string | undefined;
  /** The log keeps at most this many entries. */
  readonly maxEntries: number;
}

/** What things cost, for the estimate in approval requests and the orphan report. */
interface CostsConfig {
  /** USD an hour of a classic ELB, by region; a region not listed is estimated at us-east-1's price. */
  readonly elbHourlyUsd: PriceTable;
  /** USD an hour of a Network Load Balancer, by region (capacity units extra). */
  readonly nlbHourlyUsd: PriceTable;
  /** USD an hour of an Application Load Balancer, by region (capacity units extra). */
  readonly albHourlyUsd: PriceTable;
}

/** The orphan scan and its scheduled report. */
interface OrphansConfig {
  /** A load balancer younger than this (ms) is never called an orphan; 0 = no grace. */
  readonly graceMs: number;
  /** The AWS regions scanned. */
  readonly regions: readonly string[];
  /** ELB API calls a second the scan makes per region, classic and v2 together. */
  readonly scanRate: number;
  readonly report: {
    /** Cron pattern of the scheduled report (five fields). */
    readonly cron: string;
    /** IANA time zone of `cron`. */
    readonly timeZone: string;
    /** Channel ID it is posted in; undefined = no scheduled report. */
    readonly channel: string | undefined;
    /** With no orphans, post nothing. */
    readonly quietWhenNone: boolean;
  };
}

export interface Config {
  readonly slack: SlackConfig;
  readonly jobs: JobsConfig;
  /** The Slack HTTP receiver's limits (HTTP mode). */
  readonly http: HttpConfig;
  readonly kube: KubeRetryConfig;
  /** HTTP port for Slack's requests (0 = any free port, for tests). */
  readonly port: number;
  /** `svcbot worker`'s port for /healthz, /readyz and /metrics (the web side serves them on `port`). */
  readonly healthPort: number;
  /** The one Redis; not used when `redisClusterNodes` or `redisSentinels` are set. */
  readonly redisUrl: string;
  /** A Redis Cluster's seed nodes (empty = no cluster). */
  readonly redisClusterNodes: readonly RedisNode[];
  /** Sentinels that name the master (empty = no Sentinel). */
  readonly redisSentinels: readonly RedisNode[];
  /** The master's name at the Sentinels. */
  readonly redisSentinelName: string;
  /** ACL user on the cluster nodes or the Sentinel-named master (one Redis: in `redisUrl`). */
  readonly redisUsername: string | undefined;
  /** Password on the cluster nodes or the Sentinel-named master (one Redis: in `redisUrl`). A secret. */
  readonly redisPassword: string | undefined;
  /** TLS to the cluster nodes or the Sentinel-named master (one Redis: `rediss://`). */
  readonly redisTls: boolean;
  /** The Sentinels' own password. A secret. */
  readonly redisSentinelPassword: string | undefined;
  /** TLS to the Sentinels themselves. */
  readonly redisSentinelTls: boolean;
  /**
   * The key prefix of everything svcbot keeps in Redis (the BullMQ queue and svcbot's own keys), so
   * that two installs, or test runs, can share one Redis.
   */
  readonly redisPrefix: string;
  /** Empty = the system's resolvers. */
  readonly dnsServers: readonly DnsServer[];
  readonly logLevel: LogLevel;
  /** Default kubeconfig for clusters (undefined = in-cluster). */
  readonly kubeconfig: string | undefined;
  /** Default AWS tag cluster name for clusters. */
  readonly clusterName: string;
  /** Default AWS region for clusters. */
  readonly awsRegion: string | undefined;
  /** Non-empty; the first is the default cluster. */
  readonly clusters: readonly [ClusterConfig, ...ClusterConfig[]];
  /** Who may do what, what needs approval and who may approve (the built-in protected namespaces always included). */
  readonly policy: Policy;
  readonly audit: AuditConfig;
  readonly costs: CostsConfig;
  readonly orphans: OrphansConfig;
  /** The YAML file the configuration was read from, if any. */
  readonly configFile: string | undefined;
}

/**
 * svcbot's configuration: ONE zod schema turns environment variables (and, optionally, a YAML file
 * named by SVCBOT_CONFIG) into a deeply frozen, typed `Config`. This is the only module that reads
 * the environment; everything else receives a `Config`.
 *
 * Precedence: environment > YAML file > defaults. Invalid configuration throws ONE `ConfigError`
 * that lists every problem, each naming the env var (or the YAML file, line and key) that sets it.
 * Secret values (Slack tokens, the signing secret, the Redis URL) are never echoed in messages.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import { didYouMean } from './domain/suggest.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** A DNS server svcbot queries to check that a load balancer's hostname resolves. */
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
  /** The slash command, e.g. `/svc`. */
  readonly command: string;
}

/** How the load-balancer jobs run (`svcbot worker`, or the worker inside `svcbot start`). */
export interface JobsConfig {
  /** A job gives up after this long, naming the step it is stuck on (ms). */
  readonly timeoutMs: number;
  /** Jobs one worker process runs at once; a job waiting for AWS or DNS is parked and holds no slot. */
  readonly concurrency: number;
  /** A running job's lock lasts this long; a crashed worker's jobs are taken over after about twice this (ms). */
  readonly lockTimeoutMs: number;
  /**
   * A parked job is run again after at most this long even if nothing woke it (ms): the safety net for
   * wake-ups lost with a worker that died (they live in the memory of the worker that parked the job).
   */
  readonly recheckMs: number;
  /** DNS queries a second one worker spends checking whether waiting load balancers' names resolve. */
  readonly dnsQueriesPerSecond: number;
  /** ELB API calls a second one worker spends following load balancers (AWS throttles this API per account). */
  readonly elbCallsPerSecond: number;
}

export interface Config {
  readonly slack: SlackConfig;
  readonly jobs: JobsConfig;
  /** HTTP port for Slack's requests (0 = any free port, for tests). */
  readonly port: number;
  readonly redisUrl: string;
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
  /** The YAML file the configuration was read from, if any. */
  readonly configFile: string | undefined;
}

export class ConfigError extends Error {
  readonly code = 'config_invalid';
  readonly problems: string[];

  constructor(problems: readonly string[]) {
    const n = problems.length;
    super(`Invalid configuration (${n} problem${n === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = new.target.name;
    this.problems = Object.freeze([...problems]) as string[];
  }
}

/**
 * Every setting: where it comes from and what it means. Drives env reading, error labels and the
 * README's configuration table (a test keeps them in step).
 */
export interface SettingInfo {
  readonly env: string | undefined;
  /** Dotted YAML key. */
  readonly yaml: string;
  readonly default: string;
  readonly secret: boolean;
  readonly meaning: string;
}

export const SETTINGS: readonly SettingInfo[] = Object.freeze([
  { env: 'SLACK_BOT_TOKEN', yaml: 'slack.botToken', default: '(none)', secret: true, meaning: 'Bot token, xoxb-…' },
  { env: 'SLACK_SIGNING_SECRET', yaml: 'slack.signingSecret', default: '(none)', secret: true, meaning: 'Verifies Slack requests (HTTP mode)' },
  { env: 'SLACK_APP_TOKEN', yaml: 'slack.appToken', default: '(none)', secret: true, meaning: 'App token, xapp-…; when set, Socket Mode' },
  { env: 'SLACK_API_URL', yaml: 'slack.apiUrl', default: 'https://slack.com/api/', secret: false, meaning: 'Slack Web API base URL' },
  { env: 'SVCBOT_COMMAND', yaml: 'slack.command', default: '/svc', secret: false, meaning: 'Slash command name' },
  { env: 'PORT', yaml: 'port', default: '3000', secret: false, meaning: 'HTTP port' },
  { env: 'REDIS_URL', yaml: 'redisUrl', default: 'redis://127.0.0.1:6379', secret: true, meaning: 'Redis for the job queue' },
  { env: 'DNS_SERVERS', yaml: 'dnsServers', default: '(system resolvers)', secret: false, meaning: 'DNS servers, host or host:port' },
  { env: 'LOG_LEVEL', yaml: 'logLevel', default: 'info', secret: false, meaning: 'pino log level' },
  { env: 'KUBECONFIG', yaml: 'kubeconfig', default: '(in-cluster)', secret: false, meaning: 'Kubeconfig file' },
  { env: 'CLUSTER_NAME', yaml: 'clusterName', default: 'kubernetes', secret: false, meaning: 'Cluster name in AWS tags' },
  { env: 'AWS_REGION', yaml: 'awsRegion', default: '(AWS SDK default)', secret: false, meaning: 'AWS region' },
  { env: 'JOB_TIMEOUT', yaml: 'jobs.timeout', default: '15m', secret: false, meaning: 'A load-balancer job gives up after this long (e.g. 900s, 15m, 1h)' },
  { env: 'JOB_CONCURRENCY', yaml: 'jobs.concurrency', default: '50', secret: false, meaning: 'Jobs one worker runs at once (waiting jobs hold no slot)' },
  { env: 'JOB_LOCK_TIMEOUT', yaml: 'jobs.lockTimeout', default: '30s', secret: false, meaning: "A crashed worker's jobs are taken over after about twice this" },
  { env: 'JOB_RECHECK_INTERVAL', yaml: 'jobs.recheckInterval', default: '2m', secret: false, meaning: 'A waiting job looks again after at most this long' },
  { env: 'DNS_PROBE_RATE', yaml: 'jobs.dnsQueriesPerSecond', default: '500', secret: false, meaning: 'DNS queries/s checking waiting load balancer names' },
  { env: 'ELB_API_RATE', yaml: 'jobs.elbCallsPerSecond', default: '5', secret: false, meaning: 'ELB API calls/s following load balancers' },
  { env: undefined, yaml: 'clusters', default: '(one, from the above)', secret: false, meaning: 'Several clusters' },
] satisfies SettingInfo[]);

const DEFAULTS = {
  apiUrl: 'https://slack.com/api/',
  command: '/svc',
  port: 3000,
  redisUrl: 'redis://127.0.0.1:6379',
  logLevel: 'info' as LogLevel,
  clusterName: 'kubernetes',
  jobTimeoutMs: 15 * 60_000,
  jobConcurrency: 50,
  jobLockTimeoutMs: 30_000,
  jobRecheckMs: 120_000,
  dnsQueriesPerSecond: 500,
  elbCallsPerSecond: 5,
};

/** Keys whose values are never echoed in error messages. */
const SECRET_KEYS = new Set(['botToken', 'signingSecret', 'appToken', 'redisUrl']);

// ---------------------------------------------------------------------------------------------
// Field parsers: each returns the value or a problem ("must ..."), never echoing the input.

type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };
const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = (problem: string): Parsed<never> => ({ ok: false, problem });

/** A zod schema for one setting, built from a parse function that owns its messages. */
function field<T>(parse: (value: unknown) => Parsed<T>) {
  // `.optional()` lets a missing key through to `parse` (which supplies the default).
  return z.unknown().optional().transform((value, ctx): T => {
    const result = parse(value);
    if (result.ok) return result.value;
    ctx.addIssue({ code: 'custom', message: result.problem, input: value });
    return z.NEVER;
  });
}

function optionalText(value: unknown, check: (s: string) => string | undefined): Parsed<string | undefined> {
  if (value === undefined || value === null) return ok(undefined);
  if (typeof value !== 'string') return bad('must be a string');
  const s = value.trim();
  if (s === '') return ok(undefined);
  const problem = check(s);
  return problem === undefined ? ok(s) : bad(problem);
}

const token = (prefix: string) => (value: unknown) =>
  optionalText(value, (s) =>
    !s.startsWith(prefix) ? `must start with ${prefix}` : /\s/.test(s) ? 'must not contain spaces' : undefined,
  );

function secretText(value: unknown): Parsed<string | undefined> {
  return optionalText(value, (s) => (/\s/.test(s) ? 'must not contain spaces' : undefined));
}

function apiUrl(value: unknown): Parsed<string> {
  const r = optionalText(value, (s) => {
    const url = URL.parse(s);
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return 'must be an http:// or https:// URL';
    if (url.search || url.hash) return 'must not have a query or fragment';
    return undefined;
  });
  if (!r.ok) return r;
  if (r.value === undefined) return ok(DEFAULTS.apiUrl);
  const url = new URL(r.value);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return ok(url.href);
}

function command(value: unknown): Parsed<string> {
  const r = optionalText(value, (s) =>
    /^\/?[a-z0-9][a-z0-9_-]{0,30}$/.test(s)
      ? undefined
      : 'must be a slash command like /svc: lowercase letters, digits, - and _, at most 32 characters',
  );
  if (!r.ok) return r;
  if (r.value === undefined) return ok(DEFAULTS.command);
  return ok(r.value.startsWith('/') ? r.value : `/${r.value}`);
}

function port(value: unknown): Parsed<number> {
  const problem = 'must be an integer 0-65535';
  if (value === undefined || value === null) return ok(DEFAULTS.port);
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^\s*\d+\s*$/.test(value)) n = Number(value);
  else return bad(problem);
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? ok(n) : bad(problem);
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration like `900s`, `15m`, `1h`, `500ms` or a bare number of seconds, between `min` and `max` ms. */
function duration(fallbackMs: number, minMs: number, maxMs: number) {
  const help = `must be a duration like 30s, 15m or 1h, between ${formatMs(minMs)} and ${formatMs(maxMs)}`;
  return (value: unknown): Parsed<number> => {
    if (value === undefined || value === null) return ok(fallbackMs);
    const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : undefined;
    if (text === undefined) return bad(help);
    if (text === '') return ok(fallbackMs);
    const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text);
    if (!m) return bad(help);
    const ms = Math.round(Number(m[1]) * (DURATION_UNITS[m[2] ?? 's'] ?? 1000));
    return ms >= minMs && ms <= maxMs ? ok(ms) : bad(help);
  };
}

function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

function integer(fallback: number, min: number, max: number) {
  const help = `must be a whole number from ${min} to ${max}`;
  return (value: unknown): Parsed<number> => {
    if (value === undefined || value === null) return ok(fallback);
    let n: number;
    if (typeof value === 'number') n = value;
    else if (typeof value === 'string' && /^\s*\d+\s*$/.test(value)) n = Number(value);
    else if (typeof value === 'string' && value.trim() === '') return ok(fallback);
    else return bad(help);
    return Number.isInteger(n) && n >= min && n <= max ? ok(n) : bad(help);
  };
}

function redisUrl(value: unknown): Parsed<string> {
  const r = optionalText(value, (s) => {
    const url = URL.parse(s);
    if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
      return 'must be a redis:// or rediss:// URL with a host, like redis://127.0.0.1:6379';
    }
    return undefined;
  });
  if (!r.ok) return r;
  return ok(r.value ?? DEFAULTS.redisUrl);
}

const DNS_SERVER_HELP = 'must be an IP address with an optional port, like 10.0.0.2, 10.0.0.2:53 or [fd00::2]:53';

/** Parses `host`, `host:port`, `v6`, `[v6]` or `[v6]:port` where host is an IP address. */
export function parseDnsServer(text: string): DnsServer | undefined {
  const s = text.trim();
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracketed) {
    host = bracketed[1] ?? '';
    portText = bracketed[2];
    if (!net.isIPv6(host)) return undefined;
  } else if (net.isIPv6(s)) {
    host = s;
  } else {
    const m = /^([^:]+)(?::(\d+))?$/.exec(s);
    if (!m) return undefined;
    host = m[1] ?? '';
    portText = m[2];
    if (!net.isIPv4(host)) return undefined;
  }
  const p = portText === undefined ? 53 : Number(portText);
  if (!Number.isInteger(p) || p < 1 || p > 65535) return undefined;
  return { host, port: p };
}

/** `1.2.3.4:53` / `[::1]:53`: the form `dns.Resolver#setServers` accepts. */
export function formatDnsServer(server: DnsServer): string {
  return net.isIPv6(server.host) ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
}

const dnsServerEntry = field((value): Parsed<DnsServer> => {
  if (typeof value !== 'string') return bad(DNS_SERVER_HELP);
  const server = parseDnsServer(value);
  return server ? ok(server) : bad(DNS_SERVER_HELP);
});

function logLevel(value: unknown): Parsed<LogLevel> {
  const r = optionalText(value, (s) =>
    (LOG_LEVELS as readonly string[]).includes(s.toLowerCase()) ? undefined : `must be one of ${LOG_LEVELS.join(', ')}`,
  );
  if (!r.ok) return r;
  return ok((r.value?.toLowerCase() as LogLevel | undefined) ?? DEFAULTS.logLevel);
}

function kubeconfig(value: unknown): Parsed<string | undefined> {
  return optionalText(value, (s) =>
    s.includes(path.delimiter)
      ? `must name one file (lists like a${path.delimiter}b, which kubectl merges, are not supported)`
      : undefined,
  );
}

// "kubernetes.io/cluster/" is 22 characters; AWS tag keys are at most 128.
const CLUSTER_NAME_HELP =
  "must be 1-106 characters: letters, digits, '.', '_' and '-', starting with a letter or digit (it becomes the AWS tag kubernetes.io/cluster/<name>)";
const isClusterName = (s: string) => s.length <= 106 && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(s);

function clusterName(value: unknown): Parsed<string | undefined> {
  return optionalText(value, (s) => (isClusterName(s) ? undefined : CLUSTER_NAME_HELP));
}

function region(value: unknown): Parsed<string | undefined> {
  return optionalText(value, (s) => (/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(s) ? undefined : 'must be an AWS region like us-east-1'));
}

const LABEL_HELP =
  "must be a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters (like prod-eu)";
const isLabel = (s: string) => s.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(s);

function requiredLabel(value: unknown): Parsed<string> {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return bad('is required');
  const r = optionalText(value, (s) => (isLabel(s) ? undefined : LABEL_HELP));
  return r.ok ? ok(r.value ?? '') : r;
}

function context(value: unknown): Parsed<string | undefined> {
  return optionalText(value, () => undefined);
}

// ---------------------------------------------------------------------------------------------
// The schema.

const mapping = { error: (iss: { code: string }) => (iss.code === 'invalid_type' ? 'must be a mapping' : undefined) };
const list = { error: (iss: { code: string }) => (iss.code === 'invalid_type' ? 'must be a list' : undefined) };

const clusterEntrySchema = z.strictObject(
  {
    name: field(requiredLabel),
    context: field(context),
    kubeconfig: field(kubeconfig),
    region: field(region),
    clusterName: field(clusterName),
  },
  mapping,
);

const slackSchema = z.strictObject(
  {
    botToken: field(token('xoxb-')),
    signingSecret: field(secretText),
    appToken: field(token('xapp-')),
    apiUrl: field(apiUrl),
    command: field(command),
  },
  mapping,
);

const jobsSchema = z.strictObject(
  {
    timeout: field(duration(DEFAULTS.jobTimeoutMs, 10_000, 24 * 3_600_000)),
    concurrency: field(integer(DEFAULTS.jobConcurrency, 1, 1000)),
    lockTimeout: field(duration(DEFAULTS.jobLockTimeoutMs, 500, 10 * 60_000)),
    recheckInterval: field(duration(DEFAULTS.jobRecheckMs, 1000, 3_600_000)),
    dnsQueriesPerSecond: field(integer(DEFAULTS.dnsQueriesPerSecond, 1, 100_000)),
    elbCallsPerSecond: field(integer(DEFAULTS.elbCallsPerSecond, 1, 10_000)),
  },
  mapping,
);

type RawConfig = z.output<typeof rawSchema>;

const rawSchema = z.strictObject(
  {
    slack: slackSchema.prefault(() => ({})),
    jobs: jobsSchema.prefault(() => ({})),
    port: field(port),
    redisUrl: field(redisUrl),
    dnsServers: z.array(dnsServerEntry, list).optional(),
    logLevel: field(logLevel),
    kubeconfig: field(kubeconfig),
    clusterName: field(clusterName),
    awsRegion: field(region),
    clusters: z.array(clusterEntrySchema, list).min(1, 'must list at least one cluster (or leave it out for the default one)').optional(),
  },
  mapping,
);

/** The settings of each cluster after applying the top-level defaults. */
function resolveClusters(raw: {
  kubeconfig: string | undefined;
  clusterName: string | undefined;
  awsRegion: string | undefined;
  clusters?: readonly Partial<Record<keyof ClusterConfig, unknown>>[] | undefined;
}): ClusterConfig[] {
  const topClusterName = raw.clusterName ?? DEFAULTS.clusterName;
  if (raw.clusters === undefined) {
    return [
      {
        name: isLabel(topClusterName) ? topClusterName : 'default',
        context: undefined,
        kubeconfig: raw.kubeconfig,
        region: raw.awsRegion,
        clusterName: topClusterName,
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
  }));
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

function toConfig(raw: RawConfig, configFile: string | undefined): Config {
  const slack = raw.slack;
  const clusters = resolveClusters(raw);
  return {
    slack: {
      botToken: slack.botToken,
      signingSecret: slack.signingSecret,
      appToken: slack.appToken,
      socketMode: slack.appToken !== undefined,
      apiUrl: slack.apiUrl,
      command: slack.command,
    },
    jobs: {
      timeoutMs: raw.jobs.timeout,
      concurrency: raw.jobs.concurrency,
      lockTimeoutMs: raw.jobs.lockTimeout,
      recheckMs: raw.jobs.recheckInterval,
      dnsQueriesPerSecond: raw.jobs.dnsQueriesPerSecond,
      elbCallsPerSecond: raw.jobs.elbCallsPerSecond,
    },
    port: raw.port,
    redisUrl: raw.redisUrl,
    dnsServers: raw.dnsServers ?? [],
    logLevel: raw.logLevel,
    kubeconfig: raw.kubeconfig,
    clusterName: raw.clusterName ?? DEFAULTS.clusterName,
    awsRegion: raw.awsRegion,
    clusters: clusters as [ClusterConfig, ...ClusterConfig[]],
    configFile,
  };
}

/** The configuration schema: raw settings (YAML shape, env already merged in) -> Config. */
export const configSchema = rawSchema.superRefine(checkClusters, { when: () => true });

// ---------------------------------------------------------------------------------------------
// Sources.

const ENV_PATHS: readonly (readonly [env: string, path: readonly string[]])[] = SETTINGS.flatMap((s) =>
  s.env === undefined ? [] : [[s.env, s.yaml.split('.')] as const],
);

type ReadFile = (file: string) => string;
const readUtf8: ReadFile = (file) => fs.readFileSync(file, 'utf8');

interface YamlSource {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function readYaml(file: string, readFile: ReadFile, problems: string[]): { data: Record<string, unknown>; source?: YamlSource } {
  let text: string;
  try {
    text = readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    problems.push(`SVCBOT_CONFIG: cannot read ${file}: ${why}`);
    return { data: {} };
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const pos = e.linePos?.[0];
      const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
      // prettyErrors appends " at line L, column C:" and a code frame; the position is in `where`.
      const message = (e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
      problems.push(`${where}: invalid YAML: ${message}`);
    }
    return { data: {} };
  }
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (err) {
    // e.g. "Excessive alias count indicates a resource exhaustion attack"
    problems.push(`${file}: invalid YAML: ${(err as Error).message}`);
    return { data: {} };
  }
  if (data === null || data === undefined) return { data: {}, source: { file, doc, lines } };
  if (!isPlainObject(data)) {
    problems.push(`${file}: must be a mapping of settings (got ${describeType(data)})`);
    return { data: {} };
  }
  dropNulls(data);
  // Relative kubeconfig paths in the file are relative to the file, like kubectl's.
  const base = path.dirname(file);
  const resolveIn = (obj: Record<string, unknown>) => {
    if (typeof obj.kubeconfig === 'string' && obj.kubeconfig.trim() !== '' && !path.isAbsolute(obj.kubeconfig.trim())) {
      obj.kubeconfig = path.join(base, obj.kubeconfig.trim());
    }
  };
  resolveIn(data);
  if (Array.isArray(data.clusters)) for (const c of data.clusters) if (isPlainObject(c)) resolveIn(c);
  return { data, source: { file, doc, lines } };
}

/** `key:` with no value means "not set" (a commented-out template section, say): forget it. */
function dropNulls(value: unknown): void {
  if (Array.isArray(value)) for (const v of value) dropNulls(v);
  else if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (v === null) delete value[k];
      else dropNulls(v);
    }
  }
}

/** 1-based line of the deepest node along `keys` that exists in the document. */
function lineOf(source: YamlSource, keys: readonly PropertyKey[]): number | undefined {
  let node: unknown = source.doc.contents;
  let offset: number | undefined = (node as { range?: [number] } | null)?.range?.[0];
  for (const key of keys) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
      if (!pair) break;
      offset = (pair.key as { range?: [number] }).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key];
      offset = (node as { range?: [number] } | undefined)?.range?.[0] ?? offset;
    } else break;
  }
  return offset === undefined ? undefined : source.lines.linePos(offset).line;
}

function describeType(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'nothing';
  if (typeof v === 'object') return 'a mapping';
  return `a ${typeof v}`;
}

function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 77)}...` : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return describeType(v);
}

const CONTAINERS = new Set(['slack', 'jobs', 'clusters', 'dnsServers']);

/** " (got ...)": the value for plain settings, only its type for containers, nothing for secrets. */
function gotSuffix(keys: readonly PropertyKey[], value: unknown): string {
  if (value === undefined) return '';
  const last = keys[keys.length - 1];
  const leaf = (typeof last === 'string' && !CONTAINERS.has(last)) || (typeof last === 'number' && keys[0] === 'dnsServers');
  if (!leaf) return ` (got ${describeType(value)})`;
  if (typeof last === 'string' && SECRET_KEYS.has(last)) return '';
  return ` (got ${describeValue(value)})`;
}

function getAt(obj: unknown, keys: readonly PropertyKey[]): unknown {
  let cur = obj;
  for (const k of keys) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

function formatPath(keys: readonly PropertyKey[]): string {
  let s = '';
  for (const k of keys) s += typeof k === 'number' ? `[${k}]` : s === '' ? String(k) : `.${String(k)}`;
  return s;
}

function knownKeys(keys: readonly PropertyKey[]): string[] {
  if (keys.length === 0) return Object.keys(rawSchema.shape);
  if (keys.length === 1 && keys[0] === 'slack') return Object.keys(slackSchema.shape);
  if (keys.length === 1 && keys[0] === 'jobs') return Object.keys(jobsSchema.shape);
  if (keys.length === 2 && keys[0] === 'clusters') return Object.keys(clusterEntrySchema.shape);
  return [];
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Reads the configuration from `env` (and the YAML file named by `env.SVCBOT_CONFIG`).
 * Throws `ConfigError` listing every problem.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, readFile: ReadFile = readUtf8): Config {
  const problems: string[] = [];
  const configFile = env.SVCBOT_CONFIG?.trim() || undefined;
  const { data, source } = configFile ? readYaml(configFile, readFile, problems) : { data: {}, source: undefined };

  // Merge: env over file. Remember which leaves came from the environment.
  const raw: Record<string, unknown> = structuredClone(data);
  const fromEnv = new Map<string, string>();
  for (const [name, keys] of ENV_PATHS) {
    const text = env[name];
    if (text === undefined || text.trim() === '') continue;
    let parent: Record<string, unknown> | undefined = raw;
    for (const k of keys.slice(0, -1)) {
      if (parent[k] === undefined || parent[k] === null) parent[k] = {};
      const next: unknown = parent[k];
      parent = isPlainObject(next) ? next : undefined;
      if (!parent) break;
    }
    if (!parent) continue; // the file's value has the wrong shape; that is reported below
    const leaf = keys[keys.length - 1] as string;
    parent[leaf] =
      name === 'DNS_SERVERS'
        ? text
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== '')
        : text;
    fromEnv.set(keys.join('.'), name);
  }

  const result = configSchema.safeParse(raw);
  if (result.success && problems.length === 0) return deepFreeze(toConfig(result.data, configFile));

  for (const issue of result.error?.issues ?? []) {
    const keys = issue.path;
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const suggestion = didYouMean(key, knownKeys(keys));
        problems.push(
          `${label([...keys, key])}unknown setting${suggestion ? ` (did you mean '${suggestion}'?)` : ''}`,
        );
      }
      continue;
    }
    // Echo the value for a field's own checks and for wrong types, not for list lengths or cross-checks.
    const echo = issue.code === 'invalid_type' || (issue.code === 'custom' && issue.params?.crossCheck !== true);
    problems.push(`${label(keys)}${issue.message}${echo ? gotSuffix(keys, getAt(raw, keys)) : ''}`);
  }
  throw new ConfigError(problems);

  function label(keys: readonly PropertyKey[]): string {
    const envName = keys[0] === 'clusters' ? undefined : fromEnv.get(keys.filter((k) => typeof k === 'string').join('.'));
    if (envName) return `${envName}: `;
    const where = keys.length > 0 ? `${formatPath(keys)}: ` : '';
    if (!source) return where;
    const line = lineOf(source, keys);
    return `${source.file}${line !== undefined ? `:${line}` : ''}: ${where}`;
  }
}

/**
 * What is missing to run against Slack: HTTP mode needs the bot token and the signing secret,
 * Socket Mode (SLACK_APP_TOKEN set) the bot token and the app token. Empty = ready.
 */
export function slackSettingsProblems(config: Config): string[] {
  const problems: string[] = [];
  if (config.slack.botToken === undefined) {
    problems.push(
      "SLACK_BOT_TOKEN (slack.botToken) is not set: the bot token, xoxb-…, from your Slack app's OAuth & Permissions page",
    );
  }
  if (!config.slack.socketMode && config.slack.signingSecret === undefined) {
    problems.push(
      "SLACK_SIGNING_SECRET (slack.signingSecret) is not set: HTTP mode verifies Slack's requests with it (your Slack app's Basic Information page); or set SLACK_APP_TOKEN (xapp-…) to use Socket Mode instead",
    );
  }
  return problems;
}

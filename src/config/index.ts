/**
 * svcbot's configuration: environment variables (and, optionally, a YAML file named by
 * SVCBOT_CONFIG) -> ONE zod schema -> a deeply frozen, typed `Config`. This is the only module that
 * reads the environment; everything else receives a `Config`, and imports it from here.
 *
 * Precedence: environment > YAML file > defaults. Invalid configuration throws ONE `ConfigError`
 * that lists every problem, each naming the env var (or the YAML file, line and key) that sets it.
 * Secret values (Slack tokens, the signing secret, the Redis URL) are never echoed in messages.
 *
 * The parts: settings.ts (the settings table: env name, YAML key, default, secret), fields.ts (what
 * each setting accepts), schema.ts (the zod schema and the rules across clusters), policy.ts (the
 * policy, audit and cost settings and the rules across them), yaml.ts (the file, with line numbers),
 * types.ts (`Config`). This file merges the sources and words the problems.
 */
import { didYouMean } from '../domain/suggest.js';
import { isPlainObject } from './fields.js';
import { configSchema, knownKeys, toConfig } from './schema.js';
import { looksLikeSecret, maskSecrets } from '../domain/secret-text.js';
import { ENV_SETTINGS, SECRET_KEYS } from './settings.js';
import type { Config } from './types.js';
import { describeType, lineOf, readUtf8, readYaml } from './yaml.js';
import type { ReadFile } from './yaml.js';

export type { ClusterConfig, Config, DnsServer, HttpConfig, LogLevel, SlackConfig } from './types.js';
export { formatDnsServer, parseDnsServer } from './fields.js';

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
 * Reads the configuration from `env` (and the YAML file named by `env.SVCBOT_CONFIG`).
 * Throws `ConfigError` listing every problem.
 */
export interface LoadConfigOptions {
  /**
   * Defaults of this program over the settings table's, by YAML path (`policy.approval.selfApproval`):
   * used where neither the file nor the environment says (the console allows self-approval).
   */
  defaults?: Readonly<Record<string, unknown>>;
}

/** Sets `value` at the dotted `path` of `raw` unless something is there already (or a parent is not a mapping). */
function setDefault(raw: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let parent: Record<string, unknown> = raw;
  for (const k of keys.slice(0, -1)) {
    if (parent[k] === undefined || parent[k] === null) parent[k] = {};
    const next: unknown = parent[k];
    if (!isPlainObject(next)) return;
    parent = next;
  }
  const leaf = keys[keys.length - 1] as string;
  if (parent[leaf] === undefined) parent[leaf] = value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, readFile: ReadFile = readUtf8, options: LoadConfigOptions = {}): Config {
  const problems: string[] = [];
  const configFile = env.SVCBOT_CONFIG?.trim() || undefined;
  const { data, source } = configFile ? readYaml(configFile, readFile, problems) : { data: {}, source: undefined };

  // Merge: env over file over this program's defaults. Remember which leaves came from the environment.
  const raw: Record<string, unknown> = structuredClone(data);
  if (isPlainObject(raw)) for (const [path, value] of Object.entries(options.defaults ?? {})) setDefault(raw, path, value);
  const fromEnv = new Map<string, string>();
  for (const { env: name, path: keys, list } of ENV_SETTINGS) {
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
    parent[leaf] = list
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
 * A value echoed in a problem, unless it looks like a secret pasted into the wrong setting: a token's
 * or key's characters are masked (its `xoxb-` kind stays, to say what went where), a value that is a
 * secret as a whole (a signing secret's 32 hex digits) is not shown at all.
 */
function describeValue(v: unknown): string {
  if (typeof v === 'string') {
    const masked = maskSecrets(v);
    if (masked === v && looksLikeSecret(v)) return 'a value shaped like a secret, not shown';
    return JSON.stringify(masked.length > 80 ? `${masked.slice(0, 77)}...` : masked);
  }
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return describeType(v);
}

/** Keys of mappings and lists: a value of the wrong type is described, not echoed. */
const CONTAINERS = new Set([
  'slack',
  'jobs',
  'clusters',
  'dnsServers',
  'policy',
  'rules',
  'protectedNamespaces',
  'approval',
  'approvers',
  'needs',
  'allow',
  'deny',
  'users',
  'groups',
  'channels',
  'namespaces',
  'audit',
  'costs',
  'elbHourlyUsd',
  'nlbHourlyUsd',
  'albHourlyUsd',
  'orphans',
  'report',
  'regions',
]);

/** Lists of mappings: an entry of the wrong type is described, not echoed (the entries of other lists are plain values). */
const MAPPING_LISTS = new Set(['clusters', 'policy.rules']);

/** " (got ...)": the value for plain settings, only its type for containers, nothing for secrets. */
function gotSuffix(keys: readonly PropertyKey[], value: unknown): string {
  if (value === undefined) return '';
  const last = keys[keys.length - 1];
  const leaf = typeof last === 'string' ? !CONTAINERS.has(last) : typeof last === 'number' && !MAPPING_LISTS.has(formatPath(keys.slice(0, -1)));
  if (!leaf) return ` (got ${describeType(value)})`;
  if (typeof last === 'string' && SECRET_KEYS.has(keys.join('.'))) return '';
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

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
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

/**
 * What is missing to reach the configured clusters from `svcbot start|web|worker`: a cluster without a
 * kubeconfig uses the in-cluster service account, which exists only when svcbot runs in a pod
 * (`KUBERNETES_SERVICE_HOST` set). Empty = every cluster has a way in.
 */
export function clusterAccessProblems(config: Config, env: NodeJS.ProcessEnv): string[] {
  if (env.KUBERNETES_SERVICE_HOST) return [];
  return config.clusters
    .filter((c) => c.kubeconfig === undefined)
    .map(
      (c) =>
        `cluster "${c.name}" has no kubeconfig (set KUBECONFIG, or kubeconfig in SVCBOT_CONFIG) and svcbot is not running in a pod, so there is no in-cluster service account to use`,
    );
}

/** Which Redis svcbot uses, for messages (never a password): the cluster, the Sentinels' master, or REDIS_URL's `host:port`. */
export function redisDescription(config: Pick<Config, 'redisUrl' | 'redisClusterNodes' | 'redisSentinels' | 'redisSentinelName'>): string {
  const nodes = (list: Config['redisClusterNodes']) => list.map((n) => (n.host.includes(':') ? `[${n.host}]:${n.port}` : `${n.host}:${n.port}`)).join(',');
  if (config.redisClusterNodes.length > 0) return `the Redis Cluster ${nodes(config.redisClusterNodes)} (REDIS_CLUSTER_NODES)`;
  if (config.redisSentinels.length > 0) return `the master "${config.redisSentinelName}" of the Sentinels ${nodes(config.redisSentinels)} (REDIS_SENTINELS)`;
  return `${redisAddress(config.redisUrl)} (REDIS_URL)`;
}

/** `host:port` of a Redis URL, for messages (never its password). */
export function redisAddress(url: string): string {
  const parsed = URL.parse(url);
  return parsed ? `${parsed.hostname}:${parsed.port || '6379'}` : 'REDIS_URL';
}

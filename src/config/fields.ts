/**
 * What each setting accepts: one parser per kind of value (token, URL, port, duration, DNS server,
 * cluster name, Slack ID, namespace, …). A parser returns the value or a problem ("must …") that never echoes the input,
 * so a secret cannot leak through a message; `undefined` means "not set" (missing, null or, for most,
 * empty), and `fieldWithDefault` turns that into the default the settings table states. `field` wraps
 * a parser as a zod schema for src/config/schema.ts and src/config/policy.ts.
 */
import { isRegion } from '../domain/grammar/validate.js';
import { CronExpressionParser } from 'cron-parser';
import net from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { defaultText } from './settings.js';
import type { SettingKey } from './settings.js';
import type { DnsServer, LogLevel, RedisNode } from './types.js';

type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };
const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = (problem: string): Parsed<never> => ({ ok: false, problem });

/** A zod schema for one setting, built from a parse function that owns its messages. */
export function field<T>(parse: (value: unknown) => Parsed<T>) {
  // `.optional()` lets a missing key through to `parse` (which supplies the default).
  return z.unknown().optional().transform((value, ctx): T => {
    const result = parse(value);
    if (result.ok) return result.value;
    ctx.addIssue({ code: 'custom', message: result.problem, input: value });
    return z.NEVER;
  });
}

/**
 * The value `parse` makes of `key`'s default in the settings table. A default the parser refuses is a
 * bug in the table: it throws when src/config/ is first imported, so it cannot ship.
 */
export function defaultValue<T>(key: SettingKey, parse: (value: unknown) => Parsed<T | undefined>): T {
  const r = parse(defaultText(key));
  if (!r.ok || r.value === undefined) throw new Error(`SETTINGS: the default of ${key} is not a valid value`);
  return r.value;
}

/** `field(parse)` for a setting whose default the table states: not set = that default. */
export function fieldWithDefault<T>(key: SettingKey, parse: (value: unknown) => Parsed<T | undefined>) {
  const fallback = defaultValue(key, parse);
  return field((value): Parsed<T> => {
    const r = parse(value);
    return r.ok ? ok(r.value ?? fallback) : r;
  });
}

/** zod params: a mapping or a list of the wrong type is "must be a mapping" / "must be a list". */
export const mapping = { error: (iss: { code: string }) => (iss.code === 'invalid_type' ? 'must be a mapping' : undefined) };
export const list = { error: (iss: { code: string }) => (iss.code === 'invalid_type' ? 'must be a list' : undefined) };

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optionalText(value: unknown, check: (s: string) => string | undefined): Parsed<string | undefined> {
  if (value === undefined || value === null) return ok(undefined);
  if (typeof value !== 'string') return bad('must be a string');
  const s = value.trim();
  if (s === '') return ok(undefined);
  const problem = check(s);
  return problem === undefined ? ok(s) : bad(problem);
}

export const token = (prefix: string) => (value: unknown) =>
  optionalText(value, (s) =>
    !s.startsWith(prefix) ? `must start with ${prefix}` : /\s/.test(s) ? 'must not contain spaces' : undefined,
  );

export function secretText(value: unknown): Parsed<string | undefined> {
  return optionalText(value, (s) => (/\s/.test(s) ? 'must not contain spaces' : undefined));
}

/** An http(s) base URL, normalised to end in `/`. */
export function apiUrl(value: unknown): Parsed<string | undefined> {
  const r = optionalText(value, (s) => {
    const url = URL.parse(s);
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return 'must be an http:// or https:// URL';
    if (url.search || url.hash) return 'must not have a query or fragment';
    return undefined;
  });
  if (!r.ok || r.value === undefined) return r;
  const url = new URL(r.value);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return ok(url.href);
}

/** A slash command, with the `/` added when missing. */
export function command(value: unknown): Parsed<string | undefined> {
  const r = optionalText(value, (s) =>
    /^\/?[a-z0-9][a-z0-9_-]{0,30}$/.test(s)
      ? undefined
      : 'must be a slash command like /svc: lowercase letters, digits, - and _, at most 32 characters',
  );
  if (!r.ok || r.value === undefined) return r;
  return ok(r.value.startsWith('/') ? r.value : `/${r.value}`);
}

/** A TCP port; unlike the other numbers, an empty string is a problem, not "not set". */
export function port(value: unknown): Parsed<number | undefined> {
  const problem = 'must be an integer 0-65535';
  if (value === undefined || value === null) return ok(undefined);
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^\s*\d+\s*$/.test(value)) n = Number(value);
  else return bad(problem);
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? ok(n) : bad(problem);
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration like `900s`, `15m`, `1h`, `500ms` or a bare number of seconds, between `minMs` and
 * `maxMs` (in ms); `examples` are what the problem suggests, and should lie in that range.
 */
export function duration(minMs: number, maxMs: number, examples = '30s, 15m or 1h') {
  const help = `must be a duration like ${examples}, between ${formatMs(minMs)} and ${formatMs(maxMs)}`;
  return (value: unknown): Parsed<number | undefined> => {
    if (value === undefined || value === null) return ok(undefined);
    const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : undefined;
    if (text === undefined) return bad(help);
    if (text === '') return ok(undefined);
    const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text);
    if (!m) return bad(help);
    const ms = Math.round(Number(m[1]) * (DURATION_UNITS[m[2] ?? 's'] ?? 1000));
    return ms >= minMs && ms <= maxMs ? ok(ms) : bad(help);
  };
}

function formatMs(ms: number): string {
  if (ms === 0) return '0s';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

const SIZE_UNITS: Record<string, number> = { b: 1, kib: 1024, kb: 1000, mib: 1024 * 1024, mb: 1000 * 1000 };

/** A size in bytes like `256KiB`, `1MiB`, `500kB` or a bare number of bytes, between `min` and `max`. */
export function byteSize(min: number, max: number) {
  const help = `must be a size like 256KiB, 1MiB or 65536 (bytes), between ${min} and ${max} bytes`;
  return (value: unknown): Parsed<number | undefined> => {
    if (value === undefined || value === null) return ok(undefined);
    const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : undefined;
    if (text === undefined) return bad(help);
    if (text === '') return ok(undefined);
    const m = /^(\d+)\s*(b|kib|kb|mib|mb)?$/i.exec(text);
    if (!m) return bad(help);
    const bytes = Number(m[1]) * (SIZE_UNITS[(m[2] ?? 'b').toLowerCase()] ?? 1);
    return Number.isSafeInteger(bytes) && bytes >= min && bytes <= max ? ok(bytes) : bad(help);
  };
}

/** A whole number from `min` to `max`. */
export function integer(min: number, max: number) {
  const help = `must be a whole number from ${min} to ${max}`;
  return (value: unknown): Parsed<number | undefined> => {
    if (value === undefined || value === null) return ok(undefined);
    let n: number;
    if (typeof value === 'number') n = value;
    else if (typeof value === 'string' && /^\s*\d+\s*$/.test(value)) n = Number(value);
    else if (typeof value === 'string' && value.trim() === '') return ok(undefined);
    else return bad(help);
    return Number.isInteger(n) && n >= min && n <= max ? ok(n) : bad(help);
  };
}

export function redisUrl(value: unknown): Parsed<string | undefined> {
  return optionalText(value, (s) => {
    const url = URL.parse(s);
    if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
      return 'must be a redis:// or rediss:// URL with a host, like redis://127.0.0.1:6379';
    }
    return undefined;
  });
}

const REDIS_NODE_HELP = 'must be host:port, like 10.0.0.5:6379 or redis-0.redis:6379 ([v6]:port for an IPv6 address)';

/** One `host:port` of `REDIS_CLUSTER_NODES` or `REDIS_SENTINELS`. */
export const redisNodeEntry = field((value): Parsed<RedisNode> => {
  if (typeof value !== 'string') return bad(REDIS_NODE_HELP);
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9._-]+)):(\d{1,5})$/.exec(value.trim());
  const port = Number(match?.[3]);
  return match && port >= 1 && port <= 65535 ? ok({ host: (match[1] ?? match[2])!, port }) : bad(REDIS_NODE_HELP);
});

/** A Redis master's name at its Sentinels. */
export function redisSentinelName(value: unknown): Parsed<string | undefined> {
  return optionalText(value, (s) => (/^[A-Za-z0-9._-]{1,128}$/.test(s) ? undefined : "must be 1-128 letters, digits, '-', '_' or '.'"));
}

/** A Redis ACL user name. */
export function redisUsername(value: unknown): Parsed<string | undefined> {
  return optionalText(value, (s) => (/^[\x21-\x7e]{1,128}$/.test(s) ? undefined : 'must be 1-128 printable characters, no spaces'));
}

// ':' separates the parts of a key (BullMQ's `<prefix>:<queue>:…` included), '{…}' is a Redis
// Cluster hash tag: a prefix has neither, nor spaces.
const REDIS_PREFIX_HELP = "must be 1-64 characters: letters, digits, '-', '_' and '.' (no ':', '{', '}' or spaces)";

/** The key prefix of everything svcbot keeps in Redis. */
export function redisPrefix(value: unknown): Parsed<string | undefined> {
  return optionalText(value, (s) => (/^[A-Za-z0-9._-]{1,64}$/.test(s) ? undefined : REDIS_PREFIX_HELP));
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

/** One entry of `dnsServers`. */
export const dnsServerEntry = field((value): Parsed<DnsServer> => {
  if (typeof value !== 'string') return bad(DNS_SERVER_HELP);
  const server = parseDnsServer(value);
  return server ? ok(server) : bad(DNS_SERVER_HELP);
});

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** A pino level, in any case. */
export function logLevel(value: unknown): Parsed<LogLevel | undefined> {
  const r = optionalText(value, (s) =>
    (LOG_LEVELS as readonly string[]).includes(s.toLowerCase()) ? undefined : `must be one of ${LOG_LEVELS.join(', ')}`,
  );
  if (!r.ok) return r;
  return ok(r.value?.toLowerCase() as LogLevel | undefined);
}

export function kubeconfig(value: unknown): Parsed<string | undefined> {
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

/** The cluster's name in AWS tags (`kubernetes.io/cluster/<name>`). */
export function clusterName(value: unknown): Parsed<string | undefined> {
  return optionalText(value, (s) => (isClusterName(s) ? undefined : CLUSTER_NAME_HELP));
}

/** An AWS region's name (also a key of the price table). */

export function region(value: unknown): Parsed<string | undefined> {
  return optionalText(value, (s) => (isRegion(s) ? undefined : 'must be an AWS region like us-east-1'));
}

const LABEL_HELP =
  "must be a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters (like prod-eu)";
/** A DNS label: what users type after `--cluster`. */
export const isLabel = (s: string) => s.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(s);

/** A cluster entry's name: a DNS label, and required. */
export function requiredLabel(value: unknown): Parsed<string> {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return bad('is required');
  const r = optionalText(value, (s) => (isLabel(s) ? undefined : LABEL_HELP));
  return r.ok ? ok(r.value ?? '') : r;
}

/** A kubeconfig context: any text. */
export function context(value: unknown): Parsed<string | undefined> {
  return optionalText(value, () => undefined);
}

/** `true` or `false`, in any case; YAML booleans too. */
export function boolean(value: unknown): Parsed<boolean | undefined> {
  if (value === undefined || value === null) return ok(undefined);
  if (typeof value === 'boolean') return ok(value);
  if (typeof value === 'string') {
    const s = value.trim().toLowerCase();
    if (s === '') return ok(undefined);
    if (s === 'true' || s === 'false') return ok(s === 'true');
  }
  return bad('must be true or false');
}

/** One entry of a list: a non-empty string that `valid` accepts, trimmed. */
function entry(valid: (s: string) => boolean, help: string) {
  return (value: unknown): Parsed<string> => {
    const s = typeof value === 'string' ? value.trim() : undefined;
    return s !== undefined && s !== '' && valid(s) ? ok(s) : bad(help);
  };
}

// Slack IDs: a letter saying what the ID is (U/W a user, S a user group, C/G a channel), then
// uppercase letters and digits.
const isUserId = (s: string) => /^[UW][A-Z0-9]{1,31}$/.test(s);
/** A user group's ID, as opposed to a user's: approvers are either. */
export const isGroupId = (s: string) => /^S[A-Z0-9]{1,31}$/.test(s);
const isChannelId = (s: string) => /^[CG][A-Z0-9]{1,31}$/.test(s);

export const slackUserId = entry(isUserId, 'must be a Slack user ID like U024BE7LH (U or W, then uppercase letters and digits; not a name)');
export const slackGroupId = entry(isGroupId, 'must be a Slack user-group ID like S0614TZR7 (S, then uppercase letters and digits; not a @handle)');
export const approverId = entry(
  (s) => isUserId(s) || isGroupId(s),
  'must be a Slack user ID like U024BE7LH or user-group ID like S0614TZR7 (U, W or S, then uppercase letters and digits; not a name)',
);

const CHANNEL_HELP = 'must be a Slack channel ID like C024BE91L (C or G, then uppercase letters and digits; not a #name)';
export const slackChannelId = entry(isChannelId, CHANNEL_HELP);

/** A channel ID setting: not set, or a channel ID. */
export function channel(value: unknown): Parsed<string | undefined> {
  return optionalText(value, (s) => (isChannelId(s) ? undefined : CHANNEL_HELP));
}

/** A Kubernetes namespace's name: a DNS label. */
export const namespace = entry(
  isLabel,
  "must be a namespace name: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters",
);

const ruleNameEntry = entry(
  (s) => /^[a-z0-9][a-z0-9-]{0,62}$/.test(s),
  "must be 1-63 characters: lowercase letters, digits and '-', starting with a letter or digit (like ops-only)",
);

/** A policy rule's name: named in refusals ("refused by rule NAME"), and required. */
export function ruleName(value: unknown): Parsed<string> {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return bad('is required');
  return ruleNameEntry(value);
}

/** A word a rule names (a subcommand, a cluster): any text here; which words are known is checked with the rest of the policy. */
export const word = (help: string) => entry(() => true, help);

/** A price in US dollars an hour. */
export function hourlyUsd(value: unknown): Parsed<number> {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? ok(value) : bad('must be a positive number of US dollars an hour, like 0.025');
}

/** One AWS region of a list (`ORPHAN_REGIONS`). */
export const regionEntry = entry(isRegion, 'must be an AWS region like us-east-1');

/** An IANA time zone the runtime knows (`Europe/Berlin`, `UTC`). */
export function timeZone(value: unknown): Parsed<string | undefined> {
  return optionalText(value, (s) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: s });
      return undefined;
    } catch {
      return 'must be an IANA time zone like UTC, Europe/Berlin or America/New_York';
    }
  });
}

/** A five-field cron pattern (minute hour day-of-month month day-of-week), as BullMQ's job schedulers take. */
export function cronPattern(value: unknown): Parsed<string | undefined> {
  return optionalText(value, (s) => {
    const help = `must be a cron pattern of five fields: minute hour day-of-month month day-of-week, like "0 9 * * 1-5" (or six, seconds first)`;
    const fields = s.trim().split(/\s+/).length;
    if (fields !== 5 && fields !== 6) return help;
    try {
      CronExpressionParser.parse(s, { strict: false });
      return undefined;
    } catch {
      return help;
    }
  });
}

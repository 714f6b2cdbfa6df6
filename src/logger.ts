/**
 * The one logger svcbot passes around (pino), with secrets redacted BY CONFIGURATION: pino's
 * `redact` paths replace them with "[redacted]" before a line is written, whatever code logged them.
 *
 * Where secrets really show up in log objects:
 * - config dumps: `{ config }` -> config.slack.botToken/signingSecret/appToken, config.redisUrl
 *   (a Redis password lives in the URL's userinfo);
 * - Bolt: the listener `context` carries botToken/userToken; slash-command and interaction
 *   payloads carry the legacy verification `token`; a WebClient instance has `.token` and
 *   `defaultHeaders.Authorization`;
 * - HTTP requests: `headers.authorization` (Bearer tokens, AWS SigV4 signatures),
 *   `x-slack-signature`, `x-amz-security-token`, cookies;
 * - HTTP-client errors (axios-style): `err.config.headers.Authorization`, `err.request._header`
 *   (the raw request head, Authorization included);
 * - AWS credentials objects: accessKeyId/secretAccessKey/sessionToken;
 * - kubeconfig users: token, password, client-key-data.
 * Secret keys are matched at the top level and one level down everywhere, and deeper at the places
 * listed in REDACT_PATHS (a pino wildcard matches one level, and each one costs time on every line).
 */
import { createRequire } from 'node:module';
import { pino } from 'pino';
import type { DestinationStream, Logger as PinoLogger, LoggerOptions } from 'pino';
import { maskSecrets } from './domain/secret-text.js';

export type Logger = PinoLogger;

export interface CreateLoggerOptions {
  /** A pino level: fatal, error, warn, info, debug, trace or silent. */
  level: string;
  /** Human-readable lines (pino-pretty, a dev dependency); falls back to JSON where it is not installed. */
  pretty?: boolean;
  /** Where lines go (default: stdout). */
  destination?: DestinationStream;
}

export const REDACTED = '[redacted]';

/** Property names whose values are secrets wherever they appear. */
const SECRET_KEYS = [
  'token',
  'botToken',
  'userToken',
  'appToken',
  'signingSecret',
  'clientSecret',
  'password',
  'redisPassword',
  'redisSentinelPassword',
  'sentinelPassword',
  'secretAccessKey',
  'sessionToken',
  'authorization',
  'Authorization',
  'cookie',
  'Cookie',
  'set-cookie',
  'x-slack-signature',
  'X-Slack-Signature',
  'x-amz-security-token',
  'X-Amz-Security-Token',
  'client-key-data',
  'clientKeyData',
  'keyData',
  // The raw head of a Node http.ClientRequest, as found in HTTP-client errors.
  '_header',
];

/** Values that are URLs which may hold a password; only the password is hidden. */
const URL_KEYS = ['redisUrl'];

function key(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `["${name}"]`;
}

/** `prefix` + key, in pino's path syntax ("" prefix = top level). */
function join(prefix: string, name: string): string {
  const k = key(name);
  return prefix === '' ? (k.startsWith('.') ? k.slice(1) : k) : `${prefix}${k}`;
}

const HEADER_KEYS = [
  'authorization',
  'Authorization',
  'cookie',
  'x-slack-signature',
  'X-Slack-Signature',
  'x-amz-security-token',
  'X-Amz-Security-Token',
];

/**
 * The redaction paths given to pino. Every path costs time on every line (about 0.1 ms per line
 * for this list; a `*` walks every property of its level), so secret keys are matched at the top
 * level and one level down, and deeper only where they are known to occur.
 */
const REDACT_PATHS: readonly string[] = Object.freeze([
  ...new Set([
    ...[...SECRET_KEYS, ...URL_KEYS].flatMap((k) => [join('', k), join('*', k)]),
    // Config dumps: `{ config }` or any `{ x: { slack: {...} } }`.
    ...['botToken', 'signingSecret', 'appToken'].map((k) => join('*.slack', k)),
    // Incoming or outgoing HTTP headers one level down: `{ req: { headers } }`; a Slack WebClient
    // keeps `Authorization: Bearer xoxb-…` in `defaultHeaders`.
    ...HEADER_KEYS.flatMap((k) => [join('*.headers', k), join('defaultHeaders', k), join('*.defaultHeaders', k)]),
    // HTTP-client errors (axios-style) logged as `{ err }`, also when wrapped as `original` (Slack's
    // WebClient) or `cause`.
    ...['err', 'err.original', 'err.cause', 'err.response'].flatMap((base) => [
      ...HEADER_KEYS.map((k) => join(`${base}.config.headers`, k)),
      join(`${base}.request`, '_header'),
    ]),
    // AWS credentials and kubeconfig users inside a dumped object.
    ...['accessKeyId', 'secretAccessKey', 'sessionToken'].map((k) => join('*.credentials', k)),
    ...['token', 'password', 'client-key-data'].map((k) => join('*.users.*.user', k)),
  ]),
]);

const urlKeySet = new Set(URL_KEYS);

/** "[redacted]" for secrets; for URLs, the URL with its password (or, failing that, all of it) hidden. */
function censor(value: unknown, path: string[]): unknown {
  // An unset secret stays visibly unset (JSON leaves undefined out) instead of looking set.
  if (value === undefined) return undefined;
  const last = path[path.length - 1];
  if (last !== undefined && urlKeySet.has(last) && typeof value === 'string') {
    const url = URL.parse(value);
    if (!url) return REDACTED;
    if (!url.password) return value;
    url.password = '';
    // Put the marker back by hand: URL would percent-encode the brackets.
    return url.href.replace(`${url.protocol}//${url.username}@`, `${url.protocol}//${url.username}:${REDACTED}@`);
  }
  return REDACTED;
}

/** The pino options svcbot uses (redaction, serializers, timestamps). */
function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: [...REDACT_PATHS], censor },
    serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
}

type PrettyFactory = (options: Record<string, unknown>) => (line: string) => string;

function loadPrettyFactory(): PrettyFactory | undefined {
  try {
    const require = createRequire(import.meta.url);
    return (require('pino-pretty') as { prettyFactory: PrettyFactory }).prettyFactory;
  } catch {
    return undefined;
  }
}

/**
 * Every line, whatever logged it and under whichever key, with the secrets that `maskSecrets` knows by
 * their shape masked: the second net under the key-based redaction (a token inside an error message
 * or a URL has no key of its own).
 */
export function createLogger(opts: CreateLoggerOptions): Logger {
  const destination: DestinationStream = opts.destination ?? pino.destination({ dest: 1, sync: true });
  const prettyFactory = opts.pretty ? loadPrettyFactory() : undefined;
  // Formats each line synchronously before it reaches the destination (no worker thread, so
  // nothing is lost when the process exits right after logging).
  const pretty = prettyFactory?.({ translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  return pino(loggerOptions(opts.level), {
    write(line: string) {
      const masked = maskSecrets(line);
      destination.write(pretty ? pretty(masked) : masked);
    },
  });
}

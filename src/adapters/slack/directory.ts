/**
 * The Directory port over Slack's Web API:
 * - `groupsOf`: each user group asked about is listed with `usergroups.users.list` (scope
 *   `usergroups:read`), its members kept for `ttlMs` (5 minutes); lookups of a group already being
 *   listed wait for that one request.
 * - `nameOf`: `users.info` (scope `users:read`) gives the user's handle (`user.name`, as the port asks;
 *   `real_name` is a display name, neither unique nor always set), kept for `nameTtlMs` (1 hour).
 * A group Slack cannot list fails closed: `groupsOf` throws BotError `slack_error` (marked transient),
 * so whatever depended on the membership — an approval, a rule that names the group — is refused with
 * the reason rather than decided on a guess (a deny rule must not lapse because Slack did not answer). A
 * name that cannot be had is undefined. Each failure is logged once per group or user per cache period:
 * groups at warn level (the policy depends on them), names at debug.
 * What Slack refused (`no_such_subteam`, `missing_scope`…) is remembered for the period like an answer;
 * what went wrong on the way (network, HTTP 5xx, rate limits, no answer within `timeoutMs`) is not, so
 * the next lookup asks again.
 */
import type { WebClient } from '@slack/web-api';
import { BotError } from '../../domain/errors.js';
import type { Directory } from '../../ports/directory.js';
import type { Logger } from '../../ports/logger.js';

export interface SlackDirectoryOptions {
  logger: Logger;
  /** How long a group's member list is kept (ms); 5 minutes unless given. */
  ttlMs?: number;
  /** How long a user's name is kept (ms); 1 hour unless given. */
  nameTtlMs?: number;
  /**
   * The longest a lookup waits for Slack (ms); 5 s unless given. The WebClient retries a failed call
   * for a long time by default; an approval should not wait for it. A request that answers later still
   * fills the cache.
   */
  timeoutMs?: number;
  /** The clock (ms), for tests. */
  now?: () => number;
}

const MINUTE = 60_000;

/** Slack's platform errors that say "not now" rather than "no": not remembered. */
const TRANSIENT_REFUSALS = new Set(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

interface Failure {
  /** Why, in words, for the log line. */
  why: string;
  /** Slack's error code, when Slack answered with one. */
  slackError?: string;
  /** Slack answered "no": remembered for the period like an answer. */
  remembered: boolean;
}

function failureOf(err: unknown, scope: string): Failure {
  const code = (err as { code?: unknown })?.code;
  const data = (err as { data?: { error?: unknown; needed?: unknown } })?.data;
  const refused = typeof data?.error === 'string' ? data.error : undefined;
  if (code === 'slack_webapi_platform_error' && refused !== undefined) {
    const remembered = !TRANSIENT_REFUSALS.has(refused);
    if (refused === 'missing_scope') {
      const needed = typeof data?.needed === 'string' ? data.needed : scope;
      return { why: `missing_scope: add ${needed} to the Slack app's bot scopes and reinstall it`, slackError: refused, remembered };
    }
    return { why: `Slack answered ${refused}`, slackError: refused, remembered };
  }
  if (code === 'slack_webapi_http_error') return { why: `Slack answered HTTP ${String((err as { statusCode?: unknown }).statusCode)}`, remembered: false };
  if (code === 'slack_webapi_rate_limited_error') return { why: 'Slack is rate-limiting svcbot', remembered: false };
  const message = err instanceof Error ? err.message : String(err);
  return { why: `Slack could not be reached: ${message}`, remembered: false };
}

const TIMED_OUT = Symbol('timed out');

/** `promise`, or TIMED_OUT if it has not settled within `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface LookupOptions<T> {
  ttlMs: number;
  timeoutMs: number;
  now: () => number;
  /** Asks Slack; a rejection is a failure. */
  ask: (key: string) => Promise<T>;
  /** Turns a rejection into a Failure. */
  failure: (err: unknown) => Failure;
  /** Called at most once per key per period while it keeps failing. */
  report: (key: string, failure: Failure, forMs: number) => void;
}

/**
 * A cached, shared, bounded lookup: an answer (or a remembered refusal) is kept for `ttlMs`; concurrent
 * lookups of one key share one request; a lookup waits at most `timeoutMs`. Resolves with undefined when
 * there is no answer; never rejects.
 */
function cachedLookup<T>(opts: LookupOptions<T>): (key: string) => Promise<T | undefined> {
  const cache = new Map<string, { value: T | undefined; at: number }>();
  const inFlight = new Map<string, Promise<T | undefined>>();
  const reportedAt = new Map<string, number>();

  const fail = (key: string, failure: Failure) => {
    const last = reportedAt.get(key);
    if (last !== undefined && opts.now() - last < opts.ttlMs) return;
    reportedAt.set(key, opts.now());
    opts.report(key, failure, opts.ttlMs);
  };

  const request = (key: string): Promise<T | undefined> => {
    const pending = opts.ask(key).then(
      (value) => {
        cache.set(key, { value, at: opts.now() });
        reportedAt.delete(key);
        return value;
      },
      (err: unknown) => {
        const failure = opts.failure(err);
        if (failure.remembered) cache.set(key, { value: undefined, at: opts.now() });
        fail(key, failure);
        return undefined;
      },
    );
    inFlight.set(key, pending);
    void pending.finally(() => inFlight.delete(key));
    return pending;
  };

  return async (key) => {
    const cached = cache.get(key);
    if (cached && opts.now() - cached.at < opts.ttlMs) return cached.value;
    const answer = await within(inFlight.get(key) ?? request(key), opts.timeoutMs);
    if (answer !== TIMED_OUT) return answer;
    fail(key, { why: `Slack did not answer within ${opts.timeoutMs < 1000 ? `${opts.timeoutMs} ms` : `${opts.timeoutMs / 1000} s`}`, remembered: false });
    return undefined;
  };
}

/** "5 minutes", "1 hour", "30 s": how long something is remembered, for a log line. */
function period(ms: number): string {
  if (ms % (60 * MINUTE) === 0) return ms === 60 * MINUTE ? '1 hour' : `${ms / (60 * MINUTE)} hours`;
  if (ms % MINUTE === 0) return ms === MINUTE ? '1 minute' : `${ms / MINUTE} minutes`;
  return `${Math.round(ms / 1000)} s`;
}

export function createSlackDirectory(client: WebClient, options: SlackDirectoryOptions): Directory {
  const { ttlMs = 5 * MINUTE, nameTtlMs = 60 * MINUTE, timeoutMs = 5000, now = Date.now } = options;
  const logger = options.logger.child({ component: 'slack-directory' });

  const membersOf = cachedLookup<ReadonlySet<string>>({
    ttlMs,
    timeoutMs,
    now,
    ask: async (usergroup) => new Set((await client.usergroups.users.list({ usergroup })).users ?? []),
    failure: (err) => failureOf(err, 'usergroups:read'),
    report: (usergroup, failure, forMs) =>
      logger.warn(
        { usergroup, ...(failure.slackError ? { slackError: failure.slackError } : {}) },
        `cannot list the members of user group ${usergroup} (${failure.why}); what depends on it is refused ` +
          (failure.remembered ? `for the next ${period(forMs)}` : 'until Slack answers'),
      ),
  });

  const handleOf = cachedLookup<string | undefined>({
    ttlMs: nameTtlMs,
    timeoutMs,
    now,
    ask: async (user) => {
      const name = (await client.users.info({ user })).user?.name;
      return name === undefined || name === '' ? undefined : name;
    },
    failure: (err) => failureOf(err, 'users:read'),
    report: (user, failure) =>
      logger.debug({ user, ...(failure.slackError ? { slackError: failure.slackError } : {}) }, `cannot get the name of user ${user} (${failure.why})`),
  });

  return {
    async groupsOf(userId, groups) {
      const asked = [...new Set(groups)];
      const members = await Promise.all(asked.map((group) => membersOf(group)));
      const unknown = asked.filter((_, i) => members[i] === undefined);
      if (unknown.length > 0) {
        throw new BotError(
          'slack_error',
          `svcbot could not find out from Slack who is in user group ${unknown.join(', ')}, which its policy names, so it ` +
            'did nothing. Try again in a minute; if it keeps failing, tell whoever runs svcbot (its log says why).',
          { transient: true },
        );
      }
      return asked.filter((_, i) => members[i]?.has(userId) ?? false);
    },
    async nameOf(userId) {
      return handleOf(userId);
    },
  };
}

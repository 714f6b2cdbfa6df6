/**
 * Approval requests, the audit log and the orphan report's state on Redis, as the composition root takes them: one connection of
 * their own that fails fast (no offline queue, a deadline per call), so that a Redis that is down answers
 * "svcbot cannot reach Redis" at once — a BotError marked transient — instead of leaving an approval
 * hanging; ioredis reconnects in the background and the next call works once Redis is back. A call made
 * while the connection is still being made (svcbot just started) waits for it, within the deadline, as
 * the job queue's calls do.
 */
import { BotError } from '../../domain/errors.js';
import type { ApprovalStore } from '../../ports/approvals.js';
import type { AuditLog } from '../../ports/audit.js';
import type { Logger } from '../../ports/logger.js';
import { createRedisApprovalStore } from './approvals.js';
import { createRedisAuditLog } from './audit.js';
import { createRedisOrphanState } from './orphan-state.js';
import { createRedisGrantStore } from './ingress-grants.js';
import type { GrantStore } from '../../ports/ingress-grants.js';
import type { OrphanStateStore } from '../../ports/orphan-state.js';
import { connectRedis, type RedisConnection, type RedisTarget } from './connection.js';

export interface RedisGovernanceOptions {
  redis: RedisTarget;
  /** REDIS_PREFIX. */
  prefix: string;
  /** About this many audit entries are kept. */
  maxAuditEntries: number;
  logger: Logger;
  /** The longest one call waits for Redis (ms). Default 2 s. */
  callTimeoutMs?: number;
}

export interface RedisGovernance {
  approvals: ApprovalStore;
  audit: AuditLog;
  /** Snoozed and ignored orphaned load balancers, and what the last scheduled report listed. */
  orphans: OrphanStateStore;
  /** `/svc allow`'s grants and the rules they hold. */
  grants: GrantStore;
  close(): Promise<void>;
}

const UNAVAILABLE = 'svcbot cannot reach Redis, where it keeps approval requests and the audit log — try again shortly.';

/**
 * Resolves once `redis` is ready: at once when it is; when it is still connecting (just made), when it
 * becomes ready. Rejects at once when its connection is known to be failing (closed, reconnecting), and
 * as soon as the connection being made fails.
 */
function connected(redis: RedisConnection, deadline: Promise<never>): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  if (redis.status === 'reconnecting' || redis.status === 'close' || redis.status === 'end') {
    return Promise.reject(new Error(`the Redis connection is ${redis.status}`));
  }
  let onReady: () => void = () => undefined;
  let onClose: () => void = () => undefined;
  const settled = new Promise<void>((resolve, reject) => {
    onReady = resolve;
    onClose = () => reject(new Error('the Redis connection failed'));
    redis.once('ready', onReady);
    redis.once('close', onClose);
  });
  return Promise.race([settled, deadline]).finally(() => {
    redis.off('ready', onReady);
    redis.off('close', onClose);
  });
}

/**
 * Every method of `target`, run once `redis` is ready (see `connected`), each failure that is not already
 * a BotError turned into a transient `queue_unavailable`; waiting and the call together take at most
 * `timeoutMs`.
 */
function failingFast<T extends object>(target: T, redis: RedisConnection, timeoutMs: number): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(target)) {
    if (typeof value !== 'function') continue;
    wrapped[name] = async (...args: unknown[]) => {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer from Redis within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await connected(redis, deadline);
        return await Promise.race([(value as (...a: unknown[]) => Promise<unknown>).apply(target, args), deadline]);
      } catch (err) {
        if (err instanceof BotError) throw err;
        throw new BotError('queue_unavailable', UNAVAILABLE, { cause: err, transient: true });
      } finally {
        clearTimeout(timer);
      }
    };
  }
  return wrapped as T;
}

export function createRedisGovernance(options: RedisGovernanceOptions): RedisGovernance {
  const redis = connectRedis(options.redis, { enableOfflineQueue: false, maxRetriesPerRequest: 1, disconnectTimeout: 500, lazyConnect: false });
  let reported = false;
  redis.on('error', (err: Error) => {
    if (reported) return;
    reported = true;
    options.logger.warn({ err }, 'approvals and audit: Redis connection error (reconnecting)');
  });
  redis.on('ready', () => {
    reported = false;
  });
  const timeoutMs = options.callTimeoutMs ?? 2000;
  return {
    approvals: failingFast(createRedisApprovalStore(redis, { prefix: options.prefix }), redis, timeoutMs),
    audit: failingFast(createRedisAuditLog(redis, { prefix: options.prefix, maxEntries: options.maxAuditEntries }), redis, timeoutMs),
    orphans: failingFast(createRedisOrphanState(redis, { prefix: options.prefix }), redis, timeoutMs),
    grants: failingFast(createRedisGrantStore(redis, { prefix: options.prefix }), redis, timeoutMs),
    async close() {
      redis.disconnect();
      await Promise.resolve();
    },
  };
}

/**
 * Exactly-once side effects for jobs that may run more than once (retries, stalled-job takeover): a Redis
 * key per job and effect, claimed with SET NX before the effect and overwritten with the effect's result
 * after it.
 *
 * - claimed (SET NX won): do the effect, store `done:<result>` (kept `retentionMs`), return the result;
 *   if the effect throws, the claim is released so a retry can try again;
 * - already `done:…`: return the stored result without doing it again (e.g. the Slack ts of the message);
 * - `pending` (another attempt is doing it right now, or crashed while doing it): throw TransientJobError,
 *   so the job retries later; the claim expires after `leaseMs`.
 *
 * The one window left is a process that dies after Slack accepted a message and before the `done` write
 * (a few ms): after the lease expires a retry posts again. Closing it would need Slack to deduplicate
 * (it does not for chat.postMessage), so this is at-most-twice in that crash, exactly-once otherwise.
 */
import { TransientJobError, type OnceGuard } from '../../ports/jobs.js';

export interface RedisOnceOptions {
  /** Key prefix, e.g. the queue's prefix; keys are `${prefix}:once:${key}`. */
  prefix: string;
  leaseMs?: number;
  /** How long a done effect is remembered. Default 2 days. */
  retentionMs?: number;
}

/** The Redis commands the guard uses (an ioredis client fits). */
export interface OnceRedis {
  set(key: string, value: string, px: 'PX', ms: number, nx: 'NX'): Promise<'OK' | null>;
  set(key: string, value: string, px: 'PX', ms: number): Promise<'OK' | null>;
  get(key: string): Promise<string | null>;
  del(key: string): Promise<number>;
}

export function createRedisOnceGuard(redis: OnceRedis, opts: RedisOnceOptions): OnceGuard {
  const leaseMs = opts.leaseMs ?? 60_000;
  const retentionMs = opts.retentionMs ?? 2 * 24 * 3600_000;
  return {
    async run<T>(key: string, effect: () => Promise<T>): Promise<T> {
      const k = `${opts.prefix}:once:${key}`;
      const claimed = await redis.set(k, 'pending', 'PX', leaseMs, 'NX');
      if (claimed !== 'OK') {
        const value = await redis.get(k);
        if (value?.startsWith('done:')) return JSON.parse(value.slice('done:'.length)) as T;
        throw new TransientJobError(`another attempt is doing "${key}" right now`);
      }
      let result: T;
      try {
        result = await effect();
      } catch (err) {
        await redis.del(k).catch(() => undefined);
        throw err;
      }
      await redis.set(k, `done:${JSON.stringify(result ?? null)}`, 'PX', retentionMs);
      return result;
    },
  };
}

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
 * A claim names its owner (`pending:<owner>`, the worker process's id) when the guard is given one: an
 * attempt that meets the claim of an owner that is no longer alive (its heartbeat lapsed: `ownerAlive`)
 * takes the claim over at once (one script: only if the claim is still that one), rather than retrying
 * until the lease expires — a SIGKILLed worker's jobs post their endpoints as soon as they are adopted,
 * not a minute later.
 *
 * The one window left is a process that dies after Slack accepted a message and before the `done` write
 * (a few ms on a healthy host): the attempt that takes the claim over posts again. Closing it would need
 * Slack to deduplicate (it does not for chat.postMessage), so this is at-most-twice in that crash,
 * exactly-once otherwise.
 */
import { TransientJobError, type OnceGuard } from '../../ports/jobs.js';

export interface RedisOnceOptions {
  /** Key prefix, e.g. the queue's prefix; keys are `${prefix}:once:${key}`. */
  prefix: string;
  leaseMs?: number;
  /** How long a done effect is remembered. Default 2 days. */
  retentionMs?: number;
  /** Who claims (this worker process): written into the claim, so others can tell when its owner died. */
  ownerId?: string;
  /** Whether a claim's owner is alive (its heartbeat); a dead owner's claim is taken over at once. */
  ownerAlive?: (ownerId: string) => Promise<boolean>;
}

/**
 * KEYS: the claim. ARGV: the claim as read, the new claim, lease ms.
 * Takes the claim over only if it is still the one that was read (nobody else took it, it did not finish).
 */
const TAKE_OVER = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', tonumber(ARGV[3]))
  return 1
end
return 0`;

/** The Redis commands the guard uses (an ioredis client fits). */
export interface OnceRedis {
  set(key: string, value: string, px: 'PX', ms: number, nx: 'NX'): Promise<'OK' | null>;
  set(key: string, value: string, px: 'PX', ms: number): Promise<'OK' | null>;
  get(key: string): Promise<string | null>;
  del(key: string): Promise<number>;
  eval(script: string, numKeys: number, ...args: string[]): Promise<unknown>;
}

export function createRedisOnceGuard(redis: OnceRedis, opts: RedisOnceOptions): OnceGuard {
  const leaseMs = opts.leaseMs ?? 60_000;
  const retentionMs = opts.retentionMs ?? 2 * 24 * 3600_000;
  /** A claim whose owner is named and known to be no longer alive (a claim without an owner waits out its lease). */
  async function ownerIsGone(value: string): Promise<boolean> {
    if (!value.startsWith('pending:') || !opts.ownerAlive) return false;
    const owner = value.slice('pending:'.length);
    return owner !== opts.ownerId && !(await opts.ownerAlive(owner));
  }

  return {
    async run<T>(key: string, effect: () => Promise<T>): Promise<T> {
      const k = `${opts.prefix}:once:${key}`;
      const claim = opts.ownerId === undefined ? 'pending' : `pending:${opts.ownerId}`;
      const claimed = await redis.set(k, claim, 'PX', leaseMs, 'NX');
      if (claimed !== 'OK') {
        const value = await redis.get(k);
        if (value?.startsWith('done:')) return JSON.parse(value.slice('done:'.length)) as T;
        if (!(value !== null && (await ownerIsGone(value)) && (await redis.eval(TAKE_OVER, 1, k, value, claim, String(leaseMs))) === 1)) {
          throw new TransientJobError(`another attempt is doing "${key}" right now`);
        }
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

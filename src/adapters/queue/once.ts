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
 * not a minute later. Such a claim lasts `ownedLeaseMs` (15 minutes: a lone worker restarted after a
 * crash still finds it), since its owner's death, not its age, ends it; an own claim that no attempt of
 * this process is running (its `done` write failed) is taken over the same way.
 *
 * The window left is a process that dies after the effect took place and before the `done` write (a few
 * ms on a healthy host, longer on starved cores), or an effect that failed not knowing whether it took
 * place (a post that timed out). Given `recover`, the attempt that takes such a claim over (or meets
 * `retry`, what a failed effect leaves) asks it first whether the effect is there (the message, found in
 * Slack by the key it carries) and records that instead of doing it again. Without `recover`, a failed
 * effect releases its claim and a taken-over one is done again: at most twice in that crash.
 */
import { TransientJobError, type OnceGuard, type OnceOptions } from '../../ports/jobs.js';

export interface RedisOnceOptions {
  /** Key prefix, e.g. the queue's prefix; keys are `${prefix}:once:${key}`. */
  prefix: string;
  /** How long a claim without an owner lasts (its attempt may have died). Default 60 s. */
  leaseMs?: number;
  /** How long a claim naming its owner lasts (its owner's death ends it sooner). Default 15 minutes. */
  ownedLeaseMs?: number;
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

/** What a failed effect that has a `recover` leaves: the next attempt takes it over and looks first. */
const RETRY = 'retry';

export function createRedisOnceGuard(redis: OnceRedis, opts: RedisOnceOptions): OnceGuard {
  const claim = opts.ownerId === undefined ? 'pending' : `pending:${opts.ownerId}`;
  const claimMs = opts.ownerId === undefined ? (opts.leaseMs ?? 60_000) : (opts.ownedLeaseMs ?? 15 * 60_000);
  const retentionMs = opts.retentionMs ?? 2 * 24 * 3600_000;
  /** Keys an attempt of this process is running now: an own claim not among them was lost (see above). */
  const running = new Set<string>();

  /** Whether a claim found in place may be taken over: its owner is gone, or it is this process's lost one, or `retry`. */
  async function abandoned(k: string, value: string): Promise<boolean> {
    if (value === RETRY) return true;
    if (!value.startsWith('pending:')) return false; // no owner named: it waits out its lease
    const owner = value.slice('pending:'.length);
    if (owner === opts.ownerId) return !running.has(k);
    return opts.ownerAlive !== undefined && !(await opts.ownerAlive(owner));
  }

  const recordDone = (k: string, result: unknown) => redis.set(k, `done:${JSON.stringify(result ?? null)}`, 'PX', retentionMs);

  return {
    async run<T>(key: string, effect: () => Promise<T>, options: OnceOptions<T> = {}): Promise<T> {
      const k = `${opts.prefix}:once:${key}`;
      let takenOver = false;
      if ((await redis.set(k, claim, 'PX', claimMs, 'NX')) !== 'OK') {
        const value = await redis.get(k);
        if (value?.startsWith('done:')) return JSON.parse(value.slice('done:'.length)) as T;
        if (value === null || !(await abandoned(k, value)) || (await redis.eval(TAKE_OVER, 1, k, value, claim, String(claimMs))) !== 1) {
          throw new TransientJobError(`another attempt is doing "${key}" right now`);
        }
        takenOver = true;
      }
      running.add(k);
      try {
        let result: T;
        try {
          const found = takenOver && options.recover ? await options.recover() : undefined;
          result = found !== undefined ? found : await effect();
        } catch (err) {
          // With a recover, the next attempt looks before doing it again (it may have taken place); without, it just does.
          await (options.recover ? redis.set(k, RETRY, 'PX', claimMs) : redis.del(k)).catch(() => undefined);
          throw err;
        }
        // If this write fails, the claim stays this process's and not running: the next attempt takes it over.
        await recordDone(k, result);
        return result;
      } finally {
        running.delete(k);
      }
    },
  };
}

/**
 * Who owns a parked job, and what happens to the parked jobs of a worker that dies.
 *
 * A parked job (a BullMQ delayed job) is woken by the Service watch or a prober in the memory of the worker
 * that parked it. Rather than every parked job looking again every few minutes in case that worker died
 * (what 10,000 parked jobs cost Redis: ~3,000 commands a second), each worker keeps a heartbeat and records
 * the jobs it parks; a live worker's parked jobs are left alone, and when a worker's heartbeat lapses
 * another worker adopts its parked jobs: it claims them (one script, so two survivors never both adopt
 * them) and promotes them, so they run now and park again under whoever runs them, registering their
 * wake-ups there.
 *
 * Keys, all under `${prefix}:${queueName}:svcbot:` (one string, which a Redis Cluster setup can hash-tag
 * as a whole, like BullMQ's own keys of the queue; every script touches only keys declared in KEYS):
 * - `…:workers`: a sorted set, worker id -> when its heartbeat lapses (Redis server time, ms). A worker
 *   renews it every heartbeat/3 and is taken for dead once it has been silent for a whole heartbeat.
 * - `…:parked`: a hash, job id -> id of the worker that parked it. Written before the job moves to
 *   delayed (a worker that dies in between leaves an active job, which stalled-job recovery takes over),
 *   deleted when a run of the job ends any other way.
 *
 * Costs: one script call per worker per heartbeat/3, and one HSET/HDEL per run of a job, whatever the
 * number of parked jobs; an adoption reads the hash once (O(parked jobs), rare).
 */
import type { RedisConnection } from '../redis/connection.js';
import type { Logger } from '../../ports/logger.js';

export function ownershipKeys(prefix: string, queueName: string): { workers: string; parked: string } {
  const base = `${prefix}:${queueName}:svcbot`;
  return { workers: `${base}:workers`, parked: `${base}:parked` };
}

/** Lapsed workers handed back per heartbeat (more wait for the next one). */
const LAPSED_PER_BEAT = 10;

/** Redis server time in ms, inside a script (the same clock for every worker, whatever their own say). */
const NOW_MS = `local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** KEYS: workers. ARGV: worker id. 1 if the worker's heartbeat has not lapsed (by Redis server time). */
const ALIVE = `${NOW_MS}
local lapses = redis.call('ZSCORE', KEYS[1], ARGV[1])
if lapses and tonumber(lapses) >= now then return 1 end
return 0`;

/**
 * Whether `workerId` keeps a live heartbeat in any of these queues' worker sets (`ownershipKeys(…).workers`):
 * a worker that died, resigned at shutdown or was adopted is in none of them (or lapsed).
 */
export async function workerAlive(redis: Pick<RedisConnection, 'eval'>, workersKeys: readonly string[], workerId: string): Promise<boolean> {
  const answers = await Promise.all(workersKeys.map((key) => redis.eval(ALIVE, 1, key, workerId)));
  return answers.some((a) => a === 1);
}

/**
 * KEYS: workers. ARGV: worker id, heartbeat ms, how many lapsed ids to return.
 * Renews the heartbeat; returns { 1 if the worker was still registered (0: first beat, or it was taken for
 * dead and adopted), lapsed worker ids }.
 */
const BEAT = `${NOW_MS}
local known = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
local lapsed = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. now, 'LIMIT', 0, tonumber(ARGV[3]))
return { known and 1 or 0, lapsed }`;

/**
 * KEYS: workers, parked. ARGV: lapsed worker id, adopting worker id.
 * Claims a lapsed worker's parked jobs for the adopter, if its heartbeat is still lapsed (nobody adopted it
 * meanwhile, it did not come back). Returns the adopted job ids, or nil if there was nothing to claim.
 */
const ADOPT = `${NOW_MS}
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) >= now then return nil end
redis.call('ZREM', KEYS[1], ARGV[1])
local all = redis.call('HGETALL', KEYS[2])
local adopted = {}
for i = 1, #all, 2 do
  if all[i + 1] == ARGV[1] then
    redis.call('HSET', KEYS[2], all[i], ARGV[2])
    adopted[#adopted + 1] = all[i]
  end
end
return adopted`;

/** KEYS: parked. ARGV: worker id, job ids. Forgets the jobs that this worker still owns (handed back). */
const RELEASE = `local n = 0
for i = 2, #ARGV do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[1] then
    redis.call('HDEL', KEYS[1], ARGV[i])
    n = n + 1
  end
end
return n`;

/**
 * KEYS: workers, parked. ARGV: worker id. A stopping worker leaves: if it still owns parked jobs (not handed
 * back in time) its heartbeat is marked lapsed now, so the next beat of any other worker adopts them;
 * otherwise its entry is removed (nothing is left behind).
 */
const RESIGN = `local all = redis.call('HGETALL', KEYS[2])
for i = 2, #all, 2 do
  if all[i] == ARGV[1] then
    redis.call('ZADD', KEYS[1], 0, ARGV[1])
    return 1
  end
end
redis.call('ZREM', KEYS[1], ARGV[1])
return 0`;

type OwnershipRedis = RedisConnection & {
  svcbotBeat(workers: string, id: string, heartbeatMs: number, max: number): Promise<[number, string[]]>;
  svcbotAdopt(workers: string, parked: string, lapsed: string, adopter: string): Promise<string[] | null>;
  svcbotRelease(parked: string, id: string, ...jobIds: string[]): Promise<number>;
  svcbotResign(workers: string, parked: string, id: string): Promise<number>;
};

function withScripts(redis: RedisConnection): OwnershipRedis {
  const r = redis as OwnershipRedis;
  if (typeof r.svcbotBeat !== 'function') {
    redis.defineCommand('svcbotBeat', { numberOfKeys: 1, lua: BEAT });
    redis.defineCommand('svcbotAdopt', { numberOfKeys: 2, lua: ADOPT });
    redis.defineCommand('svcbotRelease', { numberOfKeys: 1, lua: RELEASE });
    redis.defineCommand('svcbotResign', { numberOfKeys: 2, lua: RESIGN });
  }
  return r;
}

export interface ParkOwnershipOptions {
  /** A single Redis or a Redis Cluster: every key is under one prefix string, so in one slot when that is hash-tagged. */
  redis: RedisConnection;
  prefix: string;
  queueName: string;
  workerId: string;
  /** A worker silent this long is taken for dead; it beats three times as often. */
  heartbeatMs: number;
  /** Wakes (promotes) adopted jobs; resolves the ids of those that no longer exist. */
  wake(jobIds: readonly string[]): Promise<readonly string[]>;
  /** Told when another worker adopted this one's parked jobs (it was taken for dead). */
  onAdoptedAway?: () => void;
  /** Told of each adoption this worker made (tests, logs). */
  onAdopted?: (lapsedWorker: string, jobIds: readonly string[]) => void;
  logger: Logger;
}

export interface ParkOwnership {
  readonly workerId: string;
  /** Records that this worker parks `jobId` (call before the job moves to delayed). */
  parking(jobId: string): Promise<void>;
  /** A run of `jobId` ended other than by parking: no worker owns it now. */
  ended(jobId: string): Promise<void>;
  /** Starts beating (and adopting); the first beat is at once. Resolves after it. */
  start(): Promise<void>;
  /** One beat now (and any adoptions it leads to). */
  beat(): Promise<void>;
  /**
   * Stops beating; forgets `handedBack` (jobs this worker promoted itself) and leaves the heartbeat set, or,
   * if it still owns parked jobs it did not hand back, marks its heartbeat lapsed so that another worker
   * adopts them at its next beat.
   */
  resign(handedBack: readonly string[]): Promise<void>;
  /** Stops beating, leaving the heartbeat to lapse by itself (tests: a worker that dies). */
  stop(): void;
}

export function createParkOwnership(options: ParkOwnershipOptions): ParkOwnership {
  const redis = withScripts(options.redis);
  const keys = ownershipKeys(options.prefix, options.queueName);
  const { workerId, heartbeatMs } = options;
  const log = options.logger;
  let timer: NodeJS.Timeout | undefined;
  let beating: Promise<void> | undefined;
  let beats = 0;
  let lastErrorLogged = 0;

  async function adopt(lapsed: string): Promise<void> {
    const jobIds = await redis.svcbotAdopt(keys.workers, keys.parked, lapsed, workerId);
    if (jobIds === null) return;
    log.warn({ lapsedWorker: lapsed, jobs: jobIds.length }, 'a worker stopped beating; adopting its parked jobs (running them now)');
    options.onAdopted?.(lapsed, jobIds);
    if (jobIds.length === 0) return;
    const gone = await options.wake(jobIds);
    if (gone.length > 0) await redis.hdel(keys.parked, ...gone);
  }

  async function beatOnce(): Promise<void> {
    const [known, lapsed] = await redis.svcbotBeat(keys.workers, workerId, heartbeatMs, LAPSED_PER_BEAT);
    beats += 1;
    if (known === 0 && beats > 1) {
      log.warn({ workerId }, 'this worker was taken for dead (its heartbeat lapsed); another adopted its parked jobs');
      options.onAdoptedAway?.();
    }
    for (const id of lapsed) if (id !== workerId) await adopt(id);
  }

  function beat(): Promise<void> {
    // One beat at a time: an adoption of many jobs may outlast the interval.
    beating ??= beatOnce()
      .catch((err: unknown) => {
        if (Date.now() - lastErrorLogged > 10_000) {
          lastErrorLogged = Date.now();
          log.warn({ err: err instanceof Error ? err.message : String(err) }, 'worker heartbeat failed (Redis unreachable?)');
        }
      })
      .finally(() => {
        beating = undefined;
      });
    return beating;
  }

  function stop(): void {
    if (timer) clearInterval(timer);
    timer = undefined;
  }

  return {
    workerId,
    async parking(jobId) {
      await redis.hset(keys.parked, jobId, workerId);
    },
    async ended(jobId) {
      await redis.hdel(keys.parked, jobId);
    },
    start() {
      if (!timer) {
        timer = setInterval(() => void beat(), Math.max(100, Math.floor(heartbeatMs / 3)));
        timer.unref();
      }
      return beat();
    },
    beat,
    async resign(handedBack) {
      stop();
      await beating;
      for (let i = 0; i < handedBack.length; i += 500) {
        await redis.svcbotRelease(keys.parked, workerId, ...handedBack.slice(i, i + 500));
      }
      await redis.svcbotResign(keys.workers, keys.parked, workerId);
    },
    stop,
  };
}

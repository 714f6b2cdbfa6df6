/**
 * Where the console's load-balancer jobs live, so that the README's walkthrough works on a machine with
 * nothing but Node, and nothing of a session outlives it. The first that works of:
 *
 * 1. the Redis at REDIS_URL, if it answers within half a second — under a key prefix of this session's
 *    own (`REDIS_PREFIX-console-<id>`), whose keys are removed when the console ends (Ctrl-C included);
 * 2. a private `redis-server` from PATH, started for this session (no persistence), stopped at the end;
 * 3. this process's memory (the in-process job backend), said in one line of the banner.
 *
 * `svcbot console --jobs redis|redis-server|memory|none` picks one instead. Production (`svcbot
 * start|web|worker`) always uses the Redis at REDIS_URL and says so when it does not answer.
 */
import { redisAddress, type Config } from '../config/index.js';
import type { PrivateRedis } from './private-redis.js';

export const CONSOLE_JOBS_CHOICES = ['auto', 'redis', 'redis-server', 'memory', 'none'] as const;
export type ConsoleJobsChoice = (typeof CONSOLE_JOBS_CHOICES)[number];

export interface ConsoleJobs {
  /** What the console's adapters run jobs on. */
  jobs: 'redis' | 'memory' | false;
  /** The configuration to run with: a private Redis's URL, this session's key prefix. */
  config: Config;
  /** The banner's line about it. */
  describe: string;
  /** Removes this session's keys, stops a private Redis. */
  close(): Promise<void>;
}

export interface ConsoleJobsDeps {
  redisAnswers(url: string, timeoutMs: number): Promise<boolean>;
  removeRedisKeys(url: string, prefix: string): Promise<number>;
  /** The `redis-server` on PATH, if any. */
  findRedisServer(): string | undefined;
  startPrivateRedis(binary: string): Promise<PrivateRedis>;
  /** A short random id for this session's key prefix. */
  sessionId(): string;
}

/** A job backend the console was told to use cannot be had. */
export class ConsoleJobsError extends Error {}

export async function chooseConsoleJobs(config: Config, choice: ConsoleJobsChoice, deps: ConsoleJobsDeps): Promise<ConsoleJobs> {
  const nothing = () => Promise.resolve();
  if (choice === 'none') {
    return { jobs: false, config, describe: 'Load-balancer jobs: off (--jobs none): load-balancer changes are made at once.', close: nothing };
  }
  if (choice === 'auto' || choice === 'redis') {
    const address = redisAddress(config.redisUrl);
    if (await deps.redisAnswers(config.redisUrl, 500)) {
      const prefix = `${config.redisPrefix}-console-${deps.sessionId()}`;
      return {
        jobs: 'redis',
        // The console's jobs run on REDIS_URL, a single Redis, whatever the cluster or Sentinel settings say.
        config: { ...config, redisPrefix: prefix, redisClusterNodes: [], redisSentinels: [] },
        describe: `Load-balancer jobs: Redis at ${address}, under keys ${prefix}:*, removed when you quit.`,
        close: () => deps.removeRedisKeys(config.redisUrl, prefix).then(() => undefined),
      };
    }
    if (choice === 'redis') throw new ConsoleJobsError(`no Redis answers at ${address} (REDIS_URL)`);
  }
  if (choice === 'auto' || choice === 'redis-server') {
    const binary = deps.findRedisServer();
    if (binary) {
      const redis = await deps.startPrivateRedis(binary);
      return {
        jobs: 'redis',
        config: { ...config, redisUrl: redis.url, redisClusterNodes: [], redisSentinels: [] },
        describe: `Load-balancer jobs: a redis-server of this session's own (${redisAddress(redis.url)}), stopped when you quit.`,
        close: () => redis.stop(),
      };
    }
    if (choice === 'redis-server') throw new ConsoleJobsError('there is no redis-server on PATH');
  }
  return {
    jobs: 'memory',
    config,
    describe:
      choice === 'memory'
        ? 'Load-balancer jobs: in this process (--jobs memory).'
        : `Load-balancer jobs: in this process (no Redis at ${redisAddress(config.redisUrl)} and no redis-server on PATH; svcbot start needs Redis).`,
    close: nothing,
  };
}

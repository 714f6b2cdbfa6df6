/**
 * Where the console's load-balancer jobs live: the Redis at REDIS_URL if it answers (under a prefix of the
 * session's own, removed at the end), else a redis-server of the session's own, else this process.
 */
import { chooseConsoleJobs, ConsoleJobsError, type ConsoleJobsDeps } from '../../src/console/jobs-backend.js';
import { loadConfig, redisAddress } from '../../src/config/index.js';

const config = loadConfig({ REDIS_URL: 'redis://:s3cret@10.0.0.5:6380/2', REDIS_PREFIX: 'svcbot' });

function deps(world: { redis?: boolean; redisServer?: boolean } = {}) {
  const calls: string[] = [];
  const d: ConsoleJobsDeps = {
    redisAnswers: (url) => {
      calls.push(`ping ${url}`);
      return Promise.resolve(world.redis ?? false);
    },
    removeRedisKeys: (url, prefix) => {
      calls.push(`remove ${prefix}:* at ${url}`);
      return Promise.resolve(3);
    },
    findRedisServer: () => (world.redisServer ? '/usr/bin/redis-server' : undefined),
    startPrivateRedis: (binary) => {
      calls.push(`start ${binary}`);
      return Promise.resolve({ url: 'redis://127.0.0.1:41234', stop: () => (calls.push('stop'), Promise.resolve()) });
    },
    sessionId: () => 'ab12cd34',
  };
  return { d, calls };
}

test('Redis at REDIS_URL answers: used under the session\'s own prefix, whose keys are removed at the end', async () => {
  const { d, calls } = deps({ redis: true, redisServer: true });
  const jobs = await chooseConsoleJobs(config, 'auto', d);
  expect(jobs.jobs).toBe('redis');
  expect(jobs.config.redisPrefix).toBe('svcbot-console-ab12cd34');
  expect(jobs.config.redisUrl).toBe(config.redisUrl);
  expect(jobs.describe).toBe('Load-balancer jobs: Redis at 10.0.0.5:6380, under keys svcbot-console-ab12cd34:*, removed when you quit.');
  expect(jobs.describe).not.toContain('s3cret');
  await jobs.close();
  expect(calls).toEqual([`ping ${config.redisUrl}`, `remove svcbot-console-ab12cd34:* at ${config.redisUrl}`]);
});

test('no Redis answers, redis-server is installed: a private one, stopped at the end', async () => {
  const { d, calls } = deps({ redis: false, redisServer: true });
  const jobs = await chooseConsoleJobs(config, 'auto', d);
  expect(jobs).toMatchObject({ jobs: 'redis', config: { redisUrl: 'redis://127.0.0.1:41234', redisPrefix: 'svcbot' } });
  expect(jobs.describe).toBe("Load-balancer jobs: a redis-server of this session's own (127.0.0.1:41234), stopped when you quit.");
  await jobs.close();
  expect(calls).toEqual([`ping ${config.redisUrl}`, 'start /usr/bin/redis-server', 'stop']);
});

test('neither: in this process, said in one line', async () => {
  const { d } = deps();
  const jobs = await chooseConsoleJobs(config, 'auto', d);
  expect(jobs.jobs).toBe('memory');
  expect(jobs.describe).toBe('Load-balancer jobs: in this process (no Redis at 10.0.0.5:6380 and no redis-server on PATH; svcbot start needs Redis).');
});

test('--jobs picks one; one that cannot be had is an error that says why', async () => {
  expect((await chooseConsoleJobs(config, 'memory', deps({ redis: true }).d)).jobs).toBe('memory');
  expect((await chooseConsoleJobs(config, 'none', deps({ redis: true }).d)).jobs).toBe(false);
  expect((await chooseConsoleJobs(config, 'redis-server', deps({ redis: true, redisServer: true }).d)).config.redisUrl).toBe('redis://127.0.0.1:41234');
  await expect(chooseConsoleJobs(config, 'redis', deps().d)).rejects.toEqual(new ConsoleJobsError('no Redis answers at 10.0.0.5:6380 (REDIS_URL)'));
  await expect(chooseConsoleJobs(config, 'redis-server', deps().d)).rejects.toEqual(new ConsoleJobsError('there is no redis-server on PATH'));
});

test('a Redis URL is shown as host:port only', () => {
  expect(redisAddress('rediss://user:pw@cache.example:7000/1')).toBe('cache.example:7000');
  expect(redisAddress('redis://127.0.0.1')).toBe('127.0.0.1:6379');
});

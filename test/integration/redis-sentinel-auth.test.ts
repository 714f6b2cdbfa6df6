/**
 * svcbot behind a password-protected Redis Sentinel: a private redis-server with `requirepass` and a
 * Sentinel with a password of its own, monitoring it (started once for this file). With REDIS_PASSWORD and
 * REDIS_SENTINEL_PASSWORD (as `loadConfig` and `redisTargetOf` make the target) the connection factory
 * reaches the master, the job backend passes its contract there (BullMQ given the Sentinel options with
 * both passwords) and the governance stores work; without either password the connection is refused.
 */
import { once } from 'node:events';
import { redisAnswers } from '../../src/adapters/queue/index.js';
import { connectRedis, redisTargetOf, type RedisTarget } from '../../src/adapters/redis/connection.js';
import { createRedisGovernance } from '../../src/adapters/redis/index.js';
import { loadConfig } from '../../src/config/index.js';
import { jobBackendContract } from '../contract/job-backend.contract.js';
import { bullmqBackendOn } from '../helpers/bullmq-backend.js';
import { quietLogger } from '../helpers/governance.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/redis-server.js';
import { startSentinel, type LocalSentinel } from '../helpers/redis-sentinel.js';

const MASTER = 'svcbot-auth-master';
const MASTER_PASSWORD = 'master-pw-for-tests';
const SENTINEL_PASSWORD = 'sentinel-pw-for-tests';
const newPrefix = () => `svcbot-test-${Math.random().toString(36).slice(2, 10)}`;

let master: PrivateRedis;
let sentinel: LocalSentinel | undefined;
let target: RedisTarget;
let sentinelEnv: Record<string, string>;

beforeAll(async () => {
  master = await startPrivateRedis({ password: MASTER_PASSWORD });
  sentinel = await startSentinel({ masterName: MASTER, masterPort: master.port, masterPassword: MASTER_PASSWORD, password: SENTINEL_PASSWORD });
  sentinelEnv = { REDIS_SENTINELS: `127.0.0.1:${sentinel.port}`, REDIS_SENTINEL_NAME: MASTER };
  target = redisTargetOf(loadConfig({ ...sentinelEnv, REDIS_PASSWORD: MASTER_PASSWORD, REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD }, () => ''));
});

afterAll(async () => {
  await sentinel?.stop();
  await master?.stop();
});

test('the connection factory reaches the password-protected master through the password-protected Sentinel', async () => {
  const redis = connectRedis(target, { maxRetriesPerRequest: 1 });
  const direct = connectRedis({ url: master.url });
  const prefix = newPrefix();
  try {
    await redis.set(`${prefix}:probe`, 'via sentinel');
    // It is the private master's key: the Sentinel led there.
    expect(await direct.get(`${prefix}:probe`)).toBe('via sentinel');
  } finally {
    await direct.del(`${prefix}:probe`);
    direct.disconnect();
    redis.disconnect();
  }
});

/** The first error a connection to `target` reports (ioredis's 'error' event), then closes it. */
async function firstError(target: RedisTarget): Promise<string> {
  const redis = connectRedis(target, { maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    const [err] = (await once(redis, 'error')) as [Error];
    return err.message;
  } finally {
    redis.disconnect();
  }
}

test('without the master’s password, or the Sentinel’s, the connection is refused (NOAUTH)', async () => {
  expect(await redisAnswers(target, 2000)).toBe(true);
  const noMasterPassword = redisTargetOf(loadConfig({ ...sentinelEnv, REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD }, () => ''));
  expect(await firstError(noMasterPassword)).toMatch(/^NOAUTH/);
  // The Sentinel refuses to name the master (ioredis retries the Sentinels, reporting each round).
  const noSentinelPassword = redisTargetOf(loadConfig({ ...sentinelEnv, REDIS_PASSWORD: MASTER_PASSWORD }, () => ''));
  expect(await firstError(noSentinelPassword)).toMatch(/All sentinels are unreachable.*NOAUTH/);
});

test('the governance stores work behind the password-protected Sentinel', async () => {
  const governance = createRedisGovernance({ redis: target, prefix: newPrefix(), maxAuditEntries: 100, logger: quietLogger, callTimeoutMs: 5000 });
  try {
    await governance.audit.append({ at: 1, action: 'change', userId: 'U1', result: 'ok' });
    expect(await governance.audit.recent({ limit: 10 })).toEqual([{ at: 1, action: 'change', userId: 'U1', result: 'ok' }]);
  } finally {
    await governance.close();
  }
});

jobBackendContract('BullMQ behind a password-protected Redis Sentinel', (options) => bullmqBackendOn(target)(options));

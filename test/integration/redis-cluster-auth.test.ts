/**
 * svcbot on a password-protected Redis Cluster (every node with `requirepass` and `masterauth`, 3 masters
 * + 3 replicas, started once for this file), the target made from REDIS_CLUSTER_NODES + REDIS_PASSWORD as
 * `loadConfig` and `redisTargetOf` make it: the connection factory reaches keys of every master and the
 * governance stores work; without the password the nodes refuse the connection (NOAUTH).
 */
import { once } from 'node:events';
import { redisAnswers } from '../../src/adapters/queue/index.js';
import { connectRedis, redisTargetOf, type RedisTarget } from '../../src/adapters/redis/connection.js';
import { createRedisGovernance } from '../../src/adapters/redis/index.js';
import { loadConfig } from '../../src/config/index.js';
import { quietLogger } from '../helpers/governance.js';
import { startRedisCluster, type LocalRedisCluster } from '../helpers/redis-cluster.js';

const PASSWORD = 'cluster-pw-for-tests';
const newPrefix = () => `svcbot-test-${Math.random().toString(36).slice(2, 10)}`;

let cluster: LocalRedisCluster;
let target: RedisTarget;
beforeAll(async () => {
  cluster = await startRedisCluster({ password: PASSWORD });
  target = redisTargetOf(loadConfig({ REDIS_CLUSTER_NODES: cluster.seeds, REDIS_PASSWORD: PASSWORD }, () => ''));
}, 60_000);
afterAll(() => cluster?.stop());

test('the connection factory reaches every master of the password-protected cluster', async () => {
  const prefix = newPrefix();
  const redis = connectRedis(target, { maxRetriesPerRequest: 1 });
  try {
    // Keys of many slots: every master is asked, each with the password.
    const keys = Array.from({ length: 30 }, (_, i) => `${prefix}:k${i}`);
    await Promise.all(keys.map((k) => redis.set(k, k)));
    expect(await Promise.all(keys.map((k) => redis.get(k)))).toEqual(keys);
  } finally {
    redis.disconnect();
    await cluster.removeKeys(prefix);
  }
});

test('the governance stores work on the password-protected cluster', async () => {
  const prefix = newPrefix();
  const governance = createRedisGovernance({ redis: target, prefix, maxAuditEntries: 100, logger: quietLogger, callTimeoutMs: 5000 });
  try {
    await governance.audit.append({ at: 1, action: 'change', userId: 'U1', result: 'ok' });
    expect(await governance.audit.recent({ limit: 10 })).toEqual([{ at: 1, action: 'change', userId: 'U1', result: 'ok' }]);
  } finally {
    await governance.close();
    await cluster.removeKeys(prefix);
  }
});

test('without the password the nodes refuse the connection (NOAUTH)', async () => {
  expect(await redisAnswers(target, 2000)).toBe(true);
  const redis = connectRedis(redisTargetOf(loadConfig({ REDIS_CLUSTER_NODES: cluster.seeds }, () => '')), { maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    // The cluster gives up on the seeds (no slots) and says why: the last node's refusal.
    const [err] = (await once(redis, 'error')) as [Error & { lastNodeError?: Error }];
    expect(err.lastNodeError?.message).toMatch(/^NOAUTH/);
  } finally {
    redis.disconnect();
  }
});

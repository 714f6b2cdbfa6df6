/**
 * svcbot's own stores on a real local Redis Cluster (3 masters + 3 replicas, started once for this file):
 * the approval store, the audit log and the orphan state pass their ports' contracts, as on one Redis
 * (approval-stores.test.ts, orphan-state.test.ts) — their scripts and MULTIs touch keys of one hash tag
 * only; the governance stores, the replay guard and the Slack pace work through the connection factory
 * (the pace's lanes on several masters, two clients sharing a lane's slots); and the helper's
 * killMaster hands a master's slots to its replica.
 */
import type { Cluster } from 'ioredis';
import { createRedisProbe } from '../../src/adapters/health/checks.js';
import { redisAnswers } from '../../src/adapters/queue/index.js';
import { createRedisApprovalStore } from '../../src/adapters/redis/approvals.js';
import { createRedisAuditLog } from '../../src/adapters/redis/audit.js';
import { connectRedis } from '../../src/adapters/redis/connection.js';
import { createRedisGovernance } from '../../src/adapters/redis/index.js';
import { createRedisOrphanState } from '../../src/adapters/redis/orphan-state.js';
import { createRedisReplayGuard } from '../../src/adapters/redis/replay-guard.js';
import { createRedisPace } from '../../src/adapters/redis/pace.js';
import { approvalStoreContract } from '../contract/approval-store.contract.js';
import { auditLogContract } from '../contract/audit-log.contract.js';
import { orphanStateContract } from '../contract/orphan-state.contract.js';
import { quietLogger } from '../helpers/governance.js';
import { startRedisCluster, type LocalRedisCluster } from '../helpers/redis-cluster.js';
import { freePort } from '../helpers/redis-server.js';

const newPrefix = () => `svcbot-test-${Math.random().toString(36).slice(2, 10)}`;

let cluster: LocalRedisCluster;
beforeAll(async () => {
  cluster = await startRedisCluster();
}, 60_000);
afterAll(() => cluster?.stop());

async function cleanUp(prefix: string, clients: Cluster[]): Promise<void> {
  for (const client of clients) client.disconnect();
  await cluster.removeKeys(prefix);
}

approvalStoreContract('Redis Cluster', ({ retentionMs, runLeaseMs }) => {
  const prefix = newPrefix();
  // A connection per store, as separate processes have.
  const clients = Array.from({ length: 4 }, () => cluster.client());
  const [store, ...peers] = clients.map((redis) =>
    createRedisApprovalStore(redis, { prefix, ...(retentionMs === undefined ? {} : { retentionMs }), ...(runLeaseMs === undefined ? {} : { runLeaseMs }) }),
  );
  return Promise.resolve({ store: store!, peers, teardown: () => cleanUp(prefix, clients) });
});

auditLogContract('Redis Cluster', async ({ maxEntries }) => {
  const prefix = newPrefix();
  const redis = cluster.client();
  const [, nodeSize] = (await redis.config('GET', 'stream-node-max-entries')) as [string, string];
  return { log: createRedisAuditLog(redis, { prefix, maxEntries }), capSlack: Number(nodeSize), teardown: () => cleanUp(prefix, [redis]) };
});

orphanStateContract('Redis Cluster', () => {
  const prefix = newPrefix();
  const clients = Array.from({ length: 4 }, () => cluster.client());
  const [store, ...peers] = clients.map((redis) => createRedisOrphanState(redis, { prefix }));
  return Promise.resolve({ store: store!, peers, teardown: () => cleanUp(prefix, clients) });
});

test('the governance stores and the replay guard run on the cluster through the connection factory', async () => {
  const prefix = newPrefix();
  const redis = { clusterNodes: cluster.nodes };
  const governance = createRedisGovernance({ redis, prefix, maxAuditEntries: 100, logger: quietLogger, callTimeoutMs: 5000 });
  const guard = createRedisReplayGuard({ redis, prefix, logger: quietLogger, callTimeoutMs: 5000 });
  try {
    await governance.audit.append({ at: 1, action: 'change', userId: 'U1', result: 'ok' });
    expect(await governance.audit.recent({ limit: 10 })).toEqual([{ at: 1, action: 'change', userId: 'U1', result: 'ok' }]);
    await governance.orphans.snooze('us-east-1/a', Date.now() + 60_000);
    expect((await governance.orphans.setAside(Date.now())).snoozedUntil.size).toBe(1);
    expect(await guard.firstSeen('request-1', 60_000)).toBe(true);
    expect(await guard.firstSeen('request-1', 60_000)).toBe(false);
  } finally {
    await governance.close();
    await guard.close();
    await cluster.removeKeys(prefix);
  }
});

test("the Slack pace on the cluster: each lane's key in a slot of its own hash tag, two clients sharing a lane's slots", async () => {
  const prefix = newPrefix();
  const redis = { clusterNodes: cluster.nodes };
  const [a, b] = [createRedisPace({ redis, prefix, callTimeoutMs: 5000 }), createRedisPace({ redis, prefix, callTimeoutMs: 5000 })];
  const limit = { perMinute: 60, burst: 2 }; // a slot a second: the calls' own time is small beside it
  try {
    const lanes = Array.from({ length: 6 }, (_, i) => `chat.postMessage:C${i}`);
    for (const lane of lanes) {
      const waits = [await a.reserve(lane, limit), await b.reserve(lane, limit), await a.reserve(lane, limit), await b.reserve(lane, limit)];
      expect(waits[0]).toBe(0);
      expect(waits[1]).toBe(0);
      expect(waits[2]).toBeGreaterThan(900);
      expect(waits[3]).toBeGreaterThan(1900);
    }
    // Each lane's key has its own hash tag, so its own slot: the lanes spread over the masters.
    const client = cluster.client();
    try {
      const slots = await Promise.all(lanes.map((lane) => client.cluster('KEYSLOT', `${prefix}:{pace:${lane}}`)));
      expect(new Set(slots).size).toBe(lanes.length);
    } finally {
      client.disconnect();
    }
  } finally {
    await Promise.all([a.close(), b.close()]);
    await cluster.removeKeys(prefix);
  }
});

test("the start-up check and the readiness probe see the cluster answer, and seeds where nothing listens not", async () => {
  expect(await redisAnswers({ clusterNodes: cluster.nodes }, 2000)).toBe(true);
  const started = Date.now();
  expect(await redisAnswers({ clusterNodes: [{ host: '127.0.0.1', port: await freePort() }] }, 500)).toBe(false);
  expect(Date.now() - started).toBeLessThan(2000);
  const probe = createRedisProbe({ clusterNodes: cluster.nodes });
  try {
    await expect(probe.check()).resolves.toBeUndefined();
  } finally {
    probe.close();
  }
});

test('killMaster kills the master serving a key; its replica takes over and the key is still there', async () => {
  const prefix = newPrefix();
  const key = `${prefix}:kill-me`;
  const redis = connectRedis({ clusterNodes: cluster.nodes }, { maxRetriesPerRequest: 20 });
  redis.on('error', () => undefined);
  try {
    await redis.set(key, 'kept');
    // The replica has the write before the master dies (replication is asynchronous otherwise).
    await redis.call('WAIT', 1, 2000);
    const port = await cluster.killMaster(key);
    expect(cluster.nodes.map((n) => n.port)).toContain(port);
    expect(await redis.get(key)).toBe('kept');
  } finally {
    redis.disconnect();
    await cluster.removeKeys(prefix);
  }
}, 40_000);

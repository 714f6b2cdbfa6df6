/**
 * The BullMQ job backend and the schedules pass their contracts on a real local Redis Cluster (3 masters +
 * 3 replicas, started once for this file), as they do on one Redis (job-backend.contract.test.ts,
 * schedules.test.ts): the queue's name in a hash tag keeps every key of a queue, svcbot's own beside
 * BullMQ's, in one slot, so no script fails with CROSSSLOT.
 */
import { pino } from 'pino';
import { createBullmqLbJobQueue } from '../../src/adapters/queue/bullmq-queue.js';
import { createRedisSchedules } from '../../src/adapters/queue/index.js';
import { type RedisTarget } from '../../src/adapters/redis/connection.js';
import { queueRegistryKey, shardQueueNames } from '../../src/adapters/queue/shards.js';
import { jobBackendContract } from '../contract/job-backend.contract.js';
import { bullmqBackendOn } from '../helpers/bullmq-backend.js';
import { schedulesContract } from '../contract/schedules.contract.js';
import { startRedisCluster, type LocalRedisCluster } from '../helpers/redis-cluster.js';

const QUEUE = 'lb-jobs';
const logger = pino({ level: 'silent' });
const newPrefix = () => `svcbot-test-${Math.random().toString(36).slice(2, 10)}`;

let cluster: LocalRedisCluster;
let target: RedisTarget;
beforeAll(async () => {
  cluster = await startRedisCluster();
  target = { clusterNodes: cluster.nodes };
}, 60_000);
afterAll(() => cluster?.stop());

jobBackendContract('BullMQ on a Redis Cluster', (options) => bullmqBackendOn(target, { timeoutMs: 5000, removeKeys: (prefix) => cluster.removeKeys(prefix) })(options));
jobBackendContract('BullMQ on a Redis Cluster, jobs spread over 4 queues', (options) =>
  bullmqBackendOn(target, { timeoutMs: 5000, shards: 4, removeKeys: (prefix) => cluster.removeKeys(prefix) })(options),
);

schedulesContract('Redis Cluster', ({ logger: log, graceMs }) => {
  const prefix = newPrefix();
  const schedules = createRedisSchedules({ redis: target, prefix, logger: log, lockTimeoutMs: 2000, graceMs, closeTimeoutMs: graceMs + 2000 });
  return Promise.resolve({
    schedules,
    teardown: async () => {
      await schedules.close();
      await cluster.removeKeys(prefix);
    },
  });
});

test("on a cluster every key of the job queue, BullMQ's and svcbot's own, is in the slot of the queue's hash tag", async () => {
  const prefix = newPrefix();
  const queue = createBullmqLbJobQueue({ redis: target, prefix, queueName: QUEUE, logger, timeoutMs: 5000 });
  const admin = cluster.client();
  await new Promise((resolve) => admin.once('ready', resolve));
  try {
    const data = { version: 1 as const, operation: 'provision' as const, cluster: 'prod', namespace: 'default', name: 'web', requester: { userId: 'U1', channelId: 'C1' }, requestedAt: Date.now() };
    const { jobId } = await queue.enqueue(data);
    expect(await queue.cancel(jobId, 'U2')).toBe('cancelled');
    const keys: string[] = [];
    for (const master of admin.nodes('master')) keys.push(...(await master.keys(`${prefix}:*`)));
    // Not the queue's: the Service's newest change (its own slot) and the set of queues in use (one key).
    const queueKeys = keys.filter((k) => !k.includes(':latest-change:') && k !== queueRegistryKey(prefix));
    expect(queueKeys).toEqual(expect.arrayContaining([`${prefix}:{${QUEUE}}:meta`, `${prefix}:{${QUEUE}}:svcbot:cancelled`]));
    const slots = new Set(await Promise.all(queueKeys.map(async (k) => Number(await admin.cluster('KEYSLOT', k)))));
    expect(slots.size).toBe(1);
  } finally {
    await queue.close();
    admin.disconnect();
    await cluster.removeKeys(prefix);
  }
});

test('jobs spread over 8 queues land on every master of the cluster, each queue in the slot of its own hash tag', async () => {
  const prefix = newPrefix();
  const queue = createBullmqLbJobQueue({ redis: target, prefix, shards: 8, logger, timeoutMs: 5000 });
  const admin = cluster.client();
  await new Promise((resolve) => admin.once('ready', resolve));
  try {
    for (let i = 0; i < 40; i++) {
      await queue.enqueue({ version: 1, operation: 'provision', cluster: `c${i % 8}`, namespace: 'default', name: `web-${i}`, requester: { userId: 'U1', channelId: 'C1' }, requestedAt: Date.now() });
    }
    const shardsPerMaster: Set<string>[] = [];
    for (const master of admin.nodes('master')) {
      const keys = await master.keys(`${prefix}:{lb-jobs-*}:*`);
      shardsPerMaster.push(new Set(keys.map((k) => /\{(lb-jobs-\d+)\}/.exec(k)![1]!)));
    }
    // Every shard's keys on exactly one master, and every master holding some.
    expect(shardsPerMaster.flatMap((s) => [...s]).sort()).toEqual(shardQueueNames(8).sort());
    expect(shardsPerMaster.every((s) => s.size > 0)).toBe(true);
    expect((await queue.counts()).waiting).toBe(40);
  } finally {
    await queue.close();
    admin.disconnect();
    await cluster.removeKeys(prefix);
  }
});

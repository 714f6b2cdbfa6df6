/**
 * The Redis ApprovalStore and AuditLog pass their ports' contracts on the real Redis, each test under a
 * key prefix of its own, every key removed afterwards; and the keys are laid out as the adapters say.
 */
import { Redis } from 'ioredis';
import type { ApprovalRequest } from '../../src/domain/approvals.js';
import { createRedisApprovalStore } from '../../src/adapters/redis/approvals.js';
import { createRedisAuditLog } from '../../src/adapters/redis/audit.js';
import { approvalStoreContract } from '../contract/approval-store.contract.js';
import { auditLogContract } from '../contract/audit-log.contract.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const newPrefix = () => `svcbot-test-${Math.random().toString(36).slice(2, 10)}`;

/** Removes every key under `prefix` and closes the connections. */
async function cleanUp(prefix: string, clients: Redis[]): Promise<void> {
  const [redis] = clients;
  const keys = await redis!.keys(`${prefix}:*`);
  if (keys.length > 0) await redis!.del(...keys);
  for (const client of clients) client.disconnect();
}

approvalStoreContract('Redis', ({ retentionMs, runLeaseMs }) => {
  const prefix = newPrefix();
  // A connection per store, as separate processes have.
  const clients = Array.from({ length: 4 }, () => new Redis(REDIS_URL));
  const [store, ...peers] = clients.map((redis) =>
    createRedisApprovalStore(redis, { prefix, ...(retentionMs === undefined ? {} : { retentionMs }), ...(runLeaseMs === undefined ? {} : { runLeaseMs }) }),
  );
  return Promise.resolve({ store: store!, peers, teardown: () => cleanUp(prefix, clients) });
});

auditLogContract('Redis', async ({ maxEntries }) => {
  const prefix = newPrefix();
  const redis = new Redis(REDIS_URL);
  const [, nodeSize] = (await redis.config('GET', 'stream-node-max-entries')) as [string, string];
  return { log: createRedisAuditLog(redis, { prefix, maxEntries }), capSlack: Number(nodeSize), teardown: () => cleanUp(prefix, [redis]) };
});

describe('Redis approval and audit keys', () => {
  const prefix = newPrefix();
  const redis = new Redis(REDIS_URL);
  afterAll(() => cleanUp(prefix, [redis]));

  test('requests, the pending and the running set and the open keys share the {a} hash tag; pending requests never expire, decided ones after the retention', async () => {
    const store = createRedisApprovalStore(redis, { prefix, retentionMs: 3_600_000 });
    const base: ApprovalRequest = {
      id: 'aaaaaaaa',
      status: 'pending',
      commandText: '/svc delete web',
      command: { kind: 'delete', name: 'web', scope: { namespace: 'default' } },
      change: { kind: 'delete', cluster: 'prod', namespace: 'default', name: 'web', ports: [] },
      why: 'deletes a LoadBalancer Service (and its load balancer)',
      requester: { userId: 'U1', channelId: 'C1' },
      createdAt: 1,
      expiresAt: 2,
    };
    await store.create(base);
    await store.create({ ...base, id: 'bbbbbbbb', change: { ...base.change, name: 'api' } });
    // (The changes' open keys of these two lapsed within a millisecond: the next test looks at them.)
    expect((await redis.keys(`${prefix}:*`)).filter((k) => !k.includes(':open:')).sort()).toEqual([
      `${prefix}:approvals:{a}:pending`,
      `${prefix}:approvals:{a}:req:aaaaaaaa`,
      `${prefix}:approvals:{a}:req:bbbbbbbb`,
    ]);
    expect(await redis.zrange(`${prefix}:approvals:{a}:pending`, 0, -1, 'WITHSCORES')).toEqual(['aaaaaaaa', '2', 'bbbbbbbb', '2']);
    expect(await redis.pttl(`${prefix}:approvals:{a}:req:aaaaaaaa`)).toBe(-1);
    await store.decide('aaaaaaaa', { status: 'approved', by: 'U2', at: 3 });
    // The approval starts the run's lease (default 2 minutes from the decision); finishing the run ends it.
    expect(await redis.zrange(`${prefix}:approvals:{a}:running`, 0, -1, 'WITHSCORES')).toEqual(['aaaaaaaa', String(3 + 120_000)]);
    await store.expireDue(2);
    for (const id of ['aaaaaaaa', 'bbbbbbbb']) {
      const ttl = await redis.pttl(`${prefix}:approvals:{a}:req:${id}`);
      expect(ttl).toBeGreaterThan(3_500_000);
      expect(ttl).toBeLessThanOrEqual(3_600_000);
    }
    expect(await redis.exists(`${prefix}:approvals:{a}:pending`)).toBe(0);
    await store.finishRun('aaaaaaaa');
    expect(await redis.exists(`${prefix}:approvals:{a}:running`)).toBe(0);
  });

  test("a change's open key says which request waits for it, under the {a} tag, and lives as long as that request can wait", async () => {
    const store = createRedisApprovalStore(redis, { prefix });
    await store.create({
      id: 'dddddddd',
      status: 'pending',
      commandText: '/svc type web lb',
      command: { kind: 'type', name: 'web', type: 'LoadBalancer', scope: { namespace: 'default' } },
      change: { kind: 'type', cluster: 'prod', namespace: 'default', name: 'web', fromType: 'ClusterIP', toType: 'LoadBalancer', ports: [] },
      why: 'creates a load balancer',
      requester: { userId: 'U1', channelId: 'C1' },
      createdAt: 1_000,
      expiresAt: 1_000 + 3_600_000,
    });
    const open = `${prefix}:approvals:{a}:open:type:prod/default/web:LoadBalancer`;
    expect(await redis.get(open)).toBe('dddddddd');
    const ttl = await redis.pttl(open);
    expect(ttl).toBeGreaterThan(3_500_000);
    expect(ttl).toBeLessThanOrEqual(3_600_000);
  });

  test('a claim drops from the running set the runs whose request was forgotten after its retention', async () => {
    const store = createRedisApprovalStore(redis, { prefix, runLeaseMs: 10 });
    await redis.zadd(`${prefix}:approvals:{a}:running`, 5, 'cccccccc');
    expect(await store.claimStalledRuns(100, 10)).toEqual([]);
    expect(await redis.exists(`${prefix}:approvals:{a}:running`)).toBe(0);
  });

  test('the audit log is one stream, each entry one `entry` field holding its JSON', async () => {
    const log = createRedisAuditLog(redis, { prefix, maxEntries: 10 });
    await log.append({ at: 1, action: 'change', userId: 'U1', result: 'ok' });
    expect(await redis.type(`${prefix}:audit`)).toBe('stream');
    const [[, fields]] = (await redis.xrange(`${prefix}:audit`, '-', '+')) as [[string, string[]]];
    expect(fields).toEqual(['entry', JSON.stringify({ at: 1, action: 'change', userId: 'U1', result: 'ok' })]);
  });
});

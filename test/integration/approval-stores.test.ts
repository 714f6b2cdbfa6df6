/**
 * The Redis ApprovalStore passes its port's contract on the real Redis, each test under a key prefix of
 * its own, every key removed afterwards; and the keys are laid out as the adapter says.
 */
import { Redis } from 'ioredis';
import type { ApprovalRequest } from '../../src/domain/approvals.js';
import { createRedisApprovalStore } from '../../src/adapters/redis/approvals.js';
import { approvalStoreContract } from '../contract/approval-store.contract.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const newPrefix = () => `svcbot-test-${Math.random().toString(36).slice(2, 10)}`;

/** Removes every key under `prefix` and closes the connections. */
async function cleanUp(prefix: string, clients: Redis[]): Promise<void> {
  const [redis] = clients;
  const keys = await redis!.keys(`${prefix}:*`);
  if (keys.length > 0) await redis!.del(...keys);
  for (const client of clients) client.disconnect();
}

approvalStoreContract('Redis', ({ retentionMs }) => {
  const prefix = newPrefix();
  // A connection per store, as separate processes have.
  const clients = Array.from({ length: 4 }, () => new Redis(REDIS_URL));
  const [store, ...peers] = clients.map((redis) => createRedisApprovalStore(redis, { prefix, ...(retentionMs === undefined ? {} : { retentionMs }) }));
  return Promise.resolve({ store: store!, peers, teardown: () => cleanUp(prefix, clients) });
});

describe('Redis approval keys', () => {
  const prefix = newPrefix();
  const redis = new Redis(REDIS_URL);
  afterAll(() => cleanUp(prefix, [redis]));

  test('requests and the pending set share the {a} hash tag; pending requests never expire, decided ones after the retention', async () => {
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
    await store.create({ ...base, id: 'bbbbbbbb' });
    expect((await redis.keys(`${prefix}:*`)).sort()).toEqual([`${prefix}:approvals:{a}:pending`, `${prefix}:approvals:{a}:req:aaaaaaaa`, `${prefix}:approvals:{a}:req:bbbbbbbb`]);
    expect(await redis.zrange(`${prefix}:approvals:{a}:pending`, 0, -1, 'WITHSCORES')).toEqual(['aaaaaaaa', '2', 'bbbbbbbb', '2']);
    expect(await redis.pttl(`${prefix}:approvals:{a}:req:aaaaaaaa`)).toBe(-1);
    await store.decide('aaaaaaaa', { status: 'approved', by: 'U2', at: 3 });
    await store.expireDue(2);
    for (const id of ['aaaaaaaa', 'bbbbbbbb']) {
      const ttl = await redis.pttl(`${prefix}:approvals:{a}:req:${id}`);
      expect(ttl).toBeGreaterThan(3_500_000);
      expect(ttl).toBeLessThanOrEqual(3_600_000);
    }
    expect(await redis.exists(`${prefix}:approvals:{a}:pending`)).toBe(0);
  });
});

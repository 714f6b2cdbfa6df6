/**
 * The Redis GrantStore on the real Redis, under a key prefix of its own (every key removed afterwards):
 * a grant kept once, each rule's holders counted so that only the last holder of a rule svcbot made
 * revokes it, a rule that was there before never revoked, a rule locked while one grant authorizes or
 * revokes it, and a grant closed once however many callers race — with a connection per caller, as
 * separate processes have.
 */
import { Redis } from 'ioredis';
import { createRedisGrantStore } from '../../src/adapters/redis/ingress-grants.js';
import type { IngressGrant } from '../../src/domain/ingress-grants-model.js';
import type { IngressRuleRef } from '../../src/ports/ingress-rules.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const LOCK_MS = 30_000;

const prefix = `svcbot-test-${Math.random().toString(36).slice(2, 10)}`;
const clients = Array.from({ length: 4 }, () => new Redis(REDIS_URL));
const [store, ...peers] = clients.map((redis) => createRedisGrantStore(redis, { prefix, retentionMs: 60_000 }));

afterAll(async () => {
  const keys = await clients[0]!.keys(`${prefix}:*`);
  if (keys.length > 0) await clients[0]!.del(...keys);
  for (const client of clients) client.disconnect();
});

const rule: IngressRuleRef = { groupId: 'sg-0123456789abcdef0', protocol: 'tcp', port: 30080, cidr: '203.0.113.0/24' };

function grant(id: string, over: Partial<IngressGrant> = {}): IngressGrant {
  return {
    id,
    status: 'opening',
    cluster: 'sandbox',
    namespace: 'default',
    service: 'web',
    target: { kind: 'node-ports' },
    cidr: rule.cidr,
    rules: [{ ...rule, groupName: 'k8s-nodes' }],
    requestedBy: 'U1',
    channelId: 'C1',
    commandText: '/svc allow web --from 203.0.113.0/24',
    createdAt: 1000,
    expiresAt: 2000,
    ...over,
  };
}

test('a grant is kept once: a second create of the id returns the one kept, with what happened since', async () => {
  expect((await store!.create(grant('00000001'))).created).toBe(true);
  await store!.claimRule('00000001', 0, rule, 1000, LOCK_MS);
  expect(await store!.settleRule('00000001', 0, rule, 'added')).toBe(true);
  const again = await peers[0]!.create(grant('00000001', { expiresAt: 9999 }));
  expect(again.created).toBe(false);
  expect(again.grant).toMatchObject({ expiresAt: 2000, rules: [{ owned: true, groupName: 'k8s-nodes' }] });
  expect((await store!.listActive()).map((g) => g.id)).toContain('00000001');
  // Cleaned up for the tests below: it releases (and would revoke) the rule it made.
  expect(await store!.releaseRule('00000001', rule, 1000, LOCK_MS)).toBe('revoke');
  await store!.finishRelease('00000001', rule);
});

test('a rule that was there before svcbot is not held, and never revoked', async () => {
  await store!.create(grant('00000002'));
  expect(await store!.claimRule('00000002', 0, rule, 1000, LOCK_MS)).toBe('ok');
  expect(await store!.settleRule('00000002', 0, rule, 'existed')).toBe(false);
  expect((await store!.get('00000002'))?.rules[0]?.owned).toBe(false);
  expect(await store!.releaseRule('00000002', rule, 1000, LOCK_MS)).toBe('keep');
});

test('two grants of a rule svcbot made: the first to end keeps it, the last revokes it; a grant that shares it holds it too', async () => {
  await store!.create(grant('00000003'));
  await store!.create(grant('00000004'));
  await store!.claimRule('00000003', 0, rule, 1000, LOCK_MS);
  expect(await store!.settleRule('00000003', 0, rule, 'added')).toBe(true);
  await peers[1]!.claimRule('00000004', 0, rule, 1000, LOCK_MS);
  // EC2 says duplicate: svcbot made it for the other grant, so this one shares it.
  expect(await peers[1]!.settleRule('00000004', 0, rule, 'existed')).toBe(true);
  expect(await store!.releaseRule('00000003', rule, 1000, LOCK_MS)).toBe('keep');
  expect(await peers[1]!.releaseRule('00000004', rule, 1000, LOCK_MS)).toBe('revoke');
  // Locked while it is revoked: a new grant of the same rule waits.
  expect(await store!.claimRule('00000005', 0, rule, 1000, LOCK_MS)).toBe('busy');
  // A failed revoke tried again is still this grant's to do.
  expect(await peers[1]!.releaseRule('00000004', rule, 1000, LOCK_MS)).toBe('revoke');
  await peers[1]!.finishRelease('00000004', rule);
  expect(await store!.claimRule('00000005', 0, rule, 1000, LOCK_MS)).toBe('ok');
  // This grant never learnt what its authorize did: it lets go and revokes nothing.
  expect(await store!.releaseRule('00000005', rule, 1000, LOCK_MS)).toBe('keep');
});

test('a lock lapses: a grant whose process died mid-authorize does not hold the rule for ever', async () => {
  expect(await store!.claimRule('00000006', 0, rule, 1000, 100)).toBe('ok');
  expect(await peers[0]!.claimRule('00000007', 0, rule, 1050, LOCK_MS)).toBe('busy');
  expect(await peers[0]!.claimRule('00000007', 0, rule, 1101, LOCK_MS)).toBe('ok');
  expect(await peers[0]!.settleRule('00000007', 0, rule, 'added')).toBe(true);
  expect(await peers[0]!.releaseRule('00000007', rule, 1200, LOCK_MS)).toBe('revoke');
  await peers[0]!.finishRelease('00000007', rule);
});

test('closing: of callers racing with their own closers, one closes; the one that did is told once; a closed grant stays closed', async () => {
  await store!.create(grant('00000008'));
  await store!.markOpen('00000008', 1500);
  expect((await store!.get('00000008'))?.status).toBe('open');
  const claims = await Promise.all(clients.map((_, i) => [store!, ...peers][i]!.beginClose('00000008', { closer: `c${i}`, reason: 'expired', by: 'svcbot', at: 2000, leaseMs: 60_000 })));
  expect(claims.filter((c) => c.outcome === 'mine')).toHaveLength(1);
  expect(claims.filter((c) => c.outcome === 'other')).toHaveLength(3);
  const winner = `c${claims.findIndex((c) => c.outcome === 'mine')}`;
  // The same closer again (a retried job) goes on; another waits.
  expect((await store!.beginClose('00000008', { closer: winner, reason: 'expired', by: 'svcbot', at: 2001, leaseMs: 60_000 })).outcome).toBe('mine');
  expect(await store!.finishClose('00000008', 'someone-else', 2002)).toBe(false);
  const finished = await Promise.all([store!.finishClose('00000008', winner, 2002), peers[0]!.finishClose('00000008', winner, 2002)]);
  expect(finished.filter(Boolean)).toHaveLength(1);
  const after = await store!.beginClose('00000008', { closer: 'revoke:x', reason: 'revoked', by: 'U2', at: 3000, leaseMs: 60_000 });
  expect(after).toMatchObject({ outcome: 'closed', grant: { status: 'closed', closeReason: 'expired', closedAt: 2002 } });
  expect((await store!.listActive()).map((g) => g.id)).not.toContain('00000008');
  expect(await clients[0]!.pttl(`${prefix}:ingress:{i}:grant:00000008`)).toBeGreaterThan(0);
});

test('a close whose process died is taken over once its lease lapses', async () => {
  await store!.create(grant('00000009'));
  expect((await store!.beginClose('00000009', { closer: 'revoke:dead', reason: 'revoked', by: 'U2', at: 1000, leaseMs: 100 })).outcome).toBe('mine');
  expect((await peers[0]!.beginClose('00000009', { closer: 'expiry', reason: 'expired', by: 'svcbot', at: 1050, leaseMs: 60_000 })).outcome).toBe('other');
  const taken = await peers[0]!.beginClose('00000009', { closer: 'expiry', reason: 'expired', by: 'svcbot', at: 1101, leaseMs: 60_000 });
  // Taken over, the close keeps its first reason and who asked.
  expect(taken).toMatchObject({ outcome: 'mine', grant: { closeReason: 'revoked', closedBy: 'U2' } });
  expect(await peers[0]!.finishClose('00000009', 'expiry', 1200)).toBe(true);
});

test('an unknown grant: missing', async () => {
  expect(await store!.beginClose('0badc0de', { closer: 'x', reason: 'revoked', by: 'U2', at: 1, leaseMs: 1 })).toEqual({ outcome: 'missing' });
  expect(await store!.get('0badc0de')).toBeUndefined();
});

test('an authorize started and never settled is marked: the grant knows it cannot tell whether the rule is its own', async () => {
  await store!.create(grant('0000000a', { rules: [{ ...rule, port: 30099 }] }));
  expect(await store!.claimRule('0000000a', 0, { ...rule, port: 30099 }, 1000, 100)).toBe('ok');
  expect((await store!.get('0000000a'))?.rules[0]).toMatchObject({ unsettled: true });
  expect((await store!.get('0000000a'))?.rules[0]?.owned).toBeUndefined();
  // Its release lets the lock go and revokes nothing.
  expect(await store!.releaseRule('0000000a', { ...rule, port: 30099 }, 1050, LOCK_MS)).toBe('keep');
});

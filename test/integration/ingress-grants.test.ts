/**
 * The ingress grants' domain logic over the real Redis grant store (a key prefix of its own) and
 * in-memory EC2 stand-ins whose answers a test controls: a failure halfway through undoes what was
 * opened; a revoke that lands while a grant is still opening leaves nothing open; a revoke that fails at
 * expiry is tried again and the grant is closed once; the nodes' group is chosen, never guessed.
 */
import { Redis } from 'ioredis';
import { createRedisGrantStore } from '../../src/adapters/redis/ingress-grants.js';
import { BotError } from '../../src/domain/errors.js';
import { makeIngressGrants } from '../../src/domain/ingress-grants.js';
import type { IngressGrant } from '../../src/domain/ingress-grants-model.js';
import { serviceManifest } from '../../src/domain/manifest.js';
import type { InstanceSecurityGroups, SecurityGroupView } from '../../src/domain/node-port-access.js';
import type { IngressRuleRef, IngressRules } from '../../src/ports/ingress-rules.js';
import { fakeTarget, InMemoryClusterRegistry } from '../fakes/in-memory-registry.js';
import { quietLogger, testGovernance } from '../helpers/governance.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `svcbot-test-${Math.random().toString(36).slice(2, 10)}`;
const redis = new Redis(REDIS_URL);

afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

const key = (r: IngressRuleRef) => `${r.groupId}/${r.protocol}/${r.port}/${r.cidr}`;

/** EC2's rules in memory; `before` runs ahead of each call (to fail it, or hold it). */
function fakeEc2(rules = new Set<string>()) {
  const calls: string[] = [];
  const hooks: { before?: (action: 'authorize' | 'revoke', rule: IngressRuleRef) => Promise<void> } = {};
  const ingress: IngressRules = {
    async authorize(rule) {
      calls.push(`authorize ${key(rule)}`);
      await hooks.before?.('authorize', rule);
      if (rules.has(key(rule))) return 'existed';
      rules.add(key(rule));
      return 'added';
    },
    async revoke(rule) {
      calls.push(`revoke ${key(rule)}`);
      await hooks.before?.('revoke', rule);
      return rules.delete(key(rule)) ? 'revoked' : 'absent';
    },
  };
  return { rules, calls, hooks, ingress };
}

function world(groups: SecurityGroupView[] = [{ groupId: 'sg-nodes', groupName: 'k8s-nodes', ingress: [] }]) {
  const ec2 = fakeEc2();
  const target = fakeTarget();
  const nodeSecurityGroups = {
    groupsOfInstances: (ids: readonly string[]): Promise<InstanceSecurityGroups> => Promise.resolve({ instances: ids.map((instanceId) => ({ instanceId, groupIds: groups.map((g) => g.groupId) })), groups }),
    groupsById: (ids: readonly string[]) => Promise.resolve(groups.filter((g) => ids.includes(g.groupId))),
  };
  const registry = new InMemoryClusterRegistry([{ ...target, nodeSecurityGroups, ingressRules: ec2.ingress }]);
  const gov = testGovernance();
  const scheduled: string[] = [];
  const cancelled: string[] = [];
  const closed: IngressGrant[] = [];
  const grants = makeIngressGrants({
    clusters: registry,
    store: createRedisGrantStore(redis, { prefix }),
    expiry: {
      schedule: (id) => Promise.resolve(void scheduled.push(id)),
      cancel: (id) => Promise.resolve(void cancelled.push(id)),
    },
    access: gov.access,
    audit: gov.audit,
    approvals: gov.requests,
    notices: { closed: (g) => Promise.resolve(void closed.push(g)) },
    logger: quietLogger,
    wait: () => new Promise((resolve) => setTimeout(resolve, 5)),
  });
  async function nodePort(name: string, ports = [80]): Promise<void> {
    await target.cluster.createService(
      serviceManifest({ name, namespace: 'default', selector: { app: 'alpine' }, ports: ports.map((port, i) => ({ name: `p${i}`, port, protocol: 'TCP' as const })), type: 'NodePort' }),
    );
  }
  const grant = (name: string, cidr = '198.51.100.0/24') =>
    grants.run({ kind: 'allow', action: 'grant', name, cidr, durationMs: 3_600_000, scope: { namespace: 'default' } }, { userId: 'U1', channelId: 'C1' });
  return { ec2, grants, grant, nodePort, scheduled, cancelled, closed, entries: () => gov.entries() };
}

async function failure(promise: Promise<unknown>): Promise<BotError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof BotError) return err;
    throw err;
  }
  throw new Error('it did not fail');
}

test('a failure halfway through undoes it: the rule opened before is revoked, the expiry job removed, nothing listed', async () => {
  const w = world();
  await w.nodePort('two', [80, 443]);
  let authorized = 0;
  w.ec2.hooks.before = (action) => {
    if (action === 'authorize' && ++authorized === 2) return Promise.reject(new BotError('forbidden', 'EC2 refused svcbot (UnauthorizedOperation)'));
    return Promise.resolve();
  };
  const err = await failure(w.grant('two'));
  expect(err.code).toBe('forbidden');
  expect(w.ec2.rules.size).toBe(0);
  expect(w.ec2.calls.filter((c) => c.startsWith('revoke'))).toHaveLength(1);
  expect(w.cancelled).toEqual(w.scheduled);
  expect(w.closed).toEqual([]);
  const listed = await w.grants.run({ kind: 'allow', action: 'list' }, { userId: 'U1' });
  expect(listed.kind === 'grants' && listed.grants.some((g) => g.service === 'two')).toBe(false);
});

test('revoked while it is still opening: what it opened after the revoke is released too, and it says so', async () => {
  const w = world();
  await w.nodePort('race', [80, 443]);
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  let authorized = 0;
  let reached: () => void = () => undefined;
  const atSecond = new Promise<void>((resolve) => (reached = resolve));
  w.ec2.hooks.before = async (action) => {
    if (action === 'authorize' && ++authorized === 2) {
      reached();
      await held;
    }
  };
  const opening = w.grant('race').then(
    () => undefined,
    (err: unknown) => err,
  );
  await atSecond;
  const id = w.scheduled[0]!;
  const revoked = await w.grants.run({ kind: 'allow', action: 'revoke', id }, { userId: 'U2' });
  expect(revoked).toMatchObject({ kind: 'revoked', already: false });
  release();
  const err = await opening;
  expect(err).toBeInstanceOf(BotError);
  expect((err as BotError).userMessage).toContain('was revoked while it opened');
  expect(w.ec2.rules.size).toBe(0);
});

test('a revoke that fails at expiry is tried again; the grant is closed, and told, once', async () => {
  const w = world();
  await w.nodePort('flaky');
  const opened = await w.grant('flaky');
  const id = opened.kind === 'operation' && opened.result.kind === 'ingress-opened' ? opened.result.grant.id : '';
  let fail = true;
  w.ec2.hooks.before = (action) => (action === 'revoke' && fail ? Promise.reject(new BotError('aws_error', 'Throttling', { transient: true })) : Promise.resolve());
  expect((await failure(w.grants.expire(id))).code).toBe('aws_error');
  expect(w.ec2.rules.size).toBe(1);
  fail = false;
  await w.grants.expire(id);
  await w.grants.expire(id);
  expect(w.ec2.rules.size).toBe(0);
  expect(w.closed.map((g) => [g.id, g.closeReason])).toEqual([[id, 'expired']]);
  expect((await w.entries()).filter((e) => e.result.startsWith(`expired: closed grant ${id}`))).toHaveLength(1);
});

test('the nodes\u2019 group: of several shared ones the cluster-tagged one; several untagged ones are refused, not guessed', async () => {
  const tagged = world([
    { groupId: 'sg-extra', ingress: [] },
    { groupId: 'sg-cluster', groupName: 'eks-cluster-sg', ingress: [], tags: { 'kubernetes.io/cluster/prod': 'owned' } },
  ]);
  await tagged.nodePort('tagged');
  const opened = await tagged.grant('tagged');
  expect(opened.kind === 'operation' && opened.result.kind === 'ingress-opened' && opened.result.grant.rules.map((r) => r.groupId)).toEqual(['sg-cluster']);

  const untagged = world([
    { groupId: 'sg-a', ingress: [] },
    { groupId: 'sg-b', ingress: [] },
  ]);
  await untagged.nodePort('untagged');
  const err = await failure(untagged.grant('untagged'));
  expect(err.userMessage).toContain('The nodes share several security groups (`sg-a`, `sg-b`) and none is tagged `kubernetes.io/cluster/…`: svcbot does not guess which to open.');
  expect(untagged.ec2.calls).toEqual([]);
});

import { createMemoryOrphanState } from '../../../src/adapters/memory/orphan-state.js';
import { approvedRunner } from '../../../src/domain/approved-runner.js';
import { makeApprovalDecisions } from '../../../src/domain/approval-decisions.js';
import type { Command } from '../../../src/domain/command.js';
import { BotError } from '../../../src/domain/errors.js';
import { makeOrphanCommands, SNOOZE_MS, type FoundLoadBalancer, type OrphanResult, type OrphanTarget } from '../../../src/domain/orphan-commands.js';
import { DEFAULT_LOAD_BALANCER_PRICES, loadBalancerKey } from '../../../src/domain/orphan-report.js';
import type { LoadBalancerRecord } from '../../../src/domain/load-balancer-record.js';
import { inTreeLoadBalancerName, type ScannedLoadBalancer } from '../../../src/domain/orphans.js';
import { DEFAULT_POLICY, type Policy } from '../../../src/domain/policy.js';
import type { OperationResult } from '../../../src/domain/results.js';
import type { LbJobSummary } from '../../../src/ports/queue.js';
import { fakeWorld } from '../../fakes/index.js';
import { quietLogger, testGovernance } from '../../helpers/governance.js';

const NOW = Date.UTC(2026, 11, 6, 12, 0, 0);
const DAY = 86_400_000;

function classicLb(name: string, tags: Record<string, string>, overrides: Partial<ScannedLoadBalancer> = {}): ScannedLoadBalancer {
  return { region: 'us-east-1', name, kind: 'classic', dnsName: `${name}-1.us-east-1.elb.amazonaws.com`, createdAt: NOW - 3 * DAY, tags, inService: 0, registered: 0, ...overrides };
}

const owned = (service: string) => ({ 'kubernetes.io/cluster/prod-eks': 'owned', 'kubernetes.io/service-name': service });

function recordOf(lb: ScannedLoadBalancer): LoadBalancerRecord {
  return {
    kind: 'classic',
    key: loadBalancerKey(lb),
    region: lb.region,
    name: lb.name,
    dnsName: lb.dnsName,
    scheme: 'internet-facing',
    createdAt: new Date(lb.createdAt).toISOString(),
    securityGroups: [],
    tags: { ...lb.tags },
    describedAt: new Date(NOW).toISOString(),
    availabilityZones: ['us-east-1a'],
    subnets: [],
    listeners: [{ protocol: 'TCP', loadBalancerPort: 80, instanceProtocol: 'TCP', instancePort: 30080, policyNames: [] }],
    instances: [],
    policies: { appCookieStickiness: [], lbCookieStickiness: [], other: [] },
    backendServers: [],
    attributes: { additional: {} },
  };
}

/** AWS as a map of load balancers: found by key or region/name, deleted on request. */
function fakeAws(lbs: ScannedLoadBalancer[]) {
  const live = new Map(lbs.map((lb) => [loadBalancerKey(lb), lb]));
  const calls: string[] = [];
  let listedAfterDelete = 0;
  const byKey = (key: string) => live.get(key) ?? [...live.values()].find((lb) => `${lb.region}/${lb.name}` === key);
  const target: OrphanTarget = {
    find(key) {
      calls.push(`find ${key}`);
      const lb = byKey(key);
      const found: FoundLoadBalancer | undefined = lb && { lb, record: recordOf(lb), summary: [`listener 80`, `${Object.keys(lb.tags).length} tags`] };
      return Promise.resolve(found);
    },
    delete(lb) {
      calls.push(`delete ${lb.name}`);
      return Promise.resolve(live.delete(loadBalancerKey(lb)) ? 'deleted' : 'gone');
    },
    isListed(lb) {
      calls.push(`isListed ${lb.name}`);
      if (listedAfterDelete > 0) {
        listedAfterDelete--;
        return Promise.resolve(true);
      }
      return Promise.resolve(live.has(loadBalancerKey(lb)));
    },
  };
  return { target, live, calls, stillListedFor: (n: number) => (listedAfterDelete = n) };
}

const APPROVALS: Policy = { ...DEFAULT_POLICY };

async function world(lbs: (uid: { web: string }) => ScannedLoadBalancer[], options: { policy?: Policy; jobs?: LbJobSummary[]; graceMs?: number } = {}) {
  const { registry, targets } = fakeWorld(['prod']);
  const web = await targets[0]!.cluster.createService({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default', labels: {} }, spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }] } });
  const all = lbs({ web: web.uid });
  const aws = fakeAws(all);
  const gov = testGovernance({ now: () => NOW, ...(options.policy ? { policy: options.policy } : {}) });
  const state = createMemoryOrphanState();
  let clock = NOW;
  const waits: number[] = [];
  const orphans = makeOrphanCommands({
    sources: {
      regions: ['us-east-1'],
      clusters: [{ name: 'prod', awsName: 'prod-eks', region: undefined }],
      registry,
      inventory: { scan: (region) => Promise.resolve([...aws.live.values()].filter((lb) => lb.region === region)) },
      jobs: { list: () => Promise.resolve(options.jobs ?? []) },
      graceMs: options.graceMs ?? 30 * 60_000,
      now: () => clock,
    },
    target: aws.target,
    state,
    access: gov.access,
    audit: gov.audit,
    approvals: gov.requests,
    needs: gov.policy.approval.needs,
    prices: DEFAULT_LOAD_BALANCER_PRICES,
    logger: quietLogger,
    now: () => clock,
    pollMs: 1000,
    goneTimeoutMs: 5000,
    wait: (ms) => {
      waits.push(ms);
      clock += ms;
      return Promise.resolve();
    },
  });
  const run = (command: Command & { kind: 'orphans' | 'orphan' }, userId = 'U-ALICE') => orphans.run(command, { userId, channelId: 'C1', commandText: 'test' });
  return { orphans, run, aws, gov, state, registry, targets, web, waits };
}

function operation(result: OrphanResult): OperationResult {
  if (result.kind !== 'operation') throw new Error(`expected an operation, got ${result.kind}`);
  return result.result;
}

const report = { kind: 'orphans', all: false, ignored: false, page: 0 } as const;

describe('/svc orphans', () => {
  it('reports the orphans of the configured clusters, the Service gone, with cost; in-use ones are not', async () => {
    const { run } = await world((uid) => [classicLb('gone1', owned('default/gone')), classicLb(inTreeLoadBalancerName(uid.web), owned('default/web'))]);
    const result = await run(report);
    if (result.kind !== 'report') throw new Error(result.kind);
    expect(result.report.orphans.map((e) => e.lb.name)).toEqual(['gone1']);
    expect(result.report.orphans[0]!.cost.monthlyUsd).toBeCloseTo(18.25);
    expect(result.query).toEqual({ page: 0 });
  });

  it('refuses a region svcbot does not scan and a cluster it does not know', async () => {
    const { run } = await world(() => []);
    await expect(run({ ...report, region: 'eu-west-1' })).rejects.toThrow(/does not scan region `eu-west-1`/);
    await expect(run({ ...report, cluster: 'nope' })).rejects.toMatchObject({ code: 'unknown_cluster' });
  });
});

describe('/svc orphan snooze | ignore | unignore', () => {
  it('snoozes an orphan for 7 days: out of the report, counted as snoozed, recorded', async () => {
    const { run, gov } = await world(() => [classicLb('gone1', owned('default/gone'))]);
    const snoozed = await run({ kind: 'orphan', action: 'snooze', key: 'us-east-1/gone1' });
    expect(snoozed).toEqual({ kind: 'snoozed', key: 'us-east-1/gone1', name: 'gone1', until: NOW + SNOOZE_MS });
    const after = await run(report);
    expect(after).toMatchObject({ kind: 'report', report: { orphans: [], snoozedCount: 1 } });
    expect((await gov.entries()).map((e) => e.result)).toContain('snoozed orphaned load balancer gone1 (us-east-1/gone1) for 7 days');
  });

  it('ignores with who, when and why; a second ignore keeps the first; unignore (by region/name) brings it back', async () => {
    const { run } = await world(() => [classicLb('gone1', owned('default/gone'))]);
    const first = await run({ kind: 'orphan', action: 'ignore', key: 'us-east-1/gone1', reason: 'migration' });
    expect(first).toEqual({ kind: 'ignored', already: false, entry: { key: 'us-east-1/gone1', name: 'gone1', by: 'U-ALICE', at: NOW, reason: 'migration' } });
    const again = await run({ kind: 'orphan', action: 'ignore', key: 'us-east-1/gone1', reason: 'other' }, 'U-BOB');
    expect(again).toMatchObject({ kind: 'ignored', already: true, entry: { by: 'U-ALICE', reason: 'migration' } });
    expect(await run({ ...report, ignored: true })).toMatchObject({ kind: 'ignored-list', entries: [{ key: 'us-east-1/gone1', reason: 'migration' }] });
    expect(await run(report)).toMatchObject({ report: { orphans: [], ignoredCount: 1 } });
    expect(await run({ kind: 'orphan', action: 'unignore', key: 'us-east-1/gone1' })).toEqual({ kind: 'unignored', key: 'us-east-1/gone1', name: 'gone1', found: true });
    expect(await run({ kind: 'orphan', action: 'unignore', key: 'us-east-1/gone1' })).toMatchObject({ found: false });
    expect(await run(report)).toMatchObject({ report: { orphans: [{ key: 'us-east-1/gone1' }], ignoredCount: 0 } });
  });

  it.each([
    ['shared', classicLb('shared1', { 'kubernetes.io/cluster/prod-eks': 'shared', 'kubernetes.io/service-name': 'default/gone' }), /tagged `shared`/],
    ['unmanaged', classicLb('bare1', {}), /no cluster tag/],
    ['young (grace period)', classicLb('young1', owned('default/gone'), { createdAt: NOW - 60_000 }), /younger than the grace period/],
  ])('refuses a %s load balancer, and changes nothing', async (_what, lb, message) => {
    const { run, state } = await world(() => [lb]);
    for (const action of ['snooze', 'delete'] as const) {
      await expect(run({ kind: 'orphan', action, key: `us-east-1/${lb.name}` })).rejects.toThrow(message);
    }
    await expect(run({ kind: 'orphan', action: 'ignore', key: `us-east-1/${lb.name}`, reason: 'x' })).rejects.toThrow(message);
    expect(await state.setAside(NOW)).toEqual({ snoozedUntil: new Map(), ignored: [] });
  });

  it('refuses one in use by its Service, and one whose Service has a job running', async () => {
    const { run, web } = await world((uid) => [classicLb(inTreeLoadBalancerName(uid.web), owned('default/web'))]);
    await expect(run({ kind: 'orphan', action: 'snooze', key: `us-east-1/${inTreeLoadBalancerName(web.uid)}` })).rejects.toThrow(/in use by Service `default\/web` on cluster `prod`/);
    await expect(run({ kind: 'orphan', action: 'snooze', key: 'us-east-1/nothing-here' })).rejects.toMatchObject({ code: 'not_found' });
    const busy = await world(() => [classicLb('gone1', owned('default/gone'))], { jobs: [{ id: 'j', operation: 'provision', cluster: 'prod', namespace: 'default', name: 'gone', state: 'active', createdAt: new Date(NOW), requesterId: 'U-X' } satisfies LbJobSummary] });
    await expect(busy.run({ kind: 'orphan', action: 'delete', key: 'us-east-1/gone1' })).rejects.toThrow(/being changed by a svcbot job/);
  });

  it('snoozes and ignores (but never deletes) one of a cluster svcbot does not know', async () => {
    const { run } = await world(() => [classicLb('lost1', { 'kubernetes.io/cluster/old-prod': 'owned', 'kubernetes.io/service-name': 'default/x' })]);
    await expect(run({ kind: 'orphan', action: 'delete', key: 'us-east-1/lost1' })).rejects.toThrow(/cluster `old-prod`, which svcbot is not configured for/);
    expect(await run({ kind: 'orphan', action: 'snooze', key: 'us-east-1/lost1' })).toMatchObject({ kind: 'snoozed' });
  });

  it('a policy that keeps someone from `orphan` refuses them, recorded', async () => {
    const policy: Policy = { ...DEFAULT_POLICY, rules: [{ name: 'no-cleanup', effect: 'deny', users: ['U-ALICE'], subcommands: ['orphan'] }] };
    const { run, gov } = await world(() => [classicLb('gone1', owned('default/gone'))], { policy });
    await expect(run({ kind: 'orphan', action: 'snooze', key: 'us-east-1/gone1' })).rejects.toMatchObject({ code: 'not_allowed' });
    expect((await gov.entries()).at(-1)).toMatchObject({ action: 'refused', userId: 'U-ALICE', cluster: 'prod', namespace: 'default' });
    expect(await run(report)).toMatchObject({ kind: 'report' });
  });
});

describe('/svc orphan delete', () => {
  it('asks for approval; once approved by someone else it records the description, deletes, and watches until AWS no longer lists it', async () => {
    const { run, orphans, gov, aws, waits } = await world(() => [classicLb('gone1', owned('default/gone'))], { policy: APPROVALS });
    const asked = operation(await run({ kind: 'orphan', action: 'delete', key: 'us-east-1/gone1' }));
    if (asked.kind !== 'approval-requested') throw new Error(asked.kind);
    expect(asked.request).toMatchObject({
      why: 'deletes a load balancer',
      command: { kind: 'orphan', action: 'delete', key: 'us-east-1/gone1' },
      change: { kind: 'delete-load-balancer', cluster: 'prod', namespace: 'default', name: 'gone', loadBalancer: { key: 'us-east-1/gone1', name: 'gone1', kind: 'classic', region: 'us-east-1' } },
      cost: { monthlyUsd: 18.25 },
    });
    expect(aws.live.has('us-east-1/gone1')).toBe(true);
    // The same deletion asked again waits on the same request.
    expect(operation(await run({ kind: 'orphan', action: 'delete', key: 'us-east-1/gone1' }, 'U-CAROL'))).toMatchObject({ kind: 'approval-requested', alreadyWaiting: true, request: { id: asked.request.id } });

    aws.stillListedFor(2);
    const decisions = makeApprovalDecisions({ store: gov.store, requests: gov.requests, notices: gov.notices, audit: gov.audit, access: gov.access, operations: approvedRunner({ run: () => Promise.reject(new Error('not a Service')) }, orphans), logger: quietLogger, now: () => NOW });
    const decided = await decisions.decide(asked.request.id, 'approve', { userId: 'U-BOB' });
    expect(decided).toMatchObject({ kind: 'decided', run: { kind: 'ran', result: { kind: 'load-balancer-deleted', result: { name: 'gone1', gone: true, alreadyGone: false, monthlyUsd: 18.25, service: { cluster: 'prod', namespace: 'default', name: 'gone' } } } } });
    expect(aws.live.has('us-east-1/gone1')).toBe(false);
    expect(waits).toEqual([1000, 1000]);
    const entries = await gov.entries();
    const snapshot = entries.find((e) => e.snapshot !== undefined);
    expect(snapshot).toMatchObject({ userId: 'U-ALICE', requestId: asked.request.id, snapshot: { name: 'gone1', listeners: [{ loadBalancerPort: 80, instancePort: 30080 }] } });
    expect(snapshot!.result).toMatch(/^deleting orphaned load balancer gone1 .*listener 80/);
    // The description is recorded before the deletion is asked of AWS.
    expect(entries.indexOf(snapshot!)).toBeLessThan(entries.findIndex((e) => /no further charges/.test(e.result)));
    expect(aws.calls.filter((c) => c.startsWith('delete'))).toEqual(['delete gone1']);
  });

  it('an approved deletion of a load balancer gone since says so: nothing bills any more', async () => {
    const { run, orphans, gov, aws } = await world(() => [classicLb('gone1', owned('default/gone'))], { policy: APPROVALS });
    const asked = operation(await run({ kind: 'orphan', action: 'delete', key: 'us-east-1/gone1' }));
    if (asked.kind !== 'approval-requested') throw new Error(asked.kind);
    aws.live.clear();
    const result = await orphans.run(asked.request.command as Command & { kind: 'orphan' }, { userId: 'U-ALICE' }, { approved: asked.request });
    expect(operation(result)).toMatchObject({ kind: 'load-balancer-deleted', result: { alreadyGone: true, gone: true } });
    expect((await gov.entries()).at(-1)!.result).toMatch(/was gone already: no further charges/);
  });

  it('an approved deletion whose Service came back (as a LoadBalancer with this very load balancer) deletes nothing', async () => {
    const { run, orphans, targets, aws } = await world(() => [], { policy: APPROVALS });
    const svc = await targets[0]!.cluster.createService({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'back', namespace: 'default', labels: {} }, spec: { type: 'ClusterIP', selector: { app: 'x' }, ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }] } });
    const lb = classicLb(inTreeLoadBalancerName(svc.uid), owned('default/back'));
    aws.live.set(loadBalancerKey(lb), lb);
    const asked = operation(await run({ kind: 'orphan', action: 'delete', key: loadBalancerKey(lb) }));
    if (asked.kind !== 'approval-requested') throw new Error(asked.kind);
    expect(asked.request.change.name).toBe('back');
    await targets[0]!.cluster.setServiceType('default', 'back', 'LoadBalancer');
    const err = await orphans.run(asked.request.command as Command & { kind: 'orphan' }, { userId: 'U-ALICE' }, { approved: asked.request }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BotError);
    expect(err).toMatchObject({ code: 'stale_request', userMessage: expect.stringMatching(/in use by Service `default\/back`.*It changed since the request: nothing was deleted/) });
    expect(aws.live.has(loadBalancerKey(lb))).toBe(true);
  });

  it('without an approval rule it deletes at once, and says when AWS still lists it after the watch', async () => {
    const { run, aws } = await world(() => [classicLb('gone1', owned('default/gone'))], { policy: { ...DEFAULT_POLICY, approval: { ...DEFAULT_POLICY.approval, needs: { createLoadBalancer: true, deleteLoadBalancer: false, deleteNodePort: true, allowIngress: true } } } });
    aws.stillListedFor(100);
    expect(operation(await run({ kind: 'orphan', action: 'delete', key: 'us-east-1/gone1' }))).toMatchObject({ kind: 'load-balancer-deleted', result: { gone: false, alreadyGone: false } });
  });
});

describe('the pages of one report', () => {
  it('"Show more" reads the report made a moment ago; a first page always scans anew', async () => {
    const { run, aws } = await world(() => [classicLb('gone1', owned('default/gone'))]);
    const first = await run({ ...report });
    if (first.kind !== 'report') throw new Error(first.kind);
    aws.live.set('us-east-1/gone2', classicLb('gone2', owned('default/gone2')));
    const second = await run({ ...report, page: 1 });
    if (second.kind !== 'report') throw new Error(second.kind);
    expect(second.report).toBe(first.report);
    expect(second.query.page).toBe(1);
    const again = await run({ ...report });
    if (again.kind !== 'report') throw new Error(again.kind);
    expect(again.report.orphans.map((e) => e.lb.name)).toEqual(['gone1', 'gone2']);
  });
});

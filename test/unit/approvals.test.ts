/**
 * The policy and approvals in the domain, over the in-memory fakes: what needs approval and what runs at
 * once, who may decide, the atomic decision, expiry, the state an approval was given for, an approved
 * run cut short by a dying process and resumed, the policy checked where the change is made, and the
 * audit entries each of these leaves.
 */
import { BotError } from '../../src/domain/errors.js';
import { lbJobId, type LbJobData } from '../../src/domain/lb-jobs.js';
import { parseCommand } from '../../src/domain/grammar/index.js';
import { isGovernanceCommand, type GovernanceResult } from '../../src/domain/governance-commands.js';
import { makeJobCommands } from '../../src/domain/job-commands.js';
import { isServiceCommand, makeOperations, type LbJobsDeps, type Operations, type Requester } from '../../src/domain/operations.js';
import { DEFAULT_POLICY, type Policy } from '../../src/domain/policy.js';
import type { OperationResult } from '../../src/domain/results.js';
import { DEFAULT_RUN_LEASE_MS, type ApprovalRequest } from '../../src/domain/approvals.js';
import type { DecisionResult } from '../../src/domain/approval-decisions.js';
import { createMemoryLatestChanges } from '../../src/adapters/memory/latest-changes.js';
import type { Logger } from '../../src/ports/logger.js';
import type { LbJobQueue, LbJobSummary } from '../../src/ports/queue.js';
import { expectBotError } from '../contract/expect-bot-error.js';
import { fakeWorld, type InMemoryTarget } from '../fakes/index.js';
import { testDirectory, testGovernance, type TestGovernanceOptions } from '../helpers/governance.js';
import { ttlWords } from '../../src/domain/approval-requests.js';

const ALICE: Requester = { userId: 'U0ALICE', channelId: 'C0OPS', commandText: '/svc …' };
const BOB: Requester = { userId: 'U0BOB', channelId: 'C0OPS' };
const CAROL: Requester = { userId: 'U0CAROL', channelId: 'C0OPS' };

/** A job queue that keeps what it is given (no worker: the tests look at what was queued). */
function keepingQueue(): LbJobQueue & { enqueued: LbJobData[] } {
  const enqueued: LbJobData[] = [];
  return {
    enqueued,
    enqueue(data) {
      enqueued.push(data);
      return Promise.resolve({ jobId: lbJobId(data.operation, data.cluster, data.namespace, data.name), duplicate: false });
    },
    list: () => Promise.resolve([] as LbJobSummary[]),
    get: () => Promise.resolve(undefined),
    cancel: () => Promise.resolve('not_found' as const),
    supersede: () => Promise.resolve(),
    counts: () => Promise.reject(new Error('not used')),
  };
}

function setup(opts: TestGovernanceOptions & { jobs?: boolean } = {}) {
  const clock = { t: Date.parse('2026-12-06T10:00:00Z') };
  const { registry, targets } = fakeWorld(['prod', 'staging']);
  const [prod] = targets as [InMemoryTarget, InMemoryTarget];
  const gov = testGovernance({ policy: DEFAULT_POLICY, now: () => clock.t, ...opts });
  const queue = keepingQueue();
  const lbJobs: LbJobsDeps | undefined = opts.jobs ? { queue, changes: createMemoryLatestChanges() } : undefined;
  const operations = makeOperations({ clusters: registry, now: () => new Date(clock.t), governance: gov.governance, ...(lbJobs ? { lbJobs } : {}) });
  const { commands, decisions } = gov.withOperations(operations, registry);
  const jobCommands = makeJobCommands({ clusters: registry, queue, access: gov.access, audit: gov.audit });
  /** Runs a `/svc` line as `who`, as the command handler would. */
  async function run(text: string, who: Requester = ALICE): Promise<OperationResult | GovernanceResult> {
    const command = parseCommand(text);
    const acting = { ...who, commandText: `/svc ${text}` };
    if (isGovernanceCommand(command)) return commands.run(command, acting);
    if (command.kind === 'cancel') {
      await jobCommands.cancel(command, acting);
      return { kind: 'help' };
    }
    if (!isServiceCommand(command)) throw new Error(`not handled here: ${text}`);
    return operations.run(command, acting);
  }
  async function request(text: string, who: Requester = ALICE): Promise<ApprovalRequest> {
    const result = await run(text, who);
    if (result.kind !== 'approval-requested') throw new Error(`expected an approval request, got ${result.kind}`);
    return result.request;
  }
  async function decision(text: string, who: Requester): Promise<DecisionResult> {
    const result = await run(text, who);
    if (result.kind !== 'decision') throw new Error(`expected a decision, got ${result.kind}`);
    return result.result;
  }
  return { clock, prod, registry, gov, queue, operations, decisions, run, request, decision };
}

const LB_CREATE = 'create web --selector app=alpine --port 8080:80 --type lb';

describe('what waits for approval', () => {
  test('creating a load balancer: a request is kept, posted and recorded; nothing is created', async () => {
    const { prod, gov, request } = setup();
    const req = await request(LB_CREATE);
    expect(req).toMatchObject({
      status: 'pending',
      commandText: `/svc ${LB_CREATE}`,
      change: { kind: 'create', cluster: 'prod', namespace: 'default', name: 'web', toType: 'LoadBalancer', ports: ['8080:80/TCP'] },
      why: 'creates a load balancer',
      cost: { region: 'us-east-1', hourlyUsd: 0.025, monthlyUsd: 18.25 },
      requester: { userId: 'U0ALICE', channelId: 'C0OPS' },
      message: { channel: 'C-APPROVALS', ts: `ts-${req.id}` },
    });
    expect(req.id).toMatch(/^[0-9a-f]{8}$/);
    expect(req.expiresAt - req.createdAt).toBe(DEFAULT_POLICY.approval.ttlMs);
    expect(prod.cluster.writes).toEqual([]);
    expect(gov.notices.log.posted.map((r) => r.id)).toEqual([req.id]);
    expect(await gov.store.get(req.id)).toMatchObject({ status: 'pending', message: { channel: 'C-APPROVALS' } });
    expect(await gov.entries()).toEqual([
      expect.objectContaining({ action: 'requested', userId: 'U0ALICE', command: `/svc ${LB_CREATE}`, cluster: 'prod', namespace: 'default', service: 'web', requestId: req.id }),
    ]);
  });

  test('a type change to LoadBalancer and deleting a LoadBalancer or NodePort Service wait; the request keeps the resourceVersion', async () => {
    const { prod, request, run } = setup({ policy: { ...DEFAULT_POLICY, approval: { ...DEFAULT_POLICY.approval, selfApproval: true } } });
    await run('create web --selector app=alpine --port 80');
    await run('create np --selector app=alpine --port 80 --type nodeport');
    const current = await prod.cluster.getService('default', 'web');
    const toLb = await request('type web lb');
    expect(toLb).toMatchObject({ change: { kind: 'type', fromType: 'ClusterIP', toType: 'LoadBalancer' }, resourceVersion: current.resourceVersion, cost: { monthlyUsd: 18.25 } });
    const delNp = await request('delete np');
    expect(delNp).toMatchObject({ change: { kind: 'delete', fromType: 'NodePort' }, why: 'deletes a NodePort Service' });
    expect(delNp.cost).toBeUndefined();
    expect(prod.cluster.writes).toEqual(['create default/web', 'create default/np']);
  });

  test('what costs nothing and destroys nothing runs at once, and is recorded as a change', async () => {
    const { prod, run, gov } = setup();
    expect((await run('create web --selector app=alpine --port 80')).kind).toBe('created');
    expect((await run('type web nodeport')).kind).toBe('type-changed');
    expect((await run('type web clusterip')).kind).toBe('type-changed');
    expect((await run('delete web')).kind).toBe('deleted');
    expect((await run(`${LB_CREATE} --dry-run`)).kind).toBe('dry-run');
    expect(prod.cluster.writes).toEqual(['create default/web', 'patch default/web type=NodePort', 'patch default/web type=ClusterIP', 'delete default/web']);
    expect((await gov.entries()).map((e) => `${e.action} ${e.result}`)).toEqual([
      'change created ClusterIP Service',
      'change type ClusterIP → NodePort',
      'change type NodePort → ClusterIP',
      'change deleted ClusterIP Service',
    ]);
  });

  test('the same change asked for again while it waits is that request: nothing new is posted or recorded', async () => {
    const { run, gov, request } = setup();
    const first = await request(LB_CREATE);
    const again = await run(LB_CREATE, BOB);
    expect(again).toMatchObject({ kind: 'approval-requested', alreadyWaiting: true, request: { id: first.id, requester: { userId: 'U0ALICE' } } });
    expect(gov.notices.log.posted).toHaveLength(1);
    expect((await gov.entries()).map((e) => e.action)).toEqual(['requested']);
    // Once decided, the same change is a new request.
    await gov.store.decide(first.id, { status: 'rejected', by: 'U0BOB', at: Date.now() });
    const anew = await request(LB_CREATE);
    expect(anew.id).not.toBe(first.id);
  });

  test('a request for what cannot be done is not made: a taken name is said at once', async () => {
    const { run, gov } = setup();
    await run('create web --selector app=alpine --port 80');
    await expectBotError(run(LB_CREATE), 'already_exists');
    expect(await gov.store.listPending()).toEqual([]);
  });

  test('with a job queue, an approved load-balancer change is queued with the resourceVersion it was approved for', async () => {
    const { queue, request, decision, prod, run } = setup({ jobs: true });
    await run('create web --selector app=alpine --port 80');
    const { resourceVersion } = await prod.cluster.getService('default', 'web');
    const req = await request('type web lb');
    const decided = await decision(`approve ${req.id}`, BOB);
    expect(decided).toMatchObject({ kind: 'decided', run: { kind: 'ran', result: { kind: 'queued' } } });
    expect(queue.enqueued).toEqual([expect.objectContaining({ operation: 'provision', name: 'web', expectResourceVersion: resourceVersion, requester: expect.objectContaining({ userId: 'U0ALICE' }) })]);
  });
});

describe('deciding', () => {
  test('approve: the change runs as the requester; the message is updated and the requester told; all recorded', async () => {
    const { request, decision, prod, gov } = setup();
    const req = await request(LB_CREATE);
    const result = await decision(`approve ${req.id}`, BOB);
    expect(result).toMatchObject({ kind: 'decided', request: { status: 'approved', decidedBy: 'U0BOB' }, run: { kind: 'ran', result: { kind: 'created' } } });
    expect((await prod.cluster.getService('default', 'web')).type).toBe('LoadBalancer');
    expect(gov.notices.log.shown.map((r) => r.status)).toEqual(['approved']);
    expect(gov.notices.log.told).toEqual([expect.objectContaining({ request: expect.objectContaining({ status: 'approved' }), run: expect.objectContaining({ kind: 'ran' }) })]);
    expect((await gov.entries()).map((e) => [e.action, e.userId, e.requestId])).toEqual([
      ['requested', 'U0ALICE', req.id],
      ['approved', 'U0BOB', req.id],
      ['change', 'U0ALICE', req.id],
    ]);
  });

  test('a double click, a second approver, a replayed click: only the first decides; the others are told who did', async () => {
    const { request, decision, prod } = setup();
    const req = await request(LB_CREATE);
    const results = await Promise.all([decision(`approve ${req.id}`, BOB), decision(`approve ${req.id}`, CAROL), decision(`reject ${req.id}`, CAROL)]);
    expect(results.filter((r) => r.kind === 'decided')).toHaveLength(1);
    expect(results.filter((r) => r.kind === 'already')).toHaveLength(2);
    expect(prod.cluster.writes.filter((w) => w.startsWith('create'))).toHaveLength(1);
    const replay = await decision(`approve ${req.id}`, BOB);
    expect(replay).toMatchObject({ kind: 'already', request: { status: 'approved', decidedBy: 'U0BOB' } });
    expect(prod.cluster.writes.filter((w) => w.startsWith('create'))).toHaveLength(1);
  });

  test('four eyes: the requester may not approve (or reject) their own request; nothing changes, the refusal is recorded', async () => {
    const { request, decision, prod, gov } = setup();
    const req = await request(LB_CREATE);
    expect(await decision(`approve ${req.id}`, ALICE)).toMatchObject({ kind: 'refused', reason: expect.stringContaining('someone else must approve it (rule four-eyes)') });
    expect(await decision(`reject ${req.id}`, ALICE)).toMatchObject({ kind: 'refused' });
    expect(await gov.store.get(req.id)).toMatchObject({ status: 'pending' });
    expect(prod.cluster.writes).toEqual([]);
    expect((await gov.entries()).filter((e) => e.action === 'refused')).toHaveLength(2);
  });

  test('self-approval, when allowed, lets a one-person team approve its own request', async () => {
    const { request, decision } = setup({ policy: { ...DEFAULT_POLICY, approval: { ...DEFAULT_POLICY.approval, selfApproval: true } } });
    const req = await request(LB_CREATE);
    expect(await decision(`approve ${req.id}`, ALICE)).toMatchObject({ kind: 'decided' });
  });

  test('configured approvers: only they decide, by user ID or by user group', async () => {
    const policy: Policy = { ...DEFAULT_POLICY, approval: { ...DEFAULT_POLICY.approval, approvers: { users: ['U0CAROL'], groups: ['S0SRE'] } } };
    const directory = testDirectory({ S0SRE: ['U0DAVE'] });
    const { request, decision } = setup({ policy, directory });
    const first = await request(LB_CREATE);
    expect(await decision(`approve ${first.id}`, BOB)).toMatchObject({ kind: 'refused', reason: 'Only the configured approvers may decide this request (rule approvers).' });
    expect(await decision(`approve ${first.id}`, { userId: 'U0DAVE', channelId: 'C0OPS' })).toMatchObject({ kind: 'decided' });
    const second = await request('create api --selector app=alpine --port 80 --type lb');
    expect(await decision(`approve ${second.id}`, CAROL)).toMatchObject({ kind: 'decided' });
  });

  test('reject with a reason: nothing changes; the requester is told why', async () => {
    const { request, decision, prod, gov } = setup();
    const req = await request(LB_CREATE);
    const result = await decision(`reject ${req.id} use the staging cluster`, BOB);
    expect(result).toMatchObject({ kind: 'decided', request: { status: 'rejected', decidedBy: 'U0BOB', reason: 'use the staging cluster' } });
    expect(prod.cluster.writes).toEqual([]);
    expect(gov.notices.log.told).toEqual([{ request: expect.objectContaining({ status: 'rejected', reason: 'use the staging cluster' }) }]);
    expect((await gov.entries()).at(-1)).toMatchObject({ action: 'rejected', userId: 'U0BOB', result: expect.stringContaining('use the staging cluster') });
  });

  test('withdraw: only the requester; afterwards nobody can approve it', async () => {
    const { request, decision, prod } = setup();
    const req = await request(LB_CREATE);
    expect(await decision(`withdraw ${req.id}`, BOB)).toMatchObject({ kind: 'refused', reason: 'Only the person who asked can withdraw a request.' });
    expect(await decision(`withdraw ${req.id}`, ALICE)).toMatchObject({ kind: 'decided', request: { status: 'withdrawn', decidedBy: 'U0ALICE' } });
    expect(await decision(`approve ${req.id}`, BOB)).toMatchObject({ kind: 'already', request: { status: 'withdrawn' } });
    expect(prod.cluster.writes).toEqual([]);
  });

  test('an unknown request is not_found', async () => {
    const { decision } = setup();
    await expectBotError(decision('approve 0badc0de', BOB), 'not_found', 'no approval request 0badc0de');
  });

  test('the Service changed since the request: the approval runs nothing and says so', async () => {
    const { request, decision, prod, gov, run } = setup();
    await run('create web --selector app=alpine --port 80');
    const req = await request('type web lb');
    await prod.cluster.setServiceType('default', 'web', 'NodePort'); // someone else, meanwhile
    const result = await decision(`approve ${req.id}`, BOB);
    expect(result).toMatchObject({ kind: 'decided', run: { kind: 'not-run', error: { code: 'stale_request', userMessage: expect.stringContaining('changed since the request — ask again') } } });
    expect((await prod.cluster.getService('default', 'web')).type).toBe('NodePort');
    expect((await gov.entries()).at(-1)).toMatchObject({ action: 'not-run', requestId: req.id });
  });
});

describe('expiry', () => {
  test('a request not decided within its time expires once: message updated, requester told, recorded', async () => {
    const { request, clock, gov, decision, prod } = setup();
    const req = await request(LB_CREATE);
    clock.t += DEFAULT_POLICY.approval.ttlMs - 1;
    expect(await gov.requests.expireDue()).toBe(0);
    clock.t += 1;
    const [first, second] = await Promise.all([gov.requests.expireDue(), gov.requests.expireDue()]);
    expect(first + second).toBe(1);
    expect(gov.notices.log.shown.map((r) => r.status)).toEqual(['expired']);
    expect(gov.notices.log.told.map((t) => t.request.status)).toEqual(['expired']);
    expect(await decision(`approve ${req.id}`, BOB)).toMatchObject({ kind: 'already', request: { status: 'expired' } });
    expect(prod.cluster.writes).toEqual([]);
    expect((await gov.entries()).map((e) => e.action)).toEqual(['requested', 'expired']);
  });

  test('a click after the time is up, before any sweep, finds it expired (and expires it, once)', async () => {
    const { request, clock, gov, decision, prod } = setup();
    const req = await request(LB_CREATE);
    clock.t += DEFAULT_POLICY.approval.ttlMs;
    expect(await decision(`approve ${req.id}`, BOB)).toMatchObject({ kind: 'already', request: { status: 'expired' } });
    expect(await gov.requests.expireDue()).toBe(0);
    expect(gov.notices.log.told.map((t) => t.request.status)).toEqual(['expired']);
    expect(prod.cluster.writes).toEqual([]);
  });

  test('approvals lists the pending requests only (of a cluster with --cluster)', async () => {
    const { request, run, clock } = setup();
    const web = await request(LB_CREATE);
    clock.t += 1000; // oldest first: the store orders requests of one moment by ID
    const api = await request('create api --selector app=alpine --port 80 --type lb --cluster staging');
    const all = await run('approvals');
    expect(all).toMatchObject({ kind: 'approvals', result: { requests: [expect.objectContaining({ id: web.id }), expect.objectContaining({ id: api.id })] } });
    expect(await run('approvals --cluster staging')).toMatchObject({ result: { cluster: 'staging', requests: [expect.objectContaining({ id: api.id })] } });
    clock.t += DEFAULT_POLICY.approval.ttlMs;
    expect(await run('approvals')).toMatchObject({ result: { requests: [] } });
  });
});

interface LogLine {
  level: string;
  fields?: Record<string, unknown>;
  msg?: string;
}

/** A logger that keeps every line (children write to the same list). */
function keepingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: string) =>
    (first: unknown, msg?: unknown): void => {
      lines.push(typeof first === 'string' ? { level, msg: first } : { level, fields: first as Record<string, unknown>, ...(typeof msg === 'string' ? { msg } : {}) });
    };
  const logger: Logger & { lines: LogLine[] } = {
    lines,
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
    child: () => logger,
  };
  return logger;
}

/**
 * The operations of a process that dies while it runs an approved request — before the change or just
 * after it: `died` resolves then, and the run never ends (nothing after it happens in that process).
 */
function dyingProcess(operations: Pick<Operations, 'run'>, when: 'before the change' | 'after the change'): Pick<Operations, 'run'> & { died: Promise<void> } {
  let die: () => void = () => undefined;
  const died = new Promise<void>((resolve) => {
    die = resolve;
  });
  return {
    died,
    async run(command, requester, opts) {
      if (when === 'after the change') await operations.run(command, requester, opts);
      die();
      return new Promise<never>(() => undefined);
    },
  };
}

describe('an approved run cut short (its process died) is resumed', () => {
  const LEASE = DEFAULT_RUN_LEASE_MS;

  test('died before the change: after the lease, one process runs it — once; the requester is told once; all recorded; the log says it was resumed', async () => {
    const logger = keepingLogger();
    const { request, prod, gov, clock, registry, operations, decisions } = setup({ logger });
    const req = await request(LB_CREATE);
    const dead = dyingProcess(operations, 'before the change');
    void gov.withOperations(dead, registry).decisions.decide(req.id, 'approve', BOB);
    await dead.died;
    expect(await gov.store.get(req.id)).toMatchObject({ status: 'approved', decidedBy: 'U0BOB' });
    clock.t += LEASE - 1;
    expect(await decisions.resumeStalled()).toBe(0);
    expect(prod.cluster.writes).toEqual([]);
    clock.t += 1;
    // Two processes sweep at once: one of them resumes it.
    const other = gov.withOperations(operations, registry).decisions;
    const [mine, theirs] = await Promise.all([decisions.resumeStalled(), other.resumeStalled()]);
    expect(mine + theirs).toBe(1);
    expect(prod.cluster.writes).toEqual(['create default/web']);
    expect((await prod.cluster.getService('default', 'web')).type).toBe('LoadBalancer');
    expect(gov.notices.log.told).toEqual([{ request: expect.objectContaining({ id: req.id, status: 'approved' }), run: expect.objectContaining({ kind: 'ran', result: expect.objectContaining({ kind: 'created' }) }) }]);
    expect((await gov.entries()).map((e) => [e.action, e.userId, e.requestId])).toEqual([
      ['requested', 'U0ALICE', req.id],
      ['approved', 'U0BOB', req.id],
      ['change', 'U0ALICE', req.id],
    ]);
    expect(logger.lines).toContainEqual({ level: 'warn', fields: expect.objectContaining({ requestId: req.id }), msg: expect.stringContaining('resuming an approved request after an interrupted run') });
    expect(logger.lines).toContainEqual({ level: 'info', fields: expect.objectContaining({ requestId: req.id, resumed: true }), msg: 'approved request ran, resumed after an interrupted run' });
    // Its run is over: never resumed again.
    clock.t += 10 * LEASE;
    expect(await decisions.resumeStalled()).toBe(0);
    expect(prod.cluster.writes).toEqual(['create default/web']);
    expect(gov.notices.log.told).toHaveLength(1);
  });

  test('died right after the decision (approved in the store, nothing more): resumed, its message updated, the change made', async () => {
    const { request, prod, gov, clock, decisions } = setup();
    const req = await request(LB_CREATE);
    await gov.store.decide(req.id, { status: 'approved', by: 'U0BOB', at: clock.t });
    clock.t += LEASE;
    expect(await decisions.resumeStalled()).toBe(1);
    expect(prod.cluster.writes).toEqual(['create default/web']);
    expect(gov.notices.log.shown.map((r) => [r.id, r.status])).toEqual([[req.id, 'approved']]);
    expect(gov.notices.log.told.map((t) => t.run?.kind)).toEqual(['ran']);
  });

  test.each([
    ['a type change', 'type web lb', 'patch default/web type=LoadBalancer', 'stale_request', 'changed since the request'],
    ['a delete', 'delete web', 'delete default/web', 'not_found', 'web'],
  ])('died just after %s: the resumed run is refused by the cluster, reported as not run, and nothing is done twice', async (_what, line, write, code, says) => {
    const { request, run, prod, gov, clock, registry, operations, decisions } = setup();
    await run('create web --selector app=alpine --port 80 --type nodeport');
    const req = await request(line);
    const dead = dyingProcess(operations, 'after the change');
    void gov.withOperations(dead, registry).decisions.decide(req.id, 'approve', BOB);
    await dead.died;
    expect(prod.cluster.writes).toEqual(['create default/web', write]);
    clock.t += LEASE;
    expect(await decisions.resumeStalled()).toBe(1);
    expect(prod.cluster.writes).toEqual(['create default/web', write]);
    expect(gov.notices.log.told).toEqual([{ request: expect.objectContaining({ id: req.id }), run: { kind: 'not-run', error: expect.objectContaining({ code, userMessage: expect.stringContaining(says) }) } }]);
    expect((await gov.entries()).map((e) => [e.action, e.requestId])).toEqual([
      ['change', undefined],
      ['requested', req.id],
      ['approved', req.id],
      ['change', req.id],
      ['not-run', req.id],
    ]);
    clock.t += 10 * LEASE;
    expect(await decisions.resumeStalled()).toBe(0);
  });

  test('died again while resuming: resumed once more after the new lease, and the change made once', async () => {
    const { request, prod, gov, clock, registry, operations, decisions } = setup();
    const req = await request(LB_CREATE);
    const first = dyingProcess(operations, 'before the change');
    void gov.withOperations(first, registry).decisions.decide(req.id, 'approve', BOB);
    await first.died;
    clock.t += LEASE;
    const second = dyingProcess(operations, 'before the change');
    void gov.withOperations(second, registry).decisions.resumeStalled();
    await second.died;
    clock.t += LEASE - 1;
    expect(await decisions.resumeStalled()).toBe(0);
    clock.t += 1;
    expect(await decisions.resumeStalled()).toBe(1);
    expect(prod.cluster.writes).toEqual(['create default/web']);
    expect(gov.notices.log.told).toHaveLength(1);
  });

  test('a run that ended is never resumed: ran, not run, or failed unexpectedly', async () => {
    const { request, run, prod, gov, clock, registry, decision, decisions } = setup();
    const ran = await request(LB_CREATE);
    expect(await decision(`approve ${ran.id}`, BOB)).toMatchObject({ run: { kind: 'ran' } });
    await run('create api --selector app=alpine --port 80');
    const notRun = await request('type api lb');
    await prod.cluster.setServiceType('default', 'api', 'NodePort');
    expect(await decision(`approve ${notRun.id}`, BOB)).toMatchObject({ run: { kind: 'not-run' } });
    const failed = await request('create db --selector app=alpine --port 80 --type lb');
    const broken = gov.withOperations({ run: () => Promise.reject(new Error('boom')) }, registry).decisions;
    expect(await broken.decide(failed.id, 'approve', BOB)).toMatchObject({ run: { kind: 'failed' } });
    const writes = [...prod.cluster.writes];
    clock.t += 10 * DEFAULT_RUN_LEASE_MS;
    expect(await decisions.resumeStalled()).toBe(0);
    expect(prod.cluster.writes).toEqual(writes);
    expect(gov.notices.log.told).toHaveLength(3);
  });
});

describe('the policy, where the change is made', () => {
  test('a protected namespace refuses changes, naming the rule; reading is allowed; the refusal is recorded', async () => {
    const { run, prod, gov } = setup();
    await expectBotError(run('create dns --selector app=x --port 53 -n kube-system'), 'not_allowed', 'protected', 'rule protected-namespaces');
    await expectBotError(run('delete kube-dns -n kube-system'), 'not_allowed', 'rule protected-namespaces');
    await expectBotError(run('cancel provision.prod.kube-system.dns'), 'not_allowed', 'rule protected-namespaces');
    expect((await run('list -n kube-system')).kind).toBe('list');
    expect(prod.cluster.writes).toEqual([]);
    expect((await gov.entries()).map((e) => [e.action, e.namespace])).toEqual([
      ['refused', 'kube-system'],
      ['refused', 'kube-system'],
      ['refused', 'kube-system'],
    ]);
  });

  test('a user group the Directory cannot list refuses only what depends on it: a rule naming it refuses, an approvers\' group only its members\' decisions', async () => {
    const failing = {
      groupsOf: () => Promise.reject(new BotError('slack_error', 'svcbot could not find out from Slack who is in user group S0SRE.', { transient: true })),
      nameOf: () => Promise.resolve(undefined),
    };
    const approversOnly: Policy = { ...DEFAULT_POLICY, approval: { ...DEFAULT_POLICY.approval, approvers: { users: ['U0CAROL'], groups: ['S0SRE'] } } };
    const { run, request, decision, prod } = setup({ policy: approversOnly, directory: failing });
    expect((await run('list')).kind).toBe('list');
    expect((await run('create web --selector app=alpine --port 80')).kind).toBe('created');
    const req = await request(LB_CREATE.replace('web', 'lb1'));
    await expectBotError(decision(`approve ${req.id}`, BOB), 'slack_error', 'S0SRE');
    expect(await decision(`approve ${req.id}`, ALICE)).toMatchObject({ kind: 'refused', reason: expect.stringContaining('rule four-eyes') });
    expect(await decision(`approve ${req.id}`, CAROL)).toMatchObject({ kind: 'decided' });
    expect(prod.cluster.writes).toEqual(['create default/web', 'create default/lb1']);

    const ruleNamesIt: Policy = { ...DEFAULT_POLICY, rules: [{ name: 'sre-only', effect: 'allow', groups: ['S0SRE'] }] };
    const withRule = setup({ policy: ruleNamesIt, directory: failing });
    await expectBotError(withRule.run('list'), 'slack_error', 'S0SRE');
  });

  test('a deny rule refuses with its name, for commands and for decisions', async () => {
    const policy: Policy = {
      ...DEFAULT_POLICY,
      rules: [
        { name: 'interns-read-only', effect: 'deny', subcommands: ['changes'], users: ['U0BOB'] },
        { name: 'no-prod-deletes', effect: 'deny', subcommands: ['delete'], clusters: ['prod'] },
      ],
    };
    const { run, request, decision, prod } = setup({ policy });
    await expectBotError(run('create web --selector app=alpine --port 80', BOB), 'not_allowed', 'rule interns-read-only');
    const req = await request(LB_CREATE);
    await expectBotError(decision(`approve ${req.id}`, BOB), 'not_allowed', 'rule interns-read-only');
    expect((await run('list', BOB)).kind).toBe('list');
    await run('create api --selector app=alpine --port 80');
    await expectBotError(run('delete api'), 'not_allowed', '`delete` in namespace default on cluster prod is refused by rule no-prod-deletes');
    expect(prod.cluster.writes).toEqual(['create default/api']);
  });

  test('an approved request is checked again when it runs: a rule added meanwhile still refuses', async () => {
    // Two svcbots over one store: the request made under the old policy, decided under the new one.
    const before = setup();
    const req = await before.request(LB_CREATE);
    const policy: Policy = { ...DEFAULT_POLICY, rules: [{ name: 'freeze', effect: 'deny', subcommands: ['create'], users: ['U0ALICE'] }] };
    const after = testGovernance({ policy, now: () => before.clock.t });
    await after.store.create(req);
    const operations = makeOperations({ clusters: before.registry, governance: after.governance });
    const { decisions } = after.withOperations(operations, before.registry);
    const result = await decisions.decide(req.id, 'approve', BOB);
    expect(result).toMatchObject({ kind: 'decided', run: { kind: 'not-run', error: { code: 'not_allowed', userMessage: expect.stringContaining('rule freeze') } } });
    expect(before.prod.cluster.writes).toEqual([]);
  });

  test('audit shows the newest entries, of one Service or one user', async () => {
    const { run, request } = setup();
    await run('create web --selector app=alpine --port 80');
    await run('create api --selector app=alpine --port 80', BOB);
    await request(LB_CREATE.replace('web', 'lb1'));
    const all = await run('audit 2');
    expect(all).toMatchObject({ kind: 'audit', result: { limit: 2, entries: [expect.objectContaining({ action: 'requested' }), expect.objectContaining({ service: 'api' })] } });
    expect(await run('audit --service web')).toMatchObject({ result: { entries: [expect.objectContaining({ service: 'web', action: 'change' })] } });
    expect(await run('audit --user U0BOB')).toMatchObject({ result: { entries: [expect.objectContaining({ userId: 'U0BOB' })] } });
  });
});

test('a request ID already taken is drawn again', async () => {
  const ids = ['aaaaaaaa', 'aaaaaaaa', 'bbbbbbbb'];
  const { request } = setup({ newId: () => ids.shift() ?? 'cccccccc' });
  const first = await request(LB_CREATE);
  const second = await request(LB_CREATE.replace('web', 'api'));
  expect([first.id, second.id]).toEqual(['aaaaaaaa', 'bbbbbbbb']);
});

test.each([
  [1000, '1 s'],
  [45_000, '45 s'],
  [60_000, '1 min'],
  [3_600_000, '60 min'],
  [24 * 3_600_000, '24 h'],
  [150 * 60_000, '2 h 30 min'],
])('how long a request waited, in words: %i ms is %s', (ms, words) => {
  expect(ttlWords(ms)).toBe(words);
});

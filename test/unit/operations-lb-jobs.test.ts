/**
 * makeOperations with load-balancer jobs: changes that create, change or remove a load balancer are
 * queued (after the same checks a direct change makes), never made directly; everything else is still made
 * directly. The web side posts no message (the job posts its own progress message, once). Over the
 * in-memory cluster fakes and a recording fake of the LbJobQueue port.
 */
import { createMemoryLatestChanges } from '../../src/adapters/memory/latest-changes.js';
import type { ServiceType } from '../../src/domain/command.js';
import { BotError } from '../../src/domain/errors.js';
import { parseCommand } from '../../src/domain/grammar/index.js';
import { lbJobId, type LbJobData } from '../../src/domain/lb-jobs.js';
import { serviceManifest } from '../../src/domain/manifest.js';
import { isServiceCommand, makeOperations, type LbJobsDeps, type Requester, type ServiceCommand } from '../../src/domain/operations.js';
import type { OperationResult } from '../../src/domain/results.js';
import type { ChangeRecord } from '../../src/domain/changes.js';
import type { CancelOutcome, LbJobQueue, LbJobState, LbJobSummary } from '../../src/ports/queue.js';
import type { ServiceRef } from '../../src/ports/service-watch.js';
import { expectBotError } from '../contract/expect-bot-error.js';
import { fakeWorld, type InMemoryTarget } from '../fakes/index.js';
import { testGovernance } from '../helpers/governance.js';

const NOW = new Date('2025-06-01T12:00:00Z');
const ALICE: Requester = { userId: 'U123ALICE', channelId: 'C42OPS' };
const WEB_PROVISION = 'provision.prod.default.web';

/** Every call the queue saw, in order. */
type Call = string;

/** A recording LbJobQueue: `jobs` is what get() and list() find; failures are set per method. */
class FakeLbJobQueue implements LbJobQueue {
  readonly enqueued: LbJobData[] = [];
  jobs: LbJobSummary[] = [];
  /** get() and list() fail with this (Redis unreachable). */
  lookupError: Error | undefined;
  enqueueError: Error | undefined;
  /** What enqueue reports as `duplicate` (the queue found the same job unfinished at the last moment). */
  reportDuplicate = false;

  constructor(private readonly calls: Call[]) {}

  enqueue(data: LbJobData): Promise<{ jobId: string; duplicate: boolean }> {
    const jobId = lbJobId(data.operation, data.cluster, data.namespace, data.name);
    this.calls.push(`enqueue ${jobId}`);
    if (this.enqueueError !== undefined) return Promise.reject(this.enqueueError);
    this.enqueued.push(data);
    return Promise.resolve({ jobId, duplicate: this.reportDuplicate });
  }

  list(cluster: string): Promise<LbJobSummary[]> {
    this.calls.push(`list ${cluster}`);
    if (this.lookupError !== undefined) return Promise.reject(this.lookupError);
    return Promise.resolve(this.jobs.filter((j) => j.cluster === cluster));
  }

  get(jobId: string): Promise<LbJobSummary | undefined> {
    this.calls.push(`get ${jobId}`);
    if (this.lookupError !== undefined) return Promise.reject(this.lookupError);
    return Promise.resolve(this.jobs.find((j) => j.id === jobId));
  }

  cancel(jobId: string): Promise<CancelOutcome> {
    return Promise.reject(new Error(`cancel(${jobId}) is not the operations' business`));
  }

  supersedeError: Error | undefined;

  supersede(ref: ServiceRef, by: ChangeRecord): Promise<void> {
    this.calls.push(`supersede ${ref.cluster}/${ref.namespace}/${ref.name} by ${by.jobId ?? by.change}`);
    return this.supersedeError === undefined ? Promise.resolve() : Promise.reject(this.supersedeError);
  }

  counts(): Promise<never> {
    return Promise.reject(new Error("counts() is not the operations' business"));
  }
}

function command(text: string): ServiceCommand {
  const parsed = parseCommand(text);
  if (!isServiceCommand(parsed)) throw new Error(`not a service command: ${text}`);
  return parsed;
}

function setup() {
  const { registry, targets } = fakeWorld(['prod', 'staging']);
  const [prod, staging] = targets as [InMemoryTarget, InMemoryTarget];
  const calls: Call[] = [];
  const queue = new FakeLbJobQueue(calls);
  const changes = createMemoryLatestChanges();
  const lbJobs: LbJobsDeps = { queue, changes };
  let ids = 0;
  const operations = makeOperations({ clusters: registry, now: () => NOW, newRequestId: () => `req-${++ids}`, lbJobs, governance: testGovernance().governance });
  return {
    prod,
    staging,
    queue,
    changes,
    calls,
    run: (text: string, requester: Requester = ALICE) => operations.run(command(text), requester),
  };
}

function as<K extends OperationResult['kind']>(result: OperationResult, kind: K): Extract<OperationResult, { kind: K }> {
  expect(result.kind).toBe(kind);
  return result as Extract<OperationResult, { kind: K }>;
}

function manifest(name: string, type: ServiceType, namespace = 'default') {
  return serviceManifest({ name, namespace, selector: { app: 'alpine' }, ports: [{ port: 80, protocol: 'TCP' }], type });
}

/** Puts a Service of `type` in place directly (the fake gives a LoadBalancer one its ELB at once). */
async function existing(target: InMemoryTarget, name: string, type: ServiceType): Promise<void> {
  await target.cluster.createService(manifest(name, type));
}

function summary(id: string, state: LbJobState): LbJobSummary {
  const [operation, cluster, namespace, name] = id.split('.') as [LbJobSummary['operation'], string, string, string];
  return { id, operation, cluster, namespace, name, state, createdAt: new Date(NOW.getTime() - 60_000), requesterId: 'U777BOB' };
}

const isLookup = (c: Call): boolean => c.startsWith('get ');
const withoutLookups = (calls: readonly Call[]): Call[] => calls.filter((c) => !isLookup(c));

const UNFINISHED: LbJobState[] = ['waiting', 'active', 'delayed'];
const FINISHED: LbJobState[] = ['completed', 'failed', 'cancelled'];
const UNAVAILABLE = new BotError('queue_unavailable', 'The job queue (Redis) cannot be reached.');

describe('create --type loadbalancer', () => {
  test('is queued as a provision job with the manifest and the requester; no Service is created', async () => {
    const { run, prod, staging, queue, calls } = setup();
    const { result } = as(await run('create web --selector app=alpine --port 80 --type loadbalancer'), 'queued');
    expect(result).toEqual({ jobId: WEB_PROVISION, operation: 'provision', cluster: 'prod', namespace: 'default', name: 'web', duplicate: false });
    expect(queue.enqueued).toEqual([
      {
        version: 1,
        operation: 'provision',
        cluster: 'prod',
        namespace: 'default',
        name: 'web',
        manifest: manifest('web', 'LoadBalancer'),
        requester: { userId: 'U123ALICE', channelId: 'C42OPS' },
        requestId: 'req-1',
        requestedAt: NOW.getTime(),
      },
    ]);
    expect(withoutLookups(calls)).toEqual([`enqueue ${WEB_PROVISION}`, `supersede prod/default/web by ${WEB_PROVISION}`]);
    expect(new Set(calls.filter(isLookup))).toEqual(new Set([`get ${WEB_PROVISION}`]));
    expect(prod.cluster.writes).toEqual([]);
    expect(await prod.cluster.listServices(null)).toEqual([]);
    expect(staging.cluster.writes).toEqual([]);
  });

  test('--cluster and -n choose the job: its id, data and the cluster whose jobs are checked', async () => {
    const { run, staging, queue, calls } = setup();
    staging.cluster.addNamespace('shop');
    const { result } = as(await run('create api --selector app=alpine --port 80 --type lb -n shop --cluster staging'), 'queued');
    expect(result).toMatchObject({ jobId: 'provision.staging.shop.api', cluster: 'staging', namespace: 'shop', name: 'api', duplicate: false });
    expect(queue.enqueued).toEqual([expect.objectContaining({ cluster: 'staging', namespace: 'shop', name: 'api', manifest: manifest('api', 'LoadBalancer', 'shop') })]);
    expect(new Set(calls.filter(isLookup))).toEqual(new Set(['get provision.staging.shop.api']));
  });

  test('expose --type loadbalancer: the manifest carries the Deployment\'s selector', async () => {
    const { run, queue } = setup();
    as(await run('expose deployment/alpine --port 80 --type loadbalancer'), 'queued');
    expect(queue.enqueued).toHaveLength(1);
    expect(queue.enqueued[0]).toMatchObject({ operation: 'provision', name: 'alpine', manifest: manifest('alpine', 'LoadBalancer') });
  });

  test('is validated as a direct create would be: a taken name is already_exists, and nothing is queued', async () => {
    const { run, prod, queue } = setup();
    await existing(prod, 'web', 'ClusterIP');
    await expectBotError(run('create web --selector app=alpine --port 81 --type loadbalancer'), 'already_exists', '`web`');
    expect(queue.enqueued).toEqual([]);
    expect(prod.cluster.writes).toEqual(['create default/web']);
    expect((await prod.cluster.getService('default', 'web')).type).toBe('ClusterIP');
  });

  test('a missing namespace (which only the cluster knows) fails before anything is queued', async () => {
    const { run, prod, queue } = setup();
    await expectBotError(run('create web --selector app=alpine --port 80 --type loadbalancer -n nowhere'), 'not_found', '`nowhere`');
    prod.cluster.failNext('createService', new BotError('forbidden', 'services is forbidden'));
    await expectBotError(run('create web --selector app=alpine --port 80 --type loadbalancer'), 'forbidden', 'services is forbidden');
    expect(queue.enqueued).toEqual([]);
    expect(prod.cluster.writes).toEqual([]);
  });

  test('--dry-run is a dry run, not a job (and needs no queue)', async () => {
    const { run, prod, queue, calls } = setup();
    queue.lookupError = UNAVAILABLE;
    as(await run('create web --selector app=alpine --port 80 --type loadbalancer --dry-run'), 'dry-run');
    expect(calls).toEqual([]);
    expect(prod.cluster.writes).toEqual([]);
  });

  test.each(UNFINISHED)('a second submission while the job is %s is that job: duplicate, nothing queued', async (state) => {
    const { run, prod, queue, calls } = setup();
    // The running job has already created the Service: that is not a "name taken" error.
    await existing(prod, 'web', 'LoadBalancer');
    queue.jobs = [summary(WEB_PROVISION, state)];
    expect(await run('create web --selector app=alpine --port 80 --type loadbalancer')).toEqual({
      kind: 'queued',
      result: { jobId: WEB_PROVISION, operation: 'provision', cluster: 'prod', namespace: 'default', name: 'web', duplicate: true },
    });
    expect(calls).toEqual([expect.stringMatching(/^get (provision|retype|delete)\.prod\.default\.web$/)]);
    expect(queue.enqueued).toEqual([]);
    expect(prod.cluster.writes).toEqual(['create default/web']);
  });

  test('the same change submitted at the same moment, whose job made the Service between the check and the validation: that job (duplicate), not "name taken"', async () => {
    const { run, prod, queue, calls } = setup();
    // The other submission's job is queued, and makes the Service, just after this one found no job.
    const get = queue.get.bind(queue);
    let lookups = 0;
    queue.get = async (jobId) => {
      lookups += 1;
      const found = await get(jobId);
      if (lookups === 2) {
        queue.jobs = [summary(WEB_PROVISION, 'active')];
        await existing(prod, 'web', 'LoadBalancer');
      }
      return found;
    };
    expect(await run('create web --selector app=alpine --port 80 --type loadbalancer')).toEqual({
      kind: 'queued',
      result: { jobId: WEB_PROVISION, operation: 'provision', cluster: 'prod', namespace: 'default', name: 'web', duplicate: true },
    });
    expect(calls).toEqual([`get ${WEB_PROVISION}`, `get ${WEB_PROVISION}`, `get ${WEB_PROVISION}`]);
    expect(queue.enqueued).toEqual([]);
  });

  test.each(FINISHED)('a previous job that is %s is not a duplicate: a new job is queued', async (state) => {
    const { run, queue } = setup();
    queue.jobs = [summary(WEB_PROVISION, state)];
    const { result } = as(await run('create web --selector app=alpine --port 80 --type loadbalancer'), 'queued');
    expect(result.duplicate).toBe(false);
    expect(queue.enqueued.map((d) => d.name)).toEqual(['web']);
  });

  test('unfinished jobs of other Services, other operations or other clusters are not duplicates', async () => {
    const { run, queue } = setup();
    queue.jobs = [
      summary('provision.prod.default.api', 'active'),
      summary('provision.prod.shop.web', 'active'),
      summary('delete.prod.default.web', 'waiting'),
      summary('provision.staging.default.web', 'active'),
    ];
    const { result } = as(await run('create web --selector app=alpine --port 80 --type loadbalancer'), 'queued');
    expect(result.duplicate).toBe(false);
    expect(queue.enqueued).toHaveLength(1);
  });

  test('a ClusterIP or NodePort create is still made directly, without the queue (older jobs of the name are told; Redis down does not stop it)', async () => {
    const { run, prod, queue, calls } = setup();
    queue.lookupError = UNAVAILABLE;
    queue.supersedeError = UNAVAILABLE;
    as(await run('create web --selector app=alpine --port 80'), 'created');
    as(await run('create api --selector app=alpine --port 80 --type nodeport'), 'created');
    expect(prod.cluster.writes).toEqual(['create default/web', 'create default/api']);
    expect(calls).toEqual(['supersede prod/default/web by create', 'supersede prod/default/api by create']);
  });
});

describe('type', () => {
  test('to LoadBalancer is queued as a provision job without manifest or target type; the Service is not changed', async () => {
    const { run, prod, queue, calls } = setup();
    await existing(prod, 'web', 'ClusterIP');
    const { result } = as(await run('type web loadbalancer'), 'queued');
    expect(result).toEqual({ jobId: WEB_PROVISION, operation: 'provision', cluster: 'prod', namespace: 'default', name: 'web', duplicate: false });
    expect(queue.enqueued).toEqual([
      {
        version: 1,
        operation: 'provision',
        cluster: 'prod',
        namespace: 'default',
        name: 'web',
        requester: { userId: 'U123ALICE', channelId: 'C42OPS' },
        requestId: 'req-1',
        requestedAt: NOW.getTime(),
      },
    ]);
    expect(withoutLookups(calls)).toEqual([`enqueue ${WEB_PROVISION}`, `supersede prod/default/web by ${WEB_PROVISION}`]);
    expect(prod.cluster.writes).toEqual(['create default/web']);
    expect((await prod.cluster.getService('default', 'web')).type).toBe('ClusterIP');
  });

  test.each([
    ['nodeport', 'NodePort'],
    ['clusterip', 'ClusterIP'],
  ] as const)('away from LoadBalancer (%s) is queued as a retype job with the target type; the Service is not changed', async (word, targetType) => {
    const { run, prod, queue } = setup();
    await existing(prod, 'web', 'LoadBalancer');
    const { result } = as(await run(`type web ${word}`), 'queued');
    expect(result).toEqual({ jobId: 'retype.prod.default.web', operation: 'retype', cluster: 'prod', namespace: 'default', name: 'web', duplicate: false });
    expect(queue.enqueued).toEqual([
      {
        version: 1,
        operation: 'retype',
        cluster: 'prod',
        namespace: 'default',
        name: 'web',
        targetType,
        requester: { userId: 'U123ALICE', channelId: 'C42OPS' },
        requestId: 'req-1',
        requestedAt: NOW.getTime(),
      },
    ]);
    expect(prod.cluster.writes).toEqual(['create default/web']);
    expect((await prod.cluster.getService('default', 'web')).type).toBe('LoadBalancer');
  });

  test.each([
    ['ClusterIP', 'nodeport', 'NodePort'],
    ['NodePort', 'clusterip', 'ClusterIP'],
  ] as const)('%s to %s involves no load balancer: made directly, without the queue', async (from, word, to) => {
    const { run, prod, queue, calls } = setup();
    queue.lookupError = UNAVAILABLE;
    queue.supersedeError = UNAVAILABLE;
    await existing(prod, 'web', from);
    const { result } = as(await run(`type web ${word}`), 'type-changed');
    expect(result.before).toBe(from);
    expect(result.service.type).toBe(to);
    expect(prod.cluster.writes).toEqual(['create default/web', `patch default/web type=${to}`]);
    expect(calls).toEqual([`supersede prod/default/web by type ${word}`]);
    expect(queue.enqueued).toEqual([]);
  });

  test.each(UNFINISHED)('already LoadBalancer while its provision job is %s: that job (duplicate), nothing queued', async (state) => {
    const { run, prod, queue } = setup();
    await existing(prod, 'web', 'LoadBalancer');
    queue.jobs = [summary(WEB_PROVISION, state)];
    expect(await run('type web loadbalancer')).toEqual({
      kind: 'queued',
      result: { jobId: WEB_PROVISION, operation: 'provision', cluster: 'prod', namespace: 'default', name: 'web', duplicate: true },
    });
    expect(queue.enqueued).toEqual([]);
    expect(prod.cluster.writes).toEqual(['create default/web']);
  });

  test('already LoadBalancer with no job in flight: nothing to change, nothing queued', async () => {
    const { run, prod, queue } = setup();
    await existing(prod, 'web', 'LoadBalancer');
    queue.jobs = [summary(WEB_PROVISION, 'completed')];
    const { result } = as(await run('type web loadbalancer'), 'type-changed');
    expect(result.before).toBe('LoadBalancer');
    expect(result.service.type).toBe('LoadBalancer');
    expect(queue.enqueued).toEqual([]);
    expect(prod.cluster.writes).toEqual(['create default/web']);
  });

  test('to LoadBalancer while a provision job for it is unfinished: that job, nothing queued', async () => {
    const { run, prod, queue } = setup();
    await existing(prod, 'web', 'ClusterIP');
    queue.jobs = [summary(WEB_PROVISION, 'waiting')];
    const { result } = as(await run('type web loadbalancer'), 'queued');
    expect(result).toEqual({ jobId: WEB_PROVISION, operation: 'provision', cluster: 'prod', namespace: 'default', name: 'web', duplicate: true });
    expect(queue.enqueued).toEqual([]);
    expect(prod.cluster.writes).toEqual(['create default/web']);
  });

  test('a retype while the same retype is unfinished: duplicate, nothing queued', async () => {
    const { run, prod, queue } = setup();
    await existing(prod, 'web', 'LoadBalancer');
    queue.jobs = [summary('retype.prod.default.web', 'active')];
    const { result } = as(await run('type web nodeport'), 'queued');
    expect(result).toEqual({ jobId: 'retype.prod.default.web', operation: 'retype', cluster: 'prod', namespace: 'default', name: 'web', duplicate: true });
    expect(queue.enqueued).toEqual([]);
  });

  test('an ExternalName Service is still refused, before the queue is asked', async () => {
    const { run, prod, calls } = setup();
    prod.cluster.putService({
      namespace: 'default',
      name: 'ext',
      uid: 'u-ext',
      resourceVersion: '1',
      type: 'ExternalName',
      clusterIP: '',
      ports: [],
      selector: {},
      loadBalancerHostnames: [],
      createdAt: NOW,
      deleting: false,
      finalizers: [],
    });
    await expectBotError(run('type ext loadbalancer'), 'invalid', 'ExternalName');
    expect(calls).toEqual([]);
  });

  test('a missing Service is not_found, and nothing is queued', async () => {
    const { run, queue, calls } = setup();
    await expectBotError(run('type nope loadbalancer'), 'not_found', '`nope`');
    expect(calls).toEqual([]);
    expect(queue.enqueued).toEqual([]);
  });
});

describe('delete', () => {
  test('of a LoadBalancer Service is queued as a delete job; the Service stays until the job runs', async () => {
    const { run, prod, queue, calls } = setup();
    await existing(prod, 'web', 'LoadBalancer');
    const { result } = as(await run('delete web'), 'queued');
    expect(result).toEqual({ jobId: 'delete.prod.default.web', operation: 'delete', cluster: 'prod', namespace: 'default', name: 'web', duplicate: false });
    expect(queue.enqueued).toEqual([
      {
        version: 1,
        operation: 'delete',
        cluster: 'prod',
        namespace: 'default',
        name: 'web',
        requester: { userId: 'U123ALICE', channelId: 'C42OPS' },
        requestId: 'req-1',
        requestedAt: NOW.getTime(),
      },
    ]);
    expect(withoutLookups(calls)).toEqual(['enqueue delete.prod.default.web', 'supersede prod/default/web by delete.prod.default.web']);
    expect(prod.cluster.writes).toEqual(['create default/web']);
    expect((await prod.cluster.getService('default', 'web')).deleting).toBe(false);
  });

  test.each(['ClusterIP', 'NodePort'] as const)('of a %s Service is made directly, without the queue', async (type) => {
    const { run, prod, queue, calls } = setup();
    queue.lookupError = UNAVAILABLE;
    queue.supersedeError = UNAVAILABLE;
    await existing(prod, 'web', type);
    const { result } = as(await run('delete web'), 'deleted');
    expect(result).toEqual({ cluster: 'prod', namespace: 'default', name: 'web', type, deleting: false });
    expect(prod.cluster.writes).toEqual(['create default/web', 'delete default/web']);
    expect(calls).toEqual(['supersede prod/default/web by delete']);
  });

  test.each(UNFINISHED)('while its delete job is %s: duplicate, nothing queued', async (state) => {
    const { run, prod, queue } = setup();
    await existing(prod, 'web', 'LoadBalancer');
    queue.jobs = [summary('delete.prod.default.web', state)];
    const { result } = as(await run('delete web'), 'queued');
    expect(result).toEqual({ jobId: 'delete.prod.default.web', operation: 'delete', cluster: 'prod', namespace: 'default', name: 'web', duplicate: true });
    expect(queue.enqueued).toEqual([]);
    expect(prod.cluster.writes).toEqual(['create default/web']);
  });
});

describe('newer changes supersede older jobs', () => {
  const WEB = { cluster: 'prod', namespace: 'default', name: 'web' };
  const older = { requestId: 'req-0', requestedAt: NOW.getTime() - 60_000, change: 'type loadbalancer', userId: 'U777BOB', jobId: WEB_PROVISION };

  test('a queued change is recorded as the Service\'s newest, with its job; the job gets the same request id', async () => {
    const { run, prod, queue, changes } = setup();
    await existing(prod, 'web', 'LoadBalancer');
    await changes.record(WEB, older);
    await run('delete web');
    const recorded = await changes.record(WEB, older);
    expect(recorded).toEqual({ requestId: 'req-1', requestedAt: NOW.getTime(), change: 'delete', userId: 'U123ALICE', jobId: 'delete.prod.default.web' });
    expect(queue.enqueued[0]?.requestId).toBe('req-1');
  });

  test('a change made at once is recorded too (no job), once it is made', async () => {
    const { run, prod, changes } = setup();
    await existing(prod, 'web', 'ClusterIP');
    await changes.record(WEB, older);
    await run('type web nodeport');
    expect(await changes.record(WEB, older)).toEqual({ requestId: 'req-1', requestedAt: NOW.getTime(), change: 'type nodeport', userId: 'U123ALICE' });
  });

  test('a change made at once that fails records nothing and supersedes nothing (no job stands down for it)', async () => {
    const { run, prod, changes, calls } = setup();
    await existing(prod, 'web', 'ClusterIP');
    await changes.record(WEB, older);
    await expectBotError(run('create web --selector app=alpine --port 80'), 'already_exists');
    prod.cluster.failNext('setServiceType', new BotError('forbidden', 'services is forbidden'));
    await expectBotError(run('type web nodeport'), 'forbidden');
    expect(await changes.record(WEB, older)).toEqual(older);
    expect(calls.filter((c) => c.startsWith('supersede'))).toEqual([]);
  });

  test('a duplicate submission records nothing and supersedes nothing', async () => {
    const { run, queue, changes, calls } = setup();
    queue.reportDuplicate = true;
    await changes.record(WEB, older);
    await run('create web --selector app=alpine --port 80 --type loadbalancer');
    expect(await changes.record(WEB, older)).toEqual(older);
    expect(calls.filter((c) => c.startsWith('supersede'))).toEqual([]);
  });

  test('a queued change whose supersede cannot reach Redis is still queued (the jobs read the newest change themselves)', async () => {
    const { run, queue } = setup();
    queue.supersedeError = UNAVAILABLE;
    as(await run('create web --selector app=alpine --port 80 --type loadbalancer'), 'queued');
    expect(queue.enqueued).toHaveLength(1);
  });
});

describe('the queue decides', () => {
  test('enqueue fails with queue_unavailable: the error propagates, nothing changed', async () => {
    const { run, prod, queue } = setup();
    queue.enqueueError = UNAVAILABLE;
    const err = await expectBotError(run('create web --selector app=alpine --port 80 --type loadbalancer'), 'queue_unavailable');
    expect(err).toBe(UNAVAILABLE);
    expect(queue.enqueued).toEqual([]);
    expect(prod.cluster.writes).toEqual([]);
    expect(await prod.cluster.listServices(null)).toEqual([]);
  });

  test('the queue reports a duplicate on enqueue (a concurrent submission won): the result is that job', async () => {
    const { run, queue } = setup();
    queue.reportDuplicate = true;
    const { result } = as(await run('create web --selector app=alpine --port 80 --type loadbalancer'), 'queued');
    expect(result).toEqual({ jobId: WEB_PROVISION, operation: 'provision', cluster: 'prod', namespace: 'default', name: 'web', duplicate: true });
  });

  test('the job carries the requester and the request time; without a channel, an empty one', async () => {
    const { run, queue } = setup();
    await run('create web --selector app=alpine --port 80 --type loadbalancer', { userId: 'U1' });
    expect(queue.enqueued[0]).toMatchObject({ operation: 'provision', name: 'web', requester: { userId: 'U1', channelId: '' }, requestedAt: NOW.getTime() });
  });
});

describe('Redis unreachable (list() fails with queue_unavailable)', () => {
  test.each([
    ['create web --selector app=alpine --port 80 --type loadbalancer', undefined],
    ['type web loadbalancer', 'ClusterIP'],
    ['type web nodeport', 'LoadBalancer'],
    ['delete web', 'LoadBalancer'],
  ] as const)('%j fails fast: nothing queued or changed', async (text, before) => {
    const { run, prod, queue, calls } = setup();
    if (before) await existing(prod, 'web', before);
    const writesBefore = [...prod.cluster.writes];
    queue.lookupError = UNAVAILABLE;
    await expectBotError(run(text), 'queue_unavailable', 'cannot be reached');
    expect(calls).toEqual([expect.stringMatching(/^get (provision|retype|delete)\.prod\.default\.web$/)]);
    expect(queue.enqueued).toEqual([]);
    expect(prod.cluster.writes).toEqual(writesBefore);
  });
});

/** `/svc jobs` and `/svc cancel`: the domain functions over a stub queue, and their pure renderers. */
import { makeJobCommands, type CancelResult, type JobsResult } from '../../src/domain/job-commands.js';
import type { CancelOutcome, LbJobQueue, LbJobSummary } from '../../src/ports/queue.js';
import { blockKitViolations } from '../../src/render/blocks.js';
import { activeTable, leftAsItIs, outcomesTable, renderCancel, renderJobs, stateLabel } from '../../src/render/jobs.js';
import { renderToText } from '../../src/render/text.js';
import { EVIL, NOW, everything, minutesAgo, slackConstructs } from './render/fixtures.js';
import { testGovernance } from '../helpers/governance.js';

function job(overrides: Partial<LbJobSummary> = {}): LbJobSummary {
  return {
    id: 'provision.prod.default.web',
    operation: 'provision',
    cluster: 'prod',
    namespace: 'default',
    name: 'web',
    state: 'active',
    createdAt: minutesAgo(3),
    requesterId: 'U1',
    ...overrides,
  };
}

const JOBS: LbJobSummary[] = [
  job({ step: 'allocated' }),
  job({ id: 'provision.prod.default.api', name: 'api', state: 'waiting', createdAt: minutesAgo(1) }),
  job({ id: 'delete.prod.shop.cart', operation: 'delete', namespace: 'shop', name: 'cart', state: 'delayed', step: 'elb-deleted', createdAt: minutesAgo(12), attemptsMade: 2 }),
  job({ id: 'provision.prod.default.old', name: 'old', state: 'completed', step: 'ready', createdAt: minutesAgo(90), finishedAt: minutesAgo(80) }),
  job({ id: 'retype.prod.default.x', operation: 'retype', name: 'x', state: 'failed', step: 'service', createdAt: minutesAgo(30), finishedAt: minutesAgo(29), failedReason: '403 Forbidden: services "x" is forbidden:\n  cannot patch' }),
  job({ id: 'provision.prod.default.y', name: 'y', state: 'cancelled', createdAt: minutesAgo(20), finishedAt: minutesAgo(19), failedReason: 'cancelled by U2' }),
];

describe('stateLabel', () => {
  test.each([
    [{ state: 'waiting' }, 'queued'],
    [{ state: 'active' }, 'running'],
    [{ state: 'active', cancelRequested: true }, 'cancelling'],
    [{ state: 'delayed' }, 'waiting'],
    [{ state: 'completed' }, 'done'],
    [{ state: 'failed' }, 'failed'],
    [{ state: 'cancelled' }, 'cancelled'],
  ] as const)('%j is %s', (j, label) => {
    expect(stateLabel(j)).toBe(label);
  });
});

describe('renderJobs', () => {
  const result: JobsResult = { cluster: 'prod', jobs: JOBS, now: NOW };

  test('tables: unfinished jobs with step and age, then recent outcomes with the reason on one line', () => {
    expect(activeTable(JOBS.slice(0, 3), NOW)).toEqual([
      'JOB ID                       STATE     STEP          AGE',
      'provision.prod.default.web   running   allocated     3m',
      'provision.prod.default.api   queued    -             60s',
      'delete.prod.shop.cart        waiting   elb-deleted   12m       retry 2',
    ]);
    expect(outcomesTable(JOBS.slice(3), NOW)).toEqual([
      'JOB ID                       RESULT      LAST STEP   FINISHED   DETAIL',
      'provision.prod.default.old   done        -           80m ago',
      'retype.prod.default.x        failed      service     29m ago    403 Forbidden: services "x" is forbidden: cannot patch',
      'provision.prod.default.y     cancelled   -           19m ago    cancelled by U2',
    ]);
  });

  test('the reply: ephemeral, both sections, the cancel hint; valid Block Kit; the console sees the same', () => {
    const r = renderJobs(result, { commandName: '/lb' });
    expect(r.responseType).toBe('ephemeral');
    expect(blockKitViolations(r)).toEqual([]);
    const text = renderToText(r).text;
    expect(text).toContain('Load-balancer jobs on cluster `prod`:');
    expect(text).toContain('Running and queued (3 jobs)');
    expect(text).toContain('Recent outcomes (3 jobs)');
    expect(text).toContain('/lb cancel JOB_ID');
    expect(text).toContain('delete.prod.shop.cart');
    expect(r.text).toContain('Running and queued');
  });

  test('no jobs; only finished jobs', () => {
    expect(renderToText(renderJobs({ cluster: 'prod', jobs: [], now: NOW })).text).toContain('No load-balancer jobs on cluster `prod`, running or recent.');
    const onlyDone = renderToText(renderJobs({ cluster: 'prod', jobs: JOBS.slice(3), now: NOW })).text;
    expect(onlyDone).toContain('Nothing running or queued.');
    expect(onlyDone).toContain('Recent outcomes');
  });

  test('a long failure reason is cut; thousands of jobs stay within Block Kit limits', () => {
    const long = job({ state: 'failed', failedReason: 'x'.repeat(500), finishedAt: minutesAgo(1) });
    expect(outcomesTable([long], NOW)[1]!.length).toBeLessThan(200);
    const many = Array.from({ length: 3000 }, (_, i) => job({ id: `provision.prod.default.s${i}`, name: `s${i}`, state: i % 2 ? 'delayed' : 'failed', failedReason: 'Throttling: Rate exceeded' }));
    const r = renderJobs({ cluster: 'prod', jobs: many, now: NOW });
    expect(blockKitViolations(r)).toEqual([]);
    expect(r.text.length).toBeLessThanOrEqual(4000);
    expect(everything(r)).toContain('more jobs');
  });

  test('cluster names, ids and reasons are escaped: nothing pings anyone', () => {
    const evil = job({ id: EVIL.name, cluster: EVIL.cluster, namespace: EVIL.namespace, step: EVIL.text, state: 'failed', failedReason: EVIL.text, finishedAt: minutesAgo(1) });
    const r = renderJobs({ cluster: EVIL.cluster, jobs: [evil, { ...evil, state: 'active' }], now: NOW });
    expect(slackConstructs(everything(r))).toEqual([]);
  });
});

describe('renderCancel', () => {
  const base: CancelResult = { jobId: 'provision.prod.shop.web', outcome: 'cancelled', by: 'U2', now: NOW };

  test('a cancelled queued job: who, what, and that the cluster is left as it is (with how to look / clean up)', () => {
    const r = renderCancel({ ...base, job: job({ id: base.jobId, namespace: 'shop', state: 'cancelled', finishedAt: NOW }) });
    expect(r.responseType).toBe('in_channel');
    expect(blockKitViolations(r)).toEqual([]);
    expect(r.text).toContain('<@U2> cancelled the provisioning of a load balancer for `web` in namespace `shop` on cluster `prod`.');
    expect(r.text).toContain('The cluster is left as it is');
    expect(r.text).toContain('`/svc describe web -n shop --cluster prod`');
    expect(r.text).toContain('`/svc delete web -n shop --cluster prod` removes it');
    expect(r.text).not.toContain('It stops');
  });

  test('a running job: at which step, and that it stops at its current step', () => {
    const r = renderCancel({ ...base, job: job({ id: base.jobId, namespace: 'shop', step: 'dns', cancelRequested: true }) });
    expect(r.text).toContain('at step `dns`. It stops at its current step.');
  });

  test.each(['retype', 'delete'] as const)('%s: the load balancer may still be being deleted', (operation) => {
    const text = leftAsItIs({ operation, name: 'web', namespace: 'default', cluster: 'prod' }, '/svc');
    expect(text).toContain('may still be deleting the load balancer');
    expect(text).toContain('`/svc describe web --cluster prod`');
  });

  test('finished and unknown jobs: nothing to cancel (ephemeral)', () => {
    const finished = renderCancel({ ...base, outcome: 'finished', job: job({ state: 'completed', finishedAt: minutesAgo(5) }) });
    expect(finished.responseType).toBe('ephemeral');
    expect(finished.text).toBe('Job `provision.prod.shop.web` has already finished (done, 5m ago); there is nothing to cancel.');
    const missing = renderCancel({ ...base, outcome: 'not_found' }, { commandName: '/lb' });
    expect(missing.responseType).toBe('ephemeral');
    expect(missing.text).toContain('There is no job `provision.prod.shop.web`');
    expect(missing.text).toContain('`/lb jobs` lists');
  });

  test('escaped', () => {
    const r = renderCancel({ ...base, jobId: EVIL.name, by: EVIL.text, job: job({ name: EVIL.name, namespace: EVIL.namespace, cluster: EVIL.cluster, step: EVIL.text }) });
    expect(slackConstructs(everything(r))).toEqual([]);
  });
});

describe('makeJobCommands', () => {
  function stubQueue(jobs: LbJobSummary[], outcome: CancelOutcome): LbJobQueue & { calls: string[] } {
    const calls: string[] = [];
    return {
      calls,
      enqueue: () => Promise.reject(new Error('not used')),
      list: (cluster) => {
        calls.push(`list ${cluster}`);
        return Promise.resolve(jobs.filter((j) => j.cluster === cluster));
      },
      get: (id) => {
        calls.push(`get ${id}`);
        return Promise.resolve(jobs.find((j) => j.id === id));
      },
      cancel: (id, by) => {
        calls.push(`cancel ${id} ${by}`);
        return Promise.resolve(outcome);
      },
      supersede: () => Promise.reject(new Error('not used')),
      counts: () => Promise.reject(new Error('not used')),
    };
  }
  const clusters = { get: (name?: string) => ({ cluster: { name: name ?? 'prod' } }) } as unknown as Parameters<typeof makeJobCommands>[0]['clusters'];
  const { access, audit } = testGovernance();
  const open = { access, audit };
  const U2 = { userId: 'U2' };

  test('jobs lists the scope\'s cluster (the default one without --cluster)', async () => {
    const queue = stubQueue(JOBS, 'cancelled');
    const commands = makeJobCommands({ clusters, queue, ...open, now: () => NOW });
    expect(await commands.jobs({ kind: 'jobs', scope: { namespace: 'default' } }, U2)).toEqual({ cluster: 'prod', jobs: JOBS, now: NOW });
    expect((await commands.jobs({ kind: 'jobs', scope: { namespace: 'default', cluster: 'staging' } }, U2)).jobs).toEqual([]);
    expect(queue.calls).toEqual(['list prod', 'list staging']);
  });

  test('jobs -n: only that namespace\'s jobs, and the reply says so', async () => {
    const commands = makeJobCommands({ clusters, queue: stubQueue(JOBS, 'cancelled'), ...open, now: () => NOW });
    const result = await commands.jobs({ kind: 'jobs', scope: { namespace: 'shop' }, onlyNamespace: 'shop' }, U2);
    expect(result).toEqual({ cluster: 'prod', namespace: 'shop', jobs: [JOBS[2]], now: NOW });
    expect(renderToText(renderJobs(result)).text).toContain('Load-balancer jobs on cluster `prod` in namespace `shop`:');
    expect(renderToText(renderJobs({ ...result, jobs: [] })).text).toContain('No load-balancer jobs on cluster `prod` in namespace `shop`, running or recent.');
  });

  test('cancel asks the queue, then reads the job as it stands on its own cluster', async () => {
    const queue = stubQueue(JOBS, 'cancelled');
    const commands = makeJobCommands({ clusters, queue, ...open, now: () => NOW });
    const result = await commands.cancel({ kind: 'cancel', jobId: 'provision.prod.default.web' }, U2);
    expect(result).toEqual({ jobId: 'provision.prod.default.web', outcome: 'cancelled', by: 'U2', job: JOBS[0], now: NOW });
    expect(queue.calls).toEqual(['cancel provision.prod.default.web U2', 'get provision.prod.default.web']);
  });

  test('an unknown job is not looked up', async () => {
    const queue = stubQueue(JOBS, 'not_found');
    const result = await makeJobCommands({ clusters, queue, ...open, now: () => NOW }).cancel({ kind: 'cancel', jobId: 'nope' }, U2);
    expect(result).toEqual({ jobId: 'nope', outcome: 'not_found', by: 'U2', now: NOW });
    expect(queue.calls).toEqual(['cancel nope U2']);
  });
});

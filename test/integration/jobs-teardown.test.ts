/**
 * Teardown jobs against the sandbox and real Redis: delete and type away from LoadBalancer wait until the
 * ELB is gone and the finalizer cleared; a Service already gone is success; a leaked ELB is reported as a
 * possible orphan at the timeout.
 */
import { jobData, lbManifest, startJobsHarness, uniqueName, type JobsHarness } from './jobs-harness.js';
import { waitFor } from '../helpers/wait.js';
import { CHANGED_SINCE_APPROVED } from '../../src/domain/lb-jobs.js';

let h: JobsHarness;
beforeAll(async () => {
  h = await startJobsHarness({ sandbox: { provisionDelayMs: 100, deprovisionDelayMs: 300, dnsDelayMs: 100, instanceWarmupMs: 50 }, timeoutMs: 3000, maxParkMs: 1000 });
});
afterAll(() => h.close());
afterEach(() => h.target.sandbox.faults.reset());


/** A LoadBalancer Service whose ELB exists. */
async function loadBalancerService(name: string): Promise<string> {
  const { cluster } = h.target.registry.get();
  await cluster.createService(lbManifest(name));
  const hostname = await waitFor(() => h.target.sandbox.cluster.getService('default', name)?.status?.loadBalancer?.ingress?.[0]?.hostname, {
    what: 'the load balancer hostname',
  });
  expect(h.target.sandbox.elb.list().some((lb) => lb.dnsName === hostname)).toBe(true);
  return hostname;
}

test('delete: the Service goes, then the ELB, then "no further charges"', async () => {
  const name = uniqueName('del');
  const hostname = await loadBalancerService(name);
  const job = await h.enqueue(jobData('delete', h.target.sandbox.info.clusterName, name));
  const { state, job: done } = await h.settle(job);
  expect(state).toBe('completed');
  expect(done.returnvalue.outcome).toEqual({ kind: 'deleted' });
  expect(h.target.sandbox.cluster.getService('default', name)).toBeUndefined();
  expect(h.target.sandbox.elb.list().some((lb) => lb.dnsName === hostname)).toBe(false);
  const text = await h.finalProgress(name);
  expect(text).toContain('load balancer deleted — no further charges');
  for (const label of ['Service deleted', 'load balancer deleted', 'finalizer cleared', 'done']) expect(text).toContain(`:white_check_mark: ${label}`);
});

test('type away (retype to ClusterIP): patched in place, ELB gone, finalizer cleared', async () => {
  const name = uniqueName('down');
  const hostname = await loadBalancerService(name);
  const uid = h.target.sandbox.cluster.getService('default', name)?.metadata.uid;
  const job = await h.enqueue(jobData('retype', h.target.sandbox.info.clusterName, name, { targetType: 'ClusterIP' }));
  expect((await h.settle(job)).state).toBe('completed');
  const svc = h.target.sandbox.cluster.getService('default', name);
  expect(svc?.metadata.uid).toBe(uid);
  expect(svc?.spec?.type).toBe('ClusterIP');
  expect(svc?.metadata.finalizers ?? []).not.toContain('service.kubernetes.io/load-balancer-cleanup');
  expect(h.target.sandbox.elb.list().some((lb) => lb.dnsName === hostname)).toBe(false);
  expect(await h.finalProgress(name)).toContain('no further charges');
});

test('delete of a Service that is already gone (404) is success', async () => {
  const name = uniqueName('gone');
  const { state, job } = await h.settle(await h.enqueue(jobData('delete', h.target.sandbox.info.clusterName, name)));
  expect(state).toBe('completed');
  expect(job.returnvalue.outcome.kind).toBe('deleted');
});

test('an ELB left behind (leakLoadBalancers) is reported as a possible orphan at the timeout', async () => {
  const name = uniqueName('leak');
  const hostname = await loadBalancerService(name);
  h.target.sandbox.faults.set({ leakLoadBalancers: true });
  const { state, job } = await h.settle(await h.enqueue(jobData('delete', h.target.sandbox.info.clusterName, name)), 10_000);
  expect(state).toBe('failed');
  expect(h.target.sandbox.elb.list().some((lb) => lb.dnsName === hostname)).toBe(true);
  expect(job.failedReason).toBe('orphan');
  const text = await h.finalProgress(name);
  expect(text).toContain('may be an orphan');
  expect(text).toContain(hostname.split('-')[0]!);
});

describe('approved for one version of the Service (expectResourceVersion)', () => {
  test('delete, the Service still in that version: deleted, ELB gone', async () => {
    const name = uniqueName('del-ok');
    const hostname = await loadBalancerService(name);
    const approved = h.target.sandbox.cluster.getService('default', name)?.metadata.resourceVersion;
    const job = await h.enqueue(jobData('delete', h.target.sandbox.info.clusterName, name, { expectResourceVersion: approved }));
    const { state, job: done } = await h.settle(job);
    expect(state).toBe('completed');
    expect(done.returnvalue.outcome).toEqual({ kind: 'deleted' });
    expect(h.target.sandbox.cluster.getService('default', name)).toBeUndefined();
    expect(h.target.sandbox.elb.list().some((lb) => lb.dnsName === hostname)).toBe(false);
  });

  test('delete, changed since (someone labelled it): fails with "changed since approved", the Service and its ELB stay', async () => {
    const name = uniqueName('del-stale');
    const hostname = await loadBalancerService(name);
    const before = h.target.sandbox.cluster.getService('default', name);
    h.target.sandbox.cluster.updateService('default', name, (svc) => {
      svc.metadata.labels = { ...svc.metadata.labels, touched: 'after-approval' };
    });
    const job = await h.enqueue(jobData('delete', h.target.sandbox.info.clusterName, name, { expectResourceVersion: before?.metadata.resourceVersion }));
    const { state, job: done } = await h.settle(job);
    expect(state).toBe('failed');
    expect(done.failedReason).toBe(CHANGED_SINCE_APPROVED);
    const after = h.target.sandbox.cluster.getService('default', name);
    expect(after?.metadata.uid).toBe(before?.metadata.uid);
    expect(after?.metadata.deletionTimestamp).toBeUndefined();
    expect(after?.spec?.type).toBe('LoadBalancer');
    expect(h.target.sandbox.elb.list().some((lb) => lb.dnsName === hostname)).toBe(true);
    expect(await h.finalProgress(name)).toContain(CHANGED_SINCE_APPROVED);
  });
});

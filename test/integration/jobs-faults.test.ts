/**
 * Provisioning under faults, against the sandbox and real Redis: a load balancer AWS cannot create
 * (SyncLoadBalancerFailed), a timeout, apiserver 500s and ELB throttling (retried until done).
 */
import { jobData, lbManifest, startJobsHarness, uniqueName, type JobsHarness } from './jobs-harness.js';
import { waitFor } from '../helpers/wait.js';

let h: JobsHarness;
beforeAll(async () => {
  // A job timeout well beyond what these jobs need on a loaded machine (the retried 500s take a while);
  // the timeout itself is tested with a harness of its own.
  h = await startJobsHarness({ sandbox: { provisionDelayMs: 100, dnsDelayMs: 200, instanceWarmupMs: 50 }, timeoutMs: 10_000, maxParkMs: 500 });
});
afterAll(() => h.close());
afterEach(() => h.target.sandbox.faults.reset());

const threadReplies = (name: string) =>
  h.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.body.thread_ts && String(c.body.text).includes(`default/${name}`));
const endpointPosts = (name: string) => threadReplies(name).filter((c) => String(c.body.text).includes('is reachable at'));

test('failProvisioning: fails at once, quoting the SyncLoadBalancerFailed Event; the Service is left; retry/delete explained', async () => {
  const name = uniqueName('nolb');
  h.target.sandbox.faults.set({ failProvisioning: 'TooManyLoadBalancers: Exceeded quota of account' });
  const started = Date.now();
  const { state, job } = await h.settle(await h.enqueue(jobData('provision', h.target.sandbox.info.clusterName, name, { manifest: lbManifest(name) })));
  expect(state).toBe('failed');
  expect(Date.now() - started).toBeLessThan(5000); // the Event ended it, not the timeout (10 s)
  expect(job.failedReason).toContain('AWS could not create the load balancer');
  expect(h.target.sandbox.cluster.getService('default', name)?.spec?.type).toBe('LoadBalancer');
  const text = await h.finalProgress(name);
  expect(text).toContain(':x: Stuck at *load balancer allocated*');
  expect(text).toContain('SyncLoadBalancerFailed');
  expect(text).toContain('Exceeded quota of account');
  expect(text).toContain(`/svc type ${name} lb`);
  expect(text).toContain(`/svc delete ${name}`);
  expect(endpointPosts(name)).toHaveLength(0);
  // The requester is told in the thread that it is stuck (an edit of the progress message notifies nobody).
  const told = await waitFor(() => threadReplies(name).length > 0 && threadReplies(name), { what: 'the stuck notice in the thread' });
  expect(told).toHaveLength(1);
  expect(String(told[0]!.body.text)).toMatch(/^<@U123ABC> `default\/nolb-[^`]+` on `sandbox`: :x: stuck at \*load balancer allocated\*/);
});

test('timeout: the message says which step is stuck (DNS never resolves in time)', async () => {
  const slow = await startJobsHarness({ sandbox: { provisionDelayMs: 50, dnsDelayMs: 60_000, instanceWarmupMs: 50 }, timeoutMs: 1500, maxParkMs: 500 });
  try {
    const name = uniqueName('slowdns');
    const { state, job } = await slow.settle(await slow.enqueue(jobData('provision', slow.target.sandbox.info.clusterName, name, { manifest: lbManifest(name) })));
    expect(state).toBe('failed');
    expect(job.failedReason).toContain('DNS name did not resolve');
    const text = await slow.finalProgress(name);
    expect(text).toContain(':white_check_mark: instances in service');
    expect(text).toContain(':x: DNS resolves');
    expect(text).toContain('Stuck at *DNS resolves*');
  } finally {
    await slow.close();
  }
});

test('apiserver 500s (kubeErrorEveryN) and ELB Throttling are retried until the endpoint is posted once', async () => {
  const name = uniqueName('flaky');
  h.target.sandbox.faults.set({ kubeErrorEveryN: 3, elbThrottleRatePerSecond: 3 });
  const { state } = await h.settle(await h.enqueue(jobData('provision', h.target.sandbox.info.clusterName, name, { manifest: lbManifest(name) })), 15_000);
  expect(state).toBe('completed');
  expect(endpointPosts(name)).toHaveLength(1);
  expect(h.target.sandbox.cluster.listServices().filter((s) => s.metadata.name === name)).toHaveLength(1);
});

test('ELB Throttling that reaches the job (a client that does not retry it) makes the job wait, never fail an attempt', async () => {
  // The harness's ELB client makes one attempt a call: every Throttling reaches the job. The first ELB call
  // of a provisioning is the job's own look at its new load balancer (DescribeLoadBalancers): the sandbox
  // throttles the first two, whatever the timing, so the job is throttled twice in a row.
  const patient = await startJobsHarness({ sandbox: { provisionDelayMs: 100, dnsDelayMs: 200, instanceWarmupMs: 50, faults: { elbThrottleNext: { DescribeLoadBalancers: 2 } } }, timeoutMs: 60_000, maxParkMs: 5000, attempts: 2 });
  try {
    const names = [uniqueName('throttled')];
    const jobs = await Promise.all(names.map((name) => patient.enqueue(jobData('provision', patient.target.sandbox.info.clusterName, name, { manifest: lbManifest(name) }))));
    const settled = await Promise.all(jobs.map((j) => patient.settle(j, 60_000)));
    // With 2 attempts, a job that spent attempts on throttling would have failed.
    expect(settled.map(({ state, job }) => [state, job.attemptsMade])).toEqual(names.map(() => ['completed', 1]));
    const posts = (name: string) => patient.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.body.thread_ts && String(c.body.text).includes(`default/${name}`) && String(c.body.text).includes('is reachable at'));
    expect(names.map((n) => posts(n).length)).toEqual([1]);
    // While it waited, its progress message said why.
    expect(patient.slack.calls.some((c) => (c.method === 'chat.update' || c.method === 'chat.postMessage') && JSON.stringify(c.body).includes('AWS is throttling svcbot; slowing down'))).toBe(true);
  } finally {
    await patient.close();
  }
}, 70_000);

test('apiserver 500s alone are retried within each call: the job completes without a failed attempt', async () => {
  const name = uniqueName('flakycall');
  h.target.sandbox.faults.set({ kubeErrorEveryN: 3 });
  const { state, job } = await h.settle(await h.enqueue(jobData('provision', h.target.sandbox.info.clusterName, name, { manifest: lbManifest(name) })), 15_000);
  expect(state).toBe('completed');
  // BullMQ counts the attempt that completed (parking is not an attempt): 1 = no attempt failed.
  expect(job.attemptsMade).toBe(1);
  expect(endpointPosts(name)).toHaveLength(1);
});

test('a permanent error (403 from RBAC) fails at once with the permission named, no retries', async () => {
  const name = uniqueName('denied');
  h.target.sandbox.faults.set({ deny: [{ verb: 'create', resource: 'services' }] });
  const { state, job } = await h.settle(await h.enqueue(jobData('provision', h.target.sandbox.info.clusterName, name, { manifest: lbManifest(name) })));
  expect(state).toBe('failed');
  expect(job.attemptsMade).toBeLessThanOrEqual(1);
  expect(job.failedReason).toContain('not allowed to create services');
  expect(await h.finalProgress(name)).toContain('Stuck at *Service created*');
});

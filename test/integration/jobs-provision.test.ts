/**
 * Provisioning jobs end to end against the sandbox and real Redis: create --type lb and type -> lb, one
 * endpoint message in the request's thread, progress steps in order and coalesced, failures and timeouts.
 */
import type { Job } from 'bullmq';
import type { LbJobResult } from '../../jobs/index.js';
import { CHANGED_SINCE_APPROVED, type LbJobData } from '../../src/domain/lb-jobs.js';
import { jobData, lbManifest, startJobsHarness, uniqueName, type JobsHarness } from './jobs-harness.js';

let h: JobsHarness;
beforeAll(async () => {
  h = await startJobsHarness({ sandbox: { provisionDelayMs: 150, dnsDelayMs: 400, instanceWarmupMs: 150 }, timeoutMs: 20_000 });
});
afterAll(() => h.close());
afterEach(() => h.target.sandbox.faults.reset());

function progressPost(name: string) {
  return h.slack.calls.find((c) => c.method === 'chat.postMessage' && !c.body.thread_ts && String(c.body.text).includes(`default/${name}`));
}
function endpointPosts(name: string) {
  return h.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.body.thread_ts && String(c.body.text).includes(`default/${name}`));
}

async function provision(name: string, extra: Partial<LbJobData> = {}): Promise<Job<LbJobData, LbJobResult>> {
  return h.enqueue(jobData('provision', h.target.sandbox.info.clusterName, name, extra));
}

test('create --type lb: one Service, steps in order, coalesced updates, one endpoint message in the thread', async () => {
  const name = uniqueName('web');
  const job = await provision(name, { manifest: lbManifest(name, 'ClusterIP') });
  const { state, job: done } = await h.settle(job);
  expect(state).toBe('completed');
  expect(done.returnvalue.outcome.kind).toBe('ready');

  const svc = h.target.sandbox.cluster.getService('default', name);
  expect(svc?.spec?.type).toBe('LoadBalancer');
  const hostname = svc?.status?.loadBalancer?.ingress?.[0]?.hostname ?? '';
  expect(hostname).toMatch(/elb\.amazonaws\.com$/);

  expect(progressPost(name)).toBeDefined();
  const posted = endpointPosts(name);
  expect(posted).toHaveLength(1);
  const reply = posted[0]!;
  expect(reply.body.channel).toBe('C0JOBS');
  expect(String(reply.body.text)).toContain('<@U123ABC>');
  expect(String(reply.body.text)).toContain(`${hostname}:80`);
  expect(String(reply.body.text)).toContain(`http://${hostname}:80`);
  expect(String(reply.body.text)).toContain(`${hostname}:6379`);
  expect(String(reply.body.text)).not.toContain(`http://${hostname}:6379`);

  // Progress: updates of the one message, at most one a second, steps done in order, the last one ready.
  const ts = String(reply.body.thread_ts);
  const last = await h.finalProgress(name);
  const updates = h.updatesOf(ts);
  expect(updates.length).toBeGreaterThanOrEqual(1);
  for (let i = 1; i < updates.length; i++) expect(updates[i]!.at - updates[i - 1]!.at).toBeGreaterThanOrEqual(950);
  expect(String(updates.at(-1)!.body.text)).toBe(last);
  const order = ['Service created', 'load balancer allocated', 'instances in service', 'DNS resolves', 'ready'];
  const positions = order.map((label) => last.indexOf(`:white_check_mark: ${label}`));
  expect(positions.every((p) => p >= 0)).toBe(true);
  expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  expect(last).toContain('Ready:');

  // The steps' times are recorded in order.
  const doneAt = (done.progress as { doneAt: Record<string, number> }).doneAt;
  const times = order.map((_, i) => doneAt[['service', 'allocated', 'in-service', 'dns', 'ready'][i]!]!);
  expect([...times].sort((a, b) => a - b)).toEqual(times);
});

test('type -> lb on an existing ClusterIP Service: patched in place (same UID), endpoint posted once', async () => {
  const name = uniqueName('retype-up');
  const { cluster } = h.target.registry.get();
  const before = await cluster.createService(lbManifest(name, 'ClusterIP'));
  const { state } = await h.settle(await provision(name));
  expect(state).toBe('completed');
  const after = await cluster.getService('default', name);
  expect(after.uid).toBe(before.uid);
  expect(after.type).toBe('LoadBalancer');
  expect(endpointPosts(name)).toHaveLength(1);
});

test('a second run of a finished job (retry/takeover) neither creates a second Service nor posts again', async () => {
  const name = uniqueName('twice');
  const data = jobData('provision', h.target.sandbox.info.clusterName, name, { manifest: lbManifest(name) });
  const first = await h.enqueue(data);
  expect((await h.settle(first)).state).toBe('completed');
  await first.remove();
  // The same request again (same requestedAt): as if BullMQ re-ran it after a crash past the post.
  const second = await h.enqueue(data);
  expect((await h.settle(second)).state).toBe('completed');
  expect(endpointPosts(name)).toHaveLength(1);
  expect(h.slack.calls.filter((c) => c.method === 'chat.postMessage' && !c.body.thread_ts && String(c.body.text).includes(`default/${name}`))).toHaveLength(1);
  expect(h.target.sandbox.cluster.listServices().filter((svc) => svc.metadata.name === name)).toHaveLength(1);
});

describe('approved for one version of the Service (expectResourceVersion)', () => {
  test('the Service still in that version: patched to LoadBalancer in place, endpoint posted', async () => {
    const name = uniqueName('approved');
    const { cluster } = h.target.registry.get();
    const before = await cluster.createService(lbManifest(name, 'ClusterIP'));
    const { state, job } = await h.settle(await provision(name, { expectResourceVersion: before.resourceVersion }));
    expect(state).toBe('completed');
    expect(job.returnvalue.outcome.kind).toBe('ready');
    const after = await cluster.getService('default', name);
    expect(after).toMatchObject({ uid: before.uid, type: 'LoadBalancer' });
    expect(endpointPosts(name)).toHaveLength(1);
  });

  test('changed since (someone labelled it): fails with "changed since approved", the Service keeps its type, no load balancer', async () => {
    const name = uniqueName('stale');
    const { cluster } = h.target.registry.get();
    const before = await cluster.createService(lbManifest(name, 'ClusterIP'));
    h.target.sandbox.cluster.updateService('default', name, (svc) => {
      svc.metadata.labels = { ...svc.metadata.labels, touched: 'after-approval' };
    });
    const { state, job } = await h.settle(await provision(name, { expectResourceVersion: before.resourceVersion }));
    expect(state).toBe('failed');
    expect(job.failedReason).toBe(CHANGED_SINCE_APPROVED);
    const svc = h.target.sandbox.cluster.getService('default', name);
    expect(svc?.spec?.type).toBe('ClusterIP');
    expect(svc?.metadata.labels).toMatchObject({ touched: 'after-approval' });
    expect(h.target.sandbox.elb.list().some((lb) => lb.tags.get('kubernetes.io/service-name') === `default/${name}`)).toBe(false);
    // No endpoint in the thread: the one reply there says why the job stopped.
    expect(endpointPosts(name).map((c) => String(c.body.text))).toEqual([expect.stringContaining(CHANGED_SINCE_APPROVED)]);
    expect(await h.finalProgress(name)).toContain(CHANGED_SINCE_APPROVED);
  });
});

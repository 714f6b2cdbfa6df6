/**
 * The load-balancer jobs on a Redis Cluster (3 masters + 3 replicas, started for this file), as the
 * jobs-* tests run them on one Redis: the queue named in a hash tag, the exactly-once claims and the
 * newest-change records beside it, through the real worker and processors against the sandbox.
 */
import { waitFor } from '../helpers/wait.js';
import { startRedisCluster, type LocalRedisCluster } from '../helpers/redis-cluster.js';
import { jobData, lbManifest, startJobsHarness, uniqueName, type JobsHarness } from './jobs-harness.js';

let cluster: LocalRedisCluster;
let h: JobsHarness;
beforeAll(async () => {
  cluster = await startRedisCluster();
  h = await startJobsHarness({
    sandbox: { provisionDelayMs: 150, deprovisionDelayMs: 150, dnsDelayMs: 300, instanceWarmupMs: 100 },
    timeoutMs: 20_000,
    redis: { target: { clusterNodes: cluster.nodes }, removeKeys: (prefix) => cluster.removeKeys(prefix) },
  });
}, 60_000);
afterAll(async () => {
  await h?.close();
  await cluster?.stop();
});

const endpointPosts = (name: string) => h.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.body.thread_ts && String(c.body.text).includes(`default/${name}`));

test('create --type lb on a cluster: ready, one endpoint message in the thread; its keys are in the queue\'s slot', async () => {
  const name = uniqueName('web');
  const job = await h.enqueue(jobData('provision', h.target.sandbox.info.clusterName, name, { manifest: lbManifest(name, 'ClusterIP') }));
  const { state, job: done } = await h.settle(job);
  expect(state).toBe('completed');
  expect(done.returnvalue.outcome.kind).toBe('ready');
  expect(endpointPosts(name)).toHaveLength(1);
  // Every key of the queue (BullMQ's, the once claims) carries the `{lb}` tag: one slot.
  const client = cluster.client();
  try {
    await client.ping(); // connected: it knows the masters
    const keys = (await Promise.all(client.nodes('master').map((n) => n.keys(`${h.prefix}:*`)))).flat();
    const queueKeys = keys.filter((k) => !k.includes(':latest-change:'));
    expect(queueKeys.length).toBeGreaterThan(0);
    expect(queueKeys.every((k) => k.startsWith(`${h.prefix}:{lb}:`))).toBe(true);
    expect(queueKeys.some((k) => k.includes(':once:') && k.endsWith(':endpoint'))).toBe(true);
  } finally {
    client.disconnect();
  }
});

test('create, then delete on a cluster: the Service and its load balancer go, "no further charges"', async () => {
  const name = uniqueName('api');
  const clusterName = h.target.sandbox.info.clusterName;
  const created = await h.settle(await h.enqueue(jobData('provision', clusterName, name, { manifest: lbManifest(name, 'ClusterIP') })));
  expect(created.state).toBe('completed');
  const hostname = h.target.sandbox.cluster.getService('default', name)?.status?.loadBalancer?.ingress?.[0]?.hostname;
  expect(hostname).toBeDefined();
  const deleted = await h.settle(await h.enqueue(jobData('delete', clusterName, name)));
  expect(deleted.state).toBe('completed');
  expect(deleted.job.returnvalue.outcome).toEqual({ kind: 'deleted' });
  await waitFor(() => !h.target.sandbox.elb.list().some((lb) => lb.dnsName === hostname), { what: 'the ELB to be gone' });
  // The delete's own progress message, once it shows the end (the create's says "Ready").
  await waitFor(() => h.slack.calls.some((c) => c.method === 'chat.update' && String(c.body.text).includes(`default/${name}\``) && String(c.body.text).includes('no further charges')), {
    what: "the delete's final progress",
  });
});

/**
 * Whole processes on a Redis Cluster under faults: the real `svcbot web` and TWO real `svcbot worker`
 * processes (child processes of the CLI, test/helpers/svcbot-process.ts) on a local 3-master + 3-replica
 * cluster (REDIS_CLUSTER_NODES), the sandbox enforcing manifests/'s RBAC and IAM policy, and the Slack
 * stand-in. A batch of load-balancer provisionings is requested and approved as Slack does it (signed
 * slash commands: the requester asks, someone else approves), and while the jobs are mid-provisioning
 * (their load balancers allocated, parked waiting for their names to resolve):
 *
 * (a) the worker owning more of the parked jobs is SIGKILLed: the other adopts its parked jobs when its
 *     heartbeat lapses (JOB_HEARTBEAT_INTERVAL=1s), and takes over any job it held running when the lock
 *     lapses (JOB_LOCK_TIMEOUT=1s);
 * (b) right after, the master serving the queue of most of the batch's jobs is killed (its replica takes
 *     over). The jobs are spread over 4 queues (JOB_QUEUE_SHARDS), so the workers run a BullMQ worker per
 *     queue and the queues sit on different masters.
 *
 * One more load balancer is requested and approved after that. Then: every job completes, the sandbox has
 * exactly one Service and one ELB per request, the Slack stand-in exactly one endpoint message per job, no
 * job is lost or left waiting, and the audit stream has each request's `requested`, `approved` and
 * `change` (queued) entries and each job's outcome, once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cluster } from 'ioredis';
import { queueOfJob, shardQueueNames } from '../../src/adapters/queue/shards.js';
import { ownershipKeys } from '../../src/adapters/queue/ownership.js';
import { lbJobId } from '../../src/domain/lb-jobs.js';
import type { Sandbox } from '../../sandbox/index.js';
import { auditEntries } from '../helpers/audit-stream.js';
import { BOT_TOKEN, newRedisPrefix, SIGNING_SECRET, startBotSandbox } from '../helpers/bot.js';
import { startRedisCluster, type LocalRedisCluster } from '../helpers/redis-cluster.js';
import { freePort } from '../helpers/redis-server.js';
import { postSigned, slashCommandBody } from '../helpers/slack-request.js';
import { startSlackStub, type RecordedCall, type SlackStub } from '../helpers/slack-stub.js';
import { killAll, loggedLine, spawnSvcbot, withOutputOnFailure, type SvcbotProcess } from '../helpers/svcbot-process.js';
import { waitFor } from '../helpers/wait.js';

const ALICE = 'U1ALICE';
const BOB = 'U2BOB';
const CHANNEL = 'C0FAULTS';
/** The batch: enough jobs that both workers hold some when one dies. */
const NAMES = Array.from({ length: 8 }, (_, i) => `cf-${i}`);
/** One more, requested after the faults. */
const AFTER = 'cf-after';

function allText(call: RecordedCall): string {
  return `${String(call.body.text)}\n${JSON.stringify(call.body.blocks ?? [])}`;
}

let cluster: LocalRedisCluster;
let sandbox: Sandbox;
let slack: SlackStub;
let tmp: string;
let admin: Cluster;
const prefix = newRedisPrefix();

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'svcbot-cluster-faults-'));
  cluster = await startRedisCluster();
  admin = cluster.client({ maxRetriesPerRequest: 3 });
  // The children read the kubeconfig from a file. Names resolve 6 s after their load balancer is made:
  // the jobs are parked waiting for DNS when the faults come.
  sandbox = await startBotSandbox({ kubeconfigPath: join(tmp, 'kubeconfig'), provisionDelayMs: 100, dnsDelayMs: 6000 });
  slack = await startSlackStub();
}, 60_000);
afterAll(async () => {
  await killAll();
  admin?.disconnect();
  await slack?.close();
  await sandbox?.close();
  // The cluster is this file's own: its removal takes every key.
  await cluster?.stop();
  await rm(tmp, { recursive: true, force: true });
});

/** The endpoint messages about Service `name` (each names it once, digests included). */
function endpointMessages(name: string): RecordedCall[] {
  return slack.calls.filter((c) => c.method === 'chat.postMessage' && allText(c).includes(`\`default/${name}\` is reachable at`));
}

const servicesOf = (name: string) => sandbox.cluster.listServices().filter((s) => s.metadata.namespace === 'default' && s.metadata.name === name);
const elbsOf = (name: string) => sandbox.elb.list().filter((lb) => lb.tags.get('kubernetes.io/service-name') === `default/${name}`);
/** The queues the jobs are spread over. */
const SHARDS = shardQueueNames(4);
/** Which worker parked each job (ownership.ts: job id -> worker id, ending in host:pid:…), over every queue. */
async function parkedJobs(): Promise<Record<string, string>> {
  const perQueue = await Promise.all(SHARDS.map((queue) => admin.hgetall(ownershipKeys(prefix, `{${queue}}`).parked)));
  return Object.assign({}, ...perQueue) as Record<string, string>;
}
const hostnameOf = (name: string) => sandbox.cluster.getService('default', name)?.status?.loadBalancer?.ingress?.[0]?.hostname;

test('a batch of approved provisionings on the cluster, jobs over 4 queues, one worker SIGKILLed and a queue\'s master killed mid-provisioning: every job completes once, nothing duplicated, the audit complete', async () => {
  const env: Record<string, string> = {
    ...sandbox.info.env,
    REDIS_CLUSTER_NODES: cluster.seeds,
    REDIS_PREFIX: prefix,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    // The stand-in takes everything at once (slack-limits.test.ts is about Slack's rates).
    SLACK_PACING: 'false',
    JOB_QUEUE_SHARDS: String(SHARDS.length),
    JOB_LOCK_TIMEOUT: '1s',
    JOB_HEARTBEAT_INTERVAL: '1s',
    JOB_TIMEOUT: '1m',
    JOB_PROGRESS_INTERVAL: '200ms',
    JOB_SHUTDOWN_GRACE: '500ms',
    DNS_PROBE_RATE: '200',
    ELB_API_RATE: '50',
    LOG_LEVEL: 'debug',
  };
  const webPort = await freePort();
  const eventsUrl = `http://127.0.0.1:${webPort}/slack/events`;
  const web = spawnSvcbot('web', ['web'], { ...env, PORT: String(webPort) });
  const workers = [spawnSvcbot('worker-a', ['worker'], env), spawnSvcbot('worker-b', ['worker'], env)];
  let responses = 0;

  /** `/svc TEXT` typed by `user`, signed as Slack signs it: its answer at the response_url. */
  async function say(text: string, user: string): Promise<string> {
    const responseId = `faults-${++responses}`;
    const res = await postSigned(eventsUrl, slashCommandBody({ text, user_id: user, channel_id: CHANNEL, response_url: slack.responseUrl(responseId) }), SIGNING_SECRET);
    expect(res.status).toBe(200);
    return allText(await slack.waitForCall((c) => c.method === 'response_url' && c.responseId === responseId, 15_000));
  }

  /** The batch, and the one request after the faults once made. */
  const names = [...NAMES];

  await withOutputOnFailure(async () => {
    await waitFor(() => loggedLine(web, 'svcbot is listening for /svc'), { what: 'svcbot web to listen', timeoutMs: 30_000 });
    for (const w of workers) await waitFor(() => loggedLine(w, 'svcbot is running load-balancer jobs'), { what: `${w.name} to run`, timeoutMs: 30_000 });

    // Alice asks for each load balancer; Bob approves each request (the default policy: four eyes).
    const requests = new Map<string, string>();
    const ask = async (name: string) => {
      const waiting = await say(`create ${name} --selector app=alpine --port 80 --type lb`, ALICE);
      const id = /Waiting for approval \(request `([0-9a-f]{8})`\)/.exec(waiting)?.[1];
      if (id === undefined) throw new Error(`"create ${name}" did not wait for approval: ${waiting}`);
      requests.set(name, id);
      return id;
    };
    const approve = async (id: string) => expect(await say(`approve ${id}`, BOB)).toContain(`Approved request \`${id}\``);
    for (const id of await Promise.all(names.map(ask))) await approve(id);
    const jobIds = names.map((name) => lbJobId('provision', sandbox.info.clusterName, 'default', name));

    // Mid-provisioning: every load balancer allocated, no name resolving yet, nothing announced.
    await waitFor(() => names.every((n) => hostnameOf(n) !== undefined), { what: 'every job to have its load balancer allocated', timeoutMs: 20_000 });
    expect(names.flatMap(endpointMessages)).toEqual([]);

    // (a) The worker that owns more of the batch's parked jobs (ownership.ts: job id -> worker id, which
    // ends in host:pid:…) dies without a word.
    const owners = await waitFor(
      async () => {
        const parked = await parkedJobs();
        return jobIds.filter((id) => parked[id] !== undefined).length >= names.length / 2 && parked;
      },
      { what: 'the jobs to park waiting for DNS', timeoutMs: 10_000, intervalMs: 50 },
    );
    const owned = (w: SvcbotProcess) => jobIds.filter((id) => owners[id]?.includes(`:${String(w.pid)}:`)).length;
    const [victim, survivor] = owned(workers[0]!) >= owned(workers[1]!) ? [workers[0]!, workers[1]!] : [workers[1]!, workers[0]!];
    expect(owned(victim)).toBeGreaterThan(0);
    expect(await victim.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    // (b) Then the master serving the queue that holds most of the batch; its replica takes over.
    expect(new Set(jobIds.map((id) => queueOfJob(id, SHARDS))).size).toBeGreaterThan(1);
    const busiest = SHARDS.map((queue) => ({ queue, jobs: jobIds.filter((id) => queueOfJob(id, SHARDS) === queue).length })).sort((a, b) => b.jobs - a.jobs)[0]!;
    await cluster.killMaster(`${prefix}:{${busiest.queue}}:meta`);
    expect(survivor.running()).toBe(true);
    expect(web.running()).toBe(true);
    // The survivor adopts the dead worker's parked jobs (their wake-ups lived in the dead process).
    await waitFor(async () => {
      const parked = await parkedJobs();
      return jobIds.every((id) => !(parked[id] ?? '').includes(`:${String(victim.pid)}:`));
    }, { what: 'the survivor to adopt the dead worker\'s parked jobs', timeoutMs: 15_000, intervalMs: 100 });

    // A request after the failover is taken, approved and queued on the promoted replica like the others.
    await approve(await ask(AFTER));
    names.push(AFTER);
    jobIds.push(lbJobId('provision', sandbox.info.clusterName, 'default', AFTER));

    // Every job ends with its endpoints posted: none lost with the worker or the master.
    await waitFor(() => names.every((n) => endpointMessages(n).length > 0), { what: 'every job to post its endpoints', timeoutMs: 40_000, intervalMs: 100 });
    for (const name of names) {
      expect({ name, services: servicesOf(name).length, elbs: elbsOf(name).length, endpoints: endpointMessages(name).length }).toEqual({ name, services: 1, elbs: 1, endpoints: 1 });
      expect(servicesOf(name)[0]?.spec?.type).toBe('LoadBalancer');
      expect(allText(endpointMessages(name)[0]!)).toContain(`${elbsOf(name)[0]!.dnsName}:80`);
    }

    // The audit stream: each request asked, approved and run (queued as its job) once; each job's outcome once (ready).
    const entries = await waitFor(
      async () => {
        const all = await auditEntries(admin, prefix);
        return jobIds.every((id) => all.some((e) => e.action === 'job' && e.jobId === id)) && all;
      },
      { what: 'every job\'s outcome in the audit stream', timeoutMs: 10_000, intervalMs: 100 },
    );
    for (const [name, id] of requests) {
      expect({ name, actions: entries.filter((e) => e.requestId === id).map((e) => e.action).sort() }).toEqual({ name, actions: ['approved', 'change', 'requested'] });
      expect(entries.find((e) => e.requestId === id && e.action === 'change')?.result).toContain(lbJobId('provision', sandbox.info.clusterName, 'default', name));
    }
    for (const id of jobIds) {
      const outcomes = entries.filter((e) => e.action === 'job' && e.jobId === id);
      expect(outcomes).toHaveLength(1);
      expect(outcomes[0]!.result).toMatch(/ready/i);
    }

    // `/svc jobs`: nothing running or queued, every job of the batch done — none lost or left behind.
    const jobs = await waitFor(
      async () => {
        const text = await say('jobs', ALICE);
        return jobIds.every((id) => new RegExp(`${id.replaceAll('.', '\\.')}\\s+done\\b`).test(text)) && text;
      },
      { what: '/svc jobs to list the batch done', timeoutMs: 10_000 },
    );
    expect(jobs).toContain('Nothing running or queued.');

    expect(await survivor.kill('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(await web.kill('SIGTERM')).toEqual({ code: 0, signal: null });
  });
}, 90_000);

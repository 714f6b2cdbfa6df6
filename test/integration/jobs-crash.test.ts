/**
 * Load-balancer jobs surviving crashes, with the REAL processors and worker runtime against the sandbox,
 * the Slack stub and a PRIVATE redis-server per test (never the shared one, so the default queue prefix
 * `svcbot` is safe to use):
 *
 * 1. `svcbot worker` (the real CLI, as a child process) is SIGKILLed while it runs a provisioning job;
 *    a second `svcbot worker` takes the job over (stalled-job recovery, JOB_LOCK_TIMEOUT=1s) and
 *    finishes it: one Service, one ELB, one endpoint message. The kill lands while the job is ACTIVE
 *    (locked): that is what stalled-job recovery is for. A job that is parked (delayed) when its worker
 *    dies holds no lock and needs no recovery: its wake-ups lived in the dead process (jobs/prober.ts);
 *    a live worker adopts it when the dead one's heartbeat lapses (the test "SIGKILLed while its job is
 *    parked"; worker-heartbeat.test.ts).
 * 2. Redis is restarted (SIGTERM, then started again on the same port and data dir) while a job is
 *    parked waiting for DNS, and the name starts resolving while Redis is down; the user is told the
 *    queue is unreachable, and the job completes with one endpoint message as soon as Redis is back.
 *
 * Apiserver 500s and ELB Throttling during provisioning are covered by jobs-faults.test.ts.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Resolver } from 'node:dns/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createConsoleAdapters, createSlackAdapters, endpointClients, startSvcbot } from '../../src/app.js';
import type { Reply } from '../../src/render/blocks.js';
import { DEFAULT_QUEUE_NAME } from '../../src/adapters/queue/bullmq-queue.js';
import { DEFAULT_PREFIX } from '../../src/adapters/queue/keys.js';
import { ownershipKeys } from '../../src/adapters/queue/ownership.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { NO_APPROVALS } from '../helpers/bot.js';
import { lbJobId } from '../../src/domain/lb-jobs.js';
import type { LbJobState } from '../../src/domain/progress.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../sandbox/index.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/redis-server.js';
import { startSlackStub, type RecordedCall, type SlackStub } from '../helpers/slack-stub.js';
import { killAll, spawnSvcbot, withOutputOnFailure } from '../helpers/svcbot-process.js';
import { waitFor } from '../helpers/wait.js';

const TEST_TIMEOUT_MS = 45_000;

const USER = 'U0CRASH1';
const CHANNEL = 'C0CRASH1';
const QUEUED = /Queued .* as job/;
const QUEUE_DOWN = 'svcbot cannot reach its queue (Redis)';

/** Undone in reverse order after each test, whether it passed or not (children are SIGKILLed first). */
let cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await killAll();
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  cleanups = [];
});

interface World {
  sandbox: Sandbox;
  slack: SlackStub;
  redis: PrivateRedis;
  /** What `svcbot web` / `svcbot worker` read: the sandbox's variables, the private Redis, the Slack stub. */
  env: Record<string, string>;
  config: Config;
  /** The job queue as BullMQ sees it (default prefix and name), to look at the job's state. */
  jobs: Queue;
  /** The web side (`startSvcbot` as `svcbot web`), answering through a text chat instead of Slack. */
  web: { handle(text: string, user: { userId: string; channelId: string }): Promise<Reply> };
  /** The in-process logger (the web side, and the in-process worker if any); `logs()` is what it wrote. */
  logger: Logger;
  logs(): string;
}

async function startWorld(sandboxOptions: SandboxOptions, redisOptions: { persistDir?: string } = {}, options: { defaultLockTimeout?: boolean } = {}): Promise<World> {
  const tmp = await mkdtemp(join(tmpdir(), 'svcbot-crash-'));
  cleanups.push(() => rm(tmp, { recursive: true, force: true }));
  const sandbox = await startSandbox({ kubeconfigPath: join(tmp, 'kubeconfig'), ...sandboxOptions });
  cleanups.push(() => sandbox.close());
  const slack = await startSlackStub();
  cleanups.push(() => slack.close());
  const redis = await startPrivateRedis(redisOptions);
  cleanups.push(() => redis.stop());
  const env: Record<string, string> = {
    ...sandbox.info.env,
    REDIS_URL: redis.url,
    SLACK_BOT_TOKEN: 'xoxb-crash-test',
    SLACK_API_URL: slack.apiUrl,
    ...(options.defaultLockTimeout ? {} : { JOB_LOCK_TIMEOUT: '1s' }),
    JOB_TIMEOUT: '2m',
    LOG_LEVEL: 'debug',
  };
  // Crashes of job workers are the subject here, not approvals: nothing waits for one.
  const config = loadConfig(env, undefined, { defaults: NO_APPROVALS });
  let logText = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logText += chunk.toString();
      done();
    },
  });
  const logger = createLogger({ level: 'debug', destination });
  // This process's environment does not point the AWS SDK at the sandbox (the children's does).
  const adapters = createConsoleAdapters(config, logger, { role: 'web', clients: sandboxClients(sandbox), write: () => undefined });
  const running = await startSvcbot(config, adapters, 'web');
  cleanups.push(() => running.stop());
  const web = {
    handle: async (text: string, user: { userId: string; channelId: string }) => {
      const [reply] = await adapters.text.command(config.slack.command, text, user);
      if (!reply) throw new Error(`no reply to ${text}`);
      return reply;
    },
  };
  const jobs = new Queue(DEFAULT_QUEUE_NAME, { connection: { url: redis.url, maxRetriesPerRequest: null }, prefix: DEFAULT_PREFIX });
  jobs.on('error', () => {
    // Redis is stopped on purpose in one test; this connection reconnects by itself.
  });
  cleanups.push(() => jobs.close());
  return { sandbox, slack, redis, env, config, jobs, web, logger, logs: () => logText.slice(-20_000) };
}

/** This process's environment does not point the AWS SDK at the sandbox (the children's does). */
function sandboxClients(sandbox: Sandbox) {
  return endpointClients({ kubeconfigYaml: sandbox.kubeconfigYaml, elbEndpoint: sandbox.info.elbEndpoint, ec2Endpoint: sandbox.info.ec2Endpoint, region: sandbox.info.region });
}

/** The endpoint messages about Service `name` (jobs/provision.ts, renderEndpointMessage). */
function endpointMessages(slack: SlackStub, name: string): RecordedCall[] {
  return slack.calls.filter(
    (c) => c.method === 'chat.postMessage' && String(c.body.text).includes(`\`default/${name}\` is reachable at`),
  );
}

/** The sandbox's Services and ELBs for `name`: what the world has, whoever made it. */
function resourcesOf(sandbox: Sandbox, name: string) {
  return {
    services: sandbox.cluster.listServices().filter((s) => s.metadata.namespace === 'default' && s.metadata.name === name),
    elbs: sandbox.elb.list().filter((lb) => lb.tags.get('kubernetes.io/service-name') === `default/${name}`),
  };
}

function hostnameOf(sandbox: Sandbox, name: string): string | undefined {
  return sandbox.cluster.getService('default', name)?.status?.loadBalancer?.ingress?.[0]?.hostname;
}

async function jobState(world: World, jobId: string): Promise<string> {
  return world.jobs.getJobState(jobId);
}

/** The ts of the progress message about Service `name`, which the job posts (once) when it first runs. */
async function progressMessageTs(world: World, name: string): Promise<string> {
  const post = await world.slack.waitForCall(
    (c) => c.method === 'chat.postMessage' && c.body.thread_ts === undefined && String(c.body.text).includes(`default/${name}\``),
    15_000,
  );
  if (post.ts === undefined) throw new Error(`no ts for the progress message of ${name}`);
  return post.ts;
}

/** The progress message's last version, once it says the job is done. */
function finalProgress(world: World, progressTs: string): Promise<string> {
  return waitFor(
    () =>
      world.slack.calls
        .filter((c) => c.method === 'chat.update' && c.body.ts === progressTs)
        .map((c) => String(c.body.text))
        .find((t) => t.includes('Ready:')),
    { what: 'the progress message to show the job ready' },
  );
}

test('svcbot worker SIGKILLed mid-provisioning: a second worker takes the job over and finishes it (one Service, one ELB, one endpoint message)', async () => {
  // Slow enough that the kill lands mid-provisioning; every ELB answer takes 3 s, so once AWS has
  // allocated the load balancer, the first worker is (deterministically) inside its ELB call.
  const world = await startWorld({ provisionDelayMs: 1500, dnsDelayMs: 1500, instanceWarmupMs: 200, faults: { elbLatencyMs: 3000 } });
  const { sandbox, slack, env } = world;
  const jobId = lbJobId('provision', world.config.clusters[0].name, 'default', 'web');

  await withOutputOnFailure(async () => {
    const first = spawnSvcbot('worker-1', ['worker'], env);
    const reply = await world.web.handle('create web --selector app=alpine --port 80 --type lb', { userId: USER, channelId: CHANNEL });
    expect(reply.text).toMatch(QUEUED);
    const progressTs = await progressMessageTs(world, 'web');

    // The first worker created the Service, AWS allocated its load balancer, and the job runs again
    // (woken by the Service watch) — it is active, holding its lock, inside the slow ELB call.
    await waitFor(async () => hostnameOf(sandbox, 'web') !== undefined && (await jobState(world, jobId)) === 'active', {
      what: 'the first worker to run the job after the load balancer was allocated',
      timeoutMs: 20_000,
    });
    expect(first.running()).toBe(true);
    expect(endpointMessages(slack, 'web')).toHaveLength(0);
    expect(await first.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await jobState(world, jobId)).toBe('active'); // locked by a dead worker
    expect(endpointMessages(slack, 'web')).toHaveLength(0);

    sandbox.faults.set({ elbLatencyMs: 0 });
    const second = spawnSvcbot('worker-2', ['worker'], env);
    // The lock (1 s) expires, the second worker's stalled check hands the job back, and it resumes from
    // the world's actual state: the Service exists, the ELB serves, the name resolves.
    await waitFor(async () => (await jobState(world, jobId)) === 'completed', { what: 'the job to complete on the second worker', timeoutMs: 20_000 });
    const job = await world.jobs.getJob(jobId);
    expect(job?.stalledCounter).toBe(1);
    expect(job?.returnvalue).toMatchObject({ outcome: { kind: 'ready' } });

    const { services, elbs } = resourcesOf(sandbox, 'web');
    expect(services).toHaveLength(1);
    expect(services[0]?.spec?.type).toBe('LoadBalancer');
    expect(elbs).toHaveLength(1);
    expect(hostnameOf(sandbox, 'web')).toBe(elbs[0]?.dnsName);

    expect(await finalProgress(world, progressTs)).toContain(`default/web`);
    const endpoints = endpointMessages(slack, 'web');
    expect(endpoints).toHaveLength(1);
    expect(endpoints[0]?.body).toMatchObject({ channel: CHANNEL, thread_ts: progressTs });
    expect(String(endpoints[0]?.body.text)).toContain(`<@${USER}>`);
    expect(String(endpoints[0]?.body.text)).toContain(`${elbs[0]?.dnsName}:80`);

    // And the survivor stops cleanly on SIGTERM.
    expect(await second.kill('SIGTERM')).toEqual({ code: 0, signal: null });
  }, { 'in-process (web side)': world.logs });
}, TEST_TIMEOUT_MS);

test('svcbot worker SIGKILLed while its job is parked waiting for DNS: the live worker adopts it within 2 × JOB_HEARTBEAT_INTERVAL and its prober finishes it', async () => {
  const heartbeatMs = 2000;
  const world = await startWorld({ provisionDelayMs: 300, dnsDelayMs: 8000, instanceWarmupMs: 100 });
  const { sandbox, slack } = world;
  const env = { ...world.env, JOB_HEARTBEAT_INTERVAL: '2s' };
  const jobId = lbJobId('provision', world.config.clusters[0].name, 'default', 'dns');
  const owners = ownershipKeys(DEFAULT_PREFIX, DEFAULT_QUEUE_NAME).parked;
  const redis = new Redis(world.redis.url);
  cleanups.push(() => redis.quit());

  await withOutputOnFailure(async () => {
    const workers = [spawnSvcbot('worker-a', ['worker'], env), spawnSvcbot('worker-b', ['worker'], env)];
    const reply = await world.web.handle('create dns --selector app=alpine --port 80 --type lb', { userId: USER, channelId: CHANNEL });
    expect(reply.text).toMatch(QUEUED);
    // Parked waiting for its name to resolve, owned by the worker that ran it (its id ends in host:pid:…).
    const owner = await waitFor(
      async () => {
        // Parked for DNS itself (its load balancer in service: the job saved the name it waits for), not
        // still for AWS — a job parked for AWS is about to be woken by the watch and run again.
        const job = await world.jobs.getJob(jobId);
        const waitsForDns = (job?.progress as { servingHostname?: string } | undefined)?.servingHostname !== undefined;
        return waitsForDns && (await jobState(world, jobId)) === 'delayed' ? ((await redis.hget(owners, jobId)) ?? undefined) : undefined;
      },
      { what: 'the job to park waiting for DNS', timeoutMs: 15_000 },
    );
    const dying = workers.find((w) => owner.includes(`:${String(w.pid)}:`));
    const survivor = workers.find((w) => w !== dying);
    if (!dying || !survivor) throw new Error(`no worker process owns the parked job (owner ${owner})`);
    expect(await dying.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    const killedAt = Date.now();
    expect(await jobState(world, jobId)).toBe('delayed');

    // Adopted and run again: it parks again (waiting for DNS) under the survivor, or has finished.
    await waitFor(async () => {
      const now = await redis.hget(owners, jobId);
      return (now !== null && now !== owner) || (await jobState(world, jobId)) === 'completed';
    }, { what: 'the survivor to adopt the parked job', timeoutMs: 4 * heartbeatMs });
    expect(Date.now() - killedAt).toBeLessThanOrEqual(2 * heartbeatMs);

    // Its wake-up is registered in the survivor: the name resolves, and the job finishes (long before a recheck).
    await waitFor(async () => (await jobState(world, jobId)) === 'completed', { what: 'the adopted job to complete', timeoutMs: 20_000 });
    const { services, elbs } = resourcesOf(sandbox, 'dns');
    expect(services).toHaveLength(1);
    expect(elbs).toHaveLength(1);
    expect(endpointMessages(slack, 'dns')).toHaveLength(1);
    // The adoption is counted in the survivor's metrics.
    const healthPort = /"healthPort":(\d+)/.exec(survivor.output())?.[1];
    const metrics = await (await fetch(`http://127.0.0.1:${String(healthPort)}/metrics`)).text();
    expect(metrics).toMatch(/^svcbot_jobs_adopted_total 1$/m);
    expect(await survivor.kill('SIGTERM')).toEqual({ code: 0, signal: null });
  }, { 'in-process (web side)': world.logs });
}, TEST_TIMEOUT_MS);

test('at the default JOB_LOCK_TIMEOUT, a worker already running takes over a SIGKILLed worker’s running job within 2 × JOB_LOCK_TIMEOUT (20 s)', async () => {
  const world = await startWorld({ provisionDelayMs: 1500, dnsDelayMs: 1500, instanceWarmupMs: 200, faults: { elbLatencyMs: 3000 } }, {}, { defaultLockTimeout: true });
  const { sandbox, slack, env } = world;
  const jobId = lbJobId('provision', world.config.clusters[0].name, 'default', 'web');
  expect(world.config.jobs.lockTimeoutMs).toBe(10_000);

  await withOutputOnFailure(async () => {
    const first = spawnSvcbot('worker-1', ['worker'], env);
    await waitFor(() => first.output().includes('svcbot is running load-balancer jobs'), { what: 'the first worker to start' });
    await world.web.handle('create web --selector app=alpine --port 80 --type lb', { userId: USER, channelId: CHANNEL });
    await waitFor(async () => hostnameOf(sandbox, 'web') !== undefined && (await jobState(world, jobId)) === 'active', {
      what: 'the first worker to run the job after the load balancer was allocated',
      timeoutMs: 20_000,
    });
    // The second worker runs already, as in a deployment of several; the job stays with the first.
    const second = spawnSvcbot('worker-2', ['worker'], env);
    await waitFor(() => second.output().includes('svcbot is running load-balancer jobs'), { what: 'the second worker to start' });
    await waitFor(async () => (await jobState(world, jobId)) === 'active' && hostnameOf(sandbox, 'web') !== undefined, { what: 'the job to be active on the first worker' });
    expect(await first.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    const killedAt = Date.now();
    sandbox.faults.set({ elbLatencyMs: 0 });

    await waitFor(async () => (await jobState(world, jobId)) === 'completed', { what: 'the job to complete on the second worker', timeoutMs: 30_000 });
    const recoveredMs = Date.now() - killedAt;
    if (process.env.SVCBOT_REPORT_FIGURES === '1') process.stderr.write(`recovery after SIGKILL at the defaults: ${recoveredMs} ms\n`);
    // 2 × JOB_LOCK_TIMEOUT, and a little for the job's last steps.
    expect(recoveredMs).toBeLessThan(25_000);
    expect((await world.jobs.getJob(jobId))?.stalledCounter).toBe(1);
    expect(resourcesOf(sandbox, 'web').services).toHaveLength(1);
    expect(resourcesOf(sandbox, 'web').elbs).toHaveLength(1);
    await waitFor(() => endpointMessages(slack, 'web').length === 1, { what: 'the endpoint message' });
    expect(endpointMessages(slack, 'web')).toHaveLength(1);
  }, { 'in-process (web side)': world.logs });
}, 70_000);

test('svcbot worker SIGKILLed mid-provisioning, then the user deletes the Service: the job, taken over later, stands down — nothing is made again, nothing announced', async () => {
  const world = await startWorld({ provisionDelayMs: 1500, dnsDelayMs: 1500, instanceWarmupMs: 200, faults: { elbLatencyMs: 3000 } });
  const { sandbox, slack, env } = world;
  const cluster = world.config.clusters[0].name;
  const provisionId = lbJobId('provision', cluster, 'default', 'web');
  const deleteId = lbJobId('delete', cluster, 'default', 'web');

  await withOutputOnFailure(async () => {
    const first = spawnSvcbot('worker-1', ['worker'], env);
    await world.web.handle('create web --selector app=alpine --port 80 --type lb', { userId: USER, channelId: CHANNEL });
    const progressTs = await progressMessageTs(world, 'web');
    await waitFor(async () => hostnameOf(sandbox, 'web') !== undefined && (await jobState(world, provisionId)) === 'active', {
      what: 'the first worker to run the job after the load balancer was allocated',
      timeoutMs: 20_000,
    });
    const created = resourcesOf(sandbox, 'web').services[0]?.metadata.uid;
    expect(await first.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });

    // No worker runs: the user deletes the Service (a job, since it is a LoadBalancer).
    const reply = await world.web.handle('delete web', { userId: 'U0CRASH2', channelId: CHANNEL });
    expect(reply.text).toContain(deleteId);

    sandbox.faults.set({ elbLatencyMs: 0 });
    const second = spawnSvcbot('worker-2', ['worker'], env);
    await waitFor(async () => (await jobState(world, provisionId)) === 'completed' && (await jobState(world, deleteId)) === 'completed', {
      what: 'both jobs to finish on the second worker',
      timeoutMs: 25_000,
    });
    expect((await world.jobs.getJob(provisionId))?.returnvalue).toMatchObject({ outcome: { kind: 'superseded', by: { change: 'delete', jobId: deleteId } } });
    expect((await world.jobs.getJob(deleteId))?.returnvalue).toMatchObject({ outcome: { kind: 'deleted' } });
    // The Service and its load balancer are gone, and stay gone: the provisioning made nothing again.
    await waitFor(() => resourcesOf(sandbox, 'web').elbs.length === 0, { what: 'the load balancer to be deleted' });
    expect(resourcesOf(sandbox, 'web').services).toEqual([]);
    expect(created).toBeDefined();
    expect(endpointMessages(slack, 'web')).toHaveLength(0);
    const superseded = await waitFor(
      () => slack.calls.filter((c) => c.method === 'chat.update' && c.body.ts === progressTs).map((c) => String(c.body.text)).find((t) => t.includes('Superseded')),
      { what: 'the provisioning message to say it was superseded' },
    );
    expect(superseded).toContain(`Superseded by \`delete\` (job \`${deleteId}\`)`);
    expect(await second.kill('SIGTERM')).toEqual({ code: 0, signal: null });
  }, { 'in-process (web side)': world.logs });
}, TEST_TIMEOUT_MS);

test('Redis restarted while a job is parked waiting for DNS, the name resolving meanwhile: the user is told the queue is down; the job completes once, as soon as Redis is back', async () => {
  // Production Redis behind a job queue persists (AOF); without persistence a restart would simply lose
  // the queue, and no worker could finish a job that no longer exists.
  const dataDir = await mkdtemp(join(tmpdir(), 'svcbot-redis-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const world = await startWorld({ provisionDelayMs: 200, dnsDelayMs: 2500, instanceWarmupMs: 100 }, { persistDir: dataDir });
  const { sandbox, slack, redis } = world;
  const jobId = lbJobId('provision', world.config.clusters[0].name, 'default', 'web');

  await withOutputOnFailure(async () => {
    // The worker's own settings (park timeout 30 s): a wake-up lost to the restart would show as a job
    // that completes only after its park timeout, too late for the wait below.
    const worker = await startSvcbot(world.config, createSlackAdapters(world.config, world.logger, { role: 'worker', clients: sandboxClients(sandbox) }), 'worker');
    cleanups.push(() => worker.stop());

    const reply = await world.web.handle('create web --selector app=alpine --port 80 --type lb', { userId: USER, channelId: CHANNEL });
    expect(reply.text).toMatch(QUEUED);
    const progressTs = await progressMessageTs(world, 'web');

    await waitFor(
      async () => {
        const job = await world.jobs.getJob(jobId);
        const state = job?.progress as Partial<LbJobState> | undefined;
        return (await jobState(world, jobId)) === 'delayed' && /to resolve/.test(state?.waitingFor ?? '');
      },
      { what: 'the job to park waiting for DNS', timeoutMs: 10_000 },
    );
    const hostname = hostnameOf(sandbox, 'web');
    expect(hostname).toBeDefined();
    const resolver = new Resolver({ timeout: 500, tries: 1 });
    resolver.setServers([sandbox.info.dnsServer]);

    await redis.stop();
    // What the user sees meanwhile: the queue is down, said at once; nothing is changed.
    const jobsReply = await world.web.handle('jobs', { userId: USER, channelId: CHANNEL });
    expect(jobsReply.text).toContain(QUEUE_DOWN);
    const createReply = await world.web.handle('create api --selector app=alpine --port 80 --type lb', { userId: USER, channelId: CHANNEL });
    expect(createReply.text).toContain(QUEUE_DOWN);
    expect(resourcesOf(sandbox, 'api').services).toHaveLength(0);
    expect(endpointMessages(slack, 'web')).toHaveLength(0);

    // Redis stays down until the name resolves: the job's wake-up (the worker's DNS prober) comes while
    // the queue is unreachable.
    await waitFor(async () => (await resolver.resolve4(hostname ?? '')).length > 0, { what: `${hostname ?? '?'} to resolve`, timeoutMs: 10_000 });

    await redis.start();
    await waitFor(async () => (await jobState(world, jobId)) === 'completed', { what: 'the job to complete after the restart', timeoutMs: 15_000 });
    expect(await world.jobs.getJobCounts('failed', 'waiting', 'delayed', 'active')).toEqual({ failed: 0, waiting: 0, delayed: 0, active: 0 });

    const { services, elbs } = resourcesOf(sandbox, 'web');
    expect(services).toHaveLength(1);
    expect(elbs).toHaveLength(1);
    expect(await finalProgress(world, progressTs)).toContain('default/web');
    const endpoints = endpointMessages(slack, 'web');
    expect(endpoints).toHaveLength(1);
    expect(endpoints[0]?.body).toMatchObject({ channel: CHANNEL, thread_ts: progressTs });
    expect(String(endpoints[0]?.body.text)).toContain(`<@${USER}>`);
    expect(String(endpoints[0]?.body.text)).toContain(`${hostname ?? '?'}:80`);
  }, { 'in-process (web side and worker)': world.logs, 'redis-server': redis.output });
}, TEST_TIMEOUT_MS);

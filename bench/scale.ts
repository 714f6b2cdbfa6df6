/**
 * `bench/scale`: svcbot scaled out — W `svcbot worker` and H `svcbot web` child processes on a local
 * 3-master Redis Cluster (bench/redis-cluster.ts) — with N LoadBalancer provisionings across C simulated
 * clusters, next to a baseline in the same run: one worker and one web on one redis-server. The issue's
 * figures: per-process RSS, Redis commands/s per master while every job waits and while idle, the
 * endpoint delay p50/p99/max, and one worker SIGKILLed at the midpoint (its jobs' extra delay).
 *
 * The world is `bench/inflight`'s (inflight-world.ts: the sandbox with C clusters sharing one ELB API and
 * DNS server, the Slack stand-in; the names held until every job is parked), and so are the delay's
 * definition (Slack stand-in's arrival time minus the sandbox's `dnsVisibleAt`) and the process and Redis
 * readings (bench/proc.ts, bench/redis.ts). What is new: the jobs are submitted as Slack submits them, as
 * signed `/svc create … --type loadbalancer` slash commands, round-robin over the web processes (the
 * bench's policy lets load balancers be created without approval); Redis is read per master; and in
 * the scaled-out run one worker is SIGKILLed when half of the names have become resolvable.
 *
 * Phases of each run: the idle processes (10 s); N submissions at R a second; settling until every job
 * is parked (each recorded in its queue's ownership hash, `…:svcbot:parked`, and each has asked the DNS
 * server for its name once), however long the processes take; the all-waiting window (W s); the names are
 * released, resolving in the order their load balancers were made at R a second, and in the scaled-out run
 * one worker is SIGKILLed halfway through the release; the run ends
 * when every endpoint message has arrived.
 *
 * Queues are found by their keys (SCAN for `${prefix}:*:svcbot:parked` on every master), not by name, so
 * the bench reads any number of queues (`JOB_QUEUE_SHARDS`, passed to every process) however they are named.
 */
import http from 'node:http';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createBullmqLbJobQueue } from '../src/adapters/queue/bullmq-queue.js';
import { DEFAULT_PREFIX } from '../src/adapters/queue/keys.js';
import { redisTargetOf } from '../src/adapters/redis/connection.js';
import { loadConfig } from '../src/config/index.js';
import { CHANNEL, distribution, imageNodeOptions, jobData, topCommands, USER, workerEnv, type Distribution } from './inflight.js';
import { clusterNameOf, startInflightWorld, type InflightWorld } from './inflight-world.js';
import { freePort, readCpuMs, removeTmpDir, trackTmpDir } from './proc.js';
import { nodeStats, startPrivateRedis, type RedisReading, type RedisStats } from './redis.js';
import { startRedisCluster } from './redis-cluster.js';
import { signedHeaders, slashCommandBody } from './slack.js';
import { submitAtRate } from './pace.js';
import { round2 } from './stats.js';
import { spawnSvcbot, type WorkerProcess } from './worker-process.js';

const SIGNING_SECRET = 'scale-bench-signing-secret';
const NAMESPACE = 'default';
/** Time allowed after the last submission for every job to be parked (the names are held until then). */
const SETTLE_MS = 600_000;
/** With most jobs parked, no job reaching the DNS step for this long means the rest wait for something else. */
const STUCK_MS = 10_000;
/** Services a simulated cluster holds at most (node ports: 30000-32767). */
const MAX_PER_CLUSTER = 2500;

export interface ScaleBenchOptions {
  /** Provisionings (default 10,000). */
  n?: number;
  /** Simulated Kubernetes clusters the jobs go round-robin over (default 8). */
  clusters?: number;
  /** Submissions a second (default 200). */
  arrivalRate?: number;
  /**
   * Of the N, how many go as signed slash commands through the web processes (default N / 10, spread evenly
   * over the run); the rest are queued as the web side queues them (its queue adapter, the job data
   * `create --type loadbalancer` builds). All N through HTTP would measure the web processes' CPU on this
   * 2-core machine rather than the queue: see bench/README.md.
   */
  viaWeb?: number;
  /** JOB_QUEUE_SHARDS of the scaled-out run (default 8; the baseline runs with 1). */
  shards?: number;
  /** Worker and web processes of the scaled-out run (default 2 and 2). */
  workers?: number;
  webs?: number;
  /** Length of the all-waiting window, s (default 20: with worker heartbeats a parked job is not rechecked). */
  waitWindowS?: number;
  /** Length of the idle measurement, s (default 10). */
  idleS?: number;
  /** Skips the baseline (one worker, one web, one Redis). */
  noBaseline?: boolean;
  /** A directory that gets a copy of everything each svcbot process prints (`baseline-worker-1.log`, …). */
  outputDir?: string;
  signal?: AbortSignal;
  progress?: (line: string) => void;
}

interface Topology {
  label: string;
  redis: 'single' | 'cluster';
  workers: number;
  webs: number;
  shards: number;
  /** SIGKILL one worker when half of the names have become resolvable. */
  kill: boolean;
}

interface ProcessFigures {
  name: string;
  pid: number;
  /** RSS at the end of the idle phase, at the end of the all-waiting window, peak (VmHWM, or at the kill), MB. */
  idleMb: number;
  waitingMb: number;
  peakMb: number;
  /** CPU time over the run's wall time, % of one core. */
  cpuPct: number;
}

interface NodeFigures {
  /** `master :PORT` (or `redis :PORT`). */
  name: string;
  idleCommandsPerSecond: number;
  waitingCommandsPerSecond: number;
  /** Commands while the names resolve and the endpoint messages go out, per second. */
  resolvingCommandsPerSecond: number;
  waitingTopCommands: [command: string, perSecond: number][];
  /** Keys on the node at the end of the window (DBSIZE): where the jobs are. */
  keys: number;
  usedMemoryMb: number;
  cpuPct: number;
}

interface KillFigures {
  workerPid: number;
  /** When it was killed, s after the first name became resolvable. */
  atS: number;
  /** Jobs each worker had parked (and not finished since) at the kill: its ownership hash entries. */
  killedWorkerJobs: number;
  otherWorkerJobs: number;
  /** Time from the kill until no parked job was recorded as the dead worker's any more (adopted), ms. */
  adoptedAfterMs: number;
  /** Endpoint delay of the dead worker's jobs, of the other worker's, and the differences (dead minus other). */
  killedDelay: Distribution;
  otherDelay: Distribution;
  extraP50Ms: number;
  extraP99Ms: number;
}

interface ScaleRunResult {
  topology: Topology;
  settings: { n: number; clusters: number; arrivalRate: number; waitWindowS: number; setByBench: Record<string, string>; nodeOptions: string };
  submissions: {
    /** Slash commands through the web processes, and jobs queued directly. */
    viaWeb: number;
    direct: number;
    /** HTTP answers other than 200, and direct submissions that failed. */
    errors: number;
    firstError?: string;
    seconds: number;
    /** Slash command -> HTTP answer (the acknowledgement), ms. */
    ackMs: Distribution;
    /** Jobs that made a load balancer (a command svcbot answered with an error makes none). */
    accepted: number;
  };
  parked: { allParked: boolean; afterSubmitS: number; atDnsStep: number; queues: number };
  windowSeconds: number;
  processes: ProcessFigures[];
  redis: NodeFigures[];
  redisTotal: { idle: number; waiting: number; resolving: number };
  delay: Distribution & { missing: number; detection: Distribution; reaction: Distribution };
  endpointMessages: number;
  duplicateEndpointMessages: number;
  failedJobs: number;
  kill?: KillFigures;
  /** svcbot processes that exited on their own during the run (the killed worker aside), s after the first submission. */
  unexpectedExits: { name: string; code: number | null; signal: string | null; atS: number }[];
  slackCalls: Record<string, number>;
  log: [message: string, count: number][];
  loadAverage: [start: number, end: number];
  durationMs: number;
}

export interface ScaleBenchResult {
  bench: 'scale';
  environment: { node: string; cpus: number; platform: string };
  runs: ScaleRunResult[];
  durationMs: number;
}

const mb = (kb: number | undefined) => round2((kb ?? Number.NaN) / 1024);

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new Error('interrupted');
}

/** A Redis under test: how svcbot reaches it, and the bench's own connection to each master. */
interface RedisUnderTest {
  env: Record<string, string>;
  nodes: { name: string; pid: number | undefined; stats: RedisStats }[];
  stop(): Promise<void>;
}

async function startRedis(kind: Topology['redis']): Promise<RedisUnderTest> {
  if (kind === 'single') {
    const redis = await startPrivateRedis();
    try {
      const stats = await redis.stats();
      return {
        env: { REDIS_URL: redis.url },
        nodes: [{ name: `redis :${new URL(redis.url).port}`, pid: redis.pid, stats }],
        async stop() {
          await stats.close();
          await redis.stop();
        },
      };
    } catch (err) {
      await redis.stop();
      throw err;
    }
  }
  const cluster = await startRedisCluster();
  const nodes: RedisUnderTest['nodes'] = [];
  try {
    for (const master of await cluster.masters()) {
      nodes.push({ name: `master :${master.port}`, pid: master.pid, stats: await nodeStats(`redis://127.0.0.1:${master.port}`) });
    }
  } catch (err) {
    for (const node of nodes) await node.stats.close();
    await cluster.stop();
    throw err;
  }
  return {
    env: { REDIS_CLUSTER_NODES: cluster.seeds },
    nodes,
    async stop() {
      for (const node of nodes) await node.stats.close();
      await cluster.stop();
    },
  };
}

/** Every key matching `pattern` on one node (SCAN). */
async function scanKeys(stats: RedisStats, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = (await stats.send('SCAN', cursor, 'MATCH', pattern, 'COUNT', 1000)) as [string, string[]];
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

/** Each queue's ownership hash (job id -> id of the worker that parked it), on whichever master holds it. */
async function parkedHashes(redis: RedisUnderTest): Promise<{ stats: RedisStats; key: string }[]> {
  const out: { stats: RedisStats; key: string }[] = [];
  for (const node of redis.nodes) {
    for (const key of await scanKeys(node.stats, `${DEFAULT_PREFIX}:*:svcbot:parked`)) out.push({ stats: node.stats, key });
  }
  return out;
}

async function parkedCount(redis: RedisUnderTest): Promise<{ jobs: number; queues: number }> {
  const hashes = await parkedHashes(redis);
  let jobs = 0;
  for (const h of hashes) jobs += Number(await h.stats.send('HLEN', h.key));
  return { jobs, queues: hashes.length };
}

/** Parked job id -> id of the worker that parked it, over every queue. */
async function parkedOwners(redis: RedisUnderTest): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  for (const h of await parkedHashes(redis)) {
    const flat = (await h.stats.send('HGETALL', h.key)) as string[];
    for (let i = 0; i + 1 < flat.length; i += 2) owners.set(flat[i]!, flat[i + 1]!);
  }
  return owners;
}

/** Whether every worker (by process id) has registered a heartbeat in some queue (`…:svcbot:workers`). */
async function workersRegistered(redis: RedisUnderTest, pids: readonly number[]): Promise<boolean> {
  const seen = new Set<number>();
  for (const node of redis.nodes) {
    for (const key of await scanKeys(node.stats, `${DEFAULT_PREFIX}:*:svcbot:workers`)) {
      for (const id of (await node.stats.send('ZRANGE', key, 0, -1)) as string[]) seen.add(Number(id.split(':')[1]));
    }
  }
  return pids.every((pid) => seen.has(pid));
}

/** Jobs waiting to run or running, over every queue (BullMQ's wait and active lists, prioritized set). */
async function unparkedJobs(redis: RedisUnderTest): Promise<number> {
  let jobs = 0;
  // A queue's keys are `${prefix}:${queue}:…`, its ownership hash among them.
  for (const { stats, key } of await parkedHashes(redis)) {
    const queue = key.slice(0, -':svcbot:parked'.length);
    jobs += Number(await stats.send('LLEN', `${queue}:wait`)) + Number(await stats.send('LLEN', `${queue}:active`)) + Number(await stats.send('ZCARD', `${queue}:prioritized`));
  }
  return jobs;
}

/** Failed jobs over every queue (BullMQ keeps at most the newest 1,000 a queue). */
async function failedJobs(redis: RedisUnderTest): Promise<number> {
  let failed = 0;
  for (const node of redis.nodes) {
    for (const key of await scanKeys(node.stats, `${DEFAULT_PREFIX}:*:failed`)) failed += Number(await node.stats.send('ZCARD', key));
  }
  return failed;
}

async function webReady(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/readyz', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

/** POSTs a signed slash command; resolves with the HTTP status, or why the request failed (`ECONNRESET`, `timeout`). */
function postCommand(agent: http.Agent, port: number, body: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/slack/events', method: 'POST', agent, headers: signedHeaders(SIGNING_SECRET, body), timeout: 30_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(req.destroyed && timedOut ? 'timeout' : (err.code ?? err.message)));
    let timedOut = false;
    req.on('timeout', () => {
      timedOut = true;
      req.destroy();
    });
    req.end(body);
  });
}

interface Reading {
  at: number;
  nodes: (RedisReading & { at: number })[];
}

async function readAll(redis: RedisUnderTest): Promise<Reading> {
  const nodes = await Promise.all(redis.nodes.map(async (n) => ({ ...(await n.stats.read()), at: Date.now() })));
  return { at: Date.now(), nodes };
}

const rate = (a: Reading, b: Reading, i: number) => ((b.nodes[i]!.commands - a.nodes[i]!.commands) * 1000) / Math.max(1, b.at - a.at);

/** One run of one topology; everything it starts is stopped before it returns or throws. */
async function runTopology(t: Topology, o: Required<Omit<ScaleBenchOptions, 'signal' | 'progress' | 'noBaseline' | 'outputDir'>>, outputDir: string | undefined, signal: AbortSignal | undefined, progress: (line: string) => void): Promise<ScaleRunResult> {
  const started = Date.now();
  const loadAtStart = os.loadavg()[0] ?? Number.NaN;
  const { n, clusters, arrivalRate, waitWindowS, idleS } = o;
  const viaWeb = Math.min(n, o.viaWeb);
  /** Whether job `seq` goes through a web process: `viaWeb` of the N, evenly spread. */
  const throughWeb = (seq: number) => Math.floor(((seq + 1) * viaWeb) / n) > Math.floor((seq * viaWeb) / n);
  const submitMs = Math.ceil((n * 1000) / arrivalRate);
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const dir = await mkdtemp(join(os.tmpdir(), 'svcbot-scale-'));
    trackTmpDir(dir);
    cleanups.push(() => Promise.resolve(removeTmpDir(dir)));

    progress(`starting ${t.redis === 'cluster' ? 'a 3-master Redis Cluster' : 'redis-server'} and the sandbox (${clusters} clusters)`);
    const redis = await startRedis(t.redis);
    cleanups.push(() => redis.stop());
    // The names are held until every job is parked and the window has passed, then released at the arrival rate.
    const world: InflightWorld = await startInflightWorld({ clusters, dir, provisionDelayMs: 200, dnsDelayMs: 0, instanceWarmupMs: 100, holdDns: true });
    cleanups.push(() => world.close());

    const setByBench: Record<string, string> = {
      ELB_API_RATE: '1000',
      JOB_QUEUE_SHARDS: String(t.shards),
      // The stand-in enforces none of Slack's limits; bench/slack measures svcbot under them.
      SLACK_PACING: 'false',
    };
    // Load balancers made without a second person's approval: the run is about the jobs, not approvals.
    const env = await workerEnv(world, redis.env, dir, setByBench, { policy: { approval: { needs: { createLoadBalancer: false } } } });
    env.SLACK_SIGNING_SECRET = SIGNING_SECRET;
    const nodeOptions = await imageNodeOptions();
    if (nodeOptions !== '') env.NODE_OPTIONS = nodeOptions;

    const processes: { name: string; proc: WorkerProcess; port?: number }[] = [];
    const output = (name: string) => ({ outputFile: outputDir === undefined ? undefined : join(outputDir, `${t.redis === 'single' ? 'baseline' : 'cluster'}-${name.replace(' ', '-')}.log`) });
    for (let i = 0; i < t.workers; i++) processes.push({ name: `worker ${i + 1}`, proc: spawnSvcbot('worker', env, output(`worker ${i + 1}`)) });
    for (let i = 0; i < t.webs; i++) {
      const port = await freePort();
      processes.push({ name: `web ${i + 1}`, proc: spawnSvcbot('web', { ...env, PORT: String(port) }, output(`web ${i + 1}`)), port });
    }
    cleanups.push(async () => {
      await Promise.all(processes.map((p) => p.proc.stop(10_000)));
    });
    const workers = processes.filter((p) => p.port === undefined);
    const webs = processes.filter((p): p is typeof p & { port: number } => p.port !== undefined);
    let killed: WorkerProcess | undefined;
    // A process that exits on its own is recorded (and the run goes on while a worker and a web are left).
    const unexpectedExits: ScaleRunResult['unexpectedExits'] = [];
    let firstSubmissionAt = Date.now();
    const checkAlive = () => {
      checkAborted(signal);
      for (const p of processes) {
        const exit = p.proc.exit();
        if (!exit || p.proc === killed || unexpectedExits.some((e) => e.name === p.name)) continue;
        unexpectedExits.push({ name: p.name, code: exit.code, signal: exit.signal, atS: round2((Date.now() - firstSubmissionAt) / 1000) });
        const tally = [...p.proc.logTally()].map(([m, c]) => `${c} x ${m}`).join('\n');
        progress(`  svcbot ${p.name} EXITED (code ${String(exit.code)}, signal ${String(exit.signal)}):\n${p.proc.otherOutput()}${tally}`);
      }
      const running = (kind: string) => processes.some((p) => p.name.startsWith(kind) && p.proc.exit() === undefined);
      if (!running('worker') || !running('web')) throw new Error(`no svcbot ${running('worker') ? 'web' : 'worker'} process left running: ${JSON.stringify(unexpectedExits)}`);
    };
    const until = async (at: number) => {
      for (;;) {
        checkAlive();
        const left = at - Date.now();
        if (left <= 0) return;
        await sleep(Math.min(left, 500));
      }
    };
    progress(`starting ${t.workers} worker(s) and ${t.webs} web process(es): ${processes.map((p) => `${p.name} pid ${p.proc.pid}`).join(', ')}`);
    const readyBy = Date.now() + 60_000;
    while (!((await workersRegistered(redis, workers.map((w) => w.proc.pid))) && (await Promise.all(webs.map((w) => webReady(w.port)))).every(Boolean))) {
      checkAlive();
      if (Date.now() > readyBy) throw new Error(`svcbot processes not ready within 60 s:\n${processes.map((p) => `${p.name}: ${p.proc.otherOutput()}`).join('\n')}`);
      await sleep(250);
    }

    // CPU and RSS: marks at the phase boundaries; RSS of each process every second (its highest kept).
    const cpuStart = { at: Date.now(), procs: processes.map((p) => p.proc.cpuMs() ?? Number.NaN), nodes: redis.nodes.map((nd) => (nd.pid === undefined ? Number.NaN : (readCpuMs(nd.pid) ?? Number.NaN))) };
    const rssPeakKb = processes.map(() => 0);
    const sampler = setInterval(() => {
      processes.forEach((p, i) => {
        const rss = p.proc.memory()?.rssKb;
        if (rss !== undefined && rss > rssPeakKb[i]!) rssPeakKb[i] = rss;
      });
    }, 1000);
    cleanups.push(() => Promise.resolve(clearInterval(sampler)));
    const rssNow = () => processes.map((p) => p.proc.memory()?.rssKb ?? Number.NaN);

    progress(`idle (${idleS} s)`);
    await sleep(1000);
    const idleStart = await readAll(redis);
    await until(Date.now() + idleS * 1000);
    const idleEnd = await readAll(redis);
    const idleRss = rssNow();

    // Submissions at a steady rate: signed slash commands round-robin over the web processes, the rest queued directly.
    progress(`submitting ${n} jobs at ${arrivalRate}/s (${(submitMs / 1000).toFixed(0)} s), ${viaWeb} of them as slash commands through ${webs.length} web process(es)`);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
    cleanups.push(() => Promise.resolve(agent.destroy()));
    // The web side's queue adapter on the same Redis, as its configuration makes it.
    const config = loadConfig(env);
    const queue = createBullmqLbJobQueue({ redis: redisTargetOf(config), shards: config.jobs.queueShards, timeoutMs: 10_000 });
    cleanups.push(() => queue.close());
    let sentViaWeb = 0;
    const acks: number[] = [];
    let errors = 0;
    let firstError: string | undefined;
    const submitStart = Date.now();
    firstSubmissionAt = submitStart;
    let nextProgress = submitStart + 10_000;
    await submitAtRate(
      n,
      arrivalRate,
      (seq) => {
        const cluster = clusterNameOf(seq % clusters);
        if (!throughWeb(seq)) {
          return queue.enqueue(jobData(`scale-${seq}`, cluster)).then(
            () => undefined,
            (err: unknown) => {
              errors += 1;
              firstError ??= err instanceof Error ? err.message : String(err);
            },
          );
        }
        const web = webs[sentViaWeb++ % webs.length]!;
        const body = slashCommandBody({
          command: '/svc',
          text: `create scale-${seq} --type loadbalancer --port 80:http --selector app=alpine --cluster ${cluster}`,
          response_url: world.slack.responseUrl(String(seq)),
          channel_id: CHANNEL,
          user_id: USER,
        });
        const sentAt = Date.now();
        return postCommand(agent, web.port, body).then((status) => {
          acks.push(Date.now() - sentAt);
          if (status !== 200) {
            errors += 1;
            firstError ??= typeof status === 'number' ? `HTTP ${status} from ${web.name}` : `${status} from ${web.name}`;
          }
        });
      },
      (seq) => {
        checkAlive();
        if (Date.now() >= nextProgress) {
          nextProgress += 10_000;
          progress(`  ${seq} submitted, ${world.loadBalancers.size} load balancers, ${world.dns.firstQueryAt.size} jobs at the DNS step`);
        }
      },
    );
    const submitSeconds = (Date.now() - submitStart) / 1000;

    // Settling: until every job is parked (in an ownership hash) and has asked for its name — or, with
    // every load balancer's job parked, none has for a while (a command svcbot refused makes no job).
    let allParkedAt: number | undefined;
    let progressCount = -1;
    let progressSince = Date.now();
    let parked = { jobs: 0, queues: 0 };
    const settleBy = Date.now() + SETTLE_MS;
    while (allParkedAt === undefined && Date.now() < settleBy) {
      checkAlive();
      parked = await parkedCount(redis);
      const notParked = await unparkedJobs(redis);
      // Read after the Redis round trips, which take seconds on a starved machine: "nothing moved for a
      // while" must not be the time the reads themselves took.
      const made = world.loadBalancers.size;
      if (world.dns.firstQueryAt.size + made !== progressCount) {
        progressCount = world.dns.firstQueryAt.size + made;
        progressSince = Date.now();
      }
      const everyJob = parked.jobs >= n && world.dns.firstQueryAt.size >= n;
      // None waiting or running: every job svcbot accepted is parked (a job parks before its load balancer exists, too).
      const stuck = notParked === 0 && parked.jobs >= made && Date.now() - progressSince >= STUCK_MS;
      if (everyJob || stuck) allParkedAt = Date.now();
      else await sleep(500);
      if (Date.now() >= nextProgress) {
        nextProgress += 10_000;
        progress(`  ${world.loadBalancers.size} load balancers, ${parked.jobs} jobs parked, ${notParked} waiting or running, ${world.dns.firstQueryAt.size} at the DNS step`);
      }
    }
    const accepted = world.loadBalancers.size;
    progress(
      allParkedAt === undefined
        ? `NOT all jobs parked within ${SETTLE_MS / 1000} s of the last submission (${parked.jobs} parked, ${world.dns.firstQueryAt.size} at the DNS step)`
        : `all ${parked.jobs} jobs parked (${parked.queues} queue(s)) ${((allParkedAt - submitStart) / 1000).toFixed(1)} s after the first submission; ${world.dns.firstQueryAt.size} at the DNS step`,
    );

    // The all-waiting window.
    const windowStartAt = (allParkedAt ?? Date.now()) + 1000;
    const windowEndAt = windowStartAt + waitWindowS * 1000;
    await until(windowStartAt);
    const windowStart = await readAll(redis);
    progress(`all-waiting window: ${((windowEndAt - windowStartAt) / 1000).toFixed(0)} s`);
    await until(windowEndAt);
    const windowEnd = await readAll(redis);
    const waitingRss = rssNow();
    const dbsize = await Promise.all(redis.nodes.map(async (nd) => Number(await nd.stats.send('DBSIZE'))));

    // The names resolve; the kill at the midpoint; every endpoint message.
    const firstVisibleAt = Date.now();
    world.releaseDns(arrivalRate);
    const lastVisibleAt = Math.max(...[...world.loadBalancers.values()].map((lb) => lb.dnsVisibleAt));
    const killAt = (firstVisibleAt + lastVisibleAt) / 2;
    progress(`names resolve over ${((lastVisibleAt - firstVisibleAt) / 1000).toFixed(0)} s${t.kill ? `; worker 1 is SIGKILLed at the midpoint` : ''}`);
    const resolveBy = lastVisibleAt + 60_000;
    const expected = accepted;
    let kill: (Omit<KillFigures, 'killedDelay' | 'otherDelay' | 'extraP50Ms' | 'extraP99Ms'> & { killedIds: Set<string>; otherIds: Set<string> }) | undefined;
    nextProgress = Date.now() + 10_000;
    const victim = workers[0]!;
    let victimCpuMs = Number.NaN;
    while (world.slack.endpoints.size < expected && Date.now() < resolveBy) {
      checkAlive();
      if (t.kill && kill === undefined && Date.now() >= killAt) {
        // A job's entry (the worker that last parked it) stays until a run of it ends other than by
        // parking: the snapshot holds every job parked, or woken and not finished, and who parked it.
        const owners = await parkedOwners(redis);
        const pidOf = (workerId: string) => Number(workerId.split(':')[1]);
        killed = victim.proc;
        rssPeakKb[0] = Math.max(rssPeakKb[0]!, victim.proc.memory()?.hwmKb ?? 0);
        victimCpuMs = victim.proc.cpuMs() ?? Number.NaN;
        const killedAt = Date.now();
        // SIGKILL: no hand-back, its heartbeat just stops (SIGTERM would hand its jobs back).
        await victim.proc.stop(5000, 'SIGKILL');
        const killedIds = new Set<string>();
        const otherIds = new Set<string>();
        for (const [job, owner] of owners) (pidOf(owner) === victim.proc.pid ? killedIds : otherIds).add(job);
        progress(`  SIGKILLed worker 1 (pid ${victim.proc.pid}) with ${killedIds.size} parked jobs; the others hold ${otherIds.size}`);
        let adoptedAt = Number.NaN;
        for (;;) {
          const now = await parkedOwners(redis);
          if (![...now.values()].some((owner) => pidOf(owner) === victim.proc.pid)) {
            adoptedAt = Date.now();
            break;
          }
          if (Date.now() - killedAt > 60_000) break;
          await sleep(250);
        }
        progress(`  its jobs adopted ${((adoptedAt - killedAt) / 1000).toFixed(1)} s after the kill`);
        kill = {
          workerPid: victim.proc.pid,
          atS: round2((killedAt - firstVisibleAt) / 1000),
          killedWorkerJobs: killedIds.size,
          otherWorkerJobs: otherIds.size,
          adoptedAfterMs: adoptedAt - killedAt,
          killedIds,
          otherIds,
        };
      }
      await world.slack.nextEndpoint(250);
      if (Date.now() >= nextProgress) {
        nextProgress += 10_000;
        progress(`  ${world.slack.endpoints.size} endpoint messages`);
      }
    }
    const end = await readAll(redis);
    clearInterval(sampler);
    const wall = end.at - cpuStart.at;
    const procCpu = processes.map((p, i) => round2((((p.proc === killed ? victimCpuMs : (p.proc.cpuMs() ?? Number.NaN)) - cpuStart.procs[i]!) * 100) / wall));
    const nodeCpu = redis.nodes.map((nd, i) => round2((((nd.pid === undefined ? Number.NaN : (readCpuMs(nd.pid) ?? Number.NaN)) - cpuStart.nodes[i]!) * 100) / wall));
    const failed = await failedJobs(redis);

    // Delays against the sandbox's own event time, by job.
    const delayOf = new Map<string, number>();
    const detection: number[] = [];
    const reaction: number[] = [];
    for (const [host, receivedAt] of world.slack.endpoints) {
      const lb = world.loadBalancers.get(host.toLowerCase());
      if (!lb) continue;
      delayOf.set(lb.service, receivedAt - lb.dnsVisibleAt);
      const resolvedAt = world.dns.firstResolvedAt.get(host.toLowerCase());
      if (resolvedAt !== undefined) {
        detection.push(resolvedAt - lb.dnsVisibleAt);
        reaction.push(receivedAt - resolvedAt);
      }
    }
    const delay = distribution([...delayOf.values()]);
    const serviceOfJob = (jobId: string) => `${NAMESPACE}/${jobId.split('.').pop() ?? ''}`;
    const delaysOf = (ids: Set<string>) => [...ids].map((id) => delayOf.get(serviceOfJob(id))).filter((d): d is number => d !== undefined);
    let killFigures: KillFigures | undefined;
    if (kill) {
      const { killedIds, otherIds, ...rest } = kill;
      const killedDelay = distribution(delaysOf(killedIds));
      const otherDelay = distribution(delaysOf(otherIds));
      killFigures = { ...rest, killedDelay, otherDelay, extraP50Ms: round2(killedDelay.p50 - otherDelay.p50), extraP99Ms: round2(killedDelay.p99 - otherDelay.p99) };
    }

    const windowSeconds = (windowEnd.at - windowStart.at) / 1000;
    const nodes: NodeFigures[] = redis.nodes.map((nd, i) => ({
      name: nd.name,
      idleCommandsPerSecond: round2(rate(idleStart, idleEnd, i)),
      waitingCommandsPerSecond: round2(rate(windowStart, windowEnd, i)),
      resolvingCommandsPerSecond: round2(rate(windowEnd, end, i)),
      waitingTopCommands: topCommands(windowStart.nodes[i]!, windowEnd.nodes[i]!, 5),
      keys: dbsize[i]!,
      usedMemoryMb: round2(windowEnd.nodes[i]!.usedMemory / 2 ** 20),
      cpuPct: nodeCpu[i]!,
    }));
    const sum = (f: (x: NodeFigures) => number) => round2(nodes.reduce((a, x) => a + f(x), 0));
    const log = new Map<string, number>();
    for (const p of processes) for (const [m, c] of p.proc.logTally()) log.set(`${p.name}: ${m}`, (log.get(`${p.name}: ${m}`) ?? 0) + c);

    return {
      topology: t,
      settings: { n, clusters, arrivalRate, waitWindowS, setByBench, nodeOptions },
      submissions: { viaWeb, direct: n - viaWeb, errors, ...(firstError !== undefined ? { firstError } : {}), seconds: round2(submitSeconds), ackMs: distribution(acks), accepted },
      parked: { allParked: allParkedAt !== undefined, afterSubmitS: round2(((allParkedAt ?? Number.NaN) - submitStart) / 1000), atDnsStep: world.dns.firstQueryAt.size, queues: parked.queues },
      windowSeconds: round2(windowSeconds),
      processes: processes.map((p, i) => ({
        name: p.name,
        pid: p.proc.pid,
        idleMb: mb(idleRss[i]),
        waitingMb: mb(waitingRss[i]),
        peakMb: mb(Math.max(rssPeakKb[i]!, p.proc === killed ? 0 : (p.proc.memory()?.hwmKb ?? 0))),
        cpuPct: procCpu[i]!,
      })),
      redis: nodes,
      redisTotal: { idle: sum((x) => x.idleCommandsPerSecond), waiting: sum((x) => x.waitingCommandsPerSecond), resolving: sum((x) => x.resolvingCommandsPerSecond) },
      delay: { ...delay, missing: expected - delay.count, detection: distribution(detection), reaction: distribution(reaction) },
      endpointMessages: world.slack.endpoints.size,
      duplicateEndpointMessages: world.slack.duplicateEndpoints,
      failedJobs: failed,
      ...(killFigures ? { kill: killFigures } : {}),
      unexpectedExits,
      slackCalls: { ...world.slack.calls },
      log: [...log.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10),
      loadAverage: [round2(loadAtStart), round2(os.loadavg()[0] ?? Number.NaN)],
      durationMs: Date.now() - started,
    };
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch {
        // Stopping what is left matters more than why one part failed to stop.
      }
    }
  }
}

/** Runs the baseline (one worker, one web, one Redis), then the scaled-out topology. */
export async function runScaleBench(options: ScaleBenchOptions = {}): Promise<ScaleBenchResult> {
  const started = Date.now();
  const o = {
    n: options.n ?? 10_000,
    clusters: options.clusters ?? 8,
    arrivalRate: options.arrivalRate ?? 200,
    viaWeb: options.viaWeb ?? Math.round((options.n ?? 10_000) / 10),
    shards: options.shards ?? 8,
    workers: options.workers ?? 2,
    webs: options.webs ?? 2,
    waitWindowS: options.waitWindowS ?? 20,
    idleS: options.idleS ?? 10,
  };
  if (Math.ceil(o.n / o.clusters) > MAX_PER_CLUSTER) throw new Error(`${o.n} Services over ${o.clusters} clusters is more than ${MAX_PER_CLUSTER} a cluster (node ports): use more clusters`);
  if (o.workers < 2) throw new Error('the scaled-out run needs at least 2 workers (one is killed)');
  const progress = options.progress ?? (() => undefined);
  const topologies: Topology[] = [
    ...(options.noBaseline ? [] : [{ label: 'baseline: 1 worker, 1 web, one Redis', redis: 'single' as const, workers: 1, webs: 1, shards: 1, kill: false }]),
    { label: `${o.workers} workers, ${o.webs} webs, 3-master Redis Cluster`, redis: 'cluster', workers: o.workers, webs: o.webs, shards: o.shards, kill: true },
  ];
  const runs: ScaleRunResult[] = [];
  for (const t of topologies) {
    checkAborted(options.signal);
    runs.push(await runTopology(t, o, options.outputDir, options.signal, (line) => progress(`${t.redis === 'single' ? 'baseline' : 'cluster'}: ${line}`)));
  }
  return { bench: 'scale', environment: { node: process.version, cpus: os.availableParallelism(), platform: `${os.platform()} ${os.arch()}` }, runs, durationMs: Date.now() - started };
}

/** The human-readable report: each run, then the scaled-out run against the baseline. */
export function formatScaleReport(r: ScaleBenchResult): string {
  const f = (v: number, digits = 0) => (Number.isFinite(v) ? v.toFixed(digits) : '-');
  const x = (a: number, b: number) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}x` : '-');
  const d = (v: Distribution) => `${f(v.p50)} / ${f(v.p99)} / ${f(v.max)}`;
  const base = r.runs.find((run) => run.topology.redis === 'single');
  const lines: string[] = [`scale: svcbot workers and webs on one Redis and on a Redis Cluster (node ${r.environment.node}, ${r.environment.cpus} CPUs)`];
  for (const run of r.runs) {
    const s = run.settings;
    lines.push(
      '',
      `${run.topology.label} (JOB_QUEUE_SHARDS ${run.topology.shards}; load average ${run.loadAverage.join(' -> ')}; ${f(run.durationMs / 1000)} s)`,
      `  ${s.n} provisionings over ${s.clusters} clusters at ${s.arrivalRate}/s, ${run.submissions.viaWeb} as slash commands through the webs (ack p50 / p99 / max ${d(run.submissions.ackMs)} ms), ${run.submissions.direct} queued directly: ` +
        `sent in ${f(run.submissions.seconds, 1)} s, ${run.submissions.errors} errors${run.submissions.firstError ? ` (the first: ${run.submissions.firstError})` : ''}, ${run.submissions.accepted} load balancers made`,
      `  ${run.parked.allParked ? `all parked ${f(run.parked.afterSubmitS, 1)} s after the first submission` : 'NOT all parked before the first name resolved'} (${run.parked.queues} queue(s), ${run.parked.atDnsStep} at the DNS step); window ${f(run.windowSeconds, 1)} s`,
      `  process      RSS MB idle   all waiting   peak   CPU % of a core (whole run)`,
      ...run.processes.map((p) => `  ${p.name.padEnd(10)} ${f(p.idleMb, 1).padStart(11)} ${f(p.waitingMb, 1).padStart(13)} ${f(p.peakMb, 1).padStart(6)} ${f(p.cpuPct).padStart(6)}`),
      `  Redis        commands/s idle   all waiting   resolving   keys     MB   CPU %   most frequent while waiting, /s`,
      ...run.redis.map(
        (nd) =>
          `  ${nd.name.padEnd(14)} ${f(nd.idleCommandsPerSecond, 1).padStart(12)} ${f(nd.waitingCommandsPerSecond, 1).padStart(13)} ${f(nd.resolvingCommandsPerSecond).padStart(11)} ${String(nd.keys).padStart(6)} ${f(nd.usedMemoryMb, 1).padStart(6)} ${f(nd.cpuPct).padStart(7)}   ${nd.waitingTopCommands.map(([c, v]) => `${c} ${f(v, 1)}`).join(', ') || '-'}`,
      ),
      `  ${'total'.padEnd(14)} ${f(run.redisTotal.idle, 1).padStart(12)} ${f(run.redisTotal.waiting, 1).padStart(13)} ${f(run.redisTotal.resolving).padStart(11)}`,
      `  endpoint delay (name resolvable -> message at Slack) p50 / p99 / max: ${d(run.delay)} ms (${run.delay.count} messages, ${run.delay.missing} missing, ${run.duplicateEndpointMessages} duplicates, ${run.failedJobs} failed jobs)`,
      `    detection ${d(run.delay.detection)} ms, reaction ${d(run.delay.reaction)} ms`,
    );
    if (run.kill) {
      const k = run.kill;
      lines.push(
        `  kill: worker pid ${k.workerPid} SIGKILLed ${f(k.atS, 1)} s after the first name resolved, holding ${k.killedWorkerJobs} parked jobs (the other ${k.otherWorkerJobs}); adopted ${f(k.adoptedAfterMs)} ms after`,
        `    delay p50 / p99 / max of the jobs each had parked (not finished at the kill), its: ${d(k.killedDelay)} ms (${k.killedDelay.count}); the other worker's: ${d(k.otherDelay)} ms (${k.otherDelay.count}); extra: p50 ${f(k.extraP50Ms)} ms, p99 ${f(k.extraP99Ms)} ms`,
      );
    }
    for (const e of run.unexpectedExits) lines.push(`  EXITED on its own: ${e.name} (code ${String(e.code)}, signal ${String(e.signal)}) ${f(e.atS)} s after the first submission`);
    lines.push(`  Slack calls: ${Object.entries(run.slackCalls).map(([m, c]) => `${m} ${c}`).join(', ') || 'none'}`, `  log (warn and above): ${run.log.length === 0 ? 'nothing' : ''}`, ...run.log.map(([m, c]) => `    ${c} x ${m}`));
  }
  const scaled = r.runs.find((run) => run.topology.redis === 'cluster');
  if (base && scaled) {
    const worst = (run: ScaleRunResult, prefix: string) => Math.max(...run.processes.filter((p) => p.name.startsWith(prefix)).map((p) => p.peakMb));
    const busiestMaster = (run: ScaleRunResult, key: 'idleCommandsPerSecond' | 'waitingCommandsPerSecond') => Math.max(...run.redis.map((nd) => nd[key]));
    lines.push(
      '',
      'scaled out vs baseline (same run)',
      `  peak RSS, largest worker: ${f(worst(scaled, 'worker'), 1)} vs ${f(worst(base, 'worker'), 1)} MB (${x(worst(scaled, 'worker'), worst(base, 'worker'))}); largest web: ${f(worst(scaled, 'web'), 1)} vs ${f(worst(base, 'web'), 1)} MB (${x(worst(scaled, 'web'), worst(base, 'web'))})`,
      `  Redis commands/s all waiting, total: ${f(scaled.redisTotal.waiting, 1)} vs ${f(base.redisTotal.waiting, 1)} (${x(scaled.redisTotal.waiting, base.redisTotal.waiting)}); busiest master ${f(busiestMaster(scaled, 'waitingCommandsPerSecond'), 1)} (${x(busiestMaster(scaled, 'waitingCommandsPerSecond'), base.redisTotal.waiting)})`,
      `  Redis commands/s idle, total: ${f(scaled.redisTotal.idle, 1)} vs ${f(base.redisTotal.idle, 1)} (${x(scaled.redisTotal.idle, base.redisTotal.idle)})`,
      `  endpoint delay p50 / p99 / max: ${d(scaled.delay)} vs ${d(base.delay)} ms (p99 ${x(scaled.delay.p99, base.delay.p99)})`,
    );
  }
  lines.push(`(${f(r.durationMs / 1000, 1)} s)`);
  return lines.join('\n');
}

/**
 * `bench/inflight`: N LoadBalancer provisionings in flight at once in ONE `svcbot worker`, against the
 * sandbox. The issue's figures: the worker's RSS (target under 300 MB), Redis commands a second while
 * every job is waiting, and the delay from the sandbox making a load balancer's DNS name resolvable to
 * the endpoint message reaching Slack (target p99 under 1 s) — each next to a baseline of the same run:
 * the idle worker's RSS and Redis rate, and the sandbox's own event time (`dnsVisibleAt`).
 *
 * What runs: the real worker as a child process (`node dist/src/cli.js worker`, configured by
 * environment variables), a private redis-server, and in the bench process the sandbox (N / perCluster
 * simulated clusters sharing one ELB API and DNS server; see inflight-world.ts) and a Slack stand-in.
 *
 * Timeline: the idle worker is measured first; then N jobs are submitted at a steady rate, as the web
 * side submits them (the queue adapter, job data as `create --type loadbalancer` builds it); each job
 * creates its Service, follows the load balancer and parks waiting for DNS. The sandbox's DNS delay is
 * set so that no name resolves before every job is parked and a window of `waitWindowS` has passed: that
 * window is the "all waiting" measurement. Then the names resolve (at the rate the load balancers were
 * created) and the run ends when every endpoint message has arrived.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { createBullmqLbJobQueue, DEFAULT_QUEUE_NAME } from '../src/adapters/queue/bullmq-queue.js';
import { cancelChannel, DEFAULT_PREFIX } from '../src/adapters/queue/keys.js';
import { loadConfig } from '../src/config/index.js';
import { lbJobId, type LbJobData } from '../src/domain/lb-jobs.js';
import { serviceManifest } from '../src/domain/manifest.js';
import { clusterNameOf, startInflightWorld, type InflightWorld } from './inflight-world.js';
import { readCpuMs, removeTmpDir, trackTmpDir } from './proc.js';
import { startPrivateRedis, type RedisReading } from './redis.js';
import { submitAtRate } from './pace.js';
import { percentile, round2 } from './stats.js';
import { spawnWorker, type WorkerProcess } from './worker-process.js';

const TARGET_RSS_MB = 300;
const TARGET_P99_MS = 1000;
/** Services one simulated cluster holds at most: 2,768 node ports (30000-32767), with room to spare. */
const DEFAULT_PER_CLUSTER = 2500;
const NAMESPACE = 'default';
/** The channel and user of the jobs `jobData` builds (bench/scale's slash commands use them too). */
export const CHANNEL = 'C0INFLIGHT';
export const USER = 'U0INFLIGHT';
/** Time allowed after the last submission for the last job to be parked, before the window may start. */
const SETTLE_MS = 15_000;
/** With every job parked, no job reaching the DNS step for this long means the rest wait for something else. */
const STUCK_MS = 5000;
/** Time the idle worker is given after it is ready, before the idle baseline starts. */
const IDLE_SETTLE_MS = 3000;

export interface InflightBenchOptions {
  /** Jobs in flight (default 10,000). */
  n?: number;
  /** Submissions a second (default 200). */
  arrivalRate?: number;
  /** Services per simulated cluster at most (default 2,500). */
  perCluster?: number;
  /** DNS_PROBE_RATE for the worker; undefined leaves the worker's default. */
  dnsProbeRate?: number;
  /** ELB_API_RATE for the worker (default 1000: the sandbox does not throttle, the run is not about the ELB API). */
  elbApiRate?: number;
  /**
   * Length of the "all waiting" window, s (default 120: it held one recheck of every job at the old 2-min
   * default JOB_RECHECK_INTERVAL; with heartbeats and ownership a parked job is not rechecked at all).
   */
  waitWindowS?: number;
  /** Length of the idle baseline, s (default 10). */
  idleS?: number;
  /** Sandbox: Service type LoadBalancer -> ELB and hostname (default 200 ms). */
  provisionDelayMs?: number;
  /** Sandbox: registered instance -> InService (default 100 ms). */
  instanceWarmupMs?: number;
  /** Node.js options for the worker's `node`, to diagnose it (e.g. `--trace-gc`, `--heapsnapshot-signal=SIGUSR2`). */
  workerNodeArgs?: readonly string[];
  /** A file that gets a copy of everything the worker prints. */
  workerOutput?: string;
  /** Stops the run early (Ctrl-C); everything started is still stopped. */
  signal?: AbortSignal;
  progress?: (line: string) => void;
}

export interface Distribution {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

interface PhaseCpu {
  phase: string;
  seconds: number;
  /** CPU time over wall time, % of one core. */
  workerPct: number;
  redisPct: number;
  /** The bench process: sandbox, DNS server, Slack stand-in, submissions. */
  benchPct: number;
  /** The bench process's event-loop delay: when high, the sandbox answered late (not svcbot's doing). */
  benchLoopDelayP99Ms: number;
  benchLoopDelayMaxMs: number;
  /** The worker's highest RSS sampled in the phase (one sample a second), MB. */
  workerRssMaxMb: number;
}

export interface InflightBenchResult {
  bench: 'inflight';
  environment: { node: string; cpus: number; platform: string; loadAverage: [start: number, end: number] };
  settings: {
    n: number;
    arrivalRate: number;
    clusters: number;
    perCluster: number;
    provisionDelayMs: number;
    instanceWarmupMs: number;
    dnsDelayMs: number;
    waitWindowS: number;
    /** The job settings the worker ran with (its effective configuration), and which the bench set. */
    worker: {
      dnsProbeRate: number;
      elbApiRate: number;
      concurrency: number;
      recheckIntervalS: number;
      timeoutS: number;
      setByBench: Record<string, string>;
      /** NODE_OPTIONS as the container image sets it (the Dockerfile), which the worker ran with. */
      nodeOptions: string;
    };
  };
  jobs: {
    submitted: number;
    submitErrors: number;
    /** The first submission error's message, if any. */
    firstSubmitError?: string;
    submitSeconds: number;
    /** Failed jobs (BullMQ keeps at most the newest 1,000). */
    failed: number;
    endpointMessages: number;
    duplicateEndpointMessages: number;
    /**
     * Jobs parked before the DNS step when the window started (all jobs parked) — and, of the first 1,000
     * of them, what each said it was waiting for (its saved `waitingFor`).
     */
    notAtDnsStep: { count: number; waitingFor: [reason: string, jobs: number][] };
    /** Submission -> Service created in the cluster (the ELB's creation time minus the provisioning delay), ms. */
    submitToServiceMs: Distribution;
  };
  rss: {
    idleMb: number;
    /** At the end of the all-waiting window. */
    waitingMb: number;
    /** VmHWM at the end of the run. */
    peakMb: number;
    endMb: number;
    waitingRatio: number;
    peakRatio: number;
    targetMet: boolean;
  };
  redis: {
    idleCommandsPerSecond: number;
    /** Whether every job was waiting (parked for DNS) for a window of at least 5 s. */
    windowMeasured: boolean;
    windowSeconds: number;
    waitingCommandsPerSecond: number;
    /** Median and highest one-second rate inside the window (rechecks come in waves: see bench/README.md). */
    waitingMedianCommandsPerSecond: number;
    waitingMaxCommandsPerSecond: number;
    waitingRatio: number;
    perWaitingJobPerSecond: number;
    /** The most frequent commands (INFO commandstats, scripts' own calls included), per second: idle and all waiting. */
    idleTopCommands: [command: string, perSecond: number][];
    waitingTopCommands: [command: string, perSecond: number][];
    /** Commands from the first submission to the last endpoint message, per job. */
    commandsPerJob: number;
    idleUsedMemoryMb: number;
    waitingUsedMemoryMb: number;
    /** DNS queries a second the sandbox answered during the window. */
    dnsQueriesPerSecond: number;
  };
  delay: Distribution & {
    /** Jobs whose endpoint message never arrived. */
    missing: number;
    /** Resolvable -> first answer with addresses (the worker's probing cadence). */
    detection: Distribution;
    /** First answer with addresses -> endpoint message at Slack (wake, run, post). */
    reaction: Distribution;
    targetMet: boolean;
  };
  cpu: PhaseCpu[];
  slackCalls: Record<string, number>;
  /** What the worker logged (warn and above), by level and message, most frequent first. */
  workerLog: [message: string, count: number][];
  durationMs: number;
}

export function distribution(values: readonly number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    p50: round2(percentile(sorted, 0.5)),
    p90: round2(percentile(sorted, 0.9)),
    p99: round2(percentile(sorted, 0.99)),
    max: round2(sorted[sorted.length - 1] ?? Number.NaN),
    mean: round2(sorted.length === 0 ? Number.NaN : sum / sorted.length),
  };
}

const mb = (kb: number | undefined) => round2((kb ?? Number.NaN) / 1024);

interface Sample {
  at: number;
  rssKb: number;
  commands: number;
  dnsQueries: number;
}

interface CpuMark {
  phase: string;
  at: number;
  worker: number;
  redis: number;
  benchUs: number;
}

/** The job the web side queues for `/svc create NAME --type loadbalancer --port 80:http --selector app=alpine`. */
export function jobData(name: string, cluster: string): LbJobData {
  return {
    version: 1,
    operation: 'provision',
    cluster,
    namespace: NAMESPACE,
    name,
    manifest: serviceManifest({
      name,
      namespace: NAMESPACE,
      selector: { app: 'alpine' },
      ports: [{ port: 80, targetPort: 'http', protocol: 'TCP' }],
      type: 'LoadBalancer',
    }),
    requester: { userId: USER, channelId: CHANNEL },
    requestedAt: Date.now(),
  };
}

/** Commands by calls a second between two readings, most frequent first (the bench's own INFO left out). */
export function topCommands(a: RedisReading & { at: number }, b: RedisReading & { at: number }, limit = 8): [string, number][] {
  const seconds = (b.at - a.at) / 1000;
  if (seconds <= 0) return [];
  return [...b.calls]
    .filter(([command]) => command !== 'info')
    .map(([command, calls]): [string, number] => [command, round2((calls - (a.calls.get(command) ?? 0)) / seconds)])
    .filter(([, perSecond]) => perSecond > 0)
    .sort((x, y) => y[1] - x[1])
    .slice(0, limit);
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new Error('interrupted');
}

/** Sleeps until `until` (epoch ms) in steps of at most a second, failing fast when the worker dies or the run is interrupted. */
async function waitUntil(until: number, worker: WorkerProcess, signal: AbortSignal | undefined): Promise<void> {
  for (;;) {
    checkAborted(signal);
    checkWorker(worker);
    const left = until - Date.now();
    if (left <= 0) return;
    await sleep(Math.min(left, 1000));
  }
}

function checkWorker(worker: WorkerProcess): void {
  const exit = worker.exit();
  if (exit) {
    throw new Error(`svcbot worker exited (code ${String(exit.code)}, signal ${String(exit.signal)}):\n${worker.otherOutput()}`);
  }
}

/** Runs the benchmark; everything it starts is stopped (and its files removed) before it returns or throws. */
export async function runInflightBench(options: InflightBenchOptions = {}): Promise<InflightBenchResult> {
  const n = options.n ?? 10_000;
  const arrivalRate = options.arrivalRate ?? 200;
  const perCluster = options.perCluster ?? DEFAULT_PER_CLUSTER;
  const elbApiRate = options.elbApiRate ?? 1000;
  const waitWindowS = options.waitWindowS ?? 120;
  const idleS = options.idleS ?? 10;
  const provisionDelayMs = options.provisionDelayMs ?? 200;
  const instanceWarmupMs = options.instanceWarmupMs ?? 100;
  const { signal } = options;
  const progress = options.progress ?? (() => undefined);
  const clusters = Math.ceil(n / perCluster);
  const submitMs = Math.ceil((n * 1000) / arrivalRate);
  // The first name resolves only after every job is parked (submission + settling) and the window has passed.
  const dnsDelayMs = submitMs + SETTLE_MS + waitWindowS * 1000;
  const started = Date.now();
  const loadAtStart = os.loadavg()[0] ?? Number.NaN;

  const cleanups: (() => Promise<void>)[] = [];
  try {
    const dir = await mkdtemp(join(os.tmpdir(), 'svcbot-inflight-'));
    trackTmpDir(dir);
    cleanups.push(() => {
      removeTmpDir(dir);
      return Promise.resolve();
    });

    progress(`starting redis-server and the sandbox (${clusters} cluster${clusters === 1 ? '' : 's'})`);
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.stop());
    const stats = await redis.stats();
    cleanups.push(() => stats.close());
    const world = await startInflightWorld({ clusters, dir, provisionDelayMs, dnsDelayMs, instanceWarmupMs });
    cleanups.push(() => world.close());

    const setByBench: Record<string, string> = {
      ELB_API_RATE: String(elbApiRate),
      // The stand-in enforces none of Slack's limits, and counts an endpoint message only when it is not
      // in a digest (SLACK_PACING's digests list many): bench/slack measures svcbot under the limits.
      SLACK_PACING: 'false',
      ...(options.dnsProbeRate !== undefined ? { DNS_PROBE_RATE: String(options.dnsProbeRate) } : {}),
    };
    const env = await workerEnv(world, { REDIS_URL: redis.url }, dir, setByBench);
    // The worker as the image runs it: with the Dockerfile's NODE_OPTIONS (its heap budget).
    const nodeOptions = await imageNodeOptions();
    if (nodeOptions !== '') env.NODE_OPTIONS = nodeOptions;
    // What the worker will run with: its own configuration code, on the same environment.
    let effective = loadConfig(env).jobs;
    const expectedMs = dnsDelayMs + 2 * submitMs + effective.recheckMs + 60_000;
    if (expectedMs > effective.timeoutMs * 0.8) {
      // Jobs must not time out during the run: that is not what it measures.
      setByBench.JOB_TIMEOUT = `${Math.ceil(expectedMs / 60_000) + 5}m`;
      env.JOB_TIMEOUT = setByBench.JOB_TIMEOUT;
      effective = loadConfig(env).jobs;
    }

    progress(`starting svcbot worker (${Object.entries(setByBench).map(([k, v]) => `${k}=${v}`).join(' ')})`);
    const worker = spawnWorker(env, { nodeArgs: options.workerNodeArgs ?? [], outputFile: options.workerOutput });
    progress(`svcbot worker pid ${worker.pid}${options.workerNodeArgs?.length ? ` (node ${options.workerNodeArgs.join(' ')})` : ''}`);
    cleanups.push(async () => {
      await worker.stop(15_000);
    });
    const channel = cancelChannel(DEFAULT_PREFIX, DEFAULT_QUEUE_NAME);
    const readyBy = Date.now() + 30_000;
    while ((await stats.subscribers(channel)) < 1) {
      checkAborted(signal);
      checkWorker(worker);
      if (Date.now() > readyBy) throw new Error(`svcbot worker was not ready within 30 s:\n${worker.otherOutput()}`);
      await sleep(100);
    }
    await waitUntil(Date.now() + IDLE_SETTLE_MS, worker, signal);

    // Measurements: a sample a second, CPU marks at phase boundaries, the bench's event-loop delay per phase.
    const samples: Sample[] = [];
    const cpuMarks: CpuMark[] = [];
    const loopDelays: { p99: number; max: number }[] = [];
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const mark = (phase: string) => {
      cpuMarks.push({
        phase,
        at: Date.now(),
        worker: worker.cpuMs() ?? Number.NaN,
        redis: redis.pid === undefined ? Number.NaN : (readCpuMs(redis.pid) ?? Number.NaN),
        benchUs: ((usage) => usage.user + usage.system)(process.cpuUsage()),
      });
      if (cpuMarks.length > 1) loopDelays.push({ p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 });
      loop.reset();
    };
    const reading = async (): Promise<Sample & RedisReading> => {
      const r = await stats.read();
      return { at: Date.now(), rssKb: worker.memory()?.rssKb ?? Number.NaN, dnsQueries: world.dns.queries, ...r };
    };
    let sampling = false;
    const sampler = setInterval(() => {
      if (sampling) return;
      sampling = true;
      reading()
        .then((s) => samples.push(s))
        .catch(() => undefined)
        .finally(() => (sampling = false));
    }, 1000);
    cleanups.push(() => {
      clearInterval(sampler);
      loop.disable();
      return Promise.resolve();
    });

    // Idle baseline.
    progress(`idle baseline (${idleS} s)`);
    mark('idle');
    const idleStart = await reading();
    await waitUntil(Date.now() + idleS * 1000, worker, signal);
    const idleEnd = await reading();
    const idleCommandsPerSecond = ((idleEnd.commands - idleStart.commands) * 1000) / (idleEnd.at - idleStart.at);
    const idleRssKb = idleEnd.rssKb;

    // Submissions at a steady rate, through the web side's queue adapter.
    progress(`submitting ${n} jobs at ${arrivalRate}/s (${(submitMs / 1000).toFixed(0)} s); the first name resolves ${(dnsDelayMs / 1000).toFixed(0)} s after its load balancer is created`);
    mark('submitting');
    const queue = createBullmqLbJobQueue({ redis: { url: redis.url }, timeoutMs: 10_000 });
    const submittedAt = new Array<number>(n).fill(Number.NaN);
    let submitErrors = 0;
    let firstSubmitError: string | undefined;
    const submitStart = Date.now();
    let nextProgress = submitStart + 10_000;
    try {
      await submitAtRate(
        n,
        arrivalRate,
        (seq) => {
          const data = jobData(`inflight-${seq}`, clusterNameOf(seq % clusters));
          submittedAt[seq] = data.requestedAt;
          return queue.enqueue(data).then(
            () => undefined,
            (err: unknown) => {
              submitErrors += 1;
              firstSubmitError ??= err instanceof Error ? err.message : String(err);
            },
          );
        },
        (seq) => {
          checkAborted(signal);
          checkWorker(worker);
          if (Date.now() >= nextProgress) {
            nextProgress += 10_000;
            progress(`  ${seq} submitted, ${world.loadBalancers.size} load balancers, ${world.dns.firstQueryAt.size} jobs at the DNS step`);
          }
        },
      );
    } finally {
      await queue.close();
    }
    const submitSeconds = (Date.now() - submitStart) / 1000;

    // Until every job is parked: all N delayed in BullMQ, none waiting or running, and either every job
    // has reached the DNS step (asked the DNS server once) or none has got there for a while — a job
    // parked at an earlier step whose wake-up never comes waits for its recheck (JOB_RECHECK_INTERVAL).
    mark('settling');
    const firstVisibleAt = () => Math.min(...[...world.loadBalancers.values()].map((lb) => lb.dnsVisibleAt));
    const settleBy = submitStart + dnsDelayMs - 2000;
    let allParkedAt: number | undefined;
    let atDnsStep = -1;
    let atDnsStepSince = Date.now();
    let lastCounts = await stats.jobCounts(DEFAULT_PREFIX, DEFAULT_QUEUE_NAME);
    while (allParkedAt === undefined && Date.now() < Math.min(settleBy, firstVisibleAt() - 2000)) {
      checkAborted(signal);
      checkWorker(worker);
      if (world.dns.firstQueryAt.size !== atDnsStep) {
        atDnsStep = world.dns.firstQueryAt.size;
        atDnsStepSince = Date.now();
      }
      lastCounts = await stats.jobCounts(DEFAULT_PREFIX, DEFAULT_QUEUE_NAME);
      const parked = lastCounts.delayed >= n && lastCounts.wait + lastCounts.active + lastCounts.prioritized === 0;
      if (parked && (atDnsStep >= n || Date.now() - atDnsStepSince >= STUCK_MS)) allParkedAt = Date.now();
      else await sleep(500);
    }
    // Jobs parked before the DNS step, and what they said they were waiting for.
    const stragglers = stragglersOf(world, n);
    const straggling = new Map<string, number>();
    const progresses = await stats.jobProgress(
      DEFAULT_PREFIX,
      DEFAULT_QUEUE_NAME,
      stragglers.slice(0, 1000).map((seq) => lbJobId('provision', clusterNameOf(seq % clusters), NAMESPACE, `inflight-${seq}`)),
    );
    for (const p of progresses) {
      const why = (p as { waitingFor?: unknown } | undefined)?.waitingFor;
      const key = typeof why === 'string' ? why.replace(/[a-z0-9-]+\.[a-z0-9-]+\.elb\.amazonaws\.com/g, 'HOST') : '(no waitingFor saved)';
      straggling.set(key, (straggling.get(key) ?? 0) + 1);
    }
    const stragglerNote = stragglers.length === 0 ? '' : `; ${stragglers.length} parked before the DNS step, waiting for ${JSON.stringify([...straggling])}`;
    if (allParkedAt === undefined) {
      progress(`NOT all jobs were parked before the first name resolved: jobs ${JSON.stringify(lastCounts)}${stragglerNote}`);
    } else {
      progress(`all ${n} jobs parked ${((allParkedAt - submitStart) / 1000).toFixed(1)} s after the first submission, ${n - stragglers.length} waiting for DNS${stragglerNote}`);
    }

    // The all-waiting window.
    const windowStartAt = (allParkedAt ?? Date.now()) + 1000;
    const windowEndAt = Math.min(windowStartAt + waitWindowS * 1000, firstVisibleAt() - 1000);
    let windowStart = await reading();
    let windowEnd = windowStart;
    if (allParkedAt !== undefined && windowEndAt > windowStartAt) {
      await waitUntil(windowStartAt, worker, signal);
      mark('all waiting');
      windowStart = await reading();
      progress(`all-waiting window: ${((windowEndAt - windowStartAt) / 1000).toFixed(0)} s`);
      await waitUntil(windowEndAt, worker, signal);
      windowEnd = await reading();
    }
    const windowSeconds = (windowEnd.at - windowStart.at) / 1000;
    const windowMeasured = allParkedAt !== undefined && windowSeconds >= 5;
    const perSecond: number[] = [];
    for (let i = 1; i < samples.length; i++) {
      const a = samples[i - 1]!;
      const b = samples[i]!;
      if (a.at >= windowStart.at && b.at <= windowEnd.at) perSecond.push(((b.commands - a.commands) * 1000) / (b.at - a.at));
    }
    perSecond.sort((a, b) => a - b);
    const waitingCommandsPerSecond = windowMeasured ? (windowEnd.commands - windowStart.commands) / windowSeconds : Number.NaN;
    const dnsQueriesPerSecond = windowMeasured ? (windowEnd.dnsQueries - windowStart.dnsQueries) / windowSeconds : Number.NaN;

    // The names resolve; wait for every endpoint message.
    mark('resolving');
    const lastVisibleAt = Math.max(...[...world.loadBalancers.values()].map((lb) => lb.dnsVisibleAt));
    const resolveBy = lastVisibleAt + effective.recheckMs + 30_000;
    progress(`names resolve from ${new Date(firstVisibleAt()).toISOString()} to ${new Date(lastVisibleAt).toISOString()}; waiting for ${n} endpoint messages`);
    nextProgress = Date.now() + 10_000;
    while (world.slack.endpoints.size < n && Date.now() < resolveBy) {
      checkAborted(signal);
      checkWorker(worker);
      await world.slack.nextEndpoint(1000);
      if (Date.now() >= nextProgress) {
        nextProgress += 10_000;
        const resolvable = [...world.loadBalancers.values()].filter((lb) => lb.dnsVisibleAt <= Date.now()).length;
        progress(`  ${world.slack.endpoints.size} endpoint messages, ${resolvable} names resolvable, ${world.dns.firstResolvedAt.size} resolved by the worker`);
      }
    }
    const end = await reading();
    mark('end');
    clearInterval(sampler);
    const finalCounts = await stats.jobCounts(DEFAULT_PREFIX, DEFAULT_QUEUE_NAME);
    const memory = worker.memory();

    // Delays, against the sandbox's own event time.
    const delays: number[] = [];
    const detection: number[] = [];
    const reaction: number[] = [];
    for (const [host, receivedAt] of world.slack.endpoints) {
      const lb = world.loadBalancers.get(host.toLowerCase());
      if (!lb) continue;
      delays.push(receivedAt - lb.dnsVisibleAt);
      const resolvedAt = world.dns.firstResolvedAt.get(host.toLowerCase());
      if (resolvedAt !== undefined) {
        detection.push(resolvedAt - lb.dnsVisibleAt);
        reaction.push(receivedAt - resolvedAt);
      }
    }
    const submitToService: number[] = [];
    for (const lb of world.loadBalancers.values()) {
      const seq = Number(/^default\/inflight-(\d+)$/.exec(lb.service)?.[1] ?? Number.NaN);
      const at = submittedAt[seq];
      if (at !== undefined && Number.isFinite(at)) submitToService.push(lb.createdAt - provisionDelayMs - at);
    }
    const delay = distribution(delays);

    const cpu: PhaseCpu[] = [];
    for (let i = 0; i + 1 < cpuMarks.length; i++) {
      const a = cpuMarks[i]!;
      const b = cpuMarks[i + 1]!;
      const wall = b.at - a.at;
      cpu.push({
        phase: a.phase,
        seconds: round2(wall / 1000),
        workerPct: round2(((b.worker - a.worker) * 100) / wall),
        redisPct: round2(((b.redis - a.redis) * 100) / wall),
        benchPct: round2(((b.benchUs - a.benchUs) / 1000) * (100 / wall)),
        benchLoopDelayP99Ms: round2(loopDelays[i]?.p99 ?? Number.NaN),
        benchLoopDelayMaxMs: round2(loopDelays[i]?.max ?? Number.NaN),
        workerRssMaxMb: mb(Math.max(...samples.filter((x) => x.at >= a.at && x.at <= b.at).map((x) => x.rssKb))),
      });
    }

    const waitingRssKb = windowMeasured ? windowEnd.rssKb : Number.NaN;
    const peakKb = memory?.hwmKb ?? Number.NaN;
    return {
      bench: 'inflight',
      environment: {
        node: process.version,
        cpus: os.availableParallelism(),
        platform: `${os.platform()} ${os.arch()}`,
        loadAverage: [round2(loadAtStart), round2(os.loadavg()[0] ?? Number.NaN)],
      },
      settings: {
        n,
        arrivalRate,
        clusters,
        perCluster,
        provisionDelayMs,
        instanceWarmupMs,
        dnsDelayMs,
        waitWindowS,
        worker: {
          dnsProbeRate: effective.dnsQueriesPerSecond,
          elbApiRate: effective.elbCallsPerSecond,
          concurrency: effective.concurrency,
          recheckIntervalS: effective.recheckMs / 1000,
          timeoutS: effective.timeoutMs / 1000,
          setByBench,
          nodeOptions,
        },
      },
      jobs: {
        submitted: n - submitErrors,
        submitErrors,
        ...(firstSubmitError !== undefined ? { firstSubmitError } : {}),
        submitSeconds: round2(submitSeconds),
        failed: finalCounts.failed,
        endpointMessages: world.slack.endpoints.size,
        duplicateEndpointMessages: world.slack.duplicateEndpoints,
        notAtDnsStep: { count: stragglers.length, waitingFor: [...straggling].sort((a, b) => b[1] - a[1]) },
        submitToServiceMs: distribution(submitToService),
      },
      rss: {
        idleMb: mb(idleRssKb),
        waitingMb: mb(waitingRssKb),
        peakMb: mb(peakKb),
        endMb: mb(memory?.rssKb),
        waitingRatio: round2(waitingRssKb / idleRssKb),
        peakRatio: round2(peakKb / idleRssKb),
        targetMet: peakKb / 1024 < TARGET_RSS_MB,
      },
      redis: {
        idleCommandsPerSecond: round2(idleCommandsPerSecond),
        windowMeasured,
        windowSeconds: round2(windowSeconds),
        waitingCommandsPerSecond: round2(waitingCommandsPerSecond),
        waitingMedianCommandsPerSecond: round2(percentile(perSecond, 0.5)),
        waitingMaxCommandsPerSecond: round2(perSecond[perSecond.length - 1] ?? Number.NaN),
        waitingRatio: round2(waitingCommandsPerSecond / idleCommandsPerSecond),
        perWaitingJobPerSecond: Math.round((waitingCommandsPerSecond / n) * 1e5) / 1e5,
        idleTopCommands: topCommands(idleStart, idleEnd),
        waitingTopCommands: windowMeasured ? topCommands(windowStart, windowEnd) : [],
        commandsPerJob: round2((end.commands - idleEnd.commands) / n),
        idleUsedMemoryMb: round2(idleEnd.usedMemory / 2 ** 20),
        waitingUsedMemoryMb: round2(windowEnd.usedMemory / 2 ** 20),
        dnsQueriesPerSecond: round2(dnsQueriesPerSecond),
      },
      delay: {
        ...delay,
        missing: n - delay.count,
        detection: distribution(detection),
        reaction: distribution(reaction),
        targetMet: delay.count === n && delay.p99 < TARGET_P99_MS,
      },
      cpu,
      slackCalls: { ...world.slack.calls },
      workerLog: [...worker.logTally().entries()].sort((a, b) => b[1] - a[1]).slice(0, 10),
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

/** Jobs (by sequence number) that have not asked the DNS server for their load balancer's name yet. */
function stragglersOf(world: InflightWorld, n: number): number[] {
  const atDnsStep = new Set<number>();
  for (const [host, lb] of world.loadBalancers) {
    if (!world.dns.firstQueryAt.has(host)) continue;
    const seq = Number(/^default\/inflight-(\d+)$/.exec(lb.service)?.[1] ?? Number.NaN);
    if (Number.isInteger(seq)) atDnsStep.add(seq);
  }
  const out: number[] = [];
  for (let seq = 0; seq < n; seq++) if (!atDnsStep.has(seq)) out.push(seq);
  return out;
}

/** `ENV NODE_OPTIONS=…` of the Dockerfile ('' when it sets none): the bench measures the worker as the image runs it. */
export async function imageNodeOptions(): Promise<string> {
  const dockerfile = await readFile(new URL('../../Dockerfile', import.meta.url), 'utf8');
  const match = /^ENV NODE_OPTIONS=(?:"([^"]*)"|(\S+))\s*$/m.exec(dockerfile);
  return match?.[1] ?? match?.[2] ?? '';
}

/**
 * A svcbot process's environment: the sandbox, Redis (`{ REDIS_URL }` or `{ REDIS_CLUSTER_NODES }`), the
 * Slack stand-in, and the bench's job settings; `yaml` adds settings that only the YAML file has (policy).
 */
export async function workerEnv(
  world: InflightWorld,
  redisEnv: Record<string, string>,
  dir: string,
  jobSettings: Record<string, string>,
  yaml: Record<string, unknown> = {},
): Promise<Record<string, string>> {
  const env: Record<string, string> = {
    ...redisEnv,
    SLACK_BOT_TOKEN: 'xoxb-inflight-bench',
    SLACK_API_URL: world.slack.apiUrl,
    LOG_LEVEL: 'warn',
    AWS_REGION: world.region,
    AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING: world.elbEndpoint,
    AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: world.elbEndpoint,
    AWS_ENDPOINT_URL_EC2: world.ec2Endpoint,
    // The AWS SDK signs every request; the sandbox accepts any credentials.
    AWS_ACCESS_KEY_ID: 'sandbox',
    AWS_SECRET_ACCESS_KEY: 'sandbox',
    DNS_SERVERS: world.dnsServer,
    // The world carries no traffic (thousands of load balancers, no loopback listeners): a job ends when
    // its name resolves, as these benches measure. The answer step is measured by none of them.
    LB_ANSWER_CHECK: 'false',
    ...jobSettings,
  };
  const [only] = world.clusters;
  if (world.clusters.length === 1 && only && Object.keys(yaml).length === 0) {
    env.KUBECONFIG = only.kubeconfigPath;
    env.CLUSTER_NAME = only.name;
  } else {
    // Several clusters can only be configured in the YAML file; everything else stays in the environment.
    const file = join(dir, 'svcbot.yaml');
    await writeFile(file, stringify({ ...yaml, clusters: world.clusters.map((c) => ({ name: c.name, kubeconfig: c.kubeconfigPath, clusterName: c.name })) }));
    env.SVCBOT_CONFIG = file;
  }
  return env;
}

/** The human-readable report. */
export function formatInflightReport(r: InflightBenchResult): string {
  const s = r.settings;
  const w = s.worker;
  const f = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : '-');
  const x = (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)}x` : '-');
  const pad = (t: string, width: number) => t.padStart(width);
  const bySetting = (name: string, value: string, def: string) => (w.setByBench[name] !== undefined ? `${name} ${value} (set by the bench; default ${def})` : `${name} ${value} (default)`);
  const dist = (label: string, d: Distribution) =>
    `  ${label.padEnd(10)} ${pad(f(d.p50, 0), 8)} ${pad(f(d.p90, 0), 8)} ${pad(f(d.p99, 0), 8)} ${pad(f(d.max, 0), 8)} ${pad(f(d.mean, 0), 8)} ${pad(String(d.count), 7)}`;
  const lines = [
    `inflight: ${s.n} LoadBalancer provisionings in flight in one svcbot worker (a child process) against the sandbox`,
    `  node ${r.environment.node}, ${r.environment.cpus} CPUs (load average ${r.environment.loadAverage.join(' -> ')}); ` +
      `${s.clusters} simulated cluster${s.clusters === 1 ? '' : 's'} of at most ${s.perCluster} Services (node ports), one ELB API and DNS server`,
    `  arrivals ${s.arrivalRate}/s; sandbox: provisioning ${s.provisionDelayMs} ms, instance warm-up ${s.instanceWarmupMs} ms, ` +
      `DNS ${f(s.dnsDelayMs / 1000, 0)} s after each load balancer is created`,
    `  worker: ${bySetting('DNS_PROBE_RATE', `${w.dnsProbeRate}/s`, '500/s')}, ${bySetting('ELB_API_RATE', `${w.elbApiRate}/s`, '5/s')}, ` +
      `JOB_CONCURRENCY ${w.concurrency}, JOB_RECHECK_INTERVAL ${w.recheckIntervalS} s, ${bySetting('JOB_TIMEOUT', `${w.timeoutS} s`, '900 s')}, LOG_LEVEL warn, ` +
      `NODE_OPTIONS ${w.nodeOptions === '' ? '(none)' : `${w.nodeOptions} (as the Dockerfile sets it)`}`,
    `  jobs: ${r.jobs.submitted} submitted in ${f(r.jobs.submitSeconds)} s (${r.jobs.submitErrors} errors${r.jobs.firstSubmitError ? `, the first: ${r.jobs.firstSubmitError}` : ''}), ${r.jobs.endpointMessages} endpoint messages ` +
      `(${r.jobs.duplicateEndpointMessages} duplicates), ${r.jobs.failed} failed`,
    '',
    `worker RSS, MB      ${pad('idle', 8)} ${pad('all waiting', 12)} ${pad('peak (VmHWM)', 13)} ${pad('at the end', 11)}`,
    `                    ${pad(f(r.rss.idleMb), 8)} ${pad(`${f(r.rss.waitingMb)} ${x(r.rss.waitingRatio)}`, 12)} ${pad(`${f(r.rss.peakMb)} ${x(r.rss.peakRatio)}`, 13)} ${pad(f(r.rss.endMb), 11)}`,
    `Redis commands/s    ${pad('idle', 8)} ${pad('all waiting', 12)} ${pad('1-s median', 11)} ${pad('1-s max', 8)} ${pad('per waiting job', 16)}`,
    `                    ${pad(f(r.redis.idleCommandsPerSecond), 8)} ${pad(`${f(r.redis.waitingCommandsPerSecond)} ${x(r.redis.waitingRatio)}`, 12)} ` +
      `${pad(f(r.redis.waitingMedianCommandsPerSecond, 0), 11)} ${pad(f(r.redis.waitingMaxCommandsPerSecond, 0), 8)} ${pad(f(r.redis.perWaitingJobPerSecond, 4), 16)}`,
    r.redis.windowMeasured
      ? `  window: ${f(r.redis.windowSeconds)} s with all ${s.n} jobs parked (${s.n - r.jobs.notAtDnsStep.count} for DNS); ${f(r.redis.dnsQueriesPerSecond, 0)} DNS queries/s answered`
      : `  window NOT measured: the jobs were not all parked before the first name resolved`,
    `  most frequent, calls/s (scripts' calls included): idle ${r.redis.idleTopCommands.map(([c, v]) => `${c} ${f(v)}`).join(', ') || '-'}`,
    `    all waiting ${r.redis.waitingTopCommands.map(([c, v]) => `${c} ${f(v)}`).join(', ') || '-'}`,
    `  Redis memory ${f(r.redis.idleUsedMemoryMb)} MB idle, ${f(r.redis.waitingUsedMemoryMb)} MB all waiting; ${f(r.redis.commandsPerJob)} Redis commands per job over the whole run`,
    ...(r.jobs.notAtDnsStep.count === 0
      ? []
      : [
          `  ${r.jobs.notAtDnsStep.count} jobs were parked before the DNS step when the window started, waiting for:`,
          ...r.jobs.notAtDnsStep.waitingFor.map(([why, count]) => `    ${count} x ${why}`),
        ]),
    '',
    `delay from the name resolvable (the sandbox's dnsVisibleAt) to the endpoint message at Slack, ms`,
    `  ${''.padEnd(10)} ${pad('p50', 8)} ${pad('p90', 8)} ${pad('p99', 8)} ${pad('max', 8)} ${pad('mean', 8)} ${pad('count', 7)}`,
    dist('total', r.delay),
    dist('detection', r.delay.detection),
    dist('reaction', r.delay.reaction),
    `  (detection: resolvable -> the first DNS answer with addresses, i.e. the worker's probing cadence; reaction: that answer -> the message)`,
    `  submission -> Service created: p50 ${f(r.jobs.submitToServiceMs.p50, 0)} ms, p99 ${f(r.jobs.submitToServiceMs.p99, 0)} ms, max ${f(r.jobs.submitToServiceMs.max, 0)} ms`,
    '',
    `by phase                       ${pad('s', 6)} | CPU % of one core: ${pad('worker', 7)} ${pad('redis', 6)} ${pad('bench', 6)} | worker RSS max MB | bench event-loop delay p99 / max, ms`,
  ];
  for (const c of r.cpu) {
    lines.push(
      `  ${c.phase.padEnd(28)} ${pad(f(c.seconds, 0), 6)} | ${''.padEnd(19)}${pad(f(c.workerPct, 0), 7)} ${pad(f(c.redisPct, 0), 6)} ${pad(f(c.benchPct, 0), 6)} | ${pad(f(c.workerRssMaxMb, 0), 17)} | ${f(c.benchLoopDelayP99Ms, 0)} / ${f(c.benchLoopDelayMaxMs, 0)}`,
    );
  }
  lines.push(
    `  (bench = this process: the sandbox's API servers, cloud controllers and DNS server, the Slack stand-in, the submissions)`,
    `Slack calls: ${Object.entries(r.slackCalls).map(([m, c]) => `${m} ${c}`).join(', ') || 'none'} (the stand-in does not rate-limit as Slack does)`,
    `worker log (warn and above): ${r.workerLog.length === 0 ? 'nothing' : ''}`,
    ...r.workerLog.map(([m, c]) => `  ${c} x ${m}`),
    '',
  );
  const busiest = Math.max(...r.environment.loadAverage);
  if (busiest > r.environment.cpus) {
    lines.push(`warning: the machine was busy (load average up to ${busiest} on ${r.environment.cpus} CPUs): latencies include waiting for a CPU`);
  }
  lines.push(
    `target RSS < ${TARGET_RSS_MB} MB: ${r.rss.targetMet ? 'met' : 'NOT met'} (peak ${f(r.rss.peakMb)} MB)`,
    `target delay p99 < ${TARGET_P99_MS} ms: ${r.delay.targetMet ? 'met' : 'NOT met'} (p99 ${f(r.delay.p99, 0)} ms${r.delay.missing > 0 ? `, ${r.delay.missing} endpoint messages missing` : ''})`,
    `(${(r.durationMs / 1000).toFixed(1)} s)`,
  );
  return lines.join('\n');
}

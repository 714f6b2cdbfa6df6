/**
 * `bench/orphans`: one orphan scan over N load balancers (classic and ELBv2) of one region and S Services
 * of C clusters, against the sandbox with latency added to every call and the ELB API's rate limit
 * enforced. It reports the calls of each kind as the APIs received them, against the issue's targets
 * (⌈N/400⌉ describe pages and ⌈N/20⌉ tag calls per API, one list walk per cluster; for ELBv2 targets,
 * the region's target groups in pages of 400 and one health call per target group behind a cluster's
 * load balancer), the scan's wall time
 * against the least time those same calls can take (computed, and measured by a client that sends them
 * as fast as the limit allows), and the scan process's peak memory.
 *
 * The world (`orphans-world.ts`) lives in this process; the scan and the baseline each run in a child
 * process of their own (`orphans-worker.ts`), one after the other, so neither's time or memory is the
 * other's or the sandbox's.
 */
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { elbTargets, kubeListPages, lowerBound, targetGroupPages, type LowerBound } from './orphans-bounds.js';
import { startOrphansWorld, type OrphansWorld, type RequestCounts } from './orphans-world.js';
import type { ReplayConfig, ReplayResult, ScanConfig, ScanResult } from './orphans-worker.js';
import { removeTmpDir, spawnTracked, trackTmpDir } from './proc.js';
import { round2 } from './stats.js';

const WORKER = fileURLToPath(new URL('./orphans-worker.js', import.meta.url));
const DAY_MS = 24 * 3600_000;
/** svcbot's default `ORPHAN_GRACE` (30 min); the world's load balancers are 40 days old. */
const GRACE_MS = 30 * 60_000;
const WORLD_AGE_MS = 40 * DAY_MS;
/** The baseline sends one call every (1,000 ms + this) / rate: just under the limit, so that none of it is throttled. */
const REPLAY_MARGIN_MS = 20;

export interface OrphansBenchOptions {
  loadBalancers?: number;
  services?: number;
  clusters?: number;
  latencyMs?: number;
  ratePerSecond?: number;
  /** The scan's pace (svcbot's `ORPHAN_SCAN_RATE`), ELB calls a second; default a twentieth (at least 1) under `ratePerSecond`. */
  scanRate?: number;
  /** One scan per entry; undefined = the inventories' default concurrency. */
  concurrency?: (number | undefined)[];
  /** Node options of the scan's process (`--max-old-space-size=192`, as the container image sets it). */
  workerNodeArgs?: string[];
  signal?: AbortSignal;
  progress?: (line: string) => void;
}

/** Calls of one kind: as the APIs counted them, and what the issue allows. */
interface CallLine {
  api: 'classic' | 'v2' | 'kube';
  action: string;
  answered: number;
  throttled: number;
  /** The issue's target; undefined for calls it does not name (the per-load-balancer ones). */
  target: number | undefined;
}

interface OrphansRun {
  /** The inventories' concurrency ('default' = 4, theirs). */
  concurrency: number | 'default';
  scan: ScanResult;
  calls: CallLine[];
  /** Kubernetes requests other than the Service list walks (discovery and the like). */
  otherKubeRequests: number;
  lowerBound: LowerBound;
  replay: ReplayResult;
  /** Scan wall time ÷ the measured baseline, and ÷ the computed lower bound. */
  ratioToReplay: number;
  ratioToBound: number;
  /** Whether the verdicts match what the world was built to hold. */
  verdictsAsBuilt: boolean;
}

export interface OrphansBenchResult {
  bench: 'orphans';
  environment: { node: string; cpus: number; platform: string; loadAverage: [start: number, end: number] };
  settings: { loadBalancers: number; services: number; clusters: number; latencyMs: number; ratePerSecond: number; scanRate: number; graceMs: number; worldAgeDays: number; replayMarginMs: number };
  world: { classic: number; network: number; application: number; targetGroups: number; servicesPerCluster: Record<string, number>; expected: Record<string, number>; buildSeconds: number };
  runs: OrphansRun[];
}

async function runChild<T>(config: ScanConfig | ReplayConfig, dir: string, signal: AbortSignal | undefined, nodeArgs: readonly string[] = []): Promise<T> {
  const file = join(dir, `${config.mode}.json`);
  writeFileSync(file, JSON.stringify(config));
  const child = spawnTracked(process.execPath, [...nodeArgs, WORKER, file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (err = `${err}${c.toString()}`.slice(-4000)));
  const onAbort = () => child.kill('SIGTERM');
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const [code] = (await once(child, 'exit')) as [number | null];
    const line = out.split('\n').find((l) => l.startsWith('ORPHANS_RESULT '));
    if (code !== 0 || !line) throw new Error(`the ${config.mode} process failed (exit ${String(code)}): ${err || out.slice(-2000)}`);
    return JSON.parse(line.slice('ORPHANS_RESULT '.length)) as T;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

function callLines(counts: RequestCounts, world: OrphansWorld, classicN: number, v2N: number): { lines: CallLine[]; otherKube: number; kubePages: number[] } {
  const classic = elbTargets(classicN);
  const v2 = elbTargets(v2N);
  const groups = world.composition.targetGroups;
  const targets: Record<string, number> = {
    'classic DescribeLoadBalancers': classic.describePages,
    'classic DescribeTags': classic.tagCalls,
    'v2 DescribeLoadBalancers': v2.describePages,
    'v2 DescribeTags': v2.tagCalls,
    // The region's target groups once (none asked for without a v2 load balancer); the world puts each
    // target group behind one load balancer with a cluster tag, so each one's health is asked once.
    'v2 DescribeTargetGroups': v2N > 0 ? targetGroupPages(groups) : 0,
    'v2 DescribeTargetHealth': groups,
  };
  // Every kind the issue names, then whatever else arrived, in a fixed order.
  const order = ['classic DescribeLoadBalancers', 'classic DescribeTags', 'classic DescribeInstanceHealth', 'v2 DescribeLoadBalancers', 'v2 DescribeTags', 'v2 DescribeTargetGroups', 'v2 DescribeTargetHealth'];
  const keys = [...new Set([...order, ...counts.answered.keys(), ...counts.throttled.keys()])];
  const lines: CallLine[] = keys.map((key) => {
    const [api, action] = key.split(' ') as ['classic' | 'v2', string];
    return { api, action, answered: counts.answered.get(key) ?? 0, throttled: counts.throttled.get(key) ?? 0, target: targets[key] };
  });
  let otherKube = 0;
  const kubePages: number[] = [];
  for (const cluster of world.clusters) {
    const byPath = counts.kube.get(cluster.name) ?? new Map<string, number>();
    const pages = byPath.get('GET /api/v1/services') ?? 0;
    kubePages.push(pages);
    for (const [path, n] of byPath) if (path !== 'GET /api/v1/services') otherKube += n;
    lines.push({ api: 'kube', action: `${cluster.name} list Services`, answered: pages, throttled: 0, target: kubeListPages(cluster.services) });
  }
  return { lines, otherKube, kubePages };
}

function sameTally(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => (a[k] ?? 0) === (b[k] ?? 0));
}

export async function runOrphansBench(options: OrphansBenchOptions = {}): Promise<OrphansBenchResult> {
  const ratePerSecond = options.ratePerSecond ?? 100;
  const settings = {
    loadBalancers: options.loadBalancers ?? 10_000,
    services: options.services ?? 50_000,
    clusters: options.clusters ?? 4,
    latencyMs: options.latencyMs ?? 20,
    ratePerSecond,
    // A little under the limit: the sandbox's window is strict, and a late timer can bunch two starts.
    scanRate: options.scanRate ?? Math.max(1, ratePerSecond - Math.max(1, Math.round(ratePerSecond / 20))),
    graceMs: GRACE_MS,
    worldAgeDays: WORLD_AGE_MS / DAY_MS,
    replayMarginMs: REPLAY_MARGIN_MS,
  };
  const progress = options.progress ?? (() => undefined);
  const loadAtStart = os.loadavg()[0] ?? Number.NaN;
  const dir = mkdtempSync(join(os.tmpdir(), 'svcbot-bench-orphans-'));
  trackTmpDir(dir);
  progress(`building the world: ${settings.loadBalancers} load balancers, ${settings.services} Services over ${settings.clusters} clusters`);
  const building = performance.now();
  const world = await startOrphansWorld({ loadBalancers: settings.loadBalancers, services: settings.services, clusters: settings.clusters, region: 'us-east-1', ageMs: WORLD_AGE_MS });
  const buildSeconds = (performance.now() - building) / 1000;
  try {
    const { classic, network, application, targetGroups, expected } = world.composition;
    progress(`world built in ${buildSeconds.toFixed(1)} s: ${classic} classic, ${network} network, ${application} application load balancers, ${targetGroups} target groups`);
    world.faults.set({ elbLatencyMs: settings.latencyMs, kubeLatencyMs: settings.latencyMs, elbThrottleRatePerSecond: settings.ratePerSecond });
    const workerClusters = world.clusters.map(({ name, kubeApi, kubeconfigYaml }) => ({ name, kubeApi, kubeconfigYaml }));
    const runs: OrphansRun[] = [];
    for (const concurrency of options.concurrency ?? [undefined]) {
      if (options.signal?.aborted) break;
      const label = concurrency ?? 'default';
      // An empty throttling window before each measured part.
      await sleep(1100);
      world.resetCounts();
      progress(`scan (concurrency ${label}) …`);
      const scan = await runChild<ScanResult>({ mode: 'scan', region: world.region, elbEndpoint: world.elbEndpoint, clusters: workerClusters, graceMs: GRACE_MS, concurrency, scanRate: settings.scanRate }, dir, options.signal, options.workerNodeArgs);
      const counts = world.counts();
      const callsFile = join(dir, 'calls.json');
      writeFileSync(callsFile, JSON.stringify(world.recorded()));
      const { lines, otherKube, kubePages } = callLines(counts, world, classic, network + application);
      const elbCalls = [...counts.answered.values()].reduce((a, b) => a + b, 0);
      const bound = lowerBound({
        elbCalls,
        ratePerSecond: settings.ratePerSecond,
        describePagesPerApi: [counts.answered.get('classic DescribeLoadBalancers') ?? 0, counts.answered.get('v2 DescribeLoadBalancers') ?? 0],
        elbLatencyMs: settings.latencyMs,
        kubePagesPerCluster: kubePages,
        kubeLatencyMs: settings.latencyMs,
      });
      progress(`scan took ${(scan.scanMs / 1000).toFixed(1)} s (${elbCalls} ELB calls answered); baseline: the same calls as fast as the limit allows …`);
      await sleep(1100);
      world.resetCounts();
      const replay = await runChild<ReplayResult>({ mode: 'replay', elbEndpoint: world.elbEndpoint, clusters: workerClusters, ratePerSecond: settings.ratePerSecond, callsFile, marginMs: REPLAY_MARGIN_MS }, dir, options.signal);
      progress(`baseline took ${(replay.wallMs / 1000).toFixed(1)} s`);
      runs.push({
        concurrency: label,
        scan,
        calls: lines,
        otherKubeRequests: otherKube,
        lowerBound: bound,
        replay,
        ratioToReplay: scan.scanMs / replay.wallMs,
        ratioToBound: bound.boundMs > 0 ? scan.scanMs / bound.boundMs : Number.NaN,
        verdictsAsBuilt: sameTally(scan.byStatus, expected),
      });
    }
    return {
      bench: 'orphans',
      environment: { node: process.version, cpus: os.cpus().length, platform: `${os.platform()} ${os.release()}`, loadAverage: [round2(loadAtStart), round2(os.loadavg()[0] ?? Number.NaN)] },
      settings,
      world: {
        classic,
        network,
        application,
        targetGroups,
        servicesPerCluster: Object.fromEntries(world.clusters.map((c) => [c.name, c.services])),
        expected,
        buildSeconds: round2(buildSeconds),
      },
      runs,
    };
  } finally {
    await world.close();
    removeTmpDir(dir);
  }
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;

export function formatOrphansReport(r: OrphansBenchResult): string {
  const out: string[] = [];
  const st = r.settings;
  out.push(
    `orphans: one scan of ${st.loadBalancers} load balancers (${r.world.classic} classic, ${r.world.network} network, ${r.world.application} application; ${r.world.targetGroups} target groups) and ${st.services} Services over ${st.clusters} clusters`,
    `  sandbox: ${st.latencyMs} ms added to every ELB and Kubernetes call, ELB rate limit ${st.ratePerSecond} calls/s (one sliding 1-s window for both APIs), scan paced at ${st.scanRate} calls/s, load balancers ${st.worldAgeDays} days old, grace ${st.graceMs / 60_000} min`,
    `  node ${r.environment.node}, ${r.environment.cpus} CPUs (load average ${r.environment.loadAverage.join(' -> ')}); world built in ${r.world.buildSeconds} s`,
  );
  for (const run of r.runs) {
    out.push('', `inventories' concurrency: ${run.concurrency}${run.concurrency === 'default' ? ' (4)' : ''}`);
    out.push('  calls                                answered  throttled    target  verdict');
    for (const c of run.calls) {
      const verdict = c.target === undefined ? 'extra per-LB calls (no target)' : c.answered === c.target ? 'met' : `NOT met (${c.answered - c.target > 0 ? '+' : ''}${c.answered - c.target})`;
      out.push(`  ${`${c.api} ${c.action}`.padEnd(36)} ${String(c.answered).padStart(8)} ${String(c.throttled).padStart(10)} ${String(c.target ?? '-').padStart(9)}  ${verdict}`);
    }
    if (run.otherKubeRequests > 0) out.push(`  (+${run.otherKubeRequests} other Kubernetes requests)`);
    const b = run.lowerBound;
    out.push(
      `  scan wall time ${s(run.scan.scanMs)} (then report ${run.scan.reportMs.toFixed(0)} ms, render ${run.scan.renderMs.toFixed(0)} ms)`,
      `  lower bound    ${s(b.boundMs)} = max(calls / rate ${s(b.rateMs)}, describe pages ${s(b.describeChainMs)}, list walk ${s(b.kubeChainMs)})`,
      `  baseline       ${s(run.replay.wallMs)} (the same calls sent as fast as the limit allows: ${run.replay.sent} sent, ${run.replay.throttled} throttled)`,
      `  ratio          ${run.ratioToReplay.toFixed(2)}x the baseline, ${run.ratioToBound.toFixed(2)}x the lower bound (target <= 1.1x): ${run.ratioToReplay <= 1.1 ? 'met' : 'NOT met'}`,
      `  scan process   RSS ${mb(run.scan.memory.rssBeforeKb)} before the scan, peak ${mb(run.scan.memory.maxRssKb)} (maxRSS); heap peak ${(run.scan.memory.heapPeakBytes / 1048576).toFixed(0)} MB (sampled every 10 ms)`,
      `  verdicts       ${Object.entries(run.scan.byStatus).sort().map(([k, v]) => `${k} ${v}`).join(', ')}: ${run.verdictsAsBuilt ? 'as the world was built' : `NOT as built (expected ${Object.entries(r.world.expected).sort().map(([k, v]) => `${k} ${v}`).join(', ')})`}`,
      `  report         ${run.scan.report.orphans} orphans, ${run.scan.report.lostClusters} of unknown clusters, ${run.scan.report.idle} idle, ${run.scan.report.unmanaged} unmanaged; ${run.scan.report.blocks} blocks, ${run.scan.report.textChars} characters of text`,
    );
    if (run.scan.missing.length > 0) out.push(`  MISSING from the scan: ${run.scan.missing.map((m) => `${m.kind} ${m.name} (${m.problem})`).join('; ')}`);
  }
  return out.join('\n');
}

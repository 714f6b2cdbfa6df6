/**
 * Child-process entry of `bench/orphans` (`node dist/bench/orphans-worker.js CONFIG.json`), so that what
 * it measures — wall time, peak memory — is its own and not the sandbox's. Two modes:
 *
 * - `scan`: one orphan scan exactly as svcbot makes it — the real cluster registry (`createClusterRegistry`
 *   with `endpointClients`' ELB client factories), the classic and ELBv2 inventories over its clients
 *   (adaptive retries, 5 attempts) with one pacer for both at `scanRate` calls a second (svcbot's
 *   `ORPHAN_SCAN_RATE`), `scanForOrphans`, `buildReport`, `renderOrphanReport` — and its verdicts
 *   tallied by status;
 * - `replay`: the baseline. It sends the ELB calls the scan made (their recorded bodies, raw HTTP) as
 *   fast as the rate limit allows and never faster: each API's describe pages one after another (each
 *   page needs the previous one's marker), then every other call of that API, as many in flight as
 *   needed, paced at a steady rate just under the limit; meanwhile each cluster's Services
 *   are walked in pages of 500. What the same calls cost when nothing but the limit holds them back.
 *
 * The result is one line on stdout: `ORPHANS_RESULT {json}`.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';
import { createClusterRegistry, endpointClients } from '../src/adapters/clusters.js';
import { createClassicInventory } from '../src/adapters/elb-inventory.js';
import { combinedInventory, createV2Inventory } from '../src/adapters/elbv2-inventory.js';
import { regionPacers } from '../src/adapters/scan-pacer.js';
import type { ClusterConfig } from '../src/config/types.js';
import { buildReport, DEFAULT_LOAD_BALANCER_PRICES } from '../src/domain/orphan-report.js';
import { scanForOrphans } from '../src/domain/orphan-scan.js';
import { classify } from '../src/domain/orphans.js';
import { renderOrphanReport } from '../src/render/orphans.js';

interface WorkerCluster {
  name: string;
  kubeApi: string;
  kubeconfigYaml: string;
}

export interface ScanConfig {
  mode: 'scan';
  region: string;
  elbEndpoint: string;
  clusters: WorkerCluster[];
  graceMs: number;
  /** The inventories' `concurrency`; undefined = their default. */
  concurrency: number | undefined;
  /** The scan's pace, ELB calls a second (both APIs together): svcbot's `ORPHAN_SCAN_RATE`. */
  scanRate: number;
}

export interface ReplayConfig {
  mode: 'replay';
  elbEndpoint: string;
  clusters: WorkerCluster[];
  ratePerSecond: number;
  /** A JSON file of `RecordedElbCall`s. */
  callsFile: string;
  /** Calls are sent one every (1000 + marginMs) / rate ms: the margin keeps a late timer from letting one over the limit. */
  marginMs: number;
}

interface Memory {
  /** RSS before the scan (modules loaded, clients made), KiB. */
  rssBeforeKb: number;
  /** `process.resourceUsage().maxRSS` at the end: the process's peak, KiB. */
  maxRssKb: number;
  /** The highest `heapUsed` sampled every 10 ms during the run, bytes. */
  heapPeakBytes: number;
}

export interface ScanResult {
  mode: 'scan';
  scanMs: number;
  reportMs: number;
  renderMs: number;
  loadBalancers: number;
  byKind: Record<string, number>;
  byStatus: Record<string, number>;
  servicesListed: Record<string, number>;
  missing: { kind: string; name: string; problem: string }[];
  report: { orphans: number; lostClusters: number; idle: number; unmanaged: number; monthlyUsd: number; blocks: number; textChars: number; title: string };
  memory: Memory;
}

export interface ReplayResult {
  mode: 'replay';
  wallMs: number;
  /** ELB calls sent (retries of throttled ones included) and how many were answered `Throttling`. */
  sent: number;
  throttled: number;
  kubePages: Record<string, number>;
  memory: Memory;
}

function sampleHeap(): { stop(): number } {
  let peak = process.memoryUsage().heapUsed;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 10);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().heapUsed);
    },
  };
}

const tally = (map: Record<string, number>, key: string) => {
  map[key] = (map[key] ?? 0) + 1;
};

async function runScan(config: ScanConfig): Promise<ScanResult> {
  const clusterConfigs: ClusterConfig[] = config.clusters.map((c) => ({ name: c.name, context: undefined, kubeconfig: undefined, region: config.region, clusterName: c.name, namespaces: undefined }));
  const yamlOf = new Map(config.clusters.map((c) => [c.name, c.kubeconfigYaml]));
  const factories = endpointClients({ kubeconfigYaml: '', elbEndpoint: config.elbEndpoint, region: config.region });
  const registry = createClusterRegistry(clusterConfigs, {
    ...factories,
    loadKubeConfig: (cluster) => {
      const kc = new k8s.KubeConfig();
      kc.loadFromString(yamlOf.get(cluster.name) ?? '');
      return kc;
    },
  });
  // The registry's own clients, one classic and one v2 per region, as src/app.ts builds the inventories.
  const tuning = config.concurrency === undefined ? {} : { concurrency: config.concurrency };
  const pacerFor = regionPacers(config.scanRate);
  const inventory = combinedInventory(
    createClassicInventory({ clientFor: (region) => registry.elbClient(region), pacerFor, ...tuning }),
    createV2Inventory({ clientFor: (region) => registry.elbV2Client(region), pacerFor, ...tuning }),
  );

  const rssBeforeKb = Math.round(process.memoryUsage().rss / 1024);
  const heap = sampleHeap();
  const started = performance.now();
  const scan = await scanForOrphans({
    regions: [config.region],
    clusters: clusterConfigs.map((c) => ({ name: c.name, awsName: c.clusterName, region: c.region })),
    registry,
    inventory,
    // No Redis here: svcbot also asks its queue for each cluster's unfinished jobs (one call each).
    jobs: { list: () => Promise.resolve([]) },
    graceMs: config.graceMs,
    now: Date.now,
  });
  const scanned = performance.now();
  const report = buildReport(scan.scanned, scan.context, { prices: DEFAULT_LOAD_BALANCER_PRICES, missing: scan.missing });
  const reported = performance.now();
  const reply = renderOrphanReport(report, { commandName: '/svc', query: { page: 0 } });
  const rendered = performance.now();
  const heapPeakBytes = heap.stop();
  registry.close();

  const byKind: Record<string, number> = {};
  const byStatus: Record<string, number> = {};
  for (const lb of scan.scanned) {
    tally(byKind, lb.kind);
    tally(byStatus, classify(lb, scan.context).status);
  }
  const servicesListed = Object.fromEntries([...scan.context.services].map(([name, services]) => [name, services.size]));
  const text = typeof reply.text === 'string' ? reply.text : '';
  return {
    mode: 'scan',
    scanMs: scanned - started,
    reportMs: reported - scanned,
    renderMs: rendered - reported,
    loadBalancers: scan.scanned.length,
    byKind,
    byStatus,
    servicesListed,
    missing: scan.missing,
    report: {
      orphans: report.orphans.length,
      lostClusters: report.lostClusters.reduce((n, g) => n + g.entries.length, 0),
      idle: report.idle.length,
      unmanaged: report.unmanagedCount,
      monthlyUsd: report.monthlyUsd,
      blocks: reply.blocks?.length ?? 0,
      textChars: text.length,
      title: text.split('\n')[0] ?? '',
    },
    memory: { rssBeforeKb, maxRssKb: process.resourceUsage().maxRSS, heapPeakBytes },
  };
}

interface RecordedCall {
  api: 'classic' | 'v2';
  action: string;
  body: string;
}

/**
 * Grants one call every `intervalMs`, first come first served: a steady rate and never a burst, so that
 * no `rate + 1` calls reach the API within one second even when some arrive a little late (a burst of a
 * whole window's worth at once is admitted too, but then the API's timestamps of it spread over tens of
 * ms on a busy machine, and the next window's first calls meet its tail).
 */
function pacer(intervalMs: number): () => Promise<void> {
  let last = Number.NEGATIVE_INFINITY;
  return async () => {
    const at = Math.max(performance.now(), last + intervalMs);
    last = at;
    const wait = at - performance.now();
    if (wait > 0) await sleep(wait);
  };
}

async function runReplay(config: ReplayConfig): Promise<ReplayResult> {
  const calls = JSON.parse(readFileSync(config.callsFile, 'utf8')) as RecordedCall[];
  const acquire = pacer((1000 + config.marginMs) / config.ratePerSecond);
  let sent = 0;
  let throttled = 0;
  const send = async (call: RecordedCall): Promise<void> => {
    for (;;) {
      await acquire();
      sent++;
      const res = await fetch(config.elbEndpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: call.body });
      const text = await res.text();
      if (res.status === 200) return;
      if (text.includes('<Code>Throttling</Code>')) {
        throttled++;
        continue;
      }
      throw new Error(`replay: ${call.api} ${call.action} answered ${res.status}: ${text.slice(0, 300)}`);
    }
  };
  const api = async (which: 'classic' | 'v2'): Promise<void> => {
    const mine = calls.filter((c) => c.api === which);
    // The pages first, one after another: each needs the previous one's marker.
    for (const page of mine.filter((c) => c.action === 'DescribeLoadBalancers')) await send(page);
    await Promise.all(mine.filter((c) => c.action !== 'DescribeLoadBalancers').map((c) => send(c)));
  };
  const kubePages: Record<string, number> = {};
  const walk = async (cluster: WorkerCluster): Promise<void> => {
    let cont: string | undefined;
    do {
      const res = await fetch(`${cluster.kubeApi}/api/v1/services?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
      if (res.status !== 200) throw new Error(`replay: listing the Services of ${cluster.name} answered ${res.status}`);
      const list = (await res.json()) as { metadata?: { continue?: string } };
      tally(kubePages, cluster.name);
      cont = list.metadata?.continue || undefined;
    } while (cont);
  };
  const rssBeforeKb = Math.round(process.memoryUsage().rss / 1024);
  const heap = sampleHeap();
  const started = performance.now();
  await Promise.all([api('classic'), api('v2'), ...config.clusters.map(walk)]);
  const wallMs = performance.now() - started;
  return { mode: 'replay', wallMs, sent, throttled, kubePages, memory: { rssBeforeKb, maxRssKb: process.resourceUsage().maxRSS, heapPeakBytes: heap.stop() } };
}

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: orphans-worker.js CONFIG.json');
  const config = JSON.parse(readFileSync(file, 'utf8')) as ScanConfig | ReplayConfig;
  const result = config.mode === 'scan' ? await runScan(config) : await runReplay(config);
  process.stdout.write(`ORPHANS_RESULT ${JSON.stringify(result)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});

/**
 * `npm run bench`: runs every benchmark (ack, then inflight, then orphans, then dns, then parked, then slack, then scale) and prints a readable report, then one JSON
 * line of results (`{"benchmarks":[...]}`) for tools. Figures only: the exit code says whether the run
 * worked, never whether a speed target was met.
 *
 * Options (see bench/README.md):
 *   --only ack|inflight|orphans|dns|parked|slack|scale
 *   ack:      --levels 1,10,50   --samples 400   --rounds 10   --sandbox-on-main-thread   --diagnose
 *   inflight: --inflight 10000   --arrival-rate 200   --dns-probe-rate 500,10000   --elb-api-rate 1000
 *             --wait-window 120   --per-cluster 2500   --worker-node-args=--trace-gc
 *             --worker-output FILE
 *   orphans:  --orphans-lbs 10000   --orphans-services 50000   --orphans-clusters 4   --orphans-latency 20
 *             --orphans-rate 100   --orphans-scan-rate 95   --orphans-concurrency default,2
 *   dns:      --dns-waiting 100,500,1000,2500,5000   --dns-rate 500   --dns-samples 1000
 *   parked:   --parked 10000   --parked-window 30
 *   slack:    --slack-jobs 1000   --slack-channels 1,20   --slack-drain 30
 *   scale:    --scale-jobs 10000   --scale-clusters 8   --scale-rate 200   --scale-via-web N/10   --scale-shards 8
 *             --scale-workers 2   --scale-webs 2   --scale-window 20   --scale-no-baseline   --scale-output DIR
 *
 * Ctrl-C stops the run and everything it started (a second Ctrl-C exits at once, killing what is left).
 */
import { parseArgs } from 'node:util';
import { formatAckReport, runAckBench, type AckBenchResult } from './ack.js';
import { formatInflightReport, runInflightBench, type InflightBenchResult } from './inflight.js';
import { formatOrphansReport, runOrphansBench, type OrphansBenchResult } from './orphans.js';
import { formatDnsReport, runDnsBench, type DnsBenchResult } from './dns.js';
import { formatParkedReport, runParkedBench, type ParkedBenchResult } from './parked.js';
import { killEverythingNow } from './proc.js';
import { formatScaleReport, runScaleBench, type ScaleBenchResult } from './scale.js';
import { formatSlackReport, runSlackBench, type SlackBenchResult } from './slack-load.js';

function positiveInts(text: string, what: string): number[] {
  const values = text.split(',').map((s) => Number(s.trim()));
  if (values.length === 0 || values.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new Error(`${what} must be positive integers separated by commas (got "${text}")`);
  }
  return values;
}

function positiveInt(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  const [value, ...more] = positiveInts(text, what);
  if (more.length > 0) throw new Error(`${what} takes one number (got "${text}")`);
  return value;
}

const BENCHMARKS = ['ack', 'inflight', 'orphans', 'dns', 'parked', 'slack', 'scale'] as const;
/** Aborted by Ctrl-C (SIGINT) or SIGTERM. */
const interrupt = new AbortController();
type BenchName = (typeof BENCHMARKS)[number];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      levels: { type: 'string' },
      samples: { type: 'string' },
      rounds: { type: 'string' },
      'sandbox-on-main-thread': { type: 'boolean', default: false },
      diagnose: { type: 'boolean', default: false },
      inflight: { type: 'string' },
      'arrival-rate': { type: 'string' },
      'dns-probe-rate': { type: 'string' },
      'elb-api-rate': { type: 'string' },
      'wait-window': { type: 'string' },
      'per-cluster': { type: 'string' },
      'worker-node-args': { type: 'string' },
      'worker-output': { type: 'string' },
      'orphans-lbs': { type: 'string' },
      'orphans-services': { type: 'string' },
      'orphans-clusters': { type: 'string' },
      'orphans-latency': { type: 'string' },
      'orphans-rate': { type: 'string' },
      'orphans-scan-rate': { type: 'string' },
      'orphans-concurrency': { type: 'string' },
      'dns-waiting': { type: 'string' },
      'dns-rate': { type: 'string' },
      'dns-samples': { type: 'string' },
      parked: { type: 'string' },
      'parked-window': { type: 'string' },
      'slack-jobs': { type: 'string' },
      'slack-channels': { type: 'string' },
      'slack-drain': { type: 'string' },
      'scale-jobs': { type: 'string' },
      'scale-clusters': { type: 'string' },
      'scale-rate': { type: 'string' },
      'scale-via-web': { type: 'string' },
      'scale-shards': { type: 'string' },
      'scale-workers': { type: 'string' },
      'scale-webs': { type: 'string' },
      'scale-window': { type: 'string' },
      'scale-no-baseline': { type: 'boolean', default: false },
      'scale-output': { type: 'string' },
    },
  });
  const only = values.only;
  if (only !== undefined && !(BENCHMARKS as readonly string[]).includes(only)) {
    throw new Error(`--only must be one of ${BENCHMARKS.join(', ')} (got "${only}")`);
  }
  const runs = (name: BenchName) => only === undefined || only === name;
  // Parse everything before anything runs, so a typo fails at once (undefined: the benchmark's default).
  const inflightOptions = {
    n: positiveInt(values.inflight, '--inflight'),
    arrivalRate: positiveInt(values['arrival-rate'], '--arrival-rate'),
    elbApiRate: positiveInt(values['elb-api-rate'], '--elb-api-rate'),
    waitWindowS: positiveInt(values['wait-window'], '--wait-window'),
    perCluster: positiveInt(values['per-cluster'], '--per-cluster'),
    workerNodeArgs: values['worker-node-args']?.split(/\s+/).filter((a) => a !== ''),
    workerOutput: values['worker-output'],
  };
  const orphansOptions = {
    loadBalancers: positiveInt(values['orphans-lbs'], '--orphans-lbs'),
    services: positiveInt(values['orphans-services'], '--orphans-services'),
    clusters: positiveInt(values['orphans-clusters'], '--orphans-clusters'),
    latencyMs: positiveInt(values['orphans-latency'], '--orphans-latency'),
    ratePerSecond: positiveInt(values['orphans-rate'], '--orphans-rate'),
    scanRate: positiveInt(values['orphans-scan-rate'], '--orphans-scan-rate'),
    // One scan per entry: a number, or `default` (the inventories' own).
    concurrency: values['orphans-concurrency']?.split(',').map((v) => (v.trim() === 'default' ? undefined : positiveInt(v.trim(), '--orphans-concurrency'))),
    // The scan's process, as the worker's: e.g. --worker-node-args=--max-old-space-size=192 (the image's heap).
    workerNodeArgs: values['worker-node-args']?.split(/\s+/).filter((a) => a !== ''),
  };
  const dnsOptions = {
    ...(values['dns-waiting'] ? { waiting: positiveInts(values['dns-waiting'], '--dns-waiting') } : {}),
    ...(values['dns-rate'] ? { ratePerSecond: positiveInt(values['dns-rate'], '--dns-rate') } : {}),
    ...(values['dns-samples'] ? { samples: positiveInt(values['dns-samples'], '--dns-samples') } : {}),
  };
  const parkedOptions = { n: positiveInt(values.parked, '--parked'), windowS: positiveInt(values['parked-window'], '--parked-window') };
  const scaleOptions = {
    n: positiveInt(values['scale-jobs'], '--scale-jobs'),
    clusters: positiveInt(values['scale-clusters'], '--scale-clusters'),
    arrivalRate: positiveInt(values['scale-rate'], '--scale-rate'),
    viaWeb: values['scale-via-web'] === '0' ? 0 : positiveInt(values['scale-via-web'], '--scale-via-web'),
    shards: positiveInt(values['scale-shards'], '--scale-shards'),
    workers: positiveInt(values['scale-workers'], '--scale-workers'),
    webs: positiveInt(values['scale-webs'], '--scale-webs'),
    waitWindowS: positiveInt(values['scale-window'], '--scale-window'),
  };
  // One inflight run per DNS probe rate; none given = the worker's default.
  const dnsRates: (number | undefined)[] = values['dns-probe-rate'] ? positiveInts(values['dns-probe-rate'], '--dns-probe-rate') : [undefined];

  const err = (line: string) => process.stderr.write(`${line}\n`);
  let interrupts = 0;
  const onInterrupt = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    err('interrupted: stopping what the benchmark started (Ctrl-C again to exit at once)');
    interrupt.abort();
    // ack runs on threads of this process only; nothing outlives the process.
    if (!childrenRunning) process.exit(130);
  };
  // inflight and orphans start child processes: their own cleanup stops them.
  let childrenRunning = false;
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);

  const slackOptions = {
    ...(values['slack-jobs'] ? { jobs: positiveInt(values['slack-jobs'], '--slack-jobs') } : {}),
    ...(values['slack-channels'] ? { channels: positiveInts(values['slack-channels'], '--slack-channels') } : {}),
    ...(values['slack-drain'] ? { drainS: positiveInt(values['slack-drain'], '--slack-drain') } : {}),
  };
  const results: (AckBenchResult | InflightBenchResult | OrphansBenchResult | DnsBenchResult | ParkedBenchResult | SlackBenchResult | ScaleBenchResult)[] = [];
  const reports: string[] = [];
  if (runs('ack')) {
    const ack = await runAckBench({
      ...(values.levels ? { levels: positiveInts(values.levels, '--levels') } : {}),
      ...(values.samples ? { minSamples: positiveInts(values.samples, '--samples')[0] } : {}),
      ...(values.rounds ? { minRounds: positiveInts(values.rounds, '--rounds')[0] } : {}),
      world: values['sandbox-on-main-thread'] ? 'main' : 'worker',
      diagnose: values.diagnose,
      progress: (line) => err(`[ack] ${line}`),
    });
    results.push(ack);
    reports.push(formatAckReport(ack));
  }
  if (runs('inflight')) {
    for (const dnsProbeRate of dnsRates) {
      if (interrupt.signal.aborted) break;
      const tag = dnsProbeRate === undefined ? 'inflight' : `inflight DNS ${dnsProbeRate}/s`;
      childrenRunning = true;
      try {
        const result = await runInflightBench({
          ...inflightOptions,
          ...(dnsProbeRate !== undefined ? { dnsProbeRate } : {}),
          signal: interrupt.signal,
          progress: (line) => err(`[${tag}] ${line}`),
        });
        results.push(result);
        reports.push(formatInflightReport(result));
      } finally {
        childrenRunning = false;
      }
    }
  }
  if (runs('orphans') && !interrupt.signal.aborted) {
    childrenRunning = true;
    try {
      const orphans = await runOrphansBench({
        ...Object.fromEntries(Object.entries(orphansOptions).filter(([, v]) => v !== undefined)),
        signal: interrupt.signal,
        progress: (line) => err(`[orphans] ${line}`),
      });
      results.push(orphans);
      reports.push(formatOrphansReport(orphans));
    } finally {
      childrenRunning = false;
    }
  }
  if (runs('dns') && !interrupt.signal.aborted) {
    const dns = await runDnsBench({ ...dnsOptions, signal: interrupt.signal, progress: (line) => err(`[dns] ${line}`) });
    results.push(dns);
    reports.push(formatDnsReport(dns));
  }
  if (runs('parked') && !interrupt.signal.aborted) {
    childrenRunning = true;
    try {
      const parked = await runParkedBench({
        ...Object.fromEntries(Object.entries(parkedOptions).filter(([, v]) => v !== undefined)),
        signal: interrupt.signal,
        progress: (line) => err(`[parked] ${line}`),
      });
      results.push(parked);
      reports.push(formatParkedReport(parked));
    } finally {
      childrenRunning = false;
    }
  }
  if (runs('slack') && !interrupt.signal.aborted) {
    const slack = await runSlackBench({ ...slackOptions, progress: (line) => err(`[slack] ${line}`) });
    results.push(slack);
    reports.push(formatSlackReport(slack));
  }
  if (runs('scale') && !interrupt.signal.aborted) {
    childrenRunning = true;
    try {
      const scale = await runScaleBench({
        ...Object.fromEntries(Object.entries(scaleOptions).filter(([, v]) => v !== undefined)),
        noBaseline: values['scale-no-baseline'],
        ...(values['scale-output'] !== undefined ? { outputDir: values['scale-output'] } : {}),
        signal: interrupt.signal,
        progress: (line) => err(`[scale] ${line}`),
      });
      results.push(scale);
      reports.push(formatScaleReport(scale));
    } finally {
      childrenRunning = false;
    }
  }
  process.stdout.write(`${reports.join('\n\n')}\n\n${JSON.stringify({ benchmarks: results })}\n`);
}

// Whatever happens, nothing the run started outlives it.
process.on('exit', killEverythingNow);

main().catch((e: unknown) => {
  if (interrupt.signal.aborted) {
    process.stderr.write('bench interrupted\n');
    process.exitCode = 130;
    return;
  }
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});

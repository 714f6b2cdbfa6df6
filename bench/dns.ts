/**
 * `dns` — how soon a waiting job hears that its load balancer's name resolves, against the bound the
 * design promises. The worker's DNS prober (jobs/prober.ts) checks every waiting name in turn at
 * `DNS_PROBE_RATE` queries a second, each at most every 500 ms: with N names waiting, each is checked
 * about every max(N / rate, 0.5 s), and that is the bound on the delay between a name starting to
 * resolve and the job hearing of it (the detection delay; waking the job and posting take tens of ms more,
 * measured end to end by `inflight`).
 *
 * What runs, in this process: the sandbox's authoritative DNS server on loopback, svcbot's own resolver
 * (src/adapters/dns.ts, as the worker configures it with DNS_SERVERS) and its prober at the rate given.
 * N names wait at all times: when one's check passes a new name takes its place, so the prober always
 * cycles over N. A name resolves 10 to 20 probe cycles after it starts waiting (uniformly; the first N
 * over the first 15 cycles): on AWS a new load balancer's name takes tens of seconds to minutes, longer
 * than a cycle up to thousands of names, and this keeps newcomers at about N/15 a cycle. A newcomer's
 * first check is due at once, by design (its condition may hold already), so newcomers add their share to
 * the cycle: (N + N/15) / rate. The delay of a name is the moment its check passed minus the moment the
 * server started answering it; names resolving in the first cycle (warm-up) are not counted. Reported per N: p50 / p99 / max delay, the bound, the ratio p99 / bound, and the queries a
 * second the server actually answered (against the rate).
 */
import { startDnsServer, type DnsAnswerSource } from '../sandbox/dns/server.js';
import { createHostnameResolver } from '../src/adapters/dns.js';
import { defaultText } from '../src/config/settings.js';
import { createProber } from '../jobs/prober.js';
import { round2, summarize, type LatencySummary } from './stats.js';

export interface DnsBenchOptions {
  /** Names waiting at once, one run each (default 100, 500, 1000, 2500, 5000). */
  waiting?: readonly number[];
  /** DNS_PROBE_RATE (default: svcbot's). */
  ratePerSecond?: number;
  /** Delays measured per run (default 1000). */
  samples?: number;
  progress?: (line: string) => void;
  signal?: AbortSignal;
}

interface DnsRun {
  waiting: number;
  delayMs: LatencySummary;
  /** max(N / rate, the prober's 500 ms minimum interval), ms. */
  boundMs: number;
  p99OverBound: number;
  /** Queries the DNS server answered a second during the run, and the configured rate. */
  queriesPerSecond: number;
  ratePerSecond: number;
  durationS: number;
}

export interface DnsBenchResult {
  bench: 'dns';
  ratePerSecond: number;
  runs: DnsRun[];
}

/** The prober's minimum interval between two checks of one name (jobs/index.ts: the DNS prober's default). */
const MIN_INTERVAL_MS = 500;

async function oneRun(waiting: number, ratePerSecond: number, samples: number, signal?: AbortSignal): Promise<DnsRun> {
  const visibleAt = new Map<string, number>();
  let queries = 0;
  const source: DnsAnswerSource = {
    lookup(name) {
      queries += 1;
      const at = visibleAt.get(name);
      return at === undefined ? undefined : { addresses: ['127.0.0.1'], visibleAt: at };
    },
  };
  const server = await startDnsServer(source);
  const resolver = createHostnameResolver([{ host: server.host, port: server.port }]);
  const boundMs = Math.max((waiting / ratePerSecond) * 1000, MIN_INTERVAL_MS);
  const delays: number[] = [];
  let next = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const started = Date.now();
  const prober = createProber({
    name: 'dns',
    ratePerSecond,
    minIntervalMs: MIN_INTERVAL_MS,
    wake(name) {
      const at = visibleAt.get(name);
      visibleAt.delete(name);
      // Names made resolvable during warm-up are not measured (the prober is not cycling yet).
      if (at !== undefined && at >= started + boundMs) delays.push(Date.now() - at);
      if (delays.length >= samples) resolveDone();
      else add(10, 10);
    },
  });
  /** A new waiting name, resolvable `from` + [0, spread) cycles from now. */
  function add(from: number, spread: number): void {
    const name = `a${(next++).toString(36)}-1234567890.us-east-1.elb.amazonaws.com`;
    visibleAt.set(name, Date.now() + (from + Math.random() * spread) * boundMs);
    prober.register(name, async () => (await resolver.resolve4(name)).length > 0);
  }
  for (let i = 0; i < waiting; i++) add(1, 15);
  const aborted = new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true }));
  await Promise.race([done, aborted]);
  const durationS = (Date.now() - started) / 1000;
  await prober.close();
  await server.close();
  const delayMs = summarize(delays);
  return {
    waiting,
    delayMs,
    boundMs: round2(boundMs),
    p99OverBound: round2(delayMs.p99 / boundMs),
    queriesPerSecond: round2(queries / durationS),
    ratePerSecond,
    durationS: round2(durationS),
  };
}

export async function runDnsBench(options: DnsBenchOptions = {}): Promise<DnsBenchResult> {
  const ratePerSecond = options.ratePerSecond ?? Number(defaultText('jobs.dnsQueriesPerSecond'));
  const runs: DnsRun[] = [];
  for (const waiting of options.waiting ?? [100, 500, 1000, 2500, 5000]) {
    if (options.signal?.aborted) break;
    options.progress?.(`${waiting} names waiting at ${ratePerSecond} queries/s…`);
    runs.push(await oneRun(waiting, ratePerSecond, options.samples ?? 1000, options.signal));
  }
  return { bench: 'dns', ratePerSecond, runs };
}

export function formatDnsReport(result: DnsBenchResult): string {
  const rows = result.runs.map(
    (r) =>
      `| ${r.waiting} | ${Math.round(r.delayMs.p50)} / ${Math.round(r.delayMs.p99)} / ${Math.round(r.delayMs.max)} (${r.delayMs.samples}) | ${Math.round(r.boundMs)} | ${r.p99OverBound.toFixed(2)} | ${r.queriesPerSecond} | ${r.durationS} |`,
  );
  return [
    `dns — detection delay of a name that starts resolving, DNS_PROBE_RATE ${result.ratePerSecond}/s`,
    '',
    '| names waiting | delay p50 / p99 / max, ms (samples) | bound max(N/rate, 0.5 s), ms | p99 / bound | queries/s answered | run, s |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

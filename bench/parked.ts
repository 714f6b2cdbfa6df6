/**
 * `bench/parked`: what N parked jobs cost Redis, with the blanket recheck (the baseline: every parked job
 * runs again every JOB_RECHECK_INTERVAL, 2 min, in case its worker died) and with ownership (worker
 * heartbeats: a live worker's parked jobs are never rechecked; a dead worker's are adopted). Both run in the
 * same process, one after the other, on one private redis-server (bench/redis.ts), each under its own prefix.
 *
 * What runs: two job workers of the real queue adapter (`startLbWorker`, heartbeats and all) in this process,
 * and a processor that does what a load-balancer job does to the queue when it waits: save its state, then
 * park — until `now + 2 min × (1 − r/4)` (the baseline's jittered recheck; the first park spread uniformly
 * over one interval, as jobs that arrived over time are), or until its deadline (ownership: the default
 * JOB_RECHECK_INTERVAL is JOB_TIMEOUT's 15 min, so a waiting job sleeps until woken, adopted or timed out).
 * A real job's run does other things (its once guard, newest-change record, progress): ~38 commands a
 * recheck in bench/inflight, ~45 for this processor's run, so the baseline is of the same order.
 *
 * Per mode: Redis commands/s with both workers idle, then with N jobs parked (a window of `windowS`), and
 * (ownership) one worker's connections cut without hand-back: the time until each of its parked jobs has
 * run again on the other, against JOB_HEARTBEAT_INTERVAL.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { startLbWorker, type LbWorker } from '../src/adapters/queue/bullmq-worker.js';
import type { JobProcessor } from '../src/ports/jobs.js';
import { startPrivateRedis } from './redis.js';
import { round2 } from './stats.js';

const QUEUE = 'lb-jobs';
const TARGET_COMMANDS_PER_S = 300;
const BASELINE_RECHECK_MS = 120_000;
const JOB_TIMEOUT_MS = 15 * 60_000;
const HEARTBEAT_MS = 5000;

export interface ParkedBenchOptions {
  /** Parked jobs (default 10,000). */
  n?: number;
  /** The "all parked" window, s (default 30). */
  windowS?: number;
  /** The idle window, s (default 10). */
  idleS?: number;
  signal?: AbortSignal;
  progress?: (line: string) => void;
}

type Mode = 'recheck' | 'ownership';

interface ModeResult {
  mode: Mode;
  idleCommandsPerS: number;
  parkedCommandsPerS: number;
  /** Job runs (rechecks) inside the window, a second. */
  runsPerS: number;
  /** Commands a second per parked job. */
  commandsPerJobPerS: number;
  /** Ownership only: a worker's connections cut; its parked jobs all ran again this long after (ms). */
  adoption?: { jobs: number; firstMs: number; lastMs: number; heartbeatMs: number; lastOverHeartbeat: number };
}

export interface ParkedBenchResult {
  bench: 'parked';
  settings: { n: number; windowS: number; idleS: number; workers: 2; baselineRecheckS: number; timeoutS: number; heartbeatS: number };
  modes: ModeResult[];
  /** ownership ÷ recheck, parked commands/s. */
  ratio: number;
  targetCommandsPerS: number;
}

interface Data {
  requestedAt: number;
}

function processorFor(mode: Mode, runsAfter: Map<string, number>, since: { at: number }): JobProcessor<Data, never> {
  return async (ctx) => {
    if (since.at > 0 && !runsAfter.has(ctx.id)) runsAfter.set(ctx.id, Date.now() - since.at);
    const runs = ((ctx.savedState as { runs?: number } | undefined)?.runs ?? 0) + 1;
    await ctx.saveState({ runs });
    if (mode === 'ownership') return ctx.park(ctx.data.requestedAt + JOB_TIMEOUT_MS);
    const first = runs === 1;
    return ctx.park(Date.now() + Math.round(first ? Math.random() * BASELINE_RECHECK_MS : BASELINE_RECHECK_MS * (1 - Math.random() / 4)));
  };
}

export async function runParkedBench(options: ParkedBenchOptions = {}): Promise<ParkedBenchResult> {
  const n = options.n ?? 10_000;
  const windowS = options.windowS ?? 30;
  const idleS = options.idleS ?? 10;
  const progress = options.progress ?? (() => undefined);
  const logger = pino({ level: 'silent' });
  const redis = await startPrivateRedis();
  const modes: ModeResult[] = [];
  try {
    const stats = await redis.stats();
    const check = () => {
      if (options.signal?.aborted) throw new Error('interrupted');
    };
    for (const mode of ['recheck', 'ownership'] as const) {
      check();
      const prefix = `bench-${mode}`;
      let runs = 0;
      const runsAfter = new Map<string, number>();
      const since = { at: 0 };
      const inner = processorFor(mode, runsAfter, since);
      const processor: JobProcessor<Data, never> = (ctx) => {
        runs += 1;
        return inner(ctx);
      };
      const workers: LbWorker[] = [0, 1].map((i) =>
        startLbWorker<Data, never>({ connection: { url: redis.url }, queueName: QUEUE, prefix, logger, processor, concurrency: 50, heartbeatMs: HEARTBEAT_MS, name: `bench-${i}` }),
      );
      const queue = new Queue<Data>(QUEUE, { connection: { url: redis.url }, prefix });
      try {
        await Promise.all(workers.map((w) => w.ready));
        await sleep(2000);
        let before = await stats.read();
        await sleep(idleS * 1000);
        let after = await stats.read();
        const idleCommandsPerS = (after.commands - before.commands) / idleS;
        progress(`${mode}: idle ${round2(idleCommandsPerS)} commands/s; parking ${n} jobs`);
        const now = Date.now();
        for (let i = 0; i < n; i += 500) {
          const count = Math.min(500, n - i);
          await queue.addBulk(Array.from({ length: count }, (_, k) => ({ name: 'lb', data: { requestedAt: now }, opts: { jobId: `job-${i + k}`, attempts: 3 } })));
        }
        const parkedBy = Date.now() + 120_000;
        for (;;) {
          check();
          const counts = await stats.jobCounts(prefix, QUEUE);
          if (counts.delayed === n && counts.active === 0 && counts.wait === 0) break;
          if (Date.now() > parkedBy) throw new Error(`${mode}: the jobs did not all park within 2 min (${JSON.stringify(counts)})`);
          await sleep(200);
        }
        await sleep(3000);
        before = await stats.read();
        const runsBefore = runs;
        await sleep(windowS * 1000);
        after = await stats.read();
        const parkedCommandsPerS = (after.commands - before.commands) / windowS;
        const result: ModeResult = {
          mode,
          idleCommandsPerS: round2(idleCommandsPerS),
          parkedCommandsPerS: round2(parkedCommandsPerS),
          runsPerS: round2((runs - runsBefore) / windowS),
          commandsPerJobPerS: Math.round((parkedCommandsPerS / n) * 100_000) / 100_000,
        };
        progress(`${mode}: ${result.parkedCommandsPerS} commands/s with ${n} parked (${result.runsPerS} runs/s)`);
        if (mode === 'ownership') {
          const dying = workers[0]!;
          const orphaned = dying.parkedJobIds();
          since.at = Date.now();
          await dying.crash();
          const by = since.at + 10 * HEARTBEAT_MS;
          while (!orphaned.every((id) => runsAfter.has(id)) && Date.now() < by) await sleep(50);
          const delays = orphaned.map((id) => runsAfter.get(id) ?? Number.NaN);
          const lastMs = Math.max(...delays);
          result.adoption = {
            jobs: orphaned.length,
            firstMs: Math.min(...delays),
            lastMs,
            heartbeatMs: HEARTBEAT_MS,
            lastOverHeartbeat: round2(lastMs / HEARTBEAT_MS),
          };
          progress(`${mode}: a worker died with ${orphaned.length} parked jobs; all ran again after ${lastMs} ms`);
        }
        modes.push(result);
      } finally {
        for (const w of workers) await w.close();
        await queue.obliterate({ force: true }).catch(() => undefined);
        await queue.close();
      }
    }
    await stats.close();
  } finally {
    await redis.stop();
  }
  const [recheck, ownership] = modes;
  return {
    bench: 'parked',
    settings: { n, windowS, idleS, workers: 2, baselineRecheckS: BASELINE_RECHECK_MS / 1000, timeoutS: JOB_TIMEOUT_MS / 1000, heartbeatS: HEARTBEAT_MS / 1000 },
    modes,
    ratio: recheck && ownership ? Math.round((ownership.parkedCommandsPerS / recheck.parkedCommandsPerS) * 10_000) / 10_000 : Number.NaN,
    targetCommandsPerS: TARGET_COMMANDS_PER_S,
  };
}

export function formatParkedReport(r: ParkedBenchResult): string {
  const lines = [
    `parked: ${r.settings.n} parked jobs, 2 workers, one private redis-server`,
    `  mode       idle cmd/s   parked cmd/s   runs/s   cmd/s per job`,
  ];
  for (const m of r.modes) {
    lines.push(
      `  ${m.mode.padEnd(10)} ${String(m.idleCommandsPerS).padStart(10)}   ${String(m.parkedCommandsPerS).padStart(12)}   ${String(m.runsPerS).padStart(6)}   ${String(m.commandsPerJobPerS).padStart(13)}`,
    );
  }
  const own = r.modes.find((m) => m.mode === 'ownership');
  lines.push(`  ownership ÷ recheck (parked cmd/s): ${r.ratio}   target: under ${r.targetCommandsPerS} cmd/s in total (${own ? own.parkedCommandsPerS : '?'})`);
  if (own?.adoption) {
    const a = own.adoption;
    lines.push(`  a worker's connections cut with ${a.jobs} parked jobs: first ran again after ${a.firstMs} ms, last after ${a.lastMs} ms = ${a.lastOverHeartbeat} × JOB_HEARTBEAT_INTERVAL (target ≤ 2)`);
  }
  return lines.join('\n');
}

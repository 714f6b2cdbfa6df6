/**
 * `npm run bench`: runs every benchmark and prints a readable report, then one JSON line of results
 * (`{"benchmarks":[...]}`) for tools. Figures only: the exit code says whether the run worked, never
 * whether a speed target was met.
 *
 * Options: --levels 1,10,50   --samples 400   --rounds 10   --sandbox-on-main-thread   --diagnose
 * (see bench/README.md).
 */
import { parseArgs } from 'node:util';
import { formatAckReport, runAckBench } from './ack.js';

function positiveInts(text: string, what: string): number[] {
  const values = text.split(',').map((s) => Number(s.trim()));
  if (values.length === 0 || values.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new Error(`${what} must be positive integers separated by commas (got "${text}")`);
  }
  return values;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      levels: { type: 'string' },
      samples: { type: 'string' },
      rounds: { type: 'string' },
      'sandbox-on-main-thread': { type: 'boolean', default: false },
      diagnose: { type: 'boolean', default: false },
    },
  });
  const err = (line: string) => process.stderr.write(`${line}\n`);
  const ack = await runAckBench({
    ...(values.levels ? { levels: positiveInts(values.levels, '--levels') } : {}),
    ...(values.samples ? { minSamples: positiveInts(values.samples, '--samples')[0] } : {}),
    ...(values.rounds ? { minRounds: positiveInts(values.rounds, '--rounds')[0] } : {}),
    world: values['sandbox-on-main-thread'] ? 'main' : 'worker',
    diagnose: values.diagnose,
    progress: (line) => err(`[ack] ${line}`),
  });
  process.stdout.write(`${formatAckReport(ack)}\n\n${JSON.stringify({ benchmarks: [ack] })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});

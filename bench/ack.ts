/**
 * `bench/ack`: how fast svcbot acknowledges slash commands when many arrive at once, next to a bare Bolt
 * app that only acknowledges, measured in the same run.
 *
 * Layout (threads of one process): svcbot and the bare Bolt app share the main thread (only one of them
 * is busy at a time); the load generator has a worker thread, so its timings do not wait on the measured
 * event loop; the sandbox and the Slack stand-in have another (or the main thread with
 * `world: 'main'`), since in production the apiserver's work is not done by svcbot's process.
 *
 * For each concurrency level N, every round sends N signed slash commands at once to each target (the
 * order of the two alternates from round to round) and times each to its HTTP 200. After svcbot's
 * batch the round waits until the Slack stand-in has every reply — so svcbot's work after the ack is
 * done before the next batch — and deletes the Services the batch created.
 */
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import os from 'node:os';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { registerButtons } from '../handlers/buttons.js';
import { createSlackAdapters, endpointClients, startSvcbot } from '../src/app.js';
import { SLACK_EVENTS_PATH } from '../src/adapters/slack/app.js';
import { createMemoryReplayGuard } from '../src/adapters/memory/replay-guard.js';
import { createSlackChat } from '../src/adapters/slack/index.js';
import { loadConfig, type Config } from '../src/config/index.js';
import { createLogger } from '../src/logger.js';
import { startLoadClient, type BatchResult, type LoadClient } from './load.js';
import { slashCommandBody } from './slack.js';
import { round2, summarize, type LatencySummary } from './stats.js';
import { DESCRIBED_SERVICE, startWorld, startWorldInWorker, type World } from './world.js';

const SIGNING_SECRET = 'bench-signing-secret';
const BOT_TOKEN = 'xoxb-bench';
const COMMAND = '/svc';
/** Concurrency at which the issue sets its targets. */
const TARGET_CONCURRENCY = 50;
const TARGET_P99_MS = 100;
const TARGET_RATIO = 1.5;
const WARMUP_ROUNDS = 20;
/** How long svcbot may take to deliver a batch's replies before the run fails. */
const DRAIN_TIMEOUT_MS = 60_000;

export interface AckBenchOptions {
  /** Concurrency levels (default 1, 10, 25, 50, 100). */
  levels?: readonly number[];
  /** Samples per level and target, at least (default 400). */
  minSamples?: number;
  /** Rounds per level, at least (default 20), so the p99 of high levels is not one slow batch. */
  minRounds?: number;
  /** Where the sandbox and the Slack stand-in run: their own worker thread (default) or svcbot's thread. */
  world?: 'worker' | 'main';
  /**
   * Also measure svcbot's Bolt app with a listener that only acknowledges (same `createSlackApp`,
   * logger adapter, routes and button listeners): what svcbot's setup costs before `ack()`, apart from
   * the work its commands do after it.
   */
  diagnose?: boolean;
  /** Called with a line of progress now and then. */
  progress?: (line: string) => void;
}

type TargetSummary = LatencySummary & { errors: number };

interface AckLevelResult {
  concurrency: number;
  rounds: number;
  svcbot: TargetSummary;
  bare: TargetSummary;
  /** svcbot / bare Bolt. */
  ratioP50: number;
  ratioP99: number;
  /** With `diagnose`: svcbot's Bolt app whose slash-command listener only acknowledges. */
  ackOnly?: TargetSummary & { ratioP50: number; ratioP99: number };
}

interface AckTargetCheck {
  concurrency: number;
  measured: boolean;
  p99Ms: number;
  p99Met: boolean;
  ratioP99: number;
  ratioMet: boolean;
}

export interface AckBenchResult {
  bench: 'ack';
  environment: {
    node: string;
    cpus: number;
    platform: string;
    world: 'worker' | 'main';
    diagnose: boolean;
    /** 1-minute load average at the start and at the end: other work on the machine skews the figures. */
    loadAverage: [start: number, end: number];
  };
  levels: AckLevelResult[];
  target: AckTargetCheck;
  /** The mix each batch cycles through. */
  mix: string[];
  durationMs: number;
}

/** The commands a batch cycles through; `seq` makes create's Service name unique. */
const MIX: readonly ((seq: number) => string)[] = [
  () => 'list',
  () => `describe ${DESCRIBED_SERVICE}`,
  (seq) => `create ${serviceName(seq)} --selector app=alpine --port 8080:80`,
  () => 'help',
  // A typo: a usage error with a did-you-mean.
  () => 'crate web --port 80',
];

const serviceName = (seq: number) => `bench-${seq}`;

type TargetName = 'svcbot' | 'bare' | 'ackOnly';

interface Target {
  name: TargetName;
  url: string;
  stop(): Promise<void>;
}

/** A Bolt app with nothing but an acknowledging `/svc` listener, configured like svcbot's receiver. */
async function startBareBolt(slackApiUrl: string): Promise<Target> {
  const receiver = new HTTPReceiver({
    signingSecret: SIGNING_SECRET,
    endpoints: SLACK_EVENTS_PATH,
    processBeforeResponse: false,
    logLevel: LogLevel.ERROR,
  });
  const app = new App({ token: BOT_TOKEN, receiver, clientOptions: { slackApiUrl }, logLevel: LogLevel.ERROR });
  app.command(COMMAND, async ({ ack }) => {
    await ack();
  });
  const server = (await app.start({ port: 0, host: '127.0.0.1' })) as Server;
  return {
    name: 'bare',
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${SLACK_EVENTS_PATH}`,
    stop: async () => {
      await app.stop();
    },
  };
}

function benchConfig(world: World): Config {
  const { info } = world;
  return loadConfig({
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: info.slackApiUrl,
    SVCBOT_COMMAND: COMMAND,
    PORT: '0',
    CLUSTER_NAME: info.clusterName,
    AWS_REGION: info.region,
    LOG_LEVEL: 'silent',
    // The load generator is one address standing in for Slack's many: up to 100 connections at once.
    HTTP_MAX_CONNECTIONS_PER_CLIENT: '1024',
  });
}

/** svcbot as `svcbot web` wires it, against the world's sandbox and Slack stand-in, logging nothing. */
async function startSvcbotTarget(world: World): Promise<Target> {
  const { info } = world;
  const config = benchConfig(world);
  const logger = createLogger({ level: 'silent' });
  const adapters = createSlackAdapters(config, logger, {
    role: 'web',
    // The commands measured here change no load balancer: no job queue (and no Redis) in the way.
    jobs: false,
    clients: endpointClients({ kubeconfigYaml: info.kubeconfigYaml, elbEndpoint: info.elbEndpoint, ec2Endpoint: info.ec2Endpoint, region: info.region }),
  });
  const running = await startSvcbot(config, adapters, 'web');
  return { name: 'svcbot', url: `http://127.0.0.1:${running.port}${SLACK_EVENTS_PATH}`, stop: () => running.stop() };
}

/** svcbot's Slack chat (Bolt app, transport, button listeners), set up as svcbot sets it up, but its slash command does nothing after the ack. */
async function startAckOnlySvcbot(world: World): Promise<Target> {
  const config = benchConfig(world);
  const logger = createLogger({ level: 'silent' });
  const chat = createSlackChat({ slack: config.slack, http: config.http, replayGuard: createMemoryReplayGuard(), port: 0, logger });
  chat.transport.onCommand(COMMAND, () => Promise.resolve());
  registerButtons(chat.transport, { handle: () => Promise.reject(new Error('no button is pressed in this benchmark')), replies: chat.replies, logger, commandName: '/svc' });
  const { port } = await chat.transport.start();
  return {
    name: 'ackOnly',
    url: `http://127.0.0.1:${port ?? 0}${SLACK_EVENTS_PATH}`,
    stop: () => chat.transport.stop(),
  };
}

class Runner {
  private seq = 0;

  constructor(
    private readonly world: World,
    private readonly client: LoadClient,
  ) {}

  /** One batch of `n` simultaneous commands at `target`; for svcbot, waits for its replies and cleans up. */
  async batch(target: Target, n: number, offset: number): Promise<BatchResult> {
    const ids: string[] = [];
    const created: string[] = [];
    const bodies: string[] = [];
    for (let i = 0; i < n; i++) {
      const seq = ++this.seq;
      const kind = (offset + i) % MIX.length;
      const text = (MIX[kind] ?? MIX[0]!)(seq);
      if (text.startsWith('create ')) created.push(serviceName(seq));
      // One id per command: its response_url and its channel, so either kind of reply is counted.
      const id = `CB${seq}`;
      ids.push(id);
      bodies.push(
        slashCommandBody({
          command: COMMAND,
          text,
          response_url: `${this.world.info.responseUrlBase}${id}`,
          channel_id: id,
          user_id: 'U0BENCH',
        }),
      );
    }
    const result = await this.client.sendBatch({ url: target.url, signingSecret: SIGNING_SECRET, bodies });
    if (target.name === 'svcbot') {
      // Only the acknowledged commands will be answered.
      const answered = ids.filter((_, i) => result.statuses[i] === 200);
      await this.world.waitForReplies(answered, DRAIN_TIMEOUT_MS);
      if (created.length > 0) await this.world.deleteServices(created);
    }
    return result;
  }
}

function roundsFor(n: number, minSamples: number, minRounds: number): number {
  return Math.max(minRounds, Math.ceil(minSamples / n));
}

/** Runs the benchmark; everything it starts is stopped before it returns or throws. */
export async function runAckBench(options: AckBenchOptions = {}): Promise<AckBenchResult> {
  const levels = options.levels ?? [1, 10, 25, 50, 100];
  const minSamples = options.minSamples ?? 400;
  const minRounds = options.minRounds ?? 20;
  const worldPlace = options.world ?? 'worker';
  const diagnose = options.diagnose ?? false;
  const progress = options.progress ?? (() => undefined);
  const started = performance.now();
  const loadAtStart = os.loadavg()[0] ?? Number.NaN;

  const cleanups: (() => Promise<void>)[] = [];
  try {
    const world = worldPlace === 'main' ? await startWorld() : await startWorldInWorker();
    cleanups.push(() => world.close());
    const client = startLoadClient();
    cleanups.push(() => client.close());
    const svcbot = await startSvcbotTarget(world);
    cleanups.push(() => svcbot.stop());
    const bare = await startBareBolt(world.info.slackApiUrl);
    cleanups.push(() => bare.stop());
    const targets = [svcbot, bare];
    if (diagnose) {
      const ackOnly = await startAckOnlySvcbot(world);
      cleanups.push(() => ackOnly.stop());
      targets.push(ackOnly);
    }
    const runner = new Runner(world, client);

    progress('warming up');
    // Until the JIT has settled: svcbot's first rounds at full load are markedly slower than later ones.
    const warmupN = Math.max(...levels, 25);
    for (let r = 0; r < WARMUP_ROUNDS; r++) {
      for (const target of targets) await runner.batch(target, warmupN, r);
    }

    const results: AckLevelResult[] = [];
    for (const n of levels) {
      const rounds = roundsFor(n, minSamples, minRounds);
      const samples: Record<TargetName, number[]> = { svcbot: [], bare: [], ackOnly: [] };
      const errors: Record<TargetName, number> = { svcbot: 0, bare: 0, ackOnly: 0 };
      // One unrecorded round per target: connections for this level are opened (or re-opened after
      // the server closed idle ones) outside the measurement.
      for (const target of targets) await runner.batch(target, n, 0);
      for (let r = 0; r < rounds; r++) {
        // Each round starts with the next target, so slow drift affects all of them alike.
        const order = targets.map((_, i) => targets[(i + r) % targets.length] ?? svcbot);
        for (const target of order) {
          const result = await runner.batch(target, n, r);
          result.statuses.forEach((status, i) => {
            if (status === 200) samples[target.name].push(result.ms[i] ?? Number.NaN);
            else errors[target.name] += 1;
          });
        }
      }
      const s = summarize(samples.svcbot);
      const b = summarize(samples.bare);
      const level: AckLevelResult = {
        concurrency: n,
        rounds,
        svcbot: { ...s, errors: errors.svcbot },
        bare: { ...b, errors: errors.bare },
        ratioP50: s.p50 / b.p50,
        ratioP99: s.p99 / b.p99,
      };
      if (diagnose) {
        const a = summarize(samples.ackOnly);
        level.ackOnly = { ...a, errors: errors.ackOnly, ratioP50: a.p50 / b.p50, ratioP99: a.p99 / b.p99 };
      }
      results.push(level);
      progress(
        `N=${n}: svcbot p50 ${s.p50.toFixed(1)} ms p99 ${s.p99.toFixed(1)} ms, bare p50 ${b.p50.toFixed(1)} ms p99 ${b.p99.toFixed(1)} ms` +
          (level.ackOnly ? `, ack-only svcbot p50 ${level.ackOnly.p50.toFixed(1)} ms p99 ${level.ackOnly.p99.toFixed(1)} ms` : ''),
      );
    }

    const at = results.find((l) => l.concurrency === TARGET_CONCURRENCY);
    const target: AckTargetCheck = {
      concurrency: TARGET_CONCURRENCY,
      measured: at !== undefined,
      p99Ms: at ? round2(at.svcbot.p99) : Number.NaN,
      p99Met: at !== undefined && at.svcbot.p99 < TARGET_P99_MS,
      ratioP99: at ? round2(at.ratioP99) : Number.NaN,
      ratioMet: at !== undefined && at.ratioP99 < TARGET_RATIO,
    };
    return {
      bench: 'ack',
      environment: {
        node: process.version,
        cpus: os.availableParallelism(),
        platform: `${os.platform()} ${os.arch()}`,
        world: worldPlace,
        diagnose,
        loadAverage: [round2(loadAtStart), round2(os.loadavg()[0] ?? Number.NaN)],
      },
      levels: results.map(roundLevel),
      target,
      mix: MIX.map((f) => f(0).replace('bench-0', 'bench-<i>')),
      durationMs: Math.round(performance.now() - started),
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

function roundSummary<T extends TargetSummary>(s: T): T {
  return { ...s, p50: round2(s.p50), p99: round2(s.p99), max: round2(s.max), mean: round2(s.mean) };
}

function roundLevel(l: AckLevelResult): AckLevelResult {
  return {
    ...l,
    svcbot: roundSummary(l.svcbot),
    bare: roundSummary(l.bare),
    ratioP50: round2(l.ratioP50),
    ratioP99: round2(l.ratioP99),
    ...(l.ackOnly
      ? { ackOnly: { ...roundSummary(l.ackOnly), ratioP50: round2(l.ackOnly.ratioP50), ratioP99: round2(l.ackOnly.ratioP99) } }
      : {}),
  };
}

/** The human-readable report. */
export function formatAckReport(r: AckBenchResult): string {
  const pad = (s: string, w: number) => s.padStart(w);
  const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');
  const x = (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)}x` : '-');
  const lines = [
    `ack: N simultaneous signed slash commands, time to the HTTP 200 (the ack), in ms`,
    `  node ${r.environment.node}, ${r.environment.cpus} CPUs (load average ${r.environment.loadAverage.join(' -> ')}), ` +
      `sandbox on ${r.environment.world === 'worker' ? 'a worker thread' : "svcbot's thread"}`,
    `  mix: ${r.mix.join(' | ')}`,
    '',
    `${pad('N', 5)} ${pad('samples', 8)} | ${pad('svcbot p50', 10)} ${pad('p99', 7)} ${pad('max', 7)} | ${pad('bare p50', 9)} ${pad('p99', 7)} ${pad('max', 7)} | ${pad('ratio p50', 9)} ${pad('p99', 7)} | errors`,
  ];
  for (const l of r.levels) {
    lines.push(
      `${pad(String(l.concurrency), 5)} ${pad(String(l.svcbot.samples), 8)} | ${pad(ms(l.svcbot.p50), 10)} ${pad(ms(l.svcbot.p99), 7)} ${pad(ms(l.svcbot.max), 7)} | ` +
        `${pad(ms(l.bare.p50), 9)} ${pad(ms(l.bare.p99), 7)} ${pad(ms(l.bare.max), 7)} | ${pad(x(l.ratioP50), 9)} ${pad(x(l.ratioP99), 7)} | ` +
        `${l.svcbot.errors + l.bare.errors === 0 ? 'none' : `svcbot ${l.svcbot.errors}, bare ${l.bare.errors}`}`,
    );
  }
  if (r.levels.some((l) => l.ackOnly)) {
    lines.push(
      '',
      "diagnosis: svcbot's Bolt app (createSlackApp, logger adapter, routes, buttons) whose /svc listener only acks",
      `${pad('N', 5)} ${pad('samples', 8)} | ${pad('ack-only p50', 12)} ${pad('p99', 7)} ${pad('max', 7)} | ${pad('ratio p50', 9)} ${pad('p99', 7)} | errors`,
    );
    for (const l of r.levels) {
      const a = l.ackOnly;
      if (!a) continue;
      lines.push(
        `${pad(String(l.concurrency), 5)} ${pad(String(a.samples), 8)} | ${pad(ms(a.p50), 12)} ${pad(ms(a.p99), 7)} ${pad(ms(a.max), 7)} | ` +
          `${pad(x(a.ratioP50), 9)} ${pad(x(a.ratioP99), 7)} | ${a.errors === 0 ? 'none' : String(a.errors)}`,
      );
    }
  }
  const t = r.target;
  lines.push('');
  const busiest = Math.max(...r.environment.loadAverage);
  if (busiest > r.environment.cpus) {
    lines.push(
      `warning: the machine was busy (load average up to ${busiest} on ${r.environment.cpus} CPUs): one descheduled batch sets a level's p99, so p99 figures and their ratios are unreliable; p50 holds up better`,
    );
  }
  if (!t.measured) {
    lines.push(`targets (at N=${t.concurrency}): not measured in this run`);
  } else {
    lines.push(
      `target p99 < ${TARGET_P99_MS} ms at N=${t.concurrency}: ${t.p99Met ? 'met' : 'NOT met'} (svcbot p99 ${ms(t.p99Ms)} ms)`,
      `target p99 ratio to bare Bolt < ${TARGET_RATIO} at N=${t.concurrency}: ${t.ratioMet ? 'met' : 'NOT met'} (${x(t.ratioP99)})`,
    );
  }
  lines.push(`(${(r.durationMs / 1000).toFixed(1)} s)`);
  return lines.join('\n');
}

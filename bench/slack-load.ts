/**
 * `slack`: svcbot's Slack traffic for N load-balancer jobs against a Slack stand-in that enforces Slack's
 * limits (slack-limits.ts: chat.postMessage ~1/s per channel, chat.update ~50/min, 429 + Retry-After):
 * all N jobs in one channel, then spread over 20 channels.
 *
 * What runs (one process): svcbot's real Slack replies (src/adapters/slack: the send queue, a WebClient
 * that hands 429s back) and a real progress board (jobs/progress-board.ts, one update a second per
 * message at most), driven by N simulated jobs that do what a load-balancer job does in Slack: post the
 * progress message in the background and start working at once (as runLbJob does), show a new state at
 * each step while AWS works (a random 5–20 s) once the message exists, then post the endpoint message in
 * its thread (digestible; in the channel if the progress message is not posted within 2 s, as runLbJob's
 * threadWaitMs) and show the final state. No Kubernetes, AWS or Redis: this measures Slack's side alone.
 *
 * Each run is made twice in the same bench: against Slack without its limits (a send queue not pacing:
 * the baseline) and with them. A run ends when every job's final state is shown, or `drainS` after the
 * last endpoint message (at 1,000 jobs the final states alone take ~20 minutes at chat.update's ~50 a
 * minute): what is still to come then is counted, not waited for.
 *
 * Figures: the endpoint message's delay after its job is ready (p50/p99/max), the job's start delay
 * (before its first action), its progress message's delay (waiting for the channel), Slack calls per job
 * by method (made, and still to come at the cutoff), 429s, digests, the heap's peak.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LogLevel, WebClient } from '@slack/web-api';
import { createProgressBoard } from '../jobs/progress-board.js';
import { createSlackReplies } from '../src/adapters/slack/replies.js';
import { createSendQueue } from '../src/adapters/slack/send-queue.js';
import { createSlackLimiter, SLACK_LIMITS } from './slack-limits.js';
import { closeServer } from './servers.js';
import { round2, summarize, type LatencySummary } from './stats.js';

/**
 * A lean Slack stand-in, enforcing SLACK_LIMITS when `enforce` (else Slack without its limits, the
 * baseline): counts what it took and refused.
 */
async function startLimitedSlack(enforce: boolean): Promise<{ apiUrl: string; accepted: Record<string, number>; refused: Record<string, number>; close(): Promise<void> }> {
  const limiter = createSlackLimiter(enforce ? SLACK_LIMITS : { methods: {} });
  const accepted: Record<string, number> = {};
  const refused: Record<string, number> = {};
  let ts = 1_700_000_000;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0] ?? '';
      const body = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      const channel = body.channel ?? '';
      const admission = limiter.admit(method, channel);
      if (!admission.ok) {
        refused[method] = (refused[method] ?? 0) + 1;
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(admission.retryAfterSeconds) });
        res.end('{"ok":false,"error":"ratelimited"}');
        return;
      }
      accepted[method] = (accepted[method] ?? 0) + 1;
      ts += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, channel, ts: body.ts ?? `${ts}.000100` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`,
    accepted,
    refused,
    close: async () => {
      server.closeAllConnections();
      await closeServer(server);
    },
  };
}

interface SlackScenarioResult {
  jobs: number;
  channels: number;
  /** Slack's limits enforced (the stand-in) and paced to (the send queue); false: the baseline without them. */
  limits: boolean;
  /** From the first job to the last endpoint message. */
  endpointsS: number;
  /** From the first job to the end of the run (every call made, or the drain's cutoff). */
  wallS: number;
  /** Endpoint message accepted by Slack, after the job was ready (ms). */
  endpointDelayMs: LatencySummary;
  /** The job's first action, after it was asked for (ms). */
  startDelayMs: LatencySummary;
  /** The job's progress message posted, after it was asked for (ms), of those posted by the end of the run. */
  progressPostedMs: LatencySummary;
  /** Calls Slack took, per job, by method (by the end of the run). */
  callsPerJob: Record<string, number>;
  /**
   * Calls still to come at the drain's cutoff, per job, by method: a progress message not posted yet is one
   * post and its final state one update; a posted one whose final state is not shown yet, one update.
   */
  toComePerJob: Record<string, number>;
  rateLimited: Record<string, number>;
  digests: number;
  /** Progress messages given up (the job ended, its endpoint in the channel, before its message was posted). */
  givenUp: number;
  /** The process's heap at its highest during the run (sampled each second), MB. */
  peakHeapMb: number;
}

export interface SlackBenchResult {
  bench: 'slack';
  scenarios: SlackScenarioResult[];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const STEPS = ['Service', 'load balancer', 'instances in service', 'DNS'];

interface ScenarioOptions {
  jobs: number;
  channels: number;
  limits: boolean;
  /** After the last endpoint message, the longest the run waits for the other calls (progress messages, final states). */
  drainS: number;
  progress: (line: string) => void;
}

async function runScenario({ jobs, channels, limits, drainS, progress }: ScenarioOptions): Promise<SlackScenarioResult> {
  const slack = await startLimitedSlack(limits);
  // No retries of the WebClient's own: calls still queued when the run stops fail at once against the closed stand-in.
  const client = new WebClient('xoxb-bench', { slackApiUrl: slack.apiUrl, rejectRateLimitedCalls: true, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR });
  const replies = createSlackReplies(client, {}, createSendQueue({ pacing: limits }));
  const board = createProgressBoard({ replies, minIntervalMs: 1000, closeWaitMs: 0 });
  const endpointDelays: number[] = [];
  const startDelays: number[] = [];
  const progressDelays: number[] = [];
  let progressPosted = 0;
  let givenUp = 0;
  let finalsShown = 0;
  let stopped = false;
  const finals: Promise<void>[] = [];
  const started = Date.now();

  const job = async (i: number) => {
    const channel = `C${String(i % channels).padStart(3, '0')}`;
    const asked = Date.now();
    const key = `job-${i}:progress`;
    const posted = board.postProgress(key, (signal) =>
      replies.post(channel, { text: `Load balancer for default/job-${i}: queued`, blocks: [] }, { priority: 'progress', signal }).then(
        (ref) => {
          if (!ref) {
            if (signal.aborted) return undefined; // given up: the job ended, its endpoint in the channel
            throw new Error('the progress message was not posted');
          }
          progressDelays.push(Date.now() - asked);
          progressPosted += 1;
          return ref;
        },
        (err: unknown) => {
          if (!stopped) throw err;
          return undefined; // the run stopped (the drain's cutoff): not posted
        },
      ),
    );
    startDelays.push(Date.now() - asked); // the job's first action comes now, not after its message
    const workMs = 5000 + Math.random() * 15_000;
    for (const step of STEPS) {
      const message = { text: `Load balancer for default/job-${i}: ${step}…`, blocks: [] };
      void posted.then((ref) => (ref ? board.show(ref, message) : undefined));
      await sleep(workMs / STEPS.length);
    }
    const ready = Date.now();
    const parent = board.progressPosting(key) ? await Promise.race([posted, sleep(2000).then(() => undefined)]) : await posted;
    await replies.post(channel, { text: `<@U${i}> default/job-${i} is reachable at: job-${i}.elb:80`, blocks: [] }, { ...(parent ? { threadTs: parent.ts } : {}), digest: 'results' });
    endpointDelays.push(Date.now() - ready);
    // As runLbJob: the endpoint went in the channel while the progress message still waits: give it up.
    if (!parent && board.cancelProgress(key)) givenUp += 1;
    // The final state waits for its message, and for the update lane: the run does not wait for it beyond the drain.
    finals.push(
      posted.then(async (ref) => {
        if (!ref) return;
        await board.show(ref, { text: `Load balancer for default/job-${i}: ready`, blocks: [] }, { final: true });
        if (!stopped) finalsShown += 1;
      }),
    );
  };

  let peakHeap = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 1000);
  const ticker = setInterval(
    () => progress(`${jobs} jobs, ${channels} channel(s)${limits ? '' : ', no limits'}: ${endpointDelays.length} endpoints, ${progressPosted} progress messages, ${finalsShown} final states`),
    10_000,
  );
  let endpointsAt: number;
  try {
    await Promise.all(Array.from({ length: jobs }, (_, i) => job(i)));
    endpointsAt = Date.now();
    let cutoff: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(finals),
      new Promise<void>((resolve) => {
        cutoff = setTimeout(resolve, drainS * 1000);
      }),
    ]);
    clearTimeout(cutoff);
  } finally {
    stopped = true;
    clearInterval(ticker);
    clearInterval(sampler);
    await board.close();
    await slack.close();
  }
  const wallS = (Date.now() - started) / 1000;
  const posts = slack.accepted['chat.postMessage'] ?? 0;
  // Posts beyond one progress and one endpoint message a job are none; fewer than the two a job are digests' saving.
  const digests = Math.max(0, progressPosted + jobs - posts);
  const perJob = (n: number) => round2(n / jobs);
  const callsPerJob = Object.fromEntries(Object.entries(slack.accepted).map(([method, n]) => [method, perJob(n)]));
  // A progress message given up costs nothing more; one still waiting, a post and its final state.
  const toComePerJob = { 'chat.postMessage': perJob(jobs - givenUp - progressPosted), 'chat.update': perJob(jobs - givenUp - finalsShown) };
  return {
    jobs,
    channels,
    limits,
    endpointsS: round2((endpointsAt - started) / 1000),
    wallS: round2(wallS),
    endpointDelayMs: summarize(endpointDelays),
    startDelayMs: summarize(startDelays),
    progressPostedMs: summarize(progressDelays),
    callsPerJob,
    toComePerJob,
    rateLimited: slack.refused,
    digests,
    givenUp,
    peakHeapMb: round2(peakHeap / 1024 / 1024),
  };
}

export interface SlackBenchOptions {
  /** Jobs a run. Default 1,000. */
  jobs?: number;
  /** One run per channel count (the jobs spread evenly). Default 1 and 20. */
  channels?: readonly number[];
  /** Seconds a run waits after its last endpoint message for the other calls. Default 30. */
  drainS?: number;
  progress: (line: string) => void;
}

export async function runSlackBench(opts: SlackBenchOptions): Promise<SlackBenchResult> {
  const jobs = opts.jobs ?? 1000;
  const drainS = opts.drainS ?? 30;
  const scenarios: SlackScenarioResult[] = [];
  for (const channels of opts.channels ?? [1, 20]) {
    // The baseline first: the same jobs against a Slack without limits (and a send queue not pacing).
    for (const limits of [false, true]) {
      opts.progress(`${jobs} jobs over ${channels} channel(s)${limits ? ", Slack's limits enforced" : ', no limits (baseline)'}…`);
      scenarios.push(await runScenario({ jobs, channels, limits, drainS, progress: opts.progress }));
    }
  }
  return { bench: 'slack', scenarios };
}

const ms = (s: LatencySummary) => `p50 ${Math.round(s.p50)} ms, p99 ${Math.round(s.p99)} ms, max ${Math.round(s.max)} ms`;

const calls = (perJob: Record<string, number>) => Object.entries(perJob).map(([m, n]) => `${m} ${n}`).join(', ') || 'none';
const total = (perJob: Record<string, number>) => Object.values(perJob).reduce((a, b) => a + b, 0);
const ratio = (a: number, b: number) => (b > 0 ? `${round2(a / b)}×` : 'n/a');

export function formatSlackReport(r: SlackBenchResult): string {
  const lines = ["slack — N jobs' Slack traffic under Slack's limits (chat.postMessage ~1/s per channel, chat.update ~50/min); baseline: the same jobs, no limits"];
  for (const s of r.scenarios) {
    const base = s.limits ? r.scenarios.find((b) => !b.limits && b.jobs === s.jobs && b.channels === s.channels) : undefined;
    const cut = total(s.toComePerJob) > 0;
    lines.push(
      `  ${s.jobs} jobs in ${s.channels} channel(s), ${s.limits ? "Slack's limits" : 'no limits (baseline)'}: last endpoint at ${s.endpointsS} s, run ${s.wallS} s${cut ? ' (stopped at the drain cutoff)' : ''}; peak heap ${s.peakHeapMb} MB`,
      `    endpoint message after ready: ${ms(s.endpointDelayMs)}${base ? ` (p99 ${ratio(s.endpointDelayMs.p99, base.endpointDelayMs.p99)} the baseline's ${Math.round(base.endpointDelayMs.p99)} ms)` : ''}`,
      `    job start (first action) after asked: ${ms(s.startDelayMs)}`,
      `    progress message posted after asked (the job works meanwhile), ${s.progressPostedMs.samples} posted, ${s.givenUp} given up: ${ms(s.progressPostedMs)}`,
      `    Slack calls per job: ${calls(s.callsPerJob)} (total ${round2(total(s.callsPerJob))}${base ? `, ${ratio(total(s.callsPerJob), total(base.callsPerJob))} the baseline's ${round2(total(base.callsPerJob))}` : ''}); 429s: ${JSON.stringify(s.rateLimited)}; posts saved by digests: ${s.digests}`,
      ...(cut ? [`    still to come at the cutoff, per job: ${calls(s.toComePerJob)}`] : []),
    );
  }
  return lines.join('\n');
}

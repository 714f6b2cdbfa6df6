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
 * Figures: the endpoint message's delay after its job is ready (p50/p99/max), the job's start delay
 * (before its first action), its progress message's delay (waiting for the channel), Slack calls per job
 * by method, 429s, digests.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LogLevel, WebClient } from '@slack/web-api';
import { createProgressBoard } from '../jobs/progress-board.js';
import { createSlackReplies } from '../src/adapters/slack/replies.js';
import { createSlackLimiter, SLACK_LIMITS } from './slack-limits.js';
import { closeServer } from './servers.js';
import { round2, summarize, type LatencySummary } from './stats.js';

interface Accepted {
  method: string;
  channel: string;
  at: number;
}

/** A lean Slack stand-in enforcing SLACK_LIMITS: counts what it took and refused. */
async function startLimitedSlack(): Promise<{ apiUrl: string; accepted: Accepted[]; refused: Record<string, number>; close(): Promise<void> }> {
  const limiter = createSlackLimiter(SLACK_LIMITS);
  const accepted: Accepted[] = [];
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
      accepted.push({ method, channel, at: Date.now() });
      ts += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, channel, ts: body.ts ?? `${ts}.000100` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`, accepted, refused, close: () => closeServer(server) };
}

interface SlackScenarioResult {
  jobs: number;
  channels: number;
  wallS: number;
  /** Endpoint message accepted by Slack, after the job was ready (ms). */
  endpointDelayMs: LatencySummary;
  /** The job's first action, after it was asked for (ms). */
  startDelayMs: LatencySummary;
  /** The job's progress message posted, after it was asked for (ms): the channel's queue (the job works meanwhile). */
  progressPostedMs: LatencySummary;
  callsPerJob: Record<string, number>;
  rateLimited: Record<string, number>;
  digests: number;
}

export interface SlackBenchResult {
  bench: 'slack';
  scenarios: SlackScenarioResult[];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const STEPS = ['Service', 'load balancer', 'instances in service', 'DNS'];

async function runScenario(jobs: number, channels: number, progress: (line: string) => void): Promise<SlackScenarioResult> {
  const slack = await startLimitedSlack();
  const client = new WebClient('xoxb-bench', { slackApiUrl: slack.apiUrl, rejectRateLimitedCalls: true, logLevel: LogLevel.ERROR });
  const replies = createSlackReplies(client);
  const board = createProgressBoard({ replies, minIntervalMs: 1000 });
  const endpointDelays: number[] = [];
  const startDelays: number[] = [];
  const progressDelays: number[] = [];
  const started = Date.now();

  const job = async (i: number) => {
    const channel = `C${String(i % channels).padStart(3, '0')}`;
    const asked = Date.now();
    const key = `job-${i}:progress`;
    const posted = board.postProgress(key, () =>
      replies.post(channel, { text: `Load balancer for default/job-${i}: queued`, blocks: [] }, { priority: 'progress' }).then((ref) => {
        if (!ref) throw new Error('the progress message was not posted');
        progressDelays.push(Date.now() - asked);
        return ref;
      }),
    );
    startDelays.push(Date.now() - asked); // the job's first action comes now, not after its message
    const workMs = 5000 + Math.random() * 15_000;
    for (const step of STEPS) {
      const message = { text: `Load balancer for default/job-${i}: ${step}…`, blocks: [] };
      void posted.then((ref) => board.show(ref!, message));
      await sleep(workMs / STEPS.length);
    }
    const ready = Date.now();
    const parent = board.progressPosting(key) ? await Promise.race([posted, sleep(2000).then(() => undefined)]) : await posted;
    await replies.post(channel, { text: `<@U${i}> default/job-${i} is reachable at: job-${i}.elb:80`, blocks: [] }, { ...(parent ? { threadTs: parent.ts } : {}), digest: 'results' });
    endpointDelays.push(Date.now() - ready);
    const ref = (await posted)!;
    await board.show(ref, { text: `Load balancer for default/job-${i}: ready`, blocks: [] }, { final: true });
  };

  const ticker = setInterval(() => progress(`${channels} channel(s): ${endpointDelays.length}/${jobs} endpoints posted`), 10_000);
  try {
    await Promise.all(Array.from({ length: jobs }, (_, i) => job(i)));
    await board.close();
  } finally {
    clearInterval(ticker);
    await slack.close();
  }
  const wallS = (Date.now() - started) / 1000;
  const callsPerJob: Record<string, number> = {};
  for (const call of slack.accepted) callsPerJob[call.method] = (callsPerJob[call.method] ?? 0) + 1;
  // Posts beyond one progress and one endpoint message a job are none; fewer posts than 2 a job are digests' saving.
  const digests = Math.max(0, 2 * jobs - (callsPerJob['chat.postMessage'] ?? 0));
  for (const method of Object.keys(callsPerJob)) callsPerJob[method] = round2(callsPerJob[method]! / jobs);
  return {
    jobs,
    channels,
    wallS: round2(wallS),
    endpointDelayMs: summarize(endpointDelays),
    startDelayMs: summarize(startDelays),
    progressPostedMs: summarize(progressDelays),
    callsPerJob,
    rateLimited: slack.refused,
    digests,
  };
}

export async function runSlackBench(opts: { jobs?: number; progress: (line: string) => void }): Promise<SlackBenchResult> {
  const jobs = opts.jobs ?? 60;
  const scenarios: SlackScenarioResult[] = [];
  for (const channels of [1, 20]) {
    opts.progress(`${jobs} jobs over ${channels} channel(s)…`);
    scenarios.push(await runScenario(jobs, channels, opts.progress));
  }
  return { bench: 'slack', scenarios };
}

const ms = (s: LatencySummary) => `p50 ${Math.round(s.p50)} ms, p99 ${Math.round(s.p99)} ms, max ${Math.round(s.max)} ms`;

export function formatSlackReport(r: SlackBenchResult): string {
  const lines = ['slack — N jobs\' Slack traffic under Slack\'s limits (chat.postMessage ~1/s per channel, chat.update ~50/min)'];
  for (const s of r.scenarios) {
    lines.push(
      `  ${s.jobs} jobs in ${s.channels} channel(s), ${s.wallS} s:`,
      `    endpoint message after ready: ${ms(s.endpointDelayMs)}`,
      `    job start (first action) after asked: ${ms(s.startDelayMs)}`,
      `    progress message posted after asked (the job works meanwhile): ${ms(s.progressPostedMs)}`,
      `    Slack calls per job: ${Object.entries(s.callsPerJob).map(([m, n]) => `${m} ${n}`).join(', ')}; 429s: ${JSON.stringify(s.rateLimited)}; posts saved by digests: ${s.digests}`,
    );
  }
  return lines.join('\n');
}

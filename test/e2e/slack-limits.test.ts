/**
 * Slack's own limits enforced by the stand-in (SLACK_LIMITS: chat.postMessage ~1/s per channel,
 * chat.update ~50/min, a response_url's 5 posts): 30 load balancers asked for in one channel at once.
 * Every requester gets their endpoints within seconds of asking, though the channel takes the 30 progress
 * messages only at one a second: a job works before its progress message is posted, and an endpoint ready
 * before that message goes in the channel (alone or in a digest), otherwise in its thread — and a job
 * that ended so, its progress message still waiting for the channel, gives that message up; svcbot stays within
 * the limits (no 429 from the stand-in, each message's last state shown), and no response_url gets a 6th post.
 * The audit channel gets the 60 entries (30 changes, 30 job outcomes) as a few digests, every entry once.
 */
import { startBot, type BotUnderTest } from '../helpers/bot.js';
import { SLACK_LIMITS } from '../../bench/slack-limits.js';
import { startSlackStub, type RecordedCall, type SlackStub } from '../helpers/slack-stub.js';
import { waitFor } from '../helpers/wait.js';

const JOBS = 30;
const CHANNEL = 'CBUSY';
const AUDIT_CHANNEL = 'CAUDIT01';

let slack: SlackStub;
let bot: BotUnderTest;
beforeAll(async () => {
  slack = await startSlackStub({ limits: SLACK_LIMITS });
  // The channel takes one message a second: the last of 30 progress messages is posted ~30 s after it
  // was asked for (the jobs work meanwhile; a generous timeout all the same).
  bot = await startBot({ use: { slack }, approvals: false, env: { JOB_TIMEOUT: '5m', SVCBOT_AUDIT_CHANNEL: AUDIT_CHANNEL } });
});
afterAll(async () => {
  await bot.stop();
  await slack.close();
});

const accepted = (method: string) => (c: RecordedCall) => c.method === method && c.limited !== true;
const text = (c: RecordedCall) => String(c.body.text);

test(`${JOBS} load balancers in one channel under Slack's limits`, async () => {
  const names = Array.from({ length: JOBS }, (_, i) => `busy-${i}`);
  const users = names.map((_, i) => `UREQ${i}`);
  const asked = Date.now();
  await Promise.all(names.map((name, i) => bot.command(`create ${name} --selector app=alpine --port 8080:80 --type lb`, { user_id: users[i]!, channel_id: CHANNEL })));

  const endpointOf = (name: string) => slack.calls.find((c) => accepted('chat.postMessage')(c) && text(c).includes(`default/${name}\` is reachable at`));
  await waitFor(() => names.every((name) => endpointOf(name)), { what: `the ${JOBS} endpoint messages`, timeoutMs: 90_000 });
  const progressOf = (name: string) =>
    slack.calls.find((c) => accepted('chat.postMessage')(c) && c.body.thread_ts === undefined && text(c).includes(`Load balancer for \`default/${name}\``));
  // Every job has ended once its outcome is in the audit channel (below): then no progress message is still to come.
  const auditPosts = () => slack.calls.filter((c) => accepted('chat.postMessage')(c) && c.body.channel === AUDIT_CHANNEL).map(text);
  const jobsEnded = () => auditPosts().join('\n').split(':gear:').length - 1;
  await waitFor(() => jobsEnded() >= JOBS, { what: `the ${JOBS} jobs' outcomes in the audit channel`, timeoutMs: 90_000 });

  const posts = slack.calls.filter(accepted('chat.postMessage'));
  const delays: number[] = [];
  names.forEach((name, i) => {
    const endpoint = endpointOf(name)!;
    // Each requester is mentioned with their endpoints: in the thread of their job's progress message once
    // it is posted (never before it), or in the channel, alone or in a digest, if ready before it.
    expect(text(endpoint)).toContain(`<@${users[i]}> \`default/${name}\` is reachable at`);
    // In the thread only of a posted progress message; in the channel, its job's progress message was given
    // up while it waited (or was being posted at that moment).
    const progress = progressOf(name);
    if (endpoint.body.thread_ts !== undefined) {
      expect(endpoint.body.thread_ts).toBe(progress?.ts);
      expect(endpoint.at).toBeGreaterThanOrEqual(progress!.at);
    }
    delays.push(endpoint.at - asked);
  });
  // The progress messages alone take ~30 s to post at 1/s; jobs waiting for them, or endpoint messages
  // waiting behind them, would take that long. Each endpoint goes out within seconds of the request.
  delays.sort((a, b) => a - b);
  expect(delays.at(-1)).toBeLessThan(10_000);

  // Each progress message posted ends showing its job done (the final update, however many were merged before it).
  const progressTs = new Set(posts.filter((c) => c.body.channel === CHANNEL && c.body.thread_ts === undefined && text(c).startsWith('Load balancer for')).map((c) => c.ts));
  expect(progressTs.size).toBeLessThanOrEqual(JOBS);
  const givenUp = JOBS - progressTs.size;
  await waitFor(
    () => {
      const last = new Map<string, RecordedCall>();
      for (const c of slack.calls.filter(accepted('chat.update'))) last.set(String(c.body.ts), c);
      return [...progressTs].every((ts) => last.get(ts!) && JSON.stringify(last.get(ts!)!.body).includes(':large_green_circle: Ready'));
    },
    { what: 'every progress message updated to its final state', timeoutMs: 90_000 },
  );

  // Within Slack's limits: paced under them, svcbot is refused next to nothing (a request delayed on a busy
  // machine can reach the stand-in closer to the one before than it was sent: a rare 429, which only pauses
  // its lane — what came through above is complete), and chat.update calls were merged, not one per change.
  const refused = Object.values(slack.limited).reduce((sum, n) => sum + n, 0);
  expect(refused).toBeLessThanOrEqual(2);
  const updates = slack.calls.filter(accepted('chat.update')).length;
  expect(updates).toBeLessThanOrEqual(JOBS * 4);
  // No response_url got a 6th post.
  const perUrl = new Map<string, number>();
  for (const c of slack.calls) if (c.method === 'response_url') perUrl.set(c.responseId!, (perUrl.get(c.responseId!) ?? 0) + 1);
  expect(Math.max(...perUrl.values())).toBeLessThanOrEqual(5);
  // The audit channel: each job's change and outcome, once each, in a few messages (60 at Slack's one a
  // second would take a minute; a burst of entries within 2 s is one digest).
  const audit = auditPosts().join('\n');
  expect(jobsEnded()).toBe(JOBS);
  for (const name of names) expect(audit.split(`default/${name}\``).length - 1).toBe(2); // its change and its job's end
  expect(auditPosts().length).toBeLessThan(JOBS);
  // Slack calls per job, for the report.
  const digests = posts.filter((c) => /^\d+ results:/.test(text(c))).length;
  const perJob = slack.calls.filter((c) => c.limited !== true && c.method !== 'auth.test').length / JOBS;
  process.stdout.write(
    `slack limits e2e: ${JOBS} jobs, endpoint message after the request p50 ${delays[Math.floor(JOBS / 2)]} ms, max ${delays.at(-1)} ms; ${updates} chat.update; ${digests} digest(s); ${perJob.toFixed(2)} Slack calls per job; ${2 * JOBS} audit entries in ${auditPosts().length} message(s); ${givenUp} progress message(s) given up\n`,
  );
}, 200_000);

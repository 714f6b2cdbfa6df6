/**
 * Gauges read at scrape time (the Prometheus adapter): each read sets its series; a read that fails or
 * does not answer leaves no sample (rather than a stale or wrong one); Slack requests are counted by
 * method and result; adopted jobs are counted.
 */
import { createPrometheusMetrics } from '../../../src/adapters/metrics/prometheus.js';

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('the job counts set svcbot_jobs by state and svcbot_jobs_parked; an unknown count leaves no sample', async () => {
  const metrics = createPrometheusMetrics();
  let counts: Promise<{ waiting: number; active: number; parked: number }> = Promise.resolve({ waiting: 2, active: 1, parked: 3 });
  metrics.observe('jobs', () => counts);
  const first = (await metrics.scrape()).text;
  expect(sample(first, 'svcbot_jobs_parked')).toBe(3);
  expect(sample(first, 'svcbot_jobs{state="waiting"}')).toBe(2);
  expect(sample(first, 'svcbot_jobs{state="active"}')).toBe(1);
  expect(sample(first, 'svcbot_jobs{state="parked"}')).toBe(3);

  counts = Promise.reject(new Error('queue_unavailable'));
  const unknown = (await metrics.scrape()).text;
  expect(sample(unknown, 'svcbot_jobs_parked')).toBeUndefined();
  expect(unknown).not.toMatch(/^svcbot_jobs\{/m);
});

test('adopted jobs are counted (svcbot_jobs_adopted_total), from no adoption at 0', async () => {
  const metrics = createPrometheusMetrics();
  expect(sample((await metrics.scrape()).text, 'svcbot_jobs_adopted_total')).toBe(0);
  metrics.jobsAdopted(30);
  metrics.jobsAdopted(2);
  expect(sample((await metrics.scrape()).text, 'svcbot_jobs_adopted_total')).toBe(32);
});

test('Slack requests are counted by method and result', async () => {
  const metrics = createPrometheusMetrics();
  metrics.slackRequest('chat.postMessage', 'ok');
  metrics.slackRequest('chat.postMessage', 'ok');
  metrics.slackRequest('chat.update', 'channel_not_found');
  const text = (await metrics.scrape()).text;
  expect(sample(text, 'svcbot_slack_requests_total{method="chat.postMessage",result="ok"}')).toBe(2);
  expect(sample(text, 'svcbot_slack_requests_total{method="chat.update",result="channel_not_found"}')).toBe(1);
});

test('pending approvals: the count read, or no sample while it is unknown (not 0)', async () => {
  const metrics = createPrometheusMetrics();
  let pending: Promise<number | undefined> = Promise.resolve(2);
  metrics.observe('approvals_pending', () => pending);
  expect(sample((await metrics.scrape()).text, 'svcbot_approvals_pending')).toBe(2);
  pending = Promise.resolve(undefined);
  expect(sample((await metrics.scrape()).text, 'svcbot_approvals_pending')).toBeUndefined();
  pending = Promise.resolve(0);
  expect(sample((await metrics.scrape()).text, 'svcbot_approvals_pending')).toBe(0);
});

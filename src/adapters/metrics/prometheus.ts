/**
 * The Metrics port over prom-client, in a registry of its own per process (several bots in one test
 * process do not share series), with Node.js's default process metrics. Names follow Prometheus's
 * conventions: `svcbot_` prefix, `_total` counters, base units (`_seconds`, `_usd`).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Metrics, Observed } from '../../ports/metrics.js';
import type { MetricsScrape } from '../health/routes.js';

/** A gauge read at scrape time gives up after this long (the scrape answers without it). */
const OBSERVE_TIMEOUT_MS = 1000;

async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

const JOB_STATES = ['waiting', 'active', 'parked'] as const satisfies readonly (keyof Observed['jobs'])[];

export function createPrometheusMetrics(): Metrics & MetricsScrape {
  const registers = [new Registry()];
  const [registry] = registers as [Registry];
  collectDefaultMetrics({ register: registry });
  const commands = new Counter({ name: 'svcbot_commands_total', help: 'Slash commands and button presses handled, by subcommand and result', labelNames: ['subcommand', 'result'], registers });
  const ack = new Histogram({
    name: 'svcbot_ack_seconds',
    help: "Time from a Slack request's arrival to its acknowledgement (Slack allows 3 s)",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3],
    registers,
  });
  const jobs = new Counter({ name: 'svcbot_jobs_total', help: 'Runs of load-balancer jobs, by operation and outcome', labelNames: ['operation', 'outcome'], registers });
  const steps = new Histogram({
    name: 'svcbot_job_step_seconds',
    help: "Duration of a load-balancer job's steps, from the previous step's end (waits included)",
    labelNames: ['operation', 'step'],
    buckets: [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 900],
    registers,
  });
  const kube = new Counter({ name: 'svcbot_kubernetes_requests_total', help: 'Kubernetes API requests (each attempt), by verb, resource and answer', labelNames: ['verb', 'resource', 'code'], registers });
  const aws = new Counter({ name: 'svcbot_aws_requests_total', help: 'AWS API requests (each attempt), by API, action and answer', labelNames: ['api', 'action', 'code'], registers });
  const slackRequests = new Counter({
    name: 'svcbot_slack_requests_total',
    help: "Slack Web API requests (each attempt), by method and answer (ok, Slack's error code, rate_limited, http_5xx, network…)",
    labelNames: ['method', 'result'],
    registers,
  });
  const slackLimited = new Counter({ name: 'svcbot_slack_rate_limited_total', help: 'Slack Web API calls Slack asked to wait (HTTP 429), by method', labelNames: ['method'], registers });
  const slackWait = new Counter({ name: 'svcbot_slack_rate_limit_wait_seconds_total', help: 'Time Slack asked svcbot to wait before calling again', labelNames: ['method'], registers });
  const adopted = new Counter({
    name: 'svcbot_jobs_adopted_total',
    help: "Parked load-balancer jobs this worker adopted from a worker whose heartbeat lapsed (died, or its event loop stalled)",
    registers,
  });
  const orphans = new Gauge({ name: 'svcbot_orphans', help: 'Orphaned load balancers the last orphan scan of this process found', registers });
  const orphanCost = new Gauge({ name: 'svcbot_orphans_monthly_cost_usd', help: 'Estimated monthly cost of the orphaned load balancers the last scan found (USD)', registers });
  const approvalsPending = new Gauge({ name: 'svcbot_approvals_pending', help: 'Approval requests waiting for a decision', registers });
  const jobsByState = new Gauge({ name: 'svcbot_jobs', help: 'Unfinished load-balancer jobs in the queue, by state (parked: waiting for DNS, AWS or a retry)', labelNames: ['state'], registers });
  const jobsParked = new Gauge({ name: 'svcbot_jobs_parked', help: 'Load-balancer jobs parked (waiting for DNS, AWS or a retry, holding no worker slot)', registers });
  /**
   * How each observed value is set on its gauges, and cleared when it is unknown now: no sample rather than
   * a wrong one (`remove()`: an unlabelled gauge's `reset()` would expose 0).
   */
  const setters: { [G in keyof Observed]: (value: Observed[G] | undefined) => void } = {
    approvals_pending: (value) => (value === undefined ? approvalsPending.remove() : approvalsPending.set(value)),
    jobs(counts) {
      if (counts === undefined) {
        jobsByState.reset();
        jobsParked.remove();
        return;
      }
      for (const state of JOB_STATES) jobsByState.set({ state }, counts[state]);
      jobsParked.set(counts.parked);
    },
  };
  const readers = new Map<keyof Observed, () => Promise<void>>();

  return {
    commandHandled: (subcommand, result) => commands.inc({ subcommand, result }),
    acknowledged: (seconds) => ack.observe(seconds),
    jobRun: (operation, outcome) => jobs.inc({ operation, outcome }),
    jobsAdopted: (count) => adopted.inc(count),
    jobStep: (operation, step, seconds) => steps.observe({ operation, step }, seconds),
    kubernetesRequest: (verb, resource, code) => kube.inc({ verb, resource, code }),
    awsRequest: (api, action, code) => aws.inc({ api, action, code }),
    slackRequest: (method, result) => slackRequests.inc({ method, result }),
    slackRateLimited(method, seconds) {
      slackLimited.inc({ method });
      slackWait.inc({ method }, seconds);
    },
    orphansFound(count, monthlyUsd) {
      orphans.set(count);
      orphanCost.set(monthlyUsd);
    },
    observe(gauge, read) {
      const set = setters[gauge];
      readers.set(gauge, async () => set(await within(read().catch(() => undefined), OBSERVE_TIMEOUT_MS)));
    },
    async scrape() {
      await Promise.all([...readers.values()].map((update) => update()));
      return { contentType: registry.contentType, text: await registry.metrics() };
    },
  };
}

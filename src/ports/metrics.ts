/**
 * What svcbot counts and measures, in its own words: the composition root hands one `Metrics` to the
 * adapters, handlers and jobs that have something to report, and the Prometheus adapter
 * (src/adapters/metrics/prometheus.ts) turns it into series; tests pass `noMetrics`. Every label value
 * here is from a small, fixed set (a subcommand, an outcome, a verb, an error code) — never a Service
 * name, a user, a job ID — so the number of series stays bounded.
 */
import type { LbJobCounts } from './queue.js';

/** How one run of a load-balancer job ended. */
export type JobOutcome = 'completed' | 'parked' | 'failed' | 'retried' | 'stopped';

export interface Metrics {
  /**
   * A slash command or button press was handled: its subcommand (`create`, `list`… or `unknown`) and
   * result (`ok`, `usage_error`, a BotError's code such as `forbidden`, or `error` for a bug).
   */
  commandHandled(subcommand: string, result: string): void;
  /** Slack's request was acknowledged this long after it arrived (s). */
  acknowledged(seconds: number): void;
  /** One run of a job (`provision`, `teardown`) ended so. */
  jobRun(operation: string, outcome: JobOutcome): void;
  /** A step of a job (`service`, `load-balancer`, `dns`…) took this long, from the previous step's end (s). */
  jobStep(operation: string, step: string, seconds: number): void;
  /** One Kubernetes API request: its verb, resource and answer (`200`, `404`, `ECONNRESET`). */
  kubernetesRequest(verb: string, resource: string, code: string): void;
  /** One AWS API request: the API (`elb`, `elbv2`), the action and its answer (`OK`, `Throttling`…). */
  awsRequest(api: string, action: string, code: string): void;
  /**
   * One HTTP request to Slack's Web API (each attempt): its method (`chat.postMessage`… or `unknown`) and
   * answer (`ok`, one of Slack's error codes such as `channel_not_found`, `error` for any other,
   * `rate_limited`, `http_4xx`, `http_5xx`, `timeout`, `network`).
   */
  slackRequest(method: string, result: string): void;
  /** Slack asked svcbot to wait this long before calling `method` again (s). */
  slackRateLimited(method: string, seconds: number): void;
  /** This worker adopted `count` parked jobs of a worker whose heartbeat lapsed (a dead or stalled worker). */
  jobsAdopted(count: number): void;
  /** An orphan scan found `count` orphaned load balancers costing about `monthlyUsd` a month. */
  orphansFound(count: number, monthlyUsd: number): void;
  /** Gauges read when the metrics are scraped (undefined: unknown now, e.g. Redis down): see `Observed`. */
  observe<G extends keyof Observed>(gauge: G, read: () => Promise<Observed[G] | undefined>): void;
}

/** What each gauge read at scrape time gives. */
export interface Observed {
  /** Approval requests waiting for a decision. */
  approvals_pending: number;
  /** Load-balancer jobs in the queue, by state (one read gives them all). */
  jobs: LbJobCounts;
}

/** Counts nothing: for tests and the console. */
export const noMetrics: Metrics = {
  commandHandled: () => undefined,
  acknowledged: () => undefined,
  jobRun: () => undefined,
  jobStep: () => undefined,
  kubernetesRequest: () => undefined,
  awsRequest: () => undefined,
  slackRequest: () => undefined,
  slackRateLimited: () => undefined,
  jobsAdopted: () => undefined,
  orphansFound: () => undefined,
  observe: () => undefined,
};

/**
 * What a readiness probe asks of this process's dependencies: each check says whether one of them answers
 * (Redis, a cluster's API server, Slack's verdict on the bot token). Adapters implement them; the domain's
 * readiness (src/domain/readiness.ts) runs them concurrently, bounded in time and cached.
 */
export interface ReadinessCheck {
  /** What is checked, as the probe's JSON names it: `redis`, `cluster:prod`, `slack`. */
  readonly name: string;
  /** Resolves when the dependency is ready; rejects with an Error whose message says what is wrong. */
  check(): Promise<void>;
}

/** An HTTP server of the probe endpoints alone (`svcbot worker`'s, on HEALTH_PORT). */
export interface ProbeServer {
  /** Listens; resolves with the port. */
  start(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * A rate shared by every process that spends it: Slack counts a channel's posts and the workspace's
 * updates across all of svcbot's processes, so two workers pacing alone at Slack's rate send twice it.
 * Each call takes the next free slot of its key (a generic cell rate algorithm: `burst` slots at once,
 * then one every `60 s / perMinute`), and waits until then.
 */
export interface PaceLimit {
  /** Sustained calls a minute. */
  perMinute: number;
  /** Calls at once above the sustained rate. */
  burst: number;
}

export interface SharedPace {
  /** Reserves the next free slot of `key` under `limit`: resolves with how long to wait for it (ms, 0 = now). */
  reserve(key: string, limit: PaceLimit): Promise<number>;
  close(): Promise<void>;
}

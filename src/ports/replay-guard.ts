/**
 * Which signed requests were already taken: what makes a captured Slack request worthless a second time.
 * A signed request is valid for Slack's 5-minute window; the receiver asks the guard before it acts on
 * one, and acts only when the guard says it is the first. Deciding is atomic (one `SET NX` in Redis), so
 * two web replicas on one Redis take a request once between them.
 */
export interface ReplayGuard {
  /**
   * Records `key` (an accepted request's signature) as taken for `ttlMs`; resolves true when it was not
   * taken yet (act on the request), false when it was (a replay: do nothing).
   */
  firstSeen(key: string, ttlMs: number): Promise<boolean>;
  close(): Promise<void>;
}

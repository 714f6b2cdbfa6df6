/**
 * What the team decided about orphaned load balancers, and what the last scheduled report said: kept in
 * Redis so that every replica sees the same, and updated atomically there.
 */

/** An orphan set aside for good: who, when, why. */
export interface IgnoredOrphan {
  key: string;
  /** The load balancer's name, for the list. */
  name: string;
  by: string;
  at: number;
  reason: string;
}

export interface OrphanStateStore {
  /** Leaves the load balancer out of reports until `until` (epoch ms); a later snooze replaces it. */
  snooze(key: string, until: number): Promise<void>;
  /** Sets it aside until un-ignored; `already` (the first entry kept) when it is ignored already. */
  ignore(entry: IgnoredOrphan): Promise<'ignored' | 'already'>;
  /** Takes it back into reports; false when it was not ignored. */
  unignore(key: string): Promise<boolean>;
  /** The snoozes still running at `now` (expired ones are dropped) and the ignored ones, oldest first. */
  setAside(now: number): Promise<{ snoozedUntil: Map<string, number>; ignored: IgnoredOrphan[] }>;
  /**
   * Remembers the keys a scheduled report listed and returns those of the previous one (undefined before
   * the first), in one step: two reports at once never both see the same previous list.
   */
  swapReported(keys: readonly string[]): Promise<string[] | undefined>;
}

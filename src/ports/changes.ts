/**
 * The newest change asked for on each Service, wherever it was asked (a queued job or a change made at
 * once): what tells a job that the world moved on. A job records its own request each time it runs and
 * reads back the newest one; if a newer change was asked for meanwhile, the job stands down ("superseded")
 * without touching the Service. Recording is atomic (a compare-and-set on the request time), so two web
 * replicas or a worker and the web side cannot interleave a read and a write.
 */
import type { ChangeRecord } from '../domain/changes.js';
import type { ServiceRef } from './service-watch.js';

export interface LatestChanges {
  /**
   * Records `change` as the Service's newest unless a newer one is recorded; resolves with the newest
   * (this one, or the newer one). Recording the same request again is harmless.
   */
  record(ref: ServiceRef, change: ChangeRecord): Promise<ChangeRecord>;
}

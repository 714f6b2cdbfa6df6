/**
 * Changes to Services, as a watch (or informer) sees them: what wakes jobs that wait for a load balancer's
 * hostname or for a finalizer to be cleared, instead of polling the API server per job.
 */
import type { ServiceView } from '../domain/views.js';

export interface ServiceRef {
  cluster: string;
  namespace: string;
  name: string;
}

/** `service` is the Service as last seen, undefined once it is deleted. */
export type ServiceChangeListener = (service: ServiceView | undefined, ref: ServiceRef) => void;

export interface ServiceWatch {
  /**
   * Calls `listener` whenever the Service changes (added, modified, deleted) and after every re-list (a
   * re-list may hide changes missed while the watch was down). Starts the cluster's watch on first use.
   * Returns the unsubscribe function.
   */
  subscribe(ref: ServiceRef, listener: ServiceChangeListener): () => void;
  /** The Service as the watch last saw it (undefined if unknown or deleted). */
  get(ref: ServiceRef): ServiceView | undefined;
  /** Resolves once the cluster's watch has listed its Services and is watching (starts it if need be). */
  ready(cluster: string): Promise<void>;
  close(): Promise<void>;
}

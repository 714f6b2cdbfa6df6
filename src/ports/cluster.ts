/** What svcbot's domain needs from one Kubernetes cluster. Adapters implement it; the domain never sees an SDK. */
import type { ServiceType } from '../domain/command.js';
import type { ServiceManifest } from '../domain/manifest.js';
import type { EventView, NodeView, PodEndpointView, ServiceView } from '../domain/views.js';

/**
 * How long a caller (a command) is prepared to wait while a cluster answers with transient errors (5xx,
 * throttling, resets), and who to tell meanwhile. A gateway retries the calls that are safe to repeat
 * within its own per-call deadline; one obtained with a budget also stops retrying at the budget's end.
 */
export interface RetryBudget {
  /** No retry starts that would end after this moment (epoch ms). */
  readonly deadline: number;
  /** Told before each retry's wait. */
  readonly onRetry?: (notice: RetryNotice) => void;
  /** Once aborted (a job cancelled, superseded, or its worker stopping), no retry starts and a wait ends. */
  readonly signal?: AbortSignal;
}

/** A call about to be tried again. */
export interface RetryNotice {
  /** The configured cluster's name. */
  readonly cluster: string;
  /** What failed, as a user reads it: `HTTP 500`, `HTTP 429`, `ECONNRESET`. */
  readonly problem: string;
  /** The number of the retry coming in this call (1, 2, …). */
  readonly retry: number;
  /** How long until it is tried (ms). */
  readonly waitMs: number;
}

export interface ClusterGateway {
  /** The configured cluster's name (what users type after `--cluster`). */
  readonly name: string;
  /** Creates a Service. Throws BotError `already_exists`, `invalid` (with the API's causes), `forbidden`, `cluster_unreachable`. */
  createService(manifest: ServiceManifest, opts?: { dryRun?: boolean }): Promise<ServiceView>;
  /** Throws BotError `not_found` when there is no such Service. */
  getService(namespace: string, name: string): Promise<ServiceView>;
  /** `namespace` null lists every namespace. */
  listServices(namespace: string | null): Promise<ServiceView[]>;
  /**
   * Changes a Service's type in place (a patch, not delete-and-recreate). Without `resourceVersion`, a
   * change made by someone else between svcbot's read and its patch is read again and patched once more.
   * With `resourceVersion`, only the Service in exactly that version is changed (the patch carries it, so
   * the API server refuses a Service changed meanwhile): a Service in another version — even one that
   * has the type already — is left alone and the call throws BotError `conflict` (permanent, never
   * retried); one in that version with the type already is returned unchanged.
   */
  setServiceType(namespace: string, name: string, type: ServiceType, opts?: { resourceVersion?: string }): Promise<ServiceView>;
  /**
   * Deletes a Service; resolves with the Service as the API left it (maybe still held by finalizers). With
   * `uid`, only the Service with that UID: one of the same name with another UID (deleted and made again
   * meanwhile) is left alone, and the call throws BotError `conflict`. With `resourceVersion`, likewise
   * only the Service in that version (the API server's delete preconditions check both).
   */
  deleteService(namespace: string, name: string, opts?: { uid?: string; resourceVersion?: string }): Promise<ServiceView | undefined>;
  listNodes(): Promise<NodeView[]>;
  /** The deployment's `spec.selector.matchLabels`. Throws `not_found`, or `invalid` for a selector svcbot can't copy. */
  getDeploymentSelector(namespace: string, name: string): Promise<Record<string, string>>;
  /** Addresses behind a Service, from its EndpointSlices. */
  listServiceEndpoints(namespace: string, name: string): Promise<PodEndpointView[]>;
  /** Recent Events about a Service, newest last. */
  listServiceEvents(namespace: string, name: string): Promise<EventView[]>;
}

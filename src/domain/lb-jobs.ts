/**
 * Load-balancer jobs: the slow work behind a change that creates, changes or removes an AWS load
 * balancer, run by workers from a BullMQ queue in Redis. This file is the contract between the web
 * side (which enqueues), the queue adapter and the processors in jobs/ (pure data and naming only).
 */
import type { ServiceType } from './command.js';
import type { ServiceManifest } from './manifest.js';

export type LbOperation =
  /** Make sure the Service exists with type LoadBalancer (create it from `manifest`, or patch its type), then wait until its endpoint answers. */
  | 'provision'
  /** Change a LoadBalancer Service's type to `targetType`, then wait until the ELB is gone. */
  | 'retype'
  /** Delete a LoadBalancer Service, then wait until the ELB is gone and the Service's finalizer is cleared. */
  | 'delete';

interface LbJobRequester {
  /** Slack user ID (mentioned in the result). */
  userId: string;
  channelId: string;
  /** The slash command's response_url (valid 30 minutes), for ephemeral fallbacks. */
  responseUrl?: string;
}

export interface LbJobData {
  version: 1;
  operation: LbOperation;
  cluster: string;
  namespace: string;
  name: string;
  /** provision of a Service that may not exist yet: what to create. */
  manifest?: ServiceManifest;
  /** retype: the new type. */
  targetType?: Exclude<ServiceType, 'LoadBalancer'>;
  /**
   * The Service's resourceVersion an approval was given for: the job acts only on that state. A job that
   * finds the (existing) Service in another version before it has made its change ends failed, changing
   * nothing; its change is made conditional on that version, so Kubernetes refuses it too.
   */
  expectResourceVersion?: string;
  requester: LbJobRequester;
  /**
   * This request's own id (random): two submissions of the same change are two requests, of which one
   * becomes the job. Jobs queued by an older svcbot have none (see requestIdOf).
   */
  requestId?: string;
  /** epoch ms */
  requestedAt: number;
}

/** The request's id; for a job queued before requests had ids, one made from its job id and time. */
export function requestIdOf(data: LbJobData): string {
  return data.requestId ?? `${lbJobId(data.operation, data.cluster, data.namespace, data.name)}@${data.requestedAt}`;
}

/** The change a job makes, in the command's words (what a job it supersedes says it was superseded by). */
export function changeOf(data: Pick<LbJobData, 'operation' | 'targetType'>): string {
  switch (data.operation) {
    case 'provision':
      return 'type loadbalancer';
    case 'retype':
      return `type ${(data.targetType ?? 'ClusterIP').toLowerCase()}`;
    case 'delete':
      return 'delete';
  }
}

/** Why a job whose Service is no longer in the version its approval was given for ends (see expectResourceVersion). */
export const CHANGED_SINCE_APPROVED = 'the Service changed since the request was approved — ask again';

/** The steps a job's progress message shows, in order. */
export const PROVISION_STEPS = ['service', 'allocated', 'in-service', 'dns', 'answers', 'ready'] as const;
export const TEARDOWN_STEPS = ['service', 'elb-deleted', 'finalizer-cleared', 'done'] as const;
export type LbStep = (typeof PROVISION_STEPS)[number] | (typeof TEARDOWN_STEPS)[number];

/**
 * The job id: cluster/namespace/name/operation, so that a double submission is one job. BullMQ ids may
 * not contain `:`; Kubernetes names and cluster names are DNS labels, so `.` separates unambiguously.
 */
export function lbJobId(operation: LbOperation, cluster: string, namespace: string, name: string): string {
  return `${operation}.${cluster}.${namespace}.${name}`;
}

export function parseLbJobId(id: string): { operation: LbOperation; cluster: string; namespace: string; name: string } | undefined {
  const m = /^(provision|retype|delete)\.([a-z0-9-]+)\.([a-z0-9-]+)\.([a-z0-9-]+)$/.exec(id);
  if (!m) return undefined;
  return { operation: m[1] as LbOperation, cluster: m[2]!, namespace: m[3]!, name: m[4]! };
}

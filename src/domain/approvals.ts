/**
 * Approval requests: a change that costs money or destroys something waits for a second person. A request
 * holds the command as it was asked (to run exactly that once approved), what will happen, who asked, the
 * cost where a load balancer is created, and the Service's resourceVersion when it was asked (a Service
 * changed since then is not what anyone approved). Its status moves once, from pending to approved,
 * rejected, expired or withdrawn — atomically in the store (src/ports/approvals.ts).
 */
import type { Command, ServiceType } from './command.js';
import type { ServiceView } from './views.js';
import type { ApprovalNeeds } from './policy.js';

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'withdrawn';

/** The commands that can wait for approval. */
export type ApprovableCommand = Extract<Command, { kind: 'create' } | { kind: 'expose' } | { kind: 'type' } | { kind: 'delete' } | { kind: 'orphan' } | { kind: 'allow'; action: 'grant' }>;

/** What will happen, for the request message and the audit log. */
export interface ChangeSummary {
  /** `delete-load-balancer`: an orphaned load balancer; cluster, namespace and name are the Service it belonged to. */
  kind: 'create' | 'type' | 'delete' | 'delete-load-balancer' | 'allow';
  cluster: string;
  namespace: string;
  name: string;
  /** The load balancer a `delete-load-balancer` deletes. */
  loadBalancer?: { key: string; name: string; kind: string; region: string };
  /** The Service's type now (absent for a create). */
  fromType?: string;
  /** The type it will have (absent for a delete). */
  toType?: ServiceType;
  /** `8080:80/TCP`… (an `allow`: `tcp/30080`…) */
  ports: string[];
  /** What an `allow` opens: to which range, for how long, in which groups (with the Service's type in `fromType`). */
  ingress?: IngressChange;
}

interface IngressChange {
  cidr: string;
  durationMs: number;
  /** Node ports in the nodes' groups, or a load balancer's listeners in its groups. */
  target: 'node-ports' | 'load-balancer';
  loadBalancer?: string;
  rules: { groupId: string; groupName?: string; protocol: string; port: number }[];
}

export interface CostEstimate {
  region: string;
  hourlyUsd: number;
  /** 730 hours. */
  monthlyUsd: number;
}

export interface ApprovalRequest {
  /** Short, typed by people (`/svc withdraw ID`): 8 hex digits. */
  id: string;
  status: ApprovalStatus;
  /** The command line as the requester typed it (or the button they pressed, as a command). */
  commandText: string;
  /** The parsed command: what runs once approved. */
  command: ApprovableCommand;
  change: ChangeSummary;
  /** Why it needs approval, in words: "creates a load balancer". */
  why: string;
  cost?: CostEstimate;
  requester: { userId: string; channelId: string; responseUrl?: string };
  /** The Service's resourceVersion when the request was made (absent for a create). */
  resourceVersion?: string;
  /** epoch ms */
  createdAt: number;
  expiresAt: number;
  decidedBy?: string;
  decidedAt?: number;
  /** A rejection's reason, if one was given. */
  reason?: string;
  /** The request message, once posted. */
  message?: { channel: string; ts: string };
}

/**
 * How long an approved request's change may take before it counts as interrupted (the process running it
 * died) and another process runs it again: 2 minutes, far more than a change takes (it queues any slow
 * load-balancer work as a job).
 */
export const DEFAULT_RUN_LEASE_MS = 2 * 60_000;

/** The statuses a pending request can move to, and who may move it there. */
export type ApprovalDecision = { status: 'approved' | 'rejected'; by: string; at: number; reason?: string } | { status: 'withdrawn'; by: string; at: number } | { status: 'expired'; at: number };

/**
 * Why `command` needs approval under `needs`, given the Service as it is (`before`; undefined when it
 * does not exist yet), or undefined when it does not.
 */
export function approvalNeeded(command: ApprovableCommand, before: Pick<ServiceView, 'type'> | undefined, needs: ApprovalNeeds): string | undefined {
  switch (command.kind) {
    case 'create':
    case 'expose':
      if (command.dryRun) return undefined;
      return command.type === 'LoadBalancer' && needs.createLoadBalancer ? 'creates a load balancer' : undefined;
    case 'type':
      return command.type === 'LoadBalancer' && before?.type !== 'LoadBalancer' && needs.createLoadBalancer ? 'creates a load balancer' : undefined;
    case 'delete':
      if (before?.type === 'LoadBalancer' && needs.deleteLoadBalancer) return 'deletes a LoadBalancer Service (and its load balancer)';
      if (before?.type === 'NodePort' && needs.deleteNodePort) return 'deletes a NodePort Service';
      return undefined;
    case 'orphan':
      return command.action === 'delete' && needs.deleteLoadBalancer ? 'deletes a load balancer' : undefined;
    case 'allow':
      return needs.allowIngress ? 'opens a port to addresses outside the VPC' : undefined;
  }
}

/** Hourly prices of a classic ELB by region, in USD; data processed is billed on top. */
export type PriceTable = Readonly<Record<string, number>>;

/** us-east-1's classic ELB: $0.025 an hour. */
export const DEFAULT_ELB_HOURLY_USD = 0.025;

export function estimateCost(region: string | undefined, prices: PriceTable, fallbackHourlyUsd = DEFAULT_ELB_HOURLY_USD): CostEstimate {
  const where = region ?? 'us-east-1';
  const hourlyUsd = prices[where] ?? fallbackHourlyUsd;
  return { region: where, hourlyUsd, monthlyUsd: Math.round(hourlyUsd * 730 * 100) / 100 };
}

/**
 * What makes two requests the same change (a second `type web lb` while the first waits): the kind,
 * where, and the type it leads to. Of pending requests, one per key.
 */
export function approvalChangeKey(change: Pick<ChangeSummary, 'kind' | 'cluster' | 'namespace' | 'name' | 'toType' | 'loadBalancer' | 'ingress'>): string {
  if (change.loadBalancer !== undefined) return `${change.kind}:${change.loadBalancer.key}`;
  if (change.ingress !== undefined) return `${change.kind}:${change.cluster}/${change.namespace}/${change.name}:${change.ingress.cidr}`;
  return `${change.kind}:${change.cluster}/${change.namespace}/${change.name}:${change.toType ?? ''}`;
}

/** A port as a request shows it: `http=8080:80/TCP`. */
export function portSummary(port: { name?: string; port: number; targetPort?: number | string; protocol: string }): string {
  const target = port.targetPort === undefined || port.targetPort === port.port ? '' : `:${port.targetPort}`;
  return `${port.name ? `${port.name}=` : ''}${port.port}${target}/${port.protocol}`;
}


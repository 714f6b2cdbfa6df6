/**
 * What each `/svc` command does, over the ports only: the one place that decides, so the Slack transport
 * and the console run exactly the same logic. Returns result objects; rendering is elsewhere.
 *
 * It is also where the policy is enforced (src/domain/access.ts): every command is checked for the person
 * it runs for, after the cluster is known and before anything is read or changed; a change the policy
 * wants approved becomes an approval request instead (nothing changes until a second person approves,
 * and then the approved request comes back here, checked again). Every change is recorded in the audit
 * trail.
 */
import { randomUUID } from 'node:crypto';
import type { ChangeRecord } from './changes.js';
import type { Command } from './command.js';
import { BotError } from './errors.js';
import { manifestYaml, serviceManifest } from './manifest.js';
import { changeOf, lbJobId, type LbJobData, type LbOperation } from './lb-jobs.js';
import type { Access, Acting } from './access.js';
import type { ApprovalRequests } from './approval-requests.js';
import { approvalNeeded, estimateCost, portSummary, type ApprovableCommand, type ApprovalRequest, type ChangeSummary, type PriceTable } from './approvals.js';
import type { AuditTrail } from './audit-trail.js';
import type { LatestChanges } from '../ports/changes.js';
import type { RetryBudget } from '../ports/cluster.js';
import type { ClusterRegistry } from '../ports/clusters.js';
import type { LbJobQueue } from '../ports/queue.js';
import type { OperationResult } from './results.js';
import type { DescribeResult, NodeView, ServiceView } from './views.js';
import { checkNodePortAccess, nodePortsOf } from './node-port-access.js';
import type { ClusterTarget } from '../ports/clusters.js';

/** Who asked: the job mentions them and posts its progress in their channel. */
export interface Requester extends Acting {
  channelId?: string;
  /** The request's response_url (Slack keeps it valid for 30 minutes): reaches the user where svcbot is not a member. */
  responseUrl?: string;
}

/**
 * Who may do what, what waits for approval, and the record of it all. Every svcbot has one (the policy's
 * defaults when nothing is configured).
 */
export interface Governance {
  access: Access;
  audit: Pick<AuditTrail, 'record'>;
  approvals: Pick<ApprovalRequests, 'request'>;
  /** Classic ELB hourly prices by region (USD), for the cost shown on a request; `default` where a region is not listed. */
  prices: { byRegion: PriceTable; defaultHourlyUsd: number };
}

export interface RunOptions {
  /** The approved request this run carries out: no new approval is asked, and the Service must be as approved. */
  approved?: ApprovalRequest;
  /**
   * How long the caller waits while the cluster answers transient errors, and who hears of each retry
   * (the command handler tells the user "still trying"). Reads after a change is made are not bound by
   * it: once a change is made, its answer is worth the cluster's own per-call patience.
   */
  budget?: RetryBudget;
}

/**
 * Load-balancer jobs: with these, changes that create, change or remove a load balancer are queued
 * (the job posts its progress message in the requester's channel); without them, they are made directly.
 * Every change, queued or made at once, is recorded as its Service's newest (`changes`), and the
 * Service's older unfinished jobs are told: a job never acts on a world that moved on after it.
 */
export interface LbJobsDeps {
  queue: LbJobQueue;
  changes: LatestChanges;
}

export interface OperationsDeps {
  clusters: ClusterRegistry;
  now?: () => Date;
  /** A new request's id (default: a random UUID). */
  newRequestId?: () => string;
  lbJobs?: LbJobsDeps;
  governance: Governance;
}

/** The commands about Services; jobs, approvals and the audit log have their own modules. */
export type ServiceCommand = Extract<Command, { kind: 'help' | 'create' | 'expose' | 'type' | 'delete' | 'list' | 'describe' }>;

const SERVICE_COMMANDS: readonly string[] = ['help', 'create', 'expose', 'type', 'delete', 'list', 'describe'] satisfies readonly ServiceCommand['kind'][];

export function isServiceCommand(command: Command): command is ServiceCommand {
  return SERVICE_COMMANDS.includes(command.kind);
}

const MAX_EVENTS = 10;

/** How long an answer waits for EC2 to say whether its node ports are open (then it says it cannot tell). */
const NODE_PORT_ACCESS_TIMEOUT_MS = 2000;

/** A result of a NodePort or LoadBalancer Service, with whether the nodes' security groups open its node ports. */
async function withNodePortAccess<R extends { service: ServiceView; nodes: NodeView[] }>(target: Pick<ClusterTarget, 'nodeSecurityGroups'>, result: R): Promise<R> {
  const { service } = result;
  if (service.type !== 'NodePort' && service.type !== 'LoadBalancer') return result;
  const ports = nodePortsOf(service.ports);
  if (ports.length === 0) return result;
  return { ...result, nodePortAccess: await checkNodePortAccess(target.nodeSecurityGroups, result.nodes, ports, NODE_PORT_ACCESS_TIMEOUT_MS) };
}

export function makeOperations({ clusters, now = () => new Date(), newRequestId = randomUUID, lbJobs, governance }: OperationsDeps) {
  const { access, audit } = governance;

  /** The policy's check, for the Service `name` (when there is one) in `namespace` (when there is one). */
  function allow(requester: Requester, subcommand: string, cluster: string, namespace?: string, name?: string, approved?: ApprovalRequest): Promise<void> {
    return access.check(
      requester,
      { subcommand, cluster, ...(namespace === undefined ? {} : { namespace }) },
      { ...(name === undefined ? {} : { service: name }), ...(approved === undefined ? {} : { requestId: approved.id }) },
    );
  }

  /** The audit entry of a change made (or queued); never fails the change. */
  function recordChange(requester: Requester, at: { cluster: string; namespace: string; name: string }, result: string, extra: { jobId?: string; approved?: ApprovalRequest } = {}): Promise<void> {
    return audit.record({
      action: 'change',
      userId: requester.userId,
      ...(requester.commandText === undefined ? {} : { command: requester.commandText }),
      cluster: at.cluster,
      namespace: at.namespace,
      service: at.name,
      result,
      ...(extra.jobId === undefined ? {} : { jobId: extra.jobId }),
      ...(extra.approved === undefined ? {} : { requestId: extra.approved.id }),
    });
  }

  /** A queued change's audit entry (a duplicate submission changed nothing: no entry). */
  async function recordQueued(requester: Requester, result: OperationResult, approved?: ApprovalRequest): Promise<OperationResult> {
    if (result.kind === 'queued' && !result.result.duplicate) {
      const { jobId, cluster, namespace, name, operation } = result.result;
      await recordChange(requester, { cluster, namespace, name }, `queued ${changeOf({ operation })} as job ${jobId}`, { jobId, ...(approved ? { approved } : {}) });
    }
    return result;
  }

  /**
   * The Service must still be the one approved (its resourceVersion when the request was made):
   * otherwise nobody approved what it is now.
   */
  function checkStillAsApproved(approved: ApprovalRequest | undefined, before: { resourceVersion: string }, name: string): void {
    if (approved?.resourceVersion !== undefined && approved.resourceVersion !== before.resourceVersion) {
      throw new BotError('stale_request', `Service \`${name}\` changed since the request — ask again. Nothing was changed.`);
    }
  }

  /** A change that waits for approval: the request, made and posted (nothing changes now). */
  async function requestApproval(
    command: ApprovableCommand,
    requester: Requester,
    why: string,
    change: ChangeSummary,
    region: string | undefined,
    resourceVersion?: string,
  ): Promise<OperationResult> {
    const createsLoadBalancer = change.toType === 'LoadBalancer' && change.fromType !== 'LoadBalancer';
    const cost = createsLoadBalancer ? estimateCost(region, governance.prices.byRegion, governance.prices.defaultHourlyUsd) : undefined;
    const { request, alreadyWaiting } = await governance.approvals.request(
      { command, change, why, ...(cost ? { cost } : {}), ...(resourceVersion === undefined ? {} : { resourceVersion }) },
      requester,
    );
    return alreadyWaiting ? { kind: 'approval-requested', request, alreadyWaiting } : { kind: 'approval-requested', request };
  }

  /**
   * Records `change` as the Service's newest and tells its other unfinished jobs, which stand down when
   * they next run. Best effort where nothing is queued: with Redis unreachable a change made at once still
   * happens (no job can be running its steps meanwhile: they need Redis too), and the jobs read the
   * newest change themselves when they run.
   */
  async function supersedeOthers(jobs: LbJobsDeps, ref: { cluster: string; namespace: string; name: string }, change: ChangeRecord, bestEffort: boolean): Promise<void> {
    try {
      await jobs.changes.record(ref, change);
      await jobs.queue.supersede(ref, change);
    } catch (err) {
      if (!bestEffort || !(err instanceof BotError && err.code === 'queue_unavailable')) throw err;
    }
  }

  /**
   * After a change made at once (not queued) succeeded: it is the Service's newest from now on. Not
   * before it: a change that fails (a taken name, a 403) must not make an older job stand down for nothing.
   */
  function directChange(scope: { cluster: string; namespace: string }, name: string, change: string, requester: Requester): Promise<void> {
    if (!lbJobs) return Promise.resolve();
    const record: ChangeRecord = { requestId: newRequestId(), requestedAt: now().getTime(), change, userId: requester.userId };
    return supersedeOthers(lbJobs, { cluster: scope.cluster, namespace: scope.namespace, name }, record, true);
  }

  /**
   * Queues a load-balancer job. Order: is the same change already queued (this also fails fast, changing
   * nothing, when Redis is unreachable)? Then `validate` (e.g. a dry-run create), then enqueue — which
   * decides, atomically, whether this submission is a new job or the one already there. The job posts its
   * own progress message, once, so a duplicate submission posts nothing.
   */
  async function enqueue(jobs: LbJobsDeps, data: LbJobData, validate?: () => Promise<unknown>): Promise<OperationResult> {
    const jobId = lbJobId(data.operation, data.cluster, data.namespace, data.name);
    const base = { jobId, operation: data.operation, cluster: data.cluster, namespace: data.namespace, name: data.name };
    if (await isUnfinished(jobs, jobId)) return { kind: 'queued', result: { ...base, duplicate: true } };
    try {
      await validate?.();
    } catch (err) {
      // The same change submitted at the same moment (another replica, a double click) may have queued its
      // job since the check above, and the job made the Service: that submission is this one.
      if (err instanceof BotError && err.code === 'already_exists' && (await isUnfinished(jobs, jobId))) {
        return { kind: 'queued', result: { ...base, duplicate: true } };
      }
      throw err;
    }
    const queued = await jobs.queue.enqueue(data);
    if (!queued.duplicate) {
      // The job records this too when it runs; doing it now makes older jobs stand down at once.
      const change: ChangeRecord = { requestId: data.requestId ?? '', requestedAt: data.requestedAt, change: changeOf(data), userId: data.requester.userId, jobId };
      await supersedeOthers(jobs, { cluster: data.cluster, namespace: data.namespace, name: data.name }, change, true);
    }
    return { kind: 'queued', result: { ...base, duplicate: queued.duplicate } };
  }

  /** Is this job queued, running or waiting? (Also fails fast, changing nothing, when Redis is unreachable.) */
  async function isUnfinished(jobs: LbJobsDeps, jobId: string): Promise<boolean> {
    const existing = await jobs.queue.get(jobId);
    return existing !== undefined && (existing.state === 'waiting' || existing.state === 'active' || existing.state === 'delayed');
  }

  function duplicate(operation: LbOperation, cluster: string, namespace: string, name: string): OperationResult {
    return { kind: 'queued', result: { jobId: lbJobId(operation, cluster, namespace, name), operation, cluster, namespace, name, duplicate: true } };
  }

  function jobData(
    operation: LbOperation,
    cluster: string,
    namespace: string,
    name: string,
    requester: Requester,
    extra: Pick<LbJobData, 'manifest' | 'targetType' | 'expectResourceVersion'> = {},
  ): LbJobData {
    return {
      version: 1,
      operation,
      cluster,
      namespace,
      name,
      ...extra,
      requester: {
        userId: requester.userId,
        channelId: requester.channelId ?? '',
        ...(requester.responseUrl ? { responseUrl: requester.responseUrl } : {}),
      },
      requestId: newRequestId(),
      requestedAt: now().getTime(),
    };
  }

  async function create(
    command: Extract<ApprovableCommand, { kind: 'create' | 'expose' }>,
    input: Parameters<typeof serviceManifest>[0],
    requester: Requester,
    opts: RunOptions,
  ): Promise<OperationResult> {
    const { scope, dryRun } = command;
    const target = clusters.get(scope.cluster, opts.budget);
    const { cluster } = target;
    const manifest = serviceManifest(input);
    const at = { cluster: cluster.name, namespace: scope.namespace, name: input.name };
    if (dryRun) {
      // A server-side dry run also catches what only the cluster knows (a taken name, a missing namespace).
      await cluster.createService(manifest, { dryRun: true });
      return { kind: 'dry-run', result: { manifestYaml: manifestYaml(manifest), scope, cluster: cluster.name } };
    }
    const provision = lbJobs && manifest.spec.type === 'LoadBalancer' ? lbJobs : undefined;
    // A second submission while the first is in flight is that job (not "name taken", not a new request).
    if (provision && (await isUnfinished(provision, lbJobId('provision', cluster.name, scope.namespace, input.name)))) {
      return duplicate('provision', cluster.name, scope.namespace, input.name);
    }
    const why = opts.approved ? undefined : approvalNeeded(command, undefined, governance.access.policy.approval.needs);
    if (why !== undefined) {
      // Only what could be done is worth asking for: a taken name or a missing namespace is said now.
      await cluster.createService(manifest, { dryRun: true });
      const change: ChangeSummary = { kind: 'create', ...at, toType: input.type, ports: input.ports.map(portSummary) };
      return requestApproval(command, requester, why, change, target.region);
    }
    if (provision) {
      // Validate as a direct create would (taken name, missing namespace), then let the job create it.
      const queued = await enqueue(provision, jobData('provision', cluster.name, scope.namespace, input.name, requester, { manifest }), () =>
        cluster.createService(manifest, { dryRun: true }),
      );
      return recordQueued(requester, queued, opts.approved);
    }
    const service = await cluster.createService(manifest);
    await directChange(at, input.name, 'create', requester);
    await recordChange(requester, at, `created ${service.type} Service`, opts.approved ? { approved: opts.approved } : {});
    const after = clusters.get(scope.cluster);
    return { kind: 'created', result: await withNodePortAccess(after, { service, nodes: await after.cluster.listNodes() }) };
  }

  /**
   * What a change of an existing Service starts with: the policy allows it, the Service is read, and an
   * approved request finds it as approved.
   */
  async function existingService(command: Extract<ServiceCommand, { kind: 'type' | 'delete' }>, requester: Requester, opts: RunOptions) {
    const target = clusters.get(command.scope.cluster, opts.budget);
    const { cluster } = target;
    const { namespace } = command.scope;
    await allow(requester, command.kind, cluster.name, namespace, command.name, opts.approved);
    const before = await cluster.getService(namespace, command.name);
    checkStillAsApproved(opts.approved, before, command.name);
    return { target, cluster, namespace, before, at: { cluster: cluster.name, namespace, name: command.name } };
  }

  async function changeType(command: Extract<ServiceCommand, { kind: 'type' }>, requester: Requester, opts: RunOptions): Promise<OperationResult> {
    const { target, cluster, namespace, before, at } = await existingService(command, requester, opts);
    if (before.type === 'ExternalName') {
      throw new BotError('invalid', `\`${command.name}\` is an ExternalName Service; svcbot does not change its type.`);
    }
    const operation = !lbJobs ? undefined : command.type === 'LoadBalancer' ? 'provision' : before.type === 'LoadBalancer' ? 'retype' : undefined;
    // Already of the type, but its job is still running: say so rather than "nothing changed".
    if (lbJobs && operation && (await isUnfinished(lbJobs, lbJobId(operation, cluster.name, namespace, command.name)))) {
      return duplicate(operation, cluster.name, namespace, command.name);
    }
    const why = opts.approved ? undefined : approvalNeeded(command, before, governance.access.policy.approval.needs);
    if (why !== undefined) {
      const change: ChangeSummary = { kind: 'type', ...at, fromType: before.type, toType: command.type, ports: before.ports.map(portSummary) };
      return requestApproval(command, requester, why, change, target.region, before.resourceVersion);
    }
    const expected = opts.approved?.resourceVersion;
    if (lbJobs && before.type !== command.type) {
      const pinned = expected === undefined ? {} : { expectResourceVersion: expected };
      if (command.type === 'LoadBalancer') {
        return recordQueued(requester, await enqueue(lbJobs, jobData('provision', cluster.name, namespace, command.name, requester, pinned)), opts.approved);
      }
      if (before.type === 'LoadBalancer') {
        const data = jobData('retype', cluster.name, namespace, command.name, requester, { targetType: command.type, ...pinned });
        return recordQueued(requester, await enqueue(lbJobs, data), opts.approved);
      }
    }
    if (before.type === command.type) {
      return { kind: 'type-changed', result: await withNodePortAccess(target, { before: before.type, service: before, nodes: await cluster.listNodes() }) };
    }
    const service = await cluster.setServiceType(namespace, command.name, command.type, expected === undefined ? {} : { resourceVersion: expected });
    await directChange(at, command.name, `type ${command.type.toLowerCase()}`, requester);
    await recordChange(requester, at, `type ${before.type} → ${service.type}`, opts.approved ? { approved: opts.approved } : {});
    const after = clusters.get(command.scope.cluster);
    return { kind: 'type-changed', result: await withNodePortAccess(after, { before: before.type, service, nodes: await after.cluster.listNodes() }) };
  }

  async function remove(command: Extract<ServiceCommand, { kind: 'delete' }>, requester: Requester, opts: RunOptions): Promise<OperationResult> {
    const { target, cluster, namespace, before, at } = await existingService(command, requester, opts);
    if (lbJobs && before.type === 'LoadBalancer' && (await isUnfinished(lbJobs, lbJobId('delete', cluster.name, namespace, command.name)))) {
      return duplicate('delete', cluster.name, namespace, command.name);
    }
    const why = opts.approved ? undefined : approvalNeeded(command, before, governance.access.policy.approval.needs);
    if (why !== undefined) {
      const change: ChangeSummary = { kind: 'delete', ...at, fromType: before.type, ports: before.ports.map(portSummary) };
      return requestApproval(command, requester, why, change, target.region, before.resourceVersion);
    }
    const expected = opts.approved?.resourceVersion;
    if (lbJobs && before.type === 'LoadBalancer') {
      const data = jobData('delete', cluster.name, namespace, command.name, requester, expected === undefined ? {} : { expectResourceVersion: expected });
      return recordQueued(requester, await enqueue(lbJobs, data), opts.approved);
    }
    const after = await cluster.deleteService(namespace, command.name, expected === undefined ? {} : { resourceVersion: expected });
    await directChange(at, command.name, 'delete', requester);
    await recordChange(requester, at, `deleted ${before.type} Service`, opts.approved ? { approved: opts.approved } : {});
    return { kind: 'deleted', result: { ...at, type: before.type, deleting: after !== undefined } };
  }

  /**
   * Runs `command` for `requester`: checked against the policy first (refused: BotError `not_allowed`),
   * then, for a change that needs approval, an approval request instead of the change.
   */
  async function run(command: ServiceCommand, requester: Requester, opts: RunOptions = {}): Promise<OperationResult> {
    switch (command.kind) {
      case 'help':
        return command.topic === undefined ? { kind: 'help' } : { kind: 'help', topic: command.topic };

      case 'create': {
        const { cluster } = clusters.get(command.scope.cluster, opts.budget);
        await allow(requester, 'create', cluster.name, command.scope.namespace, command.name, opts.approved);
        const input = { name: command.name, namespace: command.scope.namespace, selector: command.selector, ports: command.ports, type: command.type };
        return create(command, input, requester, opts);
      }

      case 'expose': {
        const { cluster } = clusters.get(command.scope.cluster, opts.budget);
        const name = command.name ?? command.deployment;
        await allow(requester, 'expose', cluster.name, command.scope.namespace, name, opts.approved);
        const selector = await cluster.getDeploymentSelector(command.scope.namespace, command.deployment);
        const input = { name, namespace: command.scope.namespace, selector, ports: command.ports, type: command.type };
        return create(command, input, requester, opts);
      }

      case 'type':
        return changeType(command, requester, opts);

      case 'delete':
        return remove(command, requester, opts);

      case 'list': {
        const { cluster, namespaces } = clusters.get(command.scope.cluster, opts.budget);
        const namespace = command.allNamespaces ? null : command.scope.namespace;
        await allow(requester, 'list', cluster.name, namespace ?? undefined);
        const services = (await cluster.listServices(namespace))
          .filter((s) => command.type === undefined || s.type === command.type)
          .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
        return { kind: 'list', result: { cluster: cluster.name, namespace, ...(namespace === null && namespaces ? { namespaces } : {}), services, now: now() } };
      }

      case 'describe': {
        const target = clusters.get(command.scope.cluster, opts.budget);
        const { cluster, loadBalancers } = target;
        const { namespace } = command.scope;
        await allow(requester, 'describe', cluster.name, namespace, command.name);
        const service = await cluster.getService(namespace, command.name);
        const [nodes, endpoints, events] = await Promise.all([
          cluster.listNodes(),
          cluster.listServiceEndpoints(namespace, command.name),
          cluster.listServiceEvents(namespace, command.name),
        ]);
        const result: DescribeResult = await withNodePortAccess(target, { service, nodes, endpoints, events: events.slice(-MAX_EVENTS), now: now() });
        const hostname = service.loadBalancerHostnames[0];
        if (service.type === 'LoadBalancer' && hostname) {
          try {
            const lb = await loadBalancers.findForService({ namespace, name: command.name, hostname });
            if (lb) result.loadBalancer = lb;
            else result.loadBalancerError = `No classic ELB tagged for ${namespace}/${command.name} answers to ${hostname}.`;
          } catch (err) {
            // The Service is still worth describing when AWS can't be asked.
            if (!(err instanceof BotError)) throw err;
            result.loadBalancerError = err.userMessage;
          }
        }
        return { kind: 'describe', result };
      }
    }
  }

  return { run };
}

export type Operations = ReturnType<typeof makeOperations>;

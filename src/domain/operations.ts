/**
 * What each `/svc` command does, over the ports only: the one place that decides, so the Slack transport
 * and the console run exactly the same logic. Returns result objects; rendering is elsewhere.
 */
import { randomUUID } from 'node:crypto';
import type { ChangeRecord } from './changes.js';
import type { Command, Scope } from './command.js';
import { BotError } from './errors.js';
import { manifestYaml, serviceManifest } from './manifest.js';
import { changeOf, lbJobId, type LbJobData, type LbOperation } from './lb-jobs.js';
import type { LatestChanges } from '../ports/changes.js';
import type { ClusterRegistry } from '../ports/clusters.js';
import type { LbJobQueue } from '../ports/queue.js';
import type {
  CreateResult,
  DeleteResult,
  DescribeResult,
  DryRunResult,
  ListResult,
  TypeChangeResult,
} from './views.js';

export type OperationResult =
  | { kind: 'help'; topic?: string }
  | { kind: 'created'; result: CreateResult }
  | { kind: 'dry-run'; result: DryRunResult }
  | { kind: 'type-changed'; result: TypeChangeResult }
  | { kind: 'deleted'; result: DeleteResult }
  | { kind: 'list'; result: ListResult }
  | { kind: 'describe'; result: DescribeResult }
  | { kind: 'queued'; result: QueuedResult };

/** A load-balancer change handed to a job (see src/domain/lb-jobs.ts). */
export interface QueuedResult {
  jobId: string;
  operation: LbOperation;
  cluster: string;
  namespace: string;
  name: string;
  /** The same change was already queued or running: nothing new was queued. */
  duplicate: boolean;
}

/** Who asked: the job mentions them and posts its progress in their channel. */
export interface Requester {
  userId: string;
  channelId?: string;
  /** The request's response_url (Slack keeps it valid for 30 minutes): reaches the user where svcbot is not a member. */
  responseUrl?: string;
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
}

/** Commands handled outside this module (the load-balancer jobs issue adds them). */
export type ServiceCommand = Exclude<Command, { kind: 'jobs' } | { kind: 'cancel' }>;

const MAX_EVENTS = 10;

export function makeOperations({ clusters, now = () => new Date(), newRequestId = randomUUID, lbJobs }: OperationsDeps) {
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
    if (await isUnfinished(jobs, jobId, data.cluster)) return { kind: 'queued', result: { ...base, duplicate: true } };
    await validate?.();
    const queued = await jobs.queue.enqueue(data);
    if (!queued.duplicate) {
      // The job records this too when it runs; doing it now makes older jobs stand down at once.
      const change: ChangeRecord = { requestId: data.requestId ?? '', requestedAt: data.requestedAt, change: changeOf(data), userId: data.requester.userId, jobId };
      await supersedeOthers(jobs, { cluster: data.cluster, namespace: data.namespace, name: data.name }, change, true);
    }
    return { kind: 'queued', result: { ...base, duplicate: queued.duplicate } };
  }

  /** Is this job queued, running or waiting? (Also fails fast, changing nothing, when Redis is unreachable.) */
  async function isUnfinished(jobs: LbJobsDeps, jobId: string, cluster: string): Promise<boolean> {
    const existing = (await jobs.queue.list(cluster)).find((j) => j.id === jobId);
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
    extra: Pick<LbJobData, 'manifest' | 'targetType'> = {},
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
    scope: Scope,
    input: Parameters<typeof serviceManifest>[0],
    dryRun: boolean,
    requester: Requester,
  ): Promise<OperationResult> {
    const { cluster } = clusters.get(scope.cluster);
    const manifest = serviceManifest(input);
    if (dryRun) {
      // A server-side dry run also catches what only the cluster knows (a taken name, a missing namespace).
      await cluster.createService(manifest, { dryRun: true });
      return { kind: 'dry-run', result: { manifestYaml: manifestYaml(manifest), scope, cluster: cluster.name } };
    }
    if (lbJobs && manifest.spec.type === 'LoadBalancer') {
      // A second submission while the first is in flight is that job, not a "name taken" error; otherwise
      // validate as a direct create would (taken name, missing namespace), then let the job create it.
      return enqueue(lbJobs, jobData('provision', cluster.name, scope.namespace, input.name, requester, { manifest }), () =>
        cluster.createService(manifest, { dryRun: true }),
      );
    }
    const service = await cluster.createService(manifest);
    await directChange({ cluster: cluster.name, namespace: scope.namespace }, input.name, 'create', requester);
    return { kind: 'created', result: { service, nodes: await cluster.listNodes() } };
  }

  async function run(command: ServiceCommand, requester: Requester = { userId: '' }): Promise<OperationResult> {
    switch (command.kind) {
      case 'help':
        return command.topic === undefined ? { kind: 'help' } : { kind: 'help', topic: command.topic };

      case 'create':
        return create(
          command.scope,
          {
            name: command.name,
            namespace: command.scope.namespace,
            selector: command.selector,
            ports: command.ports,
            type: command.type,
          },
          command.dryRun,
          requester,
        );

      case 'expose': {
        const { cluster } = clusters.get(command.scope.cluster);
        const selector = await cluster.getDeploymentSelector(command.scope.namespace, command.deployment);
        return create(
          command.scope,
          {
            name: command.name ?? command.deployment,
            namespace: command.scope.namespace,
            selector,
            ports: command.ports,
            type: command.type,
          },
          command.dryRun,
          requester,
        );
      }

      case 'type': {
        const { cluster } = clusters.get(command.scope.cluster);
        const before = await cluster.getService(command.scope.namespace, command.name);
        if (before.type === 'ExternalName') {
          throw new BotError('invalid', `\`${command.name}\` is an ExternalName Service; svcbot does not change its type.`);
        }
        if (lbJobs) {
          const { namespace } = command.scope;
          const operation = command.type === 'LoadBalancer' ? 'provision' : before.type === 'LoadBalancer' ? 'retype' : undefined;
          // Already of the type, but its job is still running: say so rather than "nothing changed".
          if (operation && before.type === command.type && (await isUnfinished(lbJobs, lbJobId(operation, cluster.name, namespace, command.name), cluster.name))) {
            return duplicate(operation, cluster.name, namespace, command.name);
          }
        }
        if (lbJobs && before.type !== command.type) {
          const { namespace } = command.scope;
          if (command.type === 'LoadBalancer') {
            return enqueue(lbJobs, jobData('provision', cluster.name, namespace, command.name, requester));
          }
          if (before.type === 'LoadBalancer') {
            return enqueue(lbJobs, jobData('retype', cluster.name, namespace, command.name, requester, { targetType: command.type }));
          }
        }
        const service =
          before.type === command.type ? before : await cluster.setServiceType(command.scope.namespace, command.name, command.type);
        if (before.type !== command.type) {
          await directChange({ cluster: cluster.name, namespace: command.scope.namespace }, command.name, `type ${command.type.toLowerCase()}`, requester);
        }
        return { kind: 'type-changed', result: { before: before.type, service, nodes: await cluster.listNodes() } };
      }

      case 'delete': {
        const { cluster } = clusters.get(command.scope.cluster);
        const before = await cluster.getService(command.scope.namespace, command.name);
        if (lbJobs && before.type === 'LoadBalancer') {
          return enqueue(lbJobs, jobData('delete', cluster.name, command.scope.namespace, command.name, requester));
        }
        const after = await cluster.deleteService(command.scope.namespace, command.name);
        await directChange({ cluster: cluster.name, namespace: command.scope.namespace }, command.name, 'delete', requester);
        return {
          kind: 'deleted',
          result: {
            cluster: cluster.name,
            namespace: command.scope.namespace,
            name: command.name,
            type: before.type,
            deleting: after !== undefined,
          },
        };
      }

      case 'list': {
        const { cluster } = clusters.get(command.scope.cluster);
        const namespace = command.allNamespaces ? null : command.scope.namespace;
        const services = (await cluster.listServices(namespace))
          .filter((s) => command.type === undefined || s.type === command.type)
          .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
        return { kind: 'list', result: { cluster: cluster.name, namespace, services, now: now() } };
      }

      case 'describe': {
        const { cluster, loadBalancers } = clusters.get(command.scope.cluster);
        const { namespace } = command.scope;
        const service = await cluster.getService(namespace, command.name);
        const [nodes, endpoints, events] = await Promise.all([
          cluster.listNodes(),
          cluster.listServiceEndpoints(namespace, command.name),
          cluster.listServiceEvents(namespace, command.name),
        ]);
        const result: DescribeResult = { service, nodes, endpoints, events: events.slice(-MAX_EVENTS), now: now() };
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

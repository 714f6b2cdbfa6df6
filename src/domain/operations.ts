/**
 * What each `/svc` command does, over the ports only: the one place that decides, so the Slack transport
 * and the console run exactly the same logic. Returns result objects; rendering is elsewhere.
 */
import type { Command, Scope } from './command.js';
import { BotError } from './errors.js';
import { manifestYaml, serviceManifest } from './manifest.js';
import type { ClusterRegistry } from '../ports/clusters.js';
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
  | { kind: 'describe'; result: DescribeResult };

export interface OperationsDeps {
  clusters: ClusterRegistry;
  now?: () => Date;
}

/** Commands handled outside this module (the load-balancer jobs issue adds them). */
export type ServiceCommand = Exclude<Command, { kind: 'jobs' } | { kind: 'cancel' }>;

const MAX_EVENTS = 10;

export function makeOperations({ clusters, now = () => new Date() }: OperationsDeps) {
  async function create(
    scope: Scope,
    input: Parameters<typeof serviceManifest>[0],
    dryRun: boolean,
  ): Promise<OperationResult> {
    const { cluster } = clusters.get(scope.cluster);
    const manifest = serviceManifest(input);
    if (dryRun) {
      // A server-side dry run also catches what only the cluster knows (a taken name, a missing namespace).
      await cluster.createService(manifest, { dryRun: true });
      return { kind: 'dry-run', result: { manifestYaml: manifestYaml(manifest), scope, cluster: cluster.name } };
    }
    const service = await cluster.createService(manifest);
    return { kind: 'created', result: { service, nodes: await cluster.listNodes() } };
  }

  async function run(command: ServiceCommand): Promise<OperationResult> {
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
        );
      }

      case 'type': {
        const { cluster } = clusters.get(command.scope.cluster);
        const before = await cluster.getService(command.scope.namespace, command.name);
        if (before.type === 'ExternalName') {
          throw new BotError('invalid', `\`${command.name}\` is an ExternalName Service; svcbot does not change its type.`);
        }
        const service =
          before.type === command.type ? before : await cluster.setServiceType(command.scope.namespace, command.name, command.type);
        return { kind: 'type-changed', result: { before: before.type, service, nodes: await cluster.listNodes() } };
      }

      case 'delete': {
        const { cluster } = clusters.get(command.scope.cluster);
        const before = await cluster.getService(command.scope.namespace, command.name);
        const after = await cluster.deleteService(command.scope.namespace, command.name);
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

/** LoadBalancerGateway over `@aws-sdk/client-elastic-load-balancing` (classic ELB). */
import {
  DescribeInstanceHealthCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  type ElasticLoadBalancingClient,
} from '@aws-sdk/client-elastic-load-balancing';
import { BotError } from '../domain/errors.js';
import { errorName, isClassicLoadBalancerNotFound, isThrottledAwsError, isTransientAwsError } from './aws-errors.js';
import { loadBalancerNameFromHostname } from '../domain/load-balancer-names.js';
import type { InstanceState, LoadBalancerView } from '../domain/views.js';
import type { LoadBalancerGateway } from '../ports/load-balancers.js';

const SERVICE_NAME_TAG = 'kubernetes.io/service-name';

function toAwsBotError(err: unknown, what: string): BotError {
  const name = errorName(err);
  const detail = name === 'Throttling' ? 'AWS is throttling svcbot (Rate exceeded) — try again shortly' : `${name || 'error'}: ${(err as Error).message}`;
  return new BotError('aws_error', `Could not ${what}: ${detail}.`, { cause: err, transient: isTransientAwsError(err), throttled: isThrottledAwsError(err) });
}

export function createElbGateway(client: ElasticLoadBalancingClient): LoadBalancerGateway {
  return {
    async findForService({ namespace, name, hostname }) {
      const lbName = loadBalancerNameFromHostname(hostname);
      if (!lbName) return undefined;
      try {
        const described = await client.send(new DescribeLoadBalancersCommand({ LoadBalancerNames: [lbName] }));
        const lb = described.LoadBalancerDescriptions?.[0];
        if (!lb) return undefined;
        const tags = await client.send(new DescribeTagsCommand({ LoadBalancerNames: [lbName] }));
        const owner = tags.TagDescriptions?.[0]?.Tags?.find((t) => t.Key === SERVICE_NAME_TAG)?.Value;
        if (owner !== `${namespace}/${name}`) return undefined;
        const health = await client.send(new DescribeInstanceHealthCommand({ LoadBalancerName: lbName }));
        const view: LoadBalancerView = {
          name: lbName,
          dnsName: lb.DNSName ?? hostname,
          scheme: lb.Scheme ?? 'internet-facing',
          listeners: (lb.ListenerDescriptions ?? []).flatMap((d) =>
            d.Listener
              ? [
                  {
                    protocol: d.Listener.Protocol ?? 'TCP',
                    loadBalancerPort: d.Listener.LoadBalancerPort ?? 0,
                    instanceProtocol: d.Listener.InstanceProtocol ?? d.Listener.Protocol ?? 'TCP',
                    instancePort: d.Listener.InstancePort ?? 0,
                  },
                ]
              : [],
          ),
          instances: (health.InstanceStates ?? []).map((s) => ({
            instanceId: s.InstanceId ?? '',
            state: (['InService', 'OutOfService'].includes(s.State ?? '') ? s.State : 'Unknown') as InstanceState,
            ...(s.Description && s.Description !== 'N/A' ? { description: s.Description } : {}),
          })),
        };
        if (lb.HealthCheck?.Target) {
          view.healthCheck = {
            target: lb.HealthCheck.Target,
            interval: lb.HealthCheck.Interval ?? 0,
            timeout: lb.HealthCheck.Timeout ?? 0,
            healthyThreshold: lb.HealthCheck.HealthyThreshold ?? 0,
            unhealthyThreshold: lb.HealthCheck.UnhealthyThreshold ?? 0,
          };
        }
        if (lb.SecurityGroups && lb.SecurityGroups.length > 0) view.securityGroups = [...lb.SecurityGroups];
        if (lb.CreatedTime) view.createdAt = lb.CreatedTime;
        return view;
      } catch (err) {
        if (isClassicLoadBalancerNotFound(err)) return undefined;
        throw toAwsBotError(err, `describe load balancer ${lbName}`);
      }
    },
  };
}

/**
 * The classic ELB half of LoadBalancerRemoval, over `@aws-sdk/client-elastic-load-balancing`: a
 * load balancer's record from `DescribeLoadBalancers` (listeners, health check, policies, placement),
 * `DescribeTags`, `DescribeInstanceHealth` (only when instances are registered) and
 * `DescribeLoadBalancerAttributes`, the last three at once; `DeleteLoadBalancer` by name. The classic
 * API deletes an absent load balancer without complaint, so whether it was there is asked first.
 */
import {
  DeleteLoadBalancerCommand,
  DescribeInstanceHealthCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  type ElasticLoadBalancingClient,
  type LoadBalancerAttributes,
  type LoadBalancerDescription,
} from '@aws-sdk/client-elastic-load-balancing';
import type { LoadBalancerKey } from '../domain/grammar/load-balancer-key.js';
import type { ClassicAttributesRecord, ClassicLoadBalancerRecord } from '../domain/load-balancer-record.js';
import { isClassicLoadBalancerNotFound } from './aws-errors.js';
import { tagRecord } from './aws-scan.js';
import { defined, type RemovalApi, removalError } from './removal-common.js';

type ClassicKey = Extract<LoadBalancerKey, { api: 'classic' }>;

export interface ClassicRemovalOptions {
  /** The ELB client of a region (the one the inventory and the jobs use: one retry and rate budget). */
  clientFor(region: string): ElasticLoadBalancingClient;
  /** Clock for `describedAt`, epoch ms. */
  now: () => number;
}

function attributesRecord(a: LoadBalancerAttributes | undefined): ClassicAttributesRecord {
  return defined({
    crossZoneLoadBalancing: a?.CrossZoneLoadBalancing?.Enabled,
    accessLog: a?.AccessLog
      ? defined({ enabled: a.AccessLog.Enabled ?? false, s3BucketName: a.AccessLog.S3BucketName, s3BucketPrefix: a.AccessLog.S3BucketPrefix, emitIntervalMinutes: a.AccessLog.EmitInterval })
      : undefined,
    connectionDraining: a?.ConnectionDraining ? defined({ enabled: a.ConnectionDraining.Enabled ?? false, timeoutSeconds: a.ConnectionDraining.Timeout }) : undefined,
    idleTimeoutSeconds: a?.ConnectionSettings?.IdleTimeout,
    additional: Object.fromEntries((a?.AdditionalAttributes ?? []).map((x) => [x.Key ?? '', x.Value ?? ''])),
  });
}

function record(
  key: ClassicKey,
  d: LoadBalancerDescription,
  tags: Record<string, string>,
  instances: ClassicLoadBalancerRecord['instances'],
  attributes: LoadBalancerAttributes | undefined,
  describedAt: string,
): ClassicLoadBalancerRecord {
  const hc = d.HealthCheck;
  const source = d.SourceSecurityGroup;
  return defined({
    kind: 'classic' as const,
    key: key.key,
    region: key.region,
    name: d.LoadBalancerName ?? key.name,
    dnsName: d.DNSName ?? '',
    scheme: d.Scheme ?? '',
    createdAt: d.CreatedTime?.toISOString() ?? '',
    vpcId: d.VPCId || undefined,
    availabilityZones: d.AvailabilityZones ?? [],
    subnets: d.Subnets ?? [],
    securityGroups: d.SecurityGroups ?? [],
    sourceSecurityGroup: source?.GroupName ? { ownerAlias: source.OwnerAlias ?? '', groupName: source.GroupName } : undefined,
    tags,
    listeners: (d.ListenerDescriptions ?? []).flatMap(({ Listener: l, PolicyNames }) =>
      l
        ? [
            defined({
              protocol: l.Protocol ?? '',
              loadBalancerPort: l.LoadBalancerPort ?? 0,
              instanceProtocol: l.InstanceProtocol ?? l.Protocol ?? '',
              instancePort: l.InstancePort ?? 0,
              sslCertificateId: l.SSLCertificateId,
              policyNames: PolicyNames ?? [],
            }),
          ]
        : [],
    ),
    healthCheck: hc?.Target
      ? {
          target: hc.Target,
          intervalSeconds: hc.Interval ?? 0,
          timeoutSeconds: hc.Timeout ?? 0,
          healthyThreshold: hc.HealthyThreshold ?? 0,
          unhealthyThreshold: hc.UnhealthyThreshold ?? 0,
        }
      : undefined,
    instances,
    policies: {
      appCookieStickiness: (d.Policies?.AppCookieStickinessPolicies ?? []).map((p) => ({ policyName: p.PolicyName ?? '', cookieName: p.CookieName ?? '' })),
      lbCookieStickiness: (d.Policies?.LBCookieStickinessPolicies ?? []).map((p) => defined({ policyName: p.PolicyName ?? '', cookieExpirationPeriod: p.CookieExpirationPeriod })),
      other: d.Policies?.OtherPolicies ?? [],
    },
    backendServers: (d.BackendServerDescriptions ?? []).map((b) => ({ instancePort: b.InstancePort ?? 0, policyNames: b.PolicyNames ?? [] })),
    attributes: attributesRecord(attributes),
    describedAt,
  });
}

export function createClassicRemoval(options: ClassicRemovalOptions): RemovalApi<ClassicKey> {
  /** Its description, or undefined when AWS does not list it. */
  async function described(key: ClassicKey, signal: AbortSignal | undefined): Promise<LoadBalancerDescription | undefined> {
    try {
      const answer = await options.clientFor(key.region).send(new DescribeLoadBalancersCommand({ LoadBalancerNames: [key.name] }), signal ? { abortSignal: signal } : {});
      return answer.LoadBalancerDescriptions?.find((d) => d.LoadBalancerName === key.name);
    } catch (err) {
      if (isClassicLoadBalancerNotFound(err)) return undefined;
      throw removalError(err, key, 'describe the classic load balancer', signal);
    }
  }

  return {
    async describe(key, signal) {
      const d = await described(key, signal);
      if (!d) return undefined;
      const client = options.clientFor(key.region);
      const send = signal ? { abortSignal: signal } : {};
      try {
        const [tags, health, attributes] = await Promise.all([
          client.send(new DescribeTagsCommand({ LoadBalancerNames: [key.name] }), send),
          (d.Instances?.length ?? 0) > 0 ? client.send(new DescribeInstanceHealthCommand({ LoadBalancerName: key.name }), send) : Promise.resolve(undefined),
          client.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerName: key.name }), send),
        ]);
        const instances = (health?.InstanceStates ?? []).map((s) =>
          defined({ instanceId: s.InstanceId ?? '', state: s.State ?? 'Unknown', reasonCode: s.ReasonCode === 'N/A' ? undefined : s.ReasonCode, description: s.Description === 'N/A' ? undefined : s.Description }),
        );
        return record(key, d, tagRecord(tags.TagDescriptions?.[0]?.Tags), instances, attributes.LoadBalancerAttributes, new Date(options.now()).toISOString());
      } catch (err) {
        // Deleted between the calls: gone, as if it had never been found.
        if (isClassicLoadBalancerNotFound(err)) return undefined;
        throw removalError(err, key, 'describe the classic load balancer', signal);
      }
    },

    async delete(key) {
      if (!(await described(key, undefined))) return 'gone';
      try {
        await options.clientFor(key.region).send(new DeleteLoadBalancerCommand({ LoadBalancerName: key.name }));
        return 'deleted';
      } catch (err) {
        if (isClassicLoadBalancerNotFound(err)) return 'gone';
        throw removalError(err, key, 'delete the classic load balancer');
      }
    },

    async isListed(key) {
      return (await described(key, undefined)) !== undefined;
    },
  };
}

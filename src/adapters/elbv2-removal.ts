/**
 * The ELBv2 half of LoadBalancerRemoval (Network, Application and Gateway Load Balancers), over
 * `@aws-sdk/client-elastic-load-balancing-v2`: a load balancer's record from `DescribeLoadBalancers` by
 * ARN (or by name, whose answer carries the ARN), then at once its tags, its listeners (`DescribeListeners`, every page) and its target groups
 * (`DescribeTargetGroups` by load balancer, every page); then each group's targets and their health
 * (`DescribeTargetHealth`, a few groups at once) and the groups' tags (`DescribeTags`, 20 a call).
 * `DeleteLoadBalancer` by ARN (AWS deletes its listeners with it; its target groups stay). Listener
 * rules beyond the default actions and the load balancer's attributes are not part of the record.
 */
import {
  type Action,
  DeleteLoadBalancerCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
  type LoadBalancer,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { LoadBalancerKey } from '../domain/grammar/load-balancer-key.js';
import type { V2ActionRecord, V2LoadBalancerRecord, V2TargetGroupRecord, V2TargetRecord } from '../domain/load-balancer-record.js';
import { errorName } from './aws-errors.js';
import { PAGE_SIZE, allPages, mapLimited, tagRecord, tagsInBatches } from './aws-scan.js';
import { defined, type RemovalApi, removalError } from './removal-common.js';

type V2Key = Extract<LoadBalancerKey, { api: 'v2' }>;

export interface V2RemovalOptions {
  /** The ELBv2 client of a region (the inventory's: one retry and rate budget). */
  clientFor(region: string): ElasticLoadBalancingV2Client;
  /** Clock for `describedAt`, epoch ms. */
  now: () => number;
  /** Target health and tag calls in flight at once per description. Default 4. */
  concurrency?: number;
}

const KINDS = { network: 'network', application: 'application', gateway: 'gateway' } as const;

const isLoadBalancerNotFound = (err: unknown) => errorName(err).startsWith('LoadBalancerNotFound');
const isTargetGroupNotFound = (err: unknown) => errorName(err).startsWith('TargetGroupNotFound');

function actionRecord(a: Action): V2ActionRecord {
  const forward = a.ForwardConfig;
  const redirect = a.RedirectConfig;
  const fixed = a.FixedResponseConfig;
  const stickiness = forward?.TargetGroupStickinessConfig;
  return defined({
    type: a.Type ?? '',
    order: a.Order,
    targetGroupArn: a.TargetGroupArn,
    forward: forward
      ? defined({
          targetGroups: (forward.TargetGroups ?? []).map((t) => defined({ targetGroupArn: t.TargetGroupArn ?? '', weight: t.Weight })),
          stickiness: stickiness ? defined({ enabled: stickiness.Enabled ?? false, durationSeconds: stickiness.DurationSeconds }) : undefined,
        })
      : undefined,
    redirect: redirect
      ? defined({ statusCode: redirect.StatusCode ?? '', protocol: redirect.Protocol, port: redirect.Port, host: redirect.Host, path: redirect.Path, query: redirect.Query })
      : undefined,
    fixedResponse: fixed ? defined({ statusCode: fixed.StatusCode ?? '', contentType: fixed.ContentType, messageBody: fixed.MessageBody }) : undefined,
  });
}

function targetGroupRecord(g: TargetGroup, tags: Record<string, string>, targets: V2TargetRecord[]): V2TargetGroupRecord {
  return defined({
    arn: g.TargetGroupArn ?? '',
    name: g.TargetGroupName ?? '',
    protocol: g.Protocol,
    protocolVersion: g.ProtocolVersion,
    port: g.Port,
    targetType: g.TargetType,
    vpcId: g.VpcId,
    ipAddressType: g.IpAddressType,
    healthCheck: defined({
      enabled: g.HealthCheckEnabled,
      protocol: g.HealthCheckProtocol,
      port: g.HealthCheckPort,
      path: g.HealthCheckPath,
      intervalSeconds: g.HealthCheckIntervalSeconds,
      timeoutSeconds: g.HealthCheckTimeoutSeconds,
      healthyThreshold: g.HealthyThresholdCount,
      unhealthyThreshold: g.UnhealthyThresholdCount,
      matcher: g.Matcher ? defined({ httpCode: g.Matcher.HttpCode, grpcCode: g.Matcher.GrpcCode }) : undefined,
    }),
    tags,
    targets,
  });
}

export interface V2Removal extends RemovalApi<V2Key> {
  /** The record of the load balancer named `name` in `region` (keyed by its ARN), or undefined when there is none. */
  describeByName(region: string, name: string, signal: AbortSignal | undefined): Promise<V2LoadBalancerRecord | undefined>;
}

export function createV2Removal(options: V2RemovalOptions): V2Removal {
  const concurrency = options.concurrency ?? 4;

  /**
   * The ELBv2 load balancer named `name` in `region` as DescribeLoadBalancers by name answers it (with
   * its ARN), or undefined when AWS lists none by that name.
   */
  async function describedByName(region: string, name: string, signal: AbortSignal | undefined): Promise<(LoadBalancer & { LoadBalancerArn: string }) | undefined> {
    try {
      const answer = await options.clientFor(region).send(new DescribeLoadBalancersCommand({ Names: [name] }), signal ? { abortSignal: signal } : {});
      const lb = answer.LoadBalancers?.find((l) => l.LoadBalancerName === name);
      return lb?.LoadBalancerArn ? { ...lb, LoadBalancerArn: lb.LoadBalancerArn } : undefined;
    } catch (err) {
      if (isLoadBalancerNotFound(err)) return undefined;
      throw removalError(err, { region, name }, 'look for the load balancer', signal);
    }
  }

  /** It as DescribeLoadBalancers answers, or undefined when AWS does not list it. */
  async function described(key: V2Key, signal: AbortSignal | undefined): Promise<LoadBalancer | undefined> {
    try {
      const answer = await options.clientFor(key.region).send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [key.arn] }), signal ? { abortSignal: signal } : {});
      return answer.LoadBalancers?.find((lb) => lb.LoadBalancerArn === key.arn);
    } catch (err) {
      if (isLoadBalancerNotFound(err)) return undefined;
      throw removalError(err, key, 'describe the load balancer', signal);
    }
  }

  /** A group's targets with their health; none when the group was deleted meanwhile. */
  async function targetsOf(client: ElasticLoadBalancingV2Client, arn: string, send: { abortSignal?: AbortSignal }): Promise<V2TargetRecord[]> {
    try {
      const answer = await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }), send);
      return (answer.TargetHealthDescriptions ?? []).map((d) =>
        defined({
          id: d.Target?.Id ?? '',
          port: d.Target?.Port,
          availabilityZone: d.Target?.AvailabilityZone,
          state: d.TargetHealth?.State ?? 'unavailable',
          reason: d.TargetHealth?.Reason,
          description: d.TargetHealth?.Description,
        }),
      );
    } catch (err) {
      if (isTargetGroupNotFound(err)) return [];
      throw err;
    }
  }

  /** The full record of `lb`, as DescribeLoadBalancers answered it, or undefined when it was deleted meanwhile. */
  async function recordOf(key: V2Key, lb: LoadBalancer, signal: AbortSignal | undefined): Promise<V2LoadBalancerRecord | undefined> {
    const client = options.clientFor(key.region);
    const send = signal ? { abortSignal: signal } : {};
    try {
      const [tags, listeners, groups] = await Promise.all([
        client.send(new DescribeTagsCommand({ ResourceArns: [key.arn] }), send),
        allPages(async (marker) => {
          const page = await client.send(new DescribeListenersCommand({ LoadBalancerArn: key.arn, PageSize: PAGE_SIZE, ...(marker ? { Marker: marker } : {}) }), send);
          return { items: page.Listeners ?? [], next: page.NextMarker };
        }),
        allPages(async (marker) => {
          const page = await client.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: key.arn, PageSize: PAGE_SIZE, ...(marker ? { Marker: marker } : {}) }), send);
          return { items: page.TargetGroups ?? [], next: page.NextMarker };
        }),
      ]);
      const groupArns = groups.map((g) => g.TargetGroupArn ?? '');
      const [targets, groupTags] = await Promise.all([
        mapLimited(groupArns, concurrency, (arn) => targetsOf(client, arn, send)),
        tagsInBatches(
          groupArns,
          {
            async read(batch) {
              const answer = await client.send(new DescribeTagsCommand({ ResourceArns: batch }), send);
              return new Map((answer.TagDescriptions ?? []).map((d) => [d.ResourceArn ?? '', tagRecord(d.Tags)]));
            },
            // A group deleted meanwhile fails its whole batch, without saying which: halved until found.
            missing: (err) => (isTargetGroupNotFound(err) ? [] : undefined),
          },
          concurrency,
        ),
      ]);
      const record: V2LoadBalancerRecord = defined({
        kind: KINDS[lb.Type ?? 'application'],
        key: key.key,
        arn: key.arn,
        region: key.region,
        name: lb.LoadBalancerName ?? key.name,
        dnsName: lb.DNSName ?? '',
        scheme: lb.Scheme ?? '',
        createdAt: lb.CreatedTime?.toISOString() ?? '',
        state: lb.State?.Code,
        vpcId: lb.VpcId,
        ipAddressType: lb.IpAddressType,
        availabilityZones: (lb.AvailabilityZones ?? []).map((z) =>
          defined({
            zoneName: z.ZoneName ?? '',
            subnetId: z.SubnetId,
            addresses: (z.LoadBalancerAddresses ?? []).map((a) => defined({ ipAddress: a.IpAddress, allocationId: a.AllocationId, privateIPv4Address: a.PrivateIPv4Address })),
          }),
        ),
        securityGroups: lb.SecurityGroups ?? [],
        tags: tagRecord(tags.TagDescriptions?.[0]?.Tags),
        listeners: listeners.map((l) =>
          defined({
            arn: l.ListenerArn ?? '',
            protocol: l.Protocol,
            port: l.Port,
            sslPolicy: l.SslPolicy,
            certificates: (l.Certificates ?? []).map((c) => c.CertificateArn ?? ''),
            alpnPolicy: l.AlpnPolicy ?? [],
            defaultActions: (l.DefaultActions ?? []).map(actionRecord),
          }),
        ),
        targetGroups: groups.map((g, i) => targetGroupRecord(g, groupTags.get(groupArns[i]!) ?? {}, targets[i] ?? [])),
        describedAt: new Date(options.now()).toISOString(),
      });
      return record;
    } catch (err) {
      // Deleted between the calls: gone, as if it had never been found.
      if (isLoadBalancerNotFound(err)) return undefined;
      throw removalError(err, key, 'describe the load balancer', signal);
    }
  }

  return {
    async describe(key, signal) {
      const lb = await described(key, signal);
      return lb && recordOf(key, lb, signal);
    },

    async describeByName(region, name, signal) {
      // One DescribeLoadBalancers, by name: its answer carries the ARN the rest of the record is read by.
      const lb = await describedByName(region, name, signal);
      return lb && recordOf({ api: 'v2', key: lb.LoadBalancerArn, arn: lb.LoadBalancerArn, region, name: lb.LoadBalancerName ?? name }, lb, signal);
    },

    async delete(key) {
      if (!(await described(key, undefined))) return 'gone';
      try {
        await options.clientFor(key.region).send(new DeleteLoadBalancerCommand({ LoadBalancerArn: key.arn }));
        return 'deleted';
      } catch (err) {
        if (isLoadBalancerNotFound(err)) return 'gone';
        // OperationNotPermitted: deletion protection is on; AWS's message says so.
        throw removalError(err, key, 'delete the load balancer');
      }
    },

    async isListed(key) {
      return (await described(key, undefined)) !== undefined;
    },
  };
}

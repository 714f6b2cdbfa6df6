/**
 * One load balancer, found by the key a report shows (an NLB/ALB's ARN, or REGION/NAME of a classic or a
 * v2 one), described in full for the audit log before it is deleted, deleted, and watched until AWS no
 * longer lists it: the AWS side of `/svc orphan …` (src/domain/orphan-commands.ts).
 *
 * The description is everything needed to recreate it: for a classic ELB its listeners, health check,
 * instances and their health, subnets, zones, security groups, attributes and tags; for an NLB/ALB its
 * listeners, target groups with their health checks and targets, subnets, zones, security groups and tags.
 * "Not found" is an answer (undefined, `gone`, not listed), never an error; anything else is a BotError
 * marked transient or throttled, as the scan's are.
 */
import {
  DeleteLoadBalancerCommand as DeleteClassicCommand,
  DescribeInstanceHealthCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand as DescribeClassicCommand,
  DescribeTagsCommand as DescribeClassicTagsCommand,
  type ElasticLoadBalancingClient,
  type LoadBalancerDescription,
} from '@aws-sdk/client-elastic-load-balancing';
import {
  DeleteLoadBalancerCommand as DeleteV2Command,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand as DescribeV2Command,
  DescribeTagsCommand as DescribeV2TagsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
  type LoadBalancer as V2LoadBalancer,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { FoundLoadBalancer, OrphanTarget } from '../domain/orphan-commands.js';
import type { ScannedLoadBalancer } from '../domain/orphans.js';
import { errorName, isClassicLoadBalancerNotFound } from './aws-errors.js';
import { scanError } from './aws-scan.js';

export interface OrphanTargetOptions {
  classicClientFor(region: string): ElasticLoadBalancingClient;
  v2ClientFor(region: string): ElasticLoadBalancingV2Client;
}

const KINDS = { network: 'network', application: 'application', gateway: 'gateway' } as const;

function isV2NotFound(err: unknown): boolean {
  return errorName(err).startsWith('LoadBalancerNotFound');
}

/** The region of an ELBv2 ARN (`arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/…`). */
function arnRegion(arn: string): string {
  return arn.split(':')[3] ?? '';
}

function tagMap(tags: readonly { Key?: string | undefined; Value?: string | undefined }[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}

/** A JSON-able copy of an SDK answer: dates as ISO text, no SDK metadata. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (key, v: unknown) => (key === '$metadata' ? undefined : v))) as unknown;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function createOrphanTarget(options: OrphanTargetOptions): OrphanTarget {
  async function findClassic(region: string, name: string): Promise<FoundLoadBalancer | undefined> {
    const client = options.classicClientFor(region);
    let description: LoadBalancerDescription | undefined;
    try {
      description = (await client.send(new DescribeClassicCommand({ LoadBalancerNames: [name] }))).LoadBalancerDescriptions?.[0];
    } catch (err) {
      if (isClassicLoadBalancerNotFound(err)) return undefined;
      throw scanError(err, region, `describe load balancer ${name}`);
    }
    if (!description) return undefined;
    try {
      const [tags, health, attributes] = await Promise.all([
        client.send(new DescribeClassicTagsCommand({ LoadBalancerNames: [name] })),
        client.send(new DescribeInstanceHealthCommand({ LoadBalancerName: name })),
        client.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerName: name })),
      ]);
      const tagsOf = tagMap(tags.TagDescriptions?.[0]?.Tags);
      const states = health.InstanceStates ?? [];
      const lb: ScannedLoadBalancer = {
        region,
        name,
        kind: 'classic',
        dnsName: description.DNSName ?? '',
        createdAt: description.CreatedTime?.getTime() ?? 0,
        tags: tagsOf,
        registered: states.length,
        inService: states.filter((s) => s.State === 'InService').length,
      };
      const listeners = (description.ListenerDescriptions ?? []).map((l) => l.Listener).filter((l) => l !== undefined);
      const check = description.HealthCheck;
      const record = {
        kind: 'classic',
        region,
        description: plain(description),
        tags: tagsOf,
        instanceHealth: plain(states),
        attributes: plain(attributes.LoadBalancerAttributes),
      } as Record<string, unknown>;
      const summary = [
        `classic load balancer ${name} (${description.Scheme ?? '?'}), ${lb.dnsName}`,
        `listeners: ${listeners.map((l) => `${l.Protocol} ${l.LoadBalancerPort} → ${l.InstanceProtocol} ${l.InstancePort}`).join(', ') || 'none'}`,
        ...(check ? [`health check ${check.Target} every ${check.Interval} s`] : []),
        `instances: ${states.map((s) => `${s.InstanceId} (${s.State})`).join(', ') || 'none'}`,
        `security groups: ${(description.SecurityGroups ?? []).join(', ') || 'none'}; ${plural(Object.keys(tagsOf).length, 'tag')}`,
      ];
      return { lb, record, summary };
    } catch (err) {
      if (isClassicLoadBalancerNotFound(err)) return undefined;
      throw scanError(err, region, `describe load balancer ${name}`);
    }
  }

  async function describeV2(region: string, lb: V2LoadBalancer): Promise<FoundLoadBalancer | undefined> {
    const client = options.v2ClientFor(region);
    const arn = lb.LoadBalancerArn ?? '';
    try {
      const [tags, listeners, groups] = await Promise.all([
        client.send(new DescribeV2TagsCommand({ ResourceArns: [arn] })),
        client.send(new DescribeListenersCommand({ LoadBalancerArn: arn })),
        client.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: arn })),
      ]);
      const targetGroups = await Promise.all(
        (groups.TargetGroups ?? []).map(async (group) => ({
          group,
          targets: (await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: group.TargetGroupArn }))).TargetHealthDescriptions ?? [],
        })),
      );
      const tagsOf = tagMap(tags.TagDescriptions?.[0]?.Tags);
      const targets = targetGroups.flatMap((g) => g.targets);
      const kind = KINDS[lb.Type ?? 'application'];
      const scanned: ScannedLoadBalancer = {
        region,
        name: lb.LoadBalancerName ?? '',
        arn,
        kind,
        dnsName: lb.DNSName ?? '',
        createdAt: lb.CreatedTime?.getTime() ?? 0,
        tags: tagsOf,
        registered: targets.length,
        inService: targets.filter((t) => t.TargetHealth?.State === 'healthy').length,
      };
      const record = {
        kind,
        region,
        description: plain(lb),
        tags: tagsOf,
        listeners: plain(listeners.Listeners ?? []),
        targetGroups: targetGroups.map((g) => ({ ...(plain(g.group) as object), targets: plain(g.targets) })),
      } as Record<string, unknown>;
      const summary = [
        `${kind} load balancer ${scanned.name} (${lb.Scheme ?? '?'}), ${scanned.dnsName}`,
        `listeners: ${(listeners.Listeners ?? []).map((l) => `${l.Protocol} ${l.Port}`).join(', ') || 'none'}`,
        `target groups: ${targetGroups.map((g) => `${g.group.TargetGroupName} (${g.group.Protocol} ${g.group.Port}, ${plural(g.targets.length, 'target')})`).join(', ') || 'none'}`,
        `security groups: ${(lb.SecurityGroups ?? []).join(', ') || 'none'}; ${plural(Object.keys(tagsOf).length, 'tag')}`,
      ];
      return { lb: scanned, record, summary };
    } catch (err) {
      if (isV2NotFound(err)) return undefined;
      throw scanError(err, region, `describe load balancer ${arn}`);
    }
  }

  async function findV2(region: string, by: { arn: string } | { name: string }): Promise<FoundLoadBalancer | undefined> {
    const client = options.v2ClientFor(region);
    let lb: V2LoadBalancer | undefined;
    try {
      const answer = await client.send(new DescribeV2Command('arn' in by ? { LoadBalancerArns: [by.arn] } : { Names: [by.name] }));
      lb = answer.LoadBalancers?.[0];
    } catch (err) {
      if (isV2NotFound(err)) return undefined;
      throw scanError(err, region, `describe load balancer ${'arn' in by ? by.arn : by.name}`);
    }
    return lb ? describeV2(region, lb) : undefined;
  }

  return {
    async find(key) {
      if (key.startsWith('arn:')) return findV2(arnRegion(key), { arn: key });
      const slash = key.indexOf('/');
      const region = key.slice(0, slash);
      const name = key.slice(slash + 1);
      // REGION/NAME: a classic load balancer's key, or a v2 one's shorter name (the two APIs' names are apart).
      return (await findClassic(region, name)) ?? (await findV2(region, { name }));
    },

    async delete(lb) {
      try {
        if (lb.arn === undefined) {
          await options.classicClientFor(lb.region).send(new DeleteClassicCommand({ LoadBalancerName: lb.name }));
        } else {
          await options.v2ClientFor(lb.region).send(new DeleteV2Command({ LoadBalancerArn: lb.arn }));
        }
        return 'deleted';
      } catch (err) {
        if (isClassicLoadBalancerNotFound(err) || isV2NotFound(err)) return 'gone';
        throw scanError(err, lb.region, `delete load balancer ${lb.name}`);
      }
    },

    async isListed(lb) {
      try {
        if (lb.arn === undefined) {
          const answer = await options.classicClientFor(lb.region).send(new DescribeClassicCommand({ LoadBalancerNames: [lb.name] }));
          return (answer.LoadBalancerDescriptions ?? []).length > 0;
        }
        const answer = await options.v2ClientFor(lb.region).send(new DescribeV2Command({ LoadBalancerArns: [lb.arn] }));
        return (answer.LoadBalancers ?? []).length > 0;
      } catch (err) {
        if (isClassicLoadBalancerNotFound(err) || isV2NotFound(err)) return false;
        throw scanError(err, lb.region, `look for load balancer ${lb.name}`);
      }
    },
  };
}

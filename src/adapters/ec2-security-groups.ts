/**
 * NodeSecurityGroups over `@aws-sdk/client-ec2`: the instances' groups (DescribeInstances, by
 * InstanceId.N) and the groups' inbound rules (DescribeSecurityGroups, by GroupId.N). Answers are kept
 * for `cacheMs` per set of instances, so a burst of commands asks EC2 once.
 */
import { DescribeInstancesCommand, DescribeSecurityGroupsCommand, type EC2Client, type IpPermission } from '@aws-sdk/client-ec2';
import { BotError } from '../domain/errors.js';
import type { IngressRuleView, InstanceSecurityGroups, SecurityGroupView } from '../domain/node-port-access.js';
import type { NodeSecurityGroups } from '../ports/node-security-groups.js';
import { errorName, isAwsAccessDenied, isThrottledAwsError, isTransientAwsError } from './aws-errors.js';

/** How long an answer is reused by default. */
const SECURITY_GROUP_CACHE_MS = 30_000;


function toBotError(err: unknown): BotError {
  const name = errorName(err);
  if (isAwsAccessDenied(err)) {
    return new BotError('forbidden', `EC2 refused svcbot (${name}): its IAM policy needs ec2:DescribeInstances and ec2:DescribeSecurityGroups.`, { cause: err });
  }
  return new BotError('aws_error', `Could not read the nodes' security groups: ${name || 'error'}: ${(err as Error).message}.`, {
    cause: err,
    transient: isTransientAwsError(err),
    throttled: isThrottledAwsError(err),
  });
}

function ruleOf(p: IpPermission): IngressRuleView {
  const rule: IngressRuleView = {
    protocol: p.IpProtocol ?? '-1',
    cidrs: [...(p.IpRanges ?? []).flatMap((r) => r.CidrIp ?? []), ...(p.Ipv6Ranges ?? []).flatMap((r) => r.CidrIpv6 ?? [])],
    groups: (p.UserIdGroupPairs ?? []).flatMap((g) => g.GroupId ?? []),
  };
  if (p.FromPort !== undefined) rule.fromPort = p.FromPort;
  if (p.ToPort !== undefined) rule.toPort = p.ToPort;
  return rule;
}

async function read(client: EC2Client, instanceIds: readonly string[]): Promise<InstanceSecurityGroups> {
  const instances: InstanceSecurityGroups['instances'] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(new DescribeInstancesCommand({ InstanceIds: [...instanceIds], ...(nextToken ? { NextToken: nextToken } : {}) }));
    for (const reservation of page.Reservations ?? []) {
      for (const instance of reservation.Instances ?? []) {
        if (!instance.InstanceId) continue;
        instances.push({ instanceId: instance.InstanceId, groupIds: (instance.SecurityGroups ?? []).flatMap((g) => g.GroupId ?? []) });
      }
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return { instances, groups: await describeGroups(client, [...new Set(instances.flatMap((i) => i.groupIds))]) };
}

async function describeGroups(client: EC2Client, groupIds: readonly string[]): Promise<SecurityGroupView[]> {
  if (groupIds.length === 0) return [];
  const described = await client.send(new DescribeSecurityGroupsCommand({ GroupIds: [...groupIds] }));
  return (described.SecurityGroups ?? []).flatMap((g) =>
    g.GroupId === undefined
      ? []
      : [
          {
            groupId: g.GroupId,
            ...(g.GroupName === undefined ? {} : { groupName: g.GroupName }),
            ingress: (g.IpPermissions ?? []).map(ruleOf),
            ...(g.Tags === undefined ? {} : { tags: Object.fromEntries(g.Tags.flatMap((t) => (t.Key === undefined ? [] : [[t.Key, t.Value ?? '']]))) }),
          },
        ],
  );
}

export function createEc2SecurityGroups(client: EC2Client, { cacheMs = SECURITY_GROUP_CACHE_MS, now = Date.now }: { cacheMs?: number; now?: () => number } = {}): NodeSecurityGroups {
  const cache = new Map<string, { at: number; answer: Promise<unknown> }>();
  /** `load`'s answer, shared for `cacheMs` by every caller asking the same `key`; a failure is not kept. */
  function cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const at = now();
    for (const [k, entry] of cache) if (at - entry.at >= cacheMs) cache.delete(k);
    const hit = cache.get(key);
    if (hit) return hit.answer as Promise<T>;
    const answer = load().catch((err: unknown) => {
      cache.delete(key); // a failure is not remembered: the next command asks again
      throw toBotError(err);
    });
    if (cacheMs > 0) cache.set(key, { at, answer });
    return answer;
  }
  return {
    groupsOfInstances(instanceIds) {
      return cached(`instances:${[...instanceIds].sort().join(',')}`, () => read(client, instanceIds));
    },
    groupsById(groupIds) {
      return cached(`groups:${[...groupIds].sort().join(',')}`, () => describeGroups(client, groupIds));
    },
  };
}

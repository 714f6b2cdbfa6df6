/**
 * IngressRules over `@aws-sdk/client-ec2`: AuthorizeSecurityGroupIngress and RevokeSecurityGroupIngress
 * of one rule (one protocol and port, one IPv4 or IPv6 range). `InvalidPermission.Duplicate` is a rule
 * that was there already; `InvalidPermission.NotFound` one that is gone already. A refusal names the
 * permission svcbot's IAM policy lacks.
 */
import { AuthorizeSecurityGroupIngressCommand, RevokeSecurityGroupIngressCommand, type EC2Client, type IpPermission } from '@aws-sdk/client-ec2';
import { BotError } from '../domain/errors.js';
import type { IngressRuleRef, IngressRules } from '../ports/ingress-rules.js';
import { errorName, isAwsAccessDenied, isThrottledAwsError, isTransientAwsError } from './aws-errors.js';

const GONE = new Set(['InvalidGroup.NotFound', 'InvalidGroupId.NotFound']);

function permission(rule: IngressRuleRef, description?: string): IpPermission {
  const range = rule.cidr.includes(':')
    ? { Ipv6Ranges: [{ CidrIpv6: rule.cidr, ...(description === undefined ? {} : { Description: description }) }] }
    : { IpRanges: [{ CidrIp: rule.cidr, ...(description === undefined ? {} : { Description: description }) }] };
  return { IpProtocol: rule.protocol, FromPort: rule.port, ToPort: rule.port, ...range };
}

function toBotError(err: unknown, action: 'AuthorizeSecurityGroupIngress' | 'RevokeSecurityGroupIngress', rule: IngressRuleRef): BotError {
  const name = errorName(err);
  const what = `${rule.protocol}/${rule.port} from ${rule.cidr} in security group ${rule.groupId}`;
  if (isAwsAccessDenied(err)) {
    return new BotError('forbidden', `EC2 refused svcbot (${name}) ${action === 'AuthorizeSecurityGroupIngress' ? 'opening' : 'closing'} ${what}: its IAM policy needs ec2:${action} on that group.`, { cause: err });
  }
  if (GONE.has(name)) return new BotError('not_found', `Security group ${rule.groupId} no longer exists: nothing to ${action === 'AuthorizeSecurityGroupIngress' ? 'open' : 'close'} there.`, { cause: err });
  return new BotError('aws_error', `Could not ${action === 'AuthorizeSecurityGroupIngress' ? 'open' : 'close'} ${what}: ${name || 'error'}: ${(err as Error).message}.`, {
    cause: err,
    transient: isTransientAwsError(err),
    throttled: isThrottledAwsError(err),
  });
}

export function createEc2IngressRules(client: EC2Client): IngressRules {
  return {
    async authorize(rule, description) {
      try {
        await client.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: rule.groupId, IpPermissions: [permission(rule, description)] }));
        return 'added';
      } catch (err) {
        if (errorName(err) === 'InvalidPermission.Duplicate') return 'existed';
        throw toBotError(err, 'AuthorizeSecurityGroupIngress', rule);
      }
    },
    async revoke(rule) {
      try {
        await client.send(new RevokeSecurityGroupIngressCommand({ GroupId: rule.groupId, IpPermissions: [permission(rule)] }));
        return 'revoked';
      } catch (err) {
        if (errorName(err) === 'InvalidPermission.NotFound') return 'absent';
        throw toBotError(err, 'RevokeSecurityGroupIngress', rule);
      }
    },
  };
}

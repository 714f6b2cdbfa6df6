/**
 * Inbound rules of EC2 security groups, changed: what `/svc allow` opens and closes. One rule is one
 * protocol and port from one source range into one group.
 */

export interface IngressRuleRef {
  groupId: string;
  protocol: 'tcp' | 'udp' | 'sctp';
  port: number;
  /** IPv4 or IPv6 range in network form (`203.0.113.0/24`, `2001:db8::/32`). */
  cidr: string;
}

export interface IngressRules {
  /**
   * AuthorizeSecurityGroupIngress of the one rule, with `description` on it. `existed`: the group had the
   * rule already (InvalidPermission.Duplicate) and nothing was added. Throws BotError `forbidden` when
   * EC2 refuses (naming the permission), `not_found` for a group that is gone, `aws_error` otherwise
   * (transient when trying again may help).
   */
  authorize(rule: IngressRuleRef, description: string): Promise<'added' | 'existed'>;
  /** RevokeSecurityGroupIngress of the one rule. `absent`: it was not there (InvalidPermission.NotFound). Errors as authorize. */
  revoke(rule: IngressRuleRef): Promise<'revoked' | 'absent'>;
}

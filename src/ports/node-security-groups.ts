/**
 * EC2 security groups as svcbot reads them: the nodes' (to tell whether a node port is reachable from
 * outside the VPC) and a load balancer's (to tell why it does not answer).
 */
import type { InstanceSecurityGroups, SecurityGroupView } from '../domain/node-port-access.js';

export interface NodeSecurityGroups {
  /**
   * The security groups of these EC2 instances and the groups' inbound rules (DescribeInstances, then
   * DescribeSecurityGroups). Throws BotError `forbidden` when EC2 refuses (AccessDenied,
   * UnauthorizedOperation), `aws_error` otherwise. Answers may be a few seconds old (cached).
   */
  groupsOfInstances(instanceIds: readonly string[]): Promise<InstanceSecurityGroups>;

  /** These groups and their inbound rules (DescribeSecurityGroups by GroupId.N); the same errors and cache. */
  groupsById(groupIds: readonly string[]): Promise<SecurityGroupView[]>;
}

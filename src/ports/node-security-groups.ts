/** The nodes' EC2 security groups, read to tell whether a node port is reachable from outside the VPC. */
import type { InstanceSecurityGroups } from '../domain/node-port-access.js';

export interface NodeSecurityGroups {
  /**
   * The security groups of these EC2 instances and the groups' inbound rules (DescribeInstances, then
   * DescribeSecurityGroups). Throws BotError `forbidden` when EC2 refuses (AccessDenied,
   * UnauthorizedOperation), `aws_error` otherwise. Answers may be a few seconds old (cached).
   */
  groupsOfInstances(instanceIds: readonly string[]): Promise<InstanceSecurityGroups>;
}

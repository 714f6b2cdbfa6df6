import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import * as k8s from '@kubernetes/client-node';
import { Resolver } from 'node:dns/promises';
import { sandboxAdminCredentials, type Sandbox } from '../../sandbox/index.js';

/**
 * The real clients svcbot uses, pointed at a running sandbox as its admin: what a test sets up "as
 * kubectl would" (or an operator in the AWS console) is never refused by the RBAC and IAM policy the
 * sandbox enforces on svcbot.
 */
export function sandboxClients(sandbox: Sandbox) {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(sandbox.adminKubeconfigYaml);
  const elb = new ElasticLoadBalancingClient({
    region: sandbox.info.region,
    endpoint: sandbox.info.elbEndpoint,
    credentials: sandboxAdminCredentials,
    maxAttempts: 1,
  });
  const ec2 = new EC2Client({
    region: sandbox.info.region,
    endpoint: sandbox.info.ec2Endpoint,
    credentials: sandboxAdminCredentials,
    maxAttempts: 1,
  });
  const resolver = new Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([sandbox.info.dnsServer]);
  return { kc, core: kc.makeApiClient(k8s.CoreV1Api), elb, ec2, resolver };
}

import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import * as k8s from '@kubernetes/client-node';
import { Resolver } from 'node:dns/promises';
import type { Sandbox } from '../../sandbox/index.js';

/** The real clients svcbot uses, pointed at a running sandbox. */
export function sandboxClients(sandbox: Sandbox) {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(sandbox.kubeconfigYaml);
  const elb = new ElasticLoadBalancingClient({
    region: sandbox.info.region,
    endpoint: sandbox.info.elbEndpoint,
    credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
    maxAttempts: 1,
  });
  const resolver = new Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([sandbox.info.dnsServer]);
  return { kc, core: kc.makeApiClient(k8s.CoreV1Api), elb, resolver };
}

/**
 * The real adapters (Kubernetes over client-node, classic ELB over the AWS SDK, the registry built from
 * configuration) pass the port contracts against the sandbox, like the in-memory fakes do
 * (test/unit/fakes.contract.test.ts).
 */
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import * as k8s from '@kubernetes/client-node';
import { createClusterRegistry } from '../../src/adapters/clusters.js';
import { serviceManifest } from '../../src/domain/manifest.js';
import { clusterGatewayContract } from '../contract/cluster-gateway.contract.js';
import { clusterRegistryContract } from '../contract/cluster-registry.contract.js';
import { loadBalancerGatewayContract } from '../contract/load-balancer-gateway.contract.js';
import { clusterConfig, startSandboxTarget } from '../contract/sandbox-fixtures.js';
import { waitFor } from '../helpers/wait.js';

clusterGatewayContract('Kubernetes adapter against the sandbox', async () => {
  const target = await startSandboxTarget({ clusterName: 'contract-east' });
  return { gateway: target.registry.get().cluster, teardown: () => target.close() };
});

loadBalancerGatewayContract('ELB adapter against the sandbox', async () => {
  const target = await startSandboxTarget({ clusterName: 'contract-lb', region: 'eu-west-1' });
  const { sandbox } = target;
  const { cluster, loadBalancers } = target.registry.get();
  const nameOf = (hostname: string) => {
    const lb = sandbox.elb.findByDnsName(hostname);
    if (!lb) throw new Error(`no load balancer answers to ${hostname}`);
    return lb.name;
  };
  return {
    gateway: loadBalancers,
    async provision(name) {
      await cluster.createService(
        serviceManifest({ name, namespace: 'default', selector: { app: 'alpine' }, ports: [{ port: 8080, targetPort: 80, protocol: 'TCP' }], type: 'LoadBalancer' }),
      );
      const service = await waitFor(async () => {
        const svc = await cluster.getService('default', name);
        return svc.loadBalancerHostnames.length > 0 && svc;
      }, { what: `a hostname for ${name}` });
      return { service, hostname: service.loadBalancerHostnames[0]! };
    },
    retag(hostname, owner) {
      sandbox.elb.addTags([nameOf(hostname)], { 'kubernetes.io/service-name': owner });
      return Promise.resolve();
    },
    throttle() {
      // One request a second: findForService needs three.
      sandbox.faults.set({ elbThrottleRatePerSecond: 1 });
      return Promise.resolve(() => sandbox.faults.set({ elbThrottleRatePerSecond: 0 }));
    },
    teardown: () => target.close(),
  };
});

clusterRegistryContract('createClusterRegistry', (names) => {
  // The registry makes its clients up front but connects to nothing until a gateway is called.
  const registry = createClusterRegistry(
    names.map((n) => clusterConfig(n)),
    {
      loadKubeConfig: (c) => {
        const kc = new k8s.KubeConfig();
        kc.loadFromOptions({
          clusters: [{ name: c.name, server: 'http://127.0.0.1:9', skipTLSVerify: true }],
          users: [{ name: 'u' }],
          contexts: [{ name: c.name, cluster: c.name, user: 'u' }],
          currentContext: c.name,
        });
        return kc;
      },
      createElbClient: (c) =>
        new ElasticLoadBalancingClient({ region: c.region ?? 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
    },
  );
  return Promise.resolve({
    registry,
    teardown() {
      registry.close();
      return Promise.resolve();
    },
  });
});

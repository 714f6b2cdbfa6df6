/**
 * The in-memory fakes pass the same contract suites as the real adapters (test/integration/adapters.contract.test.ts),
 * so unit tests written against them see what svcbot would see against a cluster.
 */
import { createMemoryLatestChanges } from '../../src/adapters/memory/latest-changes.js';
import { createMemoryReplayGuard } from '../../src/adapters/memory/replay-guard.js';
import { BotError } from '../../src/domain/errors.js';
import { serviceManifest } from '../../src/domain/manifest.js';
import { clusterGatewayContract } from '../contract/cluster-gateway.contract.js';
import { clusterRegistryContract } from '../contract/cluster-registry.contract.js';
import { latestChangesContract } from '../contract/latest-changes.contract.js';
import { loadBalancerGatewayContract } from '../contract/load-balancer-gateway.contract.js';
import { replayGuardContract } from '../contract/replay-guard.contract.js';
import { InMemoryClusterRegistry, fakeTarget } from '../fakes/index.js';

const nothingToTearDown = () => Promise.resolve();

clusterGatewayContract('InMemoryCluster', () => {
  const { cluster } = fakeTarget({ name: 'fake-east' });
  return Promise.resolve({ gateway: cluster, teardown: nothingToTearDown });
});

loadBalancerGatewayContract('InMemoryLoadBalancers', () => {
  const { cluster, loadBalancers } = fakeTarget({ name: 'fake-east' });
  const nameOf = (hostname: string) => loadBalancers.names.find((n) => hostname.startsWith(`${n}-`)) ?? '';
  return Promise.resolve({
    gateway: loadBalancers,
    async provision(name) {
      await cluster.createService(
        serviceManifest({ name, namespace: 'default', selector: { app: 'alpine' }, ports: [{ port: 8080, targetPort: 80, protocol: 'TCP' }], type: 'LoadBalancer' }),
      );
      const service = await cluster.getService('default', name);
      const hostname = service.loadBalancerHostnames[0];
      if (hostname === undefined) throw new Error('no hostname');
      return { service, hostname };
    },
    retag(hostname, owner) {
      loadBalancers.retag(nameOf(hostname), owner);
      return Promise.resolve();
    },
    throttle() {
      return Promise.resolve(
        loadBalancers.failUntilCleared(
          new BotError('aws_error', 'Could not describe load balancer: AWS is throttling svcbot (Rate exceeded) — try again shortly.'),
        ),
      );
    },
    teardown: nothingToTearDown,
  });
});

clusterRegistryContract('InMemoryClusterRegistry', (names) =>
  Promise.resolve({
    registry: new InMemoryClusterRegistry(names.map((name) => fakeTarget({ name }))),
    teardown: nothingToTearDown,
  }),
);

latestChangesContract('memory', () => Promise.resolve({ changes: createMemoryLatestChanges(), teardown: nothingToTearDown }));

replayGuardContract('memory', () => Promise.resolve({ guard: createMemoryReplayGuard(), teardown: nothingToTearDown }));

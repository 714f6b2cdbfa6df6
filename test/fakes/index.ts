/** In-memory implementations of svcbot's ports, for unit tests; each passes its port's contract suite. */
export { InMemoryCluster, LB_CLEANUP_FINALIZER, type FakeDeployment, type FakePod, type InMemoryClusterOptions } from './in-memory-cluster.js';
export { InMemoryLoadBalancers, type InMemoryLoadBalancersOptions } from './in-memory-load-balancers.js';
export { InMemoryClusterRegistry, fakeTarget, fakeWorld, type InMemoryTarget } from './in-memory-registry.js';
export { InMemoryLatestChanges } from './in-memory-latest-changes.js';

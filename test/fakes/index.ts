/**
 * In-memory implementations of svcbot's ports, for unit tests: a ClusterRegistry whose targets hold an
 * in-memory cluster and in-memory load balancers. Each passes its port's contract suite.
 */
export { InMemoryClusterRegistry, fakeTarget, fakeWorld, type InMemoryTarget } from './in-memory-registry.js';

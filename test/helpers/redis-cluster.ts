/**
 * A real local Redis Cluster for tests: the benchmarks' (bench/redis-cluster.ts, 3 masters + 3 replicas on
 * loopback), in one place for both, since bench code does not import test/.
 */
export { startRedisCluster, type LocalRedisCluster } from '../../bench/redis-cluster.js';

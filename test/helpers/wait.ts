/** `waitFor` lives in bench/wait.ts: the benchmarks' Redis Cluster (bench/redis-cluster.ts) polls with it too. */
export { waitFor } from '../../bench/wait.js';

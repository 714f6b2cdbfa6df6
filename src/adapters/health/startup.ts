/**
 * Start-up checks: one clear log line per problem found, so that an operator reads what to fix before it
 * bites. Nothing here stops svcbot (a check that cannot run says so and moves on):
 * - Redis: `maxmemory-policy` must be `noeviction` (BullMQ requires it) and persistence on (AOF or RDB):
 *   without it a Redis restart was measured to lose an in-flight job silently, leaving a billed ELB and a
 *   progress message stuck. Managed Redis may refuse CONFIG: then it is said once, at info level.
 * - AWS: one cheap `DescribeLoadBalancers` (PageSize 1) per region: credentials and the basic grant.
 * - Kubernetes: a SelfSubjectAccessReview for each verb svcbot uses, per cluster.
 */
import { DescribeLoadBalancersCommand, type ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import * as k8s from '@kubernetes/client-node';
import type { Redis } from 'ioredis';
import type { Logger } from '../../ports/logger.js';

/** Every verb svcbot's code uses, on what (src/adapters/kubernetes.ts and kubernetes-watch.ts). */
const KUBERNETES_PERMISSIONS: readonly { verb: string; resource: string; group: string }[] = [
  ...['get', 'list', 'watch', 'create', 'patch', 'delete'].map((verb) => ({ verb, resource: 'services', group: '' })),
  { verb: 'list', resource: 'nodes', group: '' },
  { verb: 'list', resource: 'events', group: '' },
  { verb: 'get', resource: 'deployments', group: 'apps' },
  { verb: 'list', resource: 'endpointslices', group: 'discovery.k8s.io' },
];

/** A `CONFIG GET` reply's value (ioredis: `[name, value]`). */
async function configValue(redis: Redis, name: string): Promise<string | undefined> {
  const reply = await redis.call('CONFIG', 'GET', name);
  return Array.isArray(reply) && typeof reply[1] === 'string' ? reply[1] : undefined;
}

export async function checkRedis(redis: Redis, logger: Logger): Promise<void> {
  let policy: string | undefined;
  let appendonly: string | undefined;
  let save: string | undefined;
  try {
    [policy, appendonly, save] = await Promise.all([configValue(redis, 'maxmemory-policy'), configValue(redis, 'appendonly'), configValue(redis, 'save')]);
  } catch (err) {
    logger.info(
      { err: (err as Error).message },
      "cannot read Redis's configuration (CONFIG is not allowed, as on a managed Redis): make sure its maxmemory-policy is noeviction and persistence (AOF or RDB) is on",
    );
    return;
  }
  if (policy !== undefined && policy !== 'noeviction') {
    logger.warn({ maxmemoryPolicy: policy }, `Redis's maxmemory-policy is ${policy}: set it to noeviction, or Redis may evict queued jobs (BullMQ requires noeviction)`);
  }
  if (appendonly === 'no' && (save === undefined || save.trim() === '')) {
    logger.error(
      { appendonly, save },
      'Redis persistence is OFF (appendonly no, no save points): a Redis restart loses in-flight load-balancer jobs silently, leaving billed ELBs behind; turn on AOF (appendonly yes) or RDB snapshots',
    );
  }
}

export async function checkAws(region: string, client: ElasticLoadBalancingClient, logger: Logger): Promise<void> {
  try {
    await client.send(new DescribeLoadBalancersCommand({ PageSize: 1 }), { abortSignal: AbortSignal.timeout(10_000) });
  } catch (err) {
    const e = err as { name?: string; message?: string };
    logger.error({ region, code: e.name }, `AWS: DescribeLoadBalancers in ${region} failed (${e.name ?? 'error'}: ${e.message ?? ''}): check svcbot's AWS credentials (IRSA role) and its IAM policy`);
  }
}

export async function checkKubernetes(cluster: string, kubeConfig: k8s.KubeConfig, logger: Logger): Promise<void> {
  const authz = kubeConfig.makeApiClient(k8s.AuthorizationV1Api);
  const missing: string[] = [];
  for (const p of KUBERNETES_PERMISSIONS) {
    try {
      const review = await authz.createSelfSubjectAccessReview({ body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: p.verb, resource: p.resource, group: p.group } } } });
      if (review.status?.allowed !== true) missing.push(`${p.verb} ${p.group ? `${p.resource}.${p.group}` : p.resource}`);
    } catch (err) {
      if (err instanceof k8s.ApiException && err.code === 404) {
        logger.info({ cluster }, `cluster ${cluster}: cannot check svcbot's permissions (the API server does not serve SelfSubjectAccessReview)`);
      } else {
        logger.warn({ cluster, err: (err as Error).message }, `cluster ${cluster}: cannot check svcbot's permissions (SelfSubjectAccessReview failed)`);
      }
      return;
    }
  }
  for (const m of missing) logger.error({ cluster, permission: m }, `cluster ${cluster}: svcbot's service account may not ${m}; grant it (see manifests/) or those commands fail with 403`);
}

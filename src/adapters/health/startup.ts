/**
 * Start-up checks: one clear log line per problem found, so that an operator reads what to fix before it
 * bites. Nothing here stops svcbot (a check that cannot run says so and moves on):
 * - Redis: `maxmemory-policy` must be `noeviction` (BullMQ requires it) and persistence on (AOF or RDB):
 *   without it a Redis restart was measured to lose an in-flight job silently, leaving a billed ELB and a
 *   progress message stuck. Managed Redis may refuse CONFIG: then it is said once, at info level.
 * - AWS: one cheap `DescribeLoadBalancers` (PageSize 1) per region: credentials and the basic grant.
 * - Kubernetes: a SelfSubjectAccessReview for each verb svcbot uses (src/domain/kubernetes-access.ts), per
 *   cluster: in every namespace, or in each configured namespace of a namespaced install.
 */
import { DescribeLoadBalancersCommand, type ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import * as k8s from '@kubernetes/client-node';
import type { RedisConnection as Redis } from '../redis/connection.js';
import type { Logger } from '../../ports/logger.js';
import { KUBERNETES_PERMISSIONS } from '../../domain/kubernetes-access.js';

/** One question for SelfSubjectAccessReview: a verb on a resource, in a namespace or everywhere. */
interface AccessQuestion {
  verb: string;
  resource: string;
  group: string;
  namespace?: string;
}

/** What to ask: each verb of KUBERNETES_PERMISSIONS, in every namespace or in each of `namespaces`. */
function questions(namespaces: readonly string[] | undefined): AccessQuestion[] {
  return KUBERNETES_PERMISSIONS.flatMap((p) =>
    p.verbs.flatMap((verb) => {
      const base = { verb, resource: p.resource, group: p.group };
      return p.scope === 'cluster' || namespaces === undefined ? [base] : namespaces.map((namespace) => ({ ...base, namespace }));
    }),
  );
}

function describeQuestion(q: AccessQuestion): string {
  return `${q.verb} ${q.group ? `${q.resource}.${q.group}` : q.resource}${q.namespace === undefined ? '' : ` in namespace ${q.namespace}`}`;
}

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

/** `namespaces`: a namespaced install's (the permissions are asked for in each); undefined: every namespace. */
export async function checkKubernetes(cluster: string, kubeConfig: k8s.KubeConfig, logger: Logger, namespaces?: readonly string[]): Promise<void> {
  const authz = kubeConfig.makeApiClient(k8s.AuthorizationV1Api);
  const missing: string[] = [];
  for (const q of questions(namespaces)) {
    try {
      const { verb, resource, group } = q;
      const resourceAttributes = { verb, resource, group, ...(q.namespace === undefined ? {} : { namespace: q.namespace }) };
      const review = await authz.createSelfSubjectAccessReview({ body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes } } });
      if (review.status?.allowed !== true) missing.push(describeQuestion(q));
    } catch (err) {
      if (err instanceof k8s.ApiException && err.code === 404) {
        logger.info({ cluster }, `cluster ${cluster}: cannot check svcbot's permissions (the API server does not serve SelfSubjectAccessReview)`);
      } else {
        logger.warn({ cluster, err: (err as Error).message }, `cluster ${cluster}: cannot check svcbot's permissions (SelfSubjectAccessReview failed)`);
      }
      return;
    }
  }
  for (const m of missing) logger.error({ cluster, permission: m }, `cluster ${cluster}: svcbot's service account may not ${m}; grant it (\`svcbot rbac\` writes it) or those commands fail with 403`);
}

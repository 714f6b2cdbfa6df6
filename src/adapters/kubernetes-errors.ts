/** Turns `@kubernetes/client-node` failures into BotErrors a user can act on. */
import { ApiException } from '@kubernetes/client-node';
import { BotError } from '../domain/errors.js';

export interface K8sErrorContext {
  cluster: string;
  /** What svcbot was doing, as the API names it: verb + resource. */
  verb: string;
  resource: string;
  namespace?: string;
  name?: string;
}

interface StatusBody {
  kind?: string;
  message?: string;
  reason?: string;
  details?: { causes?: { field?: string; message?: string; reason?: string }[] };
}

function statusBody(body: unknown): StatusBody | undefined {
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as StatusBody;
    } catch {
      return undefined;
    }
  }
  return body && typeof body === 'object' ? body : undefined;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/** The network failure under `err` (ECONNRESET, ECONNREFUSED, ETIMEDOUT…), if it is one. */
export function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    if ((e as { type?: unknown }).type === 'system' || (e as { name?: unknown }).name === 'FetchError') {
      return typeof code === 'string' ? code : 'network error';
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * `conflict`: the object is not in the state a conditional write named (a stale resourceVersion, another
 * UID), whether the API server said so (409) or svcbot saw it in what it read. Permanent: the same
 * request can never succeed again; whoever asked decides what to do (read again, or ask the user again).
 */
export function changedMeanwhile(ctx: K8sErrorContext, cause?: unknown): BotError {
  const where = ctx.namespace ? ` in namespace \`${ctx.namespace}\`` : '';
  const what = ctx.name ? `Service \`${ctx.name}\`` : 'Services';
  return new BotError('conflict', `${what}${where} was changed by someone else meanwhile; try again.`, {
    ...(cause === undefined ? {} : { cause }),
    transient: false,
  });
}

/**
 * A BotError for every failure a user can act on, marked transient where trying again later can help
 * (5xx, 429, 408, network errors); anything else (a bug) is returned unchanged.
 */
export function mapKubernetesError(err: unknown, ctx: K8sErrorContext): unknown {
  if (err instanceof BotError) return err;
  const where = ctx.namespace ? ` in namespace \`${ctx.namespace}\`` : '';
  const what = ctx.name ? `Service \`${ctx.name}\`` : 'Services';
  if (err instanceof ApiException) {
    const body = statusBody(err.body);
    const code = err.code;
    if (code === 403) {
      return new BotError(
        'forbidden',
        `svcbot's service account on cluster \`${ctx.cluster}\` is not allowed to ${ctx.verb} ${ctx.resource}${where}. ` +
          `Grant it the \`${ctx.verb}\` verb on \`${ctx.resource}\` (see manifests/rbac) or ask a cluster admin.`,
        { cause: err },
      );
    }
    if (code === 404) {
      if (ctx.resource === 'namespaces' || /namespaces? "[^"]+" not found/.test(body?.message ?? '')) {
        return new BotError('not_found', `There is no namespace \`${ctx.namespace ?? ''}\` on cluster \`${ctx.cluster}\`.`, { cause: err });
      }
      const kind = ctx.resource === 'deployments' ? 'Deployment' : 'Service';
      return new BotError('not_found', `No ${kind} \`${ctx.name ?? ''}\`${where} on cluster \`${ctx.cluster}\`.`, { cause: err });
    }
    if (code === 409) {
      if (body?.reason === 'AlreadyExists') {
        return new BotError(
          'already_exists',
          `${what}${where} already exists on cluster \`${ctx.cluster}\` — use \`type\` to change its type, or \`delete\` it first.`,
          { cause: err },
        );
      }
      return changedMeanwhile(ctx, err);
    }
    if (code === 422 || code === 400) {
      const causes = body?.details?.causes ?? [];
      const lines = causes.length
        ? causes.map((c) => `${c.field ?? ''}${c.field ? ': ' : ''}${c.message ?? c.reason ?? ''}`)
        : [body?.message ?? 'the request was invalid'];
      return new BotError('invalid', `Kubernetes rejected ${what}${where}:\n${lines.map((l) => `• ${l}`).join('\n')}`, { cause: err });
    }
    if (code === 401) {
      return new BotError('forbidden', `Cluster \`${ctx.cluster}\` refused svcbot's credentials (401 Unauthorized).`, { cause: err });
    }
    return new BotError(
      'cluster_unreachable',
      `Cluster \`${ctx.cluster}\` answered ${code}${body?.message ? ` (${body.message})` : ''} — try again shortly.`,
      { cause: err, transient: code >= 500 || code === 429 || code === 408 },
    );
  }
  const net = networkCode(err);
  if (net) {
    return new BotError('cluster_unreachable', `Cluster \`${ctx.cluster}\` is unreachable (${net}) — try again shortly.`, { cause: err, transient: true });
  }
  return err;
}

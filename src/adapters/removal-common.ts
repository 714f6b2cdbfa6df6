/**
 * What the classic and ELBv2 removal adapters share: the shape each of them gives the router
 * (load-balancer-removal.ts) for its kind of key, their errors as BotErrors that name the region, and
 * records without `undefined` members (they are stored as JSON text, and read back equal).
 */
import type { LoadBalancerKey } from '../domain/grammar/load-balancer-key.js';
import type { LoadBalancerRecord } from '../domain/load-balancer-record.js';
import { scanError } from './aws-scan.js';

/** One API's half of LoadBalancerRemoval, for keys already parsed. */
export interface RemovalApi<K extends LoadBalancerKey> {
  describe(key: K, signal: AbortSignal | undefined): Promise<LoadBalancerRecord | undefined>;
  delete(key: K): Promise<'deleted' | 'gone'>;
  isListed(key: K): Promise<boolean>;
}

/**
 * An AWS failure of `what` on the load balancer `key` names, as scanError words it (transient,
 * throttled). A call given up because its signal aborted is not AWS's failure: rethrown as it is.
 */
export function removalError(err: unknown, key: Pick<LoadBalancerKey, 'region' | 'name'>, what: string, signal?: AbortSignal): unknown {
  return signal?.aborted ? err : scanError(err, key.region, `${what} ${key.name}`);
}

/** `value` without its `undefined` members (one level deep). */
export function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Every load balancer of an AWS region, classic and v2 alike, with its tags and how much is in service
 * behind it: what the orphan scan judges. The adapter pages with the largest page size, fetches tags in
 * the largest batches the APIs allow, and slows down (never fails) when AWS throttles it.
 */
import type { ScannedLoadBalancer } from '../domain/orphans.js';

export interface LoadBalancerInventory {
  /**
   * All of them, or a BotError when the region cannot be listed (no access, unreachable): the scan then
   * says the region is missing from its report.
   */
  scan(region: string, options?: { signal?: AbortSignal }): Promise<ScannedLoadBalancer[]>;
}

/**
 * Deleting one load balancer, classic or ELBv2, named by svcbot's key for it (the ARN for ELBv2,
 * `region/name` for classic): its full description for the record first, then DeleteLoadBalancer, then
 * asking AWS until it no longer lists it. Every method refuses a key that is neither with a BotError
 * `invalid`, and turns AWS failures into BotError `aws_error` (marked transient or throttled).
 */
import type { LoadBalancerRecord } from '../domain/load-balancer-record.js';

export interface LoadBalancerRemoval {
  /** The full description of the load balancer named by `key`, or undefined when AWS no longer lists it. */
  describe(key: string, options?: { signal?: AbortSignal }): Promise<LoadBalancerRecord | undefined>;
  /**
   * The NLB, ALB or GWLB (ELBv2) named `name` in `region`, described in full and keyed by its ARN, or
   * undefined when ELBv2 lists none by that name: how REGION/NAME finds one whose ARN is not known.
   */
  describeV2ByName(region: string, name: string, options?: { signal?: AbortSignal }): Promise<LoadBalancerRecord | undefined>;
  /** DeleteLoadBalancer; a load balancer already gone is not an error (resolves 'gone'). */
  delete(key: string): Promise<'deleted' | 'gone'>;
  /** Whether AWS still lists it (DescribeLoadBalancers by name or ARN; not found = false). */
  isListed(key: string): Promise<boolean>;
}

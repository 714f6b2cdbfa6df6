/**
 * LoadBalancerRemoval for both ELB APIs: a key that is an ELBv2 load balancer ARN goes to the ELBv2
 * adapter (elbv2-removal.ts), in the ARN's region; `region/name` goes to the classic one
 * (classic-removal.ts). Any other key is refused with BotError `invalid` before AWS is asked anything.
 */
import type { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { BotError } from '../domain/errors.js';
import { type LoadBalancerKey, parseLoadBalancerKey } from '../domain/grammar/load-balancer-key.js';
import type { LoadBalancerRemoval } from '../ports/load-balancer-removal.js';
import { createClassicRemoval } from './classic-removal.js';
import { createV2Removal } from './elbv2-removal.js';

export interface LoadBalancerRemovalOptions {
  /** The classic ELB client of a region (one per region, shared with the inventory and the jobs). */
  classicClientFor(region: string): ElasticLoadBalancingClient;
  /** The ELBv2 client of a region. */
  v2ClientFor(region: string): ElasticLoadBalancingV2Client;
  /** Clock for the records' `describedAt`, epoch ms; defaults to `Date.now`. */
  now?: () => number;
  /** ELBv2 target health and tag calls in flight at once per description. Default 4. */
  concurrency?: number;
}

function parsed(key: string): LoadBalancerKey {
  const found = parseLoadBalancerKey(key);
  if (!found) {
    throw new BotError('invalid', `'${key}' names no load balancer: expected an ELBv2 load balancer ARN or region/name of a classic one.`);
  }
  return found;
}

export function createLoadBalancerRemoval(options: LoadBalancerRemovalOptions): LoadBalancerRemoval {
  const now = options.now ?? Date.now;
  const classic = createClassicRemoval({ clientFor: (region) => options.classicClientFor(region), now });
  const v2 = createV2Removal({ clientFor: (region) => options.v2ClientFor(region), now, ...(options.concurrency ? { concurrency: options.concurrency } : {}) });
  return {
    async describe(key, describeOptions = {}) {
      const k = parsed(key);
      return k.api === 'v2' ? v2.describe(k, describeOptions.signal) : classic.describe(k, describeOptions.signal);
    },
    describeV2ByName: (region, name, describeOptions = {}) => v2.describeByName(region, name, describeOptions.signal),
    async delete(key) {
      const k = parsed(key);
      return k.api === 'v2' ? v2.delete(k) : classic.delete(k);
    },
    async isListed(key) {
      const k = parsed(key);
      return k.api === 'v2' ? v2.isListed(k) : classic.isListed(k);
    },
  };
}

/**
 * The AWS side of `/svc orphan …` (src/domain/orphan-commands.ts): one load balancer found by the key a
 * report shows — an NLB/ALB's ARN, REGION/NAME of a classic one, or REGION/NAME of an NLB/ALB (looked up
 * by name, since the report does not show ARNs) —, described in full for the audit log, deleted, and
 * asked after until AWS no longer lists it. The describing (an NLB/ALB by name too: one DescribeLoadBalancers
 * by name, whose answer carries the ARN) and deleting are LoadBalancerRemoval's (load-balancer-removal.ts);
 * this adds trying both APIs for REGION/NAME and what the orphan rules judge.
 */
import { parseLoadBalancerKey } from '../domain/grammar/load-balancer-key.js';
import { describeRecord, scannedOf } from '../domain/load-balancer-record.js';
import type { OrphanTarget } from '../domain/orphan-commands.js';
import { loadBalancerKey } from '../domain/orphan-report.js';
import type { LoadBalancerRemoval } from '../ports/load-balancer-removal.js';

export interface OrphanTargetOptions {
  removal: LoadBalancerRemoval;
}

export function createOrphanTarget({ removal }: OrphanTargetOptions): OrphanTarget {
  return {
    async find(key) {
      let record = await removal.describe(key);
      const parsed = parseLoadBalancerKey(key);
      if (record === undefined && parsed?.api === 'classic') {
        // REGION/NAME names no classic load balancer: it may be an NLB's or ALB's name (the two APIs' names are apart).
        record = await removal.describeV2ByName(parsed.region, parsed.name);
      }
      return record && { lb: scannedOf(record), record, summary: describeRecord(record) };
    },
    delete: (lb) => removal.delete(loadBalancerKey(lb)),
    isListed: (lb) => removal.isListed(loadBalancerKey(lb)),
  };
}

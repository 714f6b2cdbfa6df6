/**
 * The AWS side of `/svc orphan …` (src/domain/orphan-commands.ts): one load balancer found by the key a
 * report shows — an NLB/ALB's ARN, REGION/NAME of a classic one, or REGION/NAME of an NLB/ALB (looked up
 * by name, since the report does not show ARNs) —, described in full for the audit log, deleted, and
 * asked after until AWS no longer lists it. The describing and deleting are LoadBalancerRemoval's
 * (load-balancer-removal.ts); this adds the lookup by name and what the orphan rules judge.
 */
import { DescribeLoadBalancersCommand, type ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { parseLoadBalancerKey } from '../domain/grammar/load-balancer-key.js';
import { describeRecord, scannedOf } from '../domain/load-balancer-record.js';
import type { OrphanTarget } from '../domain/orphan-commands.js';
import { loadBalancerKey } from '../domain/orphan-report.js';
import type { LoadBalancerRemoval } from '../ports/load-balancer-removal.js';
import { errorName } from './aws-errors.js';
import { scanError } from './aws-scan.js';

export interface OrphanTargetOptions {
  removal: LoadBalancerRemoval;
  /** The ELBv2 client of a region, to find an NLB/ALB by name. */
  v2ClientFor: (region: string) => ElasticLoadBalancingV2Client;
}

export function createOrphanTarget({ removal, v2ClientFor }: OrphanTargetOptions): OrphanTarget {
  /** The ARN of the NLB/ALB named `name` in `region`, if there is one. */
  async function v2ArnByName(region: string, name: string): Promise<string | undefined> {
    try {
      const answer = await v2ClientFor(region).send(new DescribeLoadBalancersCommand({ Names: [name] }));
      return answer.LoadBalancers?.[0]?.LoadBalancerArn;
    } catch (err) {
      if (errorName(err).startsWith('LoadBalancerNotFound')) return undefined;
      throw scanError(err, region, `look for load balancer ${name}`);
    }
  }

  return {
    async find(key) {
      let record = await removal.describe(key);
      const parsed = parseLoadBalancerKey(key);
      if (record === undefined && parsed?.api === 'classic') {
        // REGION/NAME names no classic load balancer: it may be an NLB's or ALB's name (the two APIs' names are apart).
        const arn = await v2ArnByName(parsed.region, parsed.name);
        if (arn !== undefined) record = await removal.describe(arn);
      }
      return record && { lb: scannedOf(record), record, summary: describeRecord(record) };
    },
    delete: (lb) => removal.delete(loadBalancerKey(lb)),
    isListed: (lb) => removal.isListed(loadBalancerKey(lb)),
  };
}

/**
 * The Network, Application and Gateway Load Balancers of a region, for the orphan scan, over
 * `@aws-sdk/client-elastic-load-balancing-v2`, with as few calls as the API allows:
 * - `DescribeLoadBalancers` in pages of 400 (the largest), one after another;
 * - `DescribeTags` for 20 ARNs a call (the most it takes), several calls at once; a batch that meets a
 *   load balancer deleted since the page was read (`LoadBalancerNotFound`, which fails the whole call)
 *   is asked again without it;
 * - targets only where the answer matters — a load balancer with a cluster tag: its target groups
 *   (`DescribeTargetGroups` by load balancer) and their health (`DescribeTargetHealth`); a target is in
 *   service when `healthy`.
 */
import {
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { ScannedLoadBalancer } from '../domain/orphans.js';
import type { LoadBalancerInventory } from '../ports/load-balancer-inventory.js';
import { errorName } from './aws-errors.js';
import { PAGE_SIZE, allPages, hasClusterTag, mapLimited, scanError, tagsInBatches } from './aws-scan.js';

const KINDS = { network: 'network', application: 'application', gateway: 'gateway' } as const;

export interface V2InventoryOptions {
  /** The ELBv2 client of a region (one per region: AWS limits the rate per account and region). */
  clientFor(region: string): ElasticLoadBalancingV2Client;
  /** Tag and target calls in flight at once per scan. Default 4. */
  concurrency?: number;
}

export function createV2Inventory(options: V2InventoryOptions): LoadBalancerInventory {
  const concurrency = options.concurrency ?? 4;

  /** Targets registered and healthy behind a load balancer (over all its target groups). */
  async function targetsOf(client: ElasticLoadBalancingV2Client, region: string, arn: string, signal: AbortSignal | undefined): Promise<{ registered: number; inService: number } | undefined> {
    try {
      const groups = await client.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: arn }), signal ? { abortSignal: signal } : {});
      let registered = 0;
      let inService = 0;
      for (const group of groups.TargetGroups ?? []) {
        const health = await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: group.TargetGroupArn }), signal ? { abortSignal: signal } : {});
        for (const d of health.TargetHealthDescriptions ?? []) {
          registered++;
          if (d.TargetHealth?.State === 'healthy') inService++;
        }
      }
      return { registered, inService };
    } catch (err) {
      const name = errorName(err);
      if (name.startsWith('LoadBalancerNotFound') || name.startsWith('TargetGroupNotFound')) return undefined;
      throw scanError(err, region, `read the targets of ${arn}`);
    }
  }

  return {
    async scan(region, scanOptions = {}) {
      const { signal } = scanOptions;
      const client = options.clientFor(region);
      const send = signal ? { abortSignal: signal } : {};
      const described = await allPages(async (marker) => {
        const page = await client.send(new DescribeLoadBalancersCommand({ PageSize: PAGE_SIZE, ...(marker ? { Marker: marker } : {}) }), send).catch((err: unknown) => {
          throw scanError(err, region, 'list the network and application load balancers');
        });
        return { items: page.LoadBalancers ?? [], next: page.NextMarker };
      });
      const tags = await tagsInBatches(
        described.map((lb) => lb.LoadBalancerArn ?? ''),
        {
          async read(batch) {
            const answer = await client.send(new DescribeTagsCommand({ ResourceArns: batch }), send);
            return new Map((answer.TagDescriptions ?? []).map((d) => [d.ResourceArn ?? '', Object.fromEntries((d.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']))]));
          },
          missing(err, batch) {
            if (!errorName(err).startsWith('LoadBalancerNotFound')) return undefined;
            // "Load balancer 'arn:…' not found", or several as '[arn, arn]'.
            return batch.filter((arn) => ((err as Error).message ?? '').includes(arn));
          },
        },
        concurrency,
      ).catch((err: unknown) => {
        throw scanError(err, region, 'read the tags of the network and application load balancers');
      });
      const present = described.filter((lb) => tags.has(lb.LoadBalancerArn ?? ''));
      const targets = await mapLimited(present, concurrency, (lb) =>
        hasClusterTag(tags.get(lb.LoadBalancerArn ?? '')) ? targetsOf(client, region, lb.LoadBalancerArn ?? '', signal) : Promise.resolve(undefined),
      );
      return present.map((lb, i): ScannedLoadBalancer => {
        const arn = lb.LoadBalancerArn ?? '';
        const scanned: ScannedLoadBalancer = {
          region,
          name: lb.LoadBalancerName ?? '',
          arn,
          kind: KINDS[lb.Type ?? 'application'],
          dnsName: lb.DNSName ?? '',
          createdAt: lb.CreatedTime?.getTime() ?? 0,
          tags: tags.get(arn) ?? {},
        };
        const counted = targets[i];
        if (counted) {
          scanned.registered = counted.registered;
          scanned.inService = counted.inService;
        }
        return scanned;
      });
    },
  };
}

/** Both APIs of a region as one inventory: its classic load balancers, then its v2 ones. */
export function combinedInventory(...inventories: LoadBalancerInventory[]): LoadBalancerInventory {
  return {
    async scan(region, options) {
      const found = await Promise.all(inventories.map((inventory) => inventory.scan(region, options)));
      return found.flat();
    },
  };
}

/**
 * The Network, Application and Gateway Load Balancers of a region, for the orphan scan, over
 * `@aws-sdk/client-elastic-load-balancing-v2`, with as few calls as the API allows:
 * - `DescribeLoadBalancers` in pages of 400 (the largest), one after another;
 * - `DescribeTargetGroups` of the whole region, also in pages of 400, once a scan: each target group
 *   names the load balancers it is behind (`LoadBalancerArns`), so no call per load balancer is needed;
 * - `DescribeTags` for 20 ARNs a call (the most it takes), several calls at once; a batch that meets a
 *   load balancer deleted since the page was read (`LoadBalancerNotFound`, which fails the whole call)
 *   is asked again without it;
 * - `DescribeTargetHealth` only where the answer matters: once for each target group behind a load
 *   balancer with a cluster tag. A load balancer's targets are those of all its target groups
 *   (registered), and in service when `healthy`; one with no target group has none.
 * The target groups are read after the load balancers and before their tags, so a load balancer deleted
 * at any time before its tags are read is left out of the scan (its tags fail), and one left in was
 * there when its target groups were read. A target group deleted before its health is read leaves its
 * load balancers' counts unknown.
 * Every call waits its turn at the region's pacer (`pacerFor`, shared with the classic inventory).
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
import { PAGE_SIZE, hasClusterTag, mapLimited, pacedPages, scanError, tagRecord, tagsInBatches } from './aws-scan.js';
import type { Pacer } from './scan-pacer.js';

const KINDS = { network: 'network', application: 'application', gateway: 'gateway' } as const;

export interface V2InventoryOptions {
  /** The ELBv2 client of a region (one per region: AWS limits the rate per account and region). */
  clientFor(region: string): ElasticLoadBalancingV2Client;
  /** The pacer of a region's ELB calls, the same one the classic inventory's calls of that region wait at. */
  pacerFor(region: string): Pacer;
  /** Tag and target calls in flight at once per scan. Default 4. */
  concurrency?: number;
}

interface Targets {
  registered: number;
  inService: number;
}

export function createV2Inventory(options: V2InventoryOptions): LoadBalancerInventory {
  const concurrency = options.concurrency ?? 4;

  return {
    async scan(region, scanOptions = {}) {
      const { signal } = scanOptions;
      const client = options.clientFor(region);
      const pacer = options.pacerFor(region);
      const send = signal ? { abortSignal: signal } : {};
      const described = await pacedPages(pacer, signal, region, 'list the network and application load balancers', async (marker) => {
        const page = await client.send(new DescribeLoadBalancersCommand({ PageSize: PAGE_SIZE, ...(marker ? { Marker: marker } : {}) }), send);
        return { items: page.LoadBalancers ?? [], next: page.NextMarker };
      });
      if (described.length === 0) return [];
      const groups = await pacedPages(pacer, signal, region, 'list the target groups', async (marker) => {
        const page = await client.send(new DescribeTargetGroupsCommand({ PageSize: PAGE_SIZE, ...(marker ? { Marker: marker } : {}) }), send);
        return { items: page.TargetGroups ?? [], next: page.NextMarker };
      });
      const tags = await tagsInBatches(
        described.map((lb) => lb.LoadBalancerArn ?? ''),
        {
          async read(batch) {
            const answer = await pacer.run(() => client.send(new DescribeTagsCommand({ ResourceArns: batch }), send), signal);
            return new Map((answer.TagDescriptions ?? []).map((d) => [d.ResourceArn ?? '', tagRecord(d.Tags)]));
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
      // Deleted while the scan ran (no tags came back): not in the report.
      const present = described.filter((lb) => tags.has(lb.LoadBalancerArn ?? ''));
      const counted = new Set(present.map((lb) => lb.LoadBalancerArn ?? '').filter((arn) => hasClusterTag(tags.get(arn))));
      // Each target group once, even behind several of them (an ALB's may be shared).
      const asked = groups.filter((g) => (g.LoadBalancerArns ?? []).some((arn) => counted.has(arn)));
      const health = await mapLimited(asked, concurrency, async (group): Promise<Targets | undefined> => {
        const arn = group.TargetGroupArn ?? '';
        try {
          const answer = await pacer.run(() => client.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }), send), signal);
          const descriptions = answer.TargetHealthDescriptions ?? [];
          return { registered: descriptions.length, inService: descriptions.filter((d) => d.TargetHealth?.State === 'healthy').length };
        } catch (err) {
          if (errorName(err).startsWith('TargetGroupNotFound')) return undefined;
          throw scanError(err, region, `read the target health of ${arn}`);
        }
      });
      /** Per counted load balancer: its targets, or undefined when a target group of it vanished. */
      const targets = new Map<string, Targets | undefined>([...counted].map((arn) => [arn, { registered: 0, inService: 0 }]));
      asked.forEach((group, i) => {
        const found = health[i];
        for (const arn of group.LoadBalancerArns ?? []) {
          if (!targets.has(arn)) continue;
          const sum = targets.get(arn);
          targets.set(arn, sum && found ? { registered: sum.registered + found.registered, inService: sum.inService + found.inService } : undefined);
        }
      });
      return present.map((lb): ScannedLoadBalancer => {
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
        const found = targets.get(arn);
        if (found) {
          scanned.registered = found.registered;
          scanned.inService = found.inService;
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

/**
 * The classic load balancers of a region, for the orphan scan, over `@aws-sdk/client-elastic-load-balancing`
 * with as few calls as the API allows:
 * - `DescribeLoadBalancers` in pages of 400 (the largest), one after another (each page names the next);
 * - `DescribeTags` for 20 names a call (the most it takes), several calls at once;
 * - `DescribeInstanceHealth` only where the answer matters — a load balancer with a cluster tag and
 *   instances registered (none registered means nothing in service, without asking).
 * `DescribeTags` fails a whole batch when one load balancer in it is gone (deleted since the page was
 * read): the batch is asked again without it, so that the other 19 keep their tags; a load balancer
 * deleted during the scan is left out of it.
 * Every call waits its turn at the region's pacer (`pacerFor`, shared with the ELBv2 inventory).
 */
import {
  DescribeInstanceHealthCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  type ElasticLoadBalancingClient,
} from '@aws-sdk/client-elastic-load-balancing';
import type { ScannedLoadBalancer } from '../domain/orphans.js';
import type { LoadBalancerInventory } from '../ports/load-balancer-inventory.js';
import { isClassicLoadBalancerNotFound } from './aws-errors.js';
import { PAGE_SIZE, hasClusterTag, mapLimited, pacedPages, scanError, tagRecord, tagsInBatches } from './aws-scan.js';
import type { Pacer } from './scan-pacer.js';

export interface ClassicInventoryOptions {
  /** The ELB client of a region (one per region, shared with the jobs: their retries and rate are one budget). */
  clientFor(region: string): ElasticLoadBalancingClient;
  /** The pacer of a region's ELB calls, the same one the ELBv2 inventory's calls of that region wait at. */
  pacerFor(region: string): Pacer;
  /** Tag and health calls in flight at once per scan. Default 4. */
  concurrency?: number;
}

export function createClassicInventory(options: ClassicInventoryOptions): LoadBalancerInventory {
  const concurrency = options.concurrency ?? 4;

  async function inService(client: ElasticLoadBalancingClient, pacer: Pacer, region: string, name: string, signal: AbortSignal | undefined): Promise<number | undefined> {
    try {
      const answer = await pacer.run(() => client.send(new DescribeInstanceHealthCommand({ LoadBalancerName: name }), signal ? { abortSignal: signal } : {}), signal);
      return (answer.InstanceStates ?? []).filter((s) => s.State === 'InService').length;
    } catch (err) {
      if (isClassicLoadBalancerNotFound(err)) return undefined;
      throw scanError(err, region, `read the instance health of ${name}`);
    }
  }

  return {
    async scan(region, scanOptions = {}) {
      const { signal } = scanOptions;
      const client = options.clientFor(region);
      const pacer = options.pacerFor(region);
      const send = signal ? { abortSignal: signal } : {};
      const described = await pacedPages(pacer, signal, region, 'list the classic load balancers', async (marker) => {
        const page = await client.send(new DescribeLoadBalancersCommand({ PageSize: PAGE_SIZE, ...(marker ? { Marker: marker } : {}) }), send);
        return { items: page.LoadBalancerDescriptions ?? [], next: page.NextMarker };
      });
      const tags = await tagsInBatches(
        described.map((d) => d.LoadBalancerName ?? ''),
        {
          async read(batch) {
            const answer = await pacer.run(() => client.send(new DescribeTagsCommand({ LoadBalancerNames: batch }), send), signal);
            return new Map((answer.TagDescriptions ?? []).map((d) => [d.LoadBalancerName ?? '', tagRecord(d.Tags)]));
          },
          missing(err, batch) {
            if (!isClassicLoadBalancerNotFound(err)) return undefined;
            // "There is no ACTIVE Load Balancer named 'x'"
            const named = /named '([^']+)'/.exec((err as Error).message ?? '')?.[1];
            return named !== undefined && batch.includes(named) ? [named] : [];
          },
        },
        concurrency,
      ).catch((err: unknown) => {
        throw scanError(err, region, 'read the tags of the classic load balancers');
      });
      // Deleted while the scan ran (no tags came back): not in the report.
      const present = described.filter((d) => tags.has(d.LoadBalancerName ?? ''));
      const health = await mapLimited(present, concurrency, async (d): Promise<number | undefined> => {
        const name = d.LoadBalancerName ?? '';
        if (!hasClusterTag(tags.get(name))) return undefined;
        if ((d.Instances?.length ?? 0) === 0) return 0;
        return inService(client, pacer, region, name, signal);
      });
      return present.map((d, i): ScannedLoadBalancer => {
        const name = d.LoadBalancerName ?? '';
        const lb: ScannedLoadBalancer = {
          region,
          name,
          kind: 'classic',
          dnsName: d.DNSName ?? '',
          createdAt: d.CreatedTime?.getTime() ?? 0,
          tags: tags.get(name) ?? {},
          registered: d.Instances?.length ?? 0,
        };
        const count = health[i];
        if (count !== undefined) lb.inService = count;
        return lb;
      });
    },
  };
}

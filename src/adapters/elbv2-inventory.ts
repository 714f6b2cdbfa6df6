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
  type LoadBalancer,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { BotError } from '../domain/errors.js';
import type { ScannedLoadBalancer } from '../domain/orphans.js';
import type { LoadBalancerInventory } from '../ports/load-balancer-inventory.js';

const PAGE_SIZE = 400;
const TAGS_PER_CALL = 20;
const CLUSTER_TAG = /^kubernetes\.io\/cluster\/|^KubernetesCluster$|^elbv2\.k8s\.aws\/cluster$/;
const THROTTLED = new Set(['Throttling', 'ThrottlingException', 'RequestLimitExceeded']);
const KINDS = { network: 'network', application: 'application', gateway: 'gateway' } as const;

export interface V2InventoryOptions {
  /** The ELBv2 client of a region (one per region: AWS limits the rate per account and region). */
  clientFor(region: string): ElasticLoadBalancingV2Client;
  /** Tag and target calls in flight at once per scan. Default 4. */
  concurrency?: number;
}

function errorName(err: unknown): string {
  const e = err as { name?: unknown; Code?: unknown };
  return typeof e?.Code === 'string' ? e.Code : typeof e?.name === 'string' ? e.name : '';
}

function awsError(err: unknown, region: string, what: string): BotError {
  if (err instanceof BotError) return err;
  const name = errorName(err) || 'error';
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return new BotError('aws_error', `could not ${what} in ${region} (${name}: ${(err as Error).message ?? String(err)})`, {
    cause: err,
    transient: status === undefined || status >= 500 || status === 429 || THROTTLED.has(name),
    throttled: THROTTLED.has(name),
  });
}

/** Runs `work` over `items`, at most `limit` at once, results in the items' order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]!);
      }
    }),
  );
  return results;
}

export function createV2Inventory(options: V2InventoryOptions): LoadBalancerInventory {
  const concurrency = options.concurrency ?? 4;

  async function describeAll(client: ElasticLoadBalancingV2Client, region: string, signal: AbortSignal | undefined): Promise<LoadBalancer[]> {
    const all: LoadBalancer[] = [];
    let marker: string | undefined;
    do {
      const page = await client
        .send(new DescribeLoadBalancersCommand({ PageSize: PAGE_SIZE, ...(marker ? { Marker: marker } : {}) }), signal ? { abortSignal: signal } : {})
        .catch((err: unknown) => {
          throw awsError(err, region, 'list the network and application load balancers');
        });
      all.push(...(page.LoadBalancers ?? []));
      marker = page.NextMarker || undefined;
    } while (marker);
    return all;
  }

  async function tagsOf(client: ElasticLoadBalancingV2Client, region: string, arns: string[], signal: AbortSignal | undefined): Promise<Map<string, Record<string, string>>> {
    let batch = arns;
    for (;;) {
      if (batch.length === 0) return new Map();
      try {
        const answer = await client.send(new DescribeTagsCommand({ ResourceArns: batch }), signal ? { abortSignal: signal } : {});
        return new Map((answer.TagDescriptions ?? []).map((d) => [d.ResourceArn ?? '', Object.fromEntries((d.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']))]));
      } catch (err) {
        if (errorName(err) !== 'LoadBalancerNotFoundException' && errorName(err) !== 'LoadBalancerNotFound') {
          throw awsError(err, region, 'read the tags of the network and application load balancers');
        }
        // The message names the missing ARNs ("Load balancer 'arn:…' not found"); without it, halve.
        const named = batch.filter((arn) => ((err as Error).message ?? '').includes(arn));
        if (named.length > 0) {
          batch = batch.filter((arn) => !named.includes(arn));
          continue;
        }
        if (batch.length === 1) return new Map();
        const half = Math.ceil(batch.length / 2);
        const [a, b] = await Promise.all([tagsOf(client, region, batch.slice(0, half), signal), tagsOf(client, region, batch.slice(half), signal)]);
        return new Map([...a, ...b]);
      }
    }
  }

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
      throw awsError(err, region, `read the targets of ${arn}`);
    }
  }

  return {
    async scan(region, scanOptions = {}) {
      const { signal } = scanOptions;
      const client = options.clientFor(region);
      const described = await describeAll(client, region, signal);
      const arns = described.map((lb) => lb.LoadBalancerArn ?? '');
      const batches: string[][] = [];
      for (let i = 0; i < arns.length; i += TAGS_PER_CALL) batches.push(arns.slice(i, i + TAGS_PER_CALL));
      const tags = new Map((await mapLimited(batches, concurrency, (batch) => tagsOf(client, region, batch, signal))).flatMap((m) => [...m]));
      const present = described.filter((lb) => tags.has(lb.LoadBalancerArn ?? ''));
      const targets = await mapLimited(present, concurrency, (lb) =>
        Object.keys(tags.get(lb.LoadBalancerArn ?? '') ?? {}).some((k) => CLUSTER_TAG.test(k)) ? targetsOf(client, region, lb.LoadBalancerArn ?? '', signal) : Promise.resolve(undefined),
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

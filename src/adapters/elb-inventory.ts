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
 */
import {
  DescribeInstanceHealthCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  type ElasticLoadBalancingClient,
  type LoadBalancerDescription,
} from '@aws-sdk/client-elastic-load-balancing';
import { BotError } from '../domain/errors.js';
import type { ScannedLoadBalancer } from '../domain/orphans.js';
import type { LoadBalancerInventory } from '../ports/load-balancer-inventory.js';

const PAGE_SIZE = 400;
const TAGS_PER_CALL = 20;
const THROTTLED = new Set(['Throttling', 'ThrottlingException', 'RequestLimitExceeded']);
const CLUSTER_TAG = /^kubernetes\.io\/cluster\/|^KubernetesCluster$|^elbv2\.k8s\.aws\/cluster$/;

export interface ClassicInventoryOptions {
  /** The ELB client of a region (one per region, shared with the jobs: their retries and rate are one budget). */
  clientFor(region: string): ElasticLoadBalancingClient;
  /** Tag and health calls in flight at once per scan. Default 4. */
  concurrency?: number;
}

function errorName(err: unknown): string {
  const e = err as { name?: unknown; Code?: unknown };
  return typeof e?.Code === 'string' ? e.Code : typeof e?.name === 'string' ? e.name : '';
}

function isNotFound(err: unknown): boolean {
  return ['AccessPointNotFoundException', 'LoadBalancerNotFound'].includes(errorName(err));
}

/** The name in "There is no ACTIVE Load Balancer named 'x'", if the message says it. */
function missingName(err: unknown): string | undefined {
  return /named '([^']+)'/.exec((err as Error).message ?? '')?.[1];
}

function awsError(err: unknown, region: string, what: string): BotError {
  if (err instanceof BotError) return err;
  const name = errorName(err) || 'error';
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return new BotError('aws_error', `could not ${what} in ${region} (${name}: ${(err as Error).message ?? String(err)})`, {
    cause: err,
    transient: status === undefined || status >= 500 || status === 429 || THROTTLED.has(name),
  });
}

/** Runs `work` over `items`, at most `limit` at once, in order of the items. */
async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  });
  await Promise.all(lanes);
  return results;
}

export function createClassicInventory(options: ClassicInventoryOptions): LoadBalancerInventory {
  const concurrency = options.concurrency ?? 4;

  async function describeAll(client: ElasticLoadBalancingClient, region: string, signal: AbortSignal | undefined): Promise<LoadBalancerDescription[]> {
    const all: LoadBalancerDescription[] = [];
    let marker: string | undefined;
    do {
      const page = await client
        .send(new DescribeLoadBalancersCommand({ PageSize: PAGE_SIZE, ...(marker ? { Marker: marker } : {}) }), signal ? { abortSignal: signal } : {})
        .catch((err: unknown) => {
          throw awsError(err, region, 'list the classic load balancers');
        });
      all.push(...(page.LoadBalancerDescriptions ?? []));
      marker = page.NextMarker || undefined;
    } while (marker);
    return all;
  }

  /** The tags of up to 20 load balancers; one deleted meanwhile is asked again without. */
  async function tagsOf(client: ElasticLoadBalancingClient, region: string, names: string[], signal: AbortSignal | undefined): Promise<Map<string, Record<string, string>>> {
    let batch = names;
    for (;;) {
      if (batch.length === 0) return new Map();
      try {
        const answer = await client.send(new DescribeTagsCommand({ LoadBalancerNames: batch }), signal ? { abortSignal: signal } : {});
        return new Map(
          (answer.TagDescriptions ?? []).map((d) => [d.LoadBalancerName ?? '', Object.fromEntries((d.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']))]),
        );
      } catch (err) {
        if (!isNotFound(err)) throw awsError(err, region, 'read the tags of the classic load balancers');
        const gone = missingName(err);
        if (gone !== undefined && batch.includes(gone)) {
          batch = batch.filter((n) => n !== gone);
          continue;
        }
        // The message does not say which one: halve until the missing one is alone.
        if (batch.length === 1) return new Map();
        const half = Math.ceil(batch.length / 2);
        const [a, b] = await Promise.all([tagsOf(client, region, batch.slice(0, half), signal), tagsOf(client, region, batch.slice(half), signal)]);
        return new Map([...a, ...b]);
      }
    }
  }

  async function inService(client: ElasticLoadBalancingClient, region: string, name: string, signal: AbortSignal | undefined): Promise<number | undefined> {
    try {
      const answer = await client.send(new DescribeInstanceHealthCommand({ LoadBalancerName: name }), signal ? { abortSignal: signal } : {});
      return (answer.InstanceStates ?? []).filter((s) => s.State === 'InService').length;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw awsError(err, region, `read the instance health of ${name}`);
    }
  }

  return {
    async scan(region, scanOptions = {}) {
      const { signal } = scanOptions;
      const client = options.clientFor(region);
      const described = await describeAll(client, region, signal);
      const batches: string[][] = [];
      for (let i = 0; i < described.length; i += TAGS_PER_CALL) batches.push(described.slice(i, i + TAGS_PER_CALL).map((d) => d.LoadBalancerName ?? ''));
      const tagMaps = await mapLimited(batches, concurrency, (batch) => tagsOf(client, region, batch, signal));
      const tags = new Map(tagMaps.flatMap((m) => [...m]));
      // Deleted while the scan ran (no tags came back): not in the report.
      const present = described.filter((d) => tags.has(d.LoadBalancerName ?? ''));
      const health = await mapLimited(present, concurrency, async (d): Promise<number | undefined> => {
        const name = d.LoadBalancerName ?? '';
        const registered = d.Instances?.length ?? 0;
        if (!Object.keys(tags.get(name) ?? {}).some((k) => CLUSTER_TAG.test(k))) return undefined;
        if (registered === 0) return 0;
        return inService(client, region, name, signal);
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

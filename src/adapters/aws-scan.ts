/**
 * What the orphan scan's two inventories (classic ELB, ELBv2) share: walking every page of a describe
 * call, reading tags in the largest batches the API takes — a batch that meets a load balancer deleted
 * since its page was read is asked again without it —, a bound on calls in flight, and their errors as
 * BotErrors that name the region.
 */
import { BotError } from '../domain/errors.js';
import { errorName, isThrottledAwsError, isTransientAwsError } from './aws-errors.js';
import type { Pacer } from './scan-pacer.js';

/** The largest page `DescribeLoadBalancers` returns (both APIs). */
export const PAGE_SIZE = 400;
/** The most load balancers one `DescribeTags` call takes (both APIs). */
const TAGS_PER_CALL = 20;

const CLUSTER_TAG = /^kubernetes\.io\/cluster\/|^KubernetesCluster$|^elbv2\.k8s\.aws\/cluster$/;

/** Whether the tags name a cluster (then what is behind the load balancer matters to the report). */
export function hasClusterTag(tags: Readonly<Record<string, string>> | undefined): boolean {
  return Object.keys(tags ?? {}).some((k) => CLUSTER_TAG.test(k));
}

/**
 * An AWS failure of the scan of `region`, in words for the report, marked transient or throttled. A
 * failure with no HTTP answer at all counts as transient too: the SDK wraps some network errors without
 * their code ("AWS SDK error wrapper for Error: connect ECONNREFUSED …").
 */
export function scanError(err: unknown, region: string, what: string): BotError {
  if (err instanceof BotError) return err;
  const answered = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== undefined;
  return new BotError('aws_error', `could not ${what} in ${region} (${errorName(err) || 'error'}: ${(err as Error).message ?? String(err)})`, {
    cause: err,
    transient: isTransientAwsError(err) || !answered,
    throttled: isThrottledAwsError(err),
  });
}

/** AWS tags (a `Key`/`Value` list) as a record. */
export function tagRecord(tags: readonly { Key?: string | undefined; Value?: string | undefined }[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}

/**
 * Every item of a paged describe call of the scan of `region`, each page waiting its turn at the region's
 * pacer; a page that fails is the scan's error, saying it could not `what`.
 */
export function pacedPages<T>(
  pacer: Pacer,
  signal: AbortSignal | undefined,
  region: string,
  what: string,
  page: (marker: string | undefined) => Promise<{ items: T[]; next: string | undefined }>,
): Promise<T[]> {
  return allPages((marker) =>
    pacer.run(() => page(marker), signal).catch((err: unknown) => {
      throw scanError(err, region, what);
    }),
  );
}

/** Every item of a paged describe call: `page(marker)` answers a page and the next marker, if any. */
export async function allPages<T>(page: (marker: string | undefined) => Promise<{ items: T[]; next: string | undefined }>): Promise<T[]> {
  const all: T[] = [];
  let marker: string | undefined;
  do {
    const answer = await page(marker);
    all.push(...answer.items);
    marker = answer.next || undefined;
  } while (marker);
  return all;
}

/**
 * Runs `work` over `items`, at most `limit` at once, results in the items' order. After a failure no
 * further item is started: the scan has failed, and the calls left would only spend the region's pace.
 */
export async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (!failed && next < items.length) {
        const i = next++;
        try {
          results[i] = await work(items[i]!);
        } catch (err) {
          failed = true;
          throw err;
        }
      }
    }),
  );
  return results;
}

export interface TagReader {
  /** The tags of up to TAGS_PER_CALL load balancers, by key (name or ARN). */
  read(batch: string[]): Promise<Map<string, Record<string, string>>>;
  /** For a "not found" failure: the keys of `batch` it names (maybe none); undefined for any other failure. */
  missing(err: unknown, batch: readonly string[]): string[] | undefined;
}

/** The tags of one batch; a load balancer gone since its page was read is dropped, the others kept. */
async function tagsOfBatch(reader: TagReader, batch: string[]): Promise<Map<string, Record<string, string>>> {
  let keys = batch;
  for (;;) {
    if (keys.length === 0) return new Map();
    try {
      return await reader.read(keys);
    } catch (err) {
      const gone = reader.missing(err, keys);
      if (gone === undefined) throw err;
      if (gone.length > 0) {
        keys = keys.filter((k) => !gone.includes(k));
        continue;
      }
      // The message does not say which one: halve until the missing one is alone.
      if (keys.length === 1) return new Map();
      const half = Math.ceil(keys.length / 2);
      const [a, b] = await Promise.all([tagsOfBatch(reader, keys.slice(0, half)), tagsOfBatch(reader, keys.slice(half))]);
      return new Map([...a, ...b]);
    }
  }
}

/** The tags of every key, TAGS_PER_CALL a call, `concurrency` calls at once. Keys gone meanwhile are absent. */
export async function tagsInBatches(keys: readonly string[], reader: TagReader, concurrency: number): Promise<Map<string, Record<string, string>>> {
  const batches: string[][] = [];
  for (let i = 0; i < keys.length; i += TAGS_PER_CALL) batches.push(keys.slice(i, i + TAGS_PER_CALL));
  return new Map((await mapLimited(batches, concurrency, (batch) => tagsOfBatch(reader, batch))).flatMap((m) => [...m]));
}

/** The orphan scan's shared helpers: `mapLimited` bounds the work in flight and stops starting work once some failed. */
import { mapLimited } from '../../../src/adapters/aws-scan.js';

test('at most `limit` at once, results in the order of the items', async () => {
  let running = 0;
  let most = 0;
  const results = await mapLimited([5, 1, 4, 2, 3], 2, async (n) => {
    running++;
    most = Math.max(most, running);
    await new Promise((resolve) => setTimeout(resolve, n));
    running--;
    return n * 10;
  });
  expect(results).toEqual([50, 10, 40, 20, 30]);
  expect(most).toBe(2);
});

test('after a failure no further item is started, and the failure is what it answers', async () => {
  const started: number[] = [];
  const gates = new Map<number, { resolve: (n: number) => void; reject: (err: Error) => void }>();
  const run = mapLimited([1, 2, 3, 4, 5], 2, (n) => {
    started.push(n);
    return new Promise<number>((resolve, reject) => gates.set(n, { resolve, reject }));
  });
  expect(started).toEqual([1, 2]);
  gates.get(2)!.reject(new Error('throttled'));
  await expect(run).rejects.toThrow('throttled');
  // The other worker's item ends after the failure: it takes no other.
  gates.get(1)!.resolve(1);
  await new Promise((resolve) => setImmediate(resolve));
  expect(started).toEqual([1, 2]);
});

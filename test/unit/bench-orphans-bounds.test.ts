/** The arithmetic of bench/orphans: the call targets and the lower bound a scan's wall time is held to. */
import { elbTargets, kubeListPages, lowerBound, targetGroupPages } from '../../bench/orphans-bounds.js';

test.each([
  [0, 0, 0],
  [1, 1, 1],
  [400, 1, 20],
  [401, 2, 21],
  [4000, 10, 200],
  [6001, 16, 301],
])('%i load balancers: %i describe pages, %i tag calls', (n, describePages, tagCalls) => {
  expect(elbTargets(n)).toEqual({ describePages, tagCalls });
});

test.each([
  [0, 1],
  [400, 1],
  [401, 2],
  [3054, 8],
])('%i target groups: %i pages of the unfiltered DescribeTargetGroups (none still costs one)', (groups, pages) => {
  expect(targetGroupPages(groups)).toBe(pages);
});

test.each([
  [0, 1],
  [1, 1],
  [500, 1],
  [501, 2],
  [12_500, 25],
])('%i Services: %i list pages (an empty cluster still costs one)', (s, pages) => {
  expect(kubeListPages(s)).toBe(pages);
});

const made = { elbCalls: 1000, ratePerSecond: 100, describePagesPerApi: [10, 15], elbLatencyMs: 20, kubePagesPerCluster: [25, 25, 24], kubeLatencyMs: 20 };

test('the rate limit bounds a scan of many calls: calls / rate', () => {
  expect(lowerBound(made)).toEqual({ rateMs: 10_000, describeChainMs: 300, kubeChainMs: 500, boundMs: 10_000 });
});

test('a long chain of pages bounds a scan of few calls: the longest chain at the latency', () => {
  expect(lowerBound({ ...made, elbCalls: 10, kubeLatencyMs: 100 }).boundMs).toBe(2500);
  expect(lowerBound({ ...made, elbCalls: 10, elbLatencyMs: 200 }).boundMs).toBe(3000);
});

test('no rate limit: only the chains count', () => {
  expect(lowerBound({ ...made, ratePerSecond: 0 })).toMatchObject({ rateMs: 0, boundMs: 500 });
});

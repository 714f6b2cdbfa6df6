/**
 * The contract of the LatestChanges port (src/ports/changes.ts), run against the Redis adapter
 * (test/integration/latest-changes.test.ts) and the in-memory fake (test/unit/fakes.contract.test.ts).
 */
import type { ChangeRecord } from '../../src/domain/changes.js';
import type { LatestChanges } from '../../src/ports/changes.js';

const WEB = { cluster: 'prod', namespace: 'default', name: 'web' };

function change(requestId: string, requestedAt: number, extra: Partial<ChangeRecord> = {}): ChangeRecord {
  return { requestId, requestedAt, change: 'type loadbalancer', userId: 'U1', ...extra };
}

export function latestChangesContract(label: string, make: () => Promise<{ changes: LatestChanges; teardown(): Promise<void> }>): void {
  describe(`LatestChanges contract: ${label}`, () => {
    let changes: LatestChanges;
    let teardown: () => Promise<void>;
    beforeEach(async () => {
      ({ changes, teardown } = await make());
    });
    afterEach(() => teardown());

    test('the first change of a Service is its newest; recording it again changes nothing', async () => {
      const first = change('a', 1000, { jobId: 'provision.prod.default.web' });
      expect(await changes.record(WEB, first)).toEqual(first);
      expect(await changes.record(WEB, first)).toEqual(first);
    });

    test('a newer change replaces it; the older one, recorded again, gets the newer back (it is superseded)', async () => {
      const older = change('a', 1000);
      const newer = change('b', 2000, { change: 'delete', userId: 'U2', jobId: 'delete.prod.default.web' });
      await changes.record(WEB, older);
      expect(await changes.record(WEB, newer)).toEqual(newer);
      expect(await changes.record(WEB, older)).toEqual(newer);
    });

    test('an older change arriving late does not replace a newer one', async () => {
      const newer = change('b', 2000);
      await changes.record(WEB, newer);
      expect(await changes.record(WEB, change('a', 1000))).toEqual(newer);
    });

    test('at the same millisecond the greater request id wins, whichever arrives first', async () => {
      await changes.record(WEB, change('b', 1000));
      expect((await changes.record(WEB, change('a', 1000))).requestId).toBe('b');
      expect((await changes.record(WEB, change('c', 1000))).requestId).toBe('c');
    });

    test('each Service has its own newest change (cluster, namespace and name all count)', async () => {
      await changes.record(WEB, change('b', 2000));
      for (const ref of [{ ...WEB, name: 'api' }, { ...WEB, namespace: 'shop' }, { ...WEB, cluster: 'staging' }]) {
        expect((await changes.record(ref, change('a', 1000))).requestId).toBe('a');
      }
    });

    test('concurrent records of many requests agree on one newest', async () => {
      const all = Array.from({ length: 20 }, (_, i) => change(`r${String(i).padStart(2, '0')}`, 1000 + (i % 5)));
      const answers = await Promise.all(all.map((c) => changes.record(WEB, c)));
      const newest = all.reduce((a, b) => (b.requestedAt > a.requestedAt || (b.requestedAt === a.requestedAt && b.requestId > a.requestId) ? b : a));
      expect(await changes.record(WEB, change('r00', 1000))).toEqual(newest);
      // Each answer is the newest at its time: never older than the request itself.
      answers.forEach((answer, i) => expect(answer.requestedAt).toBeGreaterThanOrEqual(all[i]!.requestedAt));
    });
  });
}

/** What every OrphanStateStore does, on Redis and in memory alike. */
import type { OrphanStateStore } from '../../src/ports/orphan-state.js';

interface Subject {
  store: OrphanStateStore;
  /** Stores over the same data, as other processes have (for the memory store: itself again). */
  peers: OrphanStateStore[];
  teardown(): Promise<void>;
}

const ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/k8s-shop-web/0123456789abcdef';

export function orphanStateContract(name: string, make: () => Promise<Subject>): void {
  describe(`OrphanStateStore (${name})`, () => {
    let subject: Subject;
    beforeEach(async () => {
      subject = await make();
    });
    afterEach(() => subject.teardown());

    test('a snooze runs until its end, and a later one replaces it', async () => {
      const { store } = subject;
      await store.snooze('us-east-1/a1', 2000);
      await store.snooze(ARN, 5000);
      expect((await store.setAside(1000)).snoozedUntil).toEqual(new Map([['us-east-1/a1', 2000], [ARN, 5000]]));
      expect((await store.setAside(2000)).snoozedUntil).toEqual(new Map([[ARN, 5000]]));
      await store.snooze(ARN, 9000);
      expect((await store.setAside(6000)).snoozedUntil).toEqual(new Map([[ARN, 9000]]));
    });

    test('ignore keeps the first entry (who, when, why) until un-ignored', async () => {
      const { store } = subject;
      const first = { key: ARN, name: 'k8s-shop-web', by: 'U1', at: 100, reason: 'kept for the migration' };
      expect(await store.ignore(first)).toBe('ignored');
      expect(await store.ignore({ ...first, by: 'U2', at: 200, reason: 'other' })).toBe('already');
      await store.ignore({ key: 'us-east-1/a1', name: 'a1', by: 'U2', at: 50, reason: '<!channel> & co' });
      expect((await store.setAside(0)).ignored).toEqual([{ key: 'us-east-1/a1', name: 'a1', by: 'U2', at: 50, reason: '<!channel> & co' }, first]);
      expect(await store.unignore(ARN)).toBe(true);
      expect(await store.unignore(ARN)).toBe(false);
      expect((await store.setAside(0)).ignored.map((e) => e.key)).toEqual(['us-east-1/a1']);
    });

    test('swapReported returns the previous report’s keys, none before the first', async () => {
      const { store } = subject;
      expect(await store.swapReported(['a', 'b'])).toBeUndefined();
      expect(await store.swapReported(['b', 'c'])).toEqual(['a', 'b']);
      expect(await store.swapReported([])).toEqual(['b', 'c']);
      expect(await store.swapReported(['d'])).toEqual([]);
    });

    test('two processes ignoring at once: one entry wins; swapping at once: each sees another previous list', async () => {
      const { store, peers } = subject;
      const all = [store, ...peers];
      expect(all.length).toBeGreaterThanOrEqual(3);
      for (let round = 0; round < 20; round++) {
        const key = `us-east-1/r${round}`;
        const outcomes = await Promise.all(all.map((s, i) => s.ignore({ key, name: key, by: `U${i}`, at: i, reason: 'r' })));
        expect(outcomes.filter((o) => o === 'ignored')).toHaveLength(1);
      }
      const previous = await Promise.all(all.map((s, i) => s.swapReported([`k${i}`])));
      // A chain: exactly one saw none before it, and every other saw a list another one wrote.
      expect(previous.filter((p) => p === undefined)).toHaveLength(1);
      expect(new Set(previous.filter((p) => p !== undefined).map((p) => p.join()))).toHaveProperty('size', all.length - 1);
    });
  });
}

/**
 * The contract of the AuditLog port (src/ports/audit.ts), run against the Redis stream on the real Redis
 * (test/integration/approval-stores.test.ts) and the in-memory log (test/unit/memory-approval-stores.test.ts).
 */
import type { AuditEntry, AuditLog } from '../../src/ports/audit.js';

interface AuditLogUnderTest {
  log: AuditLog;
  /**
   * How many entries beyond maxEntries the log may keep: 0 when it trims exactly; with approximate
   * trimming (Redis `MAXLEN ~`) up to a stream node's worth.
   */
  capSlack: number;
  teardown(): Promise<void>;
}

export type MakeAuditLog = (options: { maxEntries: number }) => Promise<AuditLogUnderTest>;

const T0 = 1_760_000_000_000;

function entry(n: number, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return { at: T0 + n, action: 'change', userId: 'U1', service: 'web', result: `entry ${n}`, ...overrides };
}

/** Appends one after another, so that their order is the order of the list. */
async function appendAll(log: AuditLog, entries: AuditEntry[]): Promise<void> {
  for (const e of entries) await log.append(e);
}

export function auditLogContract(label: string, make: MakeAuditLog): void {
  describe(`AuditLog contract: ${label}`, () => {
    let under: AuditLogUnderTest | undefined;
    const use = async (maxEntries = 1000) => {
      await under?.teardown();
      under = await make({ maxEntries });
      return under.log;
    };
    afterEach(async () => {
      await under?.teardown();
      under = undefined;
    });

    test('recent is newest first, and empty for an empty log', async () => {
      const log = await use();
      expect(await log.recent({ limit: 10 })).toEqual([]);
      const entries = Array.from({ length: 5 }, (_, i) => entry(i));
      await appendAll(log, entries);
      expect(await log.recent({ limit: 10 })).toStrictEqual([...entries].reverse());
    });

    test('limit: at most that many, the newest; a limit of 0 gives none', async () => {
      const log = await use();
      const entries = Array.from({ length: 12 }, (_, i) => entry(i));
      await appendAll(log, entries);
      expect(await log.recent({ limit: 3 })).toStrictEqual([entries[11], entries[10], entries[9]]);
      expect(await log.recent({ limit: 1 })).toStrictEqual([entries[11]]);
      expect(await log.recent({ limit: 0 })).toEqual([]);
      expect(await log.recent({ limit: 100 })).toHaveLength(12);
    });

    test('filters by service, by user, and by both; the limit counts matching entries', async () => {
      const log = await use();
      const entries = Array.from({ length: 30 }, (_, i) => entry(i, { service: ['web', 'api', 'db'][i % 3], userId: i % 2 === 0 ? 'U1' : 'U2' }));
      entries.push({ at: T0 + 30, action: 'job', userId: 'U3', result: 'no service' });
      await appendAll(log, entries);
      const newestFirst = [...entries].reverse();
      expect(await log.recent({ limit: 100, service: 'api' })).toStrictEqual(newestFirst.filter((e) => e.service === 'api'));
      expect(await log.recent({ limit: 100, user: 'U2' })).toStrictEqual(newestFirst.filter((e) => e.userId === 'U2'));
      expect(await log.recent({ limit: 100, service: 'db', user: 'U1' })).toStrictEqual(newestFirst.filter((e) => e.service === 'db' && e.userId === 'U1'));
      expect(await log.recent({ limit: 2, service: 'web' })).toStrictEqual(newestFirst.filter((e) => e.service === 'web').slice(0, 2));
      expect(await log.recent({ limit: 5, user: 'U3' })).toStrictEqual([entries[30]]);
      expect(await log.recent({ limit: 5, service: 'nothing' })).toEqual([]);
    });

    test('--user matches a user ID or a user name, whatever its case', async () => {
      const log = await use();
      const jane = entry(0, { userId: 'U0JANE', userName: 'Jane.Doe' });
      const other = entry(1, { userId: 'U0BOB', userName: 'bob' });
      const nameless = entry(2, { userId: 'U0ANON' });
      await appendAll(log, [jane, other, nameless]);
      expect(await log.recent({ limit: 10, user: 'jane.doe' })).toStrictEqual([jane]);
      expect(await log.recent({ limit: 10, user: 'U0JANE' })).toStrictEqual([jane]);
      expect(await log.recent({ limit: 10, user: 'u0jane' })).toStrictEqual([jane]);
      expect(await log.recent({ limit: 10, user: 'U0ANON' })).toStrictEqual([nameless]);
      expect(await log.recent({ limit: 10, user: 'jane' })).toEqual([]);
    });

    test('a match under many newer entries that do not match is still found', async () => {
      const log = await use(5000);
      await log.append(entry(0, { service: 'rare', userId: 'U9' }));
      await appendAll(log, Array.from({ length: 1100 }, (_, i) => entry(i + 1)));
      expect(await log.recent({ limit: 10, service: 'rare' })).toStrictEqual([entry(0, { service: 'rare', userId: 'U9' })]);
      expect(await log.recent({ limit: 10, user: 'U9' })).toHaveLength(1);
    });

    test('the log keeps about maxEntries: the newest ones', async () => {
      const maxEntries = 200;
      const log = await use(maxEntries);
      const total = maxEntries + 300;
      await appendAll(log, Array.from({ length: total }, (_, i) => entry(i)));
      const kept = await log.recent({ limit: 10_000 });
      expect(kept.length).toBeGreaterThanOrEqual(maxEntries);
      expect(kept.length).toBeLessThanOrEqual(maxEntries + under!.capSlack);
      expect(kept).toStrictEqual(Array.from({ length: kept.length }, (_, i) => entry(total - 1 - i)));
    });

    test('entries round-trip exactly: every field, unicode and Slack markup as given', async () => {
      const log = await use();
      const full: AuditEntry = {
        at: 1_760_000_000_123,
        action: 'approved',
        userId: 'U0AB12CD3',
        userName: 'Zoë Ångström 🚀',
        command: '/svc type web loadbalancer -n shop <@U1|alice> <#C1|ops> <!here> *bold* _it_ ~x~ `code` &amp; &lt; > "q" \\ / \n\ttab — 日本語 👍🏽',
        cluster: 'prod',
        namespace: 'shop',
        service: 'web',
        result: 'approved by <@U2>: "ok" & go',
        requestId: '0a1b2c3d',
        jobId: 'provision.prod.shop.web',
      };
      const minimal: AuditEntry = { at: T0, action: 'refused', userId: 'U1', result: '' };
      await log.append(full);
      await log.append(minimal);
      expect(await log.recent({ limit: 2 })).toStrictEqual([minimal, full]);
    });

    test('what the log keeps and returns are copies', async () => {
      const log = await use();
      const e = entry(1);
      await log.append(e);
      e.result = 'changed after append';
      const [got] = await log.recent({ limit: 1 });
      expect(got!.result).toBe('entry 1');
      got!.result = 'changed after recent';
      expect((await log.recent({ limit: 1 }))[0]!.result).toBe('entry 1');
    });
  });
}

/**
 * The contract of the ReplayGuard port (src/ports/replay-guard.ts), run against the Redis adapter
 * (test/integration/replay-guard.test.ts) and the in-memory one (test/unit/fakes.contract.test.ts).
 */
import type { ReplayGuard } from '../../src/ports/replay-guard.js';
import { waitFor } from '../helpers/wait.js';

export function replayGuardContract(label: string, make: () => Promise<{ guard: ReplayGuard; teardown(): Promise<void> }>): void {
  describe(`ReplayGuard contract: ${label}`, () => {
    let guard: ReplayGuard;
    let teardown: () => Promise<void>;
    beforeEach(async () => {
      ({ guard, teardown } = await make());
    });
    afterEach(async () => {
      await guard.close();
      await teardown();
    });

    test('a key is first seen once; asking again is a replay', async () => {
      expect(await guard.firstSeen('v0=aaa', 60_000)).toBe(true);
      expect(await guard.firstSeen('v0=aaa', 60_000)).toBe(false);
      expect(await guard.firstSeen('v0=aaa', 60_000)).toBe(false);
    });

    test('keys are independent', async () => {
      expect(await guard.firstSeen('v0=aaa', 60_000)).toBe(true);
      expect(await guard.firstSeen('v0=bbb', 60_000)).toBe(true);
    });

    test('of 10 concurrent claims of one key exactly one is first', async () => {
      const answers = await Promise.all(Array.from({ length: 10 }, () => guard.firstSeen('v0=ccc', 60_000)));
      expect(answers.filter(Boolean)).toHaveLength(1);
    });

    test('a claim lapses after its time, and the key can be taken again', async () => {
      expect(await guard.firstSeen('v0=ddd', 100)).toBe(true);
      expect(await guard.firstSeen('v0=ddd', 100)).toBe(false);
      await waitFor(() => guard.firstSeen('v0=ddd', 60_000), { what: 'the claim to lapse', timeoutMs: 3000 });
      expect(await guard.firstSeen('v0=ddd', 60_000)).toBe(false);
    });
  });
}

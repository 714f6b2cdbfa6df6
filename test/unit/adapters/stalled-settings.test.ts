import { stalledSettings } from '../../../src/adapters/queue/index.js';
import { loadConfig } from '../../../src/config/index.js';

describe('stalledSettings (JOB_LOCK_TIMEOUT → BullMQ)', () => {
  it('locks for L and checks for stalled jobs every L/2: a dead worker’s running job is back within 2 × L', () => {
    expect(stalledSettings(10_000)).toEqual({ lockDurationMs: 10_000, stalledIntervalMs: 5_000 });
    const { lockDurationMs, stalledIntervalMs } = stalledSettings(30_000);
    expect(lockDurationMs + 2 * stalledIntervalMs).toBe(60_000);
  });

  it('never checks more often than every 250 ms', () => {
    expect(stalledSettings(500)).toEqual({ lockDurationMs: 500, stalledIntervalMs: 250 });
  });

  it('by default, the worst case is under 30 s', () => {
    const { lockDurationMs, stalledIntervalMs } = stalledSettings(loadConfig({}, () => '').jobs.lockTimeoutMs);
    expect(lockDurationMs + 2 * stalledIntervalMs).toBeLessThan(30_000);
  });
});

/** Retry delays (exponential, equal jitter, capped) and the queue's shared encodings. */
import { cancelReason, parseCancelRecord, parseStopMessage, stepOf } from '../../src/adapters/queue/keys.js';
import { DEFAULT_BACKOFF, backoffDelay } from '../../src/domain/backoff.js';

describe('backoffDelay', () => {
  const settings = { baseMs: 1000, maxMs: 60_000 };
  test.each([
    [1, 500, 1000],
    [2, 1000, 2000],
    [3, 2000, 4000],
    [6, 16_000, 32_000],
    [7, 30_000, 60_000],
    [40, 30_000, 60_000],
  ])('retry %i waits between %i and %i ms', (attempt, low, high) => {
    expect(backoffDelay(attempt, settings, () => 0)).toBe(low);
    expect(backoffDelay(attempt, settings, () => 0.999999)).toBe(high);
    const d = backoffDelay(attempt, settings);
    expect(d).toBeGreaterThanOrEqual(low);
    expect(d).toBeLessThanOrEqual(high);
  });

  test('jitter spreads the jobs that failed together', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(5, DEFAULT_BACKOFF)));
    expect(delays.size).toBeGreaterThan(10);
  });

  test('nonsense attempt numbers count as the first retry', () => {
    expect(backoffDelay(0, settings, () => 0)).toBe(500);
    expect(backoffDelay(-3, settings, () => 0)).toBe(500);
  });
});

describe('queue encodings', () => {
  test('stepOf reads { step } or a bare string, nothing else', () => {
    expect(stepOf({ step: 'dns' })).toBe('dns');
    expect(stepOf('allocated')).toBe('allocated');
    expect(stepOf(42)).toBeUndefined();
    expect(stepOf({ step: 3 })).toBeUndefined();
    expect(stepOf('')).toBeUndefined();
    expect(stepOf(null)).toBeUndefined();
  });

  test('cancel records and messages are parsed defensively', () => {
    const record = { by: 'U1', at: 2, jobCreatedAt: 1, operation: 'delete', cluster: 'c', namespace: 'n', name: 'x', requesterId: 'U2' };
    expect(parseCancelRecord(JSON.stringify(record))).toEqual(record);
    expect(parseCancelRecord('{"by":1}')).toBeUndefined();
    expect(parseCancelRecord('not json')).toBeUndefined();
    expect(parseCancelRecord(null)).toBeUndefined();
    expect(parseStopMessage('{"jobId":"a","by":"U1"}')).toEqual({ jobId: 'a', by: 'U1' });
    const by = { requestId: 'r2', requestedAt: 2, change: 'delete', userId: 'U2', jobId: 'delete.prod.default.web' };
    expect(parseStopMessage(JSON.stringify({ jobId: 'a', supersededBy: by }))).toEqual({ jobId: 'a', supersededBy: by });
    expect(parseStopMessage(JSON.stringify({ jobId: 'a', supersededBy: { change: 'delete' } }))).toBeUndefined();
    expect(parseStopMessage('{"jobId":"a"}')).toBeUndefined();
    expect(parseStopMessage('[')).toBeUndefined();
    expect(cancelReason('U1')).toBe('cancelled by U1');
  });
});

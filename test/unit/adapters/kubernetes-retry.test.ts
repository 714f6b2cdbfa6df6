/**
 * The retry policy of Kubernetes API calls, on a fake clock: which failures are retried, the backoff and
 * Retry-After, the deadlines, and what a write's repeat means (settleRepeat) — asked only after a retry.
 */
import { jest } from '@jest/globals';
import { ApiException } from '@kubernetes/client-node';
import { retryAfterMs, retryTransient, systemClock, transientFailure, type RetryClock, type RetrySettings } from '../../../src/adapters/kubernetes-retry.js';

const SETTINGS: RetrySettings = { callDeadlineMs: 10_000, baseDelayMs: 100, maxDelayMs: 2000 };

/** A clock whose sleeps only move time on; `random` fixed at the middle of the jitter. */
function fakeClock(start = 1_000_000): RetryClock & { sleeps: number[] } {
  let t = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: (ms) => {
      sleeps.push(ms);
      t += ms;
      return Promise.resolve();
    },
    random: () => 0.5,
  };
}

const api = (code: number, body: unknown = {}, headers: Record<string, string> = {}) => new ApiException(code, `HTTP ${code}`, body, headers);
const net = (code: string) => Object.assign(new Error(`request failed: ${code}`), { name: 'FetchError', type: 'system', code });

/** An attempt function answering `outcomes` in turn (an Error is thrown, anything else returned). */
function scripted<T = string>(...outcomes: (NoInfer<T> | Error)[]) {
  const fn = jest.fn(() => {
    const next = outcomes[Math.min(fn.mock.calls.length - 1, outcomes.length - 1)];
    return next instanceof Error ? Promise.reject(next) : Promise.resolve(next as T);
  });
  return fn;
}

describe('which failures are transient', () => {
  test.each([
    [api(500), 'HTTP 500'],
    [api(502), 'HTTP 502'],
    [api(503), 'HTTP 503'],
    [api(504), 'HTTP 504'],
    [api(429), 'HTTP 429'],
    [api(408), 'HTTP 408'],
    [net('ECONNRESET'), 'ECONNRESET'],
    [net('ECONNREFUSED'), 'ECONNREFUSED'],
    [net('ETIMEDOUT'), 'ETIMEDOUT'],
  ])('%s is retried, named %s', (err, problem) => {
    expect(transientFailure(err, 0)).toMatchObject({ problem });
  });

  test.each([400, 401, 403, 404, 409, 410, 422])('HTTP %i is not retried', async (code) => {
    const clock = fakeClock();
    const fn = scripted(api(code), 'never');
    await expect(retryTransient(fn, { settings: SETTINGS, clock })).rejects.toMatchObject({ code });
    expect(fn).toHaveBeenCalledTimes(1);
    expect(clock.sleeps).toEqual([]);
  });

  test('a bug (not an API or network error) is not retried', async () => {
    const fn = scripted(new TypeError('x is undefined'), 'never');
    await expect(retryTransient(fn, { settings: SETTINGS, clock: fakeClock() })).rejects.toBeInstanceOf(TypeError);
    expect(fn).toHaveBeenCalledTimes(1);
  });
});

describe('retries', () => {
  test('500, 503, reset, then the answer: three retries with jittered exponential waits', async () => {
    const clock = fakeClock();
    const seen: [string, number, number][] = [];
    const fn = scripted(api(500), api(503), net('ECONNRESET'), 'ok');
    await expect(retryTransient(fn, { settings: SETTINGS, clock, onRetry: (f, n, wait) => seen.push([f.problem, n, wait]) })).resolves.toBe('ok');
    expect(fn).toHaveBeenCalledTimes(4);
    // equal jitter at random 0.5: 0.75 × 100, 0.75 × 200, 0.75 × 400
    expect(clock.sleeps).toEqual([75, 150, 300]);
    expect(seen).toEqual([
      ['HTTP 500', 1, 75],
      ['HTTP 503', 2, 150],
      ['ECONNRESET', 3, 300],
    ]);
  });

  test('the waits stop growing at maxDelayMs', async () => {
    const clock = fakeClock();
    const fn = scripted(...Array.from({ length: 8 }, () => api(500)), 'ok');
    await retryTransient(fn, { settings: { callDeadlineMs: 60_000, baseDelayMs: 100, maxDelayMs: 1000 }, clock });
    expect(Math.max(...clock.sleeps)).toBe(750);
  });

  test('429 with Retry-After: waits at least that long', async () => {
    const clock = fakeClock();
    const fn = scripted(api(429, {}, { 'Retry-After': '3' }), 'ok');
    await expect(retryTransient(fn, { settings: SETTINGS, clock })).resolves.toBe('ok');
    expect(clock.sleeps).toEqual([3000]);
  });

  test('Retry-After as an HTTP date, in any letter case', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }, now)).toBe(5000);
    expect(retryAfterMs({ 'RETRY-AFTER': '2' }, now)).toBe(2000);
    expect(retryAfterMs({ 'retry-after': 'soon' }, now)).toBeUndefined();
    expect(retryAfterMs({}, now)).toBeUndefined();
  });

  test('a Retry-After beyond the deadline: no wait, the 429 at once', async () => {
    const clock = fakeClock();
    const fn = scripted(api(429, {}, { 'retry-after': '60' }), 'ok');
    await expect(retryTransient(fn, { settings: SETTINGS, clock })).rejects.toMatchObject({ code: 429 });
    expect(clock.sleeps).toEqual([]);
  });
});

describe('deadlines', () => {
  test('the call deadline: no retry starts whose wait would end after it; the last error is thrown', async () => {
    const clock = fakeClock();
    const start = clock.now();
    const fn = scripted<string>(api(500));
    await expect(retryTransient(fn, { settings: { ...SETTINGS, callDeadlineMs: 2000 }, clock })).rejects.toMatchObject({ code: 500 });
    // 75 + 150 + 300 + 600 = 1125; the next (1200) would end at 2325 > 2000
    expect(clock.sleeps).toEqual([75, 150, 300, 600]);
    expect(clock.now() - start).toBeLessThanOrEqual(2000);
    expect(fn).toHaveBeenCalledTimes(5);
  });

  test("the caller's deadline, when sooner, ends it sooner", async () => {
    const clock = fakeClock();
    const fn = scripted<string>(api(503));
    await expect(retryTransient(fn, { settings: SETTINGS, clock, deadline: clock.now() + 500 })).rejects.toMatchObject({ code: 503 });
    expect(clock.sleeps).toEqual([75, 150]);
  });

  test('an aborted signal (a job cancelled, a worker stopping): no retry starts, a wait ends with the last error', async () => {
    const stop = new AbortController();
    const fn = scripted(api(500), api(502), 'ok');
    await expect(retryTransient(fn, { settings: SETTINGS, clock: fakeClock(), signal: stop.signal, onRetry: () => stop.abort() })).rejects.toMatchObject({ code: 500 });
    expect(fn).toHaveBeenCalledTimes(1);
    const again = scripted(api(503), 'ok');
    await expect(retryTransient(again, { settings: SETTINGS, clock: fakeClock(), signal: stop.signal })).rejects.toMatchObject({ code: 503 });
    expect(again).toHaveBeenCalledTimes(1);
  });

  test('the system clock: an abort ends a long wait at once', async () => {
    const stop = new AbortController();
    const started = Date.now();
    const waiting = systemClock.sleep(60_000, stop.signal);
    stop.abort();
    await waiting;
    expect(Date.now() - started).toBeLessThan(1000);
  });

  test('callDeadlineMs 0: never retried', async () => {
    const clock = fakeClock();
    const fn = scripted(api(500), 'ok');
    await expect(retryTransient(fn, { settings: { ...SETTINGS, callDeadlineMs: 0 }, clock })).rejects.toMatchObject({ code: 500 });
    expect(fn).toHaveBeenCalledTimes(1);
  });
});

describe('a write meeting its own earlier attempt (settleRepeat)', () => {
  const alreadyExists = () => api(409, { kind: 'Status', reason: 'AlreadyExists' });

  test('create: 500, then 409 AlreadyExists → read and compare: ours → success', async () => {
    const settle = jest.fn((err: unknown) => Promise.resolve((err as ApiException<unknown>).code === 409 ? { value: 'the existing one' } : undefined));
    await expect(retryTransient(scripted(api(500), alreadyExists()), { settings: SETTINGS, clock: fakeClock(), settleRepeat: settle })).resolves.toBe('the existing one');
    expect(settle).toHaveBeenCalledTimes(1);
  });

  test('create: 500, then 409 AlreadyExists, not ours → the 409', async () => {
    const settle = jest.fn(() => Promise.resolve(undefined));
    await expect(retryTransient(scripted(api(500), alreadyExists()), { settings: SETTINGS, clock: fakeClock(), settleRepeat: settle })).rejects.toMatchObject({ code: 409 });
  });

  test('a 409 at the first attempt is never second-guessed', async () => {
    const settle = jest.fn(() => Promise.resolve({ value: 'no' }));
    await expect(retryTransient(scripted(alreadyExists()), { settings: SETTINGS, clock: fakeClock(), settleRepeat: settle })).rejects.toMatchObject({ code: 409 });
    expect(settle).not.toHaveBeenCalled();
  });

  test('delete: reset, then 404 → done', async () => {
    const settle = (err: unknown) => Promise.resolve((err as ApiException<unknown>).code === 404 ? { value: 'gone' } : undefined);
    await expect(retryTransient(scripted(net('ECONNRESET'), api(404)), { settings: SETTINGS, clock: fakeClock(), settleRepeat: settle })).resolves.toBe('gone');
  });

  test('the read that decides fails in transit: the attempt is made again', async () => {
    const clock = fakeClock();
    const reads = scripted<{ value: string }>(api(500), { value: 'ours' });
    const fn = scripted(api(500), alreadyExists());
    await expect(retryTransient(fn, { settings: SETTINGS, clock, settleRepeat: () => reads() })).resolves.toBe('ours');
    expect(fn).toHaveBeenCalledTimes(3);
    expect(reads).toHaveBeenCalledTimes(2);
  });
});

/** makeReadiness: every check at once, each bounded in time, and a report reused (one in flight at a time). */
import { describe, expect, it } from '@jest/globals';
import { makeReadiness } from '../../../src/domain/readiness.js';
import type { ReadinessCheck } from '../../../src/ports/health.js';

function counted(name: string, answer: () => Promise<void>): ReadinessCheck & { calls: number } {
  const check = {
    name,
    calls: 0,
    check() {
      check.calls += 1;
      return answer();
    },
  };
  return check;
}

describe('makeReadiness', () => {
  it('is ready when every check passes, and names each', async () => {
    const readiness = makeReadiness([counted('redis', () => Promise.resolve()), counted('cluster:a', () => Promise.resolve())]);
    await expect(readiness.report()).resolves.toEqual({ ready: true, checks: { redis: { ok: true }, 'cluster:a': { ok: true } } });
  });

  it('is not ready when one fails, with its problem in words', async () => {
    const readiness = makeReadiness([counted('redis', () => Promise.reject(new Error('not connected'))), counted('slack', () => Promise.resolve())]);
    await expect(readiness.report()).resolves.toEqual({ ready: false, checks: { redis: { ok: false, problem: 'not connected' }, slack: { ok: true } } });
  });

  it('counts a check that does not answer in time as failed, and answers within the bound', async () => {
    const hanging = counted('cluster:slow', () => new Promise<void>(() => undefined));
    const readiness = makeReadiness([hanging, counted('redis', () => Promise.resolve())], { timeoutMs: 50 });
    const started = Date.now();
    const report = await readiness.report();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(report).toEqual({ ready: false, checks: { 'cluster:slow': { ok: false, problem: 'no answer within 50 ms' }, redis: { ok: true } } });
  });

  it('reuses a report for cacheMs, and makes one at a time', async () => {
    let time = 0;
    let release: () => void = () => undefined;
    const check = counted('redis', () => new Promise<void>((resolve) => (release = resolve)));
    const readiness = makeReadiness([check], { cacheMs: 1000, now: () => time });
    const probes = [readiness.report(), readiness.report(), readiness.report()];
    release();
    await Promise.all(probes);
    expect(check.calls).toBe(1);
    time = 999;
    await readiness.report();
    expect(check.calls).toBe(1);
    time = 1000;
    const next = readiness.report();
    release();
    await next;
    expect(check.calls).toBe(2);
  });
});

/** What single settings accept (src/config/fields.ts): DNS servers, job durations and numbers. */
import { formatDnsServer, loadConfig, parseDnsServer } from '../../../src/config/index.js';
import { files, noFiles, problemsOf } from './helpers.js';

describe('DNS server syntax', () => {
  it.each([
    ['1.2.3.4', { host: '1.2.3.4', port: 53 }, '1.2.3.4:53'],
    ['1.2.3.4:5353', { host: '1.2.3.4', port: 5353 }, '1.2.3.4:5353'],
    ['::1', { host: '::1', port: 53 }, '[::1]:53'],
    ['[::1]:5300', { host: '::1', port: 5300 }, '[::1]:5300'],
  ])('%s', (text, server, formatted) => {
    expect(parseDnsServer(text)).toEqual(server);
    expect(formatDnsServer(server)).toBe(formatted);
  });

  it.each(['', 'localhost', '1.2.3.4:', '1.2.3.4:65536', '[::1', '[nope]:53', ':53'])('rejects %j', (text) => {
    expect(parseDnsServer(text)).toBeUndefined();
  });
});

describe('job settings', () => {
  it.each([
    ['900', 900_000],
    ['900s', 900_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['1.5m', 90_000],
    ['20000ms', 20_000],
    [' 2m ', 120_000],
  ])('JOB_TIMEOUT=%j is %d ms', (text, ms) => {
    expect(loadConfig({ JOB_TIMEOUT: text }, noFiles).jobs.timeoutMs).toBe(ms);
  });

  it('reads the concurrency, the lock timeout, the recheck interval and the probe rates', () => {
    const env = { JOB_CONCURRENCY: '7', JOB_LOCK_TIMEOUT: '2s', JOB_RECHECK_INTERVAL: '30s', DNS_PROBE_RATE: '2000', ELB_API_RATE: '20' };
    expect(loadConfig(env, noFiles).jobs).toEqual({
      timeoutMs: 900_000,
      concurrency: 7,
      lockTimeoutMs: 2000,
      recheckMs: 30_000,
      dnsQueriesPerSecond: 2000,
      elbCallsPerSecond: 20,
    });
  });

  it.each([
    [{ JOB_TIMEOUT: '15 minutes' }, 'JOB_TIMEOUT: must be a duration like 30s, 15m or 1h, between 10s and 24h (got "15 minutes")'],
    [{ JOB_TIMEOUT: '5s' }, 'JOB_TIMEOUT: must be a duration like 30s, 15m or 1h, between 10s and 24h (got "5s")'],
    [{ JOB_TIMEOUT: '2d' }, 'JOB_TIMEOUT: must be a duration like 30s, 15m or 1h, between 10s and 24h (got "2d")'],
    [{ JOB_CONCURRENCY: '0' }, 'JOB_CONCURRENCY: must be a whole number from 1 to 1000 (got "0")'],
    [{ JOB_CONCURRENCY: 'many' }, 'JOB_CONCURRENCY: must be a whole number from 1 to 1000 (got "many")'],
    [{ DNS_PROBE_RATE: '0' }, 'DNS_PROBE_RATE: must be a whole number from 1 to 100000 (got "0")'],
    [{ ELB_API_RATE: '2.5' }, 'ELB_API_RATE: must be a whole number from 1 to 10000 (got "2.5")'],
    [{ JOB_RECHECK_INTERVAL: '0s' }, 'JOB_RECHECK_INTERVAL: must be a duration like 30s, 15m or 1h, between 1s and 1h (got "0s")'],
    [{ JOB_LOCK_TIMEOUT: '100ms' }, 'JOB_LOCK_TIMEOUT: must be a duration like 30s, 15m or 1h, between 500ms and 10m (got "100ms")'],
  ])('refuses %j', (env, problem) => {
    expect(problemsOf(env)).toEqual([problem]);
  });

  it('names the YAML key and line of a bad value, and unknown keys under jobs', () => {
    const yaml = 'jobs:\n  concurrency: -3\n  retries: 4\n';
    const problems = problemsOf({ SVCBOT_CONFIG: '/c.yaml' }, files({ '/c.yaml': yaml }));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^\/c\.yaml:2: jobs\.concurrency: must be a whole number from 1 to 1000/);
    expect(problems[1]).toBe('/c.yaml:3: jobs.retries: unknown setting');
  });
});

/**
 * REDIS_USERNAME / REDIS_PASSWORD / REDIS_TLS (a cluster's nodes or the Sentinel-named master) and
 * REDIS_SENTINEL_PASSWORD / REDIS_SENTINEL_TLS (the Sentinels): what the configuration keeps, the
 * combinations it refuses, and that no problem or log line shows a password.
 */
import { Writable } from 'node:stream';
import { loadConfig } from '../../../src/config/index.js';
import { createLogger } from '../../../src/logger.js';
import { files, noFiles, problemsOf } from './helpers.js';

const CLUSTER = { REDIS_CLUSTER_NODES: '10.0.0.5:6379' };
const SENTINEL = { REDIS_SENTINELS: '10.0.0.7:26379' };
const PASSWORD = 'S3cretAuthToken-do-not-show';
const ONE_REDIS = 'applies to a Redis Cluster (REDIS_CLUSTER_NODES) or Sentinel (REDIS_SENTINELS) only; for one Redis, put it in REDIS_URL (rediss://user:password@host:6379)';
const SENTINEL_ONLY = 'applies to Sentinel (REDIS_SENTINELS, without REDIS_CLUSTER_NODES) only';

describe('Redis credentials and TLS settings', () => {
  it('are unset (and TLS off) by default', () => {
    const config = loadConfig({}, noFiles);
    expect([config.redisUsername, config.redisPassword, config.redisTls, config.redisSentinelPassword, config.redisSentinelTls]).toEqual([undefined, undefined, false, undefined, false]);
  });

  it('are kept for a cluster', () => {
    const config = loadConfig({ ...CLUSTER, REDIS_USERNAME: 'svcbot', REDIS_PASSWORD: PASSWORD, REDIS_TLS: 'true' }, noFiles);
    expect([config.redisUsername, config.redisPassword, config.redisTls]).toEqual(['svcbot', PASSWORD, true]);
  });

  it('are kept for Sentinel, the Sentinels’ own apart from the master’s', () => {
    const config = loadConfig({ ...SENTINEL, REDIS_PASSWORD: PASSWORD, REDIS_SENTINEL_PASSWORD: 'other', REDIS_SENTINEL_TLS: 'true' }, noFiles);
    expect([config.redisPassword, config.redisTls, config.redisSentinelPassword, config.redisSentinelTls]).toEqual([PASSWORD, false, 'other', true]);
  });

  it('are read from the YAML file too', () => {
    const yaml = `redisClusterNodes: [10.0.0.5:6379]\nredisTls: true\nredisPassword: ${PASSWORD}\n`;
    const config = loadConfig({ SVCBOT_CONFIG: '/c.yaml' }, files({ '/c.yaml': yaml }));
    expect([config.redisTls, config.redisPassword]).toEqual([true, PASSWORD]);
  });

  it.each([
    ['a username without a password', { ...CLUSTER, REDIS_USERNAME: 'svcbot' }, ['REDIS_USERNAME: needs a password too (REDIS_PASSWORD, redisPassword)']],
    ['a password with one Redis', { REDIS_PASSWORD: PASSWORD }, [`REDIS_PASSWORD: ${ONE_REDIS}`]],
    ['TLS with one Redis', { REDIS_TLS: 'true' }, [`REDIS_TLS: ${ONE_REDIS}`]],
    [
      'a username with one Redis',
      { REDIS_USERNAME: 'svcbot', REDIS_PASSWORD: PASSWORD },
      [`REDIS_USERNAME: ${ONE_REDIS}`, `REDIS_PASSWORD: ${ONE_REDIS}`],
    ],
    ['a Sentinel password without Sentinels', { REDIS_SENTINEL_PASSWORD: PASSWORD }, [`REDIS_SENTINEL_PASSWORD: ${SENTINEL_ONLY}`]],
    ['Sentinel TLS on a cluster (it wins over Sentinel)', { ...CLUSTER, ...SENTINEL, REDIS_SENTINEL_TLS: 'true' }, [`REDIS_SENTINEL_TLS: ${SENTINEL_ONLY}`]],
    ['a password with a space', { ...CLUSTER, REDIS_PASSWORD: 'two words' }, ['REDIS_PASSWORD: must not contain spaces']],
    ['TLS not a boolean', { ...CLUSTER, REDIS_TLS: 'yes' }, ['REDIS_TLS: must be true or false (got "yes")']],
    ['a username with a space', { ...CLUSTER, REDIS_USERNAME: 'a b', REDIS_PASSWORD: PASSWORD }, ['REDIS_USERNAME: must be 1-128 printable characters, no spaces (got "a b")']],
  ])('refuses %s', (_, env, problems) => {
    expect(problemsOf(env)).toEqual(problems);
  });

  it('never shows a password in a problem', () => {
    const text = [
      ...problemsOf({ REDIS_PASSWORD: PASSWORD, REDIS_SENTINEL_PASSWORD: PASSWORD }),
      ...problemsOf({ ...CLUSTER, REDIS_PASSWORD: `${PASSWORD} x` }),
      ...problemsOf({ ...SENTINEL, REDIS_SENTINEL_PASSWORD: `${PASSWORD} x` }),
    ].join('\n');
    expect(text).not.toContain('S3cret');
  });

  it('never shows a password in a log line of the configuration', () => {
    let out = '';
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        out += chunk.toString();
        done();
      },
    });
    const config = loadConfig({ ...SENTINEL, REDIS_PASSWORD: PASSWORD, REDIS_SENTINEL_PASSWORD: `${PASSWORD}-2` }, noFiles);
    createLogger({ level: 'info', destination }).info({ config }, 'configuration');
    expect(out).toContain('redisSentinelName');
    expect(out).not.toContain('S3cret');
  });
});

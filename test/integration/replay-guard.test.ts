/**
 * The Redis ReplayGuard passes the port's contract on the real Redis under a prefix of its own, keeps
 * nothing of the key in Redis but its hash, and refuses replays to its own process by memory while
 * Redis does not answer.
 */
import net from 'node:net';
import { Redis } from 'ioredis';
import { createRedisReplayGuard } from '../../src/adapters/redis/replay-guard.js';
import { createLogger } from '../../src/logger.js';
import { replayGuardContract } from '../contract/replay-guard.contract.js';
import { newRedisPrefix } from '../helpers/bot.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = createLogger({ level: 'silent' });

async function removeKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}

replayGuardContract('Redis', () => {
  const prefix = newRedisPrefix();
  return Promise.resolve({ guard: createRedisReplayGuard({ redis: { url: REDIS_URL }, prefix, logger }), teardown: () => removeKeys(prefix) });
});

test('keeps one key per claim under REDIS_PREFIX, named by a hash of the signature', async () => {
  const prefix = newRedisPrefix();
  const guard = createRedisReplayGuard({ redis: { url: REDIS_URL }, prefix, logger });
  const signature = `v0=${'e'.repeat(64)}`;
  expect(await guard.firstSeen(signature, 60_000)).toBe(true);
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}:*`);
  redis.disconnect();
  expect(keys).toHaveLength(1);
  expect(keys[0]).toMatch(new RegExp(`^${prefix}:slack-replay:[0-9a-f]{64}$`));
  expect(keys[0]).not.toContain('e'.repeat(64));
  await guard.close();
  await removeKeys(prefix);
});

test('with Redis not answering, a replay to this process is still refused (by memory), and the outage is logged once', async () => {
  // A port nobody listens on.
  const free = net.createServer();
  await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
  const port = (free.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => free.close(() => resolve()));
  const warnings: string[] = [];
  const capturing = { ...logger, warn: (...args: unknown[]) => void warnings.push(String(args.at(-1))), child: () => capturing } as unknown as typeof logger;
  const guard = createRedisReplayGuard({ redis: { url: `redis://127.0.0.1:${port}` }, prefix: 'unused', logger: capturing, callTimeoutMs: 200 });
  expect(await guard.firstSeen('v0=fff', 60_000)).toBe(true);
  expect(await guard.firstSeen('v0=fff', 60_000)).toBe(false);
  expect(await guard.firstSeen('v0=ggg', 60_000)).toBe(true);
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toContain('Redis does not answer');
  await guard.close();
});

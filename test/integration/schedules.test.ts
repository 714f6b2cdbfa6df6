/**
 * The Redis Schedules (BullMQ job schedulers) and the memory one pass the port's contract; on Redis, two
 * processes' worth of adapters (connections of their own, one prefix) share the ticks: each runs once in
 * all, a tick left by a closing process is run by the other, and a schedule is stored once. Each test
 * has a key prefix of its own, every key removed afterwards.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createMemorySchedules } from '../../src/adapters/memory/schedules.js';
import { createRedisSchedules } from '../../src/adapters/queue/index.js';
import { scheduleQueueName } from '../../src/adapters/queue/schedules.js';
import type { Logger } from '../../src/ports/logger.js';
import type { Schedules } from '../../src/ports/schedule.js';
import { capturingLogger, schedulesContract, TickLog, type LoggedLine } from '../contract/schedules.contract.js';
import { quietLogger } from '../helpers/governance.js';
import { startPrivateRedis } from '../helpers/redis-server.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const newPrefix = () => `svcbot-test-${Math.random().toString(36).slice(2, 10)}`;
const EVERY_SECOND = { cron: '* * * * * *', timeZone: 'UTC' };

function redisSchedules(prefix: string, logger: Logger, graceMs = 5000): Schedules {
  return createRedisSchedules({ redis: { url: REDIS_URL }, prefix, logger, lockTimeoutMs: 2000, graceMs, closeTimeoutMs: graceMs + 2000 });
}

async function removeKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

schedulesContract('Redis', ({ logger, graceMs }) => {
  const prefix = newPrefix();
  const schedules = redisSchedules(prefix, logger, graceMs);
  return Promise.resolve({
    schedules,
    teardown: async () => {
      await schedules.close();
      await removeKeys(prefix);
    },
  });
});

schedulesContract('memory', ({ logger, graceMs }) => {
  const schedules = createMemorySchedules({ logger, graceMs });
  return Promise.resolve({ schedules, teardown: () => schedules.close() });
});

describe('Schedules on Redis, several processes', () => {
  let prefix: string;
  let opened: Schedules[];
  beforeEach(() => {
    prefix = newPrefix();
    opened = [];
  });
  afterEach(async () => {
    await Promise.all(opened.map((s) => s.close()));
    await removeKeys(prefix);
  });
  function open(logger: Logger = quietLogger, graceMs?: number): Schedules {
    const schedules = redisSchedules(prefix, logger, graceMs);
    opened.push(schedules);
    return schedules;
  }

  test('two processes with the same schedule: each tick runs once in all', async () => {
    const log = new TickLog();
    await Promise.all([open(), open()].map((s) => s.every('report', EVERY_SECOND, (tick) => Promise.resolve(log.record(tick)))));
    await log.reached(4, 10_000);
    const dues = log.ticks.map((t) => t.dueAt);
    expect(new Set(dues).size).toBe(dues.length);
    // Consecutive seconds: no tick skipped either.
    const sorted = [...dues].sort((x, y) => x - y);
    expect(sorted.at(-1)! - sorted[0]!).toBe((sorted.length - 1) * 1000);
  });

  test('a schedule is stored once, with the pattern of the latest every()', async () => {
    await open().every('report', { cron: '0 9 * * 1-5', timeZone: 'Europe/Berlin' }, () => Promise.resolve());
    await open().every('report', { cron: '30 8 * * *', timeZone: 'UTC' }, () => Promise.resolve());
    const queue = new Queue(scheduleQueueName('report'), { connection: { url: REDIS_URL }, prefix });
    try {
      const schedulers = await queue.getJobSchedulers();
      expect(schedulers.map((s) => ({ key: s.key, pattern: s.pattern, tz: s.tz }))).toEqual([{ key: 'report', pattern: '30 8 * * *', tz: 'UTC' }]);
      // One job waits for the next tick: the old pattern's is gone.
      expect(await queue.getDelayedCount()).toBe(1);
      const [next] = await queue.getDelayed();
      expect(new Date(Number(next!.id!.split(':').at(-1))).toISOString()).toMatch(/T08:30:00\.000Z$/);
    } finally {
      await queue.close();
    }
  });

  test('every() with the schedule already stored leaves its next tick alone', async () => {
    const queue = new Queue(scheduleQueueName('report'), { connection: { url: REDIS_URL }, prefix });
    try {
      await open().every('report', { cron: '0 9 * * *', timeZone: 'UTC' }, () => Promise.resolve());
      const [before] = await queue.getDelayed();
      await open().every('report', { cron: '0 9 * * *', timeZone: 'UTC' }, () => Promise.resolve());
      const after = await queue.getDelayed();
      expect(after.map((j) => [j.id, j.timestamp])).toEqual([[before!.id, before!.timestamp]]);
    } finally {
      await queue.close();
    }
  });

  test('a tick aborted by a closing process is handed back and run by another, once', async () => {
    const lines: LoggedLine[] = [];
    const closing = open(capturingLogger(lines), 200);
    const stuck = new TickLog();
    await closing.every('report', EVERY_SECOND, async (tick) => {
      stuck.record(tick);
      await new Promise((_, reject) => tick.signal.addEventListener('abort', () => reject(new Error('stopped')), { once: true }));
    });
    await stuck.reached(1);
    const other = new TickLog();
    // The other process registers while the first one runs its tick, and takes the next ones.
    await open().every('report', EVERY_SECOND, (tick) => Promise.resolve(other.record(tick)));
    await closing.close();
    expect(lines.filter((l) => l.msg === 'scheduled task handed back at shutdown')).toHaveLength(1);
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    // The handed-back tick runs once, in the other process, with its own due time; and the ticks go on.
    const handedBack = stuck.ticks[0]!.dueAt;
    await other.ran(handedBack);
    await other.ran(handedBack + 2000);
    expect(other.ticks.filter((t) => t.dueAt === handedBack)).toHaveLength(1);
  });

  test('ticks due while every process was down: the first runs once when one is back, then the schedule goes on from now', async () => {
    const before = open();
    const log = new TickLog();
    await before.every('report', EVERY_SECOND, (tick) => Promise.resolve(log.record(tick)));
    await log.reached(1);
    await before.close();
    const downAt = Date.now();
    // Down for two and a half ticks or so (an absence of workers; nothing to await).
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const back = new TickLog();
    const backAt = Date.now();
    await open().every('report', EVERY_SECOND, (tick) => Promise.resolve(back.record(tick)));
    await back.reached(3);
    const late = back.ticks.filter((t) => t.dueAt < backAt);
    expect(late).toHaveLength(1);
    expect(late[0]!.dueAt).toBeLessThan(downAt + 1000);
    const [, ...onTime] = back.ticks;
    for (const t of onTime) expect(t.dueAt).toBeGreaterThan(backAt);
  });

  test('every key lives under the prefix', async () => {
    const s = open();
    const log = new TickLog();
    await s.every('report', EVERY_SECOND, (tick) => Promise.resolve(log.record(tick)));
    await log.reached(1);
    const redis = new Redis(REDIS_URL);
    try {
      const keys = await redis.keys(`*${prefix}*`);
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) expect(key.startsWith(`${prefix}:schedule-report:`)).toBe(true);
    } finally {
      redis.disconnect();
    }
  });
});

test('with Redis unreachable, every() rejects and close() still returns promptly', async () => {
  // Nothing listens on port 1 of the loopback.
  const schedules = createRedisSchedules({ redis: { url: 'redis://127.0.0.1:1' }, prefix: newPrefix(), logger: quietLogger, lockTimeoutMs: 2000, graceMs: 5000, closeTimeoutMs: 7000 });
  const started = Date.now();
  await expect(schedules.every('report', EVERY_SECOND, () => Promise.resolve())).rejects.toThrow(/schedule "report": could not store it/);
  expect(Date.now() - started).toBeLessThan(6000);
  const closing = Date.now();
  await schedules.close();
  expect(Date.now() - closing).toBeLessThan(1000);
});

// BullMQ leaves its blocking-fetch watchdog timer (up to 6 s) behind here: jest may report it did not exit at once.
test('with Redis gone after every(), close() still returns promptly', async () => {
  const redis = await startPrivateRedis();
  const prefix = newPrefix();
  const options = { redis: { url: redis.url }, prefix, logger: quietLogger, lockTimeoutMs: 2000, graceMs: 5000, closeTimeoutMs: 7000 };
  try {
    const first = createRedisSchedules(options);
    const log = new TickLog();
    await first.every('report', { cron: '*/2 * * * * *', timeZone: 'UTC' }, (tick) => Promise.resolve(log.record(tick)));
    await log.reached(1);
    await redis.stop();
    const closing = Date.now();
    await first.close();
    expect(Date.now() - closing).toBeLessThan(1500);
  } finally {
    if (redis.running()) await redis.stop();
  }
});

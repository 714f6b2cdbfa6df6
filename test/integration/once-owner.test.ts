/**
 * The exactly-once claims of a worker process name the process (createRedisJobWorker): another process
 * takes a claim over as soon as its owner has no live heartbeat in any queue — here the owner stops (it
 * resigns its heartbeats) while its effect is still under way, as a SIGKILLed worker's heartbeat lapses —
 * and not while the owner lives. Jobs spread over 2 queues, so the owner's heartbeat is looked for in each.
 */
import { pino } from 'pino';
import { Redis } from 'ioredis';
import { createRedisJobWorker, type RedisJobWorker } from '../../src/adapters/queue/index.js';
import { TransientJobError } from '../../src/ports/jobs.js';
import { waitFor } from '../helpers/wait.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = pino({ level: 'silent' });
const prefix = `svcbot-test-once-owner-${Math.random().toString(36).slice(2, 10)}`;
let admin: Redis;
beforeAll(() => {
  admin = new Redis(REDIS_URL);
});
afterAll(async () => {
  const keys = await admin.keys(`${prefix}:*`);
  if (keys.length > 0) await admin.del(...keys);
  admin.disconnect();
});

function runtime(): RedisJobWorker {
  const r = createRedisJobWorker({ redis: { url: REDIS_URL }, prefix, logger, shards: 2, concurrency: 2, lockTimeoutMs: 5000, graceMs: 50, closeTimeoutMs: 1000, heartbeatMs: 1000 });
  r.start(() => Promise.resolve('unused'));
  return r;
}

test("a live process's claim makes others wait; once it has stopped, another takes the claim over at once", async () => {
  const a = runtime();
  const b = runtime();
  try {
    await waitFor(async () => (await admin.keys(`${prefix}:lb-jobs-*:svcbot:workers`)).length === 2, { what: 'both queues to have heartbeats' });
    void a.once.run('job-x:endpoint', () => new Promise<string>(() => undefined));
    await waitFor(async () => (await admin.get(`${prefix}:lb-jobs:once:job-x:endpoint`))?.startsWith('pending:'), { what: "a's claim" });
    await expect(b.once.run('job-x:endpoint', () => Promise.resolve('b'))).rejects.toBeInstanceOf(TransientJobError);
    await a.close();
    await expect(b.once.run('job-x:endpoint', () => Promise.resolve('b'))).resolves.toBe('b');
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

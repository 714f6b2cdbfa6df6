/**
 * The approval store and audit log as the composition root takes them (src/adapters/redis/index.ts): one
 * connection that fails fast while Redis is down, but lets a call made while it is still connecting (svcbot
 * just started or restarted) wait for it — a restarted svcbot must not answer its first `/svc approvals`
 * with "cannot reach Redis".
 */
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { createRedisGovernance } from '../../src/adapters/redis/index.js';
import { BotError } from '../../src/domain/errors.js';
import { quietLogger as quiet } from '../helpers/governance.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('calls made at once after start-up wait for the connection instead of failing', async () => {
  const prefix = `svcbot-test-${Math.random().toString(36).slice(2, 10)}`;
  const governance = createRedisGovernance({ redis: { url: REDIS_URL }, prefix, maxAuditEntries: 100, logger: quiet });
  try {
    // The same tick as the connection was made: it cannot be ready yet.
    const entry = { at: 1, action: 'change' as const, userId: 'U1', result: 'made at start-up' };
    const [pending] = await Promise.all([governance.approvals.listPending(), governance.audit.append(entry)]);
    expect(pending).toEqual([]);
    expect(await governance.audit.recent({ limit: 10 })).toEqual([entry]);
  } finally {
    await governance.close();
    const redis = new Redis(REDIS_URL);
    await redis.del(`${prefix}:audit`);
    redis.disconnect();
  }
});

test('a Redis that is down: "cannot reach Redis" (transient) at once, at start-up and while it reconnects', async () => {
  // A deadline far longer than the answers may take: the connection's failure, not the deadline, ends the calls.
  const governance = createRedisGovernance({ redis: { url: `redis://127.0.0.1:${await closedPort()}` }, prefix: 'unused', maxAuditEntries: 100, logger: quiet, callTimeoutMs: 5000 });
  try {
    const started = Date.now();
    const first = await governance.approvals.listPending().catch((err: unknown) => err);
    expect(first).toBeInstanceOf(BotError);
    expect(first).toMatchObject({ code: 'queue_unavailable', transient: true, userMessage: expect.stringMatching(/cannot reach Redis/) as unknown });
    expect(Date.now() - started).toBeLessThan(1000);
    // Refused, the connection is reconnecting: the next call fails at once too.
    const again = Date.now();
    await expect(governance.audit.recent({ limit: 1 })).rejects.toMatchObject({ code: 'queue_unavailable' });
    expect(Date.now() - again).toBeLessThan(1000);
  } finally {
    await governance.close();
  }
});

/**
 * svcbot behind Redis Sentinel: a private redis-server and a Sentinel monitoring it (started once for this
 * file); the connection factory finds the master through the Sentinel, and the job backend passes its
 * contract there (BullMQ given Sentinel options), as do the governance stores and the replay guard.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { redisAnswers } from '../../src/adapters/queue/index.js';
import { connectRedis, type RedisTarget } from '../../src/adapters/redis/connection.js';
import { createRedisGovernance } from '../../src/adapters/redis/index.js';
import { createRedisReplayGuard } from '../../src/adapters/redis/replay-guard.js';
import { jobBackendContract } from '../contract/job-backend.contract.js';
import { bullmqBackendOn } from '../helpers/bullmq-backend.js';
import { quietLogger } from '../helpers/governance.js';
import { freePort, startPrivateRedis, type PrivateRedis } from '../helpers/redis-server.js';
import { startSentinel, type LocalSentinel } from '../helpers/redis-sentinel.js';

const MASTER = 'svcbot-test-master';
const newPrefix = () => `svcbot-test-${Math.random().toString(36).slice(2, 10)}`;

let master: PrivateRedis;
let sentinel: LocalSentinel | undefined;
let target: RedisTarget;

beforeAll(async () => {
  master = await startPrivateRedis();
  sentinel = await startSentinel({ masterName: MASTER, masterPort: master.port });
  target = { sentinels: [{ host: '127.0.0.1', port: sentinel.port }], sentinelName: MASTER };
});

afterAll(async () => {
  await sentinel?.stop();
  await master?.stop();
});

test('the connection factory reaches the master the Sentinel names', async () => {
  const redis = connectRedis(target, { maxRetriesPerRequest: 1 });
  try {
    const prefix = newPrefix();
    await redis.set(`${prefix}:probe`, 'via sentinel');
    // It is the private master's key: the Sentinel led there.
    const direct = connectRedis({ url: master.url });
    expect(await direct.get(`${prefix}:probe`)).toBe('via sentinel');
    await direct.del(`${prefix}:probe`);
    direct.disconnect();
  } finally {
    redis.disconnect();
  }
});

test('the governance stores and the replay guard work behind Sentinel', async () => {
  const prefix = newPrefix();
  const governance = createRedisGovernance({ redis: target, prefix, maxAuditEntries: 100, logger: quietLogger, callTimeoutMs: 5000 });
  const guard = createRedisReplayGuard({ redis: target, prefix, logger: quietLogger, callTimeoutMs: 5000 });
  try {
    await governance.audit.append({ at: 1, action: 'change', userId: 'U1', result: 'ok' });
    expect(await governance.audit.recent({ limit: 10 })).toEqual([{ at: 1, action: 'change', userId: 'U1', result: 'ok' }]);
    expect(await guard.firstSeen('request-1', 60_000)).toBe(true);
    expect(await guard.firstSeen('request-1', 60_000)).toBe(false);
  } finally {
    await governance.close();
    await guard.close();
  }
});

jobBackendContract('BullMQ behind Redis Sentinel', (options) => bullmqBackendOn(target)(options));

describe('redisAnswers (the console\'s "is Redis there?") behind Sentinel', () => {
  /** How long redisAnswers took and what it said; it must answer within its timeout (and a little). */
  async function timed(t: RedisTarget, timeoutMs: number): Promise<{ answer: boolean; ms: number }> {
    const started = Date.now();
    const answer = await redisAnswers(t, timeoutMs);
    return { answer, ms: Date.now() - started };
  }

  test('yes, through a live Sentinel', async () => {
    expect((await timed(target, 2000)).answer).toBe(true);
  });

  test('no, within its timeout, when every Sentinel refuses connections (nothing listens on their ports)', async () => {
    const closed = [{ host: '127.0.0.1', port: await freePort() }, { host: '127.0.0.1', port: await freePort() }];
    const { answer, ms } = await timed({ sentinels: closed, sentinelName: MASTER }, 500);
    expect(answer).toBe(false);
    expect(ms).toBeLessThan(1500);
  });

  test('no, within its timeout, when a Sentinel takes the connection and never answers', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const { answer, ms } = await timed({ sentinels: [{ host: '127.0.0.1', port }], sentinelName: MASTER }, 500);
      expect(answer).toBe(false);
      expect(ms).toBeLessThan(1500);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  test('no, within its timeout, when the Sentinel knows no master of that name', async () => {
    const { answer, ms } = await timed({ ...target, sentinelName: 'svcbot-test-no-such-master' }, 500);
    expect(answer).toBe(false);
    expect(ms).toBeLessThan(1500);
  });
});

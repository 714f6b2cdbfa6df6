/**
 * Where a test's svcbot keeps its Redis state: the shared one Redis (REDIS_URL, each bot under a key prefix
 * of its own) or a local 3-master + 3-replica Redis Cluster started for the suite (REDIS_CLUSTER_NODES;
 * REDIS_URL then unused). A suite runs on both with `onEachBotRedis((redis) => …)` and
 * `startBot({ redis: redis(), … })`, or `loadConfig({ …, ...redis().env })` for a svcbot of its own.
 */
import { Redis, type Cluster } from 'ioredis';
import { removeBotKeys } from './bot.js';
import { startRedisCluster } from './redis-cluster.js';

const BOT_REDIS_KINDS = ['one Redis', 'a Redis Cluster'] as const;
type BotRedisKind = (typeof BOT_REDIS_KINDS)[number];

export interface BotRedis {
  readonly kind: BotRedisKind;
  /** The settings that point svcbot at it (over the bots' REDIS_URL). */
  readonly env: Readonly<Record<string, string>>;
  /** A connection of the test's own, to read what svcbot kept (closed by stop()). */
  readonly client: Redis | Cluster;
  /** Removes everything under `prefix` (what a bot's stop() does unless it keeps its keys). */
  removeKeys(prefix: string): Promise<void>;
  /** Closes the client; a cluster is stopped (its nodes killed, their keys gone with them). */
  stop(): Promise<void>;
}

async function startBotRedis(kind: BotRedisKind): Promise<BotRedis> {
  if (kind === 'one Redis') {
    const client = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
    return {
      kind,
      env: {},
      client,
      removeKeys: (prefix) => removeBotKeys(prefix),
      stop: async () => {
        await client.quit();
      },
    };
  }
  const cluster = await startRedisCluster();
  const client = cluster.client();
  return {
    kind,
    // A closed port: a bot that still used REDIS_URL would fail at once.
    env: { REDIS_CLUSTER_NODES: cluster.seeds, REDIS_URL: 'redis://127.0.0.1:1' },
    client,
    removeKeys: (prefix) => cluster.removeKeys(prefix),
    stop: async () => {
      client.disconnect();
      await cluster.stop();
    },
  };
}

/**
 * Defines `suite` twice, as `on one Redis` and `on a Redis Cluster`, each with its Redis started before its
 * tests and stopped after them; `redis()` is the one of the suite's current run (from its hooks and tests).
 */
export function onEachBotRedis(suite: (redis: () => BotRedis) => void): void {
  describe.each(BOT_REDIS_KINDS)('on %s', (kind) => {
    let started: BotRedis | undefined;
    beforeAll(async () => {
      started = await startBotRedis(kind);
    }, 60_000);
    afterAll(() => started?.stop());
    suite(() => {
      if (started === undefined) throw new Error(`${kind} is not started (use redis() in hooks and tests, not while defining them)`);
      return started;
    });
  });
}

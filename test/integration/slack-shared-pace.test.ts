/**
 * One pace for every process posting to one Slack workspace (SharedPace): the Redis pace and the memory
 * pace take the next free slot of a key (a burst, then one an interval), two Redis clients share a key's
 * slots, and two send queues on one Redis posting into one channel stay within Slack's limits together
 * (the enforcing stand-in refuses nothing), where pacing alone they meet 429s.
 */
import { LogLevel, WebClient } from '@slack/web-api';
import { Redis } from 'ioredis';
import { SLACK_LIMITS } from '../../bench/slack-limits.js';
import { createMemoryPace } from '../../src/adapters/memory/pace.js';
import { createRedisPace } from '../../src/adapters/redis/pace.js';
import { createSlackReplies } from '../../src/adapters/slack/replies.js';
import { createSendQueue } from '../../src/adapters/slack/send-queue.js';
import type { SharedPace } from '../../src/ports/pace.js';
import { newRedisPrefix } from '../helpers/bot.js';
import { startSlackStub } from '../helpers/slack-stub.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function removeKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}

const prefixes: string[] = [];
const paces: SharedPace[] = [];
function redisPace(prefix: string): SharedPace {
  const pace = createRedisPace({ redis: { url: REDIS_URL }, prefix });
  paces.push(pace);
  return pace;
}
afterAll(async () => {
  await Promise.all(paces.map((p) => p.close()));
  await Promise.all(prefixes.map(removeKeys));
});

const TENTH = { perMinute: 600, burst: 2 }; // a slot every 100 ms, two at once

describe.each([
  ['memory', () => createMemoryPace()],
  [
    'Redis',
    () => {
      const prefix = newRedisPrefix();
      prefixes.push(prefix);
      return redisPace(prefix);
    },
  ],
] as const)('%s pace', (_name, make) => {
  test('a burst, then one slot an interval; another key is apart', async () => {
    const pace = make();
    const asked = Date.now();
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) waits.push((await pace.reserve('chat.postMessage:C1', TENTH)) + (Date.now() - asked));
    // Each wait, counted from the first reservation: 0, 0, 100, 200, 300 ms (give or take the calls' own time).
    [0, 0, 100, 200, 300].forEach((expected, i) => {
      expect(waits[i]).toBeGreaterThanOrEqual(expected - 5);
      expect(waits[i]).toBeLessThanOrEqual(expected + 60);
    });
    expect(await pace.reserve('chat.postMessage:C2', TENTH)).toBe(0);
    await pace.close();
  });
});

test('two Redis clients share a key: their slots make one sequence', async () => {
  const prefix = newRedisPrefix();
  prefixes.push(prefix);
  const [a, b] = [redisPace(prefix), redisPace(prefix)];
  const asked = Date.now();
  const waits: number[] = [];
  for (let i = 0; i < 6; i++) waits.push((await (i % 2 === 0 ? a : b).reserve('chat.update', TENTH)) + (Date.now() - asked));
  [0, 0, 100, 200, 300, 400].forEach((expected, i) => {
    expect(waits[i]).toBeGreaterThanOrEqual(expected - 5);
    expect(waits[i]).toBeLessThanOrEqual(expected + 60);
  });
});

/** Two processes' replies (each its own WebClient and send queue), posting `n` messages each into `channel` at once. */
async function twoProcessesPost(apiUrl: string, channel: string, n: number, pace: () => SharedPace | undefined): Promise<void> {
  const replies = [0, 1].map(() => {
    const p = pace();
    const client = new WebClient('xoxb-test', { slackApiUrl: apiUrl, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR, rejectRateLimitedCalls: true });
    return createSlackReplies(client, {}, createSendQueue(p ? { pace: p } : {}));
  });
  await Promise.all(replies.flatMap((r, w) => Array.from({ length: n }, (_, i) => r.post(channel, { text: `worker ${w} message ${i}`, blocks: [] }))));
}

test("two send queues on one Redis post into one channel within Slack's limits together; pacing alone, they meet 429s", async () => {
  const slack = await startSlackStub({ limits: SLACK_LIMITS });
  const prefix = newRedisPrefix();
  prefixes.push(prefix);
  try {
    await twoProcessesPost(slack.apiUrl, 'CSHARED', 5, () => redisPace(prefix));
    const shared = slack.calls.filter((c) => c.body.channel === 'CSHARED');
    expect(shared.filter((c) => c.limited !== true)).toHaveLength(10);
    expect(shared.filter((c) => c.limited === true)).toHaveLength(0);

    // The same without the shared pace: each queue bursts and paces alone, at twice Slack's rate together.
    await twoProcessesPost(slack.apiUrl, 'CALONE', 5, () => undefined);
    const alone = slack.calls.filter((c) => c.body.channel === 'CALONE');
    expect(alone.filter((c) => c.limited !== true)).toHaveLength(10);
    expect(alone.filter((c) => c.limited === true).length).toBeGreaterThan(0);
  } finally {
    await slack.close();
  }
}, 60_000);

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

const SECOND = { perMinute: 60, burst: 2 }; // a slot every second, two at once

/**
 * Takes `n` slots of `key` back to back (a reservation only answers when its slot is; nothing waits) and
 * checks that slot i lies `expected[i]` ms after the first. A slot's time is the wait plus the moment the
 * pace read its clock, which lies between the call's start and its answer; so each check allows exactly
 * the calls' own measured time (however slow the machine), and the 1-s interval dwarfs it.
 */
async function expectSlots(reserve: (i: number) => Promise<number>, expected: number[]): Promise<void> {
  const slots: { early: number; late: number }[] = [];
  for (let i = 0; i < expected.length; i++) {
    const before = Date.now();
    const wait = await reserve(i);
    slots.push({ early: before + wait, late: Date.now() + wait });
  }
  const [first] = slots;
  if (first === undefined) throw new Error('no slot taken');
  slots.forEach((slot, i) => {
    const offset = expected[i] ?? Number.NaN;
    // Whole milliseconds on both clocks (the script rounds the wait up): 1 ms either way.
    expect(slot.late - first.early).toBeGreaterThanOrEqual(offset - 1);
    expect(slot.early - first.late).toBeLessThanOrEqual(offset + 1);
  });
}

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
    await expectSlots(() => pace.reserve('chat.postMessage:C1', SECOND), [0, 0, 1000, 2000, 3000]);
    expect(await pace.reserve('chat.postMessage:C2', SECOND)).toBe(0);
    await pace.close();
  });
});

test('the memory pace on a given clock: an idle key has its whole burst again', async () => {
  let now = 1_000_000;
  const pace = createMemoryPace(() => now);
  const waits = [];
  for (let i = 0; i < 3; i++) waits.push(await pace.reserve('chat.update', SECOND));
  expect(waits).toEqual([0, 0, 1000]);
  now += 500;
  expect(await pace.reserve('chat.update', SECOND)).toBe(1500); // the slot after the last, 2 s after the first
  now += 10_000;
  expect([await pace.reserve('chat.update', SECOND), await pace.reserve('chat.update', SECOND)]).toEqual([0, 0]);
});

test('two Redis clients share a key: their slots make one sequence', async () => {
  const prefix = newRedisPrefix();
  prefixes.push(prefix);
  const [a, b] = [redisPace(prefix), redisPace(prefix)];
  await expectSlots((i) => (i % 2 === 0 ? a : b).reserve('chat.update', SECOND), [0, 0, 1000, 2000, 3000, 4000]);
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

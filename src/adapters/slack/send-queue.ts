/**
 * svcbot's Slack Web API calls, paced to Slack's limits and ordered by what matters.
 *
 * Slack limits `chat.postMessage` to about one message a second per channel (short bursts tolerated) and
 * `chat.update` (Tier 3) to about 50 a minute for the whole workspace, and answers HTTP 429 with
 * `Retry-After` above that. At hundreds of jobs svcbot wants far more than that, so each call waits in a
 * lane (one per channel for posts, one for the workspace's updates, one for ephemeral messages, one per
 * method for reading a channel back), which
 * sends when the lane's budget (a token bucket at Slack's documented rate) allows:
 * - **Results first.** In a lane, a call of a higher priority (an endpoint or outcome message, a command's
 *   answer) goes before any queued call of a lower one (a new progress message); updates have a lane of
 *   their own (Slack counts them apart), so they never hold a post up.
 * - **Only the latest state.** A call with a `mergeKey` (an update of one message) replaces a queued call
 *   of the same key: its callers settle when the newest version is sent, and the lane holds at most one
 *   call per message, however often a job reports.
 * - **Many results, one message.** Calls with the same `digest` key that are waiting in a lane together
 *   (results coming faster than the channel takes them) go as one call, built by `combine` from their
 *   parts, in the order they came (at most `maxDigestParts`, and parts whose sizes add up to at most the
 *   digest's `maxSize`; a part larger than that goes alone, never cut); each caller settles with it. A
 *   digest's `holdMs` keeps its first part waiting that long for others (audit lines: a burst of them is
 *   one message, not a message each until the channel's budget runs out).
 * - **A 429 pauses that lane alone** for `Retry-After`, and the call goes back to its place. This is why
 *   the WebClient below is built with `rejectRateLimitedCalls`: on its own it would wait out a 429 by
 *   pausing its whole request queue (one channel's refusal would hold up every other channel's results).
 * - **One pace for all processes**, given a `SharedPace` (Redis): a lane takes the next free slot of its
 *   key there before each call, instead of its own budget, so two workers posting to one channel send
 *   at Slack's rate together, not each. The call sent at the slot is the lane's first then (priorities
 *   hold); a reservation Redis does not answer paces that call alone, one interval.
 */
import type { SharedPace } from '../../ports/pace.js';

interface LaneLimit {
  /** Sustained calls a minute. */
  perMinute: number;
  /** Calls sent at once above the sustained rate. */
  burst: number;
}

/**
 * Slack's documented rates (docs.slack.dev/apis/web-api/rate-limits) less about 5%, bursts kept small:
 * calls paced at exactly Slack's rate would meet a 429 whenever the network delays one more than the next.
 */
const SLACK_RATES: Readonly<Record<SlackMethod, LaneLimit>> = {
  // Bursts one under Slack's (3, 5, 10 in the stand-in): a burst that reaches Slack late (a loaded event
  // loop) and the next call on time would otherwise meet a 429 (bench slack, 1,000 jobs over 20 channels:
  // 20 posts refused with a burst of 3; one update with a burst of 5).
  'chat.postMessage': { perMinute: 57, burst: 2 },
  'chat.update': { perMinute: 47, burst: 4 },
  'chat.postEphemeral': { perMinute: 95, burst: 9 },
  // Tier 3, read back only after a crash (a job taking a dead attempt's post over).
  'conversations.history': { perMinute: 47, burst: 4 },
  'conversations.replies': { perMinute: 47, burst: 4 },
};

type SlackMethod = 'chat.postMessage' | 'chat.update' | 'chat.postEphemeral' | 'conversations.history' | 'conversations.replies';

/** Lower goes first. */
export const SEND_PRIORITY = { result: 0, progress: 1 } as const;

export interface SendQueueOptions {
  /**
   * `false`: no pacing (a Slack stand-in that enforces no limits); priorities, merging and 429 pauses
   * still apply. Default true.
   */
  pacing?: boolean;
  rates?: Partial<Record<SlackMethod, LaneLimit>>;
  /** Where the lanes take their slots when several processes post for one workspace. Default: each lane's own budget. */
  pace?: SharedPace;
  /** Most calls one digest combines. Default 100 (a digest's `maxSize` usually binds first). */
  maxDigestParts?: number;
  /** 429s one call waits out before it fails (as a rate-limited, transient error). Default 5. */
  maxRateLimited?: number;
  now?: () => number;
}

export interface SendQueue {
  /**
   * Runs `call` (one Web API call of `method`, to `channel`) when the lane's budget allows, after the
   * lane's queued calls of the same or a higher priority. With `mergeKey`, a queued call of the same key
   * is replaced by this one, and its callers settle with it.
   */
  send<T, P = unknown>(method: SlackMethod, channel: string, call: () => Promise<T>, opts?: SendOptions<T, P>): Promise<T>;
  /** Calls waiting, over every lane. */
  readonly queued: number;
  /** 429s met so far (each paused its lane). */
  readonly rateLimited: number;
}

/** What a call cancelled (its `signal`) before it was sent rejects with. */
export class SendCancelled extends Error {
  constructor() {
    super('cancelled before it was sent');
    this.name = new.target.name;
  }
}

interface SendOptions<T, P> {
  priority?: number;
  mergeKey?: string;
  /** Aborted while the call still waits in its lane: the call is not made, and rejects with SendCancelled. */
  signal?: AbortSignal;
  /** Sent as one call with the lane's other waiting calls of the same `key`: `combine(parts)` makes it. */
  digest?: DigestOptions<T, P>;
}

interface DigestOptions<T, P> {
  key: string;
  part: P;
  combine: (parts: P[]) => () => Promise<T>;
  /** This part's size (e.g. its text's length), counted against `maxSize`. Default 0. */
  size?: number;
  /** Largest sum of the parts' sizes one digest takes. Default unbounded. */
  maxSize?: number;
  /** The call waits at least this long (ms) for others of its key to join it. Default 0. */
  holdMs?: number;
}

interface Waiter {
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

interface Item {
  seq: number;
  priority: number;
  mergeKey: string | undefined;
  call: () => Promise<unknown>;
  digest: DigestOptions<unknown, unknown> | undefined;
  /** Not sent before this time (a digest's hold). */
  notBefore: number;
  waiters: Waiter[];
  rateLimited: number;
}

interface Lane {
  /** Undefined: not paced. */
  limit: LaneLimit | undefined;
  tokens: number;
  at: number;
  pausedUntil: number;
  inFlight: number;
  items: Item[];
  merging: Map<string, Item>;
  /** With a shared pace: the time of the slot taken for the lane's next call; undefined: none taken. */
  slotAt: number | undefined;
  /** With a shared pace: a slot is being taken. */
  reserving: boolean;
}

/** The seconds Slack asked to wait, if `err` is the WebClient's rate-limited error (rejectRateLimitedCalls). */
export function retryAfterOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; retryAfter?: unknown } | undefined;
  return e?.code === 'slack_webapi_rate_limited_error' && typeof e.retryAfter === 'number' ? e.retryAfter : undefined;
}

export function createSendQueue(opts: SendQueueOptions = {}): SendQueue {
  const now = opts.now ?? Date.now;
  const maxRateLimited = opts.maxRateLimited ?? 5;
  const maxDigestParts = opts.maxDigestParts ?? 100;
  const lanes = new Map<string, Lane>();
  let seq = 0;
  let rateLimited = 0;
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Number.POSITIVE_INFINITY;

  const rateOf = (method: SlackMethod): LaneLimit | undefined => (opts.pacing === false ? undefined : (opts.rates?.[method] ?? SLACK_RATES[method]));

  function laneFor(method: SlackMethod, channel: string): Lane {
    // Posts are counted per channel; a Tier's methods per workspace.
    const key = method === 'chat.postMessage' ? `${method}:${channel}` : method;
    let lane = lanes.get(key);
    if (!lane) {
      const limit = rateOf(method);
      lane = { limit, tokens: limit?.burst ?? 0, at: now(), pausedUntil: 0, inFlight: 0, items: [], merging: new Map(), slotAt: undefined, reserving: false };
      lanes.set(key, lane);
    }
    return lane;
  }

  /** Tokens back since the lane's last call; true when the lane may send one now. */
  function refill(lane: Lane, t: number): boolean {
    if (!lane.limit) return true;
    lane.tokens = Math.min(lane.limit.burst, lane.tokens + (t - lane.at) * (lane.limit.perMinute / 60_000));
    lane.at = t;
    return lane.tokens >= 1;
  }

  /** In its place: after every item of the same or a higher priority that came earlier. */
  function insert(lane: Lane, item: Item): void {
    let i = lane.items.length;
    while (i > 0) {
      const before = lane.items[i - 1]!;
      if (before.priority < item.priority || (before.priority === item.priority && before.seq < item.seq)) break;
      i -= 1;
    }
    lane.items.splice(i, 0, item);
    if (item.mergeKey !== undefined) lane.merging.set(item.mergeKey, item);
  }

  function arm(at: number): void {
    if (timer && timerAt <= at) return;
    clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(
      () => {
        timer = undefined;
        timerAt = Number.POSITIVE_INFINITY;
        pump();
      },
      Math.max(0, at - now()),
    );
    timer.unref();
  }

  function pump(): void {
    const t = now();
    let next = Number.POSITIVE_INFINITY;
    for (const [key, lane] of lanes) {
      while (lane.items.length > 0) {
        if (t < lane.pausedUntil) {
          next = Math.min(next, lane.pausedUntil);
          break;
        }
        // The first in line that is not held (held ones: digests gathering their parts).
        const at = lane.items.findIndex((item) => item.notBefore <= t);
        if (at < 0) {
          for (const item of lane.items) next = Math.min(next, item.notBefore);
          break;
        }
        if (lane.limit && opts.pace) {
          // A slot left unused for over an interval (its call cancelled, the lane idle) is stale: others took theirs since.
          if (lane.slotAt !== undefined && t - lane.slotAt > 60_000 / lane.limit.perMinute) lane.slotAt = undefined;
          if (lane.slotAt === undefined) {
            if (!lane.reserving) reserve(key, lane, lane.limit, opts.pace);
            break;
          }
          if (t < lane.slotAt) {
            next = Math.min(next, lane.slotAt);
            break;
          }
          lane.slotAt = undefined;
        } else if (!refill(lane, t)) {
          next = Math.min(next, t + Math.ceil(((1 - lane.tokens) * 60_000) / lane.limit!.perMinute));
          break;
        } else {
          lane.tokens -= 1;
        }
        const item = lane.items.splice(at, 1)[0]!;
        if (item.mergeKey !== undefined) lane.merging.delete(item.mergeKey);
        run(lane, item.digest ? digestOf(lane, item, item.digest) : item);
      }
      // An idle lane with its whole budget back is forgotten (a channel not posted to for a while).
      if (lane.items.length === 0 && lane.inFlight === 0 && !lane.reserving && t >= lane.pausedUntil) {
        refill(lane, t);
        if (!lane.limit || lane.tokens >= lane.limit.burst) lanes.delete(key);
      }
    }
    if (next !== Number.POSITIVE_INFINITY) arm(next);
  }

  /** A waiter whose call is cancelled: out of its item, and the item out of its lane if no one else waits for it (not sent yet). */
  function cancel(lane: Lane, waiter: Waiter): void {
    const item = lane.items.find((i) => i.waiters.includes(waiter));
    if (!item) return; // sent already (or being sent): it settles as it goes
    item.waiters = item.waiters.filter((w) => w !== waiter);
    if (item.waiters.length === 0) {
      lane.items.splice(lane.items.indexOf(item), 1);
      if (item.mergeKey !== undefined && lane.merging.get(item.mergeKey) === item) lane.merging.delete(item.mergeKey);
    }
    waiter.reject(new SendCancelled());
  }

  /** Takes the shared pace's next slot for the lane's next call, then pumps (the slot's time arms the timer). */
  function reserve(key: string, lane: Lane, limit: LaneLimit, pace: SharedPace): void {
    lane.reserving = true;
    pace
      .reserve(key, limit)
      .then(
        (waitMs) => {
          lane.slotAt = now() + waitMs;
        },
        () => {
          lane.slotAt = now() + Math.ceil(60_000 / limit.perMinute); // Redis did not answer: this lane's own pace
        },
      )
      .finally(() => {
        lane.reserving = false;
        pump();
      });
  }

  /**
   * `item` and the lane's other waiting items of its digest key, in their order, as one item (or `item`
   * alone): as many as `maxDigestParts` and the digest's `maxSize` allow, stopping at the first that does
   * not fit (a later one never goes before it).
   */
  function digestOf(lane: Lane, item: Item, digest: NonNullable<Item['digest']>): Item {
    const maxSize = digest.maxSize ?? Number.POSITIVE_INFINITY;
    let size = digest.size ?? 0;
    const together = new Set<Item>();
    for (const other of lane.items) {
      if (other.digest?.key !== digest.key) continue;
      size += other.digest.size ?? 0;
      if (together.size + 1 >= maxDigestParts || size > maxSize) break;
      together.add(other);
    }
    if (together.size === 0) return item;
    lane.items = lane.items.filter((other) => !together.has(other));
    const parts = [item, ...together];
    // A digest that Slack refuses for its rate is tried again as itself (its parts stay together).
    const call = digest.combine(parts.map((p) => p.digest!.part));
    return { ...item, call, digest: undefined, waiters: parts.flatMap((p) => p.waiters) };
  }

  function run(lane: Lane, item: Item): void {
    lane.inFlight += 1;
    item
      .call()
      .then(
        (value) => {
          for (const w of item.waiters) w.resolve(value);
        },
        (err: unknown) => {
          const retryAfter = retryAfterOf(err);
          if (retryAfter === undefined || item.rateLimited >= maxRateLimited) {
            for (const w of item.waiters) w.reject(err);
            return;
          }
          rateLimited += 1;
          item.rateLimited += 1;
          lane.pausedUntil = Math.max(lane.pausedUntil, now() + retryAfter * 1000);
          lane.tokens = 0;
          const newer = item.mergeKey === undefined ? undefined : lane.merging.get(item.mergeKey);
          if (newer) newer.waiters.push(...item.waiters); // a newer version is queued: it stands for this one
          else insert(lane, item);
        },
      )
      .finally(() => {
        lane.inFlight -= 1;
        pump();
      });
  }

  return {
    send<T, P = unknown>(method: SlackMethod, channel: string, call: () => Promise<T>, o: SendOptions<T, P> = {}): Promise<T> {
      const lane = laneFor(method, channel);
      const priority = o.priority ?? SEND_PRIORITY.result;
      return new Promise<T>((resolve, reject) => {
        if (o.signal?.aborted) {
          reject(new SendCancelled());
          return;
        }
        const waiter: Waiter = { resolve: (v) => resolve(v as T), reject };
        o.signal?.addEventListener('abort', () => cancel(lane, waiter), { once: true });
        const queued = o.mergeKey === undefined ? undefined : lane.merging.get(o.mergeKey);
        if (queued) {
          // Only the latest version matters: it takes the queued one's place (and the higher of the two priorities).
          queued.call = call;
          queued.waiters.push(waiter);
          if (priority < queued.priority) {
            lane.items.splice(lane.items.indexOf(queued), 1);
            queued.priority = priority;
            insert(lane, queued);
          }
        } else {
          const digest = o.digest as Item['digest'];
          const notBefore = digest?.holdMs ? now() + digest.holdMs : 0;
          insert(lane, { seq: ++seq, priority, mergeKey: o.mergeKey, call, digest, notBefore, waiters: [waiter], rateLimited: 0 });
        }
        pump();
      });
    },
    get queued() {
      let n = 0;
      for (const lane of lanes.values()) n += lane.items.length;
      return n;
    },
    get rateLimited() {
      return rateLimited;
    },
  };
}

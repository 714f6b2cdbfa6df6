/**
 * Coalesced progress messages: jobs say what a message should show now; one shared flush loop sends the
 * latest version of each message at most once per `minIntervalMs` (Slack's chat.update allows about one
 * per second per message). Intermediate versions are dropped, never queued; a final version is awaited.
 * One timer for the whole process, whatever the number of jobs; entries leave once sent and quiet.
 *
 * A job's progress message itself is posted in the background (`postProgress`): where Slack's per-channel
 * rate makes it wait (a burst of N jobs in one channel: up to N seconds), the job acts at once, and chains
 * what needs the message (its updates, replies in its thread) on the promise of the posted message.
 */
import { withDeadline } from '../src/domain/deadline.js';
import type { Logger } from '../src/ports/logger.js';
import type { ChannelMessages, MessageRef } from '../src/ports/replies.js';
import type { Message } from '../src/render/blocks.js';

interface Entry {
  ref: MessageRef;
  pending?: Message;
  /** The pending version is the message's last (the job ended): Slack gets it before others' intermediate ones. */
  pendingFinal: boolean;
  /** Resolvers of callers waiting for the pending version (or a later one) to be sent. */
  waiters: { resolve: () => void }[];
  lastSentAt: number;
  sending: boolean;
  failures: number;
}

export interface ProgressBoardOptions {
  replies: ChannelMessages;
  logger?: Logger;
  minIntervalMs?: number;
  /** Flush loop period. Default 100 ms. */
  tickMs?: number;
  /** Failed sends of one version before it is dropped. Default 3. */
  maxFailures?: number;
  /**
   * The longest `close()` waits for its sends (ms). Default 5000: where Slack's limits keep updates
   * waiting in the replies' queue (minutes, with hundreds of messages), a stopping worker must not wait
   * with them; what is still queued is sent while the process lives.
   */
  closeWaitMs?: number;
  now?: () => number;
}

export interface ProgressBoard {
  /**
   * Shows `message` in `ref` soon. With `final`, resolves once it (or a later version) is sent or given up.
   * `close()` sends every version still pending, once, before it resolves.
   */
  show(ref: MessageRef, message: Message, opts?: { final?: boolean }): Promise<void>;
  /** Messages with a version not sent yet. */
  readonly backlog: number;
  /**
   * The progress message of `key`, posted by `post` in the background: while a post of `key` is in flight in
   * this process, later calls (a retry or a later run of the job) share its promise instead of posting
   * again. The promise never rejects (`post` turns its failures into undefined). `close()` waits for these.
   */
  postProgress(key: string, post: (signal: AbortSignal) => Promise<MessageRef | undefined>): Promise<MessageRef | undefined>;
  /**
   * Gives up `key`'s progress message if its post still waits for Slack (its `signal` aborts; the post
   * resolves undefined if it was not made yet): for a job that ended before its message was posted, and
   * whose result already went in the channel. True if a post was in flight.
   */
  cancelProgress(key: string): boolean;
  /** The promise of `key`'s progress message while its post is in flight in this process. */
  progressPosting(key: string): Promise<MessageRef | undefined> | undefined;
  close(): Promise<void>;
}

export function createProgressBoard(opts: ProgressBoardOptions): ProgressBoard {
  const minIntervalMs = opts.minIntervalMs ?? 1000;
  const tickMs = opts.tickMs ?? 100;
  const maxFailures = opts.maxFailures ?? 3;
  const closeWaitMs = opts.closeWaitMs ?? 5000;
  const now = opts.now ?? Date.now;
  const entries = new Map<string, Entry>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const inFlight = new Set<Promise<void>>();
  const posting = new Map<string, Promise<MessageRef | undefined>>();
  const cancels = new Map<string, AbortController>();

  const keyOf = (ref: MessageRef) => `${ref.channel}/${ref.ts}`;

  function send(key: string, entry: Entry): void {
    const message = entry.pending;
    if (!message) return;
    const waiters = entry.waiters;
    const final = entry.pendingFinal;
    entry.pending = undefined;
    entry.pendingFinal = false;
    entry.waiters = [];
    entry.sending = true;
    entry.lastSentAt = now();
    const p = opts.replies
      .update(entry.ref, message, { final })
      .then(
        () => {
          entry.failures = 0;
          for (const w of waiters) w.resolve();
        },
        (err: unknown) => {
          entry.failures += 1;
          opts.logger?.warn({ err, message: key, failures: entry.failures }, 'progress update failed');
          if (entry.failures < maxFailures && !entry.pending) {
            entry.pending = message; // try this version again at the next slot
            entry.pendingFinal = final;
            entry.waiters.push(...waiters);
          } else {
            for (const w of waiters) w.resolve();
          }
        },
      )
      .finally(() => {
        entry.sending = false;
        inFlight.delete(p);
      });
    inFlight.add(p);
  }

  function tick(): void {
    const t = now();
    for (const [key, entry] of entries) {
      if (entry.sending) continue;
      if (entry.pending) {
        if (t - entry.lastSentAt >= minIntervalMs) send(key, entry);
      } else if (t - entry.lastSentAt >= minIntervalMs) {
        entries.delete(key);
      }
    }
    if (entries.size === 0) stop();
  }

  function start(): void {
    if (timer || closed) return;
    timer = setInterval(tick, tickMs);
    timer.unref();
  }
  function stop(): void {
    clearInterval(timer);
    timer = undefined;
  }

  return {
    show(ref, message, { final = false } = {}) {
      const key = keyOf(ref);
      let entry = entries.get(key);
      if (!entry) {
        entry = { ref, pendingFinal: false, waiters: [], lastSentAt: 0, sending: false, failures: 0 };
        entries.set(key, entry);
      }
      entry.pending = message;
      entry.pendingFinal = final;
      entry.failures = 0;
      const done = final ? new Promise<void>((resolve) => entry.waiters.push({ resolve })) : Promise.resolve();
      if (!entry.sending && now() - entry.lastSentAt >= minIntervalMs) send(key, entry);
      start();
      return done;
    },
    postProgress(key, post) {
      const current = posting.get(key);
      if (current) return current;
      const controller = new AbortController();
      const p = post(controller.signal).finally(() => {
        posting.delete(key);
        cancels.delete(key);
      });
      posting.set(key, p);
      cancels.set(key, controller);
      return p;
    },
    cancelProgress(key) {
      const controller = cancels.get(key);
      controller?.abort();
      return controller !== undefined;
    },
    progressPosting(key) {
      return posting.get(key);
    },
    get backlog() {
      let n = 0;
      for (const e of entries.values()) if (e.pending) n += 1;
      return n;
    },
    async close() {
      closed = true;
      stop();
      const deadline = now() + closeWaitMs;
      const settled = () => withDeadline(Promise.allSettled([...inFlight, ...posting.values()]), Math.max(0, deadline - now()));
      await settled();
      // Last versions not sent yet (e.g. a job's final state) go now, once, whatever the interval.
      for (const [key, entry] of entries) if (entry.pending && !entry.sending) send(key, entry);
      await settled();
      for (const e of entries.values()) for (const w of e.waiters) w.resolve();
      entries.clear();
    },
  };
}

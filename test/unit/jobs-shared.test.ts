import { jest } from '@jest/globals';
/**
 * The pieces the load-balancer processors share, with fakes of the ports: the coalescing progress board,
 * the rate-limited prober (pacing), error classification, and the progress model and its rendering.
 */
import { isThrottled, isTransientJobError, throttledWaitMs } from '../../jobs/errors.js';
import { createProber } from '../../jobs/prober.js';
import { createProgressBoard } from '../../jobs/progress-board.js';
import { createWatchWakeups, wakeSoon } from '../../jobs/wakeups.js';
import type { ServiceView } from '../../src/domain/views.js';
import type { ServiceChangeListener, ServiceWatch } from '../../src/ports/service-watch.js';
import { BotError } from '../../src/domain/errors.js';
import type { LbJobData } from '../../src/domain/lb-jobs.js';
import { progressView } from '../../src/domain/progress.js';
import { PermanentJobError, TransientJobError } from '../../src/ports/jobs.js';
import type { ChannelMessages, MessageRef } from '../../src/ports/replies.js';
import type { Message } from '../../src/render/blocks.js';
import { renderEndpointMessage, renderOutcomeMessage, renderProgress } from '../../src/render/progress.js';
import { waitFor } from '../helpers/wait.js';
import { createLbJobDeps } from '../../jobs/index.js';
import { createMemoryLatestChanges } from '../../src/adapters/memory/latest-changes.js';
import { fakeWorld } from '../fakes/index.js';
import { testAuditTrail } from '../helpers/governance.js';
import pino from 'pino';

function recordingNotifier() {
  const updates: { ref: MessageRef; message: Message; at: number; final: boolean }[] = [];
  const notifier: ChannelMessages = {
    post: () => Promise.resolve({ channel: 'C1', ts: '1.1' }),
    findPosted: () => Promise.resolve(undefined),
    update: (ref, message, opts) => {
      updates.push({ ref, message, at: Date.now(), final: opts?.final === true });
      return Promise.resolve();
    },
  };
  return { notifier, updates };
}

describe('progress board', () => {
  test('coalesces: the first version goes at once, then at most one per interval per message, always the latest', async () => {
    const { notifier, updates } = recordingNotifier();
    const board = createProgressBoard({ replies: notifier, minIntervalMs: 200, tickMs: 10 });
    const a = { channel: 'C1', ts: '1.1' };
    const b = { channel: 'C1', ts: '2.2' };
    void board.show(a, { text: 'a1', blocks: [] });
    for (let i = 2; i <= 20; i++) void board.show(a, { text: `a${i}`, blocks: [] });
    void board.show(b, { text: 'b1', blocks: [] });
    await board.show(a, { text: 'a-final', blocks: [] }, { final: true });
    const forA = updates.filter((u) => u.ref.ts === '1.1');
    expect(forA.map((u) => u.message.text)).toEqual(['a1', 'a-final']);
    expect(forA[1]!.at - forA[0]!.at).toBeGreaterThanOrEqual(190);
    expect(updates.filter((u) => u.ref.ts === '2.2').map((u) => u.message.text)).toEqual(['b1']);
    await board.close();
  });

  test('close() sends the versions still pending (a final state held back by the interval)', async () => {
    const { notifier, updates } = recordingNotifier();
    const board = createProgressBoard({ replies: notifier, minIntervalMs: 60_000, tickMs: 5 });
    const ref = { channel: 'C1', ts: '9.9' };
    void board.show(ref, { text: 'first', blocks: [] });
    void board.show(ref, { text: 'final', blocks: [] }, { final: true });
    await board.close();
    expect(updates.map((u) => u.message.text)).toEqual(['first', 'final']);
    // The last version is marked final, for the Slack adapter to send it before others' intermediate ones.
    expect(updates.map((u) => u.final)).toEqual([false, true]);
  });

  test('a failed update is tried again at the next slot; a final one is awaited until sent', async () => {
    let fail = 1;
    const sent: string[] = [];
    const notifier: ChannelMessages = {
      post: () => Promise.resolve(undefined),
      findPosted: () => Promise.resolve(undefined),
      update: (_ref, message) => {
        if (fail-- > 0) return Promise.reject(new Error('ratelimited'));
        sent.push(message.text);
        return Promise.resolve();
      },
    };
    const board = createProgressBoard({ replies: notifier, minIntervalMs: 50, tickMs: 5 });
    await board.show({ channel: 'C', ts: '1' }, { text: 'done', blocks: [] }, { final: true });
    expect(sent).toEqual(['done']);
    expect(board.backlog).toBe(0);
    await board.close();
  });
});

describe('watch wake-ups', () => {
  function fakeWatch(current: Partial<ServiceView> | undefined) {
    const listeners = new Set<ServiceChangeListener>();
    const watch: ServiceWatch = {
      subscribe: (_ref, l) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
      get: () => current as ServiceView | undefined,
      ready: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    const emit = (svc: Partial<ServiceView> | undefined) => {
      for (const l of [...listeners]) l(svc as ServiceView | undefined, { cluster: 'c', namespace: 'n', name: 's' });
    };
    return { watch, emit, listeners };
  }
  const ref = { cluster: 'c', namespace: 'n', name: 's' };
  const hasHost = (s: ServiceView | undefined) => (s?.loadBalancerHostnames.length ?? 0) > 0;

  test('wakes only on a change that satisfies the condition, once, then unsubscribes', () => {
    const w = fakeWatch({ loadBalancerHostnames: [] });
    const woken: string[] = [];
    const wakeups = createWatchWakeups(w.watch, (id) => woken.push(id));
    wakeups.wakeOnChange('j1', ref, hasHost);
    w.emit({ loadBalancerHostnames: [], finalizers: ['x'] });
    expect(woken).toEqual([]);
    w.emit({ loadBalancerHostnames: ['a-1.elb.amazonaws.com'] });
    w.emit({ loadBalancerHostnames: ['a-1.elb.amazonaws.com'] });
    expect(woken).toEqual(['j1']);
    expect(w.listeners.size).toBe(0);
    expect(wakeups.size).toBe(0);
  });

  test('a change the watch saw before the job subscribed is not lost: it wakes at once', () => {
    const w = fakeWatch({ loadBalancerHostnames: ['a-1.elb.amazonaws.com'] });
    const woken: string[] = [];
    createWatchWakeups(w.watch, (id) => woken.push(id)).wakeOnChange('j2', ref, hasHost);
    expect(woken).toEqual(['j2']);
    expect(w.listeners.size).toBe(0);
  });
});

describe('prober', () => {
  test('never exceeds its rate, wakes a job once its check passes, and is fair (each check runs before any runs twice)', async () => {
    const woken: string[] = [];
    const prober = createProber({ name: 't', ratePerSecond: 100, concurrency: 4, wake: (id) => woken.push(id) });
    const runs = new Map<string, number>();
    const started = Date.now();
    for (let i = 0; i < 20; i++) {
      const id = `job-${i}`;
      prober.register(id, () => {
        runs.set(id, (runs.get(id) ?? 0) + 1);
        return Promise.resolve(id === 'job-7' && (runs.get(id) ?? 0) >= 2);
      });
    }
    await waitFor(() => woken.includes('job-7'), { what: 'job-7 woken' });
    // Round-robin: job-7 ran twice, so every check ran at least once.
    for (let i = 0; i < 20; i++) expect(runs.get(`job-${i}`)).toBeGreaterThanOrEqual(1);
    const elapsedS = (Date.now() - started) / 1000;
    expect(prober.probes).toBeLessThanOrEqual(100 * elapsedS + 100); // bucket starts with at most a second's worth
    expect(prober.size).toBe(19);
    expect(woken).toEqual(['job-7']);
    await prober.close();
  });

  test('a check registered with a TTL lapses (a job removed from the queue is not probed forever)', async () => {
    const prober = createProber({ name: 't', ratePerSecond: 1000, wake: () => undefined });
    prober.register('gone', () => Promise.resolve(false), { ttlMs: 30 });
    await waitFor(() => prober.size === 0, { what: 'the check to lapse' });
    await prober.close();
  });

  test('re-registering a job replaces its check (one entry per job)', async () => {
    const prober = createProber({ name: 't', ratePerSecond: 1000, wake: () => undefined });
    prober.register('j', () => Promise.resolve(false));
    prober.register('j', () => Promise.resolve(false));
    expect(prober.size).toBe(1);
    prober.forget('j');
    expect(prober.size).toBe(0);
    await prober.close();
  });
});

describe('prober pacing', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  test('one check runs at most once every minIntervalMs, whatever the rate allows', async () => {
    jest.useFakeTimers();
    const prober = createProber({ name: 't', ratePerSecond: 1000, minIntervalMs: 100, wake: () => undefined });
    let runs = 0;
    prober.register('j', () => Promise.resolve(++runs < 0));
    await jest.advanceTimersByTimeAsync(1000);
    expect(runs).toBeGreaterThanOrEqual(9);
    expect(runs).toBeLessThanOrEqual(11);
    await prober.close();
  });
});

describe('prober under throttling (AIMD)', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  test('each throttled check halves the rate (to a hundredth, at least 0.2/s); each answered one wins a twentieth back', async () => {
    jest.useFakeTimers();
    const throttled = new BotError('aws_error', 'Rate exceeded', { throttled: true });
    let throttling = true;
    const prober = createProber({ name: 'elb', ratePerSecond: 20, minIntervalMs: 10, wake: () => undefined, isThrottled: (err) => err instanceof BotError && err.throttled });
    let runs = 0;
    prober.register('j', () => {
      runs++;
      return throttling ? Promise.reject(throttled) : Promise.resolve(false);
    });
    await jest.advanceTimersByTimeAsync(10_000);
    expect(prober.rate).toBe(0.2);
    const whileThrottled = runs;
    // At 0.2 a second (not 20): at most 2 more checks in the next 5 seconds.
    await jest.advanceTimersByTimeAsync(5000);
    expect(runs - whileThrottled).toBeLessThanOrEqual(2);
    throttling = false;
    await jest.advanceTimersByTimeAsync(30_000);
    expect(prober.rate).toBe(20);
    await prober.close();
  });

  test('other failures leave the rate alone', async () => {
    jest.useFakeTimers();
    const prober = createProber({ name: 'elb', ratePerSecond: 20, minIntervalMs: 10, wake: () => undefined, isThrottled: (err) => err instanceof BotError && err.throttled });
    prober.register('j', () => Promise.reject(new BotError('aws_error', 'boom', { transient: true })));
    await jest.advanceTimersByTimeAsync(1000);
    expect(prober.rate).toBe(20);
    await prober.close();
  });
});

describe('throttled jobs wait', () => {
  test('a BotError marked throttled is throttled (and transient); nothing else is', () => {
    expect(isThrottled(new BotError('aws_error', 'Rate exceeded', { throttled: true }))).toBe(true);
    expect(new BotError('aws_error', 'Rate exceeded', { throttled: true }).transient).toBe(true);
    expect(isThrottled(new BotError('aws_error', 'x', { transient: true }))).toBe(false);
    expect(isThrottled(new Error('Throttling'))).toBe(false);
  });

  test('the wait doubles with each throttled run in a row, from 1-2 s to at most 30-60 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map((n) => throttledWaitMs(n, () => 0))).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
    expect(throttledWaitMs(1, () => 0.999_999)).toBe(2000);
    expect(throttledWaitMs(20, () => 0.999_999)).toBe(60_000);
  });
});

describe('error classification', () => {
  const cases: [string, unknown, boolean][] = [
    ['a BotError an adapter marked transient (cluster 500)', new BotError('cluster_unreachable', 'Cluster answered 500', { transient: true }), true],
    ['a BotError an adapter marked transient (ELB Throttling)', new BotError('aws_error', 'x', { transient: true }), true],
    ['TransientJobError', new TransientJobError('busy'), true],
    ['an error no adapter translated (a Redis connection lost)', new Error('Connection is closed.'), true],
    ['forbidden (403)', new BotError('forbidden', 'not allowed'), false],
    ['invalid (422)', new BotError('invalid', 'rejected'), false],
    ['a BotError not marked (ELB AccessDenied)', new BotError('aws_error', 'x'), false],
    ["the port's PermanentJobError", new PermanentJobError('stop'), false],
    ['a TypeError (a bug)', new TypeError('undefined is not a function'), false],
  ];
  test.each(cases.map(([label, err, transient]) => ({ label, err, transient })))('$label -> transient: $transient', ({ err, transient }) => {
    expect(isTransientJobError(err)).toBe(transient);
  });
});

describe('progress model and rendering', () => {
  const data: LbJobData = {
    version: 1,
    operation: 'provision',
    cluster: 'prod',
    namespace: 'shop',
    name: 'web',
    requester: { userId: 'U123ABC', channelId: 'C1' },
    requestedAt: 1_000_000,
  };

  test('done steps show their time since the request, the current one runs, the rest wait', () => {
    const view = progressView(data, { doneAt: { service: 1_001_000, allocated: 1_065_000 }, waitingFor: '1 of 3 instances in service' }, 1_090_000);
    expect(view.steps.map((s) => [s.step, s.status, s.elapsedMs])).toEqual([
      ['service', 'done', 1000],
      ['allocated', 'done', 65_000],
      ['in-service', 'running', 90_000],
      ['dns', 'pending', undefined],
      ['answers', 'pending', undefined],
      ['ready', 'pending', undefined],
    ]);
    const { text } = renderProgress(view);
    expect(text).toContain(':white_circle: endpoint answers');
    expect(text).toContain(':white_check_mark: Service created (1s)');
    expect(text).toContain(':white_check_mark: load balancer allocated (65s)');
    expect(text).toContain(':hourglass_flowing_sand: instances in service (90s)');
    expect(text).toContain('_1 of 3 instances in service_');
  });

  test('a failure names the stuck step, quotes the Event and says how to retry or delete', () => {
    const view = progressView(data, { doneAt: { service: 1_001_000 } }, 1_900_000, {
      kind: 'failed',
      stuckAt: 'allocated',
      reason: 'AWS could not create the load balancer.',
      event: { reason: 'SyncLoadBalancerFailed', message: 'Error syncing load balancer: <quota>' },
    });
    const { text } = renderProgress(view);
    expect(text).toContain(':x: load balancer allocated');
    expect(text).toContain('Stuck at *load balancer allocated*');
    expect(text).toContain('> SyncLoadBalancerFailed: Error syncing load balancer: &lt;quota&gt;');
    expect(text).toContain('/svc type web lb --namespace shop --cluster prod');
    expect(text).toContain('/svc delete web --namespace shop --cluster prod');
  });

  test('teardown outcomes: deleted (no further charges) and orphan', () => {
    const del = { ...data, operation: 'delete' as const };
    expect(renderProgress(progressView(del, { doneAt: {} }, 1_000_000, { kind: 'deleted' })).text).toContain('load balancer deleted — no further charges');
    expect(renderProgress(progressView(del, { doneAt: {} }, 1_000_000, { kind: 'orphan', loadBalancer: 'a1b2' })).text).toContain('`a1b2` is still there after the timeout: it may be an orphan');
  });

  test('the progress message says who asked (nobody named when there is no user, as from the console)', () => {
    const view = progressView(data, { doneAt: {} }, 1_000_000);
    expect(renderProgress(view).text.split('\n')[0]).toBe('Load balancer for `shop/web` on `prod` — asked by <@U123ABC>');
    const anonymous = progressView({ ...data, requester: { userId: '', channelId: 'C1' } }, { doneAt: {} }, 1_000_000);
    expect(renderProgress(anonymous).text.split('\n')[0]).toBe('Load balancer for `shop/web` on `prod`');
  });

  test('the outcome reply tells the requester how a job ended without an endpoint; ready and cancelled need none', () => {
    const del = { ...data, operation: 'delete' as const };
    const at = (outcome: Parameters<typeof progressView>[3]) => renderOutcomeMessage(progressView(del, { doneAt: {} }, 1_000_000, outcome));
    expect(at({ kind: 'deleted' })?.text).toBe('<@U123ABC> `shop/web` on `prod`: load balancer deleted — no further charges.');
    expect(at({ kind: 'orphan', loadBalancer: 'a1b2' })?.text).toBe(
      '<@U123ABC> `shop/web` on `prod`: :warning: the load balancer `a1b2` is still there — it may be an orphan, still billed (details above).',
    );
    expect(at({ kind: 'failed', stuckAt: 'elb-deleted', reason: 'gave up <after> 15 min' })?.text).toBe(
      '<@U123ABC> `shop/web` on `prod`: :x: stuck at *load balancer deleted* — gave up &lt;after&gt; 15 min (details above).',
    );
    expect(at({ kind: 'cancelled' })).toBeUndefined();
    expect(at({ kind: 'ready', endpoints: [] })).toBeUndefined();
    expect(at(undefined)).toBeUndefined();
  });

  test('the endpoint message mentions the requester and gives HOST:PORT, plus a URL for web ports', () => {
    const { text } = renderEndpointMessage({ namespace: 'shop', name: 'web', userId: 'U123ABC' }, [
      { host: 'a-1.elb.amazonaws.com', port: 80, url: 'http://a-1.elb.amazonaws.com:80' },
      { host: 'a-1.elb.amazonaws.com', port: 5432 },
    ]);
    expect(text).toMatch(/^<@U123ABC> /);
    expect(text).toContain('`a-1.elb.amazonaws.com:80` — http://a-1.elb.amazonaws.com:80');
    expect(text).toContain('• `a-1.elb.amazonaws.com:5432`');
  });
});

describe('wakeSoon', () => {
  // Fake timers: the retries' spacing is the behaviour, read off the clock the module sees.
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  test('a wake that finds the job still active is tried again, the wait doubling up to its cap, until it lands', async () => {
    const attempts: number[] = [];
    const waker = { wake: () => Promise.resolve(attempts.push(Date.now()) >= 6) };
    wakeSoon(waker, undefined, { retryMs: 10, maxRetryMs: 40, retryForMs: 5000 })('job-1');
    await jest.advanceTimersByTimeAsync(1000);
    // At once, then after 10, 20, 40, 40, 40 ms; it landed at the sixth: no more attempts.
    expect(attempts).toEqual([0, 10, 30, 70, 110, 150]);
  });

  test('a wake that fails (Redis refusing) is tried again in the same way', async () => {
    const attempts: number[] = [];
    const waker = { wake: () => (attempts.push(Date.now()) < 3 ? Promise.reject(new Error('READONLY')) : Promise.resolve(true)) };
    wakeSoon(waker, undefined, { retryMs: 5, maxRetryMs: 20, retryForMs: 5000 })('job-3');
    await jest.advanceTimersByTimeAsync(1000);
    expect(attempts).toEqual([0, 5, 15]);
  });

  test('gives up after retryForMs (the job stayed active all along); a failure at the end is logged', async () => {
    const attempts: number[] = [];
    const waker = { wake: () => Promise.resolve((attempts.push(Date.now()), false)) };
    wakeSoon(waker, undefined, { retryMs: 5, maxRetryMs: 20, retryForMs: 150 })('job-2');
    await jest.advanceTimersByTimeAsync(10_000);
    // 0, 5, 15, 35, 55 … every 20 ms, the last one at the deadline.
    expect(attempts.slice(0, 5)).toEqual([0, 5, 15, 35, 55]);
    expect(attempts.at(-1)).toBe(150);
    expect(attempts.every((t) => t <= 150)).toBe(true);

    const warnings: string[] = [];
    const logger = { warn: (_: unknown, msg: string) => void warnings.push(msg) } as unknown as Parameters<typeof wakeSoon>[1];
    wakeSoon({ wake: () => Promise.reject(new Error('READONLY')) }, logger, { retryMs: 5, maxRetryMs: 20, retryForMs: 50 })('job-4');
    await jest.advanceTimersByTimeAsync(1000);
    expect(warnings).toEqual(['could not wake job; it waits for its park timeout']);
  });
});

test("createLbJobDeps: a job woken by one of its wake-ups loses its other wake-ups in this worker (it registers again where it runs)", async () => {
  const woken: string[] = [];
  let listeners = 0;
  const watch: ServiceWatch = {
    subscribe: () => {
      listeners += 1;
      return () => {
        listeners -= 1;
      };
    },
    get: () => undefined,
    ready: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  const runtime = createLbJobDeps({
    clusters: fakeWorld(['prod']).registry,
    audit: testAuditTrail().audit,
    watch,
    resolver: { resolve4: () => Promise.resolve([]) },
    replies: { post: () => Promise.resolve({ channel: 'C1', ts: '1.0' }), update: () => Promise.resolve(), findPosted: () => Promise.resolve(undefined) },
    once: { run: (_key, action) => action() },
    changes: createMemoryLatestChanges(),
    waker: { wake: (id) => Promise.resolve(woken.push(id) > 0) },
    logger: pino({ level: 'silent' }),
  });
  try {
    const { deps } = runtime;
    let eventSeen = false;
    deps.watchWakeups.wakeOnChange('job-1', { cluster: 'prod', namespace: 'default', name: 'web' }, () => false, 60_000);
    deps.probers.kube.register('job-1', () => Promise.resolve(false), { ttlMs: 60_000 });
    deps.probers.dns.register('job-1', () => Promise.resolve((eventSeen = true)), { ttlMs: 60_000 });
    await waitFor(() => woken.length === 1, { what: 'the DNS probe to wake the job' });
    expect(eventSeen).toBe(true);
    expect(deps.watchWakeups.size).toBe(0);
    expect(listeners).toBe(0);
    expect(deps.probers.kube.size).toBe(0);
    expect(deps.probers.dns.size).toBe(0);
  } finally {
    await runtime.close();
  }
});

describe('progress board close under Slack\'s limits', () => {
  test('close() waits for its sends at most closeWaitMs (updates held in the replies\' queue do not hold a stopping worker)', async () => {
    const sent: string[] = [];
    const notifier: ChannelMessages = {
      post: () => Promise.resolve(undefined),
      findPosted: () => Promise.resolve(undefined),
      // Slack's limits keep this update waiting: it never settles within the test.
      update: (_ref, message) => {
        sent.push(message.text);
        return new Promise<void>(() => undefined);
      },
    };
    const board = createProgressBoard({ replies: notifier, minIntervalMs: 60_000, tickMs: 5, closeWaitMs: 100 });
    void board.show({ channel: 'C1', ts: '1.1' }, { text: 'first', blocks: [] });
    void board.show({ channel: 'C1', ts: '2.2' }, { text: 'other', blocks: [] });
    const started = Date.now();
    await board.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(sent).toEqual(['first', 'other']);
  });
});

test('createLbJobDeps: the thread wait (SLACK_THREAD_WAIT) reaches the jobs; none given, the jobs\' own default', async () => {
  const make = (threadWaitMs?: number) =>
    createLbJobDeps({
      clusters: fakeWorld(['prod']).registry,
      audit: testAuditTrail().audit,
      watch: { subscribe: () => () => undefined, get: () => undefined, ready: () => Promise.resolve(), close: () => Promise.resolve() },
      resolver: { resolve4: () => Promise.resolve([]) },
      replies: { post: () => Promise.resolve({ channel: 'C1', ts: '1.0' }), update: () => Promise.resolve(), findPosted: () => Promise.resolve(undefined) },
      once: { run: (_key, action) => action() },
      changes: createMemoryLatestChanges(),
      waker: { wake: () => Promise.resolve(true) },
      logger: pino({ level: 'silent' }),
      ...(threadWaitMs === undefined ? {} : { threadWaitMs }),
    });
  const set = make(500);
  const unset = make();
  try {
    expect(set.deps.threadWaitMs).toBe(500);
    expect(unset.deps.threadWaitMs).toBeUndefined();
  } finally {
    await Promise.all([set.close(), unset.close()]);
  }
});

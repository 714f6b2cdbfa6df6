/**
 * The orphan scan's pacer on a fake clock: calls start evenly spaced at the rate, in the order asked,
 * never in a burst; a `Throttling` that got through halves the rate, successes win it back; a wait is
 * abortable; one pacer per region.
 */
import { createPacer, regionPacers } from '../../../src/adapters/scan-pacer.js';

/** A clock that moves only when the test says so, and the sleeps waiting on it. */
function fakeClock() {
  let t = 0;
  const timers: { at: number; resolve: () => void; reject: (err: unknown) => void }[] = [];
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
  return {
    now: () => t,
    sleep: (ms: number, signal: AbortSignal | undefined) =>
      new Promise<void>((resolve, reject) => {
        const timer = { at: t + ms, resolve, reject };
        timers.push(timer);
        signal?.addEventListener('abort', () => {
          timers.splice(timers.indexOf(timer), 1);
          reject(signal.reason as Error);
        });
      }),
    /** Moves the clock to `ms`, waking every sleep due by then in time order. */
    async advanceTo(ms: number) {
      for (;;) {
        await settle();
        timers.sort((a, b) => a.at - b.at);
        const next = timers[0];
        if (!next || next.at > ms) break;
        timers.shift();
        t = next.at;
        next.resolve();
      }
      t = ms;
      await settle();
    },
  };
}

const throttling = () => Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });

test('calls start one every 1,000 / rate ms, in the order they asked, the first at once', async () => {
  const clock = fakeClock();
  const pacer = createPacer({ ratePerSecond: 10, now: clock.now, sleep: clock.sleep });
  const starts: [number, number][] = [];
  const calls = [0, 1, 2, 3, 4].map((i) => pacer.run(() => Promise.resolve(starts.push([i, clock.now()]))));
  await clock.advanceTo(1000);
  await Promise.all(calls);
  expect(starts).toEqual([
    [0, 0],
    [1, 100],
    [2, 200],
    [3, 300],
    [4, 400],
  ]);
});

test('no burst after a quiet spell: the spacing holds from the last start, nothing is saved up', async () => {
  const clock = fakeClock();
  const pacer = createPacer({ ratePerSecond: 10, now: clock.now, sleep: clock.sleep });
  await pacer.run(() => Promise.resolve());
  await clock.advanceTo(5000);
  const starts: number[] = [];
  const calls = [0, 1, 2].map(() => pacer.run(() => Promise.resolve(starts.push(clock.now()))));
  await clock.advanceTo(6000);
  await Promise.all(calls);
  expect(starts).toEqual([5000, 5100, 5200]);
});

test('a Throttling that got through halves the rate; each success wins back a twentieth', async () => {
  const clock = fakeClock();
  const pacer = createPacer({ ratePerSecond: 10, now: clock.now, sleep: clock.sleep });
  await expect(pacer.run(() => Promise.reject(throttling()))).rejects.toThrow('Rate exceeded');
  expect(pacer.rate).toBe(5);
  // The next call waits 1,000 / 5 ms after the throttled one.
  const next = pacer.run(() => Promise.resolve(clock.now()));
  await clock.advanceTo(1000);
  expect(await next).toBe(200);
  expect(pacer.rate).toBe(5.5);
  for (let i = 0; i < 9; i++) {
    const call = pacer.run(() => Promise.resolve());
    await clock.advanceTo(clock.now() + 1000);
    await call;
  }
  expect(pacer.rate).toBe(10);
});

test('the rate never falls below a hundredth of it (at least 0.2/s), and other failures leave it alone', async () => {
  const clock = fakeClock();
  const pacer = createPacer({ ratePerSecond: 100, now: clock.now, sleep: clock.sleep });
  for (let i = 0; i < 12; i++) {
    const call = expect(pacer.run(() => Promise.reject(throttling()))).rejects.toThrow('Rate exceeded');
    await clock.advanceTo(clock.now() + 10_000);
    await call;
  }
  expect(pacer.rate).toBe(1);
  const notFound = expect(pacer.run(() => Promise.reject(Object.assign(new Error('gone'), { name: 'LoadBalancerNotFoundException' })))).rejects.toThrow('gone');
  await clock.advanceTo(clock.now() + 10_000);
  await notFound;
  expect(pacer.rate).toBe(1);
  expect(createPacer({ ratePerSecond: 5 }).rate).toBe(5);
});

test('an abort while waiting for its turn rejects, and the call is never made', async () => {
  const clock = fakeClock();
  const pacer = createPacer({ ratePerSecond: 1, now: clock.now, sleep: clock.sleep });
  await pacer.run(() => Promise.resolve());
  const controller = new AbortController();
  let called = 0;
  const call = () => {
    called++;
    return Promise.resolve();
  };
  const waiting = pacer.run(call, controller.signal);
  controller.abort(new Error('scan cancelled'));
  await expect(waiting).rejects.toThrow('scan cancelled');
  await expect(pacer.run(call, controller.signal)).rejects.toThrow('scan cancelled');
  expect(called).toBe(0);
});

test('with the real clock: the starts are spaced', async () => {
  const pacer = createPacer({ ratePerSecond: 50 });
  const starts: number[] = [];
  await Promise.all([0, 1, 2].map(() => pacer.run(() => Promise.resolve(starts.push(performance.now())))));
  // 2 × 20 ms, less up to a millisecond a timer (Node's timers count whole ms).
  expect(starts[2]! - starts[0]!).toBeGreaterThanOrEqual(38);
});

test('one pacer per region, shared by whoever asks for that region', () => {
  const pacerFor = regionPacers(10);
  expect(pacerFor('us-east-1')).toBe(pacerFor('us-east-1'));
  expect(pacerFor('eu-west-1')).not.toBe(pacerFor('us-east-1'));
});

/** The port's JobWaker over BullMQ: promote a parked job; a wake-up that races with the job parking is not lost. */
import { bullmqWaker } from '../../../src/adapters/queue/waker.js';

describe('bullmqWaker', () => {
  /** A job whose state changes as the script says: each promote() and getState() takes the next step. */
  function scriptedJob(states: string[]) {
    let i = 0;
    const promoted: number[] = [];
    const job = {
      promote: () => {
        if (states[i] !== 'delayed') return Promise.reject(new Error(`job is ${states[i]}, not delayed`));
        promoted.push(i);
        states[i] = 'waiting';
        return Promise.resolve();
      },
      getState: () => Promise.resolve(states[++i] ?? states[states.length - 1] ?? 'unknown'),
    };
    return { waker: bullmqWaker({ getJob: () => Promise.resolve(job) }), promoted };
  }

  test('a parked job is promoted at once', async () => {
    const { waker, promoted } = scriptedJob(['delayed']);
    await expect(waker.wake('j')).resolves.toBe(true);
    expect(promoted).toEqual([0]);
  });

  test('a job that parks between the failed promote and the state read is tried again (the wake-up is not lost)', async () => {
    // promote() sees it active; by getState() it has parked.
    const { waker, promoted } = scriptedJob(['active', 'delayed', 'delayed']);
    await expect(waker.wake('j')).resolves.toBe(false);
    await expect(waker.wake('j')).resolves.toBe(true);
    expect(promoted).toHaveLength(1);
  });

  test('a job still active is tried again; one already waiting or finished needs nothing', async () => {
    await expect(scriptedJob(['active', 'active']).waker.wake('j')).resolves.toBe(false);
    await expect(scriptedJob(['waiting', 'waiting']).waker.wake('j')).resolves.toBe(true);
    await expect(scriptedJob(['completed', 'completed']).waker.wake('j')).resolves.toBe(true);
    await expect(bullmqWaker({ getJob: () => Promise.resolve(undefined) }).wake('gone')).resolves.toBe(true);
  });
});

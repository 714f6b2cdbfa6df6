/**
 * The contract of the job port as a whole — the queue the web side uses (LbJobQueue), the worker that runs
 * a JobProcessor, the waker — run against the BullMQ adapter on real Redis
 * (test/integration/job-backend.contract.test.ts) and the in-process one (test/unit/memory-jobs.test.ts).
 * Processors here are trivial: what is tested is how jobs are queued, run, parked, woken, retried,
 * cancelled and superseded.
 */
import type { LbJobData } from '../../src/domain/lb-jobs.js';
import { jobStop, PermanentJobError, type JobProcessor, type JobWaker, type JobWorker } from '../../src/ports/jobs.js';
import type { LbJobQueue, LbJobSummary } from '../../src/ports/queue.js';
import { waitFor } from '../helpers/wait.js';

interface JobBackendUnderTest {
  queue: LbJobQueue;
  waker: JobWaker;
  /** Starts a worker with `processor` (retry backoff a few ms). */
  start(processor: JobProcessor<LbJobData, unknown>): Promise<JobWorker>;
  /** Closes everything and removes what the backend made. */
  teardown(): Promise<void>;
}

/** `attempts`: tries per job (the queue's setting). */
export type MakeJobBackend = (options: { attempts?: number }) => Promise<JobBackendUnderTest>;

function jobData(name: string, overrides: Partial<LbJobData> = {}): LbJobData {
  return {
    version: 1,
    operation: 'provision',
    cluster: 'prod',
    namespace: 'default',
    name,
    requester: { userId: 'U1', channelId: 'C1' },
    requestedAt: Date.now(),
    ...overrides,
  };
}

function deferred() {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

export function jobBackendContract(label: string, make: MakeJobBackend): void {
  describe(`job backend contract: ${label}`, () => {
    let backend: JobBackendUnderTest | undefined;
    const use = async (options: { attempts?: number } = {}) => (backend = await make(options));
    afterEach(async () => {
      await backend?.teardown();
      backend = undefined;
    });

    const jobOf = async (id: string): Promise<LbJobSummary | undefined> => {
      const ref = id.split('.');
      return (await backend!.queue.list(ref[1] ?? '')).find((j) => j.id === id);
    };
    const until = (id: string, state: LbJobSummary['state']) =>
      waitFor(async () => {
        const j = await jobOf(id);
        return j?.state === state && j;
      }, { what: `job ${id} to be ${state}` });

    test('a double submission is one job; other operations, Services and clusters are other jobs; list shows one cluster', async () => {
      const { queue } = await use();
      const first = await queue.enqueue(jobData('web'));
      expect(first).toEqual({ jobId: 'provision.prod.default.web', duplicate: false });
      expect(await queue.enqueue(jobData('web', { requester: { userId: 'U2', channelId: 'C2' } }))).toEqual({ jobId: first.jobId, duplicate: true });
      await queue.enqueue(jobData('web', { operation: 'delete' }));
      await queue.enqueue(jobData('api'));
      await queue.enqueue(jobData('web', { cluster: 'staging' }));
      expect((await queue.list('prod')).map((j) => j.id).sort()).toEqual(['delete.prod.default.web', 'provision.prod.default.api', 'provision.prod.default.web']);
      expect((await queue.list('staging')).map((j) => j.id)).toEqual(['provision.staging.default.web']);
      expect(await jobOf(first.jobId)).toMatchObject({ state: 'waiting', requesterId: 'U1', operation: 'provision', cluster: 'prod', namespace: 'default', name: 'web' });
    });

    test('get: one job by id as list shows it — waiting, completed, failed, cancelled while waiting — and nothing for an unknown id', async () => {
      const { queue, start } = await use({ attempts: 1 });
      const waiting = await queue.enqueue(jobData('wait'));
      expect(await queue.get(waiting.jobId)).toEqual(await jobOf(waiting.jobId));
      expect(await queue.get(waiting.jobId)).toMatchObject({ state: 'waiting', requesterId: 'U1', cluster: 'prod', name: 'wait' });
      expect(await queue.cancel(waiting.jobId, 'U9')).toBe('cancelled');
      expect(await queue.get(waiting.jobId)).toMatchObject({ state: 'cancelled', failedReason: 'cancelled by U9' });
      expect(await queue.get(waiting.jobId)).toEqual(await jobOf(waiting.jobId));
      await start((ctx) => (ctx.data.name === 'bad' ? Promise.reject(new PermanentJobError('403 Forbidden')) : Promise.resolve('ok')));
      const good = await queue.enqueue(jobData('good'));
      const bad = await queue.enqueue(jobData('bad', { cluster: 'staging' }));
      await until(good.jobId, 'completed');
      await until(bad.jobId, 'failed');
      expect(await queue.get(good.jobId)).toEqual(await jobOf(good.jobId));
      expect(await queue.get(bad.jobId)).toMatchObject({ state: 'failed', failedReason: '403 Forbidden', cluster: 'staging' });
      expect(await queue.get('provision.prod.default.nobody')).toBeUndefined();
      expect(await queue.get('not-a-job-id')).toBeUndefined();
    });

    test('a finished job stays listed, and a new submission of it is a new job that runs', async () => {
      const { queue, start } = await use();
      const seen: string[] = [];
      await start(async (ctx) => {
        seen.push(ctx.data.requester.userId);
        await ctx.saveState({ step: 'ready' });
        return 'ok';
      });
      const { jobId } = await queue.enqueue(jobData('web'));
      expect(await until(jobId, 'completed')).toMatchObject({ step: 'ready', finishedAt: expect.any(Date) });
      expect(await queue.enqueue(jobData('web', { requester: { userId: 'U2', channelId: 'C1' } }))).toEqual({ jobId, duplicate: false });
      await waitFor(() => seen.length === 2, { what: 'the second job to run' });
      expect(seen).toEqual(['U1', 'U2']);
    });

    test('transient failures are retried with backoff until the job succeeds', async () => {
      const { queue, start } = await use({ attempts: 5 });
      let tries = 0;
      await start(() => (++tries < 3 ? Promise.reject(new Error('503 Service Unavailable')) : Promise.resolve('ok')));
      const { jobId } = await queue.enqueue(jobData('web'));
      expect(await until(jobId, 'completed')).toMatchObject({ attemptsMade: 3 });
      expect(tries).toBe(3);
    });

    test("the port's PermanentJobError fails the job at once, with its message", async () => {
      const { queue, start } = await use({ attempts: 5 });
      let runs = 0;
      await start(() => {
        runs++;
        return Promise.reject(new PermanentJobError('403 Forbidden: cannot patch services'));
      });
      const { jobId } = await queue.enqueue(jobData('web'));
      expect(await until(jobId, 'failed')).toMatchObject({ failedReason: '403 Forbidden: cannot patch services', finishedAt: expect.any(Date) });
      expect(runs).toBe(1);
    });

    test('after the last attempt the job fails with the last error', async () => {
      const { queue, start } = await use({ attempts: 2 });
      let runs = 0;
      await start(() => Promise.reject(new Error(`Throttling ${++runs}`)));
      const { jobId } = await queue.enqueue(jobData('web'));
      expect(await until(jobId, 'failed')).toMatchObject({ failedReason: 'Throttling 2' });
      expect(runs).toBe(2);
    });

    test('a parked job keeps what it saved; the waker runs it again at once, not when its wait is over', async () => {
      const { queue, start, waker } = await use();
      const seen: unknown[] = [];
      await start(async (ctx) => {
        seen.push(ctx.savedState);
        if (seen.length === 1) {
          await ctx.saveState({ step: 'dns', doneAt: {} });
          return ctx.park(Date.now() + 60_000);
        }
        return 'ok';
      });
      const { jobId } = await queue.enqueue(jobData('web'));
      expect(await until(jobId, 'delayed')).toMatchObject({ step: 'dns' });
      await waitFor(() => waker.wake(jobId), { what: 'the waker to wake the job' });
      await until(jobId, 'completed');
      expect(seen[1]).toEqual({ step: 'dns', doneAt: {} });
    });

    test('counts: unfinished jobs by state across clusters — waiting, active, parked; finished or cancelled ones not counted', async () => {
      const { queue, start } = await use({ attempts: 1 });
      expect(await queue.counts()).toEqual({ waiting: 0, active: 0, parked: 0 });
      await queue.enqueue(jobData('waits'));
      await queue.enqueue(jobData('waits', { cluster: 'staging' }));
      const cancelled = await queue.enqueue(jobData('cancelled'));
      await queue.cancel(cancelled.jobId, 'U2');
      expect(await queue.counts()).toEqual({ waiting: 2, active: 0, parked: 0 });
      await queue.cancel('provision.prod.default.waits', 'U2');
      await queue.cancel('provision.staging.default.waits', 'U2');

      const running = deferred();
      const release = deferred();
      await start(async (ctx) => {
        if (ctx.data.name === 'parks') return ctx.park(Date.now() + 60_000);
        if (ctx.data.name === 'fails') throw new PermanentJobError('no');
        if (ctx.data.name === 'runs') {
          running.resolve();
          await release.promise;
        }
        return 'ok';
      });
      for (const name of ['parks', 'fails', 'runs', 'completes']) await queue.enqueue(jobData(name));
      await running.promise;
      await until('provision.prod.default.parks', 'delayed');
      await until('provision.prod.default.fails', 'failed');
      await until('provision.prod.default.completes', 'completed');
      expect(await queue.counts()).toEqual({ waiting: 0, active: 1, parked: 1 });
      release.resolve();
      await until('provision.prod.default.runs', 'completed');
    });

    test('cancel: a waiting job is removed and listed as cancelled; again it is finished; an unknown id is not found', async () => {
      const { queue } = await use();
      const { jobId } = await queue.enqueue(jobData('web'));
      expect(await queue.cancel(jobId, 'U9')).toBe('cancelled');
      expect(await jobOf(jobId)).toMatchObject({ state: 'cancelled', failedReason: 'cancelled by U9', requesterId: 'U1', finishedAt: expect.any(Date) });
      expect(await queue.cancel(jobId, 'U9')).toBe('finished');
      expect(await queue.cancel('provision.prod.default.nope', 'U9')).toBe('not_found');
      expect(await queue.cancel('not a job id', 'U9')).toBe('not_found');
      // Submitted again, it is a new job.
      expect(await queue.enqueue(jobData('web'))).toEqual({ jobId, duplicate: false });
      expect((await queue.list('prod')).map((j) => j.state)).toEqual(['waiting']);
    });

    test('cancel of a running job: its signal says who cancelled it; it fails as cancelled and is not retried', async () => {
      const { queue, start } = await use({ attempts: 5 });
      const started = deferred();
      let runs = 0;
      let stop: unknown;
      await start(async ({ signal }) => {
        runs++;
        started.resolve();
        await new Promise<void>((_, reject) =>
          signal.addEventListener('abort', () => {
            stop = jobStop(signal);
            reject(new Error('aborted'));
          }),
        );
      });
      const { jobId } = await queue.enqueue(jobData('web'));
      await started.promise;
      expect(await queue.cancel(jobId, 'U9')).toBe('cancelled');
      expect(await until(jobId, 'cancelled')).toMatchObject({ failedReason: 'cancelled by U9' });
      expect(stop).toEqual({ kind: 'cancelled', by: 'U9' });
      expect(runs).toBe(1);
    });

    test('cancel of a parked job wakes it: its processor ends it at once (not when its wait is over)', async () => {
      const { queue, start } = await use();
      const stops: unknown[] = [];
      await start((ctx) => {
        const stop = jobStop(ctx.signal);
        stops.push(stop);
        if (stop?.kind === 'cancelled') return Promise.reject(new PermanentJobError(`cancelled by ${stop.by}`));
        return ctx.park(Date.now() + 60_000);
      });
      const { jobId } = await queue.enqueue(jobData('web'));
      await until(jobId, 'delayed');
      expect(await queue.cancel(jobId, 'U9')).toBe('cancelled');
      expect(await until(jobId, 'cancelled')).toMatchObject({ failedReason: 'cancelled by U9' });
      expect(stops).toEqual([undefined, { kind: 'cancelled', by: 'U9' }]);
    });

    test('a job that parks just as it is cancelled runs once more with the cancel in its signal', async () => {
      const { queue, start } = await use();
      const started = deferred();
      const stops: unknown[] = [];
      await start(async (ctx) => {
        stops.push(jobStop(ctx.signal));
        started.resolve();
        if (!ctx.signal.aborted) await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
        return ctx.park(Date.now() + 60_000);
      });
      const { jobId } = await queue.enqueue(jobData('web'));
      await started.promise;
      expect(await queue.cancel(jobId, 'U9')).toBe('cancelled');
      expect(await until(jobId, 'cancelled')).toMatchObject({ failedReason: 'cancelled by U9' });
      expect(stops).toEqual([undefined, { kind: 'cancelled', by: 'U9' }]);
    });

    test('supersede: the Service\'s running job hears it in its signal, its parked one is woken; the newer job itself is left alone', async () => {
      const { queue, start } = await use();
      const by = { requestId: 'r-delete', requestedAt: Date.now(), change: 'delete', userId: 'U2', jobId: 'delete.prod.default.web' };
      const started = deferred();
      const stops = new Map<string, unknown[]>();
      let heard: unknown;
      await start(async (ctx) => {
        const seen = stops.get(ctx.id) ?? [];
        stops.set(ctx.id, seen);
        seen.push(jobStop(ctx.signal));
        if (ctx.data.operation === 'delete') return 'deleted';
        if (seen.length > 1) return 'stood down';
        if (ctx.data.name === 'api') return ctx.park(Date.now() + 60_000);
        started.resolve();
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
        heard = jobStop(ctx.signal);
        return 'stood down';
      });
      const web = await queue.enqueue(jobData('web'));
      const api = await queue.enqueue(jobData('api'));
      await started.promise;
      await until(api.jobId, 'delayed');
      await queue.enqueue(jobData('web', { operation: 'delete' }));
      await queue.supersede({ cluster: 'prod', namespace: 'default', name: 'web' }, by);
      await queue.supersede({ cluster: 'prod', namespace: 'default', name: 'api' }, { ...by, jobId: 'delete.prod.default.api' });
      await until(web.jobId, 'completed');
      await until(api.jobId, 'completed');
      // The running one heard it through its signal (it ran once); the parked one was woken (it ran again).
      expect(stops.get(web.jobId)).toEqual([undefined]);
      expect(heard).toEqual({ kind: 'superseded', by });
      // Woken, it runs again (it may also hear of the change in its signal, if that reaches it running).
      expect(stops.get(api.jobId)).toHaveLength(2);
      expect([undefined, { kind: 'superseded', by: { ...by, jobId: 'delete.prod.default.api' } }]).toContainEqual(stops.get(api.jobId)?.[1]);
      await until('delete.prod.default.web', 'completed');
    });

    test('close() with a parked job returns promptly; a running job sees shutdown in its signal', async () => {
      const { queue, start } = await use();
      const started = deferred();
      let stop: unknown;
      const worker = await start(async (ctx) => {
        if (ctx.data.name === 'parked') return ctx.park(Date.now() + 60_000);
        started.resolve();
        await new Promise<void>((_, reject) =>
          ctx.signal.addEventListener('abort', () => {
            stop = jobStop(ctx.signal);
            reject(new Error('stopping'));
          }),
        );
      });
      const parked = await queue.enqueue(jobData('parked'));
      await until(parked.jobId, 'delayed');
      await queue.enqueue(jobData('busy'));
      await started.promise;
      await worker.close();
      expect(stop).toEqual({ kind: 'shutdown' });
    });
  });
}

/**
 * Parked jobs and worker heartbeats (src/adapters/queue/ownership.ts), on the real Redis (REDIS_URL), each
 * test under its own key prefix, removed afterwards: a worker that dies with parked jobs (its connections
 * cut, nothing handed back) has them adopted by a live worker within 2 × the heartbeat interval, and they
 * run; a live worker's parked jobs are left alone; two survivors racing adopt each job once; a worker that
 * stops hands its jobs back and leaves no key behind.
 */
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { startLbWorker, type LbWorker } from '../../src/adapters/queue/bullmq-worker.js';
import { createParkOwnership, ownershipKeys } from '../../src/adapters/queue/ownership.js';
import type { JobProcessor } from '../../src/ports/jobs.js';
import { waitFor } from '../helpers/wait.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const QUEUE = 'lb-jobs';
const HEARTBEAT_MS = 1500;
const logger = pino({ level: 'silent' });

type Data = { n: number };

let prefix: string;
let queue: Queue<Data>;
let redis: Redis;
const toClose: { close(): Promise<void> }[] = [];

beforeEach(() => {
  prefix = `svcbot-test-${randomBytes(6).toString('hex')}`;
  queue = new Queue<Data>(QUEUE, { connection: { url: REDIS_URL }, prefix });
  redis = new Redis(REDIS_URL);
});

afterEach(async () => {
  for (const c of toClose.splice(0).reverse()) await c.close();
  await queue.obliterate({ force: true });
  await queue.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

/** A processor that parks every job for an hour (only a wake-up or an adoption runs it again). */
const parksForAnHour: JobProcessor<Data, string> = (ctx) => ctx.park(Date.now() + 3_600_000);

function startWorker(processor: JobProcessor<Data, string>, onAdopted?: (lapsed: string, jobIds: readonly string[]) => void): LbWorker {
  const worker = startLbWorker<Data, string>({
    connection: { url: REDIS_URL },
    queueName: QUEUE,
    prefix,
    logger,
    processor,
    heartbeatMs: HEARTBEAT_MS,
    ...(onAdopted ? { onAdopted } : {}),
  });
  toClose.push(worker);
  return worker;
}

/** Adds `count` jobs and waits until `worker` has parked them all; returns their ids. */
async function parkJobs(worker: LbWorker, count: number): Promise<string[]> {
  const jobs = await queue.addBulk(Array.from({ length: count }, (_, n) => ({ name: 'job', data: { n }, opts: { jobId: `job-${n}`, attempts: 1 } })));
  const ids = jobs.map((j) => j.id ?? '');
  await waitFor(() => worker.parkedJobIds().length === count, { what: `${count} jobs parked` });
  await waitFor(async () => (await queue.getJobCountByTypes('delayed')) === count, { what: 'the jobs delayed in Redis' });
  return ids;
}

/** Records which job ids a processor ran, and completes them. */
function completesAndCounts(): { processor: JobProcessor<Data, string>; runs: Map<string, number> } {
  const runs = new Map<string, number>();
  return {
    runs,
    processor: (ctx) => {
      runs.set(ctx.id, (runs.get(ctx.id) ?? 0) + 1);
      return Promise.resolve('done');
    },
  };
}

async function heartbeatScore(workerId: string): Promise<number | undefined> {
  const score = await redis.zscore(ownershipKeys(prefix, QUEUE).workers, workerId);
  return score === null ? undefined : Number(score);
}

test('a worker that dies with parked jobs: a live worker adopts them within 2 × the heartbeat interval, and they run', async () => {
  const dying = startWorker(parksForAnHour);
  await dying.ready;
  const ids = await parkJobs(dying, 30);
  const adoptions: { lapsed: string; jobIds: readonly string[]; at: number }[] = [];
  const survivor = completesAndCounts();
  const live = startWorker(survivor.processor, (lapsed, jobIds) => adoptions.push({ lapsed, jobIds, at: Date.now() }));
  await live.ready;
  expect(survivor.runs.size).toBe(0);

  const diedAt = Date.now();
  await dying.crash();
  await waitFor(async () => (await queue.getJobCountByTypes('completed')) === ids.length, { timeoutMs: 4 * HEARTBEAT_MS, what: 'the adopted jobs to complete' });
  const completedAfterMs = Date.now() - diedAt;

  expect(completedAfterMs).toBeLessThanOrEqual(2 * HEARTBEAT_MS);
  expect(adoptions).toHaveLength(1);
  expect(adoptions[0]!.lapsed).toBe(dying.workerId);
  expect([...adoptions[0]!.jobIds].sort()).toEqual([...ids].sort());
  expect([...survivor.runs.values()].every((n) => n === 1)).toBe(true);
  expect(survivor.runs.size).toBe(ids.length);
  // The dead worker is gone from the heartbeats; the jobs ended, so nobody owns them.
  expect(await heartbeatScore(dying.workerId)).toBeUndefined();
  expect(await redis.hlen(ownershipKeys(prefix, QUEUE).parked)).toBe(0);
});

test("a live worker's parked jobs are not touched by the others, beat after beat", async () => {
  const owner = startWorker(parksForAnHour);
  await owner.ready;
  const ids = await parkJobs(owner, 10);
  const adoptions: string[] = [];
  const other = completesAndCounts();
  const bystander = startWorker(other.processor, (lapsed) => adoptions.push(lapsed));
  await bystander.ready;
  // Three heartbeat intervals of the bystander's beats (each renews its own score).
  const first = await waitFor(() => heartbeatScore(bystander.workerId), { what: "the bystander's first beat" });
  await waitFor(async () => ((await heartbeatScore(bystander.workerId)) ?? 0) >= first + 3 * HEARTBEAT_MS, {
    timeoutMs: 6 * HEARTBEAT_MS,
    intervalMs: 100,
    what: 'three heartbeat intervals of beats',
  });
  expect(adoptions).toEqual([]);
  expect(other.runs.size).toBe(0);
  expect(await queue.getJobCountByTypes('delayed')).toBe(ids.length);
  expect(owner.parkedJobIds().sort()).toEqual([...ids].sort());
  const owners = await redis.hgetall(ownershipKeys(prefix, QUEUE).parked);
  expect(Object.keys(owners).sort()).toEqual([...ids].sort());
  expect(new Set(Object.values(owners))).toEqual(new Set([owner.workerId]));
});

test('two survivors race to adopt a dead worker: every job is adopted once and runs once', async () => {
  const dying = startWorker(parksForAnHour);
  await dying.ready;
  const ids = await parkJobs(dying, 100);
  const adopted: string[] = [];
  const b = completesAndCounts();
  const c = completesAndCounts();
  const onAdopted = (_lapsed: string, jobIds: readonly string[]) => adopted.push(...jobIds);
  const survivors = [startWorker(b.processor, onAdopted), startWorker(c.processor, onAdopted)];
  await Promise.all(survivors.map((w) => w.ready));

  await dying.crash();
  await waitFor(async () => (await queue.getJobCountByTypes('completed')) === ids.length, { timeoutMs: 4 * HEARTBEAT_MS, what: 'the adopted jobs to complete' });

  expect(adopted.sort()).toEqual([...ids].sort());
  const runs = new Map<string, number>();
  for (const [id, n] of [...b.runs, ...c.runs]) runs.set(id, (runs.get(id) ?? 0) + n);
  expect(runs.size).toBe(ids.length);
  expect([...runs.values()].every((n) => n === 1)).toBe(true);
});

test('a worker that stops hands its parked jobs back at once and leaves no heartbeat or ownership behind', async () => {
  const stopping = startWorker(parksForAnHour);
  await stopping.ready;
  const ids = await parkJobs(stopping, 10);
  await stopping.close();
  expect(await queue.getJobCountByTypes('wait')).toBe(ids.length);
  const keys = ownershipKeys(prefix, QUEUE);
  expect(await redis.exists(keys.workers, keys.parked)).toBe(0);
  const next = completesAndCounts();
  await startWorker(next.processor).ready;
  await waitFor(async () => (await queue.getJobCountByTypes('completed')) === ids.length, { what: 'the next worker to run them' });
});

test('a stopping worker that could not hand every job back leaves them to the next beat of another worker', async () => {
  const common = { redis, prefix, queueName: QUEUE, heartbeatMs: 60_000, logger };
  const adopted: string[] = [];
  const woken: string[] = [];
  const leaving = createParkOwnership({ ...common, workerId: 'leaving', wake: () => Promise.resolve([]) });
  const staying = createParkOwnership({
    ...common,
    workerId: 'staying',
    wake: (jobIds) => {
      woken.push(...jobIds);
      return Promise.resolve(jobIds.filter((id) => id === 'gone'));
    },
    onAdopted: (_lapsed, jobIds) => adopted.push(...jobIds),
  });
  await leaving.start();
  await staying.start();
  for (const id of ['a', 'b', 'gone']) await leaving.parking(id);
  // It handed back 'a' itself; 'b' and 'gone' were left when its time ran out.
  await leaving.resign(['a']);
  await staying.beat();
  expect(adopted.sort()).toEqual(['b', 'gone']);
  expect(woken.sort()).toEqual(['b', 'gone']);
  // A job that no longer exists is forgotten; the other is the adopter's until it runs.
  expect(await redis.hgetall(ownershipKeys(prefix, QUEUE).parked)).toEqual({ b: 'staying' });
  await staying.ended('b');
  await staying.resign([]);
  expect(await redis.exists(ownershipKeys(prefix, QUEUE).workers, ownershipKeys(prefix, QUEUE).parked)).toBe(0);
});

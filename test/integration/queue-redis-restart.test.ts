/**
 * Redis going away and coming back, on a PRIVATE redis-server this test starts on a free port (never the
 * shared one): the queue fails fast with queue_unavailable while it is down, and the queue and the worker
 * reconnect by themselves once it is back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createBullmqLbJobQueue, type BullmqLbJobQueue } from '../../src/adapters/queue/bullmq-queue.js';
import { cancelledKey } from '../../src/adapters/queue/keys.js';
import { BotError } from '../../src/domain/errors.js';
import type { LbJobData } from '../../src/domain/lb-jobs.js';
import { startLbWorker, type LbWorker } from '../../src/adapters/queue/bullmq-worker.js';
import { jobStop } from '../../src/ports/jobs.js';
import { waitFor } from '../helpers/wait.js';

const logger = pino({ level: 'silent' });
let port: number;
let server: ChildProcess | undefined;

async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const address = s.address();
  s.close();
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

async function startRedis(): Promise<void> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
  server = child;
  let out = '';
  await waitFor(() => {
    out += String(child.stdout?.read() ?? '');
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${out}`);
    return out.includes('Ready to accept connections');
  }, { what: 'the private redis-server to start', timeoutMs: 5000, intervalMs: 10 });
}

async function stopRedis(): Promise<void> {
  const child = server;
  server = undefined;
  if (!child || child.exitCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

beforeAll(async () => {
  port = await freePort();
  await startRedis();
});
afterAll(stopRedis);

function jobData(name: string): LbJobData {
  return { version: 1, operation: 'provision', cluster: 'prod', namespace: 'default', name, requester: { userId: 'U1', channelId: 'C1' }, requestedAt: Date.now() };
}

async function expectUnavailable(call: Promise<unknown>): Promise<void> {
  const t0 = Date.now();
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BotError);
  expect(err).toMatchObject({ code: 'queue_unavailable', userMessage: 'svcbot cannot reach its queue (Redis) — try again shortly' });
  expect(Date.now() - t0).toBeLessThan(2500);
}

test('while Redis is down enqueue/list/cancel fail fast with queue_unavailable; queue and worker reconnect when it is back', async () => {
  const url = `redis://127.0.0.1:${port}`;
  const queue: BullmqLbJobQueue = createBullmqLbJobQueue({ redis: { url: url }, prefix: 'svcbot-test-restart', logger, timeoutMs: 2000 });
  const done: string[] = [];
  const worker: LbWorker = startLbWorker({ connection: { url }, prefix: 'svcbot-test-restart', logger, processor: (ctx) => Promise.resolve(done.push(ctx.id)) });
  try {
    await worker.ready;
    await queue.enqueue(jobData('before'));
    await waitFor(() => done.length === 1, { what: 'the first job' });

    await stopRedis();
    await expectUnavailable(queue.enqueue(jobData('during')));
    await expectUnavailable(queue.list('prod'));
    await expectUnavailable(queue.cancel('provision.prod.default.before', 'U1'));

    await startRedis(); // empty: no persistence
    await waitFor(
      () => queue.enqueue(jobData('after')).then(
        () => true,
        () => false,
      ),
      { what: 'the queue to reconnect', timeoutMs: 8000, intervalMs: 100 },
    );
    await waitFor(() => done.includes('provision.prod.default.after'), { what: 'the worker to reconnect and run the job', timeoutMs: 10_000 });
    expect(done).not.toContain('provision.prod.default.during');
  } finally {
    await worker.close();
    await queue.close();
  }
});

test('a queue created while Redis is down answers queue_unavailable at once, not after hanging', async () => {
  const deadPort = await freePort();
  const queue = createBullmqLbJobQueue({ redis: { url: `redis://127.0.0.1:${deadPort}` }, logger, timeoutMs: 500 });
  try {
    await expectUnavailable(queue.enqueue(jobData('x')));
    await expectUnavailable(queue.list('prod'));
  } finally {
    await queue.close();
  }
});

test('a cancel whose pub/sub message was missed (subscriber disconnected) is found in the records when the worker resubscribes', async () => {
  const url = `redis://127.0.0.1:${port}`;
  const prefix = 'svcbot-test-resubscribe';
  const queue = createBullmqLbJobQueue({ redis: { url: url }, prefix, logger });
  let abortReason: unknown;
  let started = false;
  const worker = startLbWorker({
    connection: { url },
    prefix,
    logger,
    processor: async ({ signal }) => {
      started = true;
      await new Promise<void>((_, reject) =>
        signal.addEventListener('abort', () => {
          abortReason = jobStop(signal);
          reject(new Error('aborted'));
        }),
      );
    },
  });
  const admin = new Redis(url);
  try {
    await worker.ready;
    const { jobId } = await queue.enqueue(jobData('web'));
    await waitFor(() => started, { what: 'the job to start' });
    const job = await waitFor(async () => (await queue.list('prod')).find((j) => j.id === jobId && j.state === 'active'), { what: 'the job to be active' });
    // The record a cancel writes, without its message (as if published while the subscriber was away)...
    await admin.hset(cancelledKey(prefix, 'lb-jobs'), jobId, JSON.stringify({ by: 'U9', at: Date.now(), jobCreatedAt: job.createdAt.getTime(), operation: 'provision', cluster: 'prod', namespace: 'default', name: 'web', requesterId: 'U1' }));
    // ...then the subscriber's connection drops (this private server's pub/sub clients only) and comes back.
    await admin.client('KILL', 'TYPE', 'pubsub');
    await waitFor(async () => (await queue.list('prod')).find((j) => j.id === jobId)?.state === 'cancelled', { what: 'the job to be cancelled', timeoutMs: 8000 });
    expect(abortReason).toEqual({ kind: 'cancelled', by: 'U9' });
  } finally {
    await admin.quit();
    await worker.close();
    await queue.close();
  }
});

/**
 * Worker lifecycle: `startLbWorker` runs the load-balancer jobs of a queue with a processor; `close()` is
 * what SIGTERM calls (stop taking jobs, let running steps finish or hand them back, close Redis, all
 * within 10 s). The BullMQ specifics (retries, stalled-job recovery, cancellation) live in the adapter:
 * see src/adapters/queue/bullmq-worker.ts.
 */
export { DEFAULT_STALLED, startLbWorker, type LbWorker, type StalledSettings, type StartLbWorkerOptions } from '../adapters/queue/bullmq-worker.js';
export { DEFAULT_BACKOFF, backoffDelay, type BackoffSettings } from '../adapters/queue/backoff.js';

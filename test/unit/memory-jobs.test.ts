/** The in-process job backend (what the console runs on without Redis) passes the job port's contract. */
import { pino } from 'pino';
import { createMemoryJobs } from '../../src/adapters/memory/jobs.js';
import { jobBackendContract } from '../contract/job-backend.contract.js';

jobBackendContract('in this process', ({ attempts }) => {
  const jobs = createMemoryJobs({ logger: pino({ level: 'silent' }), backoff: { baseMs: 20, maxMs: 100 }, graceMs: 100, ...(attempts !== undefined ? { attempts } : {}) });
  return Promise.resolve({
    queue: jobs.queue,
    waker: jobs.waker,
    start: (processor) => Promise.resolve(jobs.start(processor)),
    teardown: () => jobs.close(),
  });
});

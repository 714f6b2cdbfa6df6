/** The BullMQ job backend (queue adapter, worker adapter, waker) passes the job port's contract on the real Redis, under a prefix of its own. */
import { jobBackendContract } from '../contract/job-backend.contract.js';
import { bullmqBackendOn } from '../helpers/bullmq-backend.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

jobBackendContract('BullMQ on Redis', bullmqBackendOn({ url: REDIS_URL }));
jobBackendContract('BullMQ on Redis, jobs spread over 4 queues', bullmqBackendOn({ url: REDIS_URL }, { shards: 4 }));

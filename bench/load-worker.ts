/** Worker-thread entry: the load generator (`bench/load.ts`), served to the parent. */
import { closeAgents, sendBatch, type Batch, type BatchResult } from './load.js';
import { serveRpc } from './rpc.js';

const handlers = {
  sendBatch: (batch: Batch): Promise<BatchResult> => sendBatch(batch),
  close: (_: undefined): Promise<void> => {
    closeAgents();
    return Promise.resolve();
  },
};

export type LoadHandlers = typeof handlers;

serveRpc(handlers);

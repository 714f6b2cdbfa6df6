/** The in-memory ApprovalStore (the console without Redis) passes the same contract as the Redis one. */
import { createMemoryApprovalStore } from '../../src/adapters/memory/approvals.js';
import { approvalStoreContract } from '../contract/approval-store.contract.js';

const nothingToTearDown = () => Promise.resolve();

approvalStoreContract('memory', (options) => {
  const store = createMemoryApprovalStore(options);
  // One process: its "other processes" are the same store.
  return Promise.resolve({ store, peers: [store, store, store], teardown: nothingToTearDown });
});

/** The in-memory ApprovalStore and AuditLog (the console without Redis) pass the same contracts as the Redis ones. */
import { createMemoryApprovalStore } from '../../src/adapters/memory/approvals.js';
import { createMemoryAuditLog } from '../../src/adapters/memory/audit.js';
import { approvalStoreContract } from '../contract/approval-store.contract.js';
import { auditLogContract } from '../contract/audit-log.contract.js';

const nothingToTearDown = () => Promise.resolve();

approvalStoreContract('memory', (options) => {
  const store = createMemoryApprovalStore(options);
  // One process: its "other processes" are the same store.
  return Promise.resolve({ store, peers: [store, store, store], teardown: nothingToTearDown });
});

auditLogContract('memory', ({ maxEntries }) => Promise.resolve({ log: createMemoryAuditLog({ maxEntries }), capSlack: 0, teardown: nothingToTearDown }));

/**
 * The policy, approvals and audit trail of unit tests: in-memory stores, a directory the test fills in,
 * and approval notices that record what would be posted. `governance()` builds what makeOperations,
 * makeJobCommands and the command handler take.
 */
import { approvedRunner } from '../../src/domain/approved-runner.js';
import { createMemoryApprovalStore } from '../../src/adapters/memory/approvals.js';
import { createMemoryAuditLog } from '../../src/adapters/memory/audit.js';
import { makeAccess } from '../../src/domain/access.js';
import { makeApprovalDecisions } from '../../src/domain/approval-decisions.js';
import { makeApprovalRequests } from '../../src/domain/approval-requests.js';
import type { ApprovalRequest } from '../../src/domain/approvals.js';
import { makeAuditTrail } from '../../src/domain/audit-trail.js';
import { makeGovernanceCommands } from '../../src/domain/governance-commands.js';
import type { Governance, Operations } from '../../src/domain/operations.js';
import { DEFAULT_POLICY, type Policy } from '../../src/domain/policy.js';
import type { ApprovalNotices, ApprovedRun } from '../../src/ports/approvals.js';
import type { AuditEntry } from '../../src/ports/audit.js';
import type { ClusterRegistry } from '../../src/ports/clusters.js';
import type { Directory } from '../../src/ports/directory.js';
import type { Logger } from '../../src/ports/logger.js';

/** A logger that drops everything. */
export const quietLogger: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  fatal: () => undefined,
  child: () => quietLogger,
};

/** The default policy with nothing waiting for approval: tests of what commands do, not of approvals. */
const NO_APPROVALS: Policy = {
  ...DEFAULT_POLICY,
  approval: { ...DEFAULT_POLICY.approval, needs: { createLoadBalancer: false, deleteLoadBalancer: false, deleteNodePort: false, allowIngress: false } },
};

/** A directory whose groups and names the test sets. */
export function testDirectory(groups: Record<string, readonly string[]> = {}, names: Record<string, string> = {}): Directory {
  return {
    groupsOf: (userId, asked) => Promise.resolve(asked.filter((g) => groups[g]?.includes(userId) ?? false)),
    nameOf: (userId) => Promise.resolve(names[userId]),
  };
}

export interface NoticeLog {
  posted: ApprovalRequest[];
  shown: ApprovalRequest[];
  told: { request: ApprovalRequest; run?: ApprovedRun }[];
}

/** Notices that record what they were asked to show (each request posted at `C-APPROVALS`/`ts-<id>`). */
function recordingNotices(): ApprovalNotices & { log: NoticeLog } {
  const log: NoticeLog = { posted: [], shown: [], told: [] };
  return {
    log,
    post(request) {
      log.posted.push(structuredClone(request));
      return Promise.resolve({ channel: 'C-APPROVALS', ts: `ts-${request.id}` });
    },
    show(request) {
      log.shown.push(structuredClone(request));
      return Promise.resolve();
    },
    tell(request, run) {
      log.told.push({ request: structuredClone(request), ...(run ? { run } : {}) });
      return Promise.resolve();
    },
  };
}

export interface TestGovernanceOptions {
  policy?: Policy;
  directory?: Directory;
  now?: () => number;
  logger?: Logger;
  /** A new request's ID (default: random). */
  newId?: () => string;
}

/** Everything governance-related over memory, for unit tests; `entries()` reads the audit log back, oldest first. */
export function testGovernance(options: TestGovernanceOptions = {}) {
  const policy = options.policy ?? NO_APPROVALS;
  const directory = options.directory ?? testDirectory();
  const logger = options.logger ?? quietLogger;
  const now = options.now ?? Date.now;
  const store = createMemoryApprovalStore();
  const log = createMemoryAuditLog({ maxEntries: 10_000 });
  const audit = makeAuditTrail({ log, directory, logger, now });
  const access = makeAccess({ policy, directory, audit });
  const notices = recordingNotices();
  const requests = makeApprovalRequests({ store, notices, audit, approval: policy.approval, logger, now, ...(options.newId ? { newId: options.newId } : {}) });
  const governance: Governance = { access, audit, approvals: requests, prices: { byRegion: { 'us-east-1': 0.025 }, defaultHourlyUsd: 0.025 } };
  return {
    policy,
    store,
    audit,
    access,
    notices,
    requests,
    governance,
    /** Decisions and the governance commands need the operations they run approved requests with. */
    withOperations(operations: Pick<Operations, 'run'>, clusters: Pick<ClusterRegistry, 'get'>) {
      const decisions = makeApprovalDecisions({ store, requests, notices, audit, access, operations: approvedRunner(operations), logger, now });
      return { decisions, commands: makeGovernanceCommands({ clusters, access, requests, decisions, audit }) };
    },
    async entries(): Promise<AuditEntry[]> {
      return (await log.recent({ limit: 10_000 })).reverse();
    },
  };
}

/** An audit trail over memory, and its entries (oldest first). */
export function testAuditTrail(directory: Directory = testDirectory()) {
  const log = createMemoryAuditLog({ maxEntries: 10_000 });
  const audit = makeAuditTrail({ log, directory, logger: quietLogger });
  return { audit, entries: async (): Promise<AuditEntry[]> => (await log.recent({ limit: 10_000 })).reverse() };
}

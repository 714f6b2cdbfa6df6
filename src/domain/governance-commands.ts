/**
 * `/svc approvals`, `approve`, `reject`, `withdraw` and `audit`: what they do, over the approval and audit
 * modules, each checked against the policy for the person asking. Returns result objects for
 * src/render/approvals.ts and src/render/audit.ts.
 */
import type { Access, Acting } from './access.js';
import type { ApprovalDecisions, DecisionResult } from './approval-decisions.js';
import type { ApprovalRequests, PendingResult } from './approval-requests.js';
import type { AuditResult, AuditTrail } from './audit-trail.js';
import type { Command } from './command.js';
import type { ClusterRegistry } from '../ports/clusters.js';

export type GovernanceCommand = Extract<Command, { kind: 'approvals' | 'approve' | 'reject' | 'withdraw' | 'audit' }>;

const GOVERNANCE_COMMANDS: readonly string[] = ['approvals', 'approve', 'reject', 'withdraw', 'audit'] satisfies readonly GovernanceCommand['kind'][];

export function isGovernanceCommand(command: Command): command is GovernanceCommand {
  return GOVERNANCE_COMMANDS.includes(command.kind);
}

export type GovernanceResult =
  | { kind: 'approvals'; result: PendingResult }
  | { kind: 'decision'; verb: 'approve' | 'reject' | 'withdraw'; result: DecisionResult }
  | { kind: 'audit'; result: AuditResult };

export interface GovernanceCommandsDeps {
  clusters: Pick<ClusterRegistry, 'get'>;
  access: Pick<Access, 'check'>;
  requests: Pick<ApprovalRequests, 'pending'>;
  decisions: ApprovalDecisions;
  audit: Pick<AuditTrail, 'query'>;
}

export function makeGovernanceCommands({ clusters, access, requests, decisions, audit }: GovernanceCommandsDeps) {
  return {
    async run(command: GovernanceCommand, acting: Acting): Promise<GovernanceResult> {
      switch (command.kind) {
        case 'approvals': {
          const cluster = clusters.get(command.cluster).cluster.name;
          await access.check(acting, { subcommand: 'approvals', cluster });
          return { kind: 'approvals', result: await requests.pending(command.cluster === undefined ? undefined : cluster) };
        }
        case 'approve':
        case 'reject':
          return {
            kind: 'decision',
            verb: command.kind,
            result: await decisions.decide(command.id, command.kind, acting, command.kind === 'reject' ? command.reason : undefined),
          };
        case 'withdraw':
          return { kind: 'decision', verb: 'withdraw', result: await decisions.withdraw(command.id, acting) };
        case 'audit':
          // The audit log is svcbot's, not a cluster's: only rules about no cluster in particular apply.
          await access.check(acting, { subcommand: 'audit' });
          return { kind: 'audit', result: await audit.query(command) };
      }
    },
  };
}

export type GovernanceCommands = ReturnType<typeof makeGovernanceCommands>;

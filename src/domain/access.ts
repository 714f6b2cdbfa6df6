/**
 * The policy, applied: who the person acting is (their user groups, asked of the Directory only for the
 * groups the question depends on: the rules' for a command, the approvers' for a decision) and whether
 * they may do what they ask. Operations call it where the change is
 * made, so a slash command, a button and an approved request are checked alike. A refusal is recorded in
 * the audit trail and thrown as BotError `not_allowed` naming the rule.
 */
import type { AuditTrail } from './audit-trail.js';
import { BotError } from './errors.js';
import { authorize, groupsNamed, mayApprove, type Action, type Actor, type Policy, type PolicyDecision } from './policy.js';
import type { Directory } from '../ports/directory.js';

/** Who is acting, and from where. */
export interface Acting {
  userId: string;
  channelId?: string;
  /** The command as typed (or the button pressed, as a command), for the audit trail. */
  commandText?: string;
}

export interface AccessDeps {
  policy: Policy;
  directory: Pick<Directory, 'groupsOf'>;
  audit: Pick<AuditTrail, 'record'>;
}

export interface Access {
  readonly policy: Policy;
  /** The actor as the policy sees them (with the policy's groups they are in). */
  actorOf(acting: Acting): Promise<Actor>;
  /**
   * Allows `action` for `acting`, or records the refusal and throws BotError `not_allowed` with the reason.
   * `service` and `requestId` only go into the audit entry.
   */
  check(acting: Acting, action: Action, about?: { service?: string; requestId?: string }): Promise<void>;
  /** May `acting` approve or reject a request `requesterId` made? (Recorded when refused, like `check`.) */
  mayDecide(acting: Acting, requesterId: string, about: { cluster: string; namespace: string; service: string; requestId: string }): Promise<PolicyDecision>;
}

export function makeAccess({ policy, directory, audit }: AccessDeps): Access {
  const named = groupsNamed(policy);
  // Each decision asks only for the groups it depends on: the rules' groups for a command, the approvers'
  // groups for a decision. A group Slack cannot list then refuses what depends on it, and only that (an
  // approvers' group that cannot be listed must not stop `/svc list`).
  const ruleGroups = [...new Set(policy.rules.flatMap((r) => r.groups ?? []))];
  const { approvers, selfApproval } = policy.approval;

  async function actorIn(acting: Acting, asked: readonly string[]): Promise<Actor> {
    // Only groups something depends on are asked of Slack; a failure to ask refuses (fail closed).
    const groups = asked.length === 0 ? [] : await directory.groupsOf(acting.userId, asked);
    return { userId: acting.userId, groups, ...(acting.channelId === undefined ? {} : { channelId: acting.channelId }) };
  }

  return {
    policy,
    actorOf: (acting) => actorIn(acting, named),

    async check(acting, action, about = {}) {
      const decision = authorize(policy, await actorIn(acting, ruleGroups), action);
      if (decision.allowed) return;
      await audit.record({
        action: 'refused',
        userId: acting.userId,
        ...(acting.commandText === undefined ? {} : { command: acting.commandText }),
        ...(action.cluster === undefined ? {} : { cluster: action.cluster }),
        ...(action.namespace === undefined ? {} : { namespace: action.namespace }),
        ...(about.service === undefined ? {} : { service: about.service }),
        result: decision.reason,
        ...(about.requestId === undefined ? {} : { requestId: about.requestId }),
      });
      throw new BotError('not_allowed', decision.reason);
    },

    async mayDecide(acting, requesterId, about) {
      // A listed approver, or a requester refused by four eyes, is decided without their groups.
      const byIdAlone = approvers.users.includes(acting.userId) || (acting.userId === requesterId && !selfApproval);
      const decision = mayApprove(policy, await actorIn(acting, byIdAlone ? [] : approvers.groups), requesterId);
      if (!decision.allowed) {
        await audit.record({
          action: 'refused',
          userId: acting.userId,
          ...(acting.commandText === undefined ? {} : { command: acting.commandText }),
          cluster: about.cluster,
          namespace: about.namespace,
          service: about.service,
          result: decision.reason,
          requestId: about.requestId,
        });
      }
      return decision;
    },
  };
}

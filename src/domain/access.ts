/**
 * The policy, applied: who the person acting is (their user groups, asked of the Directory only for the
 * groups the policy names) and whether they may do what they ask. Operations call it where the change is
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

  async function actorOf(acting: Acting): Promise<Actor> {
    // Only a policy that names groups needs to know them; a failure to ask Slack refuses (fail closed).
    const groups = named.length === 0 ? [] : await directory.groupsOf(acting.userId, named);
    return { userId: acting.userId, groups, ...(acting.channelId === undefined ? {} : { channelId: acting.channelId }) };
  }

  return {
    policy,
    actorOf,

    async check(acting, action, about = {}) {
      const decision = authorize(policy, await actorOf(acting), action);
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
      const decision = mayApprove(policy, await actorOf(acting), requesterId);
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

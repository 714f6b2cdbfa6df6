/**
 * Who may do what: the authorization policy, evaluated where a change is made (the operations), for
 * slash commands and buttons alike. Pure: the caller says who acts (their user ID, the user groups they
 * are in, the channel) and on what (subcommand, cluster, namespace).
 *
 * Rules are tried in order and the first whose conditions all hold decides (allow or deny). When none
 * does, the defaults apply: read-only subcommands are allowed to everyone; changes are allowed in every
 * namespace except the protected ones. A protected namespace refuses changes even where a rule allows
 * them, unless that rule names the namespace itself. Every refusal names the rule that refused it.
 */

/** Subcommands that change nothing: everyone may run them unless a rule says otherwise. */
export const READ_ONLY_SUBCOMMANDS: readonly string[] = ['help', 'list', 'describe', 'jobs', 'audit', 'approvals', 'orphans'];

/** Namespaces where changes are refused by default. */
export const DEFAULT_PROTECTED_NAMESPACES: readonly string[] = ['kube-system', 'kube-public', 'kube-node-lease'];

export interface PolicyRule {
  /** Named in refusals: "refused by rule NAME". */
  name: string;
  effect: 'allow' | 'deny';
  /** Subcommands the rule is about (`changes` stands for every subcommand that is not read-only); all when absent. */
  subcommands?: readonly string[];
  /** Whom it applies to: any of these users, members of these groups, or anyone in these channels; everyone when none is given. */
  users?: readonly string[];
  groups?: readonly string[];
  channels?: readonly string[];
  /** Where: these clusters and namespaces; everywhere when absent. */
  clusters?: readonly string[];
  namespaces?: readonly string[];
}

/** What needs a second person's approval before it runs. */
export interface ApprovalNeeds {
  /** create/expose --type loadbalancer, a type change to LoadBalancer. */
  createLoadBalancer: boolean;
  /** delete of a LoadBalancer Service. */
  deleteLoadBalancer: boolean;
  /** delete of a NodePort Service. */
  deleteNodePort: boolean;
  /** `allow`: opening a Service's port to a range of addresses for a while. */
  allowIngress: boolean;
}

/** What `/svc allow` may open, and for how long. */
interface AllowPolicy {
  /** Whether a grant may let everyone in (0.0.0.0/0, ::/0). Default false. */
  worldOpen: boolean;
  /** Without --for. */
  defaultDurationMs: number;
  maxDurationMs: number;
  minDurationMs: number;
}

export interface ApprovalPolicy {
  needs: ApprovalNeeds;
  /** Who may approve: Slack user IDs and user-group IDs; when both are empty, any user but the requester. */
  approvers: { users: readonly string[]; groups: readonly string[] };
  /** Whether a requester may approve their own request (one-person teams). Default false: four eyes. */
  selfApproval: boolean;
  /** A request not decided within this long expires. */
  ttlMs: number;
  /** Where requests are posted; the channel the command came from when absent. */
  channel?: string;
}

export interface Policy {
  rules: readonly PolicyRule[];
  protectedNamespaces: readonly string[];
  approval: ApprovalPolicy;
  allow: AllowPolicy;
}

const DEFAULT_ALLOW_POLICY: AllowPolicy = { worldOpen: false, defaultDurationMs: 2 * 3_600_000, maxDurationMs: 24 * 3_600_000, minDurationMs: 60_000 };

export const DEFAULT_POLICY: Policy = {
  rules: [],
  protectedNamespaces: DEFAULT_PROTECTED_NAMESPACES,
  approval: {
    needs: { createLoadBalancer: true, deleteLoadBalancer: true, deleteNodePort: true, allowIngress: true },
    approvers: { users: [], groups: [] },
    selfApproval: false,
    ttlMs: 60 * 60_000,
  },
  allow: DEFAULT_ALLOW_POLICY,
};

/** Who acts. */
export interface Actor {
  userId: string;
  /** The Slack user groups they are in (only those the policy names need be known). */
  groups: readonly string[];
  channelId?: string;
}

/** What they want to do. */
export interface Action {
  subcommand: string;
  /** Absent for subcommands about no cluster (audit). */
  cluster?: string;
  /** Absent for subcommands that act on no namespace (help, audit, approvals…). */
  namespace?: string;
}

export type PolicyDecision = { allowed: true; rule: string } | { allowed: false; rule: string; reason: string };

function isReadOnly(subcommand: string): boolean {
  return READ_ONLY_SUBCOMMANDS.includes(subcommand);
}

function appliesTo(rule: PolicyRule, actor: Actor, action: Action): boolean {
  if (rule.subcommands !== undefined) {
    const matches = rule.subcommands.some((s) => s === action.subcommand || (s === 'changes' && !isReadOnly(action.subcommand)));
    if (!matches) return false;
  }
  const who = [rule.users, rule.groups, rule.channels].some((list) => list !== undefined && list.length > 0);
  if (who) {
    const byUser = rule.users?.includes(actor.userId) ?? false;
    const byGroup = rule.groups?.some((g) => actor.groups.includes(g)) ?? false;
    const byChannel = actor.channelId !== undefined && (rule.channels?.includes(actor.channelId) ?? false);
    if (!byUser && !byGroup && !byChannel) return false;
  }
  if (rule.clusters !== undefined && (action.cluster === undefined || !rule.clusters.includes(action.cluster))) return false;
  if (rule.namespaces !== undefined && (action.namespace === undefined || !rule.namespaces.includes(action.namespace))) return false;
  return true;
}

function where(action: Action): string {
  if (action.cluster === undefined) return '';
  return action.namespace === undefined ? ` on cluster ${action.cluster}` : ` in namespace ${action.namespace} on cluster ${action.cluster}`;
}

/** May `actor` do `action`? */
export function authorize(policy: Policy, actor: Actor, action: Action): PolicyDecision {
  const rule = policy.rules.find((r) => appliesTo(r, actor, action));
  const change = !isReadOnly(action.subcommand);
  const isProtected = change && action.namespace !== undefined && policy.protectedNamespaces.includes(action.namespace);
  if (rule?.effect === 'deny') {
    return { allowed: false, rule: rule.name, reason: `\`${action.subcommand}\`${where(action)} is refused by rule ${rule.name}.` };
  }
  if (isProtected && !(rule?.namespaces?.includes(action.namespace ?? '') ?? false)) {
    return {
      allowed: false,
      rule: 'protected-namespaces',
      reason: `Namespace ${action.namespace ?? ''} is protected: svcbot makes no changes there (rule protected-namespaces).`,
    };
  }
  if (rule) return { allowed: true, rule: rule.name };
  return { allowed: true, rule: change ? 'default: changes outside protected namespaces' : 'default: read-only commands' };
}

/** May `approver` decide a request `requesterId` made? */
export function mayApprove(policy: Policy, approver: Actor, requesterId: string): PolicyDecision {
  const { approvers, selfApproval } = policy.approval;
  if (approver.userId === requesterId && !selfApproval) {
    return { allowed: false, rule: 'four-eyes', reason: 'You asked for this change: someone else must approve it (rule four-eyes).' };
  }
  const anyone = approvers.users.length === 0 && approvers.groups.length === 0;
  if (anyone) return { allowed: true, rule: 'default: anyone else may approve' };
  if (approvers.users.includes(approver.userId) || approvers.groups.some((g) => approver.groups.includes(g))) {
    return { allowed: true, rule: 'approvers' };
  }
  return { allowed: false, rule: 'approvers', reason: 'Only the configured approvers may decide this request (rule approvers).' };
}

/** The user groups the policy names anywhere: the only memberships svcbot needs to know. */
export function groupsNamed(policy: Policy): string[] {
  return [...new Set([...policy.approval.approvers.groups, ...policy.rules.flatMap((r) => r.groups ?? [])])];
}

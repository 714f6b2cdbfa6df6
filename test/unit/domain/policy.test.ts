/** The policy's decisions, pure: rules in order, the defaults, protected namespaces, who may approve. */
import { authorize, DEFAULT_POLICY, groupsNamed, mayApprove, type Actor, type Policy, type PolicyRule } from '../../../src/domain/policy.js';

const ALICE: Actor = { userId: 'U0ALICE', groups: [], channelId: 'C0DEV' };
const SRE: Actor = { userId: 'U0SRE', groups: ['S0SRE'], channelId: 'C0DEV' };

function policy(rules: PolicyRule[], over: Partial<Policy> = {}): Policy {
  return { ...DEFAULT_POLICY, rules, ...over };
}

describe('authorize', () => {
  test('defaults: read-only everywhere, changes outside the protected namespaces', () => {
    expect(authorize(DEFAULT_POLICY, ALICE, { subcommand: 'list', cluster: 'prod', namespace: 'kube-system' })).toEqual({ allowed: true, rule: 'default: read-only commands' });
    expect(authorize(DEFAULT_POLICY, ALICE, { subcommand: 'delete', cluster: 'prod', namespace: 'default' })).toEqual({ allowed: true, rule: 'default: changes outside protected namespaces' });
    for (const namespace of ['kube-system', 'kube-public', 'kube-node-lease']) {
      expect(authorize(DEFAULT_POLICY, ALICE, { subcommand: 'create', cluster: 'prod', namespace })).toEqual({
        allowed: false,
        rule: 'protected-namespaces',
        reason: `Namespace ${namespace} is protected: svcbot makes no changes there (rule protected-namespaces).`,
      });
    }
  });

  test('the first rule that applies decides; a deny names itself', () => {
    const p = policy([
      { name: 'sre-anything', effect: 'allow', groups: ['S0SRE'] },
      { name: 'no-prod-changes', effect: 'deny', subcommands: ['changes'], clusters: ['prod'] },
    ]);
    expect(authorize(p, SRE, { subcommand: 'delete', cluster: 'prod', namespace: 'default' })).toEqual({ allowed: true, rule: 'sre-anything' });
    expect(authorize(p, ALICE, { subcommand: 'delete', cluster: 'prod', namespace: 'default' })).toEqual({
      allowed: false,
      rule: 'no-prod-changes',
      reason: '`delete` in namespace default on cluster prod is refused by rule no-prod-changes.',
    });
    expect(authorize(p, ALICE, { subcommand: 'list', cluster: 'prod', namespace: 'default' })).toMatchObject({ allowed: true });
    expect(authorize(p, ALICE, { subcommand: 'delete', cluster: 'staging', namespace: 'default' })).toMatchObject({ allowed: true });
  });

  test('who: any of the users, the groups or the channels', () => {
    const p = policy([{ name: 'ops-only', effect: 'deny', subcommands: ['create'], users: ['U0X'], groups: ['S0G'], channels: ['C0OPS'] }]);
    const action = { subcommand: 'create', cluster: 'prod', namespace: 'default' };
    expect(authorize(p, { userId: 'U0X', groups: [] }, action).allowed).toBe(false);
    expect(authorize(p, { userId: 'U0Y', groups: ['S0G'] }, action).allowed).toBe(false);
    expect(authorize(p, { userId: 'U0Y', groups: [], channelId: 'C0OPS' }, action).allowed).toBe(false);
    expect(authorize(p, { userId: 'U0Y', groups: [], channelId: 'C0DEV' }, action).allowed).toBe(true);
  });

  test('a protected namespace stays protected under a rule that allows changes, unless the rule names it', () => {
    const broad = policy([{ name: 'sre-anything', effect: 'allow', groups: ['S0SRE'] }]);
    expect(authorize(broad, SRE, { subcommand: 'delete', cluster: 'prod', namespace: 'kube-system' })).toMatchObject({ allowed: false, rule: 'protected-namespaces' });
    const named = policy([{ name: 'sre-kube-system', effect: 'allow', groups: ['S0SRE'], namespaces: ['kube-system'] }]);
    expect(authorize(named, SRE, { subcommand: 'delete', cluster: 'prod', namespace: 'kube-system' })).toEqual({ allowed: true, rule: 'sre-kube-system' });
    const extra = policy([], { protectedNamespaces: [...DEFAULT_POLICY.protectedNamespaces, 'payments'] });
    expect(authorize(extra, ALICE, { subcommand: 'type', cluster: 'prod', namespace: 'payments' })).toMatchObject({ allowed: false, rule: 'protected-namespaces' });
  });

  test('an action about no cluster (audit) is not matched by a rule about clusters', () => {
    const p = policy([
      { name: 'prod-auditors-only', effect: 'deny', subcommands: ['audit'], clusters: ['prod'] },
      { name: 'no-audit-for-bots', effect: 'deny', subcommands: ['audit'], users: ['U0BOT'] },
    ]);
    expect(authorize(p, ALICE, { subcommand: 'audit' })).toMatchObject({ allowed: true });
    expect(authorize(p, { userId: 'U0BOT', groups: [] }, { subcommand: 'audit' })).toEqual({ allowed: false, rule: 'no-audit-for-bots', reason: '`audit` is refused by rule no-audit-for-bots.' });
  });
});

describe('mayApprove', () => {
  test('four eyes by default; self-approval when configured', () => {
    expect(mayApprove(DEFAULT_POLICY, ALICE, 'U0ALICE')).toMatchObject({ allowed: false, rule: 'four-eyes' });
    expect(mayApprove(DEFAULT_POLICY, SRE, 'U0ALICE')).toEqual({ allowed: true, rule: 'default: anyone else may approve' });
    const self = policy([], { approval: { ...DEFAULT_POLICY.approval, selfApproval: true } });
    expect(mayApprove(self, ALICE, 'U0ALICE')).toMatchObject({ allowed: true });
  });

  test('configured approvers, by user or by group; nobody else', () => {
    const p = policy([], { approval: { ...DEFAULT_POLICY.approval, approvers: { users: ['U0BOSS'], groups: ['S0SRE'] } } });
    expect(mayApprove(p, { userId: 'U0BOSS', groups: [] }, 'U0ALICE')).toEqual({ allowed: true, rule: 'approvers' });
    expect(mayApprove(p, SRE, 'U0ALICE')).toEqual({ allowed: true, rule: 'approvers' });
    expect(mayApprove(p, { userId: 'U0BOB', groups: [] }, 'U0ALICE')).toMatchObject({ allowed: false, rule: 'approvers' });
    // An approver is still not their own approver.
    expect(mayApprove(p, { userId: 'U0BOSS', groups: [] }, 'U0BOSS')).toMatchObject({ allowed: false, rule: 'four-eyes' });
  });
});

test('groupsNamed: only the groups the policy names are worth asking Slack about', () => {
  const p = policy([{ name: 'a', effect: 'allow', groups: ['S0A', 'S0B'] }, { name: 'b', effect: 'deny', users: ['U0X'] }], {
    approval: { ...DEFAULT_POLICY.approval, approvers: { users: [], groups: ['S0B', 'S0C'] } },
  });
  expect(groupsNamed(p).sort()).toEqual(['S0A', 'S0B', 'S0C']);
  expect(groupsNamed(DEFAULT_POLICY)).toEqual([]);
});

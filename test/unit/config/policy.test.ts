/**
 * The policy, audit and cost settings (src/config/policy.ts): defaults, each environment variable,
 * the rules in the YAML file, every problem with its variable or file:line, env over YAML.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../../src/config/index.js';
import { estimateCost } from '../../../src/domain/approvals.js';
import { SUBCOMMANDS } from '../../../src/domain/grammar/index.js';
import { DEFAULT_POLICY, READ_ONLY_SUBCOMMANDS } from '../../../src/domain/policy.js';
import type { PolicyRule } from '../../../src/domain/policy.js';
import { files, get, noFiles, problemsOf } from './helpers.js';

const BUILT_IN = ['kube-system', 'kube-public', 'kube-node-lease'];

const APPROVER_HELP =
  'must be a Slack user ID like U024BE7LH or user-group ID like S0614TZR7 (U, W or S, then uppercase letters and digits; not a name)';
const USER_HELP = 'must be a Slack user ID like U024BE7LH (U or W, then uppercase letters and digits; not a name)';
const GROUP_HELP = 'must be a Slack user-group ID like S0614TZR7 (S, then uppercase letters and digits; not a @handle)';
const CHANNEL_HELP = 'must be a Slack channel ID like C024BE91L (C or G, then uppercase letters and digits; not a #name)';
const TTL_HELP = 'must be a duration like 30m, 1h or 24h, between 1s and 168h';
const NAMESPACE_HELP =
  "must be a namespace name: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters";
const RULE_NAME_HELP = "must be 1-63 characters: lowercase letters, digits and '-', starting with a letter or digit (like ops-only)";
const BOOLEAN_HELP = 'must be true or false';
const PRICE_HELP = 'must be a positive number of US dollars an hour, like 0.025';

/** Two clusters, prod and staging, then `yaml`. */
const CLUSTERS = 'clusters:\n  - name: prod\n    kubeconfig: /k/prod\n    clusterName: prod\n  - name: staging\n    kubeconfig: /k/staging\n    clusterName: staging\n';
const CLUSTER_LINES = CLUSTERS.split('\n').length - 1;

const load = (yaml: string, env: NodeJS.ProcessEnv = {}) => loadConfig({ SVCBOT_CONFIG: '/c.yaml', ...env }, files({ '/c.yaml': yaml }));
const problems = (yaml: string, env: NodeJS.ProcessEnv = {}) => problemsOf({ SVCBOT_CONFIG: '/c.yaml', ...env }, files({ '/c.yaml': yaml }));

describe('policy defaults', () => {
  it("are the domain's DEFAULT_POLICY", () => {
    expect(loadConfig({}, noFiles).policy).toStrictEqual(DEFAULT_POLICY);
  });

  it('keep no audit channel and 10,000 entries, and price a classic ELB at $0.025 an hour in us-east-1', () => {
    const config = loadConfig({}, noFiles);
    expect(config.audit).toEqual({ channel: undefined, maxEntries: 10_000 });
    expect(config.costs).toEqual({ elbHourlyUsd: { 'us-east-1': 0.025 }, nlbHourlyUsd: { 'us-east-1': 0.0225 }, albHourlyUsd: { 'us-east-1': 0.0225 } });
  });

  it('are the same with an empty policy, audit and costs in the file', () => {
    const config = load('policy:\n  rules:\n  approval:\n    needs:\naudit:\ncosts:\n  elbHourlyUsd:\n');
    expect(config.policy).toStrictEqual(DEFAULT_POLICY);
    expect(config.audit.maxEntries).toBe(10_000);
    expect(config.costs.elbHourlyUsd).toEqual({ 'us-east-1': 0.025 });
  });

  it('are deeply frozen', () => {
    const config = load(`${CLUSTERS}policy:\n  rules:\n    - name: a\n      allow: [list]\n      clusters: [prod]\n`);
    for (const part of [config.policy, config.policy.rules, config.policy.rules[0], config.policy.rules[0]?.clusters, config.policy.approval.approvers, config.costs.elbHourlyUsd]) {
      expect(Object.isFrozen(part)).toBe(true);
    }
  });
});

describe('policy environment variables', () => {
  const valid: [env: NodeJS.ProcessEnv, dotted: string, expected: unknown][] = [
    [{ SVCBOT_APPROVERS: 'U024BE7LH' }, 'policy.approval.approvers', { users: ['U024BE7LH'], groups: [] }],
    [{ SVCBOT_APPROVERS: 'U024BE7LH, W012A3CDE,S0614TZR7,' }, 'policy.approval.approvers', { users: ['U024BE7LH', 'W012A3CDE'], groups: ['S0614TZR7'] }],
    [{ SVCBOT_APPROVERS: 'S0614TZR7' }, 'policy.approval.approvers', { users: [], groups: ['S0614TZR7'] }],
    [{ SVCBOT_APPROVERS: '' }, 'policy.approval.approvers', { users: [], groups: [] }],
    [{ SVCBOT_APPROVAL_CHANNEL: 'C024BE91L' }, 'policy.approval.channel', 'C024BE91L'],
    [{ SVCBOT_APPROVAL_CHANNEL: ' G012AB3CD ' }, 'policy.approval.channel', 'G012AB3CD'],
    [{ SVCBOT_APPROVAL_CHANNEL: '' }, 'policy.approval.channel', undefined],
    [{ SVCBOT_AUDIT_CHANNEL: 'C0AUD17LOG' }, 'audit.channel', 'C0AUD17LOG'],
    [{ SVCBOT_AUDIT_CHANNEL: '' }, 'audit.channel', undefined],
    [{ SVCBOT_SELF_APPROVAL: 'true' }, 'policy.approval.selfApproval', true],
    [{ SVCBOT_SELF_APPROVAL: ' TRUE ' }, 'policy.approval.selfApproval', true],
    [{ SVCBOT_SELF_APPROVAL: 'false' }, 'policy.approval.selfApproval', false],
    [{ SVCBOT_SELF_APPROVAL: 'False' }, 'policy.approval.selfApproval', false],
    [{ SVCBOT_SELF_APPROVAL: '' }, 'policy.approval.selfApproval', false],
    [{ SVCBOT_APPROVAL_TTL: '30m' }, 'policy.approval.ttlMs', 1_800_000],
    [{ SVCBOT_APPROVAL_TTL: '1m' }, 'policy.approval.ttlMs', 60_000],
    [{ SVCBOT_APPROVAL_TTL: '24h' }, 'policy.approval.ttlMs', 86_400_000],
    [{ SVCBOT_APPROVAL_TTL: '168h' }, 'policy.approval.ttlMs', 604_800_000],
    [{ SVCBOT_APPROVAL_TTL: '7200' }, 'policy.approval.ttlMs', 7_200_000],
    [{ SVCBOT_APPROVAL_TTL: '' }, 'policy.approval.ttlMs', 3_600_000],
    [{ SVCBOT_PROTECTED_NAMESPACES: 'payments' }, 'policy.protectedNamespaces', [...BUILT_IN, 'payments']],
    [{ SVCBOT_PROTECTED_NAMESPACES: 'payments, prod-db,' }, 'policy.protectedNamespaces', [...BUILT_IN, 'payments', 'prod-db']],
    // The built-in ones always stay, and are not listed twice.
    [{ SVCBOT_PROTECTED_NAMESPACES: 'kube-system,payments' }, 'policy.protectedNamespaces', [...BUILT_IN, 'payments']],
    [{ SVCBOT_PROTECTED_NAMESPACES: '' }, 'policy.protectedNamespaces', BUILT_IN],
  ];
  it.each(valid)('%j sets %s', (env, dotted, expected) => {
    expect(get(loadConfig(env, noFiles), dotted)).toEqual(expected);
  });

  const invalid: [env: NodeJS.ProcessEnv, problems: string[]][] = [
    [{ SVCBOT_APPROVERS: 'U024BE7LH,alice' }, [`SVCBOT_APPROVERS: ${APPROVER_HELP} (got "alice")`]],
    [{ SVCBOT_APPROVERS: '@oncall' }, [`SVCBOT_APPROVERS: ${APPROVER_HELP} (got "@oncall")`]],
    [{ SVCBOT_APPROVERS: 'u024be7lh' }, [`SVCBOT_APPROVERS: ${APPROVER_HELP} (got "u024be7lh")`]],
    [{ SVCBOT_APPROVERS: 'C024BE91L' }, [`SVCBOT_APPROVERS: ${APPROVER_HELP} (got "C024BE91L")`]],
    [{ SVCBOT_APPROVERS: 'U' }, [`SVCBOT_APPROVERS: ${APPROVER_HELP} (got "U")`]],
    // Every bad entry, each named.
    [{ SVCBOT_APPROVERS: 'bob,U024BE7LH,S-ops' }, [`SVCBOT_APPROVERS: ${APPROVER_HELP} (got "bob")`, `SVCBOT_APPROVERS: ${APPROVER_HELP} (got "S-ops")`]],
    [{ SVCBOT_APPROVAL_CHANNEL: '#ops' }, [`SVCBOT_APPROVAL_CHANNEL: ${CHANNEL_HELP} (got "#ops")`]],
    [{ SVCBOT_APPROVAL_CHANNEL: 'ops' }, [`SVCBOT_APPROVAL_CHANNEL: ${CHANNEL_HELP} (got "ops")`]],
    [{ SVCBOT_APPROVAL_CHANNEL: 'U024BE7LH' }, [`SVCBOT_APPROVAL_CHANNEL: ${CHANNEL_HELP} (got "U024BE7LH")`]],
    [{ SVCBOT_APPROVAL_CHANNEL: 'c024be91l' }, [`SVCBOT_APPROVAL_CHANNEL: ${CHANNEL_HELP} (got "c024be91l")`]],
    [{ SVCBOT_AUDIT_CHANNEL: '#audit' }, [`SVCBOT_AUDIT_CHANNEL: ${CHANNEL_HELP} (got "#audit")`]],
    [{ SVCBOT_AUDIT_CHANNEL: 'D024BE91L' }, [`SVCBOT_AUDIT_CHANNEL: ${CHANNEL_HELP} (got "D024BE91L")`]],
    [{ SVCBOT_SELF_APPROVAL: 'yes' }, [`SVCBOT_SELF_APPROVAL: ${BOOLEAN_HELP} (got "yes")`]],
    [{ SVCBOT_SELF_APPROVAL: '1' }, [`SVCBOT_SELF_APPROVAL: ${BOOLEAN_HELP} (got "1")`]],
    [{ SVCBOT_APPROVAL_TTL: '500ms' }, [`SVCBOT_APPROVAL_TTL: ${TTL_HELP} (got "500ms")`]],
    [{ SVCBOT_APPROVAL_TTL: '169h' }, [`SVCBOT_APPROVAL_TTL: ${TTL_HELP} (got "169h")`]],
    [{ SVCBOT_APPROVAL_TTL: '7d' }, [`SVCBOT_APPROVAL_TTL: ${TTL_HELP} (got "7d")`]],
    [{ SVCBOT_APPROVAL_TTL: 'forever' }, [`SVCBOT_APPROVAL_TTL: ${TTL_HELP} (got "forever")`]],
    [{ SVCBOT_PROTECTED_NAMESPACES: 'payments,Prod' }, [`SVCBOT_PROTECTED_NAMESPACES: ${NAMESPACE_HELP} (got "Prod")`]],
    [{ SVCBOT_PROTECTED_NAMESPACES: 'kube_system' }, [`SVCBOT_PROTECTED_NAMESPACES: ${NAMESPACE_HELP} (got "kube_system")`]],
    [{ SVCBOT_PROTECTED_NAMESPACES: 'payments-' }, [`SVCBOT_PROTECTED_NAMESPACES: ${NAMESPACE_HELP} (got "payments-")`]],
    [{ SVCBOT_PROTECTED_NAMESPACES: 'n'.repeat(64) }, [`SVCBOT_PROTECTED_NAMESPACES: ${NAMESPACE_HELP} (got "${'n'.repeat(64)}")`]],
  ];
  it.each(invalid)('refuses %j', (env, expected) => {
    expect(problemsOf(env)).toEqual(expected);
  });

  it('reports every bad policy variable at once', () => {
    expect(problemsOf({ SVCBOT_APPROVERS: 'bob', SVCBOT_SELF_APPROVAL: 'maybe', SVCBOT_APPROVAL_TTL: '0', SVCBOT_AUDIT_CHANNEL: '#a' })).toEqual([
      `SVCBOT_APPROVERS: ${APPROVER_HELP} (got "bob")`,
      `SVCBOT_SELF_APPROVAL: ${BOOLEAN_HELP} (got "maybe")`,
      `SVCBOT_APPROVAL_TTL: ${TTL_HELP} (got "0")`,
      `SVCBOT_AUDIT_CHANNEL: ${CHANNEL_HELP} (got "#a")`,
    ]);
  });
});

describe('policy in the YAML file', () => {
  it('reads approval, protected namespaces, audit and costs', () => {
    const config = load(`policy:
  protectedNamespaces: [payments, kube-public]
  approval:
    approvers: [U024BE7LH, S0614TZR7, W012A3CDE]
    channel: G012AB3CD
    selfApproval: true
    ttl: 15m
    needs:
      createLoadBalancer: false
      deleteNodePort: "false"
audit:
  channel: C0AUD17LOG
  maxEntries: 100
costs:
  elbHourlyUsd:
    eu-west-1: 0.028
    ap-southeast-2: 0.0336
`);
    expect(config.policy).toStrictEqual({
      rules: [],
      protectedNamespaces: [...BUILT_IN, 'payments'],
      approval: {
        needs: { createLoadBalancer: false, deleteLoadBalancer: true, deleteNodePort: false, allowIngress: true },
        approvers: { users: ['U024BE7LH', 'W012A3CDE'], groups: ['S0614TZR7'] },
        selfApproval: true,
        ttlMs: 900_000,
        channel: 'G012AB3CD',
      },
      allow: { worldOpen: false, defaultDurationMs: 7_200_000, maxDurationMs: 86_400_000, minDurationMs: 60_000 },
    });
    expect(config.audit).toEqual({ channel: 'C0AUD17LOG', maxEntries: 100 });
    expect(config.costs).toEqual({ elbHourlyUsd: { 'eu-west-1': 0.028, 'ap-southeast-2': 0.0336 }, nlbHourlyUsd: { 'us-east-1': 0.0225 }, albHourlyUsd: { 'us-east-1': 0.0225 } });
  });

  it('takes the price table as given: a region not listed is estimated at the default $0.025', () => {
    const prices = load('costs:\n  elbHourlyUsd:\n    eu-west-1: 0.028\n').costs.elbHourlyUsd;
    expect(prices).toEqual({ 'eu-west-1': 0.028 });
    expect(estimateCost('eu-west-1', prices)).toEqual({ region: 'eu-west-1', hourlyUsd: 0.028, monthlyUsd: 20.44 });
    expect(estimateCost('us-east-1', prices)).toEqual({ region: 'us-east-1', hourlyUsd: 0.025, monthlyUsd: 18.25 });
  });

  it('accepts audit.maxEntries from 100 to 1,000,000', () => {
    expect(load('audit:\n  maxEntries: 1000000\n').audit.maxEntries).toBe(1_000_000);
    expect(load('audit:\n  maxEntries: "250"\n').audit.maxEntries).toBe(250);
  });

  const rules: [yaml: string, expected: PolicyRule][] = [
    ['- name: ops\n  allow: [create, delete]', { name: 'ops', effect: 'allow', subcommands: ['create', 'delete'] }],
    ['- name: nobody\n  deny: ["*"]', { name: 'nobody', effect: 'deny' }],
    ["- name: nobody\n  deny: ['*']", { name: 'nobody', effect: 'deny' }],
    ['- name: read-only\n  deny: [changes]', { name: 'read-only', effect: 'deny', subcommands: ['changes'] }],
    ['- name: x\n  allow:\n    - changes\n    - list', { name: 'x', effect: 'allow', subcommands: ['changes', 'list'] }],
    [
      '- name: approvals\n  allow: [approvals, withdraw, approve, reject, audit, help, expose, list, describe, type, jobs, cancel]',
      {
        name: 'approvals',
        effect: 'allow',
        subcommands: ['approvals', 'withdraw', 'approve', 'reject', 'audit', 'help', 'expose', 'list', 'describe', 'type', 'jobs', 'cancel'],
      },
    ],
    ['- name: bob\n  deny: [delete]\n  users: [U024BE7LH, W012A3CDE]', { name: 'bob', effect: 'deny', subcommands: ['delete'], users: ['U024BE7LH', 'W012A3CDE'] }],
    ['- name: sre\n  allow: ["*"]\n  groups: [S0614TZR7]', { name: 'sre', effect: 'allow', groups: ['S0614TZR7'] }],
    ['- name: ops-channel\n  allow: [changes]\n  channels: [C024BE91L, G012AB3CD]', { name: 'ops-channel', effect: 'allow', subcommands: ['changes'], channels: ['C024BE91L', 'G012AB3CD'] }],
    ['- name: prod\n  deny: [changes]\n  clusters: [prod]', { name: 'prod', effect: 'deny', subcommands: ['changes'], clusters: ['prod'] }],
    ['- name: both\n  deny: [changes]\n  clusters: [staging, prod]', { name: 'both', effect: 'deny', subcommands: ['changes'], clusters: ['staging', 'prod'] }],
    [
      '- name: kube-system-for-sre\n  allow: [changes]\n  groups: [S0614TZR7]\n  namespaces: [kube-system, monitoring]',
      { name: 'kube-system-for-sre', effect: 'allow', subcommands: ['changes'], groups: ['S0614TZR7'], namespaces: ['kube-system', 'monitoring'] },
    ],
    [
      '- name: all-of-it\n  allow: [create]\n  users: [U024BE7LH]\n  groups: [S0614TZR7]\n  channels: [C024BE91L]\n  clusters: [prod]\n  namespaces: [web]',
      {
        name: 'all-of-it',
        effect: 'allow',
        subcommands: ['create'],
        users: ['U024BE7LH'],
        groups: ['S0614TZR7'],
        channels: ['C024BE91L'],
        clusters: ['prod'],
        namespaces: ['web'],
      },
    ],
    ['- name: 9-lives\n  allow: [list]', { name: '9-lives', effect: 'allow', subcommands: ['list'] }],
  ];
  it.each(rules)('reads the rule %j', (rule, expected) => {
    const yaml = `${CLUSTERS}policy:\n  rules:\n${rule.replace(/^/gm, '    ')}\n`;
    expect(load(yaml).policy.rules).toStrictEqual([expected]);
  });

  it('lets a rule name every subcommand the grammar knows and every read-only one', () => {
    const names = [...new Set([...SUBCOMMANDS.map((s) => s.kind), ...READ_ONLY_SUBCOMMANDS])];
    const config = load(`policy:\n  rules:\n    - name: all\n      allow: [${names.join(', ')}]\n`);
    expect(config.policy.rules[0]?.subcommands).toEqual(names);
  });

  it('keeps the rules in order', () => {
    const config = load('policy:\n  rules:\n    - name: b\n      allow: [list]\n    - name: a\n      deny: [list]\n');
    expect(config.policy.rules.map((r) => r.name)).toEqual(['b', 'a']);
  });

  it("knows the one cluster's name when there is no clusters list", () => {
    const rule = (cluster: string) => `policy:\n  rules:\n    - name: a\n      deny: [changes]\n      clusters: [${cluster}]\n`;
    expect(load(rule('kubernetes')).policy.rules[0]?.clusters).toEqual(['kubernetes']);
    expect(load(rule('eks-1'), { CLUSTER_NAME: 'eks-1' }).policy.rules[0]?.clusters).toEqual(['eks-1']);
    // Not a DNS label: users call the cluster `default`.
    expect(load(rule('default'), { CLUSTER_NAME: 'EKS_1' }).policy.rules[0]?.clusters).toEqual(['default']);
  });
});

describe('policy problems in the YAML file', () => {
  // [yaml after the two clusters, env, problems]; the line numbers count from the first line of `yaml`.
  const cases: [yaml: string, env: NodeJS.ProcessEnv, problems: string[]][] = [
    // Clusters a rule names.
    [
      'policy:\n  rules:\n    - name: a\n      deny: [changes]\n      clusters: [prd]\n',
      {},
      ["@5: policy.rules[0].clusters[0]: unknown cluster 'prd' (did you mean 'prod'?)"],
    ],
    [
      'policy:\n  rules:\n    - name: a\n      deny: [changes]\n      clusters:\n        - prod\n        - stagign\n',
      {},
      ["@7: policy.rules[0].clusters[1]: unknown cluster 'stagign' (did you mean 'staging'?)"],
    ],
    [
      'policy:\n  rules:\n    - name: a\n      deny: [changes]\n      clusters: [dev]\n',
      {},
      ["@5: policy.rules[0].clusters[0]: unknown cluster 'dev': the configured clusters are prod, staging"],
    ],
    ['policy:\n  rules:\n    - name: a\n      deny: [changes]\n      clusters: [5]\n', {}, ['@5: policy.rules[0].clusters[0]: must be the name of a configured cluster (got 5)']],
    ['policy:\n  rules:\n    - name: a\n      deny: [changes]\n      clusters: []\n', {}, ['@5: policy.rules[0].clusters: must not be empty (leave it out to mean any)']],
    ['policy:\n  rules:\n    - name: a\n      deny: [changes]\n      clusters: prod\n', {}, ['@5: policy.rules[0].clusters: must be a list (got a string)']],
    // Names.
    [
      'policy:\n  rules:\n    - name: ops\n      allow: [list]\n    - name: dev\n      allow: [list]\n    - name: ops\n      deny: [list]\n',
      {},
      ["@7: policy.rules[2].name: duplicate rule name 'ops' (also policy.rules[0])"],
    ],
    ['policy:\n  rules:\n    - allow: [list]\n', {}, ['@3: policy.rules[0].name: is required']],
    ['policy:\n  rules:\n    - name: ""\n      allow: [list]\n', {}, ['@3: policy.rules[0].name: is required (got "")']],
    ['policy:\n  rules:\n    - name: Ops_Only\n      allow: [list]\n', {}, [`@3: policy.rules[0].name: ${RULE_NAME_HELP} (got "Ops_Only")`]],
    ['policy:\n  rules:\n    - name: -ops\n      allow: [list]\n', {}, [`@3: policy.rules[0].name: ${RULE_NAME_HELP} (got "-ops")`]],
    [`policy:\n  rules:\n    - name: ${'r'.repeat(64)}\n      allow: [list]\n`, {}, [`@3: policy.rules[0].name: ${RULE_NAME_HELP} (got "${'r'.repeat(64)}")`]],
    // allow or deny.
    [
      'policy:\n  rules:\n    - name: a\n      allow: [list]\n      deny: [create]\n',
      {},
      ['@3: policy.rules[0]: has both allow and deny: a rule does one of them (make it two rules)'],
    ],
    [
      'policy:\n  rules:\n    - name: a\n      users: [U024BE7LH]\n',
      {},
      ["@3: policy.rules[0]: needs allow or deny: the subcommands it allows or denies ('*' for all)"],
    ],
    // A key without a value is not set.
    ['policy:\n  rules:\n    - name: a\n      allow:\n', {}, ["@3: policy.rules[0]: needs allow or deny: the subcommands it allows or denies ('*' for all)"]],
    ['policy:\n  rules:\n    - name: a\n      allow: []\n', {}, ["@4: policy.rules[0].allow: must list at least one subcommand (or '*' for all)"]],
    ['policy:\n  rules:\n    - name: a\n      deny: list\n', {}, ['@4: policy.rules[0].deny: must be a list (got a string)']],
    // Subcommands.
    ['policy:\n  rules:\n    - name: a\n      deny: [delte]\n', {}, ["@4: policy.rules[0].deny[0]: unknown subcommand 'delte' (did you mean 'delete'?)"]],
    ['policy:\n  rules:\n    - name: a\n      deny: [create, chnages]\n', {}, ["@4: policy.rules[0].deny[1]: unknown subcommand 'chnages' (did you mean 'changes'?)"]],
    ['policy:\n  rules:\n    - name: a\n      allow: [Create]\n', {}, ["@4: policy.rules[0].allow[0]: unknown subcommand 'Create' (did you mean 'create'?)"]],
    [
      'policy:\n  rules:\n    - name: a\n      allow:\n        - list\n        - scale\n',
      {},
      [
        "@6: policy.rules[0].allow[1]: unknown subcommand 'scale': one of help, create, expose, list, describe, type, delete, jobs, cancel, approvals, withdraw, approve, reject, audit, orphans, orphan, allow, changes or '*'",
      ],
    ],
    ['policy:\n  rules:\n    - name: a\n      allow: [list, "*"]\n', {}, ["@4: policy.rules[0].allow[1]: '*' stands for every subcommand: list it alone"]],
    ['policy:\n  rules:\n    - name: a\n      allow: [true]\n', {}, ["@4: policy.rules[0].allow[0]: must be a subcommand (like create or delete), changes or '*' (got true)"]],
    // A bare * is a YAML alias.
    ['policy:\n  rules:\n    - name: a\n      allow: [*]\n', {}, ['@4:15: invalid YAML: Alias cannot be an empty string']],
    // Who.
    ['policy:\n  rules:\n    - name: a\n      deny: [delete]\n      users: [alice]\n', {}, [`@5: policy.rules[0].users[0]: ${USER_HELP} (got "alice")`]],
    ['policy:\n  rules:\n    - name: a\n      deny: [delete]\n      users: [S0614TZR7]\n', {}, [`@5: policy.rules[0].users[0]: ${USER_HELP} (got "S0614TZR7")`]],
    ['policy:\n  rules:\n    - name: a\n      deny: [delete]\n      users: U024BE7LH\n', {}, ['@5: policy.rules[0].users: must be a list (got a string)']],
    ['policy:\n  rules:\n    - name: a\n      deny: [delete]\n      groups: ["@sre"]\n', {}, [`@5: policy.rules[0].groups[0]: ${GROUP_HELP} (got "@sre")`]],
    ['policy:\n  rules:\n    - name: a\n      deny: [delete]\n      groups: [U024BE7LH]\n', {}, [`@5: policy.rules[0].groups[0]: ${GROUP_HELP} (got "U024BE7LH")`]],
    ['policy:\n  rules:\n    - name: a\n      deny: [delete]\n      groups: []\n', {}, ['@5: policy.rules[0].groups: must not be empty (leave it out to mean any)']],
    ['policy:\n  rules:\n    - name: a\n      deny: [delete]\n      channels: ["#ops"]\n', {}, [`@5: policy.rules[0].channels[0]: ${CHANNEL_HELP} (got "#ops")`]],
    ['policy:\n  rules:\n    - name: a\n      deny: [delete]\n      channels: [C024BE91L, 42]\n', {}, [`@5: policy.rules[0].channels[1]: ${CHANNEL_HELP} (got 42)`]],
    // Where.
    ['policy:\n  rules:\n    - name: a\n      deny: [delete]\n      namespaces: [Web]\n', {}, [`@5: policy.rules[0].namespaces[0]: ${NAMESPACE_HELP} (got "Web")`]],
    // Unknown keys.
    ['polcy:\n  rules: []\n', {}, ["@1: polcy: unknown setting (did you mean 'policy'?)"]],
    ['policy:\n  rule: []\n', {}, ["@2: policy.rule: unknown setting (did you mean 'rules'?)"]],
    [
      'policy:\n  rules:\n    - name: a\n      deny: [delete]\n      user: [U024BE7LH]\n',
      {},
      ["@5: policy.rules[0].user: unknown setting (did you mean 'users'?)"],
    ],
    [
      'policy:\n  rules:\n    - name: a\n      deny: [delete]\n      namespace: [web]\n      effect: deny\n',
      {},
      ["@5: policy.rules[0].namespace: unknown setting (did you mean 'namespaces'?)", '@6: policy.rules[0].effect: unknown setting'],
    ],
    ['policy:\n  approval:\n    approver: [U024BE7LH]\n', {}, ["@3: policy.approval.approver: unknown setting (did you mean 'approvers'?)"]],
    ['policy:\n  approval:\n    needs:\n      deleteNodeport: false\n', {}, ["@4: policy.approval.needs.deleteNodeport: unknown setting (did you mean 'deleteNodePort'?)"]],
    ['policy:\n  protectedNamespace: [web]\n', {}, ["@2: policy.protectedNamespace: unknown setting (did you mean 'protectedNamespaces'?)"]],
    ['policy:\n  allow:\n    worldopen: true\n', {}, ["@3: policy.allow.worldopen: unknown setting (did you mean 'worldOpen'?)"]],
    ['policy:\n  allow:\n    maxDuration: 1h\n    minDuration: 2h\n', {}, ['@4: policy.allow.minDuration: must not be longer than policy.allow.maxDuration']],
    ['policy:\n  allow:\n    maxDuration: 1h\n', {}, ['@2: policy.allow.defaultDuration: must lie between policy.allow.minDuration and policy.allow.maxDuration']],
    ['audit:\n  maxEntry: 100\n', {}, ["@2: audit.maxEntry: unknown setting (did you mean 'maxEntries'?)"]],
    ['costs:\n  elbHourly: {}\n', {}, ["@2: costs.elbHourly: unknown setting (did you mean 'elbHourlyUsd'?)"]],
    // Shapes.
    ['policy: strict\n', {}, ['@1: policy: must be a mapping (got a string)']],
    ['policy:\n  rules:\n    name: a\n', {}, ['@2: policy.rules: must be a list (got a mapping)']],
    ['policy:\n  rules:\n    - ops\n', {}, ['@3: policy.rules[0]: must be a mapping (got a string)']],
    ['policy:\n  approval: [x]\n', {}, ['@2: policy.approval: must be a mapping (got a list)']],
    // Approval.
    ['policy:\n  approval:\n    approvers: [U024BE7LH, alice]\n', {}, [`@3: policy.approval.approvers[1]: ${APPROVER_HELP} (got "alice")`]],
    ['policy:\n  approval:\n    approvers: U024BE7LH\n', {}, ['@3: policy.approval.approvers: must be a list (got a string)']],
    ['policy:\n  approval:\n    channel: "#approvals"\n', {}, [`@3: policy.approval.channel: ${CHANNEL_HELP} (got "#approvals")`]],
    ['policy:\n  approval:\n    channel: 12\n', {}, ['@3: policy.approval.channel: must be a string (got 12)']],
    ['policy:\n  approval:\n    selfApproval: yes\n', {}, [`@3: policy.approval.selfApproval: ${BOOLEAN_HELP} (got "yes")`]],
    ['policy:\n  approval:\n    selfApproval: 1\n', {}, [`@3: policy.approval.selfApproval: ${BOOLEAN_HELP} (got 1)`]],
    ['policy:\n  approval:\n    ttl: 0s\n', {}, [`@3: policy.approval.ttl: ${TTL_HELP} (got "0s")`]],
    ['policy:\n  approval:\n    ttl: 1000h\n', {}, [`@3: policy.approval.ttl: ${TTL_HELP} (got "1000h")`]],
    ['policy:\n  approval:\n    needs:\n      createLoadBalancer: sometimes\n', {}, [`@4: policy.approval.needs.createLoadBalancer: ${BOOLEAN_HELP} (got "sometimes")`]],
    ['policy:\n  approval:\n    needs: false\n', {}, ['@3: policy.approval.needs: must be a mapping (got a boolean)']],
    ['policy:\n  protectedNamespaces: [web, Kube_System]\n', {}, [`@2: policy.protectedNamespaces[1]: ${NAMESPACE_HELP} (got "Kube_System")`]],
    ['policy:\n  protectedNamespaces: web\n', {}, ['@2: policy.protectedNamespaces: must be a list (got a string)']],
    // Audit and costs.
    ['audit:\n  maxEntries: 99\n', {}, ['@2: audit.maxEntries: must be a whole number from 100 to 1000000 (got 99)']],
    ['audit:\n  maxEntries: 1000001\n', {}, ['@2: audit.maxEntries: must be a whole number from 100 to 1000000 (got 1000001)']],
    ['audit:\n  maxEntries: lots\n', {}, ['@2: audit.maxEntries: must be a whole number from 100 to 1000000 (got "lots")']],
    ['audit:\n  channel: audit-log\n', {}, [`@2: audit.channel: ${CHANNEL_HELP} (got "audit-log")`]],
    ['costs:\n  elbHourlyUsd:\n    us-east-1: 0.025\n    moon-base: 1\n', {}, ['@4: costs.elbHourlyUsd.moon-base: must be an AWS region like us-east-1']],
    ['costs:\n  elbHourlyUsd:\n    us-east-1: 0\n', {}, [`@3: costs.elbHourlyUsd.us-east-1: ${PRICE_HELP} (got 0)`]],
    ['costs:\n  elbHourlyUsd:\n    us-east-1: -0.025\n', {}, [`@3: costs.elbHourlyUsd.us-east-1: ${PRICE_HELP} (got -0.025)`]],
    ['costs:\n  elbHourlyUsd:\n    us-east-1: "$0.025"\n', {}, [`@3: costs.elbHourlyUsd.us-east-1: ${PRICE_HELP} (got "$0.025")`]],
    ['costs:\n  elbHourlyUsd: [0.025]\n', {}, ['@2: costs.elbHourlyUsd: must be a mapping (got a list)']],
    ['costs: 0.025\n', {}, ['@1: costs: must be a mapping (got a number)']],
    // The environment's value replaces the file's: only its problems count.
    ['policy:\n  approval:\n    approvers: [alice]\n    ttl: 1s\n', { SVCBOT_APPROVERS: 'U024BE7LH', SVCBOT_APPROVAL_TTL: '2h' }, []],
    ['policy:\n  approval:\n    approvers: [U024BE7LH]\n', { SVCBOT_APPROVERS: 'bob' }, [`SVCBOT_APPROVERS: ${APPROVER_HELP} (got "bob")`]],
    ['policy:\n  protectedNamespaces: [Bad]\n', { SVCBOT_PROTECTED_NAMESPACES: 'good' }, []],
  ];
  it.each(cases)('%j with %j', (yaml, env, expected) => {
    const all = CLUSTERS + yaml;
    if (expected.length === 0) {
      expect(() => load(all, env)).not.toThrow();
      return;
    }
    const shift = (p: string) => p.replace(/^@(\d+)/, (_, line: string) => `/c.yaml:${Number(line) + CLUSTER_LINES}`);
    expect(problems(all, env)).toEqual(expected.map(shift));
  });

  it('does not call a rule\'s cluster unknown when the clusters have problems of their own', () => {
    const yaml = 'clusters:\n  - name: Prod\n    kubeconfig: /k\npolicy:\n  rules:\n    - name: a\n      deny: [changes]\n      clusters: [prod]\n';
    expect(problems(yaml)).toEqual([expect.stringMatching(/^\/c\.yaml:2: clusters\[0\]\.name: must be a DNS label/)]);
    expect(problems('clusters: []\npolicy:\n  rules:\n    - name: a\n      deny: [changes]\n      clusters: [prod]\n')).toEqual([
      '/c.yaml:1: clusters: must list at least one cluster (or leave it out for the default one)',
    ]);
  });

  it('names an unknown cluster with the default single cluster', () => {
    expect(problems('policy:\n  rules:\n    - name: a\n      deny: [changes]\n      clusters: [prod]\n')).toEqual([
      "/c.yaml:5: policy.rules[0].clusters[0]: unknown cluster 'prod': the configured clusters are kubernetes",
    ]);
  });

  it('lists every problem of the policy, the file and the environment in one error', () => {
    const yaml = `${CLUSTERS}policy:
  rules:
    - name: ops
      allow: [changes]
      clusters: [prd]
    - name: ops
      allow: [list]
      deny: [create]
    - name: bad
      users: [alice]
      alow: [list]
  approval:
    ttl: 2m
audit:
  maxEntries: 10
`;
    expect(problems(yaml, { SVCBOT_SELF_APPROVAL: 'nope' })).toEqual([
      `/c.yaml:${CLUSTER_LINES + 10}: policy.rules[2].users[0]: ${USER_HELP} (got "alice")`,
      `/c.yaml:${CLUSTER_LINES + 11}: policy.rules[2].alow: unknown setting (did you mean 'allow'?)`,
      `SVCBOT_SELF_APPROVAL: ${BOOLEAN_HELP} (got "nope")`,
      `/c.yaml:${CLUSTER_LINES + 15}: audit.maxEntries: must be a whole number from 100 to 1000000 (got 10)`,
      `/c.yaml:${CLUSTER_LINES + 5}: policy.rules[0].clusters[0]: unknown cluster 'prd' (did you mean 'prod'?)`,
      `/c.yaml:${CLUSTER_LINES + 6}: policy.rules[1].name: duplicate rule name 'ops' (also policy.rules[0])`,
      `/c.yaml:${CLUSTER_LINES + 6}: policy.rules[1]: has both allow and deny: a rule does one of them (make it two rules)`,
      `/c.yaml:${CLUSTER_LINES + 9}: policy.rules[2]: needs allow or deny: the subcommands it allows or denies ('*' for all)`,
    ]);
  });
});

describe('policy: the environment over the file', () => {
  const file = `policy:
  protectedNamespaces: [payments]
  approval:
    approvers: [U024BE7LH]
    channel: C024BE91L
    selfApproval: true
    ttl: 2h
audit:
  channel: C0AUD17LOG
`;
  const cases: [env: NodeJS.ProcessEnv, dotted: string, expected: unknown][] = [
    [{}, 'policy.approval.approvers', { users: ['U024BE7LH'], groups: [] }],
    [{ SVCBOT_APPROVERS: 'S0614TZR7' }, 'policy.approval.approvers', { users: [], groups: ['S0614TZR7'] }],
    [{}, 'policy.approval.channel', 'C024BE91L'],
    [{ SVCBOT_APPROVAL_CHANNEL: 'G012AB3CD' }, 'policy.approval.channel', 'G012AB3CD'],
    [{}, 'policy.approval.selfApproval', true],
    [{ SVCBOT_SELF_APPROVAL: 'false' }, 'policy.approval.selfApproval', false],
    [{}, 'policy.approval.ttlMs', 7_200_000],
    [{ SVCBOT_APPROVAL_TTL: '10m' }, 'policy.approval.ttlMs', 600_000],
    // The environment's list replaces the file's; the built-in ones stay either way.
    [{}, 'policy.protectedNamespaces', [...BUILT_IN, 'payments']],
    [{ SVCBOT_PROTECTED_NAMESPACES: 'billing,ledger' }, 'policy.protectedNamespaces', [...BUILT_IN, 'billing', 'ledger']],
    [{}, 'audit.channel', 'C0AUD17LOG'],
    [{ SVCBOT_ALLOW_WORLD_OPEN: 'true', SVCBOT_ALLOW_MAX_DURATION: '8h', SVCBOT_ALLOW_MIN_DURATION: '1s' }, 'policy.allow', { worldOpen: true, defaultDurationMs: 7_200_000, maxDurationMs: 28_800_000, minDurationMs: 1000 }],
    [{ SVCBOT_AUDIT_CHANNEL: 'G0AUD17LOG' }, 'audit.channel', 'G0AUD17LOG'],
    // Empty means unset: the file's value applies.
    [{ SVCBOT_APPROVERS: '', SVCBOT_SELF_APPROVAL: ' ' }, 'policy.approval', {
      needs: { createLoadBalancer: true, deleteLoadBalancer: true, deleteNodePort: true, allowIngress: true },
      approvers: { users: ['U024BE7LH'], groups: [] },
      selfApproval: true,
      ttlMs: 7_200_000,
      channel: 'C024BE91L',
    }],
  ];
  it.each(cases)('%j sets %s', (env, dotted, expected) => {
    expect(get(load(file, env), dotted)).toEqual(expected);
  });
});

describe("the README's policy example", () => {
  it('is a valid configuration with the clusters it names', () => {
    const readme = readFileSync(path.join(process.cwd(), 'README.md'), 'utf8');
    const example = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '').find((block) => block.startsWith('policy:'));
    expect(example).toBeDefined();
    const config = load(`clusters:\n  - name: prod\n    kubeconfig: /k/prod\n    clusterName: prod\n${example ?? ''}`);
    expect(config.policy.rules.map((r) => [r.name, r.effect])).toEqual([
      ['platform-anywhere', 'allow'],
      ['prod-changes-from-ops', 'allow'],
      ['no-prod-changes', 'deny'],
      ['no-deletes-for-contractors', 'deny'],
    ]);
    expect(config.policy.protectedNamespaces).toEqual([...BUILT_IN, 'payments']);
    expect(config.costs.elbHourlyUsd).toEqual({ 'us-east-1': 0.025, 'eu-west-1': 0.028 });
  });
});

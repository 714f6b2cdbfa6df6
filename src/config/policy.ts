/**
 * The policy settings: who may do what where (`policy.rules`), the namespaces svcbot makes no changes
 * in, what needs a second person's approval and who may give it, the audit log and the price table of
 * the cost estimates. Their zod schemas (wired into src/config/schema.ts), the rules across them (rule
 * names unique, allow or deny, known subcommands, configured clusters), and `toPolicy`, which builds
 * the domain's `Policy` (src/domain/policy.ts).
 */
import { z } from 'zod';
import { DEFAULT_ELB_HOURLY_USD } from '../domain/approvals.js';
import type { PriceTable } from '../domain/approvals.js';
import { DEFAULT_PROTECTED_NAMESPACES } from '../domain/policy.js';
import type { Policy, PolicyRule } from '../domain/policy.js';
import { didYouMean } from '../domain/suggest.js';
import { isRegion } from '../domain/grammar/validate.js';
import {
  approverId,
  boolean,
  channel,
  duration,
  field,
  fieldWithDefault,
  hourlyUsd,
  integer,
  isGroupId,
  isPlainObject,
  list,
  mapping,
  namespace,
  ruleName,
  slackChannelId,
  slackGroupId,
  slackUserId,
  word,
} from './fields.js';

/** What a rule's allow or deny may name: the subcommands, `changes` (every one that is not read-only) and `*` (all). */
const SUBCOMMANDS = ['help', 'create', 'expose', 'list', 'describe', 'type', 'delete', 'jobs', 'cancel', 'approvals', 'withdraw', 'approve', 'reject', 'audit', 'orphans', 'orphan', 'allow'];
const WORDS = [...SUBCOMMANDS, 'changes'];

const subcommands = z
  .array(field(word("must be a subcommand (like create or delete), changes or '*'")), list)
  .min(1, "must list at least one subcommand (or '*' for all)")
  .optional();

/** A rule's condition: left out = any; an empty list would match nothing, or everyone, and is refused. */
const condition = <T>(entry: z.ZodType<T>) => z.array(entry, list).min(1, 'must not be empty (leave it out to mean any)').optional();

export const ruleSchema = z.strictObject(
  {
    name: field(ruleName),
    allow: subcommands,
    deny: subcommands,
    users: condition(field(slackUserId)),
    groups: condition(field(slackGroupId)),
    channels: condition(field(slackChannelId)),
    clusters: condition(field(word('must be the name of a configured cluster'))),
    namespaces: condition(field(namespace)),
  },
  mapping,
);

export const needsSchema = z.strictObject(
  {
    createLoadBalancer: fieldWithDefault('policy.approval.needs.createLoadBalancer', boolean),
    deleteLoadBalancer: fieldWithDefault('policy.approval.needs.deleteLoadBalancer', boolean),
    deleteNodePort: fieldWithDefault('policy.approval.needs.deleteNodePort', boolean),
    allowIngress: fieldWithDefault('policy.approval.needs.allowIngress', boolean),
  },
  mapping,
);

export const approvalSchema = z.strictObject(
  {
    approvers: z.array(field(approverId), list).optional(),
    channel: field(channel),
    selfApproval: fieldWithDefault('policy.approval.selfApproval', boolean),
    // 1 minute to a week: time for a second person to see it, and not forever.
    ttl: fieldWithDefault('policy.approval.ttl', duration(1000, 7 * 24 * 3_600_000, '30m, 1h or 24h')),
    needs: needsSchema.prefault(() => ({})),
  },
  mapping,
);

/** `/svc allow`: whether everyone may be let in, and how long an opening may last (1 s to a week). */
const grantDuration = duration(1000, 7 * 24 * 3_600_000, '30m, 2h or 24h');
export const allowSchema = z.strictObject(
  {
    worldOpen: fieldWithDefault('policy.allow.worldOpen', boolean),
    defaultDuration: fieldWithDefault('policy.allow.defaultDuration', grantDuration),
    maxDuration: fieldWithDefault('policy.allow.maxDuration', grantDuration),
    minDuration: fieldWithDefault('policy.allow.minDuration', grantDuration),
  },
  mapping,
);

export const policySchema = z.strictObject(
  {
    rules: z.array(ruleSchema, list).optional(),
    protectedNamespaces: z.array(field(namespace), list).optional(),
    approval: approvalSchema.prefault(() => ({})),
    allow: allowSchema.prefault(() => ({})),
  },
  mapping,
);

export const auditSchema = z.strictObject(
  {
    channel: field(channel),
    maxEntries: fieldWithDefault('audit.maxEntries', integer(100, 1_000_000)),
  },
  mapping,
);

/** A region → USD an hour table of one kind of load balancer. */
const regionPrices = z
  .record(z.string().refine(isRegion), field(hourlyUsd), {
    error: (iss) => (iss.code === 'invalid_type' ? 'must be a mapping' : iss.code === 'invalid_key' ? 'must be an AWS region like us-east-1' : undefined),
  })
  .optional();

export const costsSchema = z.strictObject(
  {
    elbHourlyUsd: regionPrices,
    nlbHourlyUsd: regionPrices,
    albHourlyUsd: regionPrices,
  },
  mapping,
);

const CROSS = { crossCheck: true };

/**
 * Rules across the policy and the clusters: rule names are unique; a rule has allow or deny, not both;
 * it names known subcommands and, when `clusterNames` is given, configured clusters (undefined: the
 * clusters have problems of their own, already reported). Like the rules across clusters, it runs even
 * when single fields failed, and skips what failed (zod's "aborted" marker instead of a string).
 */
export function checkPolicy(policy: unknown, clusterNames: readonly string[] | undefined, ctx: z.RefinementCtx): void {
  checkAllowDurations(policy, ctx);
  if (!isPlainObject(policy) || !Array.isArray(policy.rules)) return;
  const byName = new Map<string, number>();
  (policy.rules as unknown[]).forEach((rule, i) => {
    if (!isPlainObject(rule)) return;
    const problem = (keys: readonly PropertyKey[], message: string) =>
      ctx.addIssue({ code: 'custom', params: CROSS, path: ['policy', 'rules', i, ...keys], message });
    if (typeof rule.name === 'string') {
      const first = byName.get(rule.name);
      if (first !== undefined) problem(['name'], `duplicate rule name '${rule.name}' (also policy.rules[${first}])`);
      else byName.set(rule.name, i);
    }
    const effects = (['allow', 'deny'] as const).filter((k) => rule[k] !== undefined);
    if (effects.length === 0) problem([], "needs allow or deny: the subcommands it allows or denies ('*' for all)");
    if (effects.length === 2) problem([], 'has both allow and deny: a rule does one of them (make it two rules)');
    for (const effect of effects) {
      const words = rule[effect];
      if (!Array.isArray(words)) continue;
      words.forEach((w: unknown, j) => {
        if (typeof w !== 'string') return;
        if (w === '*') {
          if (words.length > 1) problem([effect, j], "'*' stands for every subcommand: list it alone");
        } else if (!WORDS.includes(w)) {
          const suggestion = didYouMean(w, WORDS);
          problem(
            [effect, j],
            `unknown subcommand '${w}'` + (suggestion ? ` (did you mean '${suggestion}'?)` : `: one of ${WORDS.join(', ')} or '*'`),
          );
        }
      });
    }
    if (clusterNames !== undefined && Array.isArray(rule.clusters)) {
      rule.clusters.forEach((c: unknown, j) => {
        if (typeof c !== 'string' || clusterNames.includes(c)) return;
        const suggestion = didYouMean(c, clusterNames);
        problem(
          ['clusters', j],
          `unknown cluster '${c}'` + (suggestion ? ` (did you mean '${suggestion}'?)` : `: the configured clusters are ${clusterNames.join(', ')}`),
        );
      });
    }
  });
}

/** `policy.allow`: min <= default <= max, when all three are valid numbers (parsed or defaulted). */
function checkAllowDurations(policy: unknown, ctx: z.RefinementCtx): void {
  if (!isPlainObject(policy) || !isPlainObject(policy.allow)) return;
  const { minDuration, defaultDuration, maxDuration } = policy.allow;
  if (typeof minDuration !== 'number' || typeof defaultDuration !== 'number' || typeof maxDuration !== 'number') return;
  const problem = (key: string, message: string) => ctx.addIssue({ code: 'custom', params: CROSS, path: ['policy', 'allow', key], message });
  if (minDuration > maxDuration) problem('minDuration', 'must not be longer than policy.allow.maxDuration');
  else if (defaultDuration < minDuration || defaultDuration > maxDuration) problem('defaultDuration', 'must lie between policy.allow.minDuration and policy.allow.maxDuration');
}

type RawPolicy = z.output<typeof policySchema>;
type RawRule = z.output<typeof ruleSchema>;

function toRule(raw: RawRule): PolicyRule {
  const words = raw.allow ?? raw.deny ?? [];
  const rule: PolicyRule = { name: raw.name, effect: raw.allow !== undefined ? 'allow' : 'deny' };
  if (!words.includes('*')) rule.subcommands = words;
  if (raw.users) rule.users = raw.users;
  if (raw.groups) rule.groups = raw.groups;
  if (raw.channels) rule.channels = raw.channels;
  if (raw.clusters) rule.clusters = raw.clusters;
  if (raw.namespaces) rule.namespaces = raw.namespaces;
  return rule;
}

/** The domain's `Policy` of valid raw settings: the protected namespaces are the built-in ones and those configured. */
export function toPolicy(raw: RawPolicy): Policy {
  const { approvers = [], channel: approvalChannel, selfApproval, ttl, needs } = raw.approval;
  return {
    rules: (raw.rules ?? []).map(toRule),
    protectedNamespaces: [...new Set([...DEFAULT_PROTECTED_NAMESPACES, ...(raw.protectedNamespaces ?? [])])],
    approval: {
      needs: { ...needs },
      approvers: { users: approvers.filter((a) => !isGroupId(a)), groups: approvers.filter(isGroupId) },
      selfApproval,
      ttlMs: ttl,
      ...(approvalChannel === undefined ? {} : { channel: approvalChannel }),
    },
    allow: {
      worldOpen: raw.allow.worldOpen,
      defaultDurationMs: raw.allow.defaultDuration,
      maxDurationMs: raw.allow.maxDuration,
      minDurationMs: raw.allow.minDuration,
    },
  };
}

/** Without `costs.elbHourlyUsd`: us-east-1's price (the estimate uses it for regions not listed, too). */
export const DEFAULT_PRICES: PriceTable = { 'us-east-1': DEFAULT_ELB_HOURLY_USD };

/** Without `costs.nlbHourlyUsd` / `costs.albHourlyUsd`: us-east-1's price of an NLB or ALB hour (capacity units extra). */
export const DEFAULT_V2_PRICES: PriceTable = { 'us-east-1': 0.0225 };

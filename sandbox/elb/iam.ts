/**
 * The sandbox's IAM policy evaluation for the Elastic Load Balancing APIs, written from the IAM
 * documentation ("Policy evaluation logic"): a request is allowed when some statement with
 * `"Effect": "Allow"` matches its action (`elasticloadbalancing:DeleteLoadBalancer`; `*` and `?`
 * wildcards, case-insensitive) and resource, and no `"Effect": "Deny"` statement matches: an explicit
 * deny wins, and no match at all is the implicit deny. Resources are matched as ARNs with the same
 * wildcards (a classic load balancer's ARN when the request names one, else `*`).
 *
 * A statement's `Condition` is evaluated for the resource-tag keys (`aws:ResourceTag/KEY`, and EC2's
 * `ec2:ResourceTag/KEY`) with the operators `StringEquals` and `StringLike` (several values: any one; several
 * keys or operators: all must hold; a tag the resource does not have: the condition does not hold, so
 * the statement does not apply). Any other condition key or operator, `NotAction` and `NotResource` are
 * refused when the policy is loaded, rather than silently ignored.
 */

/** Account and role the sandbox's callers appear as in AccessDenied messages. */
const SANDBOX_PRINCIPAL = 'arn:aws:sts::123456789012:assumed-role/svcbot/sandbox';

interface Statement {
  effect: 'Allow' | 'Deny';
  actions: RegExp[];
  resources: RegExp[];
  /** Every one must hold: the tag `tagKey` of the resource matches one of `values`. */
  conditions: { tagKey: string; values: RegExp[] }[];
}

/** What a request acts on, beyond its ARN: the resource's tags (for `aws:ResourceTag/…` conditions). */
export interface RequestContext {
  resourceTags?: ReadonlyMap<string, string> | readonly (readonly [string, string])[];
}

const CONDITION_OPERATORS = new Set(['StringEquals', 'StringLike']);
const RESOURCE_TAG_KEY = /^(?:aws|ec2):ResourceTag\/(.+)$/i;

function conditionsOf(raw: unknown, where: string): Statement['conditions'] {
  if (raw === undefined) return [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`IAM policy: ${where} must be an object`);
  return Object.entries(raw as Record<string, unknown>).flatMap(([operator, block]) => {
    if (!CONDITION_OPERATORS.has(operator)) throw new Error(`IAM policy: ${where}: the sandbox does not evaluate the condition operator ${operator}`);
    if (typeof block !== 'object' || block === null || Array.isArray(block)) throw new Error(`IAM policy: ${where}.${operator} must be an object`);
    return Object.entries(block as Record<string, unknown>).map(([key, value]) => {
      const tagKey = RESOURCE_TAG_KEY.exec(key)?.[1];
      if (tagKey === undefined) throw new Error(`IAM policy: ${where}.${operator}: the sandbox does not evaluate the condition key ${key}`);
      const values = list(value, `${where}.${operator}.${key}`);
      // StringEquals compares exactly (case-sensitive); StringLike takes * and ? (also case-sensitive).
      const exact = (v: string) => new RegExp(`^${v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
      const like = (v: string) => new RegExp(`^${v.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
      return { tagKey, values: values.map(operator === 'StringEquals' ? exact : like) };
    });
  });
}

/** A denial, worded as AWS words it. */
interface IamDenial {
  message: string;
}

const list = (value: unknown, where: string): string[] => {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  throw new Error(`IAM policy: ${where} must be a string or a list of strings`);
};

/** `*` and `?` as IAM means them, case-insensitive (for actions; ARNs are compared the same way here). */
function wildcard(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

export class IamPolicy {
  private readonly statements: Statement[];

  constructor(json: string) {
    let doc: unknown;
    try {
      doc = JSON.parse(json);
    } catch (err) {
      throw new Error(`IAM policy: not JSON: ${(err as Error).message}`, { cause: err });
    }
    const raw = (doc as { Statement?: unknown } | null)?.Statement;
    const statements = Array.isArray(raw) ? (raw as unknown[]) : raw === undefined ? [] : [raw];
    this.statements = statements.map((s, i) => {
      const st = s as Record<string, unknown>;
      const where = `Statement[${i}]`;
      for (const unsupported of ['NotAction', 'NotResource', 'NotPrincipal']) {
        if (unsupported in st) throw new Error(`IAM policy: ${where}: the sandbox does not evaluate ${unsupported}`);
      }
      if (st.Effect !== 'Allow' && st.Effect !== 'Deny') throw new Error(`IAM policy: ${where}: Effect must be "Allow" or "Deny"`);
      return {
        effect: st.Effect,
        actions: list(st.Action, `${where}.Action`).map(wildcard),
        resources: list(st.Resource ?? '*', `${where}.Resource`).map(wildcard),
        conditions: conditionsOf(st.Condition, `${where}.Condition`),
      };
    });
  }

  /** Undefined when `action` (e.g. `elasticloadbalancing:DescribeTags`) on `resource` (an ARN, or `*`) is allowed. */
  check(action: string, resource: string, context: RequestContext = {}): IamDenial | undefined {
    const tags = new Map(context.resourceTags ?? []);
    const holds = (s: Statement) =>
      s.conditions.every((c) => {
        const value = tags.get(c.tagKey);
        return value !== undefined && c.values.some((v) => v.test(value));
      });
    const applies = (s: Statement) => s.actions.some((a) => a.test(action)) && s.resources.some((r) => r.test(resource)) && holds(s);
    const matching = this.statements.filter(applies);
    const onResource = resource === '*' ? '' : ` on resource: ${resource}`;
    if (matching.some((s) => s.effect === 'Deny')) {
      return { message: `User: ${SANDBOX_PRINCIPAL} is not authorized to perform: ${action}${onResource} with an explicit deny in an identity-based policy` };
    }
    if (matching.some((s) => s.effect === 'Allow')) return undefined;
    return { message: `User: ${SANDBOX_PRINCIPAL} is not authorized to perform: ${action}${onResource} because no identity-based policy allows the ${action} action` };
  }
}

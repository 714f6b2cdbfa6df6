/**
 * The sandbox apiserver's RBAC authorizer, written from the Kubernetes RBAC documentation
 * (https://kubernetes.io/docs/reference/access-authn-authz/rbac/): Roles and ClusterRoles hold rules,
 * RoleBindings and ClusterRoleBindings grant them to subjects. A request is allowed when a rule of a
 * role bound to the user matches its verb, API group, resource (`services`, `services/status`),
 * name and namespace:
 * - a ClusterRoleBinding grants its ClusterRole's rules in every namespace and at the cluster scope;
 * - a RoleBinding grants its Role's (same namespace) or ClusterRole's rules in its own namespace only;
 * - `*` matches any verb, group or resource; a rule resource `*` + `/status` any resource's `status` subresource;
 *   `resourceNames` limits a rule to those objects (so it never matches `list` or `create`, which
 *   name none);
 * - a service account `system:serviceaccount:NS:NAME` is in the groups `system:serviceaccounts`,
 *   `system:serviceaccounts:NS` and `system:authenticated`.
 * The bootstrap policy every cluster has is built in: anyone authenticated may read the discovery
 * documents (system:discovery) and ask what they may do (system:basic-user: SelfSubjectAccessReview).
 */
import { parseAllDocuments } from 'yaml';

/** What the authorizer decides on (the apiserver's authorizer.Attributes, for resource requests). */
export interface ResourceAttributes {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  name?: string;
  /** Empty or absent: a cluster-scoped request (or one across all namespaces). */
  namespace?: string;
}

interface PolicyRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames: string[];
  nonResourceURLs: string[];
}

interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

interface Binding {
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  name: string;
  namespace: string;
  roleRef: { kind: string; name: string };
  subjects: Subject[];
}

interface Decision {
  allowed: boolean;
  /** Why, in the RBAC authorizer's words (`RBAC: allowed by ClusterRoleBinding "x" of ClusterRole "y" to ServiceAccount "ns/n"`). */
  reason: string;
}

/** Thrown for a policy file the sandbox cannot use (not YAML, a document without a kind or name, a bad rule). */
class RbacPolicyError extends Error {}

const strings = (value: unknown, where: string): string[] => {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new RbacPolicyError(`${where}: expected a list of strings`);
  return value as string[];
};

const record = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

/** Roles, ClusterRoles and their bindings, parsed from YAML documents; other kinds are ignored. */
export class RbacPolicy {
  private readonly roles = new Map<string, PolicyRule[]>();
  private readonly clusterRoles = new Map<string, PolicyRule[]>();
  private readonly bindings: Binding[] = [];

  constructor(yamlText: string) {
    for (const doc of parseAllDocuments(yamlText)) {
      if (doc.errors.length > 0) throw new RbacPolicyError(`RBAC policy: ${doc.errors[0]!.message}`);
      const obj = record(doc.toJS());
      if (Object.keys(obj).length === 0) continue;
      const kind = obj.kind;
      const meta = record(obj.metadata);
      const name = typeof meta.name === 'string' ? meta.name : '';
      const namespace = typeof meta.namespace === 'string' ? meta.namespace : 'default';
      const where = `${String(kind)} "${name}"`;
      if (kind === 'Role' || kind === 'ClusterRole') {
        if (!name) throw new RbacPolicyError(`RBAC policy: a ${kind} without metadata.name`);
        const rules = (Array.isArray(obj.rules) ? obj.rules : []).map((r, i) => parseRule(record(r), `${where} rules[${i}]`));
        if (kind === 'Role') this.roles.set(`${namespace}/${name}`, rules);
        else this.clusterRoles.set(name, rules);
      } else if (kind === 'RoleBinding' || kind === 'ClusterRoleBinding') {
        if (!name) throw new RbacPolicyError(`RBAC policy: a ${kind} without metadata.name`);
        const ref = record(obj.roleRef);
        if (typeof ref.kind !== 'string' || typeof ref.name !== 'string') throw new RbacPolicyError(`RBAC policy: ${where} has no roleRef kind and name`);
        if (kind === 'ClusterRoleBinding' && ref.kind !== 'ClusterRole') throw new RbacPolicyError(`RBAC policy: ${where} may only reference a ClusterRole`);
        const subjects = (Array.isArray(obj.subjects) ? obj.subjects : []).map((s) => {
          const subject = record(s);
          return {
            kind: typeof subject.kind === 'string' ? subject.kind : '',
            name: typeof subject.name === 'string' ? subject.name : '',
            ...(typeof subject.namespace === 'string' ? { namespace: subject.namespace } : {}),
          };
        });
        this.bindings.push({ kind, name, namespace: kind === 'RoleBinding' ? namespace : '', roleRef: { kind: ref.kind, name: ref.name }, subjects });
      }
    }
  }

  /** Whether `user` may do what `attrs` describe. */
  authorize(user: string, attrs: ResourceAttributes): Decision {
    if (attrs.group === 'authorization.k8s.io' && attrs.verb === 'create' && /^selfsubject(access|rules)reviews$/.test(attrs.resource)) {
      return { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "system:basic-user" of ClusterRole "system:basic-user" to Group "system:authenticated"' };
    }
    const groups = groupsOf(user);
    const namespace = attrs.namespace ?? '';
    for (const binding of this.bindings) {
      if (binding.kind === 'RoleBinding' && binding.namespace !== namespace) continue;
      const subject = binding.subjects.find((s) => subjectMatches(s, user, groups, binding.namespace));
      if (!subject) continue;
      const rules =
        binding.roleRef.kind === 'Role' ? this.roles.get(`${binding.namespace}/${binding.roleRef.name}`) : this.clusterRoles.get(binding.roleRef.name);
      if (!rules?.some((rule) => ruleAllows(rule, attrs))) continue;
      const scope = binding.kind === 'RoleBinding' ? `RoleBinding "${binding.name}/${binding.namespace}"` : `ClusterRoleBinding "${binding.name}"`;
      return { allowed: true, reason: `RBAC: allowed by ${scope} of ${binding.roleRef.kind} "${binding.roleRef.name}" to ${describeSubject(subject)}` };
    }
    return { allowed: false, reason: '' };
  }

  /** Whether `user` may `verb` the non-resource `path` (`/version`, `/healthz`, ...). */
  authorizePath(user: string, verb: string, path: string): Decision {
    if (verb === 'get' && isDiscoveryPath(path)) {
      return { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "system:discovery" of ClusterRole "system:discovery" to Group "system:authenticated"' };
    }
    const groups = groupsOf(user);
    for (const binding of this.bindings) {
      if (binding.kind !== 'ClusterRoleBinding') continue; // non-resource URLs are granted cluster-wide only
      if (!binding.subjects.some((s) => subjectMatches(s, user, groups, ''))) continue;
      const rules = this.clusterRoles.get(binding.roleRef.name) ?? [];
      if (rules.some((r) => matches(r.verbs, verb) && r.nonResourceURLs.some((u) => u === '*' || u === path || (u.endsWith('*') && path.startsWith(u.slice(0, -1)))))) {
        return { allowed: true, reason: `RBAC: allowed by ClusterRoleBinding "${binding.name}"` };
      }
    }
    return { allowed: false, reason: '' };
  }
}

function parseRule(rule: Record<string, unknown>, where: string): PolicyRule {
  const parsed = {
    verbs: strings(rule.verbs, `${where}.verbs`),
    apiGroups: strings(rule.apiGroups, `${where}.apiGroups`),
    resources: strings(rule.resources, `${where}.resources`),
    resourceNames: strings(rule.resourceNames, `${where}.resourceNames`),
    nonResourceURLs: strings(rule.nonResourceURLs, `${where}.nonResourceURLs`),
  };
  if (parsed.verbs.length === 0) throw new RbacPolicyError(`RBAC policy: ${where}: verbs must not be empty`);
  return parsed;
}

const matches = (list: string[], value: string): boolean => list.includes('*') || list.includes(value);

function ruleAllows(rule: PolicyRule, attrs: ResourceAttributes): boolean {
  if (!matches(rule.verbs, attrs.verb) || !matches(rule.apiGroups, attrs.group)) return false;
  const sub = attrs.subresource ?? '';
  const combined = sub ? `${attrs.resource}/${sub}` : attrs.resource;
  const resourceOk = rule.resources.some((r) => r === '*' || r === combined || (sub !== '' && r === `*/${sub}`));
  if (!resourceOk) return false;
  return rule.resourceNames.length === 0 || (attrs.name !== undefined && attrs.name !== '' && rule.resourceNames.includes(attrs.name));
}

function groupsOf(user: string): string[] {
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(user);
  return sa ? ['system:serviceaccounts', `system:serviceaccounts:${sa[1]}`, 'system:authenticated'] : ['system:authenticated'];
}

function subjectMatches(subject: Subject, user: string, groups: string[], bindingNamespace: string): boolean {
  switch (subject.kind) {
    case 'User':
      return subject.name === user;
    case 'Group':
      return groups.includes(subject.name);
    case 'ServiceAccount':
      // A RoleBinding's ServiceAccount subject without a namespace means the binding's own.
      return user === `system:serviceaccount:${subject.namespace ?? bindingNamespace}:${subject.name}`;
    default:
      return false;
  }
}

function describeSubject(subject: Subject): string {
  return subject.kind === 'ServiceAccount' ? `ServiceAccount "${subject.namespace ?? ''}/${subject.name}"` : `${subject.kind} "${subject.name}"`;
}

/** The paths the bootstrap ClusterRoles system:discovery and system:public-info-viewer open to everyone. */
function isDiscoveryPath(path: string): boolean {
  const clean = path.replace(/\/+$/, '') || '/';
  return (
    ['/api', '/apis', '/version', '/openapi', '/healthz', '/livez', '/readyz'].includes(clean) ||
    /^\/(api|apis|openapi)\//.test(clean)
  );
}

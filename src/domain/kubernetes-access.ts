/**
 * What svcbot does on a Kubernetes cluster, as RBAC: every verb its adapters use
 * (src/adapters/kubernetes.ts, kubernetes-watch.ts), why, and whether it is about one namespace's
 * objects or the cluster's. One table for the RBAC svcbot ships (`svcbot rbac` writes it;
 * manifests/rbac/cluster-wide/rbac.yaml is its output) and for the start-up check that asks the API
 * server whether svcbot has each permission. Nothing else: the end-to-end tests run under the
 * generated RBAC, so a call missing here fails a test.
 */
import { Document, type Node, isMap, isSeq } from 'yaml';

export interface KubernetesPermission {
  /** API group ('' for the core group). */
  group: string;
  resource: string;
  verbs: readonly string[];
  /** `namespace`: objects of a namespace (a Role in a namespaced install); `cluster`: objects with no namespace. */
  scope: 'namespace' | 'cluster';
  /** Why svcbot needs it (a comment over the rule). */
  why: string;
}

export const KUBERNETES_PERMISSIONS: readonly KubernetesPermission[] = [
  {
    group: '',
    resource: 'services',
    verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'],
    scope: 'namespace',
    why:
      'create, type changes (merge patch), delete, describe, list; `watch`: the worker lists and watches the\n' +
      'Services (src/adapters/kubernetes-watch.ts) to wake load-balancer jobs. Without it every watch is refused\n' +
      'and the worker re-lists every Service every few seconds instead.',
  },
  { group: '', resource: 'nodes', verbs: ['list'], scope: 'cluster', why: 'node addresses for NodePort endpoints (nodes belong to no namespace)' },
  { group: '', resource: 'events', verbs: ['list'], scope: 'namespace', why: 'recent Events in describe' },
  { group: 'discovery.k8s.io', resource: 'endpointslices', verbs: ['list'], scope: 'namespace', why: 'the ready endpoints behind a Service in describe' },
  { group: 'apps', resource: 'deployments', verbs: ['get'], scope: 'namespace', why: '`expose deployment/NAME` copies the deployment\'s selector' },
];

/** The service account svcbot runs as. */
export interface ServiceAccountRef {
  namespace: string;
  name: string;
}

export const DEFAULT_SERVICE_ACCOUNT: ServiceAccountRef = { namespace: 'svcbot', name: 'svcbot' };

interface RbacObject {
  apiVersion: string;
  kind: 'ClusterRole' | 'ClusterRoleBinding' | 'Role' | 'RoleBinding';
  metadata: { name: string; namespace?: string };
  rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
  roleRef?: { apiGroup: string; kind: string; name: string };
  subjects?: { kind: string; name: string; namespace: string }[];
}

const RBAC_API = 'rbac.authorization.k8s.io/v1';

function rulesOf(permissions: readonly KubernetesPermission[]) {
  return permissions.map((p) => ({ apiGroups: [p.group], resources: [p.resource], verbs: [...p.verbs] }));
}

function binding(kind: 'ClusterRoleBinding' | 'RoleBinding', roleKind: 'ClusterRole' | 'Role', name: string, account: ServiceAccountRef, namespace?: string): RbacObject {
  return {
    apiVersion: RBAC_API,
    kind,
    metadata: { name, ...(namespace === undefined ? {} : { namespace }) },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name },
    subjects: [{ kind: 'ServiceAccount', name: account.name, namespace: account.namespace }],
  };
}

/**
 * The RBAC objects that grant svcbot's service account exactly KUBERNETES_PERMISSIONS: one ClusterRole
 * for every namespace; or, with `namespaces` (a namespaced install), a Role and RoleBinding in each of
 * them and a ClusterRole for the cluster-scoped reads only (nodes).
 */
function rbacObjects(namespaces: readonly string[] | undefined, account: ServiceAccountRef = DEFAULT_SERVICE_ACCOUNT): RbacObject[] {
  if (namespaces === undefined) {
    return [
      { apiVersion: RBAC_API, kind: 'ClusterRole', metadata: { name: account.name }, rules: rulesOf(KUBERNETES_PERMISSIONS) },
      binding('ClusterRoleBinding', 'ClusterRole', account.name, account),
    ];
  }
  const nodesRole = `${account.name}-nodes`;
  const namespaced = KUBERNETES_PERMISSIONS.filter((p) => p.scope === 'namespace');
  return [
    { apiVersion: RBAC_API, kind: 'ClusterRole', metadata: { name: nodesRole }, rules: rulesOf(KUBERNETES_PERMISSIONS.filter((p) => p.scope === 'cluster')) },
    binding('ClusterRoleBinding', 'ClusterRole', nodesRole, account),
    ...namespaces.flatMap((namespace): RbacObject[] => [
      { apiVersion: RBAC_API, kind: 'Role', metadata: { name: account.name, namespace }, rules: rulesOf(namespaced) },
      binding('RoleBinding', 'Role', account.name, account, namespace),
    ]),
  ];
}

/** Each rule's `why` as a comment over it, and its lists on one line (`verbs: [get, list]`). */
function shapeRules(doc: Document): void {
  const rules = doc.get('rules', true) as Node | undefined;
  if (!isSeq(rules)) return;
  for (const item of rules.items) {
    if (!isMap(item)) continue;
    for (const pair of item.items) if (isSeq(pair.value)) pair.value.flow = true;
    const resource = (item.toJSON() as { resources: string[] }).resources[0];
    const why = KUBERNETES_PERMISSIONS.find((p) => p.resource === resource)?.why;
    if (why) item.commentBefore = why.split('\n').map((l) => ` ${l}`).join('\n');
  }
}

/** rbacObjects as a multi-document YAML file, with a header saying where it comes from. */
export function rbacYaml(namespaces: readonly string[] | undefined, account: ServiceAccountRef = DEFAULT_SERVICE_ACCOUNT): string {
  const scope = namespaces === undefined ? 'every namespace (a ClusterRole)' : `namespaces ${namespaces.join(', ')} (a Role in each; nodes are read cluster-wide)`;
  const header = [
    `svcbot's Kubernetes permissions in ${scope}, for service account ${account.namespace}/${account.name}.`,
    'Written by `svcbot rbac` from the configuration (its `namespaces` setting): regenerate it rather than edit it.',
    'Least privilege, proven by running under it: the end-to-end tests run with the sandbox enforcing this RBAC.',
    'No services/status, no writes to endpoints or endpointslices, no wildcards, no secrets.',
  ];
  const docs = rbacObjects(namespaces, account).map((object, i) => {
    const doc = new Document(object);
    if (i === 0) doc.commentBefore = header.map((l) => ` ${l}`).join('\n');
    shapeRules(doc);
    return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
  });
  return docs.join('---\n');
}

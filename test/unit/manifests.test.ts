/**
 * manifests/ stays true to the code and to least privilege. That the RBAC and the IAM policy grant
 * enough is proven elsewhere, by running under them: the end-to-end tests' sandbox enforces both
 * (test/helpers/bot.ts). Here: the RBAC never grants what the issue rules out (a regex over the adapter
 * once missed the Service watch's `watch`), the IAM policy allows exactly the ELB actions the ELB
 * adapters send and the EC2 actions (read-only) the EC2 adapter sends, the Slack app exactly the bot scopes of the Web API methods the Slack adapters call (HTTP
 * and Socket Mode variants). The install itself (the kustomize output) is checked in kustomize.test.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { rbacYaml } from '../../src/domain/kubernetes-access.js';

const root = resolve(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(resolve(root, path), 'utf8');

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
  verbs: string[];
}

interface RbacDoc {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

const SHIPPED_RBAC = 'manifests/rbac/cluster-wide/rbac.yaml';
const docsOf = (yaml: string) => parseAllDocuments(yaml).map((d) => d.toJS() as RbacDoc);
const rulesOf = (docs: RbacDoc[]) => docs.filter((d) => d.kind === 'ClusterRole' || d.kind === 'Role').flatMap((d) => d.rules ?? []);
const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection'];

test(`${SHIPPED_RBAC} is what \`svcbot rbac\` writes for every namespace (regenerate it, do not edit it)`, () => {
  expect(read(SHIPPED_RBAC)).toBe(rbacYaml(undefined));
});

describe('a namespaced install (`svcbot rbac` with namespaces)', () => {
  const docs = docsOf(rbacYaml(['team-a', 'team-b']));

  test('Services, Events, EndpointSlices and Deployments are granted by a Role in each listed namespace, and nowhere else', () => {
    const roles = docs.filter((d) => d.kind === 'Role');
    expect(roles.map((r) => r.metadata.namespace)).toEqual(['team-a', 'team-b']);
    for (const role of roles) expect(role.rules!.map((r) => r.resources![0]).sort()).toEqual(['deployments', 'endpointslices', 'events', 'services']);
    const bindings = docs.filter((d) => d.kind === 'RoleBinding');
    expect(bindings.map((b) => [b.metadata.namespace, b.roleRef])).toEqual([
      ['team-a', { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'svcbot' }],
      ['team-b', { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'svcbot' }],
    ]);
  });

  test('cluster-wide, it may only list nodes (which have no namespace)', () => {
    const clusterRoles = docs.filter((d) => d.kind === 'ClusterRole');
    expect(clusterRoles.map((r) => [r.metadata.name, r.rules])).toEqual([['svcbot-nodes', [{ apiGroups: [''], resources: ['nodes'], verbs: ['list'] }]]]);
  });
});

describe.each([
  ['as shipped (every namespace)', () => docsOf(read(SHIPPED_RBAC))],
  ['of a namespaced install', () => docsOf(rbacYaml(['team-a', 'team-b']))],
])('the RBAC %s grants nothing the issue rules out', (_, rbacDocs) => {
  test('it binds its roles to the service account svcbot/svcbot, which the end-to-end tests run as', () => {
    const docs = rbacDocs();
    const bindings = docs.filter((d) => d.kind === 'ClusterRoleBinding' || d.kind === 'RoleBinding');
    expect(bindings.length).toBeGreaterThan(0);
    for (const b of bindings) expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: 'svcbot', namespace: 'svcbot' }]);
    const roles = new Set(docs.filter((d) => d.kind === 'ClusterRole' || d.kind === 'Role').map((d) => d.metadata.name));
    for (const b of bindings) expect(roles).toContain(b.roleRef!.name);
  });

  test('no wildcards: every verb, API group and resource is named', () => {
    const wild = rulesOf(rbacDocs()).filter((r) =>
      [...r.verbs, ...(r.apiGroups ?? []), ...(r.resources ?? []), ...(r.nonResourceURLs ?? [])].some((v) => v.includes('*')),
    );
    expect(wild).toEqual([]);
  });

  test('never services/status (CVE-2020-8554: a Service status may claim any load balancer IP), nor any other status', () => {
    const resources = rulesOf(rbacDocs()).flatMap((r) => r.resources ?? []);
    expect(resources.filter((r) => r.includes('/'))).toEqual([]);
  });

  test('never write access to endpoints or endpointslices (CVE-2021-25740: they could point a Service anywhere)', () => {
    const writes = rulesOf(rbacDocs()).filter(
      (r) => (r.resources ?? []).some((res) => res === 'endpoints' || res === 'endpointslices') && r.verbs.some((v) => WRITE_VERBS.includes(v)),
    );
    expect(writes).toEqual([]);
  });

  test('no secrets, no RBAC objects, no impersonation or escalation', () => {
    const rules = rulesOf(rbacDocs());
    expect(rules.filter((r) => (r.resources ?? []).includes('secrets'))).toEqual([]);
    expect(rules.filter((r) => (r.apiGroups ?? []).includes('rbac.authorization.k8s.io'))).toEqual([]);
    expect(rules.filter((r) => r.verbs.some((v) => ['impersonate', 'escalate', 'bind'].includes(v)))).toEqual([]);
  });

  test('the Service watch svcbot keeps (src/adapters/kubernetes-watch.ts) is granted: list and watch on services', () => {
    const services = rulesOf(rbacDocs()).filter((r) => (r.apiGroups ?? []).includes('') && (r.resources ?? []).includes('services'));
    const verbs = new Set(services.flatMap((r) => r.verbs));
    expect(verbs).toContain('list');
    expect(verbs).toContain('watch');
  });
});

/** Every adapter that talks to an ELB API: the Service load balancers' gateway, the orphan scan, the removal. */
const ELB_ADAPTERS = readdirSync(resolve(root, 'src/adapters'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => `src/adapters/${f}`)
  .filter((file) => read(file).includes("from '@aws-sdk/client-elastic-load-balancing"));

test('the IAM policy allows exactly the ELB actions the ELB adapters send (classic and v2 share the IAM names)', () => {
  const policy = JSON.parse(read('manifests/iam-policy.json')) as { Statement: { Action: string[] }[] };
  const allowed = policy.Statement.flatMap((s) => s.Action).sort();
  // The commands each adapter imports from the two ELB SDKs (by their SDK names, whatever they are called there).
  const used = ELB_ADAPTERS.flatMap((file) =>
    [...read(file).matchAll(/import \{([^}]*)\} from '@aws-sdk\/client-elastic-load-balancing(?:-v2)?'/g)].flatMap((m) =>
      m[1]!.split(',').map((spec) => /^\s*(\w+)Command\b/.exec(spec)?.[1]).filter((name): name is string => name !== undefined),
    ),
  );
  expect(allowed.filter((a) => a.startsWith('elasticloadbalancing:'))).toEqual([...new Set(used.map((name) => `elasticloadbalancing:${name}`))].sort());
});

/** Every adapter that talks to the EC2 API (the nodes' security groups). */
const EC2_ADAPTERS = readdirSync(resolve(root, 'src/adapters'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => `src/adapters/${f}`)
  .filter((file) => read(file).includes("from '@aws-sdk/client-ec2'"));

test('the IAM policy allows exactly the EC2 actions the EC2 adapters send, and no other service than ELB and EC2', () => {
  const policy = JSON.parse(read('manifests/iam-policy.json')) as { Statement: { Action: string[] }[] };
  const allowed = policy.Statement.flatMap((s) => s.Action).sort();
  const used = EC2_ADAPTERS.flatMap((file) =>
    [...read(file).matchAll(/import \{([^}]*)\} from '@aws-sdk\/client-ec2'/g)].flatMap((m) =>
      m[1]!.split(',').map((spec) => /^\s*(\w+)Command\b/.exec(spec)?.[1]).filter((name): name is string => name !== undefined),
    ),
  );
  expect(EC2_ADAPTERS.length).toBeGreaterThan(0);
  expect(allowed.filter((a) => a.startsWith('ec2:'))).toEqual([...new Set(used.map((name) => `ec2:${name}`))].sort());
  expect(allowed.filter((a) => !a.startsWith('ec2:') && !a.startsWith('elasticloadbalancing:'))).toEqual([]);
  // Every EC2 action svcbot may call describes, but `/svc allow`'s two, which change security groups' inbound rules only.
  expect(allowed.filter((a) => a.startsWith('ec2:') && !a.startsWith('ec2:Describe'))).toEqual(['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress']);
});

test('the EC2 actions that change anything are scoped to security groups, not every resource', () => {
  const policy = JSON.parse(read('manifests/iam-policy.json')) as { Statement: { Action: string[]; Resource: string | string[] }[] };
  const writing = policy.Statement.filter((s) => s.Action.some((a) => a.startsWith('ec2:') && !a.startsWith('ec2:Describe')));
  expect(writing.length).toBeGreaterThan(0);
  for (const s of writing) expect([s.Resource].flat()).toEqual(['arn:aws:ec2:*:*:security-group/*']);
});

test("the EC2 actions that change anything apply only to groups tagged for the install's cluster (CLUSTER_NAME, filled in at install)", () => {
  const policy = JSON.parse(read('manifests/iam-policy.json')) as { Statement: { Action: string[]; Condition?: unknown }[] };
  const writing = policy.Statement.filter((s) => s.Action.some((a) => a.startsWith('ec2:') && !a.startsWith('ec2:Describe')));
  for (const s of writing) {
    expect(s.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/kubernetes.io/cluster/CLUSTER_NAME': ['owned', 'shared'] } });
  }
  // Every other statement has no condition: a placeholder left unfilled can only ever refuse.
  expect(policy.Statement.filter((s) => s.Condition !== undefined)).toEqual(writing);
});

test('the IAM policy names every action (no wildcards) and says why each statement is there (its Sid)', () => {
  const policy = JSON.parse(read('manifests/iam-policy.json')) as { Statement: { Sid?: string; Effect: string; Action: string[]; Resource: string }[] };
  for (const s of policy.Statement) {
    expect(s.Sid).toMatch(/^[A-Za-z0-9]{8,}$/);
    expect(s.Effect).toBe('Allow');
    expect(s.Action.filter((a) => a.includes('*'))).toEqual([]);
  }
});

/** The bot scopes each Web API method svcbot calls needs (none: any token may call it). */
const SCOPE_OF: Record<string, string[]> = {
  'auth.test': [],
  'chat.postEphemeral': ['chat:write'],
  'chat.postMessage': ['chat:write'],
  'chat.update': ['chat:write'],
  // Public and private channels (svcbot posts in both).
  'conversations.history': ['channels:history', 'groups:history'],
  'conversations.replies': ['channels:history', 'groups:history'],
  'usergroups.users.list': ['usergroups:read'],
  'users.info': ['users:read'],
};

interface SlackAppManifest {
  features: { slash_commands: { command: string; url?: string }[] };
  oauth_config: { scopes: { bot: string[] } };
  settings: { interactivity: { is_enabled: boolean; request_url?: string }; socket_mode_enabled: boolean };
}

/** The bot scopes svcbot needs: `commands` receives /svc; the rest is what the Web API calls need. */
function neededScopes(): string[] {
  const dir = 'src/adapters/slack';
  const called = new Set(
    readdirSync(resolve(root, dir))
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => [...read(`${dir}/${f}`).matchAll(/client\.([a-z]+(?:\.[a-zA-Z]+)+)\(/g)].map((m) => m[1]!)),
  );
  expect(called).toContain('usergroups.users.list');
  const unknown = [...called].filter((method) => !(method in SCOPE_OF));
  expect(unknown).toEqual([]); // a new Web API method: add it, with its scope, to SCOPE_OF
  return [...new Set(['commands', ...[...called].flatMap((method) => SCOPE_OF[method] ?? [])])].sort();
}

const readSlackApp = (file: string) => parseAllDocuments(read(file))[0]!.toJS() as SlackAppManifest;

test('the HTTP Slack app manifest sends /svc and interactivity to /slack/events with the least scopes', () => {
  const app = readSlackApp('manifests/slack-app.yaml');
  expect(app.settings.socket_mode_enabled).toBe(false);
  expect(app.features.slash_commands[0]!.command).toBe('/svc');
  expect(new URL(app.features.slash_commands[0]!.url!).pathname).toBe('/slack/events');
  expect(app.settings.interactivity.is_enabled).toBe(true);
  expect(new URL(app.settings.interactivity.request_url!).pathname).toBe('/slack/events');
  const granted = [...app.oauth_config.scopes.bot].sort();
  expect(granted).toEqual(neededScopes());
  expect(granted).toEqual(['channels:history', 'chat:write', 'commands', 'groups:history', 'usergroups:read', 'users:read']);
});

test('the Socket Mode Slack app manifest: no URLs, the same /svc, interactivity and least scopes', () => {
  const app = readSlackApp('manifests/slack-app-socket-mode.yaml');
  const http = readSlackApp('manifests/slack-app.yaml');
  expect(app.settings.socket_mode_enabled).toBe(true);
  expect(app.features.slash_commands.map((c) => c.url)).toEqual([undefined]);
  expect(app.features.slash_commands[0]!.command).toBe(http.features.slash_commands[0]!.command);
  expect(app.settings.interactivity).toEqual({ is_enabled: true });
  expect([...app.oauth_config.scopes.bot].sort()).toEqual(neededScopes());
});

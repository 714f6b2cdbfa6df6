/**
 * manifests/ stays true to the code: the ClusterRole grants exactly the (verb, resource) pairs the
 * Kubernetes adapter calls, the IAM policy exactly the ELB actions the ELB adapters send, the Slack app
 * exactly the bot scopes of the Web API methods the Slack adapters call.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

const root = resolve(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(resolve(root, path), 'utf8');

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

test('the ClusterRole grants exactly what src/adapters/kubernetes.ts uses', () => {
  const docs = parseAllDocuments(read('manifests/rbac.yaml')).map((d) => d.toJS() as { kind: string; rules?: Rule[] });
  const role = docs.find((d) => d.kind === 'ClusterRole');
  const granted = new Set(role!.rules!.flatMap((r) => r.resources.flatMap((res) => r.verbs.map((v) => `${v} ${res}`))));

  const adapter = read('src/adapters/kubernetes.ts');
  const used = new Set([...adapter.matchAll(/verb: '(\w+)', resource: '(\w+)'/g)].map((m) => `${m[1]} ${m[2]}`));
  // setServiceType reads the Service before patching it ({ ...ctx, verb: 'get' }).
  if (adapter.includes("{ ...ctx, verb: 'get' }")) used.add('get services');
  expect(used.size).toBeGreaterThan(5);
  expect([...granted].sort()).toEqual([...used].sort());
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
  expect(allowed).toEqual([...new Set(used.map((name) => `elasticloadbalancing:${name}`))].sort());
});

test('the Deployment runs as non-root with a read-only root filesystem and probes /healthz', () => {
  const docs = parseAllDocuments(read('manifests/deployment.yaml')).map((d) => d.toJS() as Record<string, never>);
  const deployment = docs.find((d) => d['kind'] === 'Deployment') as unknown as {
    spec: { template: { spec: { securityContext: { runAsNonRoot: boolean }; containers: { securityContext: Record<string, unknown>; readinessProbe: { httpGet: { path: string } } }[] } } };
  };
  const pod = deployment.spec.template.spec;
  expect(pod.securityContext.runAsNonRoot).toBe(true);
  expect(pod.containers[0]!.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
  expect(pod.containers[0]!.readinessProbe.httpGet.path).toBe('/healthz');
});

/** The bot scope each Web API method svcbot calls needs (none: any token may call it). */
const SCOPE_OF: Record<string, string | undefined> = {
  'auth.test': undefined,
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'usergroups.users.list': 'usergroups:read',
  'users.info': 'users:read',
};

test('the Slack app manifest sends /svc and interactivity to /slack/events with the least scopes', () => {
  const app = parseAllDocuments(read('manifests/slack-app.yaml'))[0]!.toJS() as {
    features: { slash_commands: { command: string; url: string }[] };
    oauth_config: { scopes: { bot: string[] } };
    settings: { interactivity: { is_enabled: boolean; request_url: string } };
  };
  expect(app.features.slash_commands[0]!.command).toBe('/svc');
  expect(new URL(app.features.slash_commands[0]!.url).pathname).toBe('/slack/events');
  expect(new URL(app.settings.interactivity.request_url).pathname).toBe('/slack/events');
  const dir = 'src/adapters/slack';
  const called = new Set(
    readdirSync(resolve(root, dir))
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => [...read(`${dir}/${f}`).matchAll(/client\.([a-z]+(?:\.[a-zA-Z]+)+)\(/g)].map((m) => m[1]!)),
  );
  expect(called).toContain('usergroups.users.list');
  const unknown = [...called].filter((method) => !(method in SCOPE_OF));
  expect(unknown).toEqual([]); // a new Web API method: add it, with its scope, to SCOPE_OF
  // `commands` receives /svc; the rest is what the Web API calls need.
  const needed = new Set(['commands', ...[...called].flatMap((method) => SCOPE_OF[method] ?? [])]);
  const granted = [...app.oauth_config.scopes.bot].sort();
  expect(granted).toEqual([...needed].sort());
  expect(granted).toEqual(['chat:write', 'commands', 'usergroups:read', 'users:read']);
});

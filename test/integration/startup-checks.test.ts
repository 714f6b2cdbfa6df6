/**
 * The start-up permission checks (src/adapters/health/startup.ts) against a sandbox that enforces RBAC and
 * IAM: manifests/'s RBAC and IAM policy pass without a word; a policy missing grants gets one error line
 * per missing permission, naming it and the cluster or region. And the list of Kubernetes permissions the
 * check asks about is complete: the Kubernetes adapters, run under exactly those grants, are refused
 * nothing (the sandbox lists every refusal).
 */
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { createKubernetesServiceWatch } from '../../src/adapters/kubernetes-watch.js';
import { checkAws, checkKubernetes } from '../../src/adapters/health/startup.js';
import { KUBERNETES_PERMISSIONS, rbacYaml } from '../../src/domain/kubernetes-access.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../sandbox/index.js';
import { clusterGatewayContract } from '../contract/cluster-gateway.contract.js';
import { sandboxKubeConfig, startSandboxTarget, type SandboxTarget } from '../contract/sandbox-fixtures.js';
import { capturingLogger, type LoggedLine } from '../contract/schedules.contract.js';
import { waitFor } from '../helpers/wait.js';

const root = resolve(import.meta.dirname, '../..');
const MANIFEST_RBAC = readFileSync(resolve(root, 'manifests/rbac/cluster-wide/rbac.yaml'), 'utf8');
const MANIFEST_IAM_POLICY = readFileSync(resolve(root, 'manifests/iam-policy.json'), 'utf8');
/** Who svcbot runs as (manifests/base/service-account.yaml). */
const SERVICE_ACCOUNT = 'system:serviceaccount:svcbot:svcbot';
const CLUSTER = 'prod-eu';

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
}

/** manifests/rbac/cluster-wide/rbac.yaml with `drop` taken out of every rule that grants it (a rule left with no verb goes). */
function manifestRbacWithout(drop: { verb: string; resource: string }[]): string {
  return parseAllDocuments(MANIFEST_RBAC)
    .map((d) => d.toJS() as { kind: string; rules?: Rule[] })
    .map((doc) => {
      if (!doc.rules) return doc;
      const rules = doc.rules
        .map((r) => ({ ...r, verbs: r.verbs.filter((v) => !drop.some((d) => d.verb === v && (r.resources ?? []).includes(d.resource))) }))
        .filter((r) => r.verbs.length > 0);
      return { ...doc, rules };
    })
    .map((doc) => stringify(doc))
    .join('---\n');
}

const sandboxes: Sandbox[] = [];
afterEach(async () => {
  for (const s of sandboxes.splice(0)) await s.close();
});

async function sandboxWith(options: SandboxOptions): Promise<Sandbox> {
  const sandbox = await startSandbox({ kubeconfigPath: null, nodes: 1, ...options });
  sandboxes.push(sandbox);
  return sandbox;
}

/** What checkKubernetes logs for the sandbox's kubeconfig (svcbot's identity under the sandbox's RBAC). */
async function kubernetesCheck(sandbox: Sandbox, namespaces?: readonly string[]): Promise<LoggedLine[]> {
  const lines: LoggedLine[] = [];
  await checkKubernetes(CLUSTER, sandboxKubeConfig(sandbox), capturingLogger(lines), namespaces);
  return lines;
}

describe('checkKubernetes under an enforced RBAC', () => {
  test("manifests/rbac/cluster-wide/rbac.yaml grants everything it asks about: it logs nothing", async () => {
    const sandbox = await sandboxWith({ rbac: { yaml: MANIFEST_RBAC, as: SERVICE_ACCOUNT } });
    expect(await kubernetesCheck(sandbox)).toEqual([]);
    expect(sandbox.refusals).toEqual([]);
  });

  test('an RBAC without watch on services and list on nodes: exactly those two error lines, naming the cluster', async () => {
    const yaml = manifestRbacWithout([
      { verb: 'watch', resource: 'services' },
      { verb: 'list', resource: 'nodes' },
    ]);
    const sandbox = await sandboxWith({ rbac: { yaml, as: SERVICE_ACCOUNT } });
    const lines = await kubernetesCheck(sandbox);
    expect(lines).toEqual([
      {
        level: 'error',
        obj: { cluster: CLUSTER, permission: 'watch services' },
        msg: `cluster ${CLUSTER}: svcbot's service account may not watch services; grant it (\`svcbot rbac\` writes it) or those commands fail with 403`,
      },
      {
        level: 'error',
        obj: { cluster: CLUSTER, permission: 'list nodes' },
        msg: `cluster ${CLUSTER}: svcbot's service account may not list nodes; grant it (\`svcbot rbac\` writes it) or those commands fail with 403`,
      },
    ]);
    // Asking is not doing: SelfSubjectAccessReviews are never refusals.
    expect(sandbox.refusals).toEqual([]);
  });

  test("a namespaced install: asked in each configured namespace; a namespace the Roles miss is named, verb by verb", async () => {
    const sandbox = await sandboxWith({ rbac: { yaml: rbacYaml(['team-a']), as: SERVICE_ACCOUNT } });
    expect(await kubernetesCheck(sandbox, ['team-a'])).toEqual([]);
    const missing = (await kubernetesCheck(sandbox, ['team-a', 'team-b'])).map((l) => [l.level, l.obj.permission]);
    expect(missing).toEqual(
      ['get services', 'list services', 'watch services', 'create services', 'patch services', 'delete services', 'list events', 'list endpointslices.discovery.k8s.io', 'get deployments.apps'].map(
        (p) => ['error', `${p} in namespace team-b`],
      ),
    );
  });

  test('a permission in a named API group is named with its group', async () => {
    const sandbox = await sandboxWith({ rbac: { yaml: manifestRbacWithout([{ verb: 'list', resource: 'endpointslices' }]), as: SERVICE_ACCOUNT } });
    expect((await kubernetesCheck(sandbox)).map((l) => [l.level, l.obj.permission])).toEqual([['error', 'list endpointslices.discovery.k8s.io']]);
  });
});

describe('checkAws under an enforced IAM policy', () => {
  const client = (sandbox: Sandbox) =>
    new ElasticLoadBalancingClient({ region: sandbox.info.region, endpoint: sandbox.info.elbEndpoint, credentials: { accessKeyId: 'svcbot', secretAccessKey: 'svcbot' }, maxAttempts: 1 });

  test('manifests/iam-policy.json: it logs nothing', async () => {
    const sandbox = await sandboxWith({ iamPolicy: MANIFEST_IAM_POLICY });
    const lines: LoggedLine[] = [];
    await checkAws(sandbox.info.region, client(sandbox), capturingLogger(lines));
    expect(lines).toEqual([]);
  });

  test('a policy without elasticloadbalancing:DescribeLoadBalancers: one error line naming the region and the refusal', async () => {
    const policy = JSON.parse(MANIFEST_IAM_POLICY) as { Statement: { Action: string[] }[] };
    for (const s of policy.Statement) s.Action = s.Action.filter((a) => a !== 'elasticloadbalancing:DescribeLoadBalancers');
    const sandbox = await sandboxWith({ iamPolicy: JSON.stringify(policy) });
    const lines: LoggedLine[] = [];
    await checkAws(sandbox.info.region, client(sandbox), capturingLogger(lines));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'error', obj: { region: sandbox.info.region, code: 'AccessDenied' } });
    expect(lines[0]!.msg).toMatch(new RegExp(`^AWS: DescribeLoadBalancers in ${sandbox.info.region} failed \\(AccessDenied: .*elasticloadbalancing:DescribeLoadBalancers.*\\): check svcbot's AWS credentials \\(IRSA role\\) and its IAM policy$`));
    expect(sandbox.refusals).toHaveLength(1);
  });
});

/*
 * The list is complete: the Kubernetes adapters do everything they do (the ClusterGateway contract, and
 * the worker's Service watch) under the ClusterRole `svcbot rbac` writes from KUBERNETES_PERMISSIONS, and the
 * sandbox refuses none of their requests. A verb an adapter starts to use without the list growing fails here.
 */
let exact: SandboxTarget | undefined;
clusterGatewayContract('Kubernetes adapter under exactly the permissions the start-up check asks about', async () => {
  exact = await startSandboxTarget({ clusterName: 'exact-grants', rbac: { yaml: rbacYaml(undefined), as: SERVICE_ACCOUNT } });
  return { gateway: exact.registry.get().cluster, teardown: () => Promise.resolve() };
});

describe('the permissions the start-up check asks about are all the Kubernetes adapters need', () => {
  afterAll(() => exact?.close());

  test('the Service watch lists and watches under them', async () => {
    const watch = createKubernetesServiceWatch({ kubeConfig: () => sandboxKubeConfig(exact!.sandbox), minBackoffMs: 20, maxBackoffMs: 200 });
    try {
      await watch.ready('exact-grants');
      await waitFor(() => watch.stats('exact-grants').watches >= 1, { what: 'the watch request' });
      expect(watch.stats('exact-grants').failures).toBe(0);
    } finally {
      await watch.close();
    }
  });

  test('the sandbox refused none of their requests (the contract above and the watch)', () => {
    expect(exact?.sandbox.refusals).toEqual([]);
  });

  test('and the check itself finds nothing missing there', async () => {
    const lines: LoggedLine[] = [];
    await checkKubernetes('exact-grants', sandboxKubeConfig(exact!.sandbox), capturingLogger(lines));
    expect(lines).toEqual([]);
  });
});

test('every permission the check asks about is a real API resource the sandbox serves', async () => {
  // A misspelt resource would be "allowed" by no RBAC and reported missing forever; this keeps the list honest.
  const sandbox = await sandboxWith({});
  const discover = async <T>(path: string): Promise<T> => (await (await fetch(`${sandbox.info.kubeApi}${path}`)).json()) as T;
  type Resources = { resources: { name: string }[] };
  const served = new Set((await discover<Resources>('/api/v1')).resources.map((r) => `${r.name}.`));
  const { groups } = await discover<{ groups: { name: string; preferredVersion: { groupVersion: string } }[] }>('/apis');
  for (const g of groups) {
    for (const r of (await discover<Resources>(`/apis/${g.preferredVersion.groupVersion}`)).resources) served.add(`${r.name}.${g.name}`);
  }
  for (const p of KUBERNETES_PERMISSIONS) expect(served).toContain(`${p.resource}.${p.group}`);
});

/**
 * The install in manifests/: what `kubectl apply -k manifests/overlays/…` sends (rendered by
 * test/helpers/kustomize.ts, no kubectl needed) is valid Kubernetes: kubernetes-models' validators
 * (types, required fields, formats) and its TypeScript interfaces (no field the schema does not know,
 * test/helpers/kube-typecheck.ts), both generated from the Kubernetes OpenAPI schemas. And it is
 * safe and consistent with svcbot itself: non-root, read-only, no capabilities, probes on the ports
 * svcbot serves them on, a grace period longer than svcbot's own shutdown limit, memory for the
 * image's heap budget, Redis as BullMQ needs it.
 * The examples in manifests/examples/ validate the same way.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { loadConfig } from '../../src/config/index.js';
import { rbacYaml } from '../../src/domain/kubernetes-access.js';
import { typeErrors } from '../helpers/kube-typecheck.js';
import { kustomize, type KubeObject } from '../helpers/kustomize.js';

const root = resolve(import.meta.dirname, '../..');
const OVERLAYS = ['in-cluster-redis', 'elasticache'] as const;
const rendered = Object.fromEntries(OVERLAYS.map((o) => [o, kustomize(resolve(root, 'manifests/overlays', o))])) as Record<(typeof OVERLAYS)[number], KubeObject[]>;

/** The kubernetes-models class of each apiVersion/kind manifests/ holds: validate() throws naming every schema violation. */
const MODELS: Readonly<Record<string, new (data: never) => { validate(): void }>> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
};

/** Validates `object` against the Kubernetes schema of its apiVersion and kind (kubernetes-models' validators). */
function validate(object: KubeObject): void {
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (Model === undefined) throw new Error(`no schema for ${object.apiVersion} ${object.kind}: add its kubernetes-models class to MODELS`);
  new Model(object as never).validate();
}

function find(objects: KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the rendered output`);
  return found;
}

interface Probe {
  httpGet?: { path: string; port: string | number };
  exec?: { command: string[] };
  tcpSocket?: { port: string | number };
}
interface Container {
  name: string;
  image?: string;
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  envFrom?: { secretRef?: { name: string } }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; privileged?: boolean; capabilities?: { drop?: string[]; add?: string[] } };
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface PodSpec {
  serviceAccountName?: string;
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
  containers: Container[];
  volumes?: { name: string; configMap?: { name: string } }[];
}
type Workload = KubeObject & { spec: { replicas?: number; selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } } };

const workloads = (objects: KubeObject[]) => objects.filter((o): o is Workload => o.kind === 'Deployment' || o.kind === 'StatefulSet');

/** Bytes of a Kubernetes memory quantity (Mi, Gi, M, or plain bytes). */
function bytes(quantity: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|k|M|G)?$/.exec(quantity);
  if (!m) throw new Error(`not a memory quantity: ${quantity}`);
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, k: 1e3, M: 1e6, G: 1e9 }[m[2] ?? ''] ?? 1;
  return Number(m[1]) * unit;
}

test('schema validation refuses what the API server would: a wrong type, a missing required field, an unknown kind', () => {
  const web = structuredClone(find(rendered['in-cluster-redis'], 'Deployment', 'svcbot-web')) as Workload;
  web.spec.template.spec.containers[0]!.ports = [{ name: 'http', containerPort: '3000' as unknown as number }];
  expect(() => validate(web)).toThrow(/containerPort must be integer/);
  const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' }, spec: { ports: [{ targetPort: 80 }] } };
  expect(() => validate(svc)).toThrow(/ports\/0 must have required property port/);
  expect(() => validate({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } })).toThrow(/add its kubernetes-models class/);
});

test('the strict field check finds a misspelled field at any depth, as the API server would refuse it', () => {
  const web = structuredClone(find(rendered['in-cluster-redis'], 'Deployment', 'svcbot-web')) as Workload;
  const container = web.spec.template.spec.containers[0] as Container & { readinesProbe?: unknown };
  container.readinesProbe = container.readinessProbe;
  const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' }, spec: { ports: [{ port: 80, targetport: 8080 }] } };
  const errors = typeErrors([web, svc], root);
  expect(errors).toHaveLength(2);
  expect(errors[0]).toMatch(/^Deployment\/svcbot-web: .*'"readinesProbe"' does not exist in type 'IContainer'/s);
  expect(errors[1]).toMatch(/^Service\/x: .*'"targetport"' does not exist/s);
});

describe.each(OVERLAYS)('overlay %s', (overlay) => {
  const objects = rendered[overlay];

  test('every rendered object validates against the Kubernetes schemas', () => {
    expect(objects.length).toBeGreaterThan(10);
    for (const object of objects) expect(() => validate(object)).not.toThrow();
  });

  test('no rendered object has a field its schema does not know, nor a value of the wrong type', () => {
    expect(typeErrors(objects, root)).toEqual([]);
  });

  test('everything namespaced is in the svcbot namespace, which enforces the restricted Pod Security profile', () => {
    const ns = find(objects, 'Namespace', 'svcbot');
    expect(ns.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    const clusterScoped = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);
    for (const o of objects) expect([o.kind, o.metadata.name, o.metadata.namespace]).toEqual([o.kind, o.metadata.name, clusterScoped.has(o.kind) ? undefined : 'svcbot']);
  });

  test('web and worker: two replicas each, under the svcbot service account, with a PodDisruptionBudget', () => {
    for (const [name, role] of [['svcbot-web', 'web'], ['svcbot-worker', 'worker']] as const) {
      const d = find(objects, 'Deployment', name) as Workload;
      expect(d.spec.replicas).toBeGreaterThanOrEqual(2);
      expect(d.spec.template.spec.serviceAccountName).toBe('svcbot');
      expect(d.spec.template.spec.containers[0]!.args).toEqual([role]);
      const pdb = find(objects, 'PodDisruptionBudget', name) as KubeObject & { spec: { minAvailable: number; selector: { matchLabels: Record<string, string> } } };
      expect(pdb.spec.selector.matchLabels).toEqual(d.spec.selector.matchLabels);
      expect(pdb.spec.minAvailable).toBeLessThan(d.spec.replicas!); // a node drain can proceed
    }
    const sa = find(objects, 'ServiceAccount', 'svcbot');
    expect(sa.metadata.annotations?.['eks.amazonaws.com/role-arn']).toMatch(/^arn:aws:iam::\d{12}:role\//);
    const binding = find(objects, 'ClusterRoleBinding', 'svcbot') as KubeObject & { subjects: { kind: string; name: string; namespace: string }[] };
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'svcbot', namespace: 'svcbot' }]);
  });

  test('every pod runs non-root, read-only, without privilege escalation or capabilities, under RuntimeDefault seccomp', () => {
    expect(workloads(objects).length).toBe(overlay === 'in-cluster-redis' ? 3 : 2);
    for (const w of workloads(objects)) {
      const pod = w.spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
      for (const c of pod.containers) {
        expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
        expect(c.securityContext?.privileged).toBeUndefined();
        expect(c.securityContext?.capabilities?.add).toBeUndefined();
        expect(c.readinessProbe).toBeDefined();
        expect(c.livenessProbe).toBeDefined();
        expect(c.resources?.requests?.['memory']).toBeDefined();
        expect(c.resources?.limits?.['memory']).toBeDefined();
      }
    }
  });

  test('svcbot pods: probes on the port svcbot serves them on, grace beyond its 10 s shutdown, memory for its 192 MB heap', () => {
    const dockerfile = readFileSync(resolve(root, 'Dockerfile'), 'utf8');
    const heapMb = Number(/--max-old-space-size=(\d+)/.exec(dockerfile)![1]);
    for (const [name, portName, port] of [['svcbot-web', 'http', 3000], ['svcbot-worker', 'health', 8081]] as const) {
      const pod = (find(objects, 'Deployment', name) as Workload).spec.template.spec;
      const c = pod.containers[0]!;
      expect(c.image).toBe('svcbot:latest'); // images: in manifests/base/kustomization.yaml
      expect(c.ports).toContainEqual({ name: portName, containerPort: port });
      expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: portName });
      expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: portName });
      // svcbot gives up 10 s after SIGTERM (JOB_SHUTDOWN_GRACE ≤ 8 s + 2 s); the web's preStop pause comes first.
      const preStop = c.lifecycle?.preStop?.exec?.command;
      const pause = preStop?.[0] === 'sleep' ? Number(preStop[1]) : 0;
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(Math.max(15, pause + 10 + 5));
      // Measured: ~245 MB resident at a full 192 MB heap; leave room above that.
      const limit = bytes(c.resources!.limits!['memory']!);
      expect(limit).toBeGreaterThanOrEqual(heapMb * 2 ** 20 * 1.6);
      expect(limit).toBeGreaterThanOrEqual(245e6 * 1.2);
      expect(bytes(c.resources!.requests!['memory']!)).toBeLessThanOrEqual(limit);
      // Configuration from the ConfigMap, secrets from Secrets only.
      expect(c.env).toContainEqual({ name: 'SVCBOT_CONFIG', value: '/etc/svcbot/config.yaml' });
      expect(c.env).toContainEqual({ name: 'REDIS_URL', valueFrom: { secretKeyRef: { name: 'svcbot-redis', key: 'REDIS_URL' } } });
      expect(c.envFrom).toEqual([{ secretRef: { name: 'svcbot-slack' } }]);
      expect(pod.volumes).toContainEqual({ name: 'config', configMap: { name: 'svcbot-config' } });
      for (const e of c.env ?? []) expect(e.name).not.toMatch(/^SLACK_(BOT|APP)_TOKEN$|^SLACK_SIGNING_SECRET$/);
    }
    expect((find(objects, 'Deployment', 'svcbot-worker') as Workload).spec.template.spec.containers[0]!.env).toContainEqual({ name: 'HEALTH_PORT', value: '8081' });
  });

  test("the ConfigMap's config.yaml is a valid svcbot configuration, with a shutdown grace inside svcbot's limit", () => {
    const cm = find(objects, 'ConfigMap', 'svcbot-config') as KubeObject & { data: Record<string, string> };
    const file = '/etc/svcbot/config.yaml';
    const config = loadConfig({ SVCBOT_CONFIG: file }, (path) => {
      expect(path).toBe(file);
      return cm.data['config.yaml']!;
    });
    expect(config.jobs.shutdownGraceMs).toBeLessThanOrEqual(8000);
  });

  test('the web Service sends port 80 to the web pods’ http port; Slack tokens are in no rendered object', () => {
    const svc = find(objects, 'Service', 'svcbot-web') as KubeObject & { spec: { selector: Record<string, string>; ports: { port: number; targetPort: string }[] } };
    const web = find(objects, 'Deployment', 'svcbot-web') as Workload;
    expect(svc.spec.selector).toEqual(web.spec.template.metadata.labels);
    expect(svc.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http' }]);
    expect(objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name)).toEqual(overlay === 'in-cluster-redis' ? ['svcbot-redis'] : []);
    expect(JSON.stringify(objects)).not.toMatch(/xox[bpa]-|xapp-/);
  });

  test('NetworkPolicies: web takes ingress on 3000 only, the worker on 8081 only; egress is DNS, 443 and Redis', () => {
    type Peer = { podSelector?: { matchLabels: Record<string, string> }; ipBlock?: { cidr: string } };
    type Rule = { from?: Peer[]; to?: Peer[]; ports?: { protocol: string; port: number }[] };
    type Policy = KubeObject & { spec: { podSelector: { matchLabels: Record<string, string> }; policyTypes: string[]; ingress?: Rule[]; egress?: Rule[] } };
    const policies = objects.filter((o): o is Policy => o.kind === 'NetworkPolicy');
    const selects = (p: Policy, labels: Record<string, string>) => Object.entries(p.spec.podSelector.matchLabels).every(([k, v]) => labels[k] === v);
    for (const [name, port] of [['svcbot-web', 3000], ['svcbot-worker', 8081]] as const) {
      const labels = (find(objects, 'Deployment', name) as Workload).spec.template.metadata.labels;
      const mine = policies.filter((p) => selects(p, labels));
      expect(mine.some((p) => p.spec.policyTypes.includes('Ingress'))).toBe(true);
      expect(mine.some((p) => p.spec.policyTypes.includes('Egress'))).toBe(true);
      const ingress = mine.flatMap((p) => p.spec.ingress ?? []);
      expect(ingress.flatMap((r) => r.ports ?? [])).toEqual([{ protocol: 'TCP', port }]);
      const egressPorts = mine.flatMap((p) => p.spec.egress ?? []).flatMap((r) => (r.ports ?? []).map((p) => `${p.protocol}/${p.port}`));
      expect(new Set(egressPorts)).toEqual(new Set(['UDP/53', 'TCP/53', 'TCP/443', 'TCP/6379']));
    }
    const client = find(objects, 'NetworkPolicy', 'svcbot-redis-client') as Policy;
    const redisPeer = client.spec.egress![0]!.to![0]!;
    if (overlay === 'in-cluster-redis') {
      expect(redisPeer.podSelector?.matchLabels).toEqual({ 'app.kubernetes.io/name': 'svcbot-redis' });
      expect((find(objects, 'StatefulSet', 'svcbot-redis') as Workload).spec.template.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'svcbot-redis' });
      // Redis itself: only svcbot's pods reach it, it reaches nobody.
      const redisPolicy = find(objects, 'NetworkPolicy', 'svcbot-redis') as Policy;
      expect(redisPolicy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
      expect(redisPolicy.spec.egress ?? []).toEqual([]);
      expect(redisPolicy.spec.ingress).toEqual([{ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'svcbot' } } }], ports: [{ protocol: 'TCP', port: 6379 }] }]);
    } else {
      expect(redisPeer.ipBlock?.cidr).toMatch(/^\d+\.\d+\.\d+\.\d+\/\d+$/);
    }
  });
});

test('a namespaced install: the RBAC `svcbot rbac` writes validates, and binds the service account the overlays run svcbot as', () => {
  const objects = parseAllDocuments(rbacYaml(['team-a', 'team-b'])).map((d) => d.toJS() as KubeObject);
  expect(objects.map((o) => o.kind)).toEqual(['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'Role', 'RoleBinding']);
  for (const object of objects) expect(() => validate(object)).not.toThrow();
  expect(typeErrors(objects, root)).toEqual([]);
  const account = find(kustomize(resolve(root, 'manifests/overlays/in-cluster-redis')), 'ServiceAccount', 'svcbot');
  for (const binding of objects.filter((o) => o.kind.endsWith('Binding'))) {
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: account.metadata.name, namespace: account.metadata.namespace }]);
  }
});

test('in-cluster Redis: AOF persistence on a volume, noeviction, reached through its Service at the REDIS_URL svcbot gets', () => {
  const objects = rendered['in-cluster-redis'];
  const redis = find(objects, 'StatefulSet', 'svcbot-redis') as Workload & { spec: { volumeClaimTemplates: { metadata: { name: string } }[] } };
  const args = redis.spec.template.spec.containers[0]!.args!;
  const option = (name: string) => args[args.indexOf(`--${name}`) + 1];
  expect(option('appendonly')).toBe('yes');
  expect(option('maxmemory-policy')).toBe('noeviction');
  expect(option('dir')).toBe('/data');
  expect(redis.spec.volumeClaimTemplates.map((v) => v.metadata.name)).toEqual(['data']);
  expect(redis.spec.template.spec.containers[0]!.volumeMounts).toContainEqual({ name: 'data', mountPath: '/data' });

  const svc = find(objects, 'Service', 'svcbot-redis') as KubeObject & { spec: { selector: Record<string, string>; ports: { port: number }[] } };
  expect(Object.entries(svc.spec.selector).every(([k, v]) => redis.spec.template.metadata.labels[k] === v)).toBe(true);
  const secret = find(objects, 'Secret', 'svcbot-redis') as KubeObject & { data: Record<string, string> };
  const url = new URL(Buffer.from(secret.data['REDIS_URL']!, 'base64').toString());
  expect([url.protocol, url.hostname, Number(url.port)]).toEqual(['redis:', `${svc.metadata.name}.svcbot.svc.cluster.local`, svc.spec.ports[0]!.port]);
});

test('ElastiCache: no Redis in the cluster; the Secret template gives a TLS rediss:// REDIS_URL', () => {
  const objects = rendered.elasticache;
  expect(objects.filter((o) => o.kind === 'StatefulSet' || o.metadata.name === 'svcbot-redis')).toEqual([]);
  const template = parseAllDocuments(readFileSync(resolve(root, 'manifests/overlays/elasticache/redis-secret.template.yaml'), 'utf8'))[0]!.toJS() as KubeObject & { stringData: Record<string, string> };
  expect(() => validate(template)).not.toThrow();
  expect(typeErrors([template], root)).toEqual([]);
  expect(template.metadata).toMatchObject({ name: 'svcbot-redis', namespace: 'svcbot' });
  expect(new URL(template.stringData['REDIS_URL']!).protocol).toBe('rediss:');
});

test('ElastiCache with cluster mode on: both Deployments take REDIS_PASSWORD from the svcbot-redis Secret (an optional key), and the template\'s line for it makes a configuration svcbot accepts', () => {
  const fromSecret = { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'svcbot-redis', key: 'REDIS_PASSWORD', optional: true } } };
  for (const name of ['svcbot-web', 'svcbot-worker']) {
    const env = (find(rendered.elasticache, 'Deployment', name) as Workload).spec.template.spec.containers[0]!.env;
    expect(env).toContainEqual(fromSecret);
    expect(env?.filter((e) => e.name === 'REDIS_PASSWORD')).toHaveLength(1);
    // The in-cluster Redis has no password.
    expect((find(rendered['in-cluster-redis'], 'Deployment', name) as Workload).spec.template.spec.containers[0]!.env?.map((e) => e.name)).not.toContain('REDIS_PASSWORD');
  }

  const text = readFileSync(resolve(root, 'manifests/overlays/elasticache/redis-secret.template.yaml'), 'utf8');
  expect(text).toMatch(/^ {2}# REDIS_PASSWORD: REPLACE_WITH_AUTH_TOKEN$/m);
  const filled = parseAllDocuments(text.replace(/^ {2}# (REDIS_PASSWORD: )REPLACE_WITH_AUTH_TOKEN$/m, '  $1s3cret-token'))[0]!.toJS() as KubeObject & { stringData: Record<string, string> };
  expect(() => validate(filled)).not.toThrow();
  expect(Object.keys(filled.stringData).sort()).toEqual(['REDIS_PASSWORD', 'REDIS_URL']);

  // What the pods then run with: the shipped config.yaml with the configuration endpoint and TLS (README
  // "Install on EKS"), REDIS_URL and REDIS_PASSWORD from the Secret.
  const shipped = (find(rendered.elasticache, 'ConfigMap', 'svcbot-config') as KubeObject & { data: Record<string, string> }).data['config.yaml']!;
  const clusterMode = `${shipped}\nredisClusterNodes: [clustercfg.example.use1.cache.amazonaws.com:6379]\nredisTls: true\n`;
  const file = '/etc/svcbot/config.yaml';
  const config = loadConfig({ SVCBOT_CONFIG: file, ...filled.stringData }, () => clusterMode);
  expect([config.redisPassword, config.redisTls, config.redisClusterNodes]).toEqual(['s3cret-token', true, [{ host: 'clustercfg.example.use1.cache.amazonaws.com', port: 6379 }]]);
  // Cluster mode off (config.yaml as shipped), the key must stay out of the Secret: svcbot says so.
  expect(() => loadConfig({ SVCBOT_CONFIG: file, ...filled.stringData }, () => shipped)).toThrow(/REDIS_PASSWORD|redisPassword/);
  expect(() => loadConfig({ SVCBOT_CONFIG: file, ...filled.stringData }, () => shipped)).not.toThrow(/s3cret-token/);
});

test('the Slack Secret template holds placeholders for exactly the tokens svcbot reads', () => {
  const template = parseAllDocuments(readFileSync(resolve(root, 'manifests/slack-secret.template.yaml'), 'utf8'))[0]!.toJS() as KubeObject & { stringData: Record<string, string> };
  expect(() => validate(template)).not.toThrow();
  expect(typeErrors([template], root)).toEqual([]);
  expect(template.metadata).toMatchObject({ name: 'svcbot-slack', namespace: 'svcbot' });
  expect(Object.keys(template.stringData).sort()).toEqual(['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET']);
  for (const value of Object.values(template.stringData)) expect(value).toMatch(/REPLACE/);
});

test('manifests/examples: the tutorial Services (ClusterIP 8080 → 80, NodePort, LoadBalancer) select the alpine Deployment, and all validate', () => {
  const dir = resolve(root, 'manifests/examples');
  const objects = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((f) => parseAllDocuments(readFileSync(resolve(dir, f), 'utf8')).map((d) => [f, d.toJS() as KubeObject] as const));
  for (const [, object] of objects) expect(() => validate(object)).not.toThrow();
  expect(typeErrors(objects.map(([, o]) => o), root)).toEqual([]);

  type ServiceObject = KubeObject & { spec: { type: string; selector: Record<string, string>; ports: { port: number; targetPort: number }[] } };
  const services = Object.fromEntries(objects.filter(([, o]) => o.kind === 'Service').map(([f, o]) => [f, o as ServiceObject]));
  expect(Object.entries(services).map(([f, s]) => [f, s.spec.type])).toEqual([
    ['loadBalancerService.yaml', 'LoadBalancer'],
    ['nodePortService.yaml', 'NodePort'],
    ['service.yaml', 'ClusterIP'],
  ]);
  const deployment = objects.find(([, o]) => o.kind === 'Deployment')![1] as Workload;
  const containerPorts = deployment.spec.template.spec.containers.flatMap((c) => (c.ports ?? []).map((p) => p.containerPort));
  for (const svc of Object.values(services)) {
    expect(svc.spec.selector).toEqual({ app: 'alpine' });
    expect(svc.spec.ports.map((p) => [p.port, p.targetPort])).toEqual([[8080, 80]]);
    expect(Object.entries(svc.spec.selector).every(([k, v]) => deployment.spec.template.metadata.labels[k] === v)).toBe(true);
    expect(containerPorts).toContain(svc.spec.ports[0]!.targetPort);
  }
});

test('the helper refuses what kustomize refuses (a file outside the folder, a cycle) and what it does not implement', () => {
  const dir = mkdtempSync(resolve(tmpdir(), 'svcbot-kustomize-'));
  try {
    const write = (path: string, text: string) => {
      mkdirSync(dirname(resolve(dir, path)), { recursive: true });
      writeFileSync(resolve(dir, path), text);
    };
    write('outside.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata: { name: x }\n');
    write('a/kustomization.yaml', 'resources: [../outside.yaml]\n');
    expect(() => kustomize(resolve(dir, 'a'))).toThrow(/is not in or below/);
    write('b/kustomization.yaml', 'resources: [c]\n');
    write('b/c/kustomization.yaml', 'resources: [..]\n');
    expect(() => kustomize(resolve(dir, 'b'))).toThrow(/cycle detected/);
    write('d/kustomization.yaml', 'replacements: []\n');
    expect(() => kustomize(resolve(dir, 'd'))).toThrow(/not supported by this helper: replacements/);
    write('f/d.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: d }\nspec: { template: { spec: { containers: [{ name: a, image: "svcbot" }, { name: b, image: "redis:7" }] } } }\n');
    write('f/kustomization.yaml', 'resources: [d.yaml]\nimages: [{ name: svcbot, newName: 111122223333.dkr.ecr.us-east-1.amazonaws.com/svcbot, newTag: "0.1.0" }, { name: redis, newTag: "7.4" }]\n');
    const containers = (kustomize(resolve(dir, 'f'))[0] as Workload).spec.template.spec.containers;
    expect(containers.map((c) => c.image)).toEqual(['111122223333.dkr.ecr.us-east-1.amazonaws.com/svcbot:0.1.0', 'redis:7.4']);
    write('e/kustomization.yaml', 'configMapGenerator: [{ name: x, literals: [a=b] }]\n');
    expect(() => kustomize(resolve(dir, 'e'))).toThrow(/disableNameSuffixHash/);

    // patches: JSON 6902 `add` from a file, on the targets of a kind (and name); anything else refused.
    write('g/d.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: d }\nspec: { template: { spec: { containers: [{ name: a, env: [{ name: X, value: "1" }] }] } } }\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: { name: other }\nspec: { template: { spec: { containers: [{ name: a }] } } }\n');
    write('g/add.yaml', '- { op: add, path: /spec/template/spec/containers/0/env/-, value: { name: Y, value: "2" } }\n- { op: add, path: /spec/template/spec/containers/0/env/0, value: { name: W, value: "0" } }\n- { op: add, path: /metadata/annotations, value: { a~1b: c } }\n');
    write('g/kustomization.yaml', 'resources: [d.yaml]\npatches: [{ path: add.yaml, target: { kind: Deployment, name: d } }]\n');
    const [patched, untouched] = kustomize(resolve(dir, 'g')) as Workload[];
    expect(patched!.spec.template.spec.containers[0]!.env).toEqual([{ name: 'W', value: '0' }, { name: 'X', value: '1' }, { name: 'Y', value: '2' }]);
    expect(patched!.metadata.annotations).toEqual({ 'a~1b': 'c' });
    expect(untouched!.metadata.name).toBe('other');
    expect(untouched!.spec.template.spec.containers[0]!.env).toBeUndefined();
    const refused = (patch: string, kustomization: string) => {
      write('h/d.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: d }\nspec: { template: { spec: { containers: [{ name: a }] } } }\n');
      write('h/p.yaml', patch);
      write('h/kustomization.yaml', `resources: [d.yaml]\n${kustomization}`);
      return () => kustomize(resolve(dir, 'h'));
    };
    const target = 'patches: [{ path: p.yaml, target: { kind: Deployment } }]\n';
    expect(refused('spec: { replicas: 3 }\n', target)).toThrow(/strategic-merge patches are not supported/);
    expect(refused('- { op: replace, path: /spec/replicas, value: 3 }\n', target)).toThrow(/'replace' is not supported/);
    expect(refused('- { op: add, path: /spec/template/spec/containers/0/env/-, value: {} }\n', target)).toThrow(/has nothing at/);
    expect(refused('- { op: add, path: /spec/template/spec/containers/3, value: {} }\n', target)).toThrow(/out of bounds/);
    expect(refused('[]\n', 'patches: [{ patch: "[]", target: { kind: Deployment } }]\n')).toThrow(/from a file/);
    expect(refused('[]\n', 'patches: [{ path: p.yaml, target: { kind: Deployment, labelSelector: "a=b" } }]\n')).toThrow(/kind \(and name\) only/);
    expect(refused('[]\n', 'patches: [{ path: p.yaml, target: { kind: Deployment, name: "svcbot-.*" } }]\n')).toThrow(/literally/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

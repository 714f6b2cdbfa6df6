/**
 * The world of `bench/orphans`, in the bench process: several simulated Kubernetes clusters (each with
 * its own API server) and ONE AWS region's ELB API (classic and ELBv2 on one endpoint, as AWS serves
 * them), filled directly through the sandbox's stores — thousands of Services and load balancers in
 * seconds, without a call over HTTP — and a counter of every call the two APIs then receive.
 *
 * Built from the sandbox's parts rather than with `startSandbox`: the scan needs no cloud controller
 * (it would make a load balancer of its own for every LoadBalancer Service), and the ELB stores take a
 * clock, which lets the world's load balancers be made weeks ago (older than the orphan grace period)
 * and then the clock run on from now.
 *
 * What the world holds (for N load balancers, S Services, C clusters; deterministic for given sizes):
 * - S Services over C clusters and 25 namespaces each: 10% LoadBalancer, 2% NodePort, the rest
 *   ClusterIP (a cluster has 2,768 node ports, so LoadBalancer Services stay well under that);
 * - N load balancers, 40% classic and 60% ELBv2 (network and application), tagged as their makers tag
 *   them: the in-tree provider (classic, and NLBs) with `kubernetes.io/cluster/<name>` = `owned` and
 *   `kubernetes.io/service-name`, named `a` + the Service's UID; the AWS Load Balancer Controller (NLBs
 *   for Services, ALBs for Ingresses) with `elbv2.k8s.aws/cluster` and `service.k8s.aws/stack` or
 *   `ingress.k8s.aws/stack`. What each one is for: see `ROLES`.
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { Faults, KubeCluster, ElbStore, ElbV2Store } from '../sandbox/index.js';
import { createElbApiServer } from '../sandbox/elb/server.js';
import { createKubeApiServer } from '../sandbox/kube/server.js';
import { sandboxKubeconfig } from '../sandbox/kubeconfig.js';
import { listen, closeServer } from './servers.js';

export interface OrphansWorldOptions {
  loadBalancers: number;
  services: number;
  clusters: number;
  region: string;
  /** How long ago the load balancers were made (ms). */
  ageMs: number;
}

/** What a load balancer of the world is for, and so what the scan should call it. */
type Role = 'in-use' | 'in-use-idle' | 'service-gone' | 'not-load-balancer' | 'recreated' | 'shared-gone' | 'lost-cluster' | 'unmanaged' | 'ingress' | 'cluster-only';

/**
 * The share of each role, out of 100. In use (with targets in service, or idle); orphans (Service
 * gone, no longer a LoadBalancer, recreated under a new UID; shared ones are orphans too but never
 * offered for deletion); a cluster svcbot does not know; no cluster tag; an Ingress's ALB; a cluster
 * tag and nothing else.
 */
const ROLES: readonly [Role, number][] = [
  ['in-use', 40],
  ['in-use-idle', 5],
  ['service-gone', 15],
  ['not-load-balancer', 3],
  ['recreated', 2],
  ['shared-gone', 5],
  ['lost-cluster', 10],
  ['unmanaged', 10],
  ['ingress', 5],
  ['cluster-only', 5],
];

/** The report's verdict each role should get (`classify`'s status). */
const EXPECTED_STATUS: Readonly<Record<Role, string>> = {
  'in-use': 'in-use',
  'in-use-idle': 'in-use',
  'service-gone': 'orphan',
  'not-load-balancer': 'orphan',
  recreated: 'orphan',
  'shared-gone': 'orphan',
  'lost-cluster': 'lost-cluster',
  unmanaged: 'unmanaged',
  ingress: 'ingress',
  'cluster-only': 'cluster-only',
};

/** A small deterministic generator (mulberry32), so that a size always makes the same world. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(weights: readonly [T, number][], r: number): T {
  const total = weights.reduce((s, [, w]) => s + w, 0);
  let x = r * total;
  for (const [value, w] of weights) {
    if (x < w) return value;
    x -= w;
  }
  return weights[weights.length - 1]![0];
}

export interface RequestCounts {
  /** `classic DescribeTags` → answered calls. */
  answered: Map<string, number>;
  /** The same, for calls answered `Throttling`. */
  throttled: Map<string, number>;
  /** Kubernetes API requests by cluster and `METHOD path` (query left out). */
  kube: Map<string, Map<string, number>>;
}

/** An ELB call as it reached the API (to be sent again by the baseline): its body, in arrival order. */
interface RecordedElbCall {
  api: 'classic' | 'v2';
  action: string;
  body: string;
}

interface WorldCluster {
  name: string;
  /** `http://127.0.0.1:PORT` of its API server. */
  kubeApi: string;
  kubeconfigYaml: string;
  services: number;
}

export interface OrphansWorld {
  readonly region: string;
  readonly elbEndpoint: string;
  readonly clusters: readonly WorldCluster[];
  readonly faults: Faults;
  /** How many load balancers of each kind, and the scan's expected verdicts by status. */
  readonly composition: { classic: number; network: number; application: number; targetGroups: number; expected: Record<string, number> };
  /** Counting since the last `resetCounts()`. */
  counts(): RequestCounts;
  /** The answered ELB calls since the last `resetCounts()`, in arrival order. */
  recorded(): readonly RecordedElbCall[];
  resetCounts(): void;
  close(): Promise<void>;
}



const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

const clusterNameOf = (i: number) => `prod-${String.fromCharCode(97 + i)}`;
const NAMESPACES = 25;
const LOST_CLUSTER = 'staging-old';

export async function startOrphansWorld(opts: OrphansWorldOptions): Promise<OrphansWorld> {
  const faults = new Faults();
  // The stores' clock: `ageMs` in the past while the world is made, the present afterwards.
  let clockOffsetMs = opts.ageMs;
  const storeNow = () => Date.now() - clockOffsetMs;
  const elb = new ElbStore({ region: opts.region, dnsDelayMs: 0, instanceWarmupMs: 60_000, now: storeNow });
  const elbv2 = new ElbV2Store({ region: opts.region, dnsDelayMs: 0, targetWarmupMs: 60_000, now: storeNow });

  // Counting at the APIs' side: a second 'request' listener beside the server's own handler.
  let counts: RequestCounts = { answered: new Map(), throttled: new Map(), kube: new Map() };
  let recorded: RecordedElbCall[] = [];
  const elbServer = createElbApiServer(elb, faults, { region: opts.region, v2: elbv2 });
  elbServer.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    const end = res.end.bind(res) as (chunk?: unknown) => http.ServerResponse;
    res.end = ((chunk?: unknown) => {
      const body = Buffer.concat(chunks).toString('utf8');
      const params = new URLSearchParams(body);
      const api = params.get('Version') === '2015-12-01' ? 'v2' : 'classic';
      const action = params.get('Action') ?? '?';
      const throttled = typeof chunk === 'string' && chunk.includes('<Code>Throttling</Code>');
      bump(throttled ? counts.throttled : counts.answered, `${api} ${action}`);
      if (!throttled) recorded.push({ api, action, body });
      return end(chunk);
    }) as typeof res.end;
  });

  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  };
  try {
    const elbPort = await listen(elbServer);
    closers.push(() => closeServer(elbServer));

    const rand = random(opts.loadBalancers * 31 + opts.services);
    const clusters: WorldCluster[] = [];
    /** The Services of each cluster that may own a load balancer, by type. */
    const pools: { cluster: string; loadBalancer: { ns: string; name: string; uid: string }[]; other: { ns: string; name: string; uid: string }[] }[] = [];
    for (let c = 0; c < opts.clusters; c++) {
      const name = clusterNameOf(c);
      const cluster = new KubeCluster({ clusterName: name, region: opts.region, nodes: 3, watchHistorySize: 100 });
      for (let n = 0; n < NAMESPACES; n++) {
        cluster.registry.create(cluster.resources.namespaces, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `team-${n}` } });
      }
      const count = Math.floor(opts.services / opts.clusters) + (c < opts.services % opts.clusters ? 1 : 0);
      const pool = { cluster: name, loadBalancer: [] as { ns: string; name: string; uid: string }[], other: [] as { ns: string; name: string; uid: string }[] };
      for (let i = 0; i < count; i++) {
        const type = i % 50 < 5 ? 'LoadBalancer' : i % 50 === 5 ? 'NodePort' : 'ClusterIP';
        const ns = `team-${i % NAMESPACES}`;
        const svcName = `svc-${i}`;
        const created = cluster.registry.create(cluster.resources.services, ns, {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: svcName, namespace: ns },
          spec: { type, selector: { app: svcName }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] },
        });
        const entry = { ns, name: svcName, uid: created.object.metadata.uid ?? '' };
        (type === 'LoadBalancer' ? pool.loadBalancer : pool.other).push(entry);
      }
      pools.push(pool);
      const server = createKubeApiServer(cluster, faults);
      const clusterCounts = (): Map<string, number> => {
        const existing = counts.kube.get(name);
        if (existing) return existing;
        const fresh = new Map<string, number>();
        counts.kube.set(name, fresh);
        return fresh;
      };
      server.on('request', (req: http.IncomingMessage) => {
        bump(clusterCounts(), `${req.method ?? '?'} ${new URL(req.url ?? '/', 'http://sandbox').pathname}`);
      });
      const port = await listen(server);
      closers.push(() => closeServer(server));
      const kubeApi = `http://127.0.0.1:${port}`;
      clusters.push({ name, kubeApi, kubeconfigYaml: sandboxKubeconfig(kubeApi, name), services: count });
    }

    // Load balancers. Each LoadBalancer Service backs at most one of them (taken in turn).
    const composition = { classic: 0, network: 0, application: 0, targetGroups: 0, expected: {} as Record<string, number> };
    const taken = pools.map(() => 0);
    const listeners = [{ protocol: 'TCP', loadBalancerPort: 80, instanceProtocol: 'TCP', instancePort: 30080 }];
    const hex = (length: number) => randomUUID().replace(/-/g, '').slice(0, length);
    for (let i = 0; i < opts.loadBalancers; i++) {
      let role = pick(ROLES, rand());
      const c = Math.floor(rand() * pools.length);
      const pool = pools[c]!;
      const clusterName = pool.cluster;
      // In use needs a LoadBalancer Service not yet taken; when they run out, the Service is gone.
      let service: { ns: string; name: string; uid: string } = { ns: `team-${i % NAMESPACES}`, name: `gone-${i}`, uid: randomUUID() };
      if (role === 'in-use' || role === 'in-use-idle' || role === 'recreated') {
        const next = pool.loadBalancer[taken[c]!];
        if (next) {
          service = next;
          taken[c]! += 1;
        } else role = 'service-gone';
      } else if (role === 'not-load-balancer') {
        service = pool.other[Math.floor(rand() * pool.other.length)] ?? service;
        if (!pool.other.length) role = 'service-gone';
      }
      // Who made it: Ingresses' ALBs are the controller's; otherwise classic 40%, in-tree NLB 25%, controller NLB 35%.
      // A recreated Service shows only in the in-tree provider's names (the controller's carry a hash).
      const maker: 'classic' | 'in-tree-nlb' | 'controller-nlb' | 'controller-alb' = role === 'ingress' ? 'controller-alb' : role === 'recreated' ? 'classic' : pick<'classic' | 'in-tree-nlb' | 'controller-nlb'>([['classic', 40], ['in-tree-nlb', 25], ['controller-nlb', 35]], rand());
      const awsCluster = role === 'lost-cluster' ? LOST_CLUSTER : clusterName;
      const inTree = maker === 'classic' || maker === 'in-tree-nlb';
      const stack = `${service.ns}/${service.name}`;
      let tags: Record<string, string>;
      if (role === 'unmanaged') tags = { team: `team-${i % 7}`, 'cost-center': String(1000 + (i % 13)) };
      else if (role === 'cluster-only') tags = { [`kubernetes.io/cluster/${awsCluster}`]: 'owned', purpose: 'bastion' };
      else if (role === 'ingress') tags = { 'elbv2.k8s.aws/cluster': awsCluster, 'ingress.k8s.aws/stack': `${service.ns}/web`, 'ingress.k8s.aws/resource': 'LoadBalancer' };
      else if (inTree) tags = { [`kubernetes.io/cluster/${awsCluster}`]: role === 'shared-gone' ? 'shared' : 'owned', 'kubernetes.io/service-name': stack };
      else tags = { 'elbv2.k8s.aws/cluster': awsCluster, 'service.k8s.aws/stack': stack, 'service.k8s.aws/resource': 'LoadBalancer' };
      if (role === 'shared-gone' && !inTree) tags[`kubernetes.io/cluster/${awsCluster}`] = 'shared';
      // The in-tree provider names it after the Service's UID; "recreated" = named after an older UID.
      const name = inTree && role !== 'unmanaged' ? `a${(role === 'recreated' ? randomUUID() : service.uid).replace(/-/g, '')}`.slice(0, 32) : `k8s-${hex(8)}-${hex(8)}-${hex(10)}`;
      const withTargets = role === 'in-use' || (role === 'lost-cluster' && rand() < 0.5);
      if (maker === 'classic') {
        elb.create({ name, listeners, availabilityZones: [`${opts.region}a`], tags });
        if (withTargets) elb.registerInstances(name, [`i-${hex(17)}`, `i-${hex(17)}`]);
        composition.classic++;
      } else {
        const lb = elbv2.createLoadBalancer({ name, type: maker === 'controller-alb' ? 'application' : 'network', subnets: ['subnet-1a', 'subnet-1b'], tags });
        if (lb.type === 'application') composition.application++;
        else composition.network++;
        if (withTargets || role === 'in-use-idle') {
          const group = elbv2.createTargetGroup({ name: `k8s-tg-${hex(20)}`, protocol: lb.type === 'application' ? 'HTTP' : 'TCP', port: 30080, vpcId: elbv2.vpcId });
          elbv2.attachTargetGroup(group.arn, lb.arn);
          if (withTargets) elbv2.registerTargets(group.arn, [{ id: `i-${hex(17)}` }, { id: `i-${hex(17)}` }]);
          composition.targetGroups++;
        }
      }
      const status = EXPECTED_STATUS[role];
      composition.expected[status] = (composition.expected[status] ?? 0) + 1;
    }
    // From now on the stores' clock is the present: the load balancers are `ageMs` old, the targets warm.
    clockOffsetMs = 0;

    return {
      region: opts.region,
      elbEndpoint: `http://127.0.0.1:${elbPort}`,
      clusters,
      faults,
      composition,
      counts: () => counts,
      recorded: () => recorded,
      resetCounts() {
        counts = { answered: new Map(), throttled: new Map(), kube: new Map() };
        recorded = [];
      },
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

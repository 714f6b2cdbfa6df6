/**
 * The world of `bench/inflight`, in the bench process: the sandbox (simulated Kubernetes clusters, the
 * ELB API and DNS of one AWS account) and a Slack stand-in that records when each endpoint announcement
 * arrives.
 *
 * Several clusters: a Kubernetes cluster has 2,768 node ports (30000-32767, the default
 * `--service-node-port-range`) and every LoadBalancer Service takes one per port, so one cluster holds at
 * most that many LoadBalancer Services — the sandbox enforces it as an apiserver does. For more, the run
 * spreads its Services over several clusters: the first is `startSandbox`'s, the others are more
 * simulated clusters (each with its API server and cloud controller) of the same AWS account: one ELB
 * store, ELB API and DNS server for all, as for EKS clusters in one account and region.
 *
 * The DNS server is the sandbox's own (`startDnsServer` over the ELB store) with a recorder in front of
 * its lookups: when each name was first asked for, and first answered with addresses.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startSandbox, type ElbStore, KubeCluster } from '../sandbox/index.js';
import { CloudController } from '../sandbox/cloud/controller.js';
import { elbDnsSource, startDnsServer } from '../sandbox/dns/server.js';
import { createKubeApiServer } from '../sandbox/kube/server.js';
import { sandboxKubeconfig } from '../sandbox/kubeconfig.js';
import { startSlackRecorder, type SlackRecorder } from './slack.js';
import { listen, closeServer } from './servers.js';

export interface InflightWorldOptions {
  clusters: number;
  /** Where the kubeconfig files go. */
  dir: string;
  provisionDelayMs: number;
  dnsDelayMs: number;
  instanceWarmupMs: number;
  /**
   * Names resolve only once `releaseDns` says so (and not before `dnsDelayMs` after their creation): for a
   * run whose jobs must all be parked first however long the processes take to get there.
   */
  holdDns?: boolean;
}

interface BenchCluster {
  /** svcbot's name for it, and its AWS tag name (`kubernetes.io/cluster/<name>`). */
  name: string;
  kubeconfigPath: string;
  cluster: KubeCluster;
}

interface DnsRecord {
  /** Queries answered so far. */
  readonly queries: number;
  /** Lower-case name -> when it was first asked for (epoch ms). */
  readonly firstQueryAt: ReadonlyMap<string, number>;
  /** Lower-case name -> when it was first answered with addresses (epoch ms). */
  readonly firstResolvedAt: ReadonlyMap<string, number>;
}

/** A load balancer the sandbox created, as the run needs it. */
interface CreatedLoadBalancer {
  /** epoch ms */
  createdAt: number;
  /** epoch ms from which its DNS name resolves (the sandbox's own event time; with `holdDns`, set by `releaseDns`). */
  dnsVisibleAt: number;
  /** `namespace/name` of its Service (the cloud controller's `kubernetes.io/service-name` tag). */
  service: string;
}

export interface InflightWorld {
  readonly clusters: readonly BenchCluster[];
  readonly region: string;
  readonly elbEndpoint: string;
  /** The sandbox's EC2 API (the nodes' security groups). */
  readonly ec2Endpoint: string;
  /** `127.0.0.1:PORT` of the DNS server that answers for the load balancers' names. */
  readonly dnsServer: string;
  readonly elb: ElbStore;
  readonly dns: DnsRecord;
  /** Every load balancer created so far, by lower-case DNS name. */
  readonly loadBalancers: ReadonlyMap<string, CreatedLoadBalancer>;
  readonly slack: SlackRecorder;
  /**
   * With `holdDns`: the names of the load balancers made so far start resolving now, in the order they
   * were made, `perSecond` a second (each load balancer's `dnsVisibleAt` says when); one made later resolves
   * from when it is first asked for (or its turn at that rate, if later).
   */
  releaseDns(perSecond: number): void;
  close(): Promise<void>;
}

export const clusterNameOf = (i: number) => `bench-${i}`;



export async function startInflightWorld(opts: InflightWorldOptions): Promise<InflightWorld> {
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  };
  try {
    const first = clusterNameOf(0);
    const firstKubeconfig = join(opts.dir, `${first}.kubeconfig`);
    const sandbox = await startSandbox({
      kubeconfigPath: firstKubeconfig,
      clusterName: first,
      provisionDelayMs: opts.provisionDelayMs,
      dnsDelayMs: opts.dnsDelayMs,
      instanceWarmupMs: opts.instanceWarmupMs,
      // Thousands of load balancers: no loopback listener for each (the benchmark never connects to them).
      hostListeners: false,
    });
    closers.push(() => sandbox.close());
    const { region, elbEndpoint, ec2Endpoint } = sandbox.info;
    const clusters: BenchCluster[] = [{ name: first, kubeconfigPath: firstKubeconfig, cluster: sandbox.cluster }];

    for (let i = 1; i < opts.clusters; i++) {
      const name = clusterNameOf(i);
      const cluster = new KubeCluster({ clusterName: name, region, nodes: 3 });
      const controller = new CloudController({
        cluster,
        elb: sandbox.elb,
        faults: sandbox.faults,
        clusterName: name,
        provisionDelayMs: opts.provisionDelayMs,
        deprovisionDelayMs: opts.provisionDelayMs,
      });
      const server = createKubeApiServer(cluster, sandbox.faults);
      const port = await listen(server);
      closers.push(() => closeServer(server));
      controller.start();
      closers.push(() => {
        controller.stop();
        return Promise.resolve();
      });
      const kubeconfigPath = join(opts.dir, `${name}.kubeconfig`);
      await writeFile(kubeconfigPath, sandboxKubeconfig(`http://127.0.0.1:${port}`, name), { mode: 0o600 });
      clusters.push({ name, kubeconfigPath, cluster });
    }

    const loadBalancers = new Map<string, CreatedLoadBalancer>();
    const unsubscribe = sandbox.elb.onChange((ev) => {
      if (ev.type !== 'created') return;
      loadBalancers.set(ev.lb.dnsName.toLowerCase(), {
        createdAt: ev.lb.createdTime.getTime(),
        dnsVisibleAt: ev.lb.dnsVisibleAt,
        service: ev.lb.tags.get('kubernetes.io/service-name') ?? '',
      });
    });
    closers.push(() => {
      unsubscribe();
      return Promise.resolve();
    });

    const firstQueryAt = new Map<string, number>();
    const firstResolvedAt = new Map<string, number>();
    let queries = 0;
    const source = elbDnsSource(sandbox.elb);
    // Held names: not resolvable until released (their record's dnsVisibleAt then says when).
    const held = opts.holdDns === true;
    const released = new Set<string>();
    // After a release, a name made later is released when first asked for, in the next free slot.
    let nextSlot: { at: number; everyMs: number } | undefined;
    const releaseDns = (perSecond: number) => {
      const start = Date.now();
      const everyMs = 1000 / perSecond;
      const order = [...loadBalancers.entries()].filter(([host]) => !released.has(host)).sort((a, b) => a[1].createdAt - b[1].createdAt);
      order.forEach(([host, lb], i) => {
        lb.dnsVisibleAt = Math.max(lb.dnsVisibleAt, start + Math.floor(i * everyMs));
        released.add(host);
      });
      nextSlot = { at: start + order.length * everyMs, everyMs };
    };
    const releaseLate = (key: string) => {
      const lb = loadBalancers.get(key);
      if (!nextSlot || !lb || released.has(key)) return;
      nextSlot.at = Math.max(nextSlot.at, Date.now());
      lb.dnsVisibleAt = Math.max(lb.dnsVisibleAt, Math.floor(nextSlot.at));
      nextSlot.at += nextSlot.everyMs;
      released.add(key);
    };
    // The server reads its clock once per query, before the lookup: the recorder uses that same time.
    let queryTime = 0;
    const dnsServer = await startDnsServer(
      {
        lookup(name) {
          const key = name.toLowerCase().replace(/\.$/, '');
          queries += 1;
          if (!firstQueryAt.has(key)) firstQueryAt.set(key, queryTime);
          if (held) releaseLate(key);
          const stored = source.lookup(name);
          const found = stored && held ? { ...stored, visibleAt: released.has(key) ? (loadBalancers.get(key)?.dnsVisibleAt ?? Number.POSITIVE_INFINITY) : Number.POSITIVE_INFINITY } : stored;
          if (found && queryTime >= found.visibleAt && !firstResolvedAt.has(key)) firstResolvedAt.set(key, queryTime);
          return found;
        },
      },
      {
        now: () => {
          queryTime = Date.now();
          return queryTime;
        },
      },
    );
    closers.push(() => dnsServer.close());

    const slack = await startSlackRecorder();
    closers.push(() => slack.close());

    return {
      clusters,
      region,
      elbEndpoint,
      ec2Endpoint,
      dnsServer: `127.0.0.1:${dnsServer.port}`,
      elb: sandbox.elb,
      loadBalancers,
      dns: {
        get queries() {
          return queries;
        },
        firstQueryAt,
        firstResolvedAt,
      },
      slack,
      releaseDns,
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

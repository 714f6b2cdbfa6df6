/**
 * ServiceWatch over the Kubernetes watch API: one list + watch of every Service per cluster (or, in a
 * namespaced install, one per configured namespace: svcbot may not list or watch the others), kept in a
 * cache, telling subscribers about the Services they care about.
 *
 * It is a small informer written on client-node's `Watch` rather than `makeInformer`, because
 * `ListWatch` stops for good on any error other than 410 and keeps its resourceVersion across a
 * restart. Here:
 * - a watch the server closes (or the network drops) resumes from the last resourceVersion;
 * - 410 Gone (as an ERROR event or as the HTTP status) re-lists, then watches from the list;
 * - any other failure (500, refused connection) re-lists after a backoff (capped at `maxBackoffMs`);
 * - a watch silent for longer than `idleTimeoutMs` (a dead connection nobody closed) is aborted and
 *   re-listed, and the server is asked to end each watch after `watchTimeoutSeconds`, so nothing waits
 *   forever on a dead watch.
 * After every re-list each subscriber is called, since changes may have been missed meanwhile.
 */
import * as k8s from '@kubernetes/client-node';
import type { Logger } from '../ports/logger.js';
import type { ServiceView } from '../domain/views.js';
import type { ServiceChangeListener, ServiceRef, ServiceWatch } from '../ports/service-watch.js';
import { toServiceView } from './kubernetes.js';

export interface KubernetesServiceWatchOptions {
  /** The kubeconfig of each configured cluster, by name. */
  kubeConfig: (cluster: string) => k8s.KubeConfig;
  /** The namespaces svcbot works in on a cluster (undefined: every namespace, one watch of them all). */
  namespaces?: (cluster: string) => readonly string[] | undefined;
  logger?: Logger;
  /** Server-side timeout of one watch request (the server ends it; it is then resumed). Default 240. */
  watchTimeoutSeconds?: number;
  /** A watch with no event for this long is presumed dead and re-listed. Default: watch timeout + 30 s. */
  idleTimeoutMs?: number;
  /** First retry delay after a failure, doubled up to `maxBackoffMs` (with jitter). Default 200. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

const key = (namespace: string, name: string) => `${namespace}/${name}`;

interface WatchEvent {
  type?: string;
  object?: k8s.V1Service & { code?: number };
}

/** One list + watch: of a cluster's Services in every namespace, or in one namespace. */
class ClusterServiceWatch {
  readonly cache = new Map<string, ServiceView>();
  readonly listeners = new Map<string, Set<ServiceChangeListener>>();
  private resourceVersion = '';
  /** Counters, for tests and metrics. */
  readonly stats = { lists: 0, watches: 0, gone: 0, failures: 0 };
  private abort: AbortController | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private closed = false;
  private readonly readyPromise: Promise<void>;
  private markReady!: () => void;
  private readonly core: k8s.CoreV1Api;
  private readonly watch: k8s.Watch;
  /** Bumped on every (re)start so that callbacks of an abandoned watch are ignored. */
  private generation = 0;

  constructor(
    private readonly cluster: string,
    /** Undefined: every namespace. */
    private readonly namespace: string | undefined,
    kc: k8s.KubeConfig,
    private readonly opts: Required<Omit<KubernetesServiceWatchOptions, 'kubeConfig' | 'logger' | 'namespaces'>> & { logger: Logger | undefined },
  ) {
    this.core = kc.makeApiClient(k8s.CoreV1Api);
    this.watch = new k8s.Watch(kc);
    this.readyPromise = new Promise((resolve) => (this.markReady = resolve));
    void this.relist();
  }

  ready(): Promise<void> {
    return this.readyPromise;
  }

  private notify(k: string, ref: ServiceRef): void {
    const set = this.listeners.get(k);
    if (!set) return;
    const view = this.cache.get(k);
    for (const listener of [...set]) {
      try {
        listener(view, ref);
      } catch (err) {
        this.opts.logger?.error({ err, cluster: this.cluster, service: k }, 'service watch listener failed');
      }
    }
  }

  private notifyAll(): void {
    for (const k of this.listeners.keys()) {
      const [namespace = '', name = ''] = k.split('/');
      this.notify(k, { cluster: this.cluster, namespace, name });
    }
  }

  private scheduleRetry(err: unknown): void {
    if (this.closed) return;
    this.failures += 1;
    this.stats.failures += 1;
    const base = Math.min(this.opts.maxBackoffMs, this.opts.minBackoffMs * 2 ** (this.failures - 1));
    const delay = base / 2 + Math.random() * (base / 2);
    this.opts.logger?.warn({ err, cluster: this.cluster, namespace: this.namespace, retryInMs: Math.round(delay) }, 'service watch failed; re-listing');
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.relist(), delay);
  }

  private async relist(): Promise<void> {
    if (this.closed) return;
    this.stopWatch();
    const generation = ++this.generation;
    let list: k8s.V1ServiceList;
    try {
      list = await (this.namespace === undefined ? this.core.listServiceForAllNamespaces({}) : this.core.listNamespacedService({ namespace: this.namespace }));
    } catch (err) {
      if (generation === this.generation) this.scheduleRetry(err);
      return;
    }
    if (generation !== this.generation || this.closed) return;
    this.stats.lists += 1;
    const seen = new Set<string>();
    for (const svc of list.items) {
      const k = key(svc.metadata?.namespace ?? 'default', svc.metadata?.name ?? '');
      seen.add(k);
      this.cache.set(k, toServiceView(this.cluster, svc));
    }
    for (const k of [...this.cache.keys()]) if (!seen.has(k)) this.cache.delete(k);
    this.resourceVersion = list.metadata?.resourceVersion ?? '';
    this.notifyAll();
    await this.startWatch(generation);
  }

  private stopWatch(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const abort = this.abort;
    this.abort = undefined;
    abort?.abort();
  }

  private touch(generation: number): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (generation !== this.generation) return;
      this.opts.logger?.warn({ cluster: this.cluster, namespace: this.namespace }, 'service watch silent too long; re-listing');
      void this.relist();
    }, this.opts.idleTimeoutMs);
  }

  private async startWatch(generation: number): Promise<void> {
    if (this.closed || generation !== this.generation) return;
    this.touch(generation);
    let gone = false;
    const onEvent = (phase: string, obj: WatchEvent['object']) => {
      if (generation !== this.generation || !obj) return;
      this.touch(generation);
      if (phase === 'ERROR') {
        if (obj.code === 410) gone = true;
        return;
      }
      const rv = obj.metadata?.resourceVersion;
      if (rv) this.resourceVersion = rv;
      if (phase === 'BOOKMARK') return;
      const namespace = obj.metadata?.namespace ?? 'default';
      const name = obj.metadata?.name ?? '';
      const k = key(namespace, name);
      if (phase === 'DELETED') this.cache.delete(k);
      else this.cache.set(k, toServiceView(this.cluster, obj));
      this.failures = 0;
      this.markReady();
      this.notify(k, { cluster: this.cluster, namespace, name });
    };
    const onDone = (err: unknown) => {
      if (generation !== this.generation || this.closed) return;
      const status = (err as { statusCode?: number; code?: number } | null)?.statusCode;
      if (gone || status === 410) {
        this.stats.gone += 1;
        void this.relist();
      } else if (err && (err as { name?: string }).name !== 'AbortError') {
        this.scheduleRetry(err);
      } else {
        // The server (or a dropped connection) ended the watch: resume where it left off.
        void this.startWatch(generation);
      }
    };
    try {
      const abort = await this.watch.watch(
        this.namespace === undefined ? '/api/v1/services' : `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/services`,
        { resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: this.opts.watchTimeoutSeconds },
        onEvent,
        onDone,
      );
      if (generation !== this.generation || this.closed) abort.abort();
      else this.abort = abort;
      this.stats.watches += 1;
      this.markReady();
    } catch (err) {
      if (generation === this.generation) this.scheduleRetry(err);
    }
  }

  close(): void {
    this.closed = true;
    this.generation += 1;
    clearTimeout(this.retryTimer);
    this.stopWatch();
  }
}

interface ServiceWatchStats {
  /** Full lists (the first one, then one after each 410 or failure). */
  lists: number;
  /** Watch requests started (the first after each list, then one per resumption). */
  watches: number;
  /** 410 Gone answers (history compacted): each led to a re-list. */
  gone: number;
  /** Failed lists or watches, retried with backoff. */
  failures: number;
}

export interface KubernetesServiceWatch extends ServiceWatch {
  /** The cluster's watch counters (zeros before it starts). */
  stats(cluster: string): ServiceWatchStats;
}

export function createKubernetesServiceWatch(options: KubernetesServiceWatchOptions): KubernetesServiceWatch {
  const watchTimeoutSeconds = options.watchTimeoutSeconds ?? 240;
  const opts = {
    watchTimeoutSeconds,
    idleTimeoutMs: options.idleTimeoutMs ?? (watchTimeoutSeconds + 30) * 1000,
    minBackoffMs: options.minBackoffMs ?? 200,
    maxBackoffMs: options.maxBackoffMs ?? 10_000,
    logger: options.logger,
  };
  /** The watches of each cluster started so far: one (every namespace) or one per configured namespace. */
  const clusters = new Map<string, Map<string, ClusterServiceWatch>>();
  const ALL = '';
  const watchesOf = (name: string) => {
    let watches = clusters.get(name);
    if (!watches) {
      const kc = options.kubeConfig(name);
      const namespaces = options.namespaces?.(name);
      watches = new Map((namespaces ?? [undefined]).map((n) => [n ?? ALL, new ClusterServiceWatch(name, n, kc, opts)]));
      clusters.set(name, watches);
    }
    return watches;
  };
  /** The watch that sees a Service of `ref.namespace`; none outside a namespaced install's namespaces. */
  const watchOf = (ref: Pick<ServiceRef, 'cluster' | 'namespace'>) => {
    const watches = watchesOf(ref.cluster);
    return watches.get(ALL) ?? watches.get(ref.namespace);
  };
  return {
    subscribe(ref, listener) {
      const w = watchOf(ref);
      // Outside the namespaces svcbot works in: nothing to watch (the job's own reads say why).
      if (!w) return () => undefined;
      const k = key(ref.namespace, ref.name);
      let set = w.listeners.get(k);
      if (!set) {
        set = new Set();
        w.listeners.set(k, set);
      }
      set.add(listener);
      return () => {
        const current = w.listeners.get(k);
        current?.delete(listener);
        if (current?.size === 0) w.listeners.delete(k);
      };
    },
    get(ref) {
      if (!clusters.has(ref.cluster)) return undefined;
      return watchOf(ref)?.cache.get(key(ref.namespace, ref.name));
    },
    async ready(cluster) {
      await Promise.all([...watchesOf(cluster).values()].map((w) => w.ready()));
    },
    stats(cluster) {
      const total = { lists: 0, watches: 0, gone: 0, failures: 0 };
      for (const w of clusters.get(cluster)?.values() ?? []) for (const k of Object.keys(total) as (keyof ServiceWatchStats)[]) total[k] += w.stats[k];
      return total;
    },
    async close() {
      for (const watches of clusters.values()) for (const w of watches.values()) w.close();
      clusters.clear();
      await Promise.resolve();
    },
  };
}

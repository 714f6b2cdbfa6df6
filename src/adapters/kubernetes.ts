/** ClusterGateway over `@kubernetes/client-node`: the only module that talks to a Kubernetes API. */
import * as k8s from '@kubernetes/client-node';
import type { ServiceType } from '../domain/command.js';
import { BotError } from '../domain/errors.js';
import type { EventView, NodeView, PodEndpointView, ServiceView, ServiceViewType } from '../domain/views.js';
import type { ServiceManifest } from '../domain/manifest.js';
import type { ClusterGateway, RetryBudget } from '../ports/cluster.js';
import { changedMeanwhile, mapKubernetesError, networkCode, type K8sErrorContext } from './kubernetes-errors.js';
import type { Metrics } from '../ports/metrics.js';
import { DEFAULT_RETRY, retryTransient, systemClock, type RetryClock, type RetrySettings } from './kubernetes-retry.js';

const FIELD_MANAGER = 'svcbot';

const SERVICE_VIEW_TYPES: readonly ServiceViewType[] = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];

export function toServiceView(cluster: string, svc: k8s.V1Service): ServiceView {
  const meta = svc.metadata ?? {};
  const spec = svc.spec ?? {};
  const type = SERVICE_VIEW_TYPES.find((t) => t === spec.type) ?? 'ClusterIP';
  const view: ServiceView = {
    cluster,
    namespace: meta.namespace ?? 'default',
    name: meta.name ?? '',
    uid: meta.uid ?? '',
    resourceVersion: meta.resourceVersion ?? '',
    type,
    ports: (spec.ports ?? []).map((p) => ({
      ...(p.name ? { name: p.name } : {}),
      port: p.port,
      targetPort: p.targetPort ?? p.port,
      protocol: p.protocol === 'UDP' || p.protocol === 'SCTP' ? p.protocol : 'TCP',
      ...(p.nodePort ? { nodePort: p.nodePort } : {}),
    })),
    selector: { ...(spec.selector ?? {}) },
    loadBalancerHostnames: (svc.status?.loadBalancer?.ingress ?? [])
      .map((i) => i.hostname ?? i.ip)
      .filter((h): h is string => typeof h === 'string' && h.length > 0),
    createdAt: meta.creationTimestamp ? new Date(meta.creationTimestamp) : new Date(0),
    deleting: meta.deletionTimestamp !== undefined && meta.deletionTimestamp !== null,
    finalizers: [...(meta.finalizers ?? [])],
  };
  if (spec.clusterIP) view.clusterIP = spec.clusterIP;
  if (spec.externalName) view.externalName = spec.externalName;
  return view;
}

function toNodeView(node: k8s.V1Node): NodeView {
  const addr = (type: string) => node.status?.addresses?.find((a) => a.type === type)?.address;
  const view: NodeView = {
    name: node.metadata?.name ?? '',
    ready: node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
  };
  const internalIP = addr('InternalIP');
  const externalIP = addr('ExternalIP');
  const hostname = addr('Hostname');
  if (internalIP) view.internalIP = internalIP;
  if (externalIP) view.externalIP = externalIP;
  if (hostname) view.hostname = hostname;
  if (node.spec?.providerID) view.providerID = node.spec.providerID;
  return view;
}

function toEventView(ev: k8s.CoreV1Event): EventView {
  const last = ev.lastTimestamp ?? ev.eventTime ?? ev.firstTimestamp ?? ev.metadata.creationTimestamp;
  return {
    type: ev.type === 'Warning' ? 'Warning' : 'Normal',
    reason: ev.reason ?? '',
    message: ev.message ?? '',
    count: ev.count ?? 1,
    lastSeen: last ? new Date(last) : new Date(0),
  };
}

/**
 * The fields that only make sense for some Service types, cleared when the type no longer allows them.
 * `resourceVersion` (the version the patch is computed from) makes the patch conditional: the API server
 * answers 409 instead of applying it to a Service changed meanwhile.
 */
function typeChangePatch(current: k8s.V1Service, type: ServiceType, resourceVersion: string | undefined): object {
  const ports = (current.spec?.ports ?? []).map((p) => {
    const port: Record<string, unknown> = { ...p };
    if (type === 'ClusterIP') delete port.nodePort;
    return port;
  });
  const spec: Record<string, unknown> = { type, ports };
  if (type === 'ClusterIP') {
    spec.externalTrafficPolicy = null;
    spec.healthCheckNodePort = null;
  }
  if (type !== 'LoadBalancer') {
    spec.allocateLoadBalancerNodePorts = null;
    spec.loadBalancerSourceRanges = null;
    spec.loadBalancerClass = null;
  }
  return { metadata: { resourceVersion }, spec };
}

const sameRecord = (a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean => {
  const ka = Object.keys(a ?? {});
  return ka.length === Object.keys(b ?? {}).length && ka.every((k) => a?.[k] === b?.[k]);
};

const containsRecord = (outer: Record<string, string> | undefined, inner: Record<string, string> | undefined): boolean =>
  Object.entries(inner ?? {}).every(([k, v]) => outer?.[k] === v);

/**
 * Is `existing` the Service `manifest` asked for: its labels and annotations, type, selector and ports
 * (what svcbot sets; the API server adds the rest)? A create repeated after a failure in transit meets
 * its own first attempt this way, and only this way tells it apart from someone else's Service.
 */
function isServiceAsAsked(existing: k8s.V1Service, manifest: ServiceManifest): boolean {
  const spec = existing.spec ?? {};
  const ports = spec.ports ?? [];
  return (
    containsRecord(existing.metadata?.labels, manifest.metadata.labels) &&
    containsRecord(existing.metadata?.annotations, manifest.metadata.annotations) &&
    spec.type === manifest.spec.type &&
    sameRecord(spec.selector, manifest.spec.selector) &&
    ports.length === manifest.spec.ports.length &&
    manifest.spec.ports.every((want, i) => {
      const got = ports[i];
      return got !== undefined && (got.name ?? undefined) === want.name && got.port === want.port && (got.protocol ?? 'TCP') === want.protocol && String(got.targetPort ?? got.port) === String(want.targetPort);
    })
  );
}

const isStatus = (err: unknown, code: number, reason?: string): boolean => {
  if (!(err instanceof k8s.ApiException) || err.code !== code) return false;
  if (reason === undefined) return true;
  const body: unknown = typeof err.body === 'string' ? safeJson(err.body) : err.body;
  return typeof body === 'object' && body !== null && (body as { reason?: unknown }).reason === reason;
};

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface KubernetesGatewayOptions {
  /** Configured cluster name. */
  name: string;
  kubeConfig: k8s.KubeConfig;
  /** Retries of transient failures (default: DEFAULT_RETRY). */
  retry?: RetrySettings;
  /** A caller's budget: no retry past its deadline, and its `onRetry` told of each. */
  budget?: RetryBudget;
  clock?: RetryClock;
  /** Where each request (each attempt) is counted by verb, resource and answer (default: nowhere). */
  metrics?: Pick<Metrics, 'kubernetesRequest'>;
}

/** A request's answer as the metrics count it: `2xx`, the HTTP status, or the network failure (`ECONNRESET`). */
function answerOf(err: unknown): string {
  if (err instanceof k8s.ApiException) return String(err.code);
  return networkCode(err) ?? 'error';
}

export function createKubernetesGateway({ name, kubeConfig, retry = DEFAULT_RETRY, budget, clock = systemClock, metrics }: KubernetesGatewayOptions): ClusterGateway {
  const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
  const apps = kubeConfig.makeApiClient(k8s.AppsV1Api);
  const discovery = kubeConfig.makeApiClient(k8s.DiscoveryV1Api);
  const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

  /**
   * One API call, retried on transient failures (kubernetes-retry.ts). `settleRepeat`: what a permanent
   * error after a retried attempt means (a write meeting its own earlier attempt); without it, reads.
   */
  async function call<T>(
    ctx: Omit<K8sErrorContext, 'cluster'>,
    fn: () => Promise<T>,
    settleRepeat?: (err: unknown) => Promise<{ value: T } | undefined>,
  ): Promise<T> {
    const attempt = metrics
      ? async () => {
          try {
            const value = await fn();
            metrics.kubernetesRequest(ctx.verb, ctx.resource, '2xx');
            return value;
          } catch (err) {
            metrics.kubernetesRequest(ctx.verb, ctx.resource, answerOf(err));
            throw err;
          }
        }
      : fn;
    try {
      return await retryTransient(attempt, {
        settings: retry,
        clock,
        ...(budget ? { deadline: budget.deadline } : {}),
        ...(budget?.signal ? { signal: budget.signal } : {}),
        ...(budget?.onRetry ? { onRetry: (failure, n, waitMs) => budget.onRetry?.({ cluster: name, problem: failure.problem, retry: n, waitMs }) } : {}),
        ...(settleRepeat ? { settleRepeat } : {}),
      });
    } catch (err) {
      throw mapKubernetesError(err, { cluster: name, ...ctx });
    }
  }

  const readService = (namespace: string, svcName: string) => core.readNamespacedService({ namespace, name: svcName });

  return {
    name,

    async createService(manifest, opts = {}) {
      const { namespace, name: svcName } = manifest.metadata;
      const created = await call(
        { verb: 'create', resource: 'services', namespace, name: svcName },
        () =>
          core.createNamespacedService({
            namespace,
            body: manifest,
            fieldManager: FIELD_MANAGER,
            ...(opts.dryRun ? { dryRun: 'All' } : {}),
          }),
        // AlreadyExists after an attempt lost in transit: maybe our own. A dry run creates nothing, so its 409 is real.
        async (err) => {
          if (opts.dryRun || !isStatus(err, 409, 'AlreadyExists')) return undefined;
          const existing = await readService(namespace, svcName);
          return isServiceAsAsked(existing, manifest) ? { value: existing } : undefined;
        },
      );
      return toServiceView(name, created);
    },

    async getService(namespace, svcName) {
      const svc = await call({ verb: 'get', resource: 'services', namespace, name: svcName }, () => readService(namespace, svcName));
      return toServiceView(name, svc);
    },

    async listServices(namespace) {
      const items: k8s.V1Service[] = [];
      let cont: string | undefined;
      do {
        const page = await call({ verb: 'list', resource: 'services', ...(namespace ? { namespace } : {}) }, () =>
          namespace
            ? core.listNamespacedService({ namespace, limit: 500, ...(cont ? { _continue: cont } : {}) })
            : core.listServiceForAllNamespaces({ limit: 500, ...(cont ? { _continue: cont } : {}) }),
        );
        items.push(...page.items);
        cont = page.metadata?._continue || undefined;
      } while (cont);
      return items.map((s) => toServiceView(name, s));
    },

    async setServiceType(namespace, svcName, type, opts = {}) {
      const ctx = { verb: 'patch', resource: 'services', namespace, name: svcName };
      const expected = opts.resourceVersion;
      // Without an expected version, one retry on a conflict: someone changed the Service between our read
      // and our patch. With one, none: only that version may be changed, and the API server enforces it.
      for (let attempt = 0; ; attempt++) {
        const current = await call({ ...ctx, verb: 'get' }, () => readService(namespace, svcName));
        if (expected !== undefined && current.metadata?.resourceVersion !== expected) throw changedMeanwhile({ cluster: name, ...ctx });
        if (current.spec?.type === type) return toServiceView(name, current);
        try {
          const patched = await call(
            ctx,
            () =>
              core.patchNamespacedService(
                { namespace, name: svcName, body: typeChangePatch(current, type, expected ?? current.metadata?.resourceVersion), fieldManager: FIELD_MANAGER },
                mergePatch,
              ),
            // Conflict after an attempt lost in transit: our patch may have been applied (and changed the
            // resourceVersion it was conditional on). Applied if the Service, same UID, now has the type.
            async (err) => {
              if (!isStatus(err, 409)) return undefined;
              const now = await readService(namespace, svcName);
              return now.metadata?.uid === current.metadata?.uid && now.spec?.type === type ? { value: now } : undefined;
            },
          );
          return toServiceView(name, patched);
        } catch (err) {
          if (expected === undefined && attempt === 0 && err instanceof BotError && err.code === 'conflict') continue;
          throw err;
        }
      }
    },

    async deleteService(namespace, svcName, opts = {}) {
      const preconditions = {
        ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
        ...(opts.resourceVersion !== undefined ? { resourceVersion: opts.resourceVersion } : {}),
      };
      const gone = Symbol('gone');
      const deleted = await call(
        { verb: 'delete', resource: 'services', namespace, name: svcName },
        () =>
          core.deleteNamespacedService({
            namespace,
            name: svcName,
            propagationPolicy: 'Background',
            ...(Object.keys(preconditions).length > 0 ? { body: { preconditions } } : {}),
          }),
        // After an attempt lost in transit: 404, our delete was done; 409 (a precondition), it may have
        // been ours too — the Service we named (its UID, if given) now being deleted.
        async (err): Promise<{ value: unknown } | undefined> => {
          if (isStatus(err, 404)) return { value: gone };
          if (!isStatus(err, 409)) return undefined;
          const now = await readService(namespace, svcName);
          const ours = opts.uid === undefined || now.metadata?.uid === opts.uid;
          return ours && now.metadata?.deletionTimestamp ? { value: now } : undefined;
        },
      );
      if (deleted === gone) return undefined;
      try {
        return await call({ verb: 'get', resource: 'services', namespace, name: svcName }, async () => toServiceView(name, await readService(namespace, svcName)));
      } catch (err) {
        if (err instanceof BotError && err.code === 'not_found') return undefined;
        throw err;
      }
    },

    async listNodes() {
      const nodes = await call({ verb: 'list', resource: 'nodes' }, () => core.listNode());
      return nodes.items.map(toNodeView);
    },

    async getDeploymentSelector(namespace, deployment) {
      const dep = await call({ verb: 'get', resource: 'deployments', namespace, name: deployment }, () =>
        apps.readNamespacedDeployment({ namespace, name: deployment }),
      );
      const selector = dep.spec?.selector;
      if (selector?.matchExpressions?.length) {
        throw new BotError(
          'invalid',
          `Deployment \`${deployment}\` selects its pods with matchExpressions, which a Service selector can't express; create the Service with \`--selector\` instead.`,
        );
      }
      const labels = selector?.matchLabels ?? {};
      if (Object.keys(labels).length === 0) {
        throw new BotError('invalid', `Deployment \`${deployment}\` has no matchLabels to copy into a Service selector.`);
      }
      return { ...labels };
    },

    async listServiceEndpoints(namespace, svcName) {
      const slices = await call({ verb: 'list', resource: 'endpointslices', namespace, name: svcName }, () =>
        discovery.listNamespacedEndpointSlice({ namespace, labelSelector: `kubernetes.io/service-name=${svcName}` }),
      );
      const out: PodEndpointView[] = [];
      for (const slice of slices.items) {
        for (const ep of slice.endpoints) {
          for (const port of slice.ports ?? []) {
            for (const ip of ep.addresses) {
              out.push({
                ip,
                port: port.port ?? 0,
                protocol: port.protocol === 'UDP' || port.protocol === 'SCTP' ? port.protocol : 'TCP',
                ...(port.name ? { portName: port.name } : {}),
                ready: ep.conditions?.ready ?? true,
                ...(ep.nodeName ? { nodeName: ep.nodeName } : {}),
                ...(ep.targetRef?.name ? { podName: ep.targetRef.name } : {}),
              });
            }
          }
        }
      }
      return out;
    },

    async listServiceEvents(namespace, svcName) {
      // Events outlive their object: those of an earlier Service with the same name must not show up
      // as this one's. Like `kubectl describe`, keep only the events about the current UID.
      const [service, events] = await Promise.all([
        call({ verb: 'get', resource: 'services', namespace, name: svcName }, () => readService(namespace, svcName)).catch((err: unknown) => {
          if (err instanceof BotError && err.code === 'not_found') return undefined;
          throw err;
        }),
        call({ verb: 'list', resource: 'events', namespace, name: svcName }, () =>
          core.listNamespacedEvent({
            namespace,
            fieldSelector: `involvedObject.kind=Service,involvedObject.name=${svcName}`,
          }),
        ),
      ]);
      if (!service) return [];
      const uid = service.metadata?.uid;
      return events.items
        .filter((ev) => !uid || !ev.involvedObject.uid || ev.involvedObject.uid === uid)
        .map(toEventView)
        .sort((a, b) => a.lastSeen.getTime() - b.lastSeen.getTime());
    },
  };
}

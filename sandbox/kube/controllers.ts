/**
 * The cluster's simulated control loops, each reacting synchronously to store events:
 * - a kubelet+scheduler that binds each new pod to the least loaded node, gives it an IP from the
 *   node's podCIDR (10.244.N.0/24) and makes it Running and Ready at once, and finishes graceful
 *   deletions;
 * - the endpoints and endpointslice controllers, keeping each selector Service's Endpoints and
 *   EndpointSlices equal to what its pods say;
 * - a deployment controller (pods per template hash, status);
 * - the namespace controller, emptying a Terminating namespace and then removing it.
 * They write through the store (trusted writes) and never write when nothing changed.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  HEADLESS_LABEL,
  MANAGED_BY_LABEL,
  SERVICE_NAME_LABEL,
  SLICE_CONTROLLER,
  endpointSliceBodies,
  endpointSubsets,
  managesEndpoints,
} from './endpoints.js';
import { deepEqual } from './patch.js';
import { randomSuffix, timestamp, type Registry, type ResourceDef } from './registry.js';
import type { Resources } from './resources.js';
import { matchesMap } from './selectors.js';
import { cloneObject, type Store, type StoreEvent } from './store.js';
import type { Deployment, EndpointSlice, Endpoints, Node, ObjectMeta, Pod, Service } from './types.js';
import { formatIPv4, parseIPv4 } from './validation.js';
import { templateHash } from './workloads.js';

export interface ControllerContext {
  store: Store;
  registry: Registry;
  resources: Resources;
  now: () => Date;
}

/** Metadata of an object a controller creates. */
export function newMeta(ctx: ControllerContext, namespace: string | undefined, name: string, extra: Partial<ObjectMeta> = {}): ObjectMeta {
  const meta: ObjectMeta = {
    name,
    uid: randomUUID(),
    resourceVersion: '',
    creationTimestamp: timestamp(ctx.now()),
    ...extra,
  };
  if (namespace !== undefined) meta.namespace = namespace;
  return meta;
}

/** A deterministic UUID-shaped id (for objects the sandbox only references, like ReplicaSets). */
function stableUid(seed: string): string {
  const h = createHash('sha1').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/* ----------------------------------------------------------------------------------- kubelet */

export class Kubelet {
  private readonly usedIPs = new Set<number>();

  constructor(private readonly ctx: ControllerContext) {
    for (const pod of ctx.store.list('pods') as Pod[]) {
      const ip = pod.status?.podIP ? parseIPv4(pod.status.podIP) : undefined;
      if (ip !== undefined) this.usedIPs.add(ip);
    }
  }

  handle(ev: StoreEvent): void {
    if (ev.resource !== 'pods') return;
    const pod = ev.object as Pod;
    if (ev.type === 'DELETED') {
      const ip = pod.status?.podIP ? parseIPv4(pod.status.podIP) : undefined;
      if (ip !== undefined) this.usedIPs.delete(ip);
      return;
    }
    const current = this.ctx.store.get('pods', pod.metadata.namespace ?? '', pod.metadata.name) as Pod | undefined;
    if (!current || current.metadata.resourceVersion !== pod.metadata.resourceVersion) return;
    if (current.metadata.deletionTimestamp !== undefined) {
      // Containers stopped: the kubelet confirms the deletion (grace period 0).
      this.ctx.registry.delete(this.ctx.resources.pods, current.metadata.namespace ?? '', current.metadata.name, { gracePeriodSeconds: 0 });
      return;
    }
    if (current.status?.phase === 'Pending') this.run(current);
  }

  private run(pod: Pod): void {
    const nodes = (this.ctx.store.list('nodes') as Node[]).filter(
      (n) => n.spec?.unschedulable !== true && n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    );
    let node: Node | undefined;
    if (pod.spec.nodeName) node = nodes.find((n) => n.metadata.name === pod.spec.nodeName);
    else {
      const load = new Map<string, number>();
      for (const p of this.ctx.store.list('pods') as Pod[]) {
        if (p.spec.nodeName) load.set(p.spec.nodeName, (load.get(p.spec.nodeName) ?? 0) + 1);
      }
      node = [...nodes].sort((a, b) => (load.get(a.metadata.name) ?? 0) - (load.get(b.metadata.name) ?? 0))[0];
    }
    if (!node) return;
    const podIP = this.allocateIP(node);
    if (!podIP) return;
    const hostIP = node.status.addresses.find((a) => a.type === 'InternalIP')?.address ?? '';
    const now = timestamp(this.ctx.now());
    const next = cloneObject(pod);
    next.spec.nodeName = node.metadata.name;
    const condition = (type: string) => ({ type, status: 'True' as const, lastProbeTime: null, lastTransitionTime: now });
    next.status = {
      ...next.status,
      phase: 'Running',
      conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map(condition),
      hostIP,
      hostIPs: [{ ip: hostIP }],
      podIP,
      podIPs: [{ ip: podIP }],
      startTime: now,
      containerStatuses: pod.spec.containers.map((c) => ({
        name: c.name,
        ready: true,
        restartCount: 0,
        started: true,
        state: { running: { startedAt: now } },
        image: c.image ?? '',
        imageID: `${c.image ?? ''}@sha256:${createHash('sha256').update(c.image ?? '').digest('hex')}`,
        containerID: `containerd://${createHash('sha256').update(`${pod.metadata.uid}/${c.name}`).digest('hex')}`,
      })),
    };
    this.ctx.store.update('pods', next);
  }

  private allocateIP(node: Node): string | undefined {
    const cidr = node.spec.podCIDR;
    const base = cidr ? parseIPv4(cidr.split('/')[0] ?? '') : undefined;
    if (base === undefined) return undefined;
    for (let host = 2; host < 255; host++) {
      const ip = base + host;
      if (!this.usedIPs.has(ip)) {
        this.usedIPs.add(ip);
        return formatIPv4(ip);
      }
    }
    return undefined;
  }
}

/* ---------------------------------------------------------------- endpoints & endpointslices */

export class EndpointsController {
  constructor(private readonly ctx: ControllerContext) {}

  handle(ev: StoreEvent): void {
    const ns = ev.object.metadata.namespace ?? '';
    if (ev.resource === 'services') {
      this.sync(ns, ev.object.metadata.name);
      return;
    }
    if (ev.resource !== 'pods') return;
    const labels = [ev.object.metadata.labels, ev.prev?.metadata.labels];
    this.ctx.store.scan('services', ns, undefined, (obj) => {
      const selector = (obj as Service).spec?.selector;
      if (selector && Object.keys(selector).length > 0 && labels.some((l) => l && matchesMap(selector, l))) {
        this.sync(ns, obj.metadata.name);
      }
      return true;
    });
  }

  /** Brings the Service's Endpoints and EndpointSlices to what its pods say. */
  sync(namespace: string, name: string): void {
    const { store } = this.ctx;
    const svc = store.get('services', namespace, name) as Service | undefined;
    const slices = (store.list('endpointslices', namespace) as EndpointSlice[])
      .filter((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === name && s.metadata.labels?.[MANAGED_BY_LABEL] === SLICE_CONTROLLER)
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    const endpoints = store.get('endpoints', namespace, name) as Endpoints | undefined;

    if (!svc || !managesEndpoints(svc)) {
      for (const s of slices) store.delete('endpointslices', namespace, s.metadata.name);
      // A Service without selector keeps the Endpoints its owner writes; a deleted one loses them.
      if (endpoints && (!svc || svc.spec.type === 'ExternalName')) store.delete('endpoints', namespace, name);
      return;
    }
    const pods = store.list('pods', namespace) as Pod[];
    const now = timestamp(this.ctx.now());
    const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
    if (svc.spec.clusterIP === 'None') labels[HEADLESS_LABEL] = '';

    const subsets = endpointSubsets(svc, pods);
    const desired: Endpoints = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: endpoints ? cloneObject(endpoints.metadata) : newMeta(this.ctx, namespace, name),
      ...(subsets ? { subsets } : {}),
    };
    desired.metadata.labels = labels;
    if (!endpoints) {
      desired.metadata.annotations = { 'endpoints.kubernetes.io/last-change-trigger-time': now };
      store.create('endpoints', desired);
    } else if (!deepEqual(endpoints.subsets, desired.subsets) || !deepEqual(endpoints.metadata.labels ?? {}, labels)) {
      desired.metadata.annotations = { ...(desired.metadata.annotations ?? {}), 'endpoints.kubernetes.io/last-change-trigger-time': now };
      store.update('endpoints', desired);
    }

    const zoneOf = (node: string) => (store.get('nodes', '', node) as Node | undefined)?.metadata.labels?.['topology.kubernetes.io/zone'];
    const bodies = endpointSliceBodies(svc, pods, zoneOf);
    const sliceLabels = { ...labels, [SERVICE_NAME_LABEL]: name, [MANAGED_BY_LABEL]: SLICE_CONTROLLER };
    bodies.forEach((body, i) => {
      const existing = slices[i];
      if (!existing) {
        const slice: EndpointSlice = {
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: newMeta(this.ctx, namespace, `${name}-${randomSuffix()}`, {
            generateName: `${name}-`,
            generation: 1,
            labels: sliceLabels,
            annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': now },
            ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name, uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true }],
          }),
          ...body,
        };
        store.create('endpointslices', slice);
        return;
      }
      const same =
        existing.addressType === body.addressType &&
        deepEqual(existing.endpoints, body.endpoints) &&
        deepEqual(existing.ports, body.ports) &&
        deepEqual(existing.metadata.labels, sliceLabels);
      if (same) return;
      const next: EndpointSlice = { ...cloneObject(existing), ...body };
      next.metadata.labels = sliceLabels;
      next.metadata.generation = (existing.metadata.generation ?? 1) + 1;
      next.metadata.annotations = { ...(next.metadata.annotations ?? {}), 'endpoints.kubernetes.io/last-change-trigger-time': now };
      store.update('endpointslices', next);
    });
    for (const extra of slices.slice(bodies.length)) store.delete('endpointslices', namespace, extra.metadata.name);
  }
}

/* ------------------------------------------------------------------------------- deployments */

const TEMPLATE_HASH_LABEL = 'pod-template-hash';

export class DeploymentController {
  constructor(private readonly ctx: ControllerContext) {}

  handle(ev: StoreEvent): void {
    const ns = ev.object.metadata.namespace ?? '';
    if (ev.resource === 'deployments') {
      if (ev.type === 'DELETED') this.collectPods(ev.object as Deployment);
      else this.sync(ns, ev.object.metadata.name);
      return;
    }
    if (ev.resource !== 'pods') return;
    const owner = ev.object.metadata.ownerReferences?.find((r) => r.kind === 'ReplicaSet' && r.controller);
    const hash = ev.object.metadata.labels?.[TEMPLATE_HASH_LABEL];
    if (owner && hash && owner.name.endsWith(`-${hash}`)) this.sync(ns, owner.name.slice(0, -(hash.length + 1)));
  }

  private ownedPods(dep: Deployment): Pod[] {
    const prefix = `${dep.metadata.name}-`;
    return (this.ctx.store.list('pods', dep.metadata.namespace) as Pod[]).filter((p) =>
      p.metadata.ownerReferences?.some((r) => r.kind === 'ReplicaSet' && r.controller && r.name.startsWith(prefix)) &&
      matchesMap(dep.spec.selector.matchLabels ?? {}, p.metadata.labels),
    );
  }

  private collectPods(dep: Deployment): void {
    // The garbage collector removes the dependents of a deleted Deployment (background propagation).
    for (const pod of this.ownedPods(dep)) {
      if (pod.metadata.deletionTimestamp === undefined) {
        this.ctx.registry.delete(this.ctx.resources.pods, pod.metadata.namespace ?? '', pod.metadata.name);
      }
    }
  }

  sync(namespace: string, name: string): void {
    const { store, registry, resources } = this.ctx;
    const dep = store.get('deployments', namespace, name) as Deployment | undefined;
    if (!dep || dep.metadata.deletionTimestamp !== undefined) return;
    const hash = templateHash(dep.spec.template);
    const rsName = `${name}-${hash}`;
    const owned = this.ownedPods(dep).filter((p) => p.metadata.deletionTimestamp === undefined);
    const current = owned.filter((p) => p.metadata.labels?.[TEMPLATE_HASH_LABEL] === hash);
    for (const stale of owned.filter((p) => p.metadata.labels?.[TEMPLATE_HASH_LABEL] !== hash)) {
      registry.delete(resources.pods, namespace, stale.metadata.name);
    }
    const replicas = dep.spec.replicas ?? 1;
    const rsUid = stableUid(`${dep.metadata.uid}/${hash}`);
    for (let n = current.length; n < replicas; n++) {
      const template = cloneObject(dep.spec.template);
      registry.create(resources.pods, namespace, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          generateName: `${rsName}-`,
          labels: { ...(template.metadata?.labels ?? {}), [TEMPLATE_HASH_LABEL]: hash },
          ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rsName, uid: rsUid, controller: true, blockOwnerDeletion: true }],
        },
        spec: template.spec,
      });
    }
    const extra = current
      .slice()
      .sort((a, b) => b.metadata.creationTimestamp.localeCompare(a.metadata.creationTimestamp))
      .slice(0, Math.max(0, current.length - replicas));
    for (const pod of extra) registry.delete(resources.pods, namespace, pod.metadata.name);
    this.updateStatus(namespace, name, hash);
  }

  private updateStatus(namespace: string, name: string, hash: string): void {
    const { store } = this.ctx;
    const dep = store.get('deployments', namespace, name) as Deployment | undefined;
    if (!dep) return;
    const pods = this.ownedPods(dep).filter((p) => p.metadata.deletionTimestamp === undefined);
    const ready = pods.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    const updated = pods.filter((p) => p.metadata.labels?.[TEMPLATE_HASH_LABEL] === hash);
    const replicas = dep.spec.replicas ?? 1;
    const old = dep.status ?? {};
    const now = timestamp(this.ctx.now());
    const condition = (type: string, status: 'True' | 'False', reason: string, message: string) => {
      const prev = old.conditions?.find((c) => c.type === type);
      const same = prev?.status === status && prev.reason === reason;
      return {
        type,
        status,
        lastUpdateTime: same ? prev.lastUpdateTime ?? now : now,
        lastTransitionTime: prev?.status === status ? prev.lastTransitionTime ?? now : now,
        reason,
        message,
      };
    };
    const available = ready.length >= replicas;
    const status: NonNullable<Deployment['status']> = {
      observedGeneration: dep.metadata.generation ?? 1,
      ...(pods.length ? { replicas: pods.length } : {}),
      ...(updated.length ? { updatedReplicas: updated.length } : {}),
      ...(ready.length ? { readyReplicas: ready.length, availableReplicas: ready.length } : {}),
      ...(pods.length - ready.length > 0 ? { unavailableReplicas: pods.length - ready.length } : {}),
      conditions: [
        available
          ? condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.')
          : condition('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.'),
        updated.length >= replicas && available
          ? condition('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${name}-${hash}" has successfully progressed.`)
          : condition('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${name}-${hash}" is progressing.`),
      ],
    };
    const comparable = (s: unknown) => JSON.parse(JSON.stringify(s ?? {}, (k, v: unknown) => (k === 'lastUpdateTime' || k === 'lastTransitionTime' ? undefined : v))) as unknown;
    if (deepEqual(comparable(old), comparable(status))) return;
    store.update('deployments', { ...cloneObject(dep), status });
  }
}

/* -------------------------------------------------------------------------------- namespaces */

export class NamespaceController {
  constructor(private readonly ctx: ControllerContext) {}

  handle(ev: StoreEvent): void {
    if (ev.resource === 'namespaces') {
      if (ev.type !== 'DELETED' && ev.object.metadata.deletionTimestamp !== undefined) this.drain(ev.object.metadata.name);
      return;
    }
    const ns = ev.object.metadata.namespace;
    if (ev.type === 'DELETED' && ns) {
      const namespace = this.ctx.store.get('namespaces', '', ns);
      if (namespace?.metadata.deletionTimestamp !== undefined) this.finalize(ns);
    }
  }

  private namespacedResources(): ResourceDef[] {
    return (Object.values(this.ctx.resources) as ResourceDef[]).filter((d) => d.namespaced);
  }

  private drain(namespace: string): void {
    for (const def of this.namespacedResources()) {
      for (const obj of this.ctx.store.list(def.resource, namespace)) {
        if (obj.metadata.deletionTimestamp !== undefined && (obj.metadata.finalizers?.length ?? 0) > 0) continue;
        if (this.ctx.store.get(def.resource, namespace, obj.metadata.name)) {
          this.ctx.registry.delete(def, namespace, obj.metadata.name, { gracePeriodSeconds: def.resource === 'pods' ? 0 : undefined });
        }
      }
    }
    this.finalize(namespace);
  }

  private finalize(namespace: string): void {
    if (this.namespacedResources().some((d) => this.ctx.store.count(d.resource, namespace) > 0)) return;
    if (this.ctx.store.get('namespaces', '', namespace)) this.ctx.store.delete('namespaces', '', namespace);
  }
}

/**
 * The resources the simulated apiserver serves, each with its resource-specific behaviour for the
 * generic registry: names, field selectors, defaulting, validation, allocation, deletion.
 */
import { forbidden } from './errors.js';
import { timestamp, type ResourceDef } from './registry.js';
import {
  decodeService,
  defaultService,
  prepareServiceUpdate,
  validateService,
  validateServiceStatus,
  validateServiceUpdate,
  type ServiceAllocator,
} from './services.js';
import type { Deployment, Event, KubeObject, Namespace, Pod, Service } from './types.js';
import { dns1035LabelErrors, dns1123LabelErrors, dns1123SubdomainErrors } from './validation.js';
import {
  defaultDeployment,
  defaultPod,
  validateDeployment,
  validateDeploymentUpdate,
  validatePod,
  validatePodUpdate,
} from './workloads.js';

/** Namespaces that exist in every cluster and cannot be deleted. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'] as const;
const UNDELETABLE_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  return v === undefined || v === null ? undefined : JSON.stringify(v);
}

const base = {
  group: '',
  version: 'v1',
  namespaced: true,
  returnDeletedObject: false,
  allowCreateOnUpdate: false,
  tracksGeneration: false,
  hasStatus: false,
  nameErrors: dns1123SubdomainErrors,
} as const;

export interface Resources {
  services: ResourceDef;
  pods: ResourceDef;
  namespaces: ResourceDef;
  nodes: ResourceDef;
  events: ResourceDef;
  endpoints: ResourceDef;
  endpointslices: ResourceDef;
  deployments: ResourceDef;
}

export function createResources(allocator: ServiceAllocator): Resources {
  const services: ResourceDef = {
    ...base,
    resource: 'services',
    kind: 'Service',
    returnDeletedObject: true,
    allowCreateOnUpdate: true,
    hasStatus: true,
    nameErrors: dns1035LabelErrors,
    fields: {
      'spec.clusterIP': (o) => str((o as Service).spec?.clusterIP),
      'spec.type': (o) => str((o as Service).spec?.type),
    },
    decode: decodeService,
    prepareForCreate(obj) {
      const svc = obj as Service;
      svc.spec ??= {};
      svc.status = { loadBalancer: {} };
      defaultService(svc);
    },
    validate: (obj) => validateService(obj as Service),
    prepareForUpdate(obj, old) {
      const svc = obj as Service;
      svc.spec ??= {};
      prepareServiceUpdate(svc, old as Service);
      defaultService(svc);
    },
    validateUpdate: (obj, old) => validateServiceUpdate(obj as Service, old as Service),
    validateStatus: (obj) => validateServiceStatus(obj as Service),
    allocate: (obj, old, dryRun) => allocator.allocate(obj as Service, old as Service | undefined, dryRun),
    release: (obj) => allocator.release(obj as Service),
  };

  const pods: ResourceDef = {
    ...base,
    resource: 'pods',
    kind: 'Pod',
    returnDeletedObject: true,
    hasStatus: true,
    fields: {
      'spec.nodeName': (o) => str((o as Pod).spec?.nodeName),
      'spec.restartPolicy': (o) => str((o as Pod).spec?.restartPolicy),
      'spec.schedulerName': (o) => str((o as Pod).spec?.schedulerName),
      'spec.serviceAccountName': (o) => str((o as Pod).spec?.serviceAccountName),
      'spec.hostNetwork': (o) => String((o as Pod).spec?.hostNetwork === true),
      'status.phase': (o) => str((o as Pod).status?.phase),
      'status.podIP': (o) => str((o as Pod).status?.podIP),
      'status.nominatedNodeName': (o) => str((o as Pod).status?.nominatedNodeName),
    },
    prepareForCreate: (obj) => defaultPod(obj as Pod),
    validate: (obj) => validatePod(obj as Pod),
    prepareForUpdate(obj, old) {
      const pod = obj as Pod;
      const o = old as Pod;
      pod.spec ??= { containers: [] };
      // Defaults are part of the stored spec; a client resending the manifest does not change them.
      for (const [k, v] of Object.entries(o.spec)) if (pod.spec[k] === undefined) pod.spec[k] = structuredClone(v);
    },
    validateUpdate: (obj, old) => validatePodUpdate(obj as Pod, old as Pod),
    gracePeriodSeconds(obj, requested) {
      const pod = obj as Pod;
      // A pod that never ran on a node goes at once.
      if (!pod.spec?.nodeName) return 0;
      const g = requested ?? (pod.spec.terminationGracePeriodSeconds as number | undefined) ?? 30;
      return Math.max(0, g);
    },
  };

  const namespaces: ResourceDef = {
    ...base,
    resource: 'namespaces',
    kind: 'Namespace',
    namespaced: false,
    returnDeletedObject: true,
    hasStatus: true,
    nameErrors: dns1123LabelErrors,
    fields: { 'status.phase': (o) => str((o as Namespace).status?.phase) },
    prepareForCreate(obj) {
      const ns = obj as Namespace;
      ns.spec = { finalizers: ['kubernetes'] };
      ns.status = { phase: 'Active' };
      ns.metadata.labels = { ...(ns.metadata.labels ?? {}), 'kubernetes.io/metadata.name': ns.metadata.name };
    },
    prepareForUpdate(obj, old) {
      const ns = obj as Namespace;
      ns.spec = structuredClone((old as Namespace).spec);
      ns.metadata.labels = { ...(ns.metadata.labels ?? {}), 'kubernetes.io/metadata.name': ns.metadata.name };
    },
    validateDelete(obj) {
      if (UNDELETABLE_NAMESPACES.has(obj.metadata.name)) {
        throw forbidden({ group: '', resource: 'namespaces' }, obj.metadata.name, 'this namespace may not be deleted');
      }
    },
    beginDelete(obj, ctx) {
      const ns = obj as Namespace;
      if (ns.metadata.deletionTimestamp === undefined) {
        ns.metadata.deletionTimestamp = timestamp(ctx.now);
        ns.metadata.deletionGracePeriodSeconds = 0;
      }
      ns.status = { phase: 'Terminating' };
      return ns;
    },
  };

  const nodes: ResourceDef = {
    ...base,
    resource: 'nodes',
    kind: 'Node',
    namespaced: false,
    hasStatus: true,
    fields: { 'spec.unschedulable': (o) => String((o as { spec?: { unschedulable?: boolean } }).spec?.unschedulable === true) },
    prepareForCreate(obj) {
      obj.spec ??= {};
      obj.status ??= { addresses: [], conditions: [] };
    },
  };

  const eventField = (path: string) => (o: KubeObject) => str((o as Event).involvedObject?.[path as keyof Event['involvedObject']]);
  const events: ResourceDef = {
    ...base,
    resource: 'events',
    kind: 'Event',
    fields: {
      'involvedObject.kind': eventField('kind'),
      'involvedObject.namespace': eventField('namespace'),
      'involvedObject.name': eventField('name'),
      'involvedObject.uid': eventField('uid'),
      'involvedObject.apiVersion': eventField('apiVersion'),
      'involvedObject.resourceVersion': eventField('resourceVersion'),
      'involvedObject.fieldPath': eventField('fieldPath'),
      reason: (o) => str((o as Event).reason),
      reportingComponent: (o) => str((o as Event).reportingComponent),
      source: (o) => str((o as Event).source?.component),
      type: (o) => str((o as Event).type),
    },
    // Events may carry any name (the recorder uses `<object>.<hex timestamp>`).
    nameErrors: () => [],
  };

  const endpoints: ResourceDef = { ...base, resource: 'endpoints', kind: 'Endpoints' };

  const endpointslices: ResourceDef = {
    ...base,
    group: 'discovery.k8s.io',
    resource: 'endpointslices',
    kind: 'EndpointSlice',
    tracksGeneration: true,
  };

  const deployments: ResourceDef = {
    ...base,
    group: 'apps',
    resource: 'deployments',
    kind: 'Deployment',
    returnDeletedObject: false,
    tracksGeneration: true,
    hasStatus: true,
    prepareForCreate(obj) {
      const d = obj as Deployment;
      defaultDeployment(d);
      delete d.status;
    },
    validate: (obj) => validateDeployment(obj as Deployment),
    prepareForUpdate: (obj) => defaultDeployment(obj as Deployment),
    validateUpdate: (obj, old) => validateDeploymentUpdate(obj as Deployment, old as Deployment),
  };

  return { services, pods, namespaces, nodes, events, endpoints, endpointslices, deployments };
}

/** Finds the served resource for a URL: group, version and plural name. */
export function resourceFor(resources: Resources, group: string, version: string, name: string): ResourceDef | undefined {
  const def = (resources as unknown as Record<string, ResourceDef | undefined>)[name];
  return def && def.group === group && def.version === version ? def : undefined;
}

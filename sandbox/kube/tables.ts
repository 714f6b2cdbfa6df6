/**
 * Server-side printing: turns stored objects into a meta.k8s.io/v1 `Table`, the answer to a request
 * with `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` (what `kubectl get` sends). Columns and
 * cells follow the real apiserver's printers (pkg/printers/internalversion/printers.go) and AGE
 * follows apimachinery's `duration.HumanDuration`; resources without a printer get the generic
 * NAME / CREATED AT table, like the apiserver's default table convertor.
 *
 * The real apiserver always prints with `wide: true` and lets kubectl hide the priority > 0 columns
 * unless `-o wide` is given; do the same. `wide: false` drops those columns (and their cells)
 * and clips long load-balancer addresses, as the printers do for client-side printing.
 *
 * Pure: no I/O, nothing imported from svcbot.
 */
import { formatLabelSelector } from './selectors.js';
import type { KubeObject } from './types.js';

interface TableColumnDefinition {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  priority: number;
}

interface TableRowCondition {
  type: 'Completed';
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
}

type TableCell = string | number | boolean;

interface TableRow {
  cells: TableCell[];
  conditions?: TableRowCondition[];
  object?: unknown;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string };
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

export interface TableOptions {
  /** Include the priority > 0 ("-o wide") columns. The real apiserver always does. */
  wide: boolean;
  /** The clock AGE columns are computed against. */
  now: Date;
  /** The list's metadata (or, for a single object, `{ resourceVersion }` of that object). */
  listMeta?: { resourceVersion?: string; continue?: string };
  /**
   * TableOptions.includeObject: what each row's `object` carries. `Metadata` (the default) is a
   * PartialObjectMetadata, `Object` the whole object (kubectl asks for it with `--sort-by`), `None` nothing.
   */
  includeObject?: 'None' | 'Metadata' | 'Object';
  /**
   * Leave `columnDefinitions` empty, as the apiserver does for watch events after the first one;
   * kubectl reuses the columns it saw last.
   */
  noHeaders?: boolean;
}

/* ------------------------------------------------------------------------------ small readers */

type Json = Record<string, unknown>;

function at(o: unknown, ...path: string[]): unknown {
  let cur = o;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Json)[key];
  }
  return cur;
}
function str(o: unknown, ...path: string[]): string {
  const v = at(o, ...path);
  return typeof v === 'string' ? v : '';
}
function num(o: unknown, ...path: string[]): number {
  const v = at(o, ...path);
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}
function list(o: unknown, ...path: string[]): unknown[] {
  const v = at(o, ...path);
  return Array.isArray(v) ? v : [];
}
function record(o: unknown, ...path: string[]): Json | undefined {
  const v = at(o, ...path);
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
}
function stringMap(o: unknown, ...path: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record(o, ...path) ?? {})) if (typeof v === 'string') out[k] = v;
  return out;
}
/** Milliseconds since the epoch, or undefined for a missing/unparseable timestamp (Go's zero Time). */
function time(o: unknown, ...path: string[]): number | undefined {
  const v = at(o, ...path);
  if (typeof v !== 'string' || v === '') return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

/* ------------------------------------------------------------------------------- formatting */

/**
 * apimachinery's `duration.HumanDuration`: about two significant figures, e.g. `5s`, `119s`, `3m2s`,
 * `10m`, `179m`, `3h5m`, `47h`, `2d3h`, `9d`, `2y15d`, `8y`. A duration up to 2s in the future
 * (clock skew) reads `0s`; further in the future, `<invalid>`.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(ms / 3_600_000);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.floor(days / 365);
  if (hours < 24 * 365 * 8) {
    const dy = days % 365;
    return dy === 0 ? `${years}y` : `${years}y${dy}d`;
  }
  return `${years}y`;
}

/** The printers' `translateTimestampSince`: `<unknown>` for a zero timestamp. */
function since(ts: number | undefined, now: Date): string {
  return ts === undefined ? '<unknown>' : humanDuration(now.getTime() - ts);
}

/** labels.FormatLabels: `k=v` pairs sorted by key, `<none>` when empty. */
function formatLabels(labels: Record<string, string>): string {
  const keys = Object.keys(labels).sort();
  return keys.length === 0 ? '<none>' : keys.map((k) => `${k}=${labels[k]}`).join(',');
}

/** net.JoinHostPort. */
function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The printers' "first three, then `+ N more...`" lists. */
function listWithMore(items: string[], max = 3): { text: string; more: boolean } {
  if (items.length <= max) return { text: items.join(','), more: false };
  return { text: `${items.slice(0, max).join(',')} + ${items.length - max} more...`, more: true };
}

/* --------------------------------------------------------------------------- column helpers */

const NAME_DESC =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const AGE_DESC =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

function col(
  name: string,
  description: string,
  more: { type?: TableColumnDefinition['type']; format?: string; priority?: number } = {},
): TableColumnDefinition {
  return { name, type: more.type ?? 'string', format: more.format ?? '', description, priority: more.priority ?? 0 };
}
const nameCol = (): TableColumnDefinition => col('Name', NAME_DESC, { format: 'name' });
const ageCol = (): TableColumnDefinition => col('Age', AGE_DESC);

interface PrintedRow {
  cells: TableCell[];
  conditions?: TableRowCondition[];
}

interface Printer {
  columns: TableColumnDefinition[];
  /** Cells for every column in `columns` (wide ones included), in order. */
  row(obj: KubeObject, ctx: { now: Date; wide: boolean }): PrintedRow;
}

/* ------------------------------------------------------------------------------- printers */

const LOAD_BALANCER_WIDTH = 16;

function loadBalancerStatus(svc: KubeObject, wide: boolean): string {
  const addrs = new Set<string>();
  for (const ing of list(svc, 'status', 'loadBalancer', 'ingress')) {
    const ip = str(ing, 'ip');
    const hostname = str(ing, 'hostname');
    if (ip !== '') addrs.add(ip);
    else if (hostname !== '') addrs.add(hostname);
  }
  let r = [...addrs].sort().join(',');
  if (!wide && r.length > LOAD_BALANCER_WIDTH) r = `${r.slice(0, LOAD_BALANCER_WIDTH - 3)}...`;
  return r;
}

/** The EXTERNAL-IP cell: `<none>`, `<pending>`, the load balancer's addresses and/or externalIPs. */
function serviceExternalIP(svc: KubeObject, wide = true): string {
  const externalIPs = list(svc, 'spec', 'externalIPs').filter((v): v is string => typeof v === 'string');
  switch (str(svc, 'spec', 'type') || 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerStatus(svc, wide);
      if (externalIPs.length > 0) return [...(lb === '' ? [] : lb.split(',')), ...externalIPs].join(',');
      return lb === '' ? '<pending>' : lb;
    }
    case 'ExternalName':
      return str(svc, 'spec', 'externalName');
    default:
      return '<unknown>';
  }
}

/** The PORT(S) cell: `port[:nodePort]/protocol`, comma-separated; `<none>` without ports. */
function servicePorts(svc: KubeObject): string {
  const pieces = list(svc, 'spec', 'ports').map((p) => {
    const protocol = str(p, 'protocol') || 'TCP';
    const nodePort = num(p, 'nodePort');
    return nodePort > 0 ? `${num(p, 'port')}:${nodePort}/${protocol}` : `${num(p, 'port')}/${protocol}`;
  });
  return pieces.length === 0 ? '<none>' : pieces.join(',');
}

const servicePrinter: Printer = {
  columns: [
    nameCol(),
    col(
      'Type',
      'type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer.',
    ),
    col('Cluster-IP', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
    col('External-IP', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
    col('Port(s)', 'The list of ports that are exposed by this service.'),
    ageCol(),
    col('Selector', 'Route service traffic to pods with label keys and values matching this selector.', { priority: 1 }),
  ],
  row(svc, { now, wide }) {
    const clusterIPs = list(svc, 'spec', 'clusterIPs').filter((v): v is string => typeof v === 'string');
    const clusterIP = clusterIPs[0] ?? (str(svc, 'spec', 'clusterIP') || '<none>');
    return {
      cells: [
        svc.metadata.name,
        str(svc, 'spec', 'type') || 'ClusterIP',
        clusterIP,
        serviceExternalIP(svc, wide),
        servicePorts(svc),
        since(time(svc, 'metadata', 'creationTimestamp'), now),
        formatLabels(stringMap(svc, 'spec', 'selector')),
      ],
    };
  },
};

function podRow(pod: KubeObject, now: Date): PrintedRow {
  const spec = record(pod, 'spec');
  const status = record(pod, 'status');
  const phase = str(status, 'phase');
  let reason = str(status, 'reason') || phase;
  const conditions = list(status, 'conditions');
  if (conditions.some((c) => str(c, 'type') === 'PodScheduled' && str(c, 'reason') === 'SchedulingGated')) {
    reason = 'SchedulingGated';
  }
  let restarts = 0;
  let restartableInitRestarts = 0;
  let totalContainers = list(spec, 'containers').length;
  let readyContainers = 0;
  let lastRestart: number | undefined;
  let lastRestartableInitRestart: number | undefined;
  const later = (a: number | undefined, b: number | undefined): number | undefined =>
    a === undefined ? b : b === undefined ? a : Math.max(a, b);

  const initContainers = list(spec, 'initContainers');
  const restartable = new Set<string>();
  for (const c of initContainers) {
    // A sidecar: an init container that keeps running (restartPolicy: Always).
    if (str(c, 'restartPolicy') === 'Always') {
      restartable.add(str(c, 'name'));
      totalContainers++;
    }
  }

  let initializing = false;
  const initStatuses = list(status, 'initContainerStatuses');
  for (const [i, c] of initStatuses.entries()) {
    restarts += num(c, 'restartCount');
    const finished = time(c, 'lastState', 'terminated', 'finishedAt');
    lastRestart = later(lastRestart, finished);
    const isSidecar = restartable.has(str(c, 'name'));
    if (isSidecar) {
      restartableInitRestarts += num(c, 'restartCount');
      lastRestartableInitRestart = later(lastRestartableInitRestart, finished);
    }
    const terminated = record(c, 'state', 'terminated');
    const waiting = record(c, 'state', 'waiting');
    if (terminated && num(terminated, 'exitCode') === 0) continue;
    if (isSidecar && at(c, 'started') === true) {
      if (at(c, 'ready') === true) readyContainers++;
      continue;
    }
    if (terminated) {
      const why = str(terminated, 'reason');
      if (why !== '') reason = `Init:${why}`;
      else if (num(terminated, 'signal') !== 0) reason = `Init:Signal:${num(terminated, 'signal')}`;
      else reason = `Init:ExitCode:${num(terminated, 'exitCode')}`;
    } else if (waiting && str(waiting, 'reason') !== '' && str(waiting, 'reason') !== 'PodInitializing') {
      reason = `Init:${str(waiting, 'reason')}`;
    } else {
      reason = `Init:${i}/${initContainers.length}`;
    }
    initializing = true;
    break;
  }

  const initialized = conditions.some((c) => str(c, 'type') === 'Initialized' && str(c, 'status') === 'True');
  if (!initializing || initialized) {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const statuses = list(status, 'containerStatuses');
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i];
      restarts += num(c, 'restartCount');
      lastRestart = later(lastRestart, time(c, 'lastState', 'terminated', 'finishedAt'));
      const waiting = record(c, 'state', 'waiting');
      const terminated = record(c, 'state', 'terminated');
      if (waiting && str(waiting, 'reason') !== '') reason = str(waiting, 'reason');
      else if (terminated && str(terminated, 'reason') !== '') reason = str(terminated, 'reason');
      else if (terminated) {
        reason =
          num(terminated, 'signal') !== 0 ? `Signal:${num(terminated, 'signal')}` : `ExitCode:${num(terminated, 'exitCode')}`;
      } else if (at(c, 'ready') === true && record(c, 'state', 'running')) {
        hasRunning = true;
        readyContainers++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      const podReady = conditions.some((c) => str(c, 'type') === 'Ready' && str(c, 'status') === 'True');
      reason = podReady ? 'Running' : 'NotReady';
    }
  }

  const deleting = str(pod, 'metadata', 'deletionTimestamp') !== '';
  if (deleting && str(status, 'reason') === 'NodeLost') reason = 'Unknown';
  else if (deleting && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  const restartsText =
    restarts !== 0 && lastRestart !== undefined ? `${restarts} (${since(lastRestart, now)} ago)` : String(restarts);

  const podIPs = list(status, 'podIPs');
  const podIP = str(podIPs[0], 'ip') || str(status, 'podIP') || '<none>';
  const gates = list(spec, 'readinessGates');
  let readinessGates = '<none>';
  if (gates.length > 0) {
    const trueGates = gates.filter((g) => {
      const cond = conditions.find((c) => str(c, 'type') === str(g, 'conditionType'));
      return cond !== undefined && str(cond, 'status') === 'True';
    }).length;
    readinessGates = `${trueGates}/${gates.length}`;
  }

  const row: PrintedRow = {
    cells: [
      pod.metadata.name,
      `${readyContainers}/${totalContainers}`,
      reason,
      restartsText,
      since(time(pod, 'metadata', 'creationTimestamp'), now),
      podIP,
      str(spec, 'nodeName') || '<none>',
      str(status, 'nominatedNodeName') || '<none>',
      readinessGates,
    ],
  };
  if (phase === 'Succeeded') {
    row.conditions = [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }];
  } else if (phase === 'Failed') {
    row.conditions = [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];
  }
  return row;
}

const podPrinter: Printer = {
  columns: [
    nameCol(),
    col('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'The aggregate status of the containers in this pod.'),
    col(
      'Restarts',
      'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
    ),
    ageCol(),
    col('IP', 'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', {
      priority: 1,
    }),
    col('Node', 'NodeName indicates in which node this pod is scheduled.', { priority: 1 }),
    col('Nominated Node', 'nominatedNodeName is set only when this pod preempts other pods on the node.', { priority: 1 }),
    col('Readiness Gates', 'If specified, all readiness gates will be evaluated for pod readiness.', { priority: 1 }),
  ],
  row: (pod, { now }) => podRow(pod, now),
};

function nodeAddress(node: KubeObject, type: string): string {
  const found = list(node, 'status', 'addresses').find((a) => str(a, 'type') === type);
  return found === undefined ? '<none>' : str(found, 'address');
}

function nodeRoles(node: KubeObject): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(stringMap(node, 'metadata', 'labels'))) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role !== '') roles.add(role);
    } else if (k === 'kubernetes.io/role' && v !== '') {
      roles.add(v);
    }
  }
  return roles.size === 0 ? '<none>' : [...roles].sort().join(',');
}

const nodePrinter: Printer = {
  columns: [
    nameCol(),
    col('Status', 'The status of the node'),
    col('Roles', 'The roles of the node'),
    ageCol(),
    col('Version', 'Kubelet Version reported by the node.'),
    col('Internal-IP', 'List of addresses reachable to the node.', { priority: 1 }),
    col('External-IP', 'List of addresses reachable to the node.', { priority: 1 }),
    col('OS-Image', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', { priority: 1 }),
    col('Kernel-Version', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", { priority: 1 }),
    col('Container-Runtime', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', {
      priority: 1,
    }),
  ],
  row(node, { now }) {
    const ready = list(node, 'status', 'conditions').find((c) => str(c, 'type') === 'Ready');
    const status = ready === undefined ? ['Unknown'] : [str(ready, 'status') === 'True' ? 'Ready' : 'NotReady'];
    if (at(node, 'spec', 'unschedulable') === true) status.push('SchedulingDisabled');
    const info = (key: string): string => str(node, 'status', 'nodeInfo', key) || '<unknown>';
    return {
      cells: [
        node.metadata.name,
        status.join(','),
        nodeRoles(node),
        since(time(node, 'metadata', 'creationTimestamp'), now),
        str(node, 'status', 'nodeInfo', 'kubeletVersion'),
        nodeAddress(node, 'InternalIP'),
        nodeAddress(node, 'ExternalIP'),
        info('osImage'),
        info('kernelVersion'),
        info('containerRuntimeVersion'),
      ],
    };
  },
};

const namespacePrinter: Printer = {
  columns: [nameCol(), col('Status', 'The status of the namespace'), ageCol()],
  row: (ns, { now }) => ({
    cells: [ns.metadata.name, str(ns, 'status', 'phase'), since(time(ns, 'metadata', 'creationTimestamp'), now)],
  }),
};

function containerCells(template: unknown): [string, string] {
  const containers = list(template, 'spec', 'containers');
  return [containers.map((c) => str(c, 'name')).join(','), containers.map((c) => str(c, 'image')).join(',')];
}

const deploymentPrinter: Printer = {
  columns: [
    nameCol(),
    col('Ready', 'Number of the pod with ready state'),
    col('Up-to-date', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
    col('Available', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
    ageCol(),
    col('Containers', 'Names of each container in the template.', { priority: 1 }),
    col('Images', 'Images referenced by each container in the template.', { priority: 1 }),
    col('Selector', 'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.', {
      priority: 1,
    }),
  ],
  row(d, { now }) {
    // spec.replicas defaults to 1.
    const desired = typeof at(d, 'spec', 'replicas') === 'number' ? num(d, 'spec', 'replicas') : 1;
    const [names, images] = containerCells(at(d, 'spec', 'template'));
    return {
      cells: [
        d.metadata.name,
        `${num(d, 'status', 'readyReplicas')}/${desired}`,
        num(d, 'status', 'updatedReplicas'),
        num(d, 'status', 'availableReplicas'),
        since(time(d, 'metadata', 'creationTimestamp'), now),
        names,
        images,
        formatLabelSelector(record(d, 'spec', 'selector')),
      ],
    };
  },
};

/** The ENDPOINTS cell of an Endpoints object: `ip:port` pairs, three at most, then `+ N more...`. */
function formatEndpoints(ep: KubeObject): string {
  const subsets = list(ep, 'subsets');
  if (subsets.length === 0) return '<none>';
  const items: string[] = [];
  for (const ss of subsets) {
    const ips = list(ss, 'addresses').map((a) => str(a, 'ip'));
    const ports = list(ss, 'ports');
    // A headless service may have no ports: then the addresses alone.
    if (ports.length === 0) items.push(...ips);
    else for (const p of ports) for (const ip of ips) items.push(joinHostPort(ip, num(p, 'port')));
  }
  return listWithMore(items).text;
}

const endpointsPrinter: Printer = {
  columns: [
    nameCol(),
    col(
      'Endpoints',
      'The set of all endpoints is the union of all subsets. Addresses are placed into subsets according to the IPs they share.',
    ),
    ageCol(),
  ],
  row: (ep, { now }) => ({
    cells: [ep.metadata.name, formatEndpoints(ep), since(time(ep, 'metadata', 'creationTimestamp'), now)],
  }),
};

function unsetIfEmpty(items: string[]): string {
  const { text } = listWithMore(items);
  return text === '' ? '<unset>' : text;
}

const endpointSlicePrinter: Printer = {
  columns: [
    nameCol(),
    col('AddressType', 'addressType specifies the type of address carried by this EndpointSlice.'),
    col('Ports', 'ports specifies the list of network ports exposed by each endpoint in this slice.'),
    col('Endpoints', 'endpoints is a list of unique endpoints in this slice.'),
    ageCol(),
  ],
  row(slice, { now }) {
    const ports = list(slice, 'ports').map((p) => {
      if (typeof at(p, 'port') === 'number') return String(num(p, 'port'));
      return str(p, 'name') || '*';
    });
    const addresses = list(slice, 'endpoints').flatMap((e) =>
      list(e, 'addresses').filter((a): a is string => typeof a === 'string'),
    );
    return {
      cells: [
        slice.metadata.name,
        str(slice, 'addressType'),
        unsetIfEmpty(ports),
        unsetIfEmpty(addresses),
        since(time(slice, 'metadata', 'creationTimestamp'), now),
      ],
    };
  },
};

const eventPrinter: Printer = {
  columns: [
    col('Last Seen', 'The time at which the most recent occurrence of this event was recorded.'),
    col('Type', 'Type of this event (Normal, Warning), new types could be added in the future'),
    col('Reason', "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
    col('Object', 'The object that this event is about.'),
    col('Subobject', 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.', {
      priority: 1,
    }),
    col('Source', 'The component reporting this event. Should be a short machine understandable string.', { priority: 1 }),
    col('Message', 'A human-readable description of the status of this operation.'),
    col('First Seen', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', { priority: 1 }),
    col('Count', 'The number of times this event has occurred.', { priority: 1 }),
    col('Name', NAME_DESC, { format: 'name', priority: 1 }),
  ],
  row(ev, { now }) {
    const first = time(ev, 'firstTimestamp');
    const firstSeen = first !== undefined ? since(first, now) : since(time(ev, 'eventTime'), now);
    const last = time(ev, 'lastTimestamp');
    let lastSeen = last !== undefined ? since(last, now) : firstSeen;
    let count = num(ev, 'count');
    if (record(ev, 'series')) {
      lastSeen = since(time(ev, 'series', 'lastObservedTime'), now);
      count = num(ev, 'series', 'count');
    } else if (count === 0) {
      count = 1; // singleton events carry no count in the events.k8s.io API
    }
    const kind = str(ev, 'involvedObject', 'kind').toLowerCase();
    const name = str(ev, 'involvedObject', 'name');
    const component = str(ev, 'source', 'component') || str(ev, 'reportingComponent');
    const host = str(ev, 'source', 'host') || str(ev, 'reportingInstance');
    return {
      cells: [
        lastSeen,
        str(ev, 'type'),
        str(ev, 'reason'),
        name === '' ? kind : `${kind}/${name}`,
        str(ev, 'involvedObject', 'fieldPath'),
        host === '' ? component : `${component}, ${host}`,
        str(ev, 'message').trim(),
        firstSeen,
        count,
        ev.metadata.name,
      ],
    };
  },
};

/** The autoscaling/v1 Scale of a scale subresource (`kubectl get deployment NAME --subresource=scale`). */
const scalePrinter: Printer = {
  columns: [
    nameCol(),
    col('Desired', 'replicas is the desired number of instances for the scaled object.', { type: 'integer' }),
    col('Available', 'replicas is the actual number of observed instances of the scaled object.', { type: 'integer' }),
  ],
  row: (s) => ({ cells: [s.metadata.name, num(s, 'spec', 'replicas'), num(s, 'status', 'replicas')] }),
};

/** The apiserver's default table convertor, for resources without a printer. */
const defaultPrinter: Printer = {
  columns: [nameCol(), col('Created At', AGE_DESC, { type: 'date' })],
  row(obj) {
    const created = time(obj, 'metadata', 'creationTimestamp');
    return {
      // RFC3339 in UTC, seconds precision, like Go's time.RFC3339.
      cells: [obj.metadata.name, created === undefined ? '0001-01-01T00:00:00Z' : new Date(created).toISOString().replace(/\.\d{3}Z$/, 'Z')],
    };
  },
};

const PRINTERS: Readonly<Record<string, Printer>> = {
  services: servicePrinter,
  pods: podPrinter,
  nodes: nodePrinter,
  namespaces: namespacePrinter,
  deployments: deploymentPrinter,
  endpoints: endpointsPrinter,
  endpointslices: endpointSlicePrinter,
  events: eventPrinter,
  scale: scalePrinter,
};

function rowObject(obj: KubeObject, include: TableOptions['includeObject']): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return obj;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

/**
 * A meta.k8s.io/v1 Table of `objects` for `resource` (the plural resource name: `services`, `pods`,
 * `nodes`, `namespaces`, `deployments`, `endpoints`, `events`, `endpointslices`, or `scale` for a Scale; any other name gets
 * the generic NAME / CREATED AT columns). For a single-object GET pass that one object and its
 * `{ resourceVersion }` as `listMeta`.
 */
export function toTable(resource: string, objects: KubeObject[], opts: TableOptions): Table {
  const printer = PRINTERS[resource] ?? defaultPrinter;
  const keep = printer.columns.map((c) => opts.wide || c.priority === 0);
  const rows = objects.map((obj): TableRow => {
    const printed = printer.row(obj, { now: opts.now, wide: opts.wide });
    const row: TableRow = { cells: printed.cells.filter((_, i) => keep[i] === true) };
    if (printed.conditions) row.conditions = printed.conditions;
    const object = rowObject(obj, opts.includeObject);
    if (object !== undefined) row.object = object;
    return row;
  });
  const metadata: Table['metadata'] = {};
  if (opts.listMeta?.resourceVersion !== undefined) metadata.resourceVersion = opts.listMeta.resourceVersion;
  if (opts.listMeta?.continue !== undefined && opts.listMeta.continue !== '') metadata.continue = opts.listMeta.continue;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: opts.noHeaders ? [] : printer.columns.filter((_, i) => keep[i] === true).map((c) => ({ ...c })),
    rows,
  };
}

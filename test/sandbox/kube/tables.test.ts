import { describe, expect, it } from '@jest/globals';
import { humanDuration, toTable, type Table } from '../../../sandbox/kube/tables.js';
import type { KubeObject } from '../../../sandbox/kube/types.js';

const NOW = new Date('2024-06-01T12:00:00Z');
const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

/** An RFC3339 timestamp `ms` before NOW. */
function ago(ms: number): string {
  return new Date(NOW.getTime() - ms).toISOString().replace(/\.000Z$/, 'Z');
}

function obj(apiVersion: string, kind: string, name: string, rest: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion,
    kind,
    metadata: { name, namespace: 'default', uid: `uid-${name}`, resourceVersion: '7', creationTimestamp: ago(5 * M), ...meta },
    ...rest,
  };
}
const svc = (spec: Record<string, unknown>, status: Record<string, unknown> = {}): KubeObject =>
  obj('v1', 'Service', 'web', { spec, status });
const pod = (spec: Record<string, unknown>, status: Record<string, unknown>, meta: Record<string, unknown> = {}): KubeObject =>
  obj('v1', 'Pod', 'web-1', { spec, status }, meta);

function table(resource: string, objects: KubeObject[], wide = true): Table {
  return toTable(resource, objects, { wide, now: NOW });
}
function cells(resource: string, o: KubeObject, wide = true): unknown[] {
  return table(resource, [o], wide).rows[0]!.cells;
}
/** The cell under column `name` (as kubectl shows it, case-insensitive). */
function cell(resource: string, o: KubeObject, name: string, wide = true): unknown {
  const t = table(resource, [o], wide);
  const i = t.columnDefinitions.findIndex((c) => c.name.toUpperCase() === name.toUpperCase());
  if (i < 0) throw new Error(`no column ${name} for ${resource}`);
  return t.rows[0]!.cells[i];
}

describe('humanDuration (apimachinery duration.HumanDuration)', () => {
  it.each([
    [0, '0s'],
    [-1.5 * S, '0s'],
    [-2 * S, '<invalid>'],
    [5 * S, '5s'],
    [119 * S + 999, '119s'],
    [120 * S, '2m'],
    [3 * M + 2 * S, '3m2s'],
    [9 * M + 59 * S, '9m59s'],
    [10 * M + 30 * S, '10m'],
    [179 * M, '179m'],
    [3 * H, '3h'],
    [3 * H + 5 * M, '3h5m'],
    [7 * H + 59 * M, '7h59m'],
    [8 * H + 30 * M, '8h'],
    [47 * H, '47h'],
    [2 * D, '2d'],
    [2 * D + 3 * H, '2d3h'],
    [7 * D + 23 * H, '7d23h'],
    [8 * D + 5 * H, '8d'],
    [729 * D, '729d'],
    [730 * D, '2y'],
    [745 * D, '2y15d'],
    [8 * 365 * D, '8y'],
    [3000 * D, '8y'],
  ])('%d ms -> %s', (ms, expected) => {
    expect(humanDuration(ms)).toBe(expected);
  });

  it('reads <unknown> for an object without a creation timestamp', () => {
    expect(cell('namespaces', obj('v1', 'Namespace', 'x', {}, { creationTimestamp: '' }), 'AGE')).toBe('<unknown>');
  });
});

describe('toTable: columns', () => {
  it.each([
    ['services', ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age'], ['Selector']],
    ['pods', ['Name', 'Ready', 'Status', 'Restarts', 'Age'], ['IP', 'Node', 'Nominated Node', 'Readiness Gates']],
    ['nodes', ['Name', 'Status', 'Roles', 'Age', 'Version'], ['Internal-IP', 'External-IP', 'OS-Image', 'Kernel-Version', 'Container-Runtime']],
    ['namespaces', ['Name', 'Status', 'Age'], []],
    ['deployments', ['Name', 'Ready', 'Up-to-date', 'Available', 'Age'], ['Containers', 'Images', 'Selector']],
    ['endpoints', ['Name', 'Endpoints', 'Age'], []],
    ['endpointslices', ['Name', 'AddressType', 'Ports', 'Endpoints', 'Age'], []],
    ['configmaps', ['Name', 'Created At'], []],
  ])('%s: %p, wide adds %p', (resource, normal, wideOnly) => {
    const all = table(resource, [], true).columnDefinitions;
    expect(all.filter((c) => c.priority === 0).map((c) => c.name)).toEqual(normal);
    expect(all.filter((c) => c.priority === 1).map((c) => c.name)).toEqual(wideOnly);
    expect(table(resource, [], false).columnDefinitions.map((c) => c.name)).toEqual(normal);
    expect(all[0]).toMatchObject({ name: 'Name', type: 'string', format: 'name' });
    for (const c of all) expect(Object.keys(c).sort()).toEqual(['description', 'format', 'name', 'priority', 'type']);
  });

  it('events: LAST SEEN, TYPE, REASON, OBJECT, MESSAGE; wide interleaves the rest like the apiserver', () => {
    const all = table('events', [], true).columnDefinitions;
    expect(all.map((c) => [c.name, c.priority])).toEqual([
      ['Last Seen', 0],
      ['Type', 0],
      ['Reason', 0],
      ['Object', 0],
      ['Subobject', 1],
      ['Source', 1],
      ['Message', 0],
      ['First Seen', 1],
      ['Count', 1],
      ['Name', 1],
    ]);
    expect(table('events', [], false).columnDefinitions.map((c) => c.name)).toEqual(['Last Seen', 'Type', 'Reason', 'Object', 'Message']);
  });

  it('gives every row as many cells as there are columns', () => {
    const samples: [string, KubeObject][] = [
      ['services', svc({ type: 'ClusterIP' })],
      ['pods', pod({ containers: [{ name: 'a' }] }, { phase: 'Pending' })],
      ['nodes', obj('v1', 'Node', 'n', { spec: {}, status: {} })],
      ['namespaces', obj('v1', 'Namespace', 'ns')],
      ['deployments', obj('apps/v1', 'Deployment', 'd', { spec: {} })],
      ['endpoints', obj('v1', 'Endpoints', 'e')],
      ['endpointslices', obj('discovery.k8s.io/v1', 'EndpointSlice', 's')],
      ['events', obj('v1', 'Event', 'ev')],
      ['widgets', obj('example.com/v1', 'Widget', 'w')],
    ];
    for (const [resource, o] of samples) {
      for (const wide of [true, false]) {
        const t = table(resource, [o], wide);
        expect([resource, wide, t.rows[0]!.cells.length]).toEqual([resource, wide, t.columnDefinitions.length]);
      }
    }
  });
});

describe('toTable: services', () => {
  it.each([
    ['no ports', {}, '<none>'],
    ['a ClusterIP port', { ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }] }, '80/TCP'],
    ['a port without protocol (defaults to TCP)', { ports: [{ port: 443 }] }, '443/TCP'],
    [
      'node ports',
      { type: 'NodePort', ports: [{ port: 8080, nodePort: 32226, protocol: 'TCP' }, { port: 443, nodePort: 31000, protocol: 'TCP' }] },
      '8080:32226/TCP,443:31000/TCP',
    ],
    ['mixed protocols', { ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP', nodePort: 30053 }] }, '53/UDP,53:30053/TCP'],
  ])('PORT(S) for %s', (_name, spec, expected) => {
    expect(cell('services', svc(spec), 'PORT(S)')).toBe(expected);
  });

  const LONG = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6-1234567890.us-east-1.elb.amazonaws.com';
  it.each([
    ['ClusterIP', { type: 'ClusterIP' }, {}, true, '<none>'],
    ['ClusterIP with externalIPs', { type: 'ClusterIP', externalIPs: ['1.2.3.4', '5.6.7.8'] }, {}, true, '1.2.3.4,5.6.7.8'],
    ['NodePort', { type: 'NodePort' }, {}, true, '<none>'],
    ['LoadBalancer without ingress', { type: 'LoadBalancer' }, { loadBalancer: {} }, true, '<pending>'],
    ['LoadBalancer with an empty ingress list', { type: 'LoadBalancer' }, { loadBalancer: { ingress: [] } }, true, '<pending>'],
    ['LoadBalancer with a hostname', { type: 'LoadBalancer' }, { loadBalancer: { ingress: [{ hostname: LONG }] } }, true, LONG],
    [
      'LoadBalancer with a hostname, not wide (clipped to 16 like the printers)',
      { type: 'LoadBalancer' },
      { loadBalancer: { ingress: [{ hostname: LONG }] } },
      false,
      'a1b2c3d4e5f6a...',
    ],
    [
      'LoadBalancer with ips and hostnames (sorted, deduplicated, ip preferred)',
      { type: 'LoadBalancer' },
      { loadBalancer: { ingress: [{ ip: '9.9.9.9' }, { hostname: 'b.example.com' }, { ip: '9.9.9.9', hostname: 'ignored' }, { ip: '1.1.1.1' }] } },
      true,
      '1.1.1.1,9.9.9.9,b.example.com',
    ],
    [
      'LoadBalancer pending with externalIPs',
      { type: 'LoadBalancer', externalIPs: ['5.6.7.8'] },
      { loadBalancer: {} },
      true,
      '5.6.7.8',
    ],
    [
      'LoadBalancer with ingress and externalIPs',
      { type: 'LoadBalancer', externalIPs: ['5.6.7.8'] },
      { loadBalancer: { ingress: [{ hostname: 'lb.example.com' }] } },
      true,
      'lb.example.com,5.6.7.8',
    ],
    ['ExternalName', { type: 'ExternalName', externalName: 'db.example.com' }, {}, true, 'db.example.com'],
    ['an unknown type', { type: 'Weird' }, {}, true, '<unknown>'],
  ])('EXTERNAL-IP for %s', (_name, spec, status, wide, expected) => {
    expect(cell('services', svc(spec, status), 'EXTERNAL-IP', wide)).toBe(expected);
  });

  it.each([
    ['clusterIPs first', { clusterIP: '10.100.0.1', clusterIPs: ['10.100.0.2', 'fd00::2'] }, '10.100.0.2'],
    ['clusterIP alone', { clusterIP: '10.100.0.1' }, '10.100.0.1'],
    ['headless', { clusterIP: 'None', clusterIPs: ['None'] }, 'None'],
    ['ExternalName (none)', { type: 'ExternalName', externalName: 'x' }, '<none>'],
  ])('CLUSTER-IP: %s', (_name, spec, expected) => {
    expect(cell('services', svc(spec), 'CLUSTER-IP')).toBe(expected);
  });

  it('prints a whole row like kubectl get svc -o wide', () => {
    const s = svc(
      {
        type: 'LoadBalancer',
        clusterIP: '10.100.12.34',
        clusterIPs: ['10.100.12.34'],
        selector: { tier: 'web', app: 'shop' },
        ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080, protocol: 'TCP' }],
      },
      { loadBalancer: { ingress: [{ hostname: 'k8s-web.elb.amazonaws.com' }] } },
    );
    expect(cells('services', s)).toEqual([
      'web',
      'LoadBalancer',
      '10.100.12.34',
      'k8s-web.elb.amazonaws.com',
      '80:30080/TCP',
      '5m',
      'app=shop,tier=web',
    ]);
    expect(cells('services', svc({}))).toEqual(['web', 'ClusterIP', '<none>', '<none>', '<none>', '5m', '<none>']);
  });
});

describe('toTable: pods', () => {
  const running = { state: { running: { startedAt: ago(5 * M) } } };
  it.each([
    [
      'running and ready',
      pod({ containers: [{ name: 'app' }], nodeName: 'ip-10-0-1-1' }, {
        phase: 'Running',
        podIP: '10.0.1.5',
        podIPs: [{ ip: '10.0.1.5' }],
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: [{ name: 'app', ready: true, restartCount: 0, ...running }],
      }),
      ['web-1', '1/1', 'Running', '0', '5m', '10.0.1.5', 'ip-10-0-1-1', '<none>', '<none>'],
    ],
    [
      'pending, unscheduled',
      pod({ containers: [{ name: 'a' }, { name: 'b' }] }, { phase: 'Pending' }),
      ['web-1', '0/2', 'Pending', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
    ],
    [
      'crash-looping with restarts',
      pod({ containers: [{ name: 'app' }], nodeName: 'n1' }, {
        phase: 'Running',
        podIP: '10.0.1.6',
        containerStatuses: [
          {
            name: 'app',
            ready: false,
            restartCount: 3,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: { terminated: { exitCode: 1, finishedAt: ago(90 * S) } },
          },
        ],
      }),
      ['web-1', '0/1', 'CrashLoopBackOff', '3 (90s ago)', '5m', '10.0.1.6', 'n1', '<none>', '<none>'],
    ],
    [
      'being deleted',
      pod({ containers: [{ name: 'app' }] }, { phase: 'Running', containerStatuses: [{ name: 'app', ready: true, restartCount: 0, ...running }] }, {
        deletionTimestamp: ago(1 * S),
      }),
      ['web-1', '1/1', 'Terminating', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
    ],
    [
      'waiting on an init container',
      pod({ initContainers: [{ name: 'init' }], containers: [{ name: 'app' }] }, {
        phase: 'Pending',
        initContainerStatuses: [{ name: 'init', ready: false, restartCount: 0, ...running }],
        containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
      }),
      ['web-1', '0/1', 'Init:0/1', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
    ],
    [
      'with a running sidecar',
      pod({ initContainers: [{ name: 'proxy', restartPolicy: 'Always' }], containers: [{ name: 'app' }] }, {
        phase: 'Running',
        conditions: [{ type: 'Initialized', status: 'True' }],
        initContainerStatuses: [{ name: 'proxy', ready: true, started: true, restartCount: 0, ...running }],
        containerStatuses: [{ name: 'app', ready: true, restartCount: 0, ...running }],
      }),
      ['web-1', '2/2', 'Running', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
    ],
    [
      'killed by a signal',
      pod({ containers: [{ name: 'app' }] }, {
        phase: 'Running',
        containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 137, signal: 9 } } }],
      }),
      ['web-1', '0/1', 'Signal:9', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
    ],
    [
      'with readiness gates',
      pod({ containers: [{ name: 'app' }], readinessGates: [{ conditionType: 'x' }, { conditionType: 'y' }] }, {
        phase: 'Running',
        conditions: [
          { type: 'x', status: 'True' },
          { type: 'y', status: 'False' },
        ],
        nominatedNodeName: 'n2',
      }),
      ['web-1', '0/1', 'Running', '0', '5m', '<none>', '<none>', 'n2', '1/2'],
    ],
  ])('%s', (_name, p, expected) => {
    expect(cells('pods', p)).toEqual(expected);
  });

  it('marks completed and failed pods with a Completed row condition', () => {
    const done = pod({ containers: [{ name: 'job' }] }, {
      phase: 'Succeeded',
      containerStatuses: [{ name: 'job', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
    });
    const row = table('pods', [done]).rows[0]!;
    expect(row.cells.slice(0, 3)).toEqual(['web-1', '0/1', 'Completed']);
    expect(row.conditions).toEqual([
      { type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' },
    ]);
    const failed = table('pods', [pod({ containers: [] }, { phase: 'Failed', reason: 'Evicted' })]).rows[0]!;
    expect(failed.cells[2]).toBe('Evicted');
    expect(failed.conditions?.[0]).toMatchObject({ reason: 'Failed' });
    expect(table('pods', [pod({ containers: [] }, { phase: 'Running' })]).rows[0]!.conditions).toBeUndefined();
  });
});

describe('toTable: nodes', () => {
  const node = (labels: Record<string, string>, spec: Record<string, unknown>, status: Record<string, unknown>): KubeObject =>
    obj('v1', 'Node', 'ip-10-0-1-1.ec2.internal', { spec, status }, { namespace: undefined, labels, creationTimestamp: ago(3 * D) });

  it.each([
    [
      'a ready worker',
      node({ 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/role': 'worker', 'kubernetes.io/os': 'linux' }, {}, {
        conditions: [
          { type: 'MemoryPressure', status: 'False' },
          { type: 'Ready', status: 'True' },
        ],
        addresses: [
          { type: 'Hostname', address: 'ip-10-0-1-1' },
          { type: 'InternalIP', address: '10.0.1.1' },
          { type: 'ExternalIP', address: '54.1.2.3' },
        ],
        nodeInfo: {
          kubeletVersion: 'v1.31.0-eks-a737599',
          osImage: 'Amazon Linux 2023',
          kernelVersion: '6.1.94-99.176.amzn2023.x86_64',
          containerRuntimeVersion: 'containerd://1.7.11',
        },
      }),
      [
        'ip-10-0-1-1.ec2.internal',
        'Ready',
        'control-plane,worker',
        '3d',
        'v1.31.0-eks-a737599',
        '10.0.1.1',
        '54.1.2.3',
        'Amazon Linux 2023',
        '6.1.94-99.176.amzn2023.x86_64',
        'containerd://1.7.11',
      ],
    ],
    [
      'a cordoned, not-ready node without info',
      node({}, { unschedulable: true }, { conditions: [{ type: 'Ready', status: 'Unknown' }], addresses: [] }),
      ['ip-10-0-1-1.ec2.internal', 'NotReady,SchedulingDisabled', '<none>', '3d', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>'],
    ],
    [
      'a node without conditions',
      node({}, {}, {}),
      ['ip-10-0-1-1.ec2.internal', 'Unknown', '<none>', '3d', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>'],
    ],
  ])('%s', (_name, n, expected) => {
    expect(cells('nodes', n)).toEqual(expected);
    expect(cells('nodes', n, false)).toEqual(expected.slice(0, 5));
  });
});

describe('toTable: namespaces, deployments', () => {
  it('prints a namespace', () => {
    expect(cells('namespaces', obj('v1', 'Namespace', 'kube-system', { status: { phase: 'Active' } }, { creationTimestamp: ago(400 * D) }))).toEqual([
      'kube-system',
      'Active',
      '400d',
    ]);
  });

  it.each([
    [
      'a rolled-out deployment',
      {
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }, { key: 'canary', operator: 'DoesNotExist' }] },
          template: { spec: { containers: [{ name: 'web', image: 'nginx:1.27' }, { name: 'proxy', image: 'envoy:1.30' }] } },
        },
        status: { replicas: 3, readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
      },
      ['web', '2/3', 3, 2, '5m', 'web,proxy', 'nginx:1.27,envoy:1.30', 'app=web,!canary,tier in (a,b)'],
    ],
    [
      'a new deployment without status (replicas default to 1)',
      { spec: { selector: { matchLabels: { app: 'web' } }, template: { spec: { containers: [{ name: 'web', image: 'nginx' }] } } } },
      ['web', '0/1', 0, 0, '5m', 'web', 'nginx', 'app=web'],
    ],
    ['scaled to zero', { spec: { replicas: 0, selector: {}, template: {} } }, ['web', '0/0', 0, 0, '5m', '', '', '']],
  ])('%s', (_name, rest, expected) => {
    expect(cells('deployments', obj('apps/v1', 'Deployment', 'web', rest))).toEqual(expected);
  });
});

describe('toTable: endpoints and endpoint slices', () => {
  it.each([
    ['no subsets', undefined, '<none>'],
    ['one address, one port', [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 8080 }] }], '10.0.0.1:8080'],
    [
      'more than three (two addresses times two ports)',
      [{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ port: 80 }, { port: 443 }] }],
      '10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...',
    ],
    ['IPv6', [{ addresses: [{ ip: 'fd00::1' }], ports: [{ port: 8080 }] }], '[fd00::1]:8080'],
    ['headless without ports', [{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }] }], '10.0.0.1,10.0.0.2'],
    ['only not-ready addresses', [{ notReadyAddresses: [{ ip: '10.0.0.9' }], ports: [{ port: 80 }] }], ''],
  ])('ENDPOINTS with %s', (_name, subsets, expected) => {
    expect(cells('endpoints', obj('v1', 'Endpoints', 'web', subsets ? { subsets } : {}))).toEqual(['web', expected, '5m']);
  });

  it.each([
    [
      'a slice with ports and endpoints',
      {
        addressType: 'IPv4',
        ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'metrics' }, {}],
        endpoints: [{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2'] }, { addresses: ['10.0.0.3'] }, { addresses: ['10.0.0.4'] }],
      },
      ['web-abc12', 'IPv4', '80,metrics,*', '10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...', '5m'],
    ],
    ['an empty slice', { addressType: 'IPv6', endpoints: [] }, ['web-abc12', 'IPv6', '<unset>', '<unset>', '5m']],
  ])('%s', (_name, rest, expected) => {
    expect(cells('endpointslices', obj('discovery.k8s.io/v1', 'EndpointSlice', 'web-abc12', rest))).toEqual(expected);
  });
});

describe('toTable: events', () => {
  it.each([
    [
      'a core/v1 event',
      {
        type: 'Normal',
        reason: 'EnsuredLoadBalancer',
        message: 'Ensured load balancer\n',
        involvedObject: { kind: 'Service', name: 'web', namespace: 'default' },
        source: { component: 'service-controller' },
        count: 3,
        firstTimestamp: ago(10 * M),
        lastTimestamp: ago(5 * S),
      },
      ['5s', 'Normal', 'EnsuredLoadBalancer', 'service/web', '', 'service-controller', 'Ensured load balancer', '10m', 3, 'web.17d'],
    ],
    [
      'an events.k8s.io-style event (eventTime, reporting component, no count)',
      {
        type: 'Warning',
        reason: 'SyncLoadBalancerFailed',
        message: 'Error syncing load balancer',
        involvedObject: { kind: 'Service', name: 'web', fieldPath: 'spec' },
        eventTime: ago(30 * S),
        reportingComponent: 'service-controller',
        reportingInstance: 'cloud-1',
      },
      ['30s', 'Warning', 'SyncLoadBalancerFailed', 'service/web', 'spec', 'service-controller, cloud-1', 'Error syncing load balancer', '30s', 1, 'web.17d'],
    ],
    [
      'a series',
      {
        type: 'Normal',
        reason: 'Pulled',
        message: 'ok',
        involvedObject: { kind: 'Node' },
        firstTimestamp: ago(2 * H),
        count: 1,
        series: { count: 7, lastObservedTime: ago(2 * S) },
      },
      ['2s', 'Normal', 'Pulled', 'node', '', '', 'ok', '120m', 7, 'web.17d'],
    ],
  ])('%s', (_name, rest, expected) => {
    const ev = obj('v1', 'Event', 'web.17d', rest);
    expect(cells('events', ev)).toEqual(expected);
    expect(cells('events', ev, false)).toEqual([expected[0], expected[1], expected[2], expected[3], expected[6]]);
  });
});

describe('toTable: the table itself', () => {
  const s = svc({ type: 'ClusterIP' });

  it('is a meta.k8s.io/v1 Table carrying the list metadata', () => {
    const t = toTable('services', [s], { wide: true, now: NOW, listMeta: { resourceVersion: '42', continue: 'abc' } });
    expect(t).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: '42', continue: 'abc' } });
    expect(toTable('services', [], { wide: true, now: NOW })).toMatchObject({ metadata: {}, rows: [] });
  });

  it('attaches PartialObjectMetadata by default, the object or nothing on request', () => {
    expect(table('services', [s]).rows[0]!.object).toEqual({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: s.metadata,
    });
    expect(toTable('services', [s], { wide: true, now: NOW, includeObject: 'Object' }).rows[0]!.object).toBe(s);
    expect(toTable('services', [s], { wide: true, now: NOW, includeObject: 'None' }).rows[0]).not.toHaveProperty('object');
  });

  it('leaves the column definitions out for noHeaders (later watch events)', () => {
    const t = toTable('services', [s], { wide: true, now: NOW, noHeaders: true });
    expect(t.columnDefinitions).toEqual([]);
    expect(t.rows[0]!.cells).toHaveLength(7);
  });

  it('prints unknown resources like the default table convertor: NAME and CREATED AT (RFC3339)', () => {
    const w = obj('example.com/v1', 'Widget', 'w1', {}, { creationTimestamp: '2024-05-31T23:59:59Z' });
    const t = table('widgets', [w]);
    expect(t.columnDefinitions.map((c) => [c.name, c.type])).toEqual([
      ['Name', 'string'],
      ['Created At', 'date'],
    ]);
    expect(t.rows[0]!.cells).toEqual(['w1', '2024-05-31T23:59:59Z']);
  });

  it('keeps rows in the order given', () => {
    const names = table('namespaces', ['b', 'a', 'c'].map((n) => obj('v1', 'Namespace', n))).rows.map((r) => r.cells[0]);
    expect(names).toEqual(['b', 'a', 'c']);
  });
});

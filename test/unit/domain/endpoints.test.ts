import { describe, expect, it } from '@jest/globals';
import { reachableEndpoints, webScheme, type ReachabilityNoteKind, type ReachableEndpoint } from '../../../src/domain/endpoints.js';
import type { ServicePortView } from '../../../src/domain/views.js';
import { NODES, makeService } from '../render/fixtures.js';

/** `kind host:port` strings, in result order, to compare endpoint lists at a glance. */
function addresses(endpoints: ReachableEndpoint[]): string[] {
  return endpoints.map((e) => `${e.kind} ${e.host}:${e.port}/${e.protocol}${e.url ? ` ${e.url}` : ''}`);
}

function noteKinds(service: Parameters<typeof reachableEndpoints>[0], nodes = NODES): ReachabilityNoteKind[] {
  return reachableEndpoints(service, nodes).notes.map((n) => n.kind);
}

describe('reachableEndpoints', () => {
  const nodePorts: ServicePortView[] = [
    { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP', nodePort: 30080 },
    { name: 'dns', port: 53, targetPort: 53, protocol: 'UDP', nodePort: 30053 },
  ];

  it.each([
    {
      title: 'ClusterIP: cluster IP and DNS name, inside the cluster only',
      service: makeService(),
      expected: ['cluster-ip 10.96.0.10:80/TCP', 'cluster-dns web.default.svc.cluster.local:80/TCP'],
      notes: ['cluster-only'],
    },
    {
      title: 'headless: the DNS name only, with the container port',
      service: makeService({ clusterIP: 'None' }),
      expected: ['cluster-dns web.default.svc.cluster.local:8080/TCP'],
      notes: ['cluster-only', 'headless'],
    },
    {
      title: 'headless with a named target port: the Service port',
      service: makeService({ clusterIP: 'None', ports: [{ port: 80, targetPort: 'http', protocol: 'TCP' }] }),
      expected: ['cluster-dns web.default.svc.cluster.local:80/TCP'],
      notes: ['cluster-only', 'headless'],
    },
    {
      title: 'cluster IP not allocated yet',
      service: makeService({ clusterIP: undefined }),
      expected: ['cluster-dns web.default.svc.cluster.local:80/TCP'],
      notes: ['cluster-only', 'cluster-ip-pending'],
    },
    {
      title: 'NodePort: ready nodes (ExternalIP, else InternalIP) with each node port, then cluster-internal',
      service: makeService({ type: 'NodePort', ports: nodePorts }),
      expected: [
        'node-port 54.1.2.3:30080/TCP',
        'node-port 54.1.2.3:30053/UDP',
        'node-port 10.0.2.20:30080/TCP',
        'node-port 10.0.2.20:30053/UDP',
        'cluster-ip 10.96.0.10:80/TCP',
        'cluster-ip 10.96.0.10:53/UDP',
        'cluster-dns web.default.svc.cluster.local:80/TCP',
        'cluster-dns web.default.svc.cluster.local:53/UDP',
      ],
      notes: ['nodes-not-ready', 'internal-ip-only', 'security-group'],
    },
    {
      title: 'LoadBalancer with a hostname: hostname x TCP ports, URLs for web ports, then node ports and cluster-internal',
      service: makeService({
        type: 'LoadBalancer',
        loadBalancerHostnames: ['a1b2.elb.amazonaws.com'],
        ports: [
          { port: 80, targetPort: 8080, protocol: 'TCP', nodePort: 30080 },
          { port: 5432, targetPort: 5432, protocol: 'TCP', nodePort: 30432 },
        ],
      }),
      expected: [
        'load-balancer a1b2.elb.amazonaws.com:80/TCP http://a1b2.elb.amazonaws.com:80',
        'load-balancer a1b2.elb.amazonaws.com:5432/TCP',
        'node-port 54.1.2.3:30080/TCP',
        'node-port 54.1.2.3:30432/TCP',
        'node-port 10.0.2.20:30080/TCP',
        'node-port 10.0.2.20:30432/TCP',
        'cluster-ip 10.96.0.10:80/TCP',
        'cluster-ip 10.96.0.10:5432/TCP',
        'cluster-dns web.default.svc.cluster.local:80/TCP',
        'cluster-dns web.default.svc.cluster.local:5432/TCP',
      ],
      notes: ['nodes-not-ready', 'internal-ip-only', 'security-group'],
    },
    {
      title: 'LoadBalancer still provisioning: no load balancer address, a note; node ports still listed',
      service: makeService({ type: 'LoadBalancer', ports: [{ port: 80, targetPort: 80, protocol: 'TCP', nodePort: 31000 }] }),
      expected: ['node-port 54.1.2.3:31000/TCP', 'node-port 10.0.2.20:31000/TCP', 'cluster-ip 10.96.0.10:80/TCP', 'cluster-dns web.default.svc.cluster.local:80/TCP'],
      notes: ['load-balancer-provisioning', 'nodes-not-ready', 'internal-ip-only', 'security-group'],
    },
    {
      title: 'LoadBalancer with a UDP port: not through a classic ELB',
      service: makeService({ type: 'LoadBalancer', loadBalancerHostnames: ['lb.example.com'], ports: nodePorts }),
      expected: [
        'load-balancer lb.example.com:80/TCP http://lb.example.com:80',
        'node-port 54.1.2.3:30080/TCP',
        'node-port 54.1.2.3:30053/UDP',
        'node-port 10.0.2.20:30080/TCP',
        'node-port 10.0.2.20:30053/UDP',
        'cluster-ip 10.96.0.10:80/TCP',
        'cluster-ip 10.96.0.10:53/UDP',
        'cluster-dns web.default.svc.cluster.local:80/TCP',
        'cluster-dns web.default.svc.cluster.local:53/UDP',
      ],
      notes: ['load-balancer-unsupported-protocol', 'nodes-not-ready', 'internal-ip-only', 'security-group'],
    },
    {
      title: 'ExternalName: the DNS name, an alias',
      service: makeService({ type: 'ExternalName', clusterIP: undefined, externalName: 'db.example.com', selector: {} }),
      expected: ['cluster-dns web.default.svc.cluster.local:80/TCP'],
      notes: ['external-name'],
    },
    {
      title: 'no ports: nothing to reach',
      service: makeService({ ports: [] }),
      expected: [],
      notes: ['no-ports'],
    },
    {
      title: 'being deleted: says so first',
      service: makeService({ deleting: true, finalizers: ['service.kubernetes.io/load-balancer-cleanup'] }),
      expected: ['cluster-ip 10.96.0.10:80/TCP', 'cluster-dns web.default.svc.cluster.local:80/TCP'],
      notes: ['deleting', 'cluster-only'],
    },
  ])('$title', ({ service, expected, notes }) => {
    const r = reachableEndpoints(service, NODES);
    expect(addresses(r.endpoints)).toEqual(expected);
    expect(r.notes.map((n) => n.kind)).toEqual(notes);
  });

  it('marks where each address is reachable from, and which node a node-port address is', () => {
    const r = reachableEndpoints(makeService({ type: 'NodePort', ports: nodePorts }), NODES);
    expect(r.endpoints.filter((e) => e.kind === 'node-port').every((e) => e.from === 'outside')).toBe(true);
    expect(r.endpoints.filter((e) => e.kind.startsWith('cluster')).every((e) => e.from === 'cluster')).toBe(true);
    expect(r.endpoints[0]).toMatchObject({ servicePort: 80, portName: 'http', node: { name: 'node-a', addressType: 'ExternalIP' } });
    expect(r.endpoints[2]).toMatchObject({ node: { name: 'node-b', addressType: 'InternalIP' } });
  });

  it('names the node ports the security group must open, and the nodes left out', () => {
    const { notes } = reachableEndpoints(makeService({ type: 'NodePort', ports: nodePorts }), NODES);
    expect(notes).toContainEqual({ kind: 'security-group', ports: [{ port: 30080, protocol: 'TCP' }, { port: 30053, protocol: 'UDP' }] });
    expect(notes).toContainEqual({ kind: 'nodes-not-ready', nodes: ['node-c'] });
    expect(notes).toContainEqual({ kind: 'internal-ip-only', nodes: ['node-b'] });
  });

  it('says when no node has an address, and when node ports are not allocated yet', () => {
    expect(noteKinds(makeService({ type: 'NodePort', ports: nodePorts }), [{ name: 'bare', ready: true }])).toContain('no-node-addresses');
    expect(noteKinds(makeService({ type: 'NodePort', ports: nodePorts }), [])).toContain('no-node-addresses');
    expect(noteKinds(makeService({ type: 'NodePort' }))).toEqual(['node-ports-pending']);
  });

  it('uses a node hostname when the node has no IP, and brackets IPv6 in URLs', () => {
    const r = reachableEndpoints(
      makeService({ type: 'LoadBalancer', loadBalancerHostnames: ['2001:db8::1'], ports: [{ port: 80, targetPort: 80, protocol: 'TCP', nodePort: 30001 }] }),
      [{ name: 'n', hostname: 'ip-10-0-0-1.ec2.internal', ready: true }],
    );
    expect(r.endpoints[0]?.url).toBe('http://[2001:db8::1]:80');
    expect(r.endpoints[1]).toMatchObject({ host: 'ip-10-0-0-1.ec2.internal', node: { addressType: 'Hostname' } });
  });

  it('honours another cluster domain', () => {
    const r = reachableEndpoints(makeService(), [], { clusterDomain: 'corp.internal' });
    expect(r.endpoints.map((e) => e.host)).toContain('web.default.svc.corp.internal');
  });
});

describe('webScheme', () => {
  it.each([
    [{ port: 80, protocol: 'TCP' }, 'http'],
    [{ port: 8080, protocol: 'TCP' }, 'http'],
    [{ port: 8000, protocol: 'TCP' }, 'http'],
    [{ port: 3000, protocol: 'TCP' }, 'http'],
    [{ port: 5000, protocol: 'TCP' }, 'http'],
    [{ port: 8888, protocol: 'TCP' }, 'http'],
    [{ port: 443, protocol: 'TCP' }, 'https'],
    [{ port: 9090, protocol: 'TCP', name: 'http' }, 'http'],
    [{ port: 9090, protocol: 'TCP', name: 'web' }, 'http'],
    [{ port: 9090, protocol: 'TCP', name: 'http-api' }, 'http'],
    [{ port: 9443, protocol: 'TCP', name: 'https' }, 'https'],
    [{ port: 8080, protocol: 'TCP', name: 'metrics' }, undefined],
    [{ port: 80, protocol: 'UDP' }, undefined],
    [{ port: 5432, protocol: 'TCP' }, undefined],
  ] as const)('%o -> %s', (port, expected) => {
    expect(webScheme(port)).toBe(expected);
  });
});

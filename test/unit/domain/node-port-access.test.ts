import { describe, expect, it } from '@jest/globals';
import {
  checkNodePortAccess,
  instanceIdOf,
  nodePortVerdicts,
  nodePortsOf,
  ruleMatches,
  type InstanceSecurityGroups,
  type SecurityGroupReader,
  type SecurityGroupView,
} from '../../../src/domain/node-port-access.js';
import { BotError } from '../../../src/domain/errors.js';
import type { NodeView } from '../../../src/domain/views.js';

describe('instanceIdOf', () => {
  it.each([
    ['aws:///us-east-1a/i-0123456789abcdef0', 'i-0123456789abcdef0'],
    ['aws:////i-0abc1234', 'i-0abc1234'],
    ['aws:///us-east-1a/i-XYZ', undefined],
    ['gce://project/zone/vm-1', undefined],
    ['kind://docker/kind/kind-control-plane', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%s -> %s', (providerID, id) => {
    expect(instanceIdOf(providerID)).toBe(id);
  });
});

describe('ruleMatches', () => {
  it.each([
    [{ protocol: 'tcp', fromPort: 30080, toPort: 30080 }, 30080, 'TCP', true],
    [{ protocol: 'tcp', fromPort: 30000, toPort: 32767 }, 30080, 'TCP', true],
    [{ protocol: 'tcp', fromPort: 30000, toPort: 30079 }, 30080, 'TCP', false],
    [{ protocol: 'tcp', fromPort: 30081, toPort: 32767 }, 30080, 'TCP', false],
    [{ protocol: 'udp', fromPort: 30080, toPort: 30080 }, 30080, 'TCP', false],
    [{ protocol: 'udp', fromPort: 30080, toPort: 30080 }, 30080, 'UDP', true],
    [{ protocol: '-1' }, 30080, 'TCP', true],
    [{ protocol: '-1', fromPort: -1, toPort: -1 }, 30080, 'UDP', true],
    [{ protocol: '6', fromPort: 30080, toPort: 30080 }, 30080, 'TCP', true],
    [{ protocol: '17', fromPort: 30080, toPort: 30080 }, 30080, 'TCP', false],
    [{ protocol: 'icmp', fromPort: -1, toPort: -1 }, 30080, 'TCP', false],
  ] as const)('%j lets %s/%s in: %s', (rule, port, protocol, expected) => {
    expect(ruleMatches(rule, port, protocol)).toBe(expected);
  });
});

const nodesGroup: SecurityGroupView = {
  groupId: 'sg-0abc',
  groupName: 'k8s-prod-nodes',
  ingress: [
    { protocol: '-1', cidrs: [], groups: ['sg-lb'] },
    { protocol: 'tcp', fromPort: 30080, toPort: 30080, cidrs: ['0.0.0.0/0', '::/0'], groups: [] },
    { protocol: 'tcp', fromPort: 30000, toPort: 30100, cidrs: ['10.0.0.0/8'], groups: [] },
  ],
};

describe('nodePortVerdicts', () => {
  it('a port a rule opens: which ranges (IPv4 and IPv6, every matching rule) in which group', () => {
    expect(nodePortVerdicts([nodesGroup], [{ port: 30080, protocol: 'TCP' }])).toEqual([
      { kind: 'open', port: 30080, protocol: 'TCP', openings: [{ groupId: 'sg-0abc', groupName: 'k8s-prod-nodes', cidrs: ['0.0.0.0/0', '::/0', '10.0.0.0/8'] }] },
    ]);
  });

  it('a port only group sources reach is closed, naming those groups', () => {
    expect(nodePortVerdicts([nodesGroup], [{ port: 31000, protocol: 'TCP' }])).toEqual([
      { kind: 'closed', port: 31000, protocol: 'TCP', groups: [{ groupId: 'sg-0abc', groupName: 'k8s-prod-nodes' }], fromGroups: ['sg-lb'] },
    ]);
  });

  it('any of several groups opening it is enough; each opening group is named', () => {
    const other: SecurityGroupView = { groupId: 'sg-0def', ingress: [{ protocol: 'tcp', fromPort: 31000, toPort: 31000, cidrs: ['203.0.113.0/24'], groups: [] }] };
    expect(nodePortVerdicts([nodesGroup, other], [{ port: 31000, protocol: 'TCP' }])).toEqual([
      { kind: 'open', port: 31000, protocol: 'TCP', openings: [{ groupId: 'sg-0def', cidrs: ['203.0.113.0/24'] }] },
    ]);
  });

  it('a UDP node port is not opened by a TCP rule', () => {
    expect(nodePortVerdicts([nodesGroup], [{ port: 30080, protocol: 'UDP' }])[0]?.kind).toBe('closed');
  });
});

const node = (name: string, providerID: string | undefined, ready = true): NodeView => ({ name, ready, externalIP: '54.0.0.1', ...(providerID ? { providerID } : {}) });
const NODES = [node('a', 'aws:///us-east-1a/i-0aaa'), node('b', 'aws:///us-east-1b/i-0bbb'), node('c', undefined, false)];
const PORTS = [{ port: 30080, protocol: 'TCP' as const }];
const answer: InstanceSecurityGroups = {
  instances: [
    { instanceId: 'i-0aaa', groupIds: ['sg-0abc'] },
    { instanceId: 'i-0bbb', groupIds: ['sg-0abc'] },
  ],
  groups: [nodesGroup, { groupId: 'sg-unrelated', ingress: [{ protocol: '-1', cidrs: ['0.0.0.0/0'], groups: [] }] }],
};

describe('checkNodePortAccess', () => {
  it("asks for the Ready nodes' instances and judges only their groups", async () => {
    const asked: string[][] = [];
    const reader: SecurityGroupReader = {
      groupsOfInstances: (ids) => {
        asked.push([...ids]);
        return Promise.resolve(answer);
      },
    };
    const access = await checkNodePortAccess(reader, NODES, [...PORTS, { port: 31000, protocol: 'TCP' }], 1000);
    expect(asked).toEqual([['i-0aaa', 'i-0bbb']]);
    expect(access).toEqual({ kind: 'known', ports: nodePortVerdicts([nodesGroup], [...PORTS, { port: 31000, protocol: 'TCP' }]) });
  });

  it.each([
    ['no reader (no EC2 access)', undefined, NODES, 'no-ec2'],
    ['a Ready node without an AWS providerID', { groupsOfInstances: () => Promise.resolve(answer) }, [...NODES, node('d', 'kind://docker/x')], 'no-provider-id'],
    ['no Ready node', { groupsOfInstances: () => Promise.resolve(answer) }, [node('c', 'aws:///z/i-0ccc', false)], 'no-nodes'],
    ['EC2 refusing', { groupsOfInstances: () => Promise.reject(new BotError('forbidden', 'EC2 refused svcbot (UnauthorizedOperation)')) }, NODES, 'denied'],
    ['EC2 knowing no instance', { groupsOfInstances: () => Promise.resolve({ instances: [], groups: [] }) }, NODES, 'no-instances'],
  ] as const)('cannot tell with %s, and says why', async (_what, reader, nodes, reason) => {
    expect(await checkNodePortAccess(reader, nodes, PORTS, 1000)).toEqual({ kind: 'unknown', ports: PORTS, reason });
  });

  it('another failure: cannot tell, in its own words; never throws', async () => {
    const reader: SecurityGroupReader = { groupsOfInstances: () => Promise.reject(new BotError('aws_error', 'Could not read: InternalFailure.')) };
    expect(await checkNodePortAccess(reader, NODES, PORTS, 1000)).toEqual({ kind: 'unknown', ports: PORTS, reason: 'error', detail: 'Could not read: InternalFailure.' });
  });

  it('an EC2 that does not answer within the deadline: cannot tell (timeout), at the deadline', async () => {
    const reader: SecurityGroupReader = { groupsOfInstances: () => new Promise<InstanceSecurityGroups>(() => undefined) };
    const started = Date.now();
    expect(await checkNodePortAccess(reader, NODES, PORTS, 50)).toEqual({ kind: 'unknown', ports: PORTS, reason: 'timeout' });
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('nodePortsOf', () => {
  it('the allocated node ports, with their protocol', () => {
    expect(nodePortsOf([{ nodePort: 30080, protocol: 'TCP' }, { protocol: 'TCP' }, { nodePort: 31000, protocol: 'UDP' }])).toEqual([
      { port: 30080, protocol: 'TCP' },
      { port: 31000, protocol: 'UDP' },
    ]);
  });
});

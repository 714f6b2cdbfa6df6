import { describe, expect, it } from '@jest/globals';
import type { NodePortAccess } from '../../../src/domain/node-port-access.js';
import { blockKitViolations } from '../../../src/render/blocks.js';
import { renderCreated, renderTypeChanged } from '../../../src/render/changes.js';
import { renderDescribe } from '../../../src/render/describe.js';
import { nodePortAccessLines } from '../../../src/render/endpoints.js';
import { NODES, NOW, blockLines, makeService, slackConstructs } from './fixtures.js';

const OPEN: NodePortAccess = {
  kind: 'known',
  ports: [{ kind: 'open', port: 30080, protocol: 'TCP', openings: [{ groupId: 'sg-0abc', groupName: 'k8s-prod-nodes', cidrs: ['0.0.0.0/0'] }] }],
};
const CLOSED: NodePortAccess = {
  kind: 'known',
  ports: [{ kind: 'closed', port: 30080, protocol: 'TCP', groups: [{ groupId: 'sg-0abc', groupName: 'k8s-prod-nodes' }], fromGroups: ['sg-0lb'] }],
};

describe('nodePortAccessLines', () => {
  it.each<[string, NodePortAccess, string[]]>([
    ['open', OPEN, ['• node port 30080: open to 0.0.0.0/0 in sg-0abc (k8s-prod-nodes)']],
    ['closed', CLOSED, ['• node port 30080: closed by the nodes\u2019 security group sg-0abc (k8s-prod-nodes): reachable only inside the VPC (let in from group sg-0lb)']],
    [
      'open in two groups, UDP',
      {
        kind: 'known',
        ports: [
          {
            kind: 'open',
            port: 31000,
            protocol: 'UDP',
            openings: [
              { groupId: 'sg-1', cidrs: ['10.0.0.0/8', '::/0'] },
              { groupId: 'sg-2', groupName: 'extra', cidrs: ['203.0.113.0/24'] },
            ],
          },
        ],
      },
      ['• node port 31000/UDP: open to 10.0.0.0/8, ::/0 in sg-1; to 203.0.113.0/24 in sg-2 (extra)'],
    ],
    [
      'closed by two groups, no group source',
      { kind: 'known', ports: [{ kind: 'closed', port: 30080, protocol: 'TCP', groups: [{ groupId: 'sg-1' }, { groupId: 'sg-2' }], fromGroups: [] }] },
      ['• node port 30080: closed by the nodes\u2019 security groups sg-1, sg-2: reachable only inside the VPC'],
    ],
  ])('%s', (_what, access, lines) => {
    expect(nodePortAccessLines(access)).toEqual(lines);
  });

  it.each([
    ['no-ec2', 'svcbot has no EC2 access for this cluster'],
    ['denied', 'EC2 refused svcbot: its IAM policy needs ec2:DescribeInstances and ec2:DescribeSecurityGroups'],
    ['timeout', 'EC2 did not answer in time'],
    ['no-nodes', 'there is no Ready node to ask about'],
    ['no-provider-id', 'not every node has an AWS providerID (aws:///ZONE/i-…) naming its instance'],
    ['no-instances', 'EC2 does not know the nodes\u2019 instances'],
  ] as const)('cannot tell (%s): says so in words, one line per node port', (reason, why) => {
    const ports = [
      { port: 30080, protocol: 'TCP' as const },
      { port: 30443, protocol: 'TCP' as const },
    ];
    expect(nodePortAccessLines({ kind: 'unknown', ports, reason })).toEqual([
      `• node port 30080: svcbot cannot tell whether the nodes\u2019 security groups let it in (${why})`,
      `• node port 30443: svcbot cannot tell whether the nodes\u2019 security groups let it in (${why})`,
    ]);
  });

  it("another failure in the adapter's words, escaped", () => {
    expect(nodePortAccessLines({ kind: 'unknown', ports: [{ port: 30080, protocol: 'TCP' }], reason: 'error', detail: 'boom <!channel> & co' })).toEqual([
      '• node port 30080: svcbot cannot tell whether the nodes\u2019 security groups let it in (boom &lt;!channel&gt; &amp; co)',
    ]);
  });

  it('escapes group names (anyone can name a security group)', () => {
    const evil: NodePortAccess = { kind: 'known', ports: [{ kind: 'open', port: 30080, protocol: 'TCP', openings: [{ groupId: 'sg-1', groupName: '<!here>&x', cidrs: ['0.0.0.0/0'] }] }] };
    const lines = nodePortAccessLines(evil);
    expect(lines.join('\n')).toContain('(&lt;!here&gt;&amp;x)');
    expect(slackConstructs(lines.join('\n'))).toEqual([]);
  });

  it('nothing without an answer (a ClusterIP Service is never asked about)', () => {
    expect(nodePortAccessLines(undefined)).toEqual([]);
  });
});

const nodePort = makeService({ type: 'NodePort', ports: [{ port: 80, targetPort: 8080, protocol: 'TCP', nodePort: 30080 }] });

describe('the answers that show node ports carry the line', () => {
  it('create: in the outside section and the fallback text', () => {
    const r = renderCreated({ service: nodePort, nodes: NODES, nodePortAccess: CLOSED });
    expect(blockKitViolations(r)).toEqual([]);
    expect(r.text).toContain('node port 30080: closed by the nodes\u2019 security group sg-0abc (k8s-prod-nodes): reachable only inside the VPC');
    const outside = blockLines(r).find((l) => l.startsWith('*Reachable from outside the cluster*'));
    expect(outside).toContain('node port 30080: closed by');
  });

  it('type change (and "already of the type")', () => {
    expect(renderTypeChanged({ before: 'ClusterIP', service: nodePort, nodes: NODES, nodePortAccess: OPEN }).text).toContain('node port 30080: open to 0.0.0.0/0 in sg-0abc (k8s-prod-nodes)');
    expect(renderTypeChanged({ before: 'NodePort', service: nodePort, nodes: NODES, nodePortAccess: OPEN }).text).toContain('node port 30080: open to 0.0.0.0/0');
  });

  it('the reminder to open the nodes\u2019 security group stays while a node port is closed, and goes once every one is open', () => {
    expect(renderCreated({ service: nodePort, nodes: NODES, nodePortAccess: CLOSED }).text).toContain('security group must allow inbound TCP 30080');
    expect(renderCreated({ service: nodePort, nodes: NODES }).text).toContain('security group must allow inbound TCP 30080');
    expect(renderCreated({ service: nodePort, nodes: NODES, nodePortAccess: OPEN }).text).not.toContain('must allow inbound');
  });

  it('describe', () => {
    const r = renderDescribe({ service: nodePort, nodes: NODES, endpoints: [], events: [], now: NOW, nodePortAccess: OPEN });
    expect(blockKitViolations(r)).toEqual([]);
    expect(r.text).toContain('node port 30080: open to 0.0.0.0/0 in sg-0abc (k8s-prod-nodes)');
    expect(blockLines(r).join('\n')).toContain('node port 30080: open to 0.0.0.0/0 in sg-0abc (k8s-prod-nodes)');
  });
});

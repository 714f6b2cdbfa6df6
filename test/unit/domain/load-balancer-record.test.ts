/** The human summary of a load balancer's record (its key's grammar: test/unit/grammar/load-balancer-key.test.ts). */
import { describeRecord, type ClassicLoadBalancerRecord, type V2LoadBalancerRecord } from '../../../src/domain/load-balancer-record.js';

const NLB_ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/k8s-web/0123456789abcdef';

const base = { region: 'us-east-1', dnsName: 'x.elb.amazonaws.com', scheme: 'internal', createdAt: '2025-01-02T03:04:05.000Z', securityGroups: [], describedAt: '2025-05-01T00:00:00.000Z' };

test('a classic record in a few lines, many instances counted rather than named', () => {
  const record: ClassicLoadBalancerRecord = {
    ...base,
    kind: 'classic',
    key: 'us-east-1/old',
    name: 'old',
    availabilityZones: ['us-east-1a'],
    subnets: [],
    tags: {},
    listeners: [],
    instances: Array.from({ length: 12 }, (_, i) => ({ instanceId: `i-${i}`, state: i < 3 ? 'InService' : 'OutOfService' })),
    policies: { appCookieStickiness: [], lbCookieStickiness: [], other: [] },
    backendServers: [],
    attributes: { additional: {} },
  };
  expect(describeRecord(record)).toEqual([
    'Classic load balancer old in us-east-1 (internal), DNS x.elb.amazonaws.com, created 2025-01-02T03:04:05.000Z',
    'Listeners: none',
    'Health check: none',
    'Instances: 12 (3 in service): i-0 InService, i-1 InService, i-2 InService, i-3 OutOfService, i-4 OutOfService, i-5 OutOfService, i-6 OutOfService, i-7 OutOfService, i-8 OutOfService, i-9 OutOfService and 2 more',
    'Placement: zones us-east-1a; security groups none',
    'Tags: none',
  ]);
});

test('a v2 record names its listeners’ target groups, their health checks and targets', () => {
  const tg = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tcp/0123456789abcdef';
  const record: V2LoadBalancerRecord = {
    ...base,
    kind: 'network',
    key: NLB_ARN,
    arn: NLB_ARN,
    name: 'k8s-web',
    vpcId: 'vpc-1',
    availabilityZones: [{ zoneName: 'us-east-1a', subnetId: 'subnet-1', addresses: [] }],
    tags: { team: 'web' },
    listeners: [{ arn: `${NLB_ARN}/l`, protocol: 'TCP', port: 80, certificates: [], alpnPolicy: [], defaultActions: [{ type: 'forward', targetGroupArn: tg }] }],
    targetGroups: [
      {
        arn: tg,
        name: 'web-tcp',
        protocol: 'TCP',
        port: 30080,
        targetType: 'instance',
        healthCheck: { protocol: 'HTTP', port: 'traffic-port', path: '/healthz', intervalSeconds: 10 },
        tags: {},
        targets: [{ id: 'i-1', port: 30080, state: 'healthy' }],
      },
    ],
  };
  expect(describeRecord(record)).toEqual([
    'Network Load Balancer k8s-web in us-east-1 (internal), DNS x.elb.amazonaws.com, created 2025-01-02T03:04:05.000Z',
    `ARN: ${NLB_ARN}`,
    'Listeners: TCP:80 → forward to web-tcp',
    'Target group web-tcp: TCP:30080 (instance), health check HTTP traffic-port /healthz every 10 s; targets: 1 (1 healthy): i-1:30080 healthy',
    'Placement: vpc-1, subnets subnet-1; security groups none',
    'Tags: team=web',
  ]);
});

import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import {
  DescribeLoadBalancersCommand as DescribeClassicLoadBalancersCommand,
  ElasticLoadBalancingClient,
} from '@aws-sdk/client-elastic-load-balancing';
import {
  AddTagsCommand,
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeleteLoadBalancerCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ElasticLoadBalancingV2ServiceException,
  paginateDescribeListeners,
  paginateDescribeLoadBalancers,
  paginateDescribeTargetGroups,
  RegisterTargetsCommand,
  RemoveTagsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { createElbApiServer } from '../../../sandbox/elb/server.js';
import { ElbStore } from '../../../sandbox/elb/store.js';
import { Faults } from '../../../sandbox/faults.js';
import type { ElbV2Store } from '../../../sandbox/elb/v2store.js';
import { type ElbEndpoint, rawCall, rejectionOf, startElbEndpoint } from './helpers.js';

const NS = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';
const VPC = 'vpc-0123456789abcdef0';
const NLB_ARN = /^arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer\/net\/([a-z0-9-]+)\/([0-9a-f]{16})$/;

type Sandbox = Omit<ElbEndpoint, 'store' | 'v2'> & { classic: ElbStore; store: ElbV2Store; client: ElasticLoadBalancingV2Client };

async function startSandbox(): Promise<Sandbox> {
  const { store, v2, ...rest } = await startElbEndpoint();
  const client = new ElasticLoadBalancingV2Client({
    region: 'us-east-1',
    endpoint: rest.endpoint,
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    maxAttempts: 1,
  });
  return { ...rest, classic: store, store: v2, client };
}

async function stopSandbox(s: Sandbox): Promise<void> {
  s.client.destroy();
  await s.close();
}

/** The SDK exception a call rejects with. */
function rejection(promise: Promise<unknown>) {
  return rejectionOf(promise, ElasticLoadBalancingV2ServiceException);
}

function seedNlb(s: Sandbox, name: string, tags: Record<string, string> = {}): string {
  return s.store.createLoadBalancer({ name, type: 'network', subnets: ['subnet-0a1b2c3d'], tags }).arn;
}

describe('ELBv2 Query API through the AWS SDK', () => {
  let s: Sandbox;
  beforeEach(async () => {
    s = await startSandbox();
  });
  afterEach(async () => {
    await stopSandbox(s);
  });

  it('creates a Network Load Balancer and describes it by name and by ARN', async () => {
    const created = await s.client.send(
      new CreateLoadBalancerCommand({
        Name: 'web',
        Type: 'network',
        Scheme: 'internet-facing',
        Subnets: ['subnet-0a1b2c3d', 'subnet-4e5f6a7b'],
        Tags: [{ Key: 'kubernetes.io/service-name', Value: 'default/web' }],
      }),
    );
    expect(created.$metadata.httpStatusCode).toBe(200);
    const lb = created.LoadBalancers?.[0];
    const [, name, id] = NLB_ARN.exec(lb?.LoadBalancerArn ?? '') ?? [];
    expect(name).toBe('web');
    expect(lb).toEqual({
      LoadBalancerArn: expect.stringMatching(NLB_ARN),
      DNSName: `web-${id}.elb.us-east-1.amazonaws.com`,
      CanonicalHostedZoneId: 'Z26RNL4JYFTOTI',
      CreatedTime: new Date(s.clock.t),
      LoadBalancerName: 'web',
      Scheme: 'internet-facing',
      VpcId: s.store.vpcId,
      State: { Code: 'provisioning' },
      Type: 'network',
      AvailabilityZones: [
        { ZoneName: expect.stringMatching(/^us-east-1[abc]$/), SubnetId: 'subnet-0a1b2c3d', LoadBalancerAddresses: [] },
        { ZoneName: expect.stringMatching(/^us-east-1[abc]$/), SubnetId: 'subnet-4e5f6a7b', LoadBalancerAddresses: [] },
      ],
      IpAddressType: 'ipv4',
    });

    s.clock.t += 60_000; // the DNS delay: provisioning → active
    const byName = await s.client.send(new DescribeLoadBalancersCommand({ Names: ['web'] }));
    expect(byName.LoadBalancers).toEqual([{ ...lb, State: { Code: 'active' } }]);
    expect(byName.NextMarker).toBeUndefined();
    const byArn = await s.client.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [lb!.LoadBalancerArn!] }));
    expect(byArn.LoadBalancers).toEqual(byName.LoadBalancers);
  });

  it('creates an internal Application Load Balancer with a classic-style DNS name and a default security group', async () => {
    const { LoadBalancers } = await s.client.send(
      new CreateLoadBalancerCommand({ Name: 'api', Scheme: 'internal', Subnets: ['subnet-0a1b2c3d', 'subnet-4e5f6a7b'] }),
    );
    const lb = LoadBalancers![0]!;
    expect(lb.Type).toBe('application');
    expect(lb.LoadBalancerArn).toMatch(/^arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer\/app\/api\/[0-9a-f]{16}$/);
    expect(lb.DNSName).toMatch(/^internal-api-\d{9,10}\.us-east-1\.elb\.amazonaws\.com$/);
    expect(lb.CanonicalHostedZoneId).toBe('Z35SXDOTRQ7X7K');
    expect(lb.SecurityGroups).toEqual([expect.stringMatching(/^sg-[0-9a-f]{17}$/)]);
  });

  it('is idempotent for the same settings and answers DuplicateLoadBalancerName for different ones', async () => {
    const input = { Name: 'web', Type: 'network' as const, Subnets: ['subnet-0a1b2c3d'] };
    const first = await s.client.send(new CreateLoadBalancerCommand(input));
    const again = await s.client.send(new CreateLoadBalancerCommand(input));
    expect(again.LoadBalancers?.[0]?.LoadBalancerArn).toBe(first.LoadBalancers?.[0]?.LoadBalancerArn);

    const err = await rejection(s.client.send(new CreateLoadBalancerCommand({ ...input, Type: 'application', Subnets: ['subnet-0a1b2c3d', 'subnet-4e5f6a7b'] })));
    expect(err.name).toBe('DuplicateLoadBalancerNameException');
    expect(err.Code).toBe('DuplicateLoadBalancerName');
    expect(err.message).toContain("'web'");
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(s.store.listLoadBalancers()).toHaveLength(1);
  });

  it('keeps v2 names apart from classic ones, as AWS does', async () => {
    s.classic.create({
      name: 'web',
      listeners: [{ protocol: 'TCP', loadBalancerPort: 80, instanceProtocol: 'TCP', instancePort: 30080 }],
      availabilityZones: ['us-east-1a'],
    });
    await s.client.send(new CreateLoadBalancerCommand({ Name: 'web', Type: 'network', Subnets: ['subnet-0a1b2c3d'] }));
    const classic = new ElasticLoadBalancingClient({
      region: 'us-east-1',
      endpoint: s.endpoint,
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      maxAttempts: 1,
    });
    try {
      const { LoadBalancerDescriptions } = await classic.send(new DescribeClassicLoadBalancersCommand({}));
      expect(LoadBalancerDescriptions?.map((lb) => lb.LoadBalancerName)).toEqual(['web']);
    } finally {
      classic.destroy();
    }
    const { LoadBalancers } = await s.client.send(new DescribeLoadBalancersCommand({}));
    expect(LoadBalancers?.map((lb) => lb.Type)).toEqual(['network']);
  });

  it('deletes by ARN, and deleting an unknown ARN succeeds silently', async () => {
    const arn = seedNlb(s, 'web');
    await s.client.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: arn }));
    expect(s.store.listLoadBalancers()).toEqual([]);
    await expect(s.client.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: arn }))).resolves.toMatchObject({
      $metadata: { httpStatusCode: 200 },
    });
    const err = await rejection(s.client.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [arn] })));
    expect(err.name).toBe('LoadBalancerNotFoundException');
    expect(err.message).toBe(`Load balancer '${arn}' not found`);
    const bad = await rejection(s.client.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: 'web' })));
    expect(bad.name).toBe('ValidationError');
  });

  it('answers LoadBalancerNotFound naming the unknown names', async () => {
    seedNlb(s, 'web');
    const err = await rejection(s.client.send(new DescribeLoadBalancersCommand({ Names: ['web', 'gone', 'lost'] })));
    expect(err.name).toBe('LoadBalancerNotFoundException');
    expect(err.Code).toBe('LoadBalancerNotFound');
    expect(err.message).toBe("Load balancers '[gone, lost]' not found");
    const both = await rejection(s.client.send(new DescribeLoadBalancersCommand({ Names: ['web'], LoadBalancerArns: [seedNlb(s, 'api')] })));
    expect(both.name).toBe('ValidationError');
  });

  it('pages 1001 load balancers 400 at a time through NextMarker, and PageSize above 400 is a ValidationError', async () => {
    const names = Array.from({ length: 1001 }, (_, i) => `lb-${String(i).padStart(4, '0')}`);
    for (const name of [...names].reverse()) seedNlb(s, name);

    const first = await s.client.send(new DescribeLoadBalancersCommand({}));
    expect(first.LoadBalancers).toHaveLength(400); // the default and largest page
    expect(first.NextMarker).toEqual(expect.any(String));
    const second = await s.client.send(new DescribeLoadBalancersCommand({ Marker: first.NextMarker, PageSize: 400 }));
    expect(second.LoadBalancers?.[0]?.LoadBalancerName).toBe('lb-0400');

    const pages: number[] = [];
    const seen: string[] = [];
    for await (const page of paginateDescribeLoadBalancers({ client: s.client }, { PageSize: 400 })) {
      pages.push(page.LoadBalancers?.length ?? 0);
      seen.push(...(page.LoadBalancers ?? []).map((lb) => lb.LoadBalancerName!));
    }
    expect(pages).toEqual([400, 400, 201]);
    expect(seen).toEqual(names);

    const small = await s.client.send(new DescribeLoadBalancersCommand({ Names: ['lb-0003', 'lb-0001', 'lb-0002'], PageSize: 2 }));
    expect(small.LoadBalancers?.map((lb) => lb.LoadBalancerName)).toEqual(['lb-0001', 'lb-0002']);
    const rest = await s.client.send(new DescribeLoadBalancersCommand({ Names: ['lb-0003', 'lb-0001', 'lb-0002'], PageSize: 2, Marker: small.NextMarker }));
    expect(rest.LoadBalancers?.map((lb) => lb.LoadBalancerName)).toEqual(['lb-0003']);
    expect(rest.NextMarker).toBeUndefined();

    const tooBig = await rejection(s.client.send(new DescribeLoadBalancersCommand({ PageSize: 401 })));
    expect(tooBig.name).toBe('ValidationError');
    expect(tooBig.message).toContain('Member must have value less than or equal to 400');
    const badMarker = await rejection(s.client.send(new DescribeLoadBalancersCommand({ Marker: 'not-a-marker' })));
    expect(badMarker.message).toBe('Invalid Marker');
  });

  it('round-trips tags with AddTags, DescribeTags and RemoveTags', async () => {
    const arn = seedNlb(s, 'web', { 'kubernetes.io/cluster/sandbox': 'owned' });
    await s.client.send(
      new AddTagsCommand({
        ResourceArns: [arn],
        Tags: [
          { Key: 'svcbot/owner', Value: 'U123' },
          { Key: 'kubernetes.io/cluster/sandbox', Value: 'shared' },
        ],
      }),
    );
    const { TagDescriptions } = await s.client.send(new DescribeTagsCommand({ ResourceArns: [arn] }));
    expect(TagDescriptions).toEqual([
      {
        ResourceArn: arn,
        Tags: [
          { Key: 'kubernetes.io/cluster/sandbox', Value: 'shared' },
          { Key: 'svcbot/owner', Value: 'U123' },
        ],
      },
    ]);
    await s.client.send(new RemoveTagsCommand({ ResourceArns: [arn], TagKeys: ['svcbot/owner'] }));
    const after = await s.client.send(new DescribeTagsCommand({ ResourceArns: [arn] }));
    expect(after.TagDescriptions?.[0]?.Tags).toEqual([{ Key: 'kubernetes.io/cluster/sandbox', Value: 'shared' }]);

    const dup = await rejection(
      s.client.send(new AddTagsCommand({ ResourceArns: [arn], Tags: [{ Key: 'a', Value: '1' }, { Key: 'a', Value: '2' }] })),
    );
    expect(dup.name).toBe('DuplicateTagKeysException');
    const reserved = await rejection(s.client.send(new AddTagsCommand({ ResourceArns: [arn], Tags: [{ Key: 'aws:x', Value: '1' }] })));
    expect(reserved.name).toBe('ValidationError');
    const many = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    const tooMany = await rejection(s.client.send(new AddTagsCommand({ ResourceArns: [arn], Tags: many })));
    expect(tooMany.name).toBe('TooManyTagsException');
  });

  it('DescribeTags takes at most 20 ARNs, and one missing ARN fails the whole call', async () => {
    const arns = Array.from({ length: 21 }, (_, i) => seedNlb(s, `lb-${i}`, { n: String(i) }));
    const twenty = await s.client.send(new DescribeTagsCommand({ ResourceArns: arns.slice(0, 20) }));
    expect(twenty.TagDescriptions?.map((d) => d.ResourceArn)).toEqual(arns.slice(0, 20));
    expect(twenty.TagDescriptions?.[7]?.Tags).toEqual([{ Key: 'n', Value: '7' }]);

    const tooMany = await rejection(s.client.send(new DescribeTagsCommand({ ResourceArns: arns })));
    expect(tooMany.name).toBe('ValidationError');
    expect(tooMany.message).toContain('Member must have length less than or equal to 20');

    const gone = arns[3]!;
    s.store.deleteLoadBalancer(gone);
    const missing = await rejection(s.client.send(new DescribeTagsCommand({ ResourceArns: arns.slice(0, 5) })));
    expect(missing.name).toBe('LoadBalancerNotFoundException');
    expect(missing.Code).toBe('LoadBalancerNotFound');
    expect(missing.message).toBe(`Load balancer '${gone}' not found`);
  });

  it('creates target groups, lists them by load balancer and by ARN, and pages them', async () => {
    const lbArn = seedNlb(s, 'web');
    const { TargetGroups } = await s.client.send(
      new CreateTargetGroupCommand({ Name: 'web-tcp-80', Protocol: 'TCP', Port: 30080, VpcId: VPC, Tags: [{ Key: 'a', Value: 'b' }] }),
    );
    const tg = TargetGroups![0]!;
    expect(tg).toEqual({
      TargetGroupArn: expect.stringMatching(/^arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup\/web-tcp-80\/[0-9a-f]{16}$/),
      TargetGroupName: 'web-tcp-80',
      Protocol: 'TCP',
      Port: 30080,
      VpcId: VPC,
      HealthCheckProtocol: 'TCP',
      HealthCheckPort: 'traffic-port',
      HealthCheckEnabled: true,
      HealthCheckIntervalSeconds: 30,
      HealthCheckTimeoutSeconds: 10,
      HealthyThresholdCount: 5,
      UnhealthyThresholdCount: 2,
      LoadBalancerArns: [],
      TargetType: 'instance',
      IpAddressType: 'ipv4',
    });
    const other = s.store.createTargetGroup({ name: 'other', protocol: 'HTTP', port: 30081, vpcId: VPC });
    expect(other).toMatchObject({ healthCheckProtocol: 'HTTP', healthCheckPath: '/', matcherHttpCode: '200' });

    expect((await s.client.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: lbArn }))).TargetGroups).toEqual([]);
    s.store.attachTargetGroup(tg.TargetGroupArn!, lbArn);
    const byLb = await s.client.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: lbArn }));
    expect(byLb.TargetGroups).toEqual([{ ...tg, LoadBalancerArns: [lbArn] }]);
    const byArn = await s.client.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [other.arn] }));
    expect(byArn.TargetGroups?.map((g) => [g.TargetGroupName, g.HealthCheckPath, g.Matcher])).toEqual([['other', '/', { HttpCode: '200' }]]);

    const names: string[] = [];
    for await (const page of paginateDescribeTargetGroups({ client: s.client }, { PageSize: 1 })) {
      names.push(...(page.TargetGroups ?? []).map((g) => g.TargetGroupName!));
    }
    expect(names).toEqual(['other', 'web-tcp-80']);

    // Deleting the load balancer leaves its target group behind, attached to nothing.
    await s.client.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lbArn }));
    const orphan = await s.client.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [tg.TargetGroupArn!] }));
    expect(orphan.TargetGroups?.[0]?.LoadBalancerArns).toEqual([]);

    const noLb = await rejection(s.client.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: lbArn })));
    expect(noLb.name).toBe('LoadBalancerNotFoundException');
    const noTg = await rejection(
      s.client.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [tg.TargetGroupArn!.replace(/[0-9a-f]{16}$/, '0000000000000000')] })),
    );
    expect(noTg.name).toBe('TargetGroupNotFoundException');
    const dup = await rejection(s.client.send(new CreateTargetGroupCommand({ Name: 'web-tcp-80', Protocol: 'UDP', Port: 30080, VpcId: VPC })));
    expect(dup.name).toBe('DuplicateTargetGroupNameException');
  });

  it('reports target health: unused, initial, healthy, unhealthy, and unregistered targets', async () => {
    const lbArn = seedNlb(s, 'web');
    const tg = s.store.createTargetGroup({ name: 'web-tcp-80', protocol: 'TCP', port: 30080, vpcId: VPC });
    await s.client.send(new RegisterTargetsCommand({ TargetGroupArn: tg.arn, Targets: [{ Id: 'i-0aaa' }, { Id: 'i-0bbb', Port: 30081 }] }));
    const health = async (targets?: { Id: string; Port?: number }[]) =>
      (await s.client.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.arn, Targets: targets }))).TargetHealthDescriptions?.map(
        (d) => [d.Target?.Id, d.Target?.Port, d.HealthCheckPort, d.TargetHealth?.State, d.TargetHealth?.Reason],
      );

    expect(await health()).toEqual([
      ['i-0aaa', 30080, '30080', 'unused', 'Target.NotInUse'],
      ['i-0bbb', 30081, '30081', 'unused', 'Target.NotInUse'],
    ]);
    s.store.attachTargetGroup(tg.arn, lbArn);
    expect(await health()).toEqual([
      ['i-0aaa', 30080, '30080', 'initial', 'Elb.RegistrationInProgress'],
      ['i-0bbb', 30081, '30081', 'initial', 'Elb.RegistrationInProgress'],
    ]);
    s.clock.t += 30_000;
    s.store.setTargetHealth(tg.arn, 'i-0bbb', 'unhealthy', 30081);
    const full = await s.client.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.arn }));
    expect(full.TargetHealthDescriptions).toEqual([
      { Target: { Id: 'i-0aaa', Port: 30080 }, HealthCheckPort: '30080', TargetHealth: { State: 'healthy' } },
      {
        Target: { Id: 'i-0bbb', Port: 30081 },
        HealthCheckPort: '30081',
        TargetHealth: { State: 'unhealthy', Reason: 'Target.FailedHealthChecks', Description: 'Health checks failed' },
      },
    ]);
    expect(await health([{ Id: 'i-0ccc' }])).toEqual([['i-0ccc', 30080, '30080', 'unused', 'Target.NotRegistered']]);
    s.store.setTargetHealth(tg.arn, 'i-0bbb', null, 30081);
    expect(await health([{ Id: 'i-0bbb', Port: 30081 }])).toEqual([['i-0bbb', 30081, '30081', 'healthy', undefined]]);

    const unknown = await rejection(
      s.client.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.arn.replace(/[0-9a-f]{16}$/, '0000000000000000') })),
    );
    expect(unknown.name).toBe('TargetGroupNotFoundException');
  });

  it('creates a listener forwarding to a target group, and describes it by load balancer and by ARN', async () => {
    const lbArn = seedNlb(s, 'web');
    const tg = s.store.createTargetGroup({ name: 'web-tcp-80', protocol: 'TCP', port: 30080, vpcId: VPC });
    s.store.registerTargets(tg.arn, [{ id: 'i-0aaa' }]);
    const created = await s.client.send(
      new CreateListenerCommand({ LoadBalancerArn: lbArn, Protocol: 'TCP', Port: 80, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.arn }] }),
    );
    const listener = created.Listeners?.[0];
    expect(listener).toEqual({
      ListenerArn: expect.stringMatching(/^arn:aws:elasticloadbalancing:us-east-1:123456789012:listener\/net\/web\/[0-9a-f]{16}\/[0-9a-f]{16}$/),
      LoadBalancerArn: lbArn,
      Port: 80,
      Protocol: 'TCP',
      DefaultActions: [
        {
          Type: 'forward',
          TargetGroupArn: tg.arn,
          ForwardConfig: { TargetGroups: [{ TargetGroupArn: tg.arn, Weight: 1 }], TargetGroupStickinessConfig: { Enabled: false } },
        },
      ],
    });
    expect(listener!.ListenerArn).toContain(lbArn.split('/').slice(1).join('/'));

    const byLb = await s.client.send(new DescribeListenersCommand({ LoadBalancerArn: lbArn }));
    expect(byLb.Listeners).toEqual([listener]);
    expect(byLb.NextMarker).toBeUndefined();
    const byArn = await s.client.send(new DescribeListenersCommand({ ListenerArns: [listener!.ListenerArn!] }));
    expect(byArn.Listeners).toEqual([listener]);

    // The listener puts the target group behind the load balancer: its targets are checked, no longer unused.
    const { TargetGroups } = await s.client.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: lbArn }));
    expect(TargetGroups?.map((g) => [g.TargetGroupArn, g.LoadBalancerArns])).toEqual([[tg.arn, [lbArn]]]);
    const health = await s.client.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.arn }));
    expect(health.TargetHealthDescriptions?.[0]?.TargetHealth?.State).toBe('initial');

    // The same listener again is the same listener (CreateListener is idempotent).
    const again = await s.client.send(
      new CreateListenerCommand({ LoadBalancerArn: lbArn, Protocol: 'TCP', Port: 80, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.arn }] }),
    );
    expect(again.Listeners).toEqual([listener]);
  });

  it('answers HTTPS and TLS listeners with their certificates and security policy', async () => {
    const albArn = s.store.createLoadBalancer({ name: 'api', subnets: ['subnet-0a1b2c3d'] }).arn;
    const tg = s.store.createTargetGroup({ name: 'api-http', protocol: 'HTTP', port: 30080, vpcId: VPC });
    const cert = 'arn:aws:acm:us-east-1:123456789012:certificate/0e8a2c4b-1111-2222-3333-444455556666';
    const { Listeners } = await s.client.send(
      new CreateListenerCommand({
        LoadBalancerArn: albArn,
        Protocol: 'HTTPS',
        Port: 443,
        Certificates: [{ CertificateArn: cert }],
        DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.arn, Order: 1 }],
      }),
    );
    expect(Listeners?.[0]).toMatchObject({
      ListenerArn: expect.stringContaining(':listener/app/api/'),
      Protocol: 'HTTPS',
      Port: 443,
      Certificates: [{ CertificateArn: cert }],
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.arn, Order: 1 }],
    });
    const noCert = await rejection(
      s.client.send(new CreateListenerCommand({ LoadBalancerArn: albArn, Protocol: 'HTTPS', Port: 8443, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.arn }] })),
    );
    expect(noCert.name).toBe('CertificateNotFoundException');
  });

  it('refuses listeners AWS refuses: a taken port, a wrong protocol, an unknown or incompatible target group', async () => {
    const lbArn = seedNlb(s, 'web');
    const tcp = s.store.createTargetGroup({ name: 'web-tcp', protocol: 'TCP', port: 30080, vpcId: VPC });
    const udp = s.store.createTargetGroup({ name: 'web-udp', protocol: 'UDP', port: 30053, vpcId: VPC });
    const forward = (arn: string) => [{ Type: 'forward' as const, TargetGroupArn: arn }];
    await s.client.send(new CreateListenerCommand({ LoadBalancerArn: lbArn, Protocol: 'TCP', Port: 80, DefaultActions: forward(tcp.arn) }));

    const tcp2 = s.store.createTargetGroup({ name: 'web-tcp-2', protocol: 'TCP', port: 30081, vpcId: VPC });
    const taken = await rejection(s.client.send(new CreateListenerCommand({ LoadBalancerArn: lbArn, Protocol: 'TCP', Port: 80, DefaultActions: forward(tcp2.arn) })));
    expect(taken.name).toBe('DuplicateListenerException');
    const http = await rejection(s.client.send(new CreateListenerCommand({ LoadBalancerArn: lbArn, Protocol: 'HTTP', Port: 81, DefaultActions: forward(tcp.arn) })));
    expect(http.name).toBe('ValidationError');
    expect(http.message).toBe("Listener protocol 'HTTP' must be one of 'TCP, TLS, UDP, TCP_UDP'");
    const incompatible = await rejection(s.client.send(new CreateListenerCommand({ LoadBalancerArn: lbArn, Protocol: 'TCP', Port: 82, DefaultActions: forward(udp.arn) })));
    expect(incompatible.name).toBe('IncompatibleProtocolsException');
    const unknownTg = await rejection(
      s.client.send(new CreateListenerCommand({ LoadBalancerArn: lbArn, Protocol: 'TCP', Port: 83, DefaultActions: forward(tcp.arn.replace(/[0-9a-f]{16}$/, '0000000000000000')) })),
    );
    expect(unknownTg.name).toBe('TargetGroupNotFoundException');
    const other = seedNlb(s, 'other');
    const shared = await rejection(s.client.send(new CreateListenerCommand({ LoadBalancerArn: other, Protocol: 'TCP', Port: 80, DefaultActions: forward(tcp.arn) })));
    expect(shared.name).toBe('TargetGroupAssociationLimitException');
    const redirect = await rejection(s.client.send(new CreateListenerCommand({ LoadBalancerArn: lbArn, Protocol: 'TCP', Port: 84, DefaultActions: [{ Type: 'redirect' }] })));
    expect(redirect.name).toBe('ValidationError');
    const noLb = await rejection(
      s.client.send(new CreateListenerCommand({ LoadBalancerArn: lbArn.replace(/[0-9a-f]{16}$/, '0000000000000000'), Protocol: 'TCP', Port: 80, DefaultActions: forward(tcp.arn) })),
    );
    expect(noLb.name).toBe('LoadBalancerNotFoundException');
    expect(s.store.listListeners(lbArn)?.map((l) => l.port)).toEqual([80]);
  });

  it('pages DescribeListeners by port with Marker and PageSize, and answers the errors AWS does', async () => {
    const lbArn = seedNlb(s, 'web');
    const tg = s.store.createTargetGroup({ name: 'web-tcp', protocol: 'TCP', port: 30080, vpcId: VPC });
    for (const port of [8443, 80, 443]) s.store.createListener({ loadBalancerArn: lbArn, protocol: 'TCP', port, defaultActions: [{ type: 'forward', targetGroupArn: tg.arn }] });
    const first = await s.client.send(new DescribeListenersCommand({ LoadBalancerArn: lbArn, PageSize: 2 }));
    expect(first.Listeners?.map((l) => l.Port)).toEqual([80, 443]);
    expect(first.NextMarker).toEqual(expect.any(String));
    const pages: number[][] = [];
    for await (const page of paginateDescribeListeners({ client: s.client }, { LoadBalancerArn: lbArn, PageSize: 2 })) {
      pages.push((page.Listeners ?? []).map((l) => l.Port!));
    }
    expect(pages).toEqual([[80, 443], [8443]]);

    const neither = await rejection(s.client.send(new DescribeListenersCommand({})));
    expect(neither.name).toBe('ValidationError');
    const unknown = await rejection(s.client.send(new DescribeListenersCommand({ ListenerArns: [`${lbArn.replace(':loadbalancer/', ':listener/')}/0000000000000000`] })));
    expect(unknown.name).toBe('ListenerNotFoundException');
    const tooBig = await rejection(s.client.send(new DescribeListenersCommand({ LoadBalancerArn: lbArn, PageSize: 401 })));
    expect(tooBig.message).toContain('Member must have value less than or equal to 400');
  });

  it('deletes a load balancer with its listeners at once; its target groups stay, serving nothing', async () => {
    const lbArn = seedNlb(s, 'web');
    const tg = s.store.createTargetGroup({ name: 'web-tcp', protocol: 'TCP', port: 30080, vpcId: VPC });
    const listener = s.store.createListener({ loadBalancerArn: lbArn, protocol: 'TCP', port: 80, defaultActions: [{ type: 'forward', targetGroupArn: tg.arn }] });
    await s.client.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lbArn }));
    const listed = await rejection(s.client.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [lbArn] })));
    expect(listed.name).toBe('LoadBalancerNotFoundException');
    const byLb = await rejection(s.client.send(new DescribeListenersCommand({ LoadBalancerArn: lbArn })));
    expect(byLb.name).toBe('LoadBalancerNotFoundException');
    const byArn = await rejection(s.client.send(new DescribeListenersCommand({ ListenerArns: [listener.arn] })));
    expect(byArn.name).toBe('ListenerNotFoundException');
    expect(s.store.getTargetGroup(tg.arn)?.loadBalancerArns).toEqual([]);
  });

  it('throttles v2 requests above elbThrottleRatePerSecond with 400 Throttling, like the classic API', async () => {
    s.faults.set({ elbThrottleRatePerSecond: 2 });
    await s.client.send(new DescribeLoadBalancersCommand({}));
    await s.client.send(new DescribeLoadBalancersCommand({}));
    const err = await rejection(s.client.send(new DescribeLoadBalancersCommand({})));
    expect(err.name).toBe('Throttling');
    expect(err.Code).toBe('Throttling');
    expect(err.message).toBe('Rate exceeded');
    expect(err.$metadata.httpStatusCode).toBe(400);
    s.clock.t += 1000;
    await expect(s.client.send(new DescribeLoadBalancersCommand({}))).resolves.toMatchObject({ LoadBalancers: [] });
  });

  it('adds elbLatencyMs to v2 calls', async () => {
    s.faults.set({ elbLatencyMs: 200 });
    const started = performance.now();
    await s.client.send(new DescribeLoadBalancersCommand({}));
    expect(performance.now() - started).toBeGreaterThanOrEqual(195);
  });
});

describe('ELBv2 Query API on the wire', () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await startSandbox();
  });
  afterAll(async () => {
    await stopSandbox(s);
  });

  it('answers Version=2015-12-01 in the 2015-12-01 namespace, errors included', async () => {
    const ok = await rawCall(s.endpoint, 'Action=DescribeLoadBalancers&Version=2015-12-01');
    expect(ok.status).toBe(200);
    expect(ok.text).toContain(`<DescribeLoadBalancersResponse xmlns="${NS}"><DescribeLoadBalancersResult><LoadBalancers/>`);
    const err = await rawCall(s.endpoint, 'Action=DescribeLoadBalancers&Version=2015-12-01&Names.member.1=nope');
    expect(err.status).toBe(400);
    expect(err.text).toContain(`<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>LoadBalancerNotFound</Code>`);
    const unknown = await rawCall(s.endpoint, 'Action=DescribeInstanceHealth&Version=2015-12-01&LoadBalancerName=x');
    expect(unknown.text).toContain('<Code>InvalidAction</Code>');
    // The classic API still answers its own version on the same endpoint.
    const classic = await rawCall(s.endpoint, 'Action=DescribeLoadBalancers&Version=2012-06-01');
    expect(classic.text).toContain('xmlns="http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/"><DescribeLoadBalancersResult><LoadBalancerDescriptions/>');
  });

  it('answers DescribeListeners as <Listeners><member> with the default actions as members', async () => {
    const lbArn = seedNlb(s, 'wire');
    const tg = s.store.createTargetGroup({ name: 'wire-tcp', protocol: 'TCP', port: 30080, vpcId: VPC });
    const listener = s.store.createListener({ loadBalancerArn: lbArn, protocol: 'TCP', port: 80, defaultActions: [{ type: 'forward', targetGroupArn: tg.arn }] });
    const res = await rawCall(s.endpoint, `Action=DescribeListeners&Version=2015-12-01&LoadBalancerArn=${encodeURIComponent(lbArn)}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain(
      `<DescribeListenersResponse xmlns="${NS}"><DescribeListenersResult><Listeners><member>` +
        `<ListenerArn>${listener.arn}</ListenerArn><LoadBalancerArn>${lbArn}</LoadBalancerArn><Port>80</Port><Protocol>TCP</Protocol>` +
        `<DefaultActions><member><Type>forward</Type><TargetGroupArn>${tg.arn}</TargetGroupArn>`,
    );
    expect(res.text).toContain('</member></Listeners></DescribeListenersResult>');
  });

  it('keeps an ELBv2 store of its own when created without one', async () => {
    const server = createElbApiServer(new ElbStore({ region: 'us-east-1', dnsDelayMs: 0, instanceWarmupMs: 0 }), new Faults(), { region: 'us-east-1' });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const created = await rawCall(endpoint, 'Action=CreateLoadBalancer&Version=2015-12-01&Name=solo&Type=network&Subnets.member.1=subnet-0a1b2c3d');
      expect(created.status).toBe(200);
      const listed = await rawCall(endpoint, 'Action=DescribeLoadBalancers&Version=2015-12-01');
      expect(listed.text).toContain('<LoadBalancerName>solo</LoadBalancerName>');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

/**
 * The stock aws CLI (v1 or v2) against the sandbox, when one is on PATH; machines without it skip this
 * block (set AWS_CLI to a path to use another binary). Its config and credential files are replaced
 * by /dev/null and instance metadata is off, so it talks to nothing but the sandbox.
 */
function findAwsCli(): string | undefined {
  const candidates = process.env.AWS_CLI ? [process.env.AWS_CLI] : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'aws'));
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
const awsCli = findAwsCli();
const describeWithAwsCli = awsCli ? describe : describe.skip;

describeWithAwsCli('aws elbv2 against the sandbox', () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await startSandbox();
  });
  afterAll(async () => {
    await stopSandbox(s);
  });

  const aws = async (...args: string[]): Promise<unknown> => {
    const { stdout } = await promisify(execFile)(awsCli!, [...args, '--endpoint-url', s.endpoint, '--region', 'us-east-1', '--output', 'json'], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        AWS_ACCESS_KEY_ID: 'sandbox',
        AWS_SECRET_ACCESS_KEY: 'sandbox',
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_PAGER: '',
      },
      timeout: 60_000,
    });
    return stdout.trim() === '' ? undefined : JSON.parse(stdout);
  };

  it('creates, tags, describes and deletes a load balancer', async () => {
    const created = (await aws('elbv2', 'create-load-balancer', '--name', 'cli', '--type', 'network', '--subnets', 'subnet-0a1b2c3d', '--tags', 'Key=team,Value=infra')) as {
      LoadBalancers: { LoadBalancerArn: string; DNSName: string }[];
    };
    const arn = created.LoadBalancers[0]!.LoadBalancerArn;
    expect(arn).toMatch(NLB_ARN);
    expect(await aws('elbv2', 'describe-load-balancers')).toMatchObject({
      LoadBalancers: [{ LoadBalancerArn: arn, LoadBalancerName: 'cli', Type: 'network', DNSName: created.LoadBalancers[0]!.DNSName }],
    });
    expect(await aws('elbv2', 'describe-tags', '--resource-arns', arn)).toEqual({
      TagDescriptions: [{ ResourceArn: arn, Tags: [{ Key: 'team', Value: 'infra' }] }],
    });
    await aws('elbv2', 'delete-load-balancer', '--load-balancer-arn', arn);
    expect(await aws('elbv2', 'describe-load-balancers')).toEqual({ LoadBalancers: [] });
  }, 120_000);
  it('creates a listener with aws elbv2 create-listener and lists it with describe-listeners', async () => {
    const lbArn = seedNlb(s, 'cli-listener');
    const tg = (await aws('elbv2', 'create-target-group', '--name', 'cli-tcp', '--protocol', 'TCP', '--port', '30080', '--vpc-id', VPC)) as {
      TargetGroups: { TargetGroupArn: string }[];
    };
    const tgArn = tg.TargetGroups[0]!.TargetGroupArn;
    const created = (await aws('elbv2', 'create-listener', '--load-balancer-arn', lbArn, '--protocol', 'TCP', '--port', '80', '--default-actions', `Type=forward,TargetGroupArn=${tgArn}`)) as {
      Listeners: { ListenerArn: string }[];
    };
    const listenerArn = created.Listeners[0]!.ListenerArn;
    expect(await aws('elbv2', 'describe-listeners', '--load-balancer-arn', lbArn)).toEqual({
      Listeners: [
        {
          ListenerArn: listenerArn,
          LoadBalancerArn: lbArn,
          Port: 80,
          Protocol: 'TCP',
          DefaultActions: [
            { Type: 'forward', TargetGroupArn: tgArn, ForwardConfig: { TargetGroups: [{ TargetGroupArn: tgArn, Weight: 1 }], TargetGroupStickinessConfig: { Enabled: false } } },
          ],
        },
      ],
    });
    await aws('elbv2', 'delete-load-balancer', '--load-balancer-arn', lbArn);
    expect(s.store.getListener(listenerArn)).toBeUndefined();
  }, 120_000);
});

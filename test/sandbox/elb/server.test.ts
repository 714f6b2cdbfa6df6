import {
  AddTagsCommand,
  ConfigureHealthCheckCommand,
  CreateLoadBalancerCommand,
  DeleteLoadBalancerCommand,
  DeregisterInstancesFromLoadBalancerCommand,
  DescribeInstanceHealthCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  ElasticLoadBalancingClient,
  ElasticLoadBalancingServiceException,
  paginateDescribeLoadBalancers,
  RegisterInstancesWithLoadBalancerCommand,
  RemoveTagsCommand,
} from '@aws-sdk/client-elastic-load-balancing';
import { REGISTRATION_IN_PROGRESS } from '../../../sandbox/elb/store.js';
import { type ElbEndpoint, rawCall, rejectionOf, startElbEndpoint } from './helpers.js';

const NS = 'http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/';
const tcp80 = { Protocol: 'TCP', LoadBalancerPort: 80, InstanceProtocol: 'TCP', InstancePort: 30080 };

type Sandbox = ElbEndpoint & { client: ElasticLoadBalancingClient };

async function startSandbox(): Promise<Sandbox> {
  const endpoint = await startElbEndpoint();
  const client = new ElasticLoadBalancingClient({
    region: 'us-east-1',
    endpoint: endpoint.endpoint,
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    maxAttempts: 1,
  });
  return { ...endpoint, client };
}

async function stopSandbox(s: Sandbox): Promise<void> {
  s.client.destroy();
  await s.close();
}

/** The SDK exception a call rejects with. */
function rejection(promise: Promise<unknown>) {
  return rejectionOf(promise, ElasticLoadBalancingServiceException);
}

describe('ELB Query API through the AWS SDK', () => {
  let s: Sandbox;
  beforeEach(async () => {
    s = await startSandbox();
  });
  afterEach(async () => {
    await stopSandbox(s);
  });

  it('creates a load balancer and describes it in full', async () => {
    const created = await s.client.send(
      new CreateLoadBalancerCommand({
        LoadBalancerName: 'web',
        Listeners: [tcp80, { Protocol: 'http', LoadBalancerPort: 8080, InstancePort: 30081 }],
        Subnets: ['subnet-0a1b2c3d'],
        SecurityGroups: ['sg-0123456789abcdef0'],
        Tags: [{ Key: 'kubernetes.io/service-name', Value: 'default/web' }],
      }),
    );
    expect(created.DNSName).toMatch(/^web-\d{10}\.us-east-1\.elb\.amazonaws\.com$/);
    expect(created.$metadata.httpStatusCode).toBe(200);
    expect(created.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);

    const { LoadBalancerDescriptions: lbs, NextMarker } = await s.client.send(new DescribeLoadBalancersCommand({ LoadBalancerNames: ['web'] }));
    expect(NextMarker).toBeUndefined();
    expect(lbs).toHaveLength(1);
    const lb = lbs![0]!;
    expect(lb).toEqual({
      LoadBalancerName: 'web',
      DNSName: created.DNSName,
      CanonicalHostedZoneName: created.DNSName,
      CanonicalHostedZoneNameID: 'Z35SXDOTRQ7X7K',
      ListenerDescriptions: [
        { Listener: { Protocol: 'TCP', LoadBalancerPort: 80, InstanceProtocol: 'TCP', InstancePort: 30080 }, PolicyNames: [] },
        { Listener: { Protocol: 'HTTP', LoadBalancerPort: 8080, InstanceProtocol: 'HTTP', InstancePort: 30081 }, PolicyNames: [] },
      ],
      Policies: { AppCookieStickinessPolicies: [], LBCookieStickinessPolicies: [], OtherPolicies: [] },
      BackendServerDescriptions: [],
      AvailabilityZones: [expect.stringMatching(/^us-east-1[abc]$/)],
      Subnets: ['subnet-0a1b2c3d'],
      VPCId: s.store.vpcId,
      Instances: [],
      HealthCheck: { Target: 'TCP:30080', Interval: 30, Timeout: 5, UnhealthyThreshold: 2, HealthyThreshold: 10 },
      SourceSecurityGroup: { OwnerAlias: '123456789012', GroupName: 'sg-0123456789abcdef0' },
      SecurityGroups: ['sg-0123456789abcdef0'],
      CreatedTime: new Date(s.clock.t),
      Scheme: 'internet-facing',
    });

    // CreateLoadBalancer is idempotent for the same configuration.
    const again = await s.client.send(
      new CreateLoadBalancerCommand({
        LoadBalancerName: 'web',
        Listeners: [tcp80, { Protocol: 'HTTP', LoadBalancerPort: 8080, InstancePort: 30081 }],
        Subnets: ['subnet-0a1b2c3d'],
      }),
    );
    expect(again.DNSName).toBe(created.DNSName);
  });

  it('pages through 450 load balancers with PageSize and NextMarker', async () => {
    const names = Array.from({ length: 450 }, (_, i) => `lb-${String(i).padStart(3, '0')}`);
    for (const name of names) {
      s.store.create({ name, listeners: [{ protocol: 'TCP', loadBalancerPort: 80, instanceProtocol: 'TCP', instancePort: 30080 }], availabilityZones: ['us-east-1a'] });
    }

    const first = await s.client.send(new DescribeLoadBalancersCommand({}));
    expect(first.LoadBalancerDescriptions).toHaveLength(400); // default and maximum page size
    expect(first.NextMarker).toEqual(expect.any(String));
    const rest = await s.client.send(new DescribeLoadBalancersCommand({ Marker: first.NextMarker }));
    expect(rest.LoadBalancerDescriptions).toHaveLength(50);
    expect(rest.NextMarker).toBeUndefined();

    const seen: string[] = [];
    let pages = 0;
    for await (const page of paginateDescribeLoadBalancers({ client: s.client, pageSize: 100 }, { PageSize: 100 })) {
      pages++;
      for (const lb of page.LoadBalancerDescriptions ?? []) seen.push(lb.LoadBalancerName!);
    }
    expect(pages).toBe(5);
    expect(seen).toEqual(names);

    const exact = await s.client.send(new DescribeLoadBalancersCommand({ PageSize: 50, Marker: first.NextMarker }));
    expect(exact.LoadBalancerDescriptions).toHaveLength(50);
    expect(exact.NextMarker).toBeUndefined();
  });

  it('adds, describes and removes tags', async () => {
    await s.client.send(
      new CreateLoadBalancerCommand({ LoadBalancerName: 'tagged', Listeners: [tcp80], AvailabilityZones: ['us-east-1a'], Tags: [{ Key: 'a', Value: '1' }] }),
    );
    await s.client.send(new CreateLoadBalancerCommand({ LoadBalancerName: 'bare', Listeners: [tcp80], AvailabilityZones: ['us-east-1b'] }));
    await s.client.send(new AddTagsCommand({ LoadBalancerNames: ['tagged'], Tags: [{ Key: 'b', Value: '2' }, { Key: 'a', Value: 'x' }] }));
    await s.client.send(new RemoveTagsCommand({ LoadBalancerNames: ['tagged'], Tags: [{ Key: 'b' }] }));

    const { TagDescriptions } = await s.client.send(new DescribeTagsCommand({ LoadBalancerNames: ['tagged', 'bare'] }));
    expect(TagDescriptions).toEqual([
      { LoadBalancerName: 'tagged', Tags: [{ Key: 'a', Value: 'x' }] },
      { LoadBalancerName: 'bare', Tags: [] },
    ]);
  });

  it('reports instance health moving from OutOfService to InService, and deregisters', async () => {
    await s.client.send(new CreateLoadBalancerCommand({ LoadBalancerName: 'health', Listeners: [tcp80], AvailabilityZones: ['us-east-1a'] }));
    const registered = await s.client.send(
      new RegisterInstancesWithLoadBalancerCommand({ LoadBalancerName: 'health', Instances: [{ InstanceId: 'i-0aaa' }, { InstanceId: 'i-0bbb' }] }),
    );
    expect(registered.Instances).toEqual([{ InstanceId: 'i-0aaa' }, { InstanceId: 'i-0bbb' }]);

    const before = await s.client.send(new DescribeInstanceHealthCommand({ LoadBalancerName: 'health' }));
    expect(before.InstanceStates).toEqual([
      { InstanceId: 'i-0aaa', State: 'OutOfService', ReasonCode: 'ELB', Description: REGISTRATION_IN_PROGRESS },
      { InstanceId: 'i-0bbb', State: 'OutOfService', ReasonCode: 'ELB', Description: REGISTRATION_IN_PROGRESS },
    ]);
    s.clock.t += 30_000;
    const after = await s.client.send(new DescribeInstanceHealthCommand({ LoadBalancerName: 'health', Instances: [{ InstanceId: 'i-0bbb' }] }));
    expect(after.InstanceStates).toEqual([{ InstanceId: 'i-0bbb', State: 'InService', ReasonCode: 'N/A', Description: 'N/A' }]);

    const remaining = await s.client.send(
      new DeregisterInstancesFromLoadBalancerCommand({ LoadBalancerName: 'health', Instances: [{ InstanceId: 'i-0aaa' }] }),
    );
    expect(remaining.Instances).toEqual([{ InstanceId: 'i-0bbb' }]);

    const hc = await s.client.send(
      new ConfigureHealthCheckCommand({
        LoadBalancerName: 'health',
        HealthCheck: { Target: 'HTTP:10256/healthz', Interval: 10, Timeout: 5, UnhealthyThreshold: 6, HealthyThreshold: 2 },
      }),
    );
    expect(hc.HealthCheck).toEqual({ Target: 'HTTP:10256/healthz', Interval: 10, Timeout: 5, UnhealthyThreshold: 6, HealthyThreshold: 2 });
    const { LoadBalancerDescriptions } = await s.client.send(new DescribeLoadBalancersCommand({ LoadBalancerNames: ['health'] }));
    expect(LoadBalancerDescriptions?.[0]?.HealthCheck?.Target).toBe('HTTP:10256/healthz');
    expect(LoadBalancerDescriptions?.[0]?.Instances).toEqual([{ InstanceId: 'i-0bbb' }]);
  });

  it('deletes load balancers, and deleting a missing one succeeds', async () => {
    await s.client.send(new CreateLoadBalancerCommand({ LoadBalancerName: 'gone', Listeners: [tcp80], AvailabilityZones: ['us-east-1a'] }));
    const deleted = await s.client.send(new DeleteLoadBalancerCommand({ LoadBalancerName: 'gone' }));
    expect(deleted.$metadata.httpStatusCode).toBe(200);
    expect(s.store.get('gone')).toBeUndefined();
    const missing = await s.client.send(new DeleteLoadBalancerCommand({ LoadBalancerName: 'gone' }));
    expect(missing.$metadata.httpStatusCode).toBe(200);
  });

  it('answers DescribeLoadBalancerAttributes with the defaults', async () => {
    await s.client.send(new CreateLoadBalancerCommand({ LoadBalancerName: 'attrs', Listeners: [tcp80], AvailabilityZones: ['us-east-1a'] }));
    const { LoadBalancerAttributes } = await s.client.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerName: 'attrs' }));
    expect(LoadBalancerAttributes).toEqual({
      CrossZoneLoadBalancing: { Enabled: false },
      AccessLog: { Enabled: false },
      ConnectionDraining: { Enabled: false, Timeout: 300 },
      ConnectionSettings: { IdleTimeout: 60 },
      AdditionalAttributes: [{ Key: 'elb.http.desyncmitigationmode', Value: 'defensive' }],
    });
  });

  describe('errors, as the SDK surfaces them', () => {
    const cases: [string, (c: ElasticLoadBalancingClient) => Promise<unknown>, string, string, RegExp][] = [
      [
        'describing a missing load balancer',
        (c) => c.send(new DescribeLoadBalancersCommand({ LoadBalancerNames: ['nope'] })),
        'AccessPointNotFoundException',
        'LoadBalancerNotFound',
        /^There is no ACTIVE Load Balancer named 'nope'$/,
      ],
      [
        'an invalid name in DescribeLoadBalancers',
        (c) => c.send(new DescribeLoadBalancersCommand({ LoadBalancerNames: ['fake_load_balancer'] })),
        'ValidationError',
        'ValidationError',
        /cannot contain characters that are not letters, or digits or the dash/,
      ],
      ['PageSize 401', (c) => c.send(new DescribeLoadBalancersCommand({ PageSize: 401 })), 'ValidationError', 'ValidationError', /less than or equal to 400/],
      ['PageSize 0', (c) => c.send(new DescribeLoadBalancersCommand({ PageSize: 0 })), 'ValidationError', 'ValidationError', /greater than or equal to 1/],
      ['a bad Marker', (c) => c.send(new DescribeLoadBalancersCommand({ Marker: 'garbage' })), 'ValidationError', 'ValidationError', /Invalid Marker/],
      [
        'DescribeTags with 21 names',
        (c) => c.send(new DescribeTagsCommand({ LoadBalancerNames: Array.from({ length: 21 }, (_, i) => `n${i}`) })),
        'ValidationError',
        'ValidationError',
        /less than or equal to 20/,
      ],
      ['DescribeTags with no names', (c) => c.send(new DescribeTagsCommand({ LoadBalancerNames: [] })), 'ValidationError', 'ValidationError', /greater than or equal to 1/],
      [
        'DescribeTags of a missing load balancer',
        (c) => c.send(new DescribeTagsCommand({ LoadBalancerNames: ['exists', 'missing'] })),
        'AccessPointNotFoundException',
        'LoadBalancerNotFound',
        /'missing'/,
      ],
      [
        'a name longer than 32 characters',
        (c) => c.send(new CreateLoadBalancerCommand({ LoadBalancerName: 'x'.repeat(33), Listeners: [tcp80], AvailabilityZones: ['us-east-1a'] })),
        'ValidationError',
        'ValidationError',
        /cannot be longer than 32 characters/,
      ],
      [
        'a name in use with other listeners',
        (c) => c.send(new CreateLoadBalancerCommand({ LoadBalancerName: 'exists', Listeners: [{ ...tcp80, InstancePort: 1 }], AvailabilityZones: ['us-east-1a'] })),
        'DuplicateAccessPointNameException',
        'DuplicateLoadBalancerName',
        /already exists/,
      ],
      [
        'two different listeners on one port',
        (c) =>
          c.send(
            new CreateLoadBalancerCommand({ LoadBalancerName: 'dup', Listeners: [tcp80, { ...tcp80, InstancePort: 31000 }], AvailabilityZones: ['us-east-1a'] }),
          ),
        'DuplicateListenerException',
        'DuplicateListener',
        /LoadBalancerPort 80/,
      ],
      [
        'a listener port out of range',
        (c) => c.send(new CreateLoadBalancerCommand({ LoadBalancerName: 'p', Listeners: [{ ...tcp80, LoadBalancerPort: 70000 }], AvailabilityZones: ['us-east-1a'] })),
        'ValidationError',
        'ValidationError',
        /between 1 and 65535/,
      ],
      [
        'an unsupported listener protocol',
        (c) => c.send(new CreateLoadBalancerCommand({ LoadBalancerName: 'p', Listeners: [{ ...tcp80, Protocol: 'UDP' }], AvailabilityZones: ['us-east-1a'] })),
        'ValidationError',
        'ValidationError',
        /UDP/,
      ],
      [
        'a missing LoadBalancerName',
        (c) => c.send(new CreateLoadBalancerCommand({ Listeners: [tcp80] } as never)),
        'ValidationError',
        'ValidationError',
        /Value null at 'loadBalancerName' failed to satisfy constraint: Member must not be null/,
      ],
      [
        'eleven tags',
        (c) =>
          c.send(
            new AddTagsCommand({ LoadBalancerNames: ['exists'], Tags: Array.from({ length: 11 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })) }),
          ),
        'TooManyTagsException',
        'TooManyTags',
        /quota/,
      ],
      [
        'a tag key given twice',
        (c) => c.send(new AddTagsCommand({ LoadBalancerNames: ['exists'], Tags: [{ Key: 'k', Value: '1' }, { Key: 'k', Value: '2' }] })),
        'DuplicateTagKeysException',
        'DuplicateTagKeys',
        /'k'/,
      ],
      [
        'AddTags on two load balancers',
        (c) => c.send(new AddTagsCommand({ LoadBalancerNames: ['exists', 'exists2'], Tags: [{ Key: 'k', Value: '1' }] })),
        'ValidationError',
        'ValidationError',
        /less than or equal to 1/,
      ],
      [
        'AddTags on a missing load balancer',
        (c) => c.send(new AddTagsCommand({ LoadBalancerNames: ['missing'], Tags: [{ Key: 'k', Value: '1' }] })),
        'AccessPointNotFoundException',
        'LoadBalancerNotFound',
        /'missing'/,
      ],
      [
        'health of an unregistered instance',
        (c) => c.send(new DescribeInstanceHealthCommand({ LoadBalancerName: 'exists', Instances: [{ InstanceId: 'i-0zzz' }] })),
        'InvalidEndPointException',
        'InvalidInstance',
        /i-0zzz/,
      ],
      [
        'health of a missing load balancer',
        (c) => c.send(new DescribeInstanceHealthCommand({ LoadBalancerName: 'missing' })),
        'AccessPointNotFoundException',
        'LoadBalancerNotFound',
        /'missing'/,
      ],
      [
        'registering with a missing load balancer',
        (c) => c.send(new RegisterInstancesWithLoadBalancerCommand({ LoadBalancerName: 'missing', Instances: [{ InstanceId: 'i-1' }] })),
        'AccessPointNotFoundException',
        'LoadBalancerNotFound',
        /'missing'/,
      ],
      [
        'a health check timeout not below its interval',
        (c) =>
          c.send(
            new ConfigureHealthCheckCommand({
              LoadBalancerName: 'exists',
              HealthCheck: { Target: 'TCP:80', Interval: 5, Timeout: 5, UnhealthyThreshold: 2, HealthyThreshold: 2 },
            }),
          ),
        'ValidationError',
        'ValidationError',
        /greater than the timeout/,
      ],
      [
        'attributes of a missing load balancer',
        (c) => c.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerName: 'missing' })),
        'AccessPointNotFoundException',
        'LoadBalancerNotFound',
        /'missing'/,
      ],
    ];

    it.each(cases)('%s', async (_label, call, name, code, message) => {
      for (const lb of ['exists', 'exists2']) {
        s.store.create({ name: lb, listeners: [{ protocol: 'TCP', loadBalancerPort: 80, instanceProtocol: 'TCP', instancePort: 30080 }], availabilityZones: ['us-east-1a'] });
      }
      const err = await rejection(call(s.client));
      expect(err.name).toBe(name);
      expect(err.Code).toBe(code);
      expect(err.message).toMatch(message);
      expect(err.$fault).toBe('client');
      expect(err.$metadata.httpStatusCode).toBe(400);
      expect(err.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  it('throttles requests above elbThrottleRatePerSecond in a rolling second', async () => {
    s.faults.set({ elbThrottleRatePerSecond: 2 });
    await s.client.send(new DescribeLoadBalancersCommand({}));
    await s.client.send(new DescribeLoadBalancersCommand({}));
    const err = await rejection(s.client.send(new DescribeLoadBalancersCommand({})));
    expect(err.name).toBe('Throttling');
    expect(err.Code).toBe('Throttling');
    expect(err.message).toBe('Rate exceeded');
    expect(err.$metadata.httpStatusCode).toBe(400);

    s.clock.t += 999;
    await expect(rejection(s.client.send(new DescribeLoadBalancersCommand({})))).resolves.toMatchObject({ name: 'Throttling' });
    s.clock.t += 1;
    await expect(s.client.send(new DescribeLoadBalancersCommand({}))).resolves.toMatchObject({ LoadBalancerDescriptions: [] });

    s.faults.set({ elbThrottleRatePerSecond: 0 });
    for (let i = 0; i < 5; i++) await s.client.send(new DescribeLoadBalancersCommand({}));
  });

  it('throttles the next N requests of an action with elbThrottleNext, and only that action', async () => {
    s.faults.set({ elbThrottleNext: { DescribeLoadBalancers: 2 } });
    await expect(rejection(s.client.send(new DescribeLoadBalancersCommand({})))).resolves.toMatchObject({ name: 'Throttling', message: 'Rate exceeded' });
    await expect(s.client.send(new DescribeTagsCommand({ LoadBalancerNames: [] }))).rejects.toMatchObject({ name: expect.not.stringMatching(/Throttling/) });
    await expect(rejection(s.client.send(new DescribeLoadBalancersCommand({})))).resolves.toMatchObject({ name: 'Throttling' });
    await expect(s.client.send(new DescribeLoadBalancersCommand({}))).resolves.toMatchObject({ LoadBalancerDescriptions: [] });
    // Set again, it counts again.
    s.faults.set({ elbThrottleNext: { DescribeLoadBalancers: 1 } });
    await expect(rejection(s.client.send(new DescribeLoadBalancersCommand({})))).resolves.toMatchObject({ name: 'Throttling' });
    await expect(s.client.send(new DescribeLoadBalancersCommand({}))).resolves.toMatchObject({ LoadBalancerDescriptions: [] });
    s.faults.set({ elbThrottleNext: {} });
  });

  it('adds elbLatencyMs to every call', async () => {
    s.faults.set({ elbLatencyMs: 200 });
    const started = performance.now();
    await s.client.send(new DescribeLoadBalancersCommand({}));
    expect(performance.now() - started).toBeGreaterThanOrEqual(195);
  });
});

describe('ELB Query API on the wire', () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await startSandbox();
    s.store.create({
      name: 'wire',
      listeners: [{ protocol: 'TCP', loadBalancerPort: 80, instanceProtocol: 'TCP', instancePort: 30080 }],
      availabilityZones: ['us-east-1a'],
      tags: { note: 'a + b' },
    });
  });
  afterAll(async () => {
    await stopSandbox(s);
  });

  it('answers XML in the 2012-06-01 namespace with a request id header', async () => {
    const res = await rawCall(s.endpoint, 'Action=DescribeTags&Version=2012-06-01&LoadBalancerNames.member.1=wire');
    expect(res.status).toBe(200);
    expect(res.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.text).toContain(`<DescribeTagsResponse xmlns="${NS}"><DescribeTagsResult><TagDescriptions><member>`);
    expect(res.text).toContain('<Value>a + b</Value>');
    expect(res.text).toContain(`<ResponseMetadata><RequestId>${res.requestId}</RequestId></ResponseMetadata></DescribeTagsResponse>`);
  });

  it('escapes what it echoes', async () => {
    const res = await rawCall(s.endpoint, `Action=${encodeURIComponent('<Rockets & "more">')}`);
    expect(res.text).toContain('<Message>The action &lt;Rockets &amp; "more"&gt; is not valid for this web service.</Message>');
    const control = await rawCall(s.endpoint, `Action=${encodeURIComponent('A\u0001B')}`);
    expect(control.text).toContain('<Message>The action A\uFFFDB is not valid');
  });

  it('accepts GET with a query string', async () => {
    const res = await rawCall(s.endpoint, 'Action=DescribeLoadBalancers&Version=2012-06-01', 'GET');
    expect(res.status).toBe(200);
    expect(res.text).toContain('<LoadBalancerName>wire</LoadBalancerName>');
  });

  it.each([
    ['an unknown action', 'Action=LaunchRockets&Version=2012-06-01', 'InvalidAction', /The action LaunchRockets is not valid/],
    ['no action', 'Version=2012-06-01', 'MissingAction', /Action/],
    ['a missing required parameter', 'Action=DeleteLoadBalancer&Version=2012-06-01', 'ValidationError', /Value null at 'loadBalancerName'/],
    ['a non-integer PageSize', 'Action=DescribeLoadBalancers&Version=2012-06-01&PageSize=ten', 'ValidationError', /Member must be an integer/],
    ['a listener without InstancePort', 'Action=CreateLoadBalancer&LoadBalancerName=x&Listeners.member.1.Protocol=TCP&Listeners.member.1.LoadBalancerPort=80&AvailabilityZones.member.1=us-east-1a', 'ValidationError', /listeners\.member\.1\.instancePort/],
  ])('answers %s with an ErrorResponse', async (_label, body, code, message) => {
    const res = await rawCall(s.endpoint, body);
    expect(res.status).toBe(400);
    expect(res.text).toContain(`<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>`);
    expect(res.text).toMatch(message);
    expect(res.text).toContain(`<RequestId>${res.requestId}</RequestId></ErrorResponse>`);
  });
});

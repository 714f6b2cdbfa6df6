/**
 * The ELB adapter's pure parts and its error mapping, with a stub client answering `send` (what the
 * sandbox can't produce: AccessDenied, odd health states, DNS name variants). The adapter against the
 * sandbox is in test/integration/adapters.*.test.ts.
 */
import {
  DescribeInstanceHealthCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  type DescribeInstanceHealthCommandOutput,
  type DescribeLoadBalancersCommandOutput,
  type DescribeTagsCommandOutput,
  type ElasticLoadBalancingClient,
} from '@aws-sdk/client-elastic-load-balancing';
import { createElbGateway } from '../../../src/adapters/elb.js';
import { BotError } from '../../../src/domain/errors.js';
import { expectBotError } from '../../contract/expect-bot-error.js';

const HOSTNAME = 'aweb-1234567890.us-east-1.elb.amazonaws.com';

function awsError(name: string, message: string, status = 400): Error {
  return Object.assign(new Error(message), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

interface Answers {
  describe?: DescribeLoadBalancersCommandOutput | Error;
  tags?: DescribeTagsCommandOutput | Error;
  health?: DescribeInstanceHealthCommandOutput | Error;
}

const META = { $metadata: {} };

function stubClient(answers: Answers) {
  const sent: string[] = [];
  const answer = (a: object | Error | undefined) => (a instanceof Error ? Promise.reject(a) : Promise.resolve(a ?? META));
  const client = {
    send(command: unknown) {
      if (command instanceof DescribeLoadBalancersCommand) {
        sent.push('DescribeLoadBalancers');
        return answer(answers.describe);
      }
      if (command instanceof DescribeTagsCommand) {
        sent.push('DescribeTags');
        return answer(answers.tags);
      }
      if (command instanceof DescribeInstanceHealthCommand) {
        sent.push('DescribeInstanceHealth');
        return answer(answers.health);
      }
      return Promise.reject(new Error('unexpected command'));
    },
  };
  // The adapter only calls `send`; a stub with just that stands in for the SDK client.
  return { client: client as unknown as ElasticLoadBalancingClient, sent };
}

const DESCRIBED: DescribeLoadBalancersCommandOutput = {
  ...META,
  LoadBalancerDescriptions: [
    {
      LoadBalancerName: 'aweb',
      DNSName: HOSTNAME,
      Scheme: 'internal',
      ListenerDescriptions: [{ Listener: { Protocol: 'TCP', LoadBalancerPort: 80, InstanceProtocol: 'TCP', InstancePort: 31080 } }, { PolicyNames: [] }],
      HealthCheck: { Target: 'HTTP:31080/healthz', Interval: 10, Timeout: 5, HealthyThreshold: 2, UnhealthyThreshold: 6 },
      CreatedTime: new Date('2025-06-01T12:00:00Z'),
    },
  ],
};
const TAGGED: DescribeTagsCommandOutput = { ...META, TagDescriptions: [{ LoadBalancerName: 'aweb', Tags: [{ Key: 'kubernetes.io/service-name', Value: 'shop/web' }] }] };
const HEALTH: DescribeInstanceHealthCommandOutput = {
  ...META,
  InstanceStates: [
    { InstanceId: 'i-1', State: 'InService', Description: 'N/A', ReasonCode: 'N/A' },
    { InstanceId: 'i-2', State: 'OutOfService', Description: 'Instance has failed at least the UnhealthyThreshold number of health checks consecutively.' },
    { InstanceId: 'i-3', State: 'Pending' },
  ],
};
const WEB = { namespace: 'shop', name: 'web', hostname: HOSTNAME };

describe('findForService', () => {
  test('describes the ELB: listeners, health check, instance health (N/A descriptions dropped, odd states Unknown)', async () => {
    const { client, sent } = stubClient({ describe: DESCRIBED, tags: TAGGED, health: HEALTH });
    expect(await createElbGateway(client).findForService(WEB)).toEqual({
      name: 'aweb',
      dnsName: HOSTNAME,
      scheme: 'internal',
      listeners: [{ protocol: 'TCP', loadBalancerPort: 80, instanceProtocol: 'TCP', instancePort: 31080 }],
      healthCheck: { target: 'HTTP:31080/healthz', interval: 10, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 6 },
      instances: [
        { instanceId: 'i-1', state: 'InService' },
        { instanceId: 'i-2', state: 'OutOfService', description: 'Instance has failed at least the UnhealthyThreshold number of health checks consecutively.' },
        { instanceId: 'i-3', state: 'Unknown' },
      ],
      createdAt: new Date('2025-06-01T12:00:00Z'),
    });
    expect(sent).toEqual(['DescribeLoadBalancers', 'DescribeTags', 'DescribeInstanceHealth']);
  });

  test('a hostname that is not a classic ELB: undefined without asking AWS', async () => {
    const { client, sent } = stubClient({});
    expect(await createElbGateway(client).findForService({ ...WEB, hostname: 'web.example.com' })).toBeUndefined();
    expect(sent).toEqual([]);
  });

  test.each(['LoadBalancerNotFound', 'AccessPointNotFoundException'])('%s -> undefined', async (name) => {
    const { client } = stubClient({ describe: awsError(name, "There is no ACTIVE Load Balancer named 'aweb'") });
    expect(await createElbGateway(client).findForService(WEB)).toBeUndefined();
  });

  test('no description, no tags, or a tag for another Service -> undefined, and no health asked', async () => {
    for (const answers of [
      { describe: { ...META, LoadBalancerDescriptions: [] } },
      { describe: DESCRIBED, tags: { ...META, TagDescriptions: [] } },
      { describe: DESCRIBED, tags: { ...META, TagDescriptions: [{ Tags: [{ Key: 'kubernetes.io/service-name', Value: 'shop/other' }] }] } },
    ]) {
      const { client, sent } = stubClient(answers);
      expect(await createElbGateway(client).findForService(WEB)).toBeUndefined();
      expect(sent).not.toContain('DescribeInstanceHealth');
    }
  });

  test('Throttling -> aws_error saying AWS is throttling', async () => {
    const { client } = stubClient({ describe: DESCRIBED, tags: awsError('Throttling', 'Rate exceeded') });
    await expectBotError(
      createElbGateway(client).findForService(WEB),
      'aws_error',
      'Could not describe load balancer aweb: AWS is throttling svcbot (Rate exceeded) — try again shortly.',
    );
  });

  test('AccessDenied -> aws_error with the name and the message from AWS', async () => {
    const { client } = stubClient({
      describe: DESCRIBED,
      tags: TAGGED,
      health: awsError('AccessDenied', 'User: arn:aws:sts::123:assumed-role/svcbot is not authorized to perform: elasticloadbalancing:DescribeInstanceHealth', 403),
    });
    const err = await expectBotError(createElbGateway(client).findForService(WEB), 'aws_error', 'Could not describe load balancer aweb: AccessDenied: User: arn:aws:sts::123');
    expect(err.cause).toBeInstanceOf(Error);
  });
});

test.each(['Throttling', 'ThrottlingException', 'RequestLimitExceeded'])('%s is marked throttled (a job waits for it instead of spending an attempt)', async (name) => {
  const { client } = stubClient({ describe: awsError(name, 'Rate exceeded') });
  const thrown: unknown = await createElbGateway(client).findForService(WEB).catch((e: unknown) => e);
  expect(thrown).toMatchObject({ code: 'aws_error', transient: true, throttled: true });
});

test('other failures are not marked throttled', async () => {
  const { client } = stubClient({ describe: awsError('ServiceUnavailable', 'x', 503) });
  expect(await createElbGateway(client).findForService(WEB).catch((e: unknown) => e)).toMatchObject({ transient: true, throttled: false });
});

test.each<{ what: string; err: Error; transient: boolean }>([
  { what: 'Throttling', err: awsError('Throttling', 'Rate exceeded'), transient: true },
  { what: 'ServiceUnavailable', err: awsError('ServiceUnavailable', 'x', 503), transient: true },
  { what: 'a 500 of any name', err: awsError('Whatever', 'x', 500), transient: true },
  { what: 'a network error (no HTTP status)', err: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), transient: true },
  { what: 'AccessDenied', err: awsError('AccessDenied', 'x', 403), transient: false },
  { what: 'a 429', err: awsError('TooManyRequests', 'x', 429), transient: true },
  { what: 'an SDK timeout', err: Object.assign(new Error('timed out'), { name: 'TimeoutError' }), transient: true },
  { what: 'a programming error', err: new TypeError("Cannot read properties of undefined (reading 'x')"), transient: false },
])('the aws_error the adapter throws is marked transient where a retry can help: $what -> $transient', async ({ err, transient }) => {
  const { client } = stubClient({ describe: err });
  const thrown: unknown = await createElbGateway(client).findForService(WEB).catch((e: unknown) => e);
  expect(thrown).toBeInstanceOf(BotError);
  expect(thrown).toMatchObject({ code: 'aws_error', transient });
});

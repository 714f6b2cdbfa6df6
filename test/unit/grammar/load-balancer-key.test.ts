/**
 * The one grammar of a load balancer key (src/domain/grammar/load-balancer-key.ts), as the command parser,
 * the buttons and the AWS adapters all read it: which API, which region, which name; and what it refuses.
 */
import { checkLoadBalancerKey, isLoadBalancerKey, parseLoadBalancerKey } from '../../../src/domain/grammar/load-balancer-key.js';
import { GrammarProblem } from '../../../src/domain/grammar/problem.js';

const NLB_ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/k8s-web/0123456789abcdef';
const NAME_32 = 'a0123456789abcdef0123456789abcde';

test.each([
  [NLB_ARN, { api: 'v2', key: NLB_ARN, region: 'eu-west-1', name: 'k8s-web', arn: NLB_ARN }],
  ['arn:aws-cn:elasticloadbalancing:cn-north-1:123456789012:loadbalancer/app/api/fedcba9876543210', { api: 'v2', region: 'cn-north-1', name: 'api' }],
  ['arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:123456789012:loadbalancer/net/x/fedcba9876543210', { api: 'v2', region: 'us-gov-west-1', name: 'x' }],
  ['arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/gwy/gw/fedcba9876543210', { api: 'v2', region: 'us-east-1', name: 'gw' }],
  [`arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/${NAME_32}/fedcba9876543210`, { api: 'v2', name: NAME_32 }],
  [`us-gov-west-1/${NAME_32}`, { api: 'classic', key: `us-gov-west-1/${NAME_32}`, region: 'us-gov-west-1', name: NAME_32 }],
  ['us-east-1/w', { api: 'classic', region: 'us-east-1', name: 'w' }],
  ['ap-southeast-2/K8s-A', { api: 'classic', region: 'ap-southeast-2', name: 'K8s-A' }],
])('%s names a load balancer', (key, expected) => {
  expect(parseLoadBalancerKey(key)).toMatchObject(expected);
  expect(isLoadBalancerKey(key)).toBe(true);
  expect(checkLoadBalancerKey(key, '/svc')).toBe(key);
});

test.each([
  ['empty', ''],
  ['no region', 'web'],
  ['no name', 'us-east-1/'],
  ['no region before the slash', '/web'],
  ['a name ending in "-"', 'us-east-1/web-'],
  ['a name starting with "-"', 'us-east-1/-web'],
  ['a name of 33 characters', `us-east-1/${NAME_32}0`],
  ['a name with "_"', 'us-east-1/we_b'],
  ['a name with "/"', 'us-east-1/a/b'],
  ['a region that is a word', 'mars/web'],
  ['a region without its number', 'us-east/web'],
  ['a region with a three-digit number', 'us-east-123/web'],
  ['a region without its area', 'us-1/web'],
  ['an ARN of a target group', 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef'],
  ['an ARN of a listener', 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/net/web/0123456789abcdef/0123456789abcdef'],
  ['an ARN of another service', 'arn:aws:ec2:us-east-1:123456789012:loadbalancer/net/web/0123456789abcdef'],
  ['an ARN of an S3 bucket', 'arn:aws:s3:::web'],
  ['an ARN of a classic load balancer type', 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/web'],
  ['an ARN with a bad region', 'arn:aws:elasticloadbalancing:mars:123456789012:loadbalancer/net/web/0123456789abcdef'],
  ['an ARN with an uppercase region', 'arn:aws:elasticloadbalancing:US-EAST-1:123456789012:loadbalancer/net/web/0123456789abcdef'],
  ['an ARN with a short account', 'arn:aws:elasticloadbalancing:us-east-1:12345:loadbalancer/net/web/0123456789abcdef'],
  ['an ARN with a name of 33 characters', `arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/${NAME_32}0/0123456789abcdef`],
  ['an ARN with a name ending in "-"', 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/web-/0123456789abcdef'],
  ['an ARN with a bad ID', 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/web/0123456789ABCDEF'],
  ['an ARN with something after it', `${NLB_ARN}x`],
  ['an uppercase region (AWS spells it lowercase)', 'US-EAST-1/web'],
])('%s (%j) names no load balancer', (_what, key) => {
  expect(parseLoadBalancerKey(key)).toBeUndefined();
  expect(isLoadBalancerKey(key)).toBe(false);
});

test('a command may type the region of REGION/NAME in any case: it is lowercased, the name kept as typed', () => {
  expect(checkLoadBalancerKey('US-East-1/Web-1', '/svc')).toBe('us-east-1/Web-1');
  expect(parseLoadBalancerKey(checkLoadBalancerKey('US-EAST-1/web', '/svc'))).toMatchObject({ api: 'classic', region: 'us-east-1', name: 'web' });
});

test.each(['mars/web', 'us-east-1/web-', `us-east-1/${NAME_32}0`, 'arn:aws:ec2:us-east-1:123456789012:instance/i-1', 'arn:aws:elasticloadbalancing:US-EAST-1:123456789012:loadbalancer/net/web/0123456789abcdef'])(
  'a command naming no load balancer (%j) is told what to give',
  (key) => {
    expect(() => checkLoadBalancerKey(key, '/ops')).toThrow(GrammarProblem);
    expect(() => checkLoadBalancerKey(key, '/ops')).toThrow(/is not a load balancer: give REGION\/NAME \(us-east-1\/a1b2c3…\) or an NLB\/ALB's ARN, as \/ops orphans shows them/);
  },
);

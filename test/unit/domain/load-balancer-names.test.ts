/** The classic ELB naming rules svcbot reads from a load balancer's DNS name. */
import { loadBalancerNameFromHostname } from '../../../src/domain/load-balancer-names.js';

describe('loadBalancerNameFromHostname', () => {
  test.each<[string, string | undefined]>([
    ['a1b2c3-1234567890.us-east-1.elb.amazonaws.com', 'a1b2c3'],
    ['my-lb-1234567890.eu-west-1.elb.amazonaws.com', 'my-lb'],
    ['internal-my-lb-1234567890.eu-west-1.elb.amazonaws.com', 'my-lb'],
    ['dualstack.my-lb-1234567890.eu-west-1.elb.amazonaws.com', 'my-lb'],
    ['dualstack.internal-my-lb-1234567890.eu-west-1.elb.amazonaws.com', 'my-lb'],
    ['My-LB-1234567890.US-EAST-1.ELB.AMAZONAWS.COM.', 'my-lb'],
    ['my-lb-1234567890.cn-north-1.elb.amazonaws.com.cn', 'my-lb'],
    ['a0123456789abcdef0123456789abcde-1234567890.us-east-1.elb.amazonaws.com', 'a0123456789abcdef0123456789abcde'],
    // Not classic ELBs, or not ELBs at all.
    ['my-nlb-0123456789abcdef.elb.us-east-1.amazonaws.com', undefined],
    ['example.com', undefined],
    ['203.0.113.7', undefined],
    ['elb.amazonaws.com', undefined],
    ['my-lb.us-east-1.elb.amazonaws.com', undefined],
    ['a0123456789abcdef0123456789abcdef-1234567890.us-east-1.elb.amazonaws.com', undefined],
    ['', undefined],
  ])('%j -> %j', (hostname, name) => {
    expect(loadBalancerNameFromHostname(hostname)).toBe(name);
  });
});

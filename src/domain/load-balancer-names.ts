/** Naming rules of AWS classic load balancers that svcbot reads (pure: no SDK). */

/**
 * The classic ELB name inside one of its DNS names:
 * `NAME-1234567890.REGION.elb.amazonaws.com` or `internal-NAME-1234567890.REGION.elb.amazonaws.com`, either maybe
 * prefixed with `dualstack.`.
 */
export function loadBalancerNameFromHostname(hostname: string): string | undefined {
  const host = hostname.toLowerCase().replace(/\.$/, '').replace(/^dualstack\./, '');
  if (!/\.elb\.amazonaws\.com(\.cn)?$/.test(host)) return undefined;
  const label = host.split('.')[0] ?? '';
  const match = /^(?:internal-)?([a-z0-9-]{1,32})-\d+$/.exec(label);
  return match?.[1];
}

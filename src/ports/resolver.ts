/** Whether a hostname resolves yet: how svcbot knows a new load balancer's DNS name has propagated. */
export interface HostnameResolver {
  /** The IPv4 addresses of `hostname`, or an empty list while it does not resolve (NXDOMAIN, no data). */
  resolve4(hostname: string): Promise<string[]>;
}

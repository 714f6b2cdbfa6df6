/**
 * HostnameResolver over `node:dns`: the servers `DNS_SERVERS` names (`Resolver.setServers`), or the
 * system's resolvers when none are set. "Not yet" answers (NXDOMAIN, no data) are an empty list;
 * a resolver that cannot be reached is an error, so callers can tell waiting from failing.
 */
import { Resolver } from 'node:dns/promises';
import type { DnsServer } from '../config/index.js';
import { formatDnsServer } from '../config/index.js';
import type { HostnameResolver } from '../ports/resolver.js';

const NOT_YET = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN', 'ENONAME']);

export function createHostnameResolver(servers: readonly DnsServer[], opts: { timeoutMs?: number; tries?: number } = {}): HostnameResolver {
  const resolver = new Resolver({ timeout: opts.timeoutMs ?? 2000, tries: opts.tries ?? 2 });
  if (servers.length > 0) resolver.setServers(servers.map(formatDnsServer));
  return {
    async resolve4(hostname) {
      try {
        return await resolver.resolve4(hostname);
      } catch (err) {
        if (NOT_YET.has((err as { code?: string }).code ?? '')) return [];
        throw err;
      }
    },
  };
}

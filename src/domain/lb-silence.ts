/**
 * Why a load balancer does not answer, in words: what the job says instead of "ready" when its endpoint
 * stays silent. Pure: the caller gathers what it could read (the ELB's instances, the Service's
 * endpoints, the load balancer's security groups) and the probe's own failure; what it could not read is
 * left out, and the verdict is the first cause found, from the deepest hop outwards:
 *
 * 1. no ready endpoint behind the Service (nothing for the load balancer to reach, whatever else holds);
 * 2. no instance in service (the ELB's health check fails on every node);
 * 3. the load balancer's security groups do not let the port in from svcbot's address;
 * 4. otherwise what the connection said (refused, reset, timed out).
 */
import type { Protocol } from './command.js';
import { cidrHolds } from './grammar/cidr.js';
import { ruleMatches, type SecurityGroupView } from './node-port-access.js';
import type { LoadBalancerView, PodEndpointView } from './views.js';

export interface SilenceEvidence {
  /** The listener port that was probed. */
  port: number;
  protocol: Protocol;
  /** The probe's failure (`ECONNREFUSED`, `ECONNRESET`, `ETIMEDOUT`, `closed`, `not HTTP`…). */
  error: string;
  /** svcbot's address as the connection left it, when known. */
  localAddress?: string;
  /** The Service's selector (empty: a Service without one, whose endpoints are managed by hand). */
  selector?: Readonly<Record<string, string>>;
  /** The Service port's name, to pick its endpoints (unnamed: every endpoint). */
  portName?: string;
  /** The Service's endpoints (EndpointSlices); undefined when they could not be read. */
  endpoints?: readonly PodEndpointView[];
  /** The ELB as described now; undefined when it could not be. */
  loadBalancer?: Pick<LoadBalancerView, 'instances'>;
  /** The load balancer's security groups with their rules; undefined when unknown. */
  groups?: readonly SecurityGroupView[];
}

function selectorText(selector: Readonly<Record<string, string>>): string {
  return Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

function noReadyEndpoint(e: SilenceEvidence): string | undefined {
  if (!e.endpoints) return undefined;
  const mine = e.endpoints.filter((ep) => e.portName === undefined || e.portName === '' || ep.portName === e.portName);
  if (mine.some((ep) => ep.ready)) return undefined;
  const selector = e.selector && Object.keys(e.selector).length > 0 ? selectorText(e.selector) : undefined;
  const pods = new Set(mine.map((ep) => ep.podName ?? ep.ip)).size;
  if (pods > 0) return `no ready endpoint behind the Service: ${pods} pod${pods === 1 ? '' : 's'} match${pods === 1 ? 'es' : ''} but none is ready`;
  return selector ? `no ready endpoint behind the Service: its selector ${selector} matches no ready pod` : 'no ready endpoint behind the Service: it has no selector and no endpoints';
}

function noInstanceInService(e: SilenceEvidence): string | undefined {
  const instances = e.loadBalancer?.instances;
  if (!instances) return undefined;
  if (instances.length === 0) return 'no instance in service: no instance is registered with the load balancer';
  if (instances.some((i) => i.state === 'InService')) return undefined;
  const said = instances.find((i) => i.description && i.description !== 'N/A')?.description;
  return `no instance in service: 0 of ${instances.length} instances pass the load balancer's health check${said ? ` (${said.replace(/\.$/, '')})` : ''}`;
}

function securityGroupClosed(e: SilenceEvidence): string | undefined {
  if (!e.groups || e.groups.length === 0) return undefined;
  const rules = e.groups.flatMap((g) => g.ingress.filter((r) => ruleMatches(r, e.port, e.protocol)).map((r) => ({ group: g, rule: r })));
  const cidrs = [...new Set(rules.flatMap(({ rule }) => rule.cidrs))];
  const names = e.groups.map((g) => (g.groupName ? `${g.groupId} (${g.groupName})` : g.groupId)).join(', ');
  const plural = e.groups.length === 1 ? 'group' : 'groups';
  if (cidrs.length === 0) return `security group closed: the load balancer's security ${plural} ${names} let${e.groups.length === 1 ? 's' : ''} no address in on port ${e.port}`;
  const world = cidrs.some((c) => c === '0.0.0.0/0' || c === '::/0');
  if (world) return undefined;
  const list = cidrs.join(', ');
  if (!e.localAddress) return `the load balancer's security ${plural} ${names} let${e.groups.length === 1 ? 's' : ''} port ${e.port} in only from ${list}, which may not hold svcbot's address`;
  const verdicts = cidrs.map((c) => cidrHolds(c, e.localAddress ?? ''));
  if (verdicts.some((v) => v !== false)) return undefined; // some range holds svcbot (or cannot be told): not the cause
  return `security group closed: the load balancer's security ${plural} ${names} let${e.groups.length === 1 ? 's' : ''} port ${e.port} in only from ${list}, not from svcbot's address ${e.localAddress}`;
}

const SOCKET_WORDS: Record<string, string> = {
  ECONNREFUSED: 'the connection was refused',
  ECONNRESET: 'the connection was reset',
  closed: 'the connection was closed at once',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  'not HTTP': 'it answered something that is not HTTP',
};

/** Why the load balancer does not answer on `port`, in one clause (no final full stop). */
export function whySilent(e: SilenceEvidence): string {
  return (
    noReadyEndpoint(e) ??
    noInstanceInService(e) ??
    securityGroupClosed(e) ??
    `it does not answer on port ${e.port}: ${SOCKET_WORDS[e.error] ?? e.error}`
  );
}

/** Why the ELB's instances are not in service, when the Service's endpoints explain it (undefined otherwise). */
export function whyNotInService(e: Pick<SilenceEvidence, 'endpoints' | 'selector' | 'portName'>): string | undefined {
  return noReadyEndpoint({ port: 0, protocol: 'TCP', error: '', ...e });
}

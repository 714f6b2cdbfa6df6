/**
 * The "endpoint answers" step of provisioning: a load balancer whose name resolves is not announced until
 * a connection from svcbot to it succeeds — an HTTP `GET /` for a web port (any status), a TCP connection
 * that holds for another — on the Service's first TCP port, the one the ELB's health check follows.
 *
 * A silent endpoint parks the job on the answer prober (rate-limited and shared, like DNS probing), with
 * the reason in words (src/domain/lb-silence.ts): no ready endpoint behind the Service, no instance in
 * service, the load balancer's security group closed to svcbot, or what the connection said. The
 * reason is gathered when the job parks and again when it gives up; the prober itself only connects.
 */
import { webScheme } from '../src/domain/endpoints.js';
import { whyNotInService, whySilent, type SilenceEvidence } from '../src/domain/lb-silence.js';
import type { SecurityGroupView } from '../src/domain/node-port-access.js';
import type { ServicePortView, ServiceView } from '../src/domain/views.js';
import type { AnswerResult, EndpointProbe } from '../src/ports/endpoint-probe.js';
import type { HostnameResolver } from '../src/ports/resolver.js';
import type { StepOutcome, StepRun } from './lb-job.js';

/** The pinned Service is gone, being deleted, or replaced: the job must look (and stand down). */
export function serviceGone(uid: string | undefined): (s: ServiceView | undefined) => boolean {
  return (s) => !s || s.deleting || (uid !== undefined && s.uid !== uid);
}

/** The port a load balancer is proved on: the Service's first TCP port (the health check's, too). */
function probedPort(svc: ServiceView): ServicePortView | undefined {
  return svc.ports.find((p) => p.protocol === 'TCP');
}

function schemeOf(port: ServicePortView): { scheme?: 'http' | 'https' } {
  const scheme = webScheme(port);
  return scheme ? { scheme } : {};
}

/**
 * The prober's check: resolve the name again (its addresses change) and try one of them, another on each
 * try. Module-level, so a parked job's check closes over these few values only (see StepOutcome).
 */
function answersNow(probe: EndpointProbe, resolver: HostnameResolver, host: string, port: number, scheme: { scheme?: 'http' | 'https' }): () => Promise<boolean> {
  let tries = 0;
  return async () => {
    const addresses = await resolver.resolve4(host);
    if (addresses.length === 0) return false;
    const address = addresses[tries++ % addresses.length] as string;
    return (await probe.answers({ host, address, port, ...scheme })).answered;
  };
}

async function orUndefined<T>(read: (() => Promise<T>) | undefined): Promise<T | undefined> {
  if (!read) return undefined;
  try {
    return await read();
  } catch {
    return undefined; // a cause that cannot be read is left out of the verdict
  }
}

/** What svcbot can read about why `svc`'s load balancer does not answer on `port`. */
async function gatherEvidence(run: StepRun, svc: ServiceView, hostname: string, port: ServicePortView, failed: Extract<AnswerResult, { answered: false }>): Promise<SilenceEvidence> {
  const { cluster, loadBalancers, nodeSecurityGroups } = run.target;
  const { namespace, name } = run.data;
  const [endpoints, lb] = await Promise.all([
    orUndefined(() => cluster.listServiceEndpoints(namespace, name)),
    orUndefined(() => loadBalancers.findForService({ namespace, name, hostname })),
  ]);
  const groupIds = lb?.securityGroups ?? [];
  const groups: SecurityGroupView[] | undefined = groupIds.length > 0 && nodeSecurityGroups ? await orUndefined(() => nodeSecurityGroups.groupsById(groupIds)) : undefined;
  return {
    port: port.port,
    protocol: port.protocol,
    error: failed.error,
    selector: svc.selector,
    ...(port.name ? { portName: port.name } : {}),
    ...(failed.localAddress ? { localAddress: failed.localAddress } : {}),
    ...(endpoints ? { endpoints } : {}),
    ...(lb ? { loadBalancer: lb } : {}),
    ...(groups ? { groups } : {}),
  };
}

/** Tries the first resolved address; undefined when the step is skipped (no probe, no TCP port) or it answered. */
async function tryOnce(run: StepRun, svc: ServiceView, hostname: string, addresses: readonly string[]) {
  const probe = run.deps.endpointProbe;
  const port = probedPort(svc);
  const address = addresses[0];
  if (!probe || !port || address === undefined) return undefined;
  const result = await probe.answers({ host: hostname, address, port: port.port, ...schemeOf(port) });
  return result.answered ? undefined : { probe, port, result };
}

/**
 * Proves the load balancer answers: undefined when it does (or the check is off), else a wait on the
 * answer prober whose `why` says what keeps it silent.
 */
export async function checkAnswer(run: StepRun, svc: ServiceView, hostname: string, addresses: readonly string[]): Promise<StepOutcome | undefined> {
  const silent = await tryOnce(run, svc, hostname, addresses);
  if (!silent) return undefined;
  const { probe, port, result } = silent;
  const why = whySilent(await gatherEvidence(run, svc, hostname, port, result));
  run.log.debug({ hostname, port: port.port, error: result.error, why }, 'the load balancer does not answer yet');
  return {
    kind: 'wait',
    why: `waiting for ${hostname}:${port.port} to answer: ${why}`,
    // A Service deleted while svcbot waits for it to answer must not be announced as ready: the watch wakes the job.
    onServiceChange: serviceGone(run.state.serviceUid),
    probe: { prober: 'answer', check: answersNow(probe, run.deps.resolver, hostname, port.port, schemeOf(port)) },
  };
}

/** Why the load balancer does not answer now (a new try and a new look), or undefined when it answers. */
export async function freshSilenceReason(run: StepRun, svc: ServiceView): Promise<string | undefined> {
  const hostname = svc.loadBalancerHostnames[0];
  if (!hostname) return undefined;
  const addresses = await run.deps.resolver.resolve4(hostname);
  const silent = await tryOnce(run, svc, hostname, addresses);
  if (!silent) return undefined;
  return whySilent(await gatherEvidence(run, svc, hostname, silent.port, silent.result));
}

/** Why no instance is in service, when the Service's endpoints tell (no ready one behind it). */
export async function notInServiceReason(run: StepRun, svc: ServiceView): Promise<string | undefined> {
  const port = probedPort(svc);
  const endpoints = await orUndefined(() => run.target.cluster.listServiceEndpoints(run.data.namespace, run.data.name));
  if (!endpoints) return undefined;
  return whyNotInService({ endpoints, selector: svc.selector, ...(port?.name ? { portName: port.name } : {}) });
}

/**
 * Provisioning: make sure the Service exists with type LoadBalancer, then follow it until its endpoint
 * answers — Service created → load balancer allocated → instances in service → DNS resolves → endpoint
 * answers (a connection from svcbot; see ./answer-check.ts) → ready — and post the endpoint(s) in the
 * request's thread, mentioning the requester, exactly once.
 *
 * Each run re-reads the world from the top (idempotent): a missing Service is created (a 409 means a
 * concurrent or earlier attempt made it: success, never a second one); a Service of another type is
 * patched to LoadBalancer; otherwise nothing is written. Waiting parks the job: for the hostname, on the
 * Service watch (and a slow prober of the Service's Events, for `SyncLoadBalancerFailed`); for the ELB and
 * its instances, on the ELB prober; for DNS, on the DNS prober; for the endpoint to answer, on the
 * answer prober.
 */
import { webScheme } from '../src/domain/endpoints.js';
import { BotError } from '../src/domain/errors.js';
import { CHANGED_SINCE_APPROVED, type LbStep } from '../src/domain/lb-jobs.js';
import type { LbEndpoint, LbOutcome } from '../src/domain/progress.js';
import type { LoadBalancerView, ServiceView } from '../src/domain/views.js';
import { renderEndpointMessage } from '../src/render/progress.js';
import { checkAnswer, freshSilenceReason, notInServiceReason, serviceGone } from './answer-check.js';
import {
  findFailureEvent,
  loadBalancerFailureEvent,
  postOnce,
  runLbJob,
  type LbJobContext,
  type LbJobDeps,
  type LbJobResult,
  type StepOutcome,
  type StepRun,
} from './lb-job.js';

/** Events up to this much older than the request still count (Event times have second precision). */
const EVENT_SLACK_MS = 2000;

async function getServiceOrUndefined(run: StepRun): Promise<ServiceView | undefined> {
  try {
    return await run.target.cluster.getService(run.data.namespace, run.data.name);
  } catch (err) {
    if (err instanceof BotError && err.code === 'not_found' && /^No Service/.test(err.userMessage)) return undefined;
    throw err;
  }
}

/** How a job ends when its Service was deleted (or replaced by another of the same name) meanwhile. */
const SERVICE_GONE: StepOutcome = { kind: 'done', outcome: { kind: 'service-gone' } };

/** How a job ends when its Service is no longer in the version the request was approved for. */
const CHANGED_SINCE_REQUEST: StepOutcome = { kind: 'failed', reason: CHANGED_SINCE_APPROVED };

/**
 * The job's Service, made a LoadBalancer, pinned by its UID: a later run acts only on that Service. A
 * Service that is gone, being deleted, or another one now (a new UID) ends the job as "deleted meanwhile",
 * creating nothing. A create job creates the Service only if it never tried before (the attempt is saved
 * first), so a takeover after a crash never re-creates a Service the user has deleted since.
 *
 * A job approved for the Service in one version (`expectResourceVersion`) pins it only in that version,
 * and until the type is patched (a retry after a failed patch included) changes it only in that version:
 * the patch carries it, so Kubernetes refuses a Service changed since. Otherwise the job ends failed,
 * having changed nothing. A Service the job created itself was approved in no version: not checked.
 */
async function ensureLoadBalancerService(run: StepRun): Promise<ServiceView | StepOutcome> {
  const { cluster } = run.target;
  const { namespace, name, manifest } = run.data;
  let svc = await getServiceOrUndefined(run);
  const pinned = run.state.serviceUid;
  if (pinned !== undefined && svc?.uid !== pinned) return SERVICE_GONE;
  if (!svc) {
    if (!manifest || run.state.createAttempted) return SERVICE_GONE;
    run.state.createAttempted = true;
    await run.saveNow();
    try {
      svc = await cluster.createService({ ...manifest, spec: { ...manifest.spec, type: 'LoadBalancer' } });
    } catch (err) {
      if (!(err instanceof BotError && err.code === 'already_exists')) throw err;
      svc = await cluster.getService(namespace, name); // made by an earlier attempt, or concurrently
    }
  }
  if (svc.deleting) return SERVICE_GONE;
  const approved = run.state.createAttempted ? undefined : run.data.expectResourceVersion;
  if (approved !== undefined && (pinned === undefined || svc.type !== 'LoadBalancer') && svc.resourceVersion !== approved) {
    return CHANGED_SINCE_REQUEST;
  }
  if (pinned === undefined) {
    run.state.serviceUid = svc.uid;
    await run.saveNow();
  }
  if (svc.type !== 'LoadBalancer') {
    if (approved === undefined) return cluster.setServiceType(namespace, name, 'LoadBalancer');
    try {
      svc = await cluster.setServiceType(namespace, name, 'LoadBalancer', { resourceVersion: approved });
    } catch (err) {
      if (err instanceof BotError && err.code === 'conflict') return CHANGED_SINCE_REQUEST;
      throw err;
    }
  }
  return svc;
}

/** The TCP ports a classic ELB forwards, each with its node port. */
function tcpPorts(svc: ServiceView) {
  return svc.ports.filter((p) => p.protocol === 'TCP');
}

/** The Service's TCP ports with their node ports: what the ELB must forward. */
function servedPorts(svc: ServiceView): { port: number; nodePort: number | undefined }[] {
  return tcpPorts(svc).map((p) => ({ port: p.port, nodePort: p.nodePort }));
}

/** Why the ELB is not serving the Service yet (undefined when it is). */
function notServingYet(ports: ReturnType<typeof servedPorts>, lb: LoadBalancerView): string | undefined {
  for (const p of ports) {
    if (p.nodePort === undefined) return `port ${p.port} has no node port yet`;
    if (!lb.listeners.some((l) => l.loadBalancerPort === p.port && l.instancePort === p.nodePort)) {
      return `the load balancer has no listener ${p.port} → ${p.nodePort} yet`;
    }
  }
  const inService = lb.instances.filter((i) => i.state === 'InService').length;
  if (lb.instances.length === 0) return 'no instances registered with the load balancer yet';
  if (inService < lb.instances.length) return `${inService} of ${lb.instances.length} instances in service`;
  return undefined;
}

// What parked jobs wait on. Module-level, so each closes over only its arguments (see StepOutcome).

function hostnameAllocatedOrGone(s: ServiceView | undefined): boolean {
  return !s || s.deleting || s.type !== 'LoadBalancer' || s.loadBalancerHostnames.length > 0;
}

function hostnameChangedOrGone(hostname: string): (s: ServiceView | undefined) => boolean {
  return (s) => !s || s.deleting || s.loadBalancerHostnames[0] !== hostname;
}

function failureEventSeen(cluster: StepRun['target']['cluster'], namespace: string, name: string, since: number): () => Promise<boolean> {
  return async () => (await findFailureEvent(cluster, namespace, name, since)) !== undefined;
}

function elbServing(
  loadBalancers: StepRun['target']['loadBalancers'],
  ref: { namespace: string; name: string; hostname: string },
  ports: ReturnType<typeof servedPorts>,
): () => Promise<boolean> {
  return async () => {
    const current = await loadBalancers.findForService(ref);
    return current !== undefined && notServingYet(ports, current) === undefined;
  };
}

function resolves(resolver: LbJobDeps['resolver'], hostname: string): () => Promise<boolean> {
  return async () => (await resolver.resolve4(hostname)).length > 0;
}

function endpointsOf(svc: ServiceView, hostname: string): LbEndpoint[] {
  return tcpPorts(svc).map((p) => {
    const scheme = webScheme(p);
    return { host: hostname, port: p.port, ...(scheme ? { url: `${scheme}://${hostname}:${p.port}` } : {}) };
  });
}

async function provisionStep(run: StepRun): Promise<StepOutcome> {
  const { data, deps } = run;
  const ensured = await ensureLoadBalancerService(run);
  if ('kind' in ensured) return ensured;
  const svc = ensured;
  run.markDone('service');

  const hostname = svc.loadBalancerHostnames[0];
  if (!hostname) {
    const failure = await loadBalancerFailureEvent(run, data.requestedAt - EVENT_SLACK_MS);
    if (failure) return { kind: 'failed', reason: 'AWS could not create the load balancer.', event: failure };
    return {
      kind: 'wait',
      why: 'waiting for AWS to allocate a load balancer',
      onServiceChange: hostnameAllocatedOrGone,
      probe: { prober: 'kube', check: failureEventSeen(run.target.cluster, data.namespace, data.name, data.requestedAt - EVENT_SLACK_MS) },
    };
  }
  run.state.hostname = hostname;
  run.markDone('allocated');

  const { loadBalancers } = run.target;
  const find = () => loadBalancers.findForService({ namespace: data.namespace, name: data.name, hostname });
  // Once seen serving, the ELB is not described again on later wakes (the ELB API is rate-limited by AWS;
  // DNS waits wake the job often). A changed hostname means a new ELB: checked again.
  const alreadyServing = run.state.doneAt['in-service'] !== undefined && run.state.servingHostname === hostname;
  const lb = alreadyServing ? undefined : await find();
  let waiting = alreadyServing ? undefined : lb ? notServingYet(servedPorts(svc), lb) : `waiting for ${hostname} to appear in the ELB API`;
  if (waiting && lb && lb.instances.length > 0 && !lb.instances.some((i) => i.state === 'InService')) {
    const cause = await notInServiceReason(run, svc);
    if (cause) waiting = `${waiting}: ${cause}`;
  }
  if (waiting) {
    return {
      kind: 'wait',
      why: waiting,
      onServiceChange: hostnameChangedOrGone(hostname),
      probe: { prober: 'elb', check: elbServing(loadBalancers, { namespace: data.namespace, name: data.name, hostname }, servedPorts(svc)) },
    };
  }
  run.markDone('in-service');
  run.state.servingHostname = hostname;

  // A lookup that fails (the resolver times out or answers SERVFAIL) cannot tell "not yet" from "never":
  // it is waited out like "not yet" (the prober keeps asking), not retried as a failure of the job; the
  // job's timeout still ends a wait that never ends.
  const lookup = await deps.resolver.resolve4(hostname).then(
    (addresses) => ({ addresses, error: undefined }),
    (err: unknown) => ({ addresses: [], error: (err as { code?: string }).code ?? (err as Error).message }),
  );
  if (lookup.addresses.length === 0) {
    if (lookup.error) run.log.debug({ hostname, error: lookup.error }, 'DNS lookup failed; waiting');
    return {
      kind: 'wait',
      why: `waiting for ${hostname} to resolve${lookup.error ? ` (the last lookup failed: ${lookup.error})` : ''}`,
      // A Service deleted while its name propagates must not be announced as ready: the watch wakes the job.
      onServiceChange: serviceGone(run.state.serviceUid),
      probe: { prober: 'dns', check: resolves(deps.resolver, hostname) },
    };
  }
  run.markDone('dns');

  const silent = await checkAnswer(run, svc, hostname, lookup.addresses);
  if (silent) return silent;
  run.markDone('answers');

  const endpoints = endpointsOf(svc, hostname);
  const message = renderEndpointMessage({ namespace: data.namespace, name: data.name, userId: data.requester.userId }, endpoints);
  // In the progress message's thread once that message exists; while its post waits for Slack, in the channel.
  const progress = await run.threadParent();
  const channel = progress?.channel ?? data.requester.channelId;
  await postOnce(run.ctx, deps, 'endpoint', channel, message, {
    digest: 'results',
    ...(progress ? { threadTs: progress.ts } : {}),
    ...(data.requester.responseUrl ? { fallbackResponseUrl: data.requester.responseUrl, fallbackUserId: data.requester.userId } : {}),
  });
  run.markDone('ready');
  return { kind: 'done', outcome: { kind: 'ready', endpoints } };
}

async function provisionTimeout(run: StepRun, stuckAt: LbStep): Promise<LbOutcome> {
  const event = await loadBalancerFailureEvent(run, run.data.requestedAt - EVENT_SLACK_MS).catch(() => undefined);
  const minutes = Math.round((run.deps.timeoutMs ?? 15 * 60_000) / 60_000);
  // What the job saw when it parked may be long gone: a silent endpoint is asked again, now.
  const svc = stuckAt === 'answers' ? await getServiceOrUndefined(run).catch(() => undefined) : undefined;
  const why = (svc ? await freshSilenceReason(run, svc).catch(() => undefined) : undefined) ?? run.state.waitingFor;
  return {
    kind: 'failed',
    stuckAt,
    reason: `gave up after ${minutes} min: ${stepReason(stuckAt)}${why ? ` (${why})` : ''}.`,
    ...(event ? { event: { reason: event.reason, message: event.message } } : {}),
  };
}

function stepReason(step: LbStep): string {
  switch (step) {
    case 'service':
      return 'the Service could not be made a LoadBalancer';
    case 'allocated':
      return 'no load balancer was allocated';
    case 'in-service':
      return 'the load balancer\'s instances did not come into service';
    case 'dns':
      return 'the load balancer\'s DNS name did not resolve';
    case 'answers':
      return 'the load balancer did not answer';
    default:
      return 'the endpoint could not be announced';
  }
}

export function runProvision(ctx: LbJobContext, deps: LbJobDeps): Promise<LbJobResult> {
  return runLbJob(ctx, deps, provisionStep, provisionTimeout);
}

/** `/svc describe`: spec, endpoints, reachable addresses, the load balancer, recent events. */
import { reachableEndpoints, type ReachabilityOptions } from '../domain/endpoints.js';
import type { DescribeResult, EventView, LoadBalancerView, PodEndpointView, ServiceView } from '../domain/views.js';
import { deleteButton, describeButton } from './actions.js';
import { actions, fields, header, reply, section, type Block, type Reply } from './blocks.js';
import { portSummary, selectorSummary } from './changes.js';
import { reachabilityBlocks, reachabilityText } from './endpoints.js';
import { code, escapeMrkdwn, moreLine, plural } from './mrkdwn.js';
import { formatAge } from './time.js';

/** How many events a reply shows (the most recent). */
const MAX_EVENTS = 10;

function clusterIPText(s: ServiceView): string {
  if (s.clusterIP === 'None') return '`None` (headless)';
  if (s.clusterIP) return code(s.clusterIP);
  return s.type === 'ExternalName' ? '(none)' : '(not allocated yet)';
}

function statusText(s: ServiceView): string {
  if (!s.deleting) return 'Active';
  const waiting = s.finalizers.length > 0 ? `, waiting for ${s.finalizers.map(code).join(', ')}` : '';
  return `:hourglass: Being deleted${waiting}`;
}

function endpointLine(e: PodEndpointView): string {
  const where = [e.podName ? `pod ${code(e.podName)}` : '', e.nodeName ? `on ${code(e.nodeName)}` : ''].filter(Boolean).join(' ');
  const port = e.portName ? ` (${code(e.portName)})` : '';
  return `• ${code(`${e.ip}:${e.port}/${e.protocol}`)}${port}${where ? ` ${where}` : ''}`;
}

function endpointLines(result: DescribeResult): string[] {
  const ready = result.endpoints.filter((e) => e.ready);
  const notReady = result.endpoints.filter((e) => !e.ready);
  const s = result.service;
  const lines = [`*Endpoints* (${ready.length} ready${notReady.length > 0 ? `, ${notReady.length} not ready` : ''})`];
  if (ready.length === 0) {
    if (s.type === 'ExternalName') lines.push('ExternalName Services have no endpoints.');
    else if (Object.keys(s.selector).length === 0) lines.push('No selector: endpoints are not managed by Kubernetes.');
    else lines.push(`:warning: No ready pod matches selector ${code(selectorSummary(s.selector))}, so connections will fail.`);
  }
  lines.push(...ready.map(endpointLine));
  if (notReady.length > 0) lines.push('_Not ready:_', ...notReady.map(endpointLine));
  return lines;
}

function loadBalancerLines(lb: LoadBalancerView, now: Date): string[] {
  const lines = [`*Load balancer* ${code(lb.name)} (${escapeMrkdwn(lb.scheme)}${lb.createdAt ? `, created ${formatAge(lb.createdAt, now)} ago` : ''})`];
  lines.push(`DNS name: ${code(lb.dnsName)}`);
  for (const l of lb.listeners) {
    lines.push(`• Listener ${escapeMrkdwn(l.protocol)} ${l.loadBalancerPort} \u2192 ${escapeMrkdwn(l.instanceProtocol)} ${l.instancePort}`);
  }
  if (lb.listeners.length === 0) lines.push(':warning: No listeners.');
  const hc = lb.healthCheck;
  if (hc) {
    lines.push(
      `Health check: ${code(hc.target)} every ${hc.interval}s, timeout ${hc.timeout}s, ` +
        `healthy after ${hc.healthyThreshold}, unhealthy after ${hc.unhealthyThreshold}`,
    );
  }
  const inService = lb.instances.filter((i) => i.state === 'InService').length;
  lines.push(`Instances: ${inService} of ${lb.instances.length} in service`);
  if (lb.instances.length > 0 && inService === 0) lines.push(':warning: No instance is in service: the load balancer has nowhere to send traffic.');
  for (const i of lb.instances.filter((x) => x.state !== 'InService')) {
    lines.push(`• ${code(i.instanceId)} ${i.state}${i.description ? `: ${escapeMrkdwn(i.description)}` : ''}`);
  }
  return lines;
}

function eventLines(events: readonly EventView[], now: Date): string[] {
  if (events.length === 0) return ['*Events*', 'No recent events.'];
  const recent = [...events].sort((a, b) => b.lastSeen.getTime() - a.lastSeen.getTime());
  const shown = recent.slice(0, MAX_EVENTS).map((e) => {
    const icon = e.type === 'Warning' ? ':warning: ' : '';
    const count = e.count > 1 ? ` \u00d7${e.count}` : '';
    return `• ${icon}${code(e.reason)}${count}, ${formatAge(e.lastSeen, now)} ago: ${escapeMrkdwn(e.message)}`;
  });
  const more = recent.length > MAX_EVENTS ? [moreLine(recent.length - MAX_EVENTS, 'older events')] : [];
  return ['*Events* (most recent first)', ...shown, ...more];
}

export function renderDescribe(result: DescribeResult, options: ReachabilityOptions = {}): Reply {
  const s = result.service;
  const ref = { cluster: s.cluster, namespace: s.namespace, name: s.name };
  const reachability = reachableEndpoints(s, result.nodes, options);
  const blocks: Block[] = [
    header(`Service ${s.name}`),
    fields([
      ['Namespace', code(s.namespace)],
      ['Cluster', code(s.cluster)],
      ['Type', s.type],
      ['Cluster IP', clusterIPText(s)],
      ['Selector', code(selectorSummary(s.selector))],
      ['Age', formatAge(s.createdAt, result.now)],
      ['Status', statusText(s)],
      ...(s.externalName ? [['External name', code(s.externalName)] as const] : []),
    ]),
    section(['*Ports*', ...(s.ports.length === 0 ? ['(none)'] : s.ports.map((p) => `• ${code(portSummary(p))}`))]),
    section(endpointLines(result), (n) => moreLine(n, 'more endpoints')),
    ...reachabilityBlocks(reachability, result.nodePortAccess),
  ];
  if (result.loadBalancer) blocks.push(section(loadBalancerLines(result.loadBalancer, result.now)));
  if (result.loadBalancerError) blocks.push(section(`:warning: Could not describe the load balancer: ${escapeMrkdwn(result.loadBalancerError)}`));
  blocks.push(section(eventLines(result.events, result.now)));
  blocks.push(actions([{ ...describeButton(ref), label: 'Refresh' }, deleteButton(ref)]));

  const ready = result.endpoints.filter((e) => e.ready).length;
  const summary =
    `Service ${code(s.name)} in namespace ${code(s.namespace)} on cluster ${code(s.cluster)}: ${s.type}, ` +
    `${plural(ready, 'ready endpoint')}${s.deleting ? ', being deleted' : ''}.`;
  const warnings = result.events.filter((e) => e.type === 'Warning').length;
  const text = [
    summary,
    ...reachabilityText(reachability, result.nodePortAccess),
    ...(result.loadBalancerError ? [`Could not describe the load balancer: ${escapeMrkdwn(result.loadBalancerError)}`] : []),
    ...(warnings > 0 ? [`${plural(warnings, 'warning event')}.`] : []),
  ].join('\n');
  return reply('ephemeral', text, blocks);
}

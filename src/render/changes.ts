/** Replies for changes (create, type change, delete) and for `--dry-run`. */
import { reachableEndpoints, type ReachabilityOptions } from '../domain/endpoints.js';
import type { CreateResult, DeleteResult, DryRunResult, ServicePortView, ServiceView, TypeChangeResult } from '../domain/views.js';
import { deleteButton, describeButton, type ServiceRef } from './actions.js';
import { LIMITS, actions, codeSections, context, reply, section, type Block, type Reply } from './blocks.js';
import { reachabilityBlocks, reachabilityText } from './endpoints.js';
import { code, codeBlock, mention } from './mrkdwn.js';

export interface ChangeRenderOptions extends ReachabilityOptions {
  /** Slack user ID of whoever asked for the change; mentioned when it is a valid ID. */
  requester?: string;
}

/** `in \`ns\` on \`cluster\``. */
function where(namespace: string, cluster: string): string {
  return `in namespace ${code(namespace)} on cluster ${code(cluster)}`;
}

/** `80→8080/TCP`, `http 80→http/TCP`, with `:30080` when a node port is allocated. */
export function portSummary(p: ServicePortView): string {
  const name = p.name ? `${p.name} ` : '';
  const target = String(p.targetPort) === String(p.port) ? '' : `\u2192${p.targetPort}`;
  const nodePort = p.nodePort === undefined ? '' : ` (node port ${p.nodePort})`;
  return `${name}${p.port}${target}/${p.protocol}${nodePort}`;
}

export function selectorSummary(selector: Record<string, string>): string {
  const pairs = Object.entries(selector).map(([k, v]) => `${k}=${v}`);
  return pairs.length === 0 ? '(none)' : pairs.join(',');
}

function refOf(s: Pick<ServiceView, 'cluster' | 'namespace' | 'name'>): ServiceRef {
  return { cluster: s.cluster, namespace: s.namespace, name: s.name };
}

/** `<@U123> created` or `Created`. */
function actor(requester: string | undefined, verb: string): string {
  const who = mention(requester);
  return who ? `${who} ${verb}` : verb.charAt(0).toUpperCase() + verb.slice(1);
}

function specContext(service: ServiceView): string {
  const ports = service.ports.length === 0 ? '(none)' : service.ports.map((p) => code(portSummary(p))).join(', ');
  return `Selector ${code(selectorSummary(service.selector))}  \u00b7  Ports ${ports}`;
}

function serviceReply(headline: string, result: CreateResult, options: ChangeRenderOptions, extra: string[] = []): Reply {
  const { service, nodes, nodePortAccess: access } = result;
  const reachability = reachableEndpoints(service, nodes, options);
  const blocks: Block[] = [
    section(headline),
    context(specContext(service), ...extra),
    ...reachabilityBlocks(reachability, access),
    actions([describeButton(refOf(service)), deleteButton(refOf(service))]),
  ];
  const text = [headline, ...extra, ...reachabilityText(reachability, access)].join('\n');
  return reply('in_channel', text, blocks);
}

export function renderCreated(result: CreateResult, options: ChangeRenderOptions = {}): Reply {
  const s = result.service;
  const headline = `:white_check_mark: ${actor(options.requester, 'created')} ${s.type} Service ${code(s.name)} ${where(s.namespace, s.cluster)}.`;
  return serviceReply(headline, result, options);
}

export function renderTypeChanged(result: TypeChangeResult, options: ChangeRenderOptions = {}): Reply {
  const s = result.service;
  if (result.before === s.type) {
    const headline = `Service ${code(s.name)} ${where(s.namespace, s.cluster)} is already of type ${s.type}; nothing changed.`;
    const reachability = reachableEndpoints(s, result.nodes, options);
    const access = result.nodePortAccess;
    return reply('ephemeral', [headline, ...reachabilityText(reachability, access)].join('\n'), [section(headline), ...reachabilityBlocks(reachability, access)]);
  }
  const headline = `:arrows_counterclockwise: ${actor(options.requester, 'changed')} Service ${code(s.name)} ${where(s.namespace, s.cluster)} from ${result.before} to ${s.type}.`;
  const extra: string[] = [];
  if (result.before === 'LoadBalancer') extra.push('Its load balancer is deleted by the cloud controller; the old hostname stops working.');
  if (result.before !== 'ClusterIP' && s.type === 'ClusterIP') extra.push('Its node ports are released.');
  return serviceReply(headline, result, options, extra);
}

export function renderDeleted(result: DeleteResult, options: Pick<ChangeRenderOptions, 'requester'> = {}): Reply {
  const headline = `:wastebasket: ${actor(options.requester, 'deleted')} ${result.type} Service ${code(result.name)} ${where(result.namespace, result.cluster)}.`;
  let detail: string;
  if (result.deleting) {
    detail =
      result.type === 'LoadBalancer'
        ? 'Deletion has started: Kubernetes removes the Service once its load balancer has been deleted.'
        : 'Deletion has started: Kubernetes removes the Service once its finalizers are done.';
  } else {
    detail = result.type === 'LoadBalancer' ? 'The Service is gone; the cloud controller deletes its load balancer.' : 'The Service is gone.';
  }
  return reply('in_channel', `${headline}\n${detail}`, [section(headline), context(detail)]);
}

export function renderDryRun(result: DryRunResult): Reply {
  const headline = `:memo: Dry run, nothing was changed. svcbot would apply this Service ${where(result.scope.namespace, result.cluster)}:`;
  const lines = result.manifestYaml.replace(/\n+$/, '').split('\n');
  const footer = 'Run the same command without `--dry-run` to apply it.';
  const blocks: Block[] = [section(headline), ...codeSections(lines, 45), context(footer)];
  const yamlText = codeBlock(lines.join('\n'));
  const text =
    headline.length + yamlText.length + footer.length + 2 <= LIMITS.fallbackText
      ? [headline, yamlText, footer].join('\n')
      : [headline, `(${lines.length} lines of YAML, shown in the message)`, footer].join('\n');
  return reply('ephemeral', text, blocks);
}

/** `/svc list`: a kubectl-like table (`kubectl get services`) in code blocks. */
import type { ListResult, ServiceView } from '../domain/views.js';
import { LIMITS, codeSections, context, reply, section, type Block, type Reply } from './blocks.js';
import { code, escapeMrkdwn, fitLines, moreLine, plural } from './mrkdwn.js';
import { formatAge } from './time.js';

export interface ListRenderOptions {
  /** The slash command, for the hint at the bottom. */
  commandName?: string;
}

/** kubectl's PORT(S) column: `80/TCP`, `80:30080/TCP`, comma-separated; `<none>` without ports. */
function portsColumn(service: Pick<ServiceView, 'ports'>): string {
  if (service.ports.length === 0) return '<none>';
  return service.ports.map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol}` : `${p.port}/${p.protocol}`)).join(',');
}

/** kubectl's EXTERNAL-IP column (full hostnames: they are what people came for). */
function externalColumn(service: Pick<ServiceView, 'type' | 'loadBalancerHostnames' | 'externalName'>): string {
  switch (service.type) {
    case 'LoadBalancer':
      return service.loadBalancerHostnames.length > 0 ? service.loadBalancerHostnames.join(',') : '<pending>';
    case 'ExternalName':
      return service.externalName ?? '<none>';
    default:
      return '<none>';
  }
}

/** Rows padded like kubectl's tabwriter (columns at least 10 wide, 3 spaces apart; the last one unpadded). */
export function alignColumns(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(Math.max((widths[i] ?? 0) + 3, 10))))
      .join('')
      .trimEnd(),
  );
}

/** The table's lines (raw text, not escaped): a header row and one row per Service, sorted. */
export function serviceTable(result: ListResult): string[] {
  const allNamespaces = result.namespace === null;
  const header = ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'];
  const sorted = [...result.services].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  const rows = sorted.map((s) => [
    s.name,
    s.type,
    s.clusterIP ?? '<none>',
    externalColumn(s),
    portsColumn(s),
    formatAge(s.createdAt, result.now),
  ]);
  return alignColumns(allNamespaces ? [['NAMESPACE', ...header], ...rows.map((r, i) => [sorted[i]?.namespace ?? '', ...r])] : [header, ...rows]);
}

export function renderList(result: ListResult, options: ListRenderOptions = {}): Reply {
  const place =
    result.namespace !== null
      ? `in namespace ${code(result.namespace)}`
      : result.namespaces
        ? `in svcbot's namespaces (${result.namespaces.map(code).join(', ')})`
        : 'in all namespaces';
  const cluster = `on cluster ${code(result.cluster)}`;
  if (result.services.length === 0) {
    const text = `No Services ${place} ${cluster}.`;
    return reply('ephemeral', text, [section(text)]);
  }
  const title = `${plural(result.services.length, 'Service')} ${place} ${cluster}:`;
  const lines = serviceTable(result);
  const moreServices = (n: number): string => moreLine(n, n === 1 ? 'more Service' : 'more Services');
  const hint = `${code(`${options.commandName ?? '/svc'} describe NAME`)} shows one in detail.`;
  const blocks: Block[] = [section(title), ...codeSections(lines, LIMITS.blocks - 2, moreServices), context(hint)];

  const budget = LIMITS.fallbackText - title.length - '\n```\n\n```'.length;
  const table = fitLines(lines.map(escapeMrkdwn), budget, moreServices);
  return reply('ephemeral', `${title}\n\`\`\`\n${table}\n\`\`\``, blocks);
}

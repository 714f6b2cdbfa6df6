/**
 * `/svc allow` as people read it: what was opened to whom and until when, the openings in force
 * (`--list`), a revocation, and the message that says a grant was closed (in the request's thread or the
 * requester's channel). Pure functions of grants; every user and cluster text is escaped.
 */
import type { IngressGrant } from '../domain/ingress-grants-model.js';
import { context, lineSections, reply, section, type Message, type Reply } from './blocks.js';
import { code, literal, mention } from './mrkdwn.js';
import { durationWords, utcTime } from './time.js';

function who(userId: string | undefined): string {
  if (userId === undefined || userId.trim() === '') return 'someone';
  return mention(userId) ?? literal(userId.slice(0, 80));
}

/** `tcp/30080, tcp/30443 in `sg-…` (k8s-demo-nodes)`. */
function rulesWords(grant: IngressGrant): string {
  const byGroup = new Map<string, { name?: string; ports: string[] }>();
  for (const rule of grant.rules) {
    const entry = byGroup.get(rule.groupId) ?? (rule.groupName === undefined ? { ports: [] } : { name: rule.groupName, ports: [] });
    entry.ports.push(code(`${rule.protocol}/${rule.port}`));
    byGroup.set(rule.groupId, entry);
  }
  return [...byGroup.entries()].map(([id, { name, ports }]) => `${ports.join(', ')} in ${code(id)}${name === undefined ? '' : ` (${literal(name.slice(0, 80))})`}`).join('; ');
}

function subject(grant: IngressGrant): string {
  const what = grant.target.kind === 'load-balancer' ? `load balancer ${code(grant.target.name)} of ${code(grant.service)}` : `the node ports of ${code(grant.service)}`;
  return `${what} in namespace ${code(grant.namespace)} on cluster ${code(grant.cluster)}`;
}

/** The answer to an opening (also the approved request's thread reply). */
export function renderGrantOpened(grant: IngressGrant, options: { commandName?: string; now?: Date } = {}): Reply {
  const commandName = options.commandName ?? '/svc';
  const now = options.now ?? new Date();
  const kept = grant.rules.filter((r) => r.owned === false);
  const text =
    `:unlock: Opened ${subject(grant)} to ${code(grant.cidr)}: ${rulesWords(grant)}. ` +
    `It closes by itself at ${utcTime(grant.expiresAt, now)} (in ${durationWords(grant.expiresAt - now.getTime())}). Grant ${code(grant.id)}.`;
  const notes = [`${code(`${commandName} allow --revoke ${grant.id}`)} closes it now; ${code(`${commandName} allow --list`)} lists the openings in force.`];
  if (kept.length > 0) {
    notes.unshift(`${kept.map((r) => code(`${r.protocol}/${r.port}`)).join(', ')} from ${code(grant.cidr)} ${kept.length === 1 ? 'was' : 'were'} open already (by hand or another grant): svcbot leaves ${kept.length === 1 ? 'that rule' : 'those rules'} as ${kept.length === 1 ? 'it is' : 'they are'} when this grant ends.`);
  }
  return reply('in_channel', `${text}\n${notes.join('\n')}`, [section(text), context(...notes)]);
}

/** `/svc allow --list`. */
export function renderGrantList(grants: readonly IngressGrant[], options: { cluster?: string; commandName?: string; now: Date }): Reply {
  const commandName = options.commandName ?? '/svc';
  const where = options.cluster === undefined ? '' : ` on cluster ${code(options.cluster)}`;
  if (grants.length === 0) {
    const text = `No openings in force${where}. ${code(`${commandName} allow NAME --from CIDR`)} opens one.`;
    return reply('ephemeral', text, [section(text)]);
  }
  const lines = grants.map(
    (g) =>
      `${code(g.id)} ${g.status === 'open' ? '' : `(${g.status}) `}${code(`${g.namespace}/${g.service}`)} on ${code(g.cluster)}: ${rulesWords(g)} from ${code(g.cidr)}, ` +
      `until ${utcTime(g.expiresAt, options.now)} (in ${durationWords(g.expiresAt - options.now.getTime())}); asked by ${who(g.requestedBy)}${g.approvedBy === undefined ? '' : `, approved by ${who(g.approvedBy)}`}`,
  );
  const head = `*Openings in force${where}* (${grants.length}):`;
  const hint = `${code(`${commandName} allow --revoke ID`)} closes one now.`;
  return reply('ephemeral', [head, ...lines, hint].join('\n'), [section(head), ...lineSections(lines, 40), context(hint)]);
}

/** The answer to `/svc allow --revoke ID`. */
export function renderGrantRevoked(grant: IngressGrant, already: boolean, options: { now: Date }): Reply {
  const text = already
    ? `Grant ${code(grant.id)} was closed already${grant.closedAt === undefined ? '' : ` at ${utcTime(grant.closedAt, options.now)}`} (${grant.closeReason ?? 'closed'}). Nothing was changed.`
    : `:lock: Closed grant ${code(grant.id)}: ${subject(grant)} no longer open to ${code(grant.cidr)} (${rulesWords(grant)}).`;
  return reply(already ? 'ephemeral' : 'in_channel', text, [section(text)]);
}

/** Said in the request's thread (or the requester's channel) when a grant closes: at its time, or revoked. */
export function renderGrantClosed(grant: IngressGrant, options: { now: Date }): Message {
  const why = grant.closeReason === 'revoked' ? `revoked by ${who(grant.closedBy)}` : 'its time was up';
  const text = `:lock: Closed: ${subject(grant)} ${grant.target.kind === 'load-balancer' ? 'is' : 'are'} no longer open to ${code(grant.cidr)} (${rulesWords(grant)}; ${why}, ${utcTime(grant.closedAt ?? options.now.getTime(), options.now)}). Grant ${code(grant.id)}, asked by ${who(grant.requestedBy)}.`;
  const unknown = grant.rules.filter((r) => r.unsettled === true);
  if (unknown.length === 0) return { text, blocks: [section(text)] };
  const warning =
    `:warning: svcbot stopped while it opened ${unknown.map((r) => `${code(`${r.protocol}/${r.port}`)} in ${code(r.groupId)}`).join(', ')} and cannot tell whether it made ` +
    `${unknown.length === 1 ? 'that rule' : 'those rules'}, so it left ${unknown.length === 1 ? 'it' : 'them'} alone: check the group (svcbot's rules say \`svcbot grant ${grant.id}\`).`;
  return { text: `${text}\n${warning}`, blocks: [section(text), section(warning)] };
}

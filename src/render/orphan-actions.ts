/**
 * What svcbot answers about one orphaned load balancer: snoozed, ignored (or how to give the reason),
 * taken back into reports, deleted; and the list of ignored ones with their Un-ignore buttons. Every name,
 * key and reason is the user's or AWS's text: escaped.
 */
import type { DeletedLoadBalancer } from '../domain/results.js';
import type { IgnoredOrphan } from '../ports/orphan-state.js';
import { ACTION_IDS } from './actions.js';
import { actions, context, lineSections, reply, section, type Block, type Reply } from './blocks.js';
import { code, literal, mention, plural } from './mrkdwn.js';
import { orphanKeyValue } from './orphans.js';
import { utcTime } from './time.js';

/** Longest reason shown on a line (the audit log keeps all of it). */
const MAX_REASON_SHOWN = 200;

function reasonText(reason: string): string {
  return literal(reason.length > MAX_REASON_SHOWN ? `${reason.slice(0, MAX_REASON_SHOWN)}…` : reason);
}

/** Said while a scan takes longer than a moment: the report follows in its own message. */
export function renderScanning(): Reply {
  const text = ':hourglass_flowing_sand: Scanning every load balancer of the configured regions and the Services of every cluster… the report follows here when it is done (a large account takes minutes).';
  return reply('ephemeral', text, [section(text)]);
}

export function renderSnoozed(result: { key: string; name: string; until: number }, now: Date): Reply {
  const text = `:zzz: Load balancer ${code(result.name)} is left out of orphan reports until ${utcTime(result.until, now)} (7 days). It still costs money meanwhile.`;
  return reply('ephemeral', text, [section(text)]);
}

export function renderIgnored(result: { entry: IgnoredOrphan; already: boolean }, commandName: string, now: Date): Reply {
  const { entry } = result;
  const by = mention(entry.by) ?? literal(entry.by);
  const text = result.already
    ? `Load balancer ${code(entry.name)} was ignored already, by ${by} at ${utcTime(entry.at, now)}: ${reasonText(entry.reason)}.`
    : `:see_no_evil: Load balancer ${code(entry.name)} is left out of orphan reports until someone un-ignores it (${code(`${commandName} orphans --ignored`)}). Reason kept: ${reasonText(entry.reason)}.`;
  return reply('ephemeral', text, [section(text)]);
}

export function renderUnignored(result: { key: string; name?: string; found: boolean }, commandName: string): Reply {
  const text = result.found
    ? `Load balancer ${code(result.name ?? result.key)} is back in orphan reports.`
    : `${code(result.key)} is not ignored (${code(`${commandName} orphans --ignored`)} lists the ignored ones).`;
  return reply('ephemeral', text, [section(text)]);
}

/** The Ignore button cannot ask for a reason in a message: it says how to give one. */
export function renderIgnoreNeedsReason(key: string, name: string, commandName: string): Reply {
  const typed = `${commandName} orphan ignore ${key} REASON`;
  const text = `To ignore load balancer ${code(name)}, say why (the reason is kept with your name for whoever wonders later): ${code(typed)}`;
  return reply('ephemeral', text, [section(text)]);
}

export function renderIgnoredList(entries: readonly IgnoredOrphan[], commandName: string, now: Date): Reply {
  if (entries.length === 0) {
    const text = 'No load balancer is ignored.';
    return reply('ephemeral', text, [section(text)]);
  }
  const title = `*${plural(entries.length, 'ignored load balancer')}* (left out of orphan reports):`;
  const blocks: Block[] = [section(title)];
  const shown = entries.slice(0, 20);
  for (const entry of shown) {
    const line = `${code(entry.name)} · ${code(entry.key)}\nIgnored by ${mention(entry.by) ?? literal(entry.by)} at ${utcTime(entry.at, now)}: ${reasonText(entry.reason)}`;
    blocks.push(section(line), actions([{ actionId: ACTION_IDS.orphanUnignore, value: orphanKeyValue(entry.key), label: 'Un-ignore' }]));
  }
  if (entries.length > shown.length) {
    blocks.push(...lineSections(['And:', ...entries.slice(shown.length).map((e) => `• ${code(e.name)} · ${code(e.key)}`)], 2));
  }
  blocks.push(context(`${code(`${commandName} orphan unignore LOADBALANCER`)} takes one back into reports.`));
  return reply('ephemeral', [title, ...entries.map((e) => `${code(e.name)}: ${reasonText(e.reason)}`)].join('\n'), blocks);
}

export function renderLoadBalancerDeleted(result: DeletedLoadBalancer, options: { requester?: string }): Reply {
  const who = mention(options.requester);
  const what = `orphaned load balancer ${code(result.name)} (${result.kind}, ${code(result.region)}) of Service ${code(`${result.service.namespace}/${result.service.name}`)} on cluster ${code(result.service.cluster)}`;
  const headline = result.alreadyGone
    ? `:wastebasket: The ${what} was gone already: no further charges.`
    : `:wastebasket: ${who ? `${who} deleted` : 'Deleted'} the ${what}.`;
  const detail = result.gone
    ? `AWS no longer lists it: no further charges (about $${result.monthlyUsd.toFixed(2)}/month saved).`
    : 'AWS still listed it when svcbot stopped watching; it should be gone within minutes (check with `orphans`).';
  const blocks: Block[] = [section(headline), context(detail)];
  if (result.summary.length > 0) blocks.push(...lineSections(['Its description is kept in the audit log, to recreate it if need be:', ...result.summary.map((l) => `• ${literal(l)}`)], 2));
  return reply('in_channel', `${headline}\n${detail}`, blocks);
}

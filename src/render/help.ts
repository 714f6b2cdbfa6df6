/** `/svc help` and `/svc help SUBCOMMAND`, rendered from the help data (`helpFor` in domain/help.ts). */
import type { SubcommandHelp } from '../domain/help.js';
import { LIMITS, codeList, codeSections, context, header, reply, section, type Block, type Reply } from './blocks.js';
import { code, escapeMrkdwn } from './mrkdwn.js';

/** One subcommand's help, as domain/help.ts describes it (read-only: rendering never changes it). */
export type SubcommandHelpView = Readonly<SubcommandHelp>;

/** What `helpFor(topic, commandName)` returns. */
export type HelpView = { overview: readonly SubcommandHelpView[] } | { subcommand: SubcommandHelpView };

export interface HelpRenderOptions {
  /** The slash command as installed (default `/svc`). */
  commandName?: string;
}

function renderOverview(subcommands: readonly SubcommandHelpView[], commandName: string): Reply {
  const title = `svcbot: Kubernetes Services from Slack`;
  const lines = subcommands.map((s) => `${code(s.usage)}\n${escapeMrkdwn(s.summary)}`);
  const footer = `${code(`${commandName} help SUBCOMMAND`)} shows the details and examples of one.`;
  const blocks: Block[] = [header(title), ...lines.slice(0, 40).map((l) => section(l)), context(footer)];
  const text = [`${title}. Commands:`, ...subcommands.map((s) => `${code(s.usage)}: ${escapeMrkdwn(s.summary)}`), footer].join('\n');
  return reply('ephemeral', text, blocks);
}

/** Paragraphs, as few sections as hold them whole (a paragraph longer than a section is cut). */
function paragraphSections(paragraphs: readonly string[]): Block[] {
  const blocks: Block[] = [];
  let current = '';
  for (const p of paragraphs) {
    if (current !== '' && current.length + 2 + p.length > LIMITS.sectionText) {
      blocks.push(section(current));
      current = '';
    }
    current = current === '' ? p : `${current}\n\n${p}`;
  }
  if (current !== '') blocks.push(section(current));
  return blocks;
}

function renderSubcommand(s: SubcommandHelpView, commandName: string): Reply {
  const blocks: Block[] = [header(`${commandName} ${s.name}`), section([escapeMrkdwn(s.summary), '', `*Usage:* ${code(s.usage)}`])];
  blocks.push(...paragraphSections(s.details.map(escapeMrkdwn)));
  if (s.flags.length > 0) blocks.push(section(['*Options*', ...s.flags.map((f) => `• ${code(f.flag)} ${escapeMrkdwn(f.description)}`)]));
  if (s.examples.length > 0) blocks.push(section('*Examples*'), ...codeSections(s.examples, 10));
  if (s.aliases.length > 0) blocks.push(context(`Also spelled ${codeList(s.aliases)}.`));
  const text = [
    `${code(`${commandName} ${s.name}`)}: ${escapeMrkdwn(s.summary)}`,
    `Usage: ${code(s.usage)}`,
    ...s.examples.map((e) => `Example: ${code(e)}`),
  ].join('\n');
  return reply('ephemeral', text, blocks);
}

export function renderHelp(help: HelpView, options: HelpRenderOptions = {}): Reply {
  const commandName = options.commandName ?? '/svc';
  return 'overview' in help ? renderOverview(help.overview, commandName) : renderSubcommand(help.subcommand, commandName);
}

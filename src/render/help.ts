/** `/svc help` and `/svc help SUBCOMMAND`, rendered from the help data (`helpFor` in domain/help.ts). */
import { codeList, codeSections, context, header, reply, section, type Block, type Reply } from './blocks.js';
import { code, escapeMrkdwn } from './mrkdwn.js';

/** The shape of one subcommand's help (structurally the same as domain/help.ts's `SubcommandHelp`). */
export interface SubcommandHelpView {
  name: string;
  aliases: readonly string[];
  usage: string;
  summary: string;
  details: readonly string[];
  examples: readonly string[];
  flags: readonly { flag: string; description: string }[];
}

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

function renderSubcommand(s: SubcommandHelpView, commandName: string): Reply {
  const blocks: Block[] = [header(`${commandName} ${s.name}`), section([escapeMrkdwn(s.summary), '', `*Usage:* ${code(s.usage)}`])];
  if (s.details.length > 0) blocks.push(section(s.details.map(escapeMrkdwn).join('\n\n')));
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

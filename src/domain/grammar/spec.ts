/**
 * The `/svc` vocabulary as data: subcommands (names, aliases, usage, flags), the flags themselves,
 * and the flags svcbot refuses on principle. The parser and the help both read it.
 */
import type { CommandKind } from '../command.js';
import { UsageError } from '../errors.js';
import { quote, slackNote } from './problem.js';
import { didYouMean } from '../suggest.js';

export interface FlagSpec {
  /** Long name, without dashes: `namespace` for `--namespace`. */
  readonly name: string;
  /** One-letter short form, without the dash: `n` for `-n`. */
  readonly short?: string;
  /** Placeholder for its value in usage lines; absent for on/off switches. */
  readonly value?: string;
  readonly repeatable?: boolean;
}

export const FLAGS = {
  selector: { name: 'selector', value: 'KEY=VALUE[,KEY=VALUE…]', repeatable: true },
  port: { name: 'port', value: '[NAME=]PORT[:TARGETPORT][/PROTOCOL]', repeatable: true },
  type: { name: 'type', value: 'clusterip|nodeport|loadbalancer' },
  name: { name: 'name', value: 'SERVICE' },
  namespace: { name: 'namespace', short: 'n', value: 'NAMESPACE' },
  allNamespaces: { name: 'all-namespaces', short: 'A' },
  cluster: { name: 'cluster', value: 'CLUSTER' },
  dryRun: { name: 'dry-run' },
  service: { name: 'service', value: 'SERVICE' },
  user: { name: 'user', value: '@USER' },
  region: { name: 'region', value: 'REGION' },
  all: { name: 'all' },
  ignored: { name: 'ignored' },
  page: { name: 'page', value: 'N' },
  help: { name: 'help', short: 'h' },
  from: { name: 'from', value: 'CIDR' },
  for: { name: 'for', value: 'DURATION' },
  list: { name: 'list' },
  revoke: { name: 'revoke', value: 'GRANT' },
} as const satisfies Record<string, FlagSpec>;

export type FlagKey = keyof typeof FLAGS;

/** `-n/--namespace` or `--port`: how messages name a flag whichever way it was typed. */
export function flagLabel(flag: FlagSpec): string {
  return flag.short === undefined ? `--${flag.name}` : `-${flag.short}/--${flag.name}`;
}

export interface SubcommandSpec {
  readonly kind: CommandKind;
  /** Other words for it, lowercase (subcommands are matched case-insensitively). */
  readonly aliases: readonly string[];
  /** What follows `/svc <kind>` in its usage line. */
  readonly syntax: string;
  /** Flags it takes (`--help`/`-h` is taken by all). */
  readonly flags: readonly FlagKey[];
}

/** In the order the help overview lists them. */
export const SUBCOMMANDS: readonly SubcommandSpec[] = [
  {
    kind: 'create',
    aliases: [],
    syntax:
      'NAME --selector KEY=VALUE[,KEY=VALUE…] --port [NAME=]PORT[:TARGETPORT][/PROTOCOL] [--port …] ' +
      '[--type clusterip|nodeport|loadbalancer] [-n NAMESPACE] [--cluster CLUSTER] [--dry-run]',
    flags: ['selector', 'port', 'type', 'namespace', 'cluster', 'dryRun'],
  },
  {
    kind: 'expose',
    aliases: [],
    syntax:
      'deployment/NAME --port [NAME=]PORT[:TARGETPORT][/PROTOCOL] [--port …] [--type clusterip|nodeport|loadbalancer] ' +
      '[--name SERVICE] [-n NAMESPACE] [--cluster CLUSTER] [--dry-run]',
    flags: ['port', 'type', 'name', 'namespace', 'cluster', 'dryRun'],
  },
  {
    kind: 'list',
    aliases: ['ls', 'get'],
    syntax: '[-n NAMESPACE | -A] [--type clusterip|nodeport|loadbalancer] [--cluster CLUSTER]',
    flags: ['namespace', 'allNamespaces', 'type', 'cluster'],
  },
  {
    kind: 'describe',
    aliases: ['show'],
    syntax: 'NAME [-n NAMESPACE] [--cluster CLUSTER]',
    flags: ['namespace', 'cluster'],
  },
  {
    kind: 'type',
    aliases: [],
    syntax: 'NAME clusterip|nodeport|loadbalancer [-n NAMESPACE] [--cluster CLUSTER]',
    flags: ['namespace', 'cluster'],
  },
  {
    kind: 'delete',
    aliases: ['rm', 'del'],
    syntax: 'NAME [-n NAMESPACE] [--cluster CLUSTER]',
    flags: ['namespace', 'cluster'],
  },
  { kind: 'jobs', aliases: [], syntax: '[-n NAMESPACE] [--cluster CLUSTER]', flags: ['namespace', 'cluster'] },
  { kind: 'cancel', aliases: [], syntax: 'JOB', flags: [] },
  { kind: 'approvals', aliases: ['requests'], syntax: '[--cluster CLUSTER]', flags: ['cluster'] },
  { kind: 'approve', aliases: [], syntax: 'REQUEST', flags: [] },
  { kind: 'reject', aliases: ['deny'], syntax: 'REQUEST [REASON…]', flags: [] },
  { kind: 'withdraw', aliases: [], syntax: 'REQUEST', flags: [] },
  { kind: 'audit', aliases: ['log'], syntax: '[N] [--service NAME] [--user @USER]', flags: ['service', 'user'] },
  {
    kind: 'orphans',
    aliases: [],
    syntax: '[--cluster CLUSTER] [--region REGION] [--all] [--ignored] [--page N]',
    flags: ['cluster', 'region', 'all', 'ignored', 'page'],
  },
  { kind: 'orphan', aliases: [], syntax: 'delete|snooze|ignore|unignore LOADBALANCER [REASON…]', flags: [] },
  {
    kind: 'allow',
    aliases: [],
    syntax: 'NAME --from CIDR [--for DURATION] [-n NAMESPACE] [--cluster CLUSTER] | --list [--cluster CLUSTER] | --revoke GRANT',
    flags: ['from', 'for', 'list', 'revoke', 'namespace', 'cluster'],
  },
  { kind: 'help', aliases: [], syntax: '[SUBCOMMAND]', flags: [] },
];

/** The subcommand a word names (case-insensitive, aliases included), if any. */
export function findSubcommand(word: string): SubcommandSpec | undefined {
  const lower = word.toLowerCase();
  return SUBCOMMANDS.find((s) => s.kind === lower || s.aliases.includes(lower));
}

export function specOf(kind: CommandKind): SubcommandSpec {
  // Every CommandKind has an entry above; the fallback only satisfies the type checker.
  return SUBCOMMANDS.find((s) => s.kind === kind) ?? SUBCOMMANDS[SUBCOMMANDS.length - 1]!;
}

/** Every word that names a subcommand: canonical names, then aliases. */
function subcommandWords(): string[] {
  return [...SUBCOMMANDS.map((s) => s.kind), ...SUBCOMMANDS.flatMap((s) => s.aliases)];
}

/** The usage line of a subcommand (by name or alias), or the general one for anything else. */
export function usageLine(kind: string, commandName: string): string {
  const spec = findSubcommand(kind);
  if (spec === undefined) {
    return `${commandName} ${SUBCOMMANDS.map((s) => s.kind).join('|')} … (${commandName} help SUBCOMMAND for details)`;
  }
  return `${commandName} ${spec.kind} ${spec.syntax}`;
}

/** A word that is not a subcommand, as a UsageError with the closest subcommand. */
export function unknownSubcommand(word: string, commandName: string, asHelpTopic = false): UsageError {
  const match = didYouMean(word, subcommandWords());
  const suggestion = match === undefined ? undefined : findSubcommand(match)?.kind;
  const known = SUBCOMMANDS.map((s) => s.kind).join(', ');
  return asHelpTopic
    ? new UsageError(
        `there is no help on ${quote(word)}${slackNote(word)}: ask about one of ${known}`,
        usageLine('help', commandName),
        suggestion,
      )
    : new UsageError(
        `${quote(word)}${slackNote(word)} is not a subcommand: use one of ${known}`,
        usageLine('', commandName),
        suggestion,
      );
}

const REFUSALS: Readonly<Record<string, string>> = {
  externalip: 'svcbot never sets externalIPs: they let a Service capture other traffic (CVE-2020-8554)',
  loadbalancerip:
    'svcbot never sets loadBalancerIP: a chosen load-balancer address lets a Service capture other traffic (CVE-2020-8554)',
  status:
    "svcbot never sets a Service's status: a forged load-balancer address lets a Service capture other traffic (CVE-2020-8554)",
  clusterip:
    'svcbot never sets clusterIP: Kubernetes assigns it, and a chosen address could capture other traffic (CVE-2020-8554 class)',
  externalname:
    'svcbot never sets externalName: it points a Service name at any host, past the cluster\'s own routing',
  overrides:
    'svcbot never takes --overrides: raw Service fields (externalIPs, status) could let a Service capture other traffic (CVE-2020-8554)',
};

/**
 * Why svcbot refuses a flag, if it is one of those that let a Service capture other traffic
 * (`--external-ip`, `--externalIPs`, `--load-balancer-ip`, `--status`, `--cluster-ip`, …; any case,
 * with or without `-`/`_`, singular or plural).
 */
export function refusalFor(flagName: string): string | undefined {
  const key = flagName.toLowerCase().replace(/[-_]/g, '');
  for (const k of [key, key.replace(/s$/, '')]) {
    if (Object.hasOwn(REFUSALS, k)) return REFUSALS[k];
  }
  return undefined;
}

/**
 * `/svc …` text -> Command. Pure: no I/O, no configuration. Anything wrong with the text is a
 * UsageError naming the problem, with the usage line and, when there is one, a likely fix.
 */
import type { Command, OrphanAction, PortSpec, Scope, ServiceType } from '../command.js';
import { UsageError } from '../errors.js';
import { checkPorts, parsePort } from './ports.js';
import { GrammarProblem, quote } from './problem.js';
import {
  FLAGS,
  SUBCOMMANDS,
  type FlagKey,
  type FlagSpec,
  type SubcommandSpec,
  findSubcommand,
  flagLabel,
  refusalFor,
  unknownSubcommand,
  usageLine,
} from './spec.js';
import { didYouMean } from '../suggest.js';
import { checkLoadBalancerKey } from './load-balancer-key.js';
import { parseCidr, parseGrantDuration } from './cidr.js';
import { normalizeSlackText, tokenize } from './tokenize.js';
import {
  checkClusterName,
  checkDeploymentName,
  checkJobId,
  checkNamespace,
  checkRegion,
  checkRequestId,
  MAX_REASON_LENGTH,
  parseUserFilter,
  checkServiceName,
  isServiceName,
  parseSelector,
  parseServiceType,
} from './validate.js';

export interface ParseOptions {
  /** The slash command as registered in Slack, used in usage lines and tolerated as a first word. Default `/svc`. */
  commandName?: string;
}

/** How many audit entries `/svc audit` shows without N, and at most. */
export const DEFAULT_AUDIT_ENTRIES = 20;
export const MAX_AUDIT_ENTRIES = 200;

/** Longer text than this is refused before any parsing (a real command is a few hundred characters). */
export const MAX_COMMAND_LENGTH = 4000;

const ALL_FLAG_KEYS = Object.keys(FLAGS) as FlagKey[];

interface FlagWord {
  /** As typed up to any `=`, for messages: `--slector`, `-n`. */
  typed: string;
  long: boolean;
  name: string;
  inline?: string;
}

/** A word that is a flag rather than a value: starts with `-`, but `-1` is a (bad) number. */
function isFlagWord(word: string): boolean {
  return word.length > 1 && word.startsWith('-') && !/^-\d/.test(word);
}

/** `--help`, `-h`, and what dashes and habits make of them (`–h` -> `--h`, `-help`), any case. */
function isHelpFlag(word: string): boolean {
  return ['--help', '-h', '--h', '-help'].includes(word.toLowerCase());
}

function splitFlag(word: string): FlagWord {
  const long = word.startsWith('--');
  const body = word.replace(/^-+/, '');
  const eq = body.indexOf('=');
  const name = eq === -1 ? body : body.slice(0, eq);
  const flag: FlagWord = { typed: `${long ? '--' : '-'}${name}`, long, name };
  if (eq !== -1) flag.inline = body.slice(eq + 1);
  return flag;
}

/** Which flag a word names, among all of svcbot's; `--n` (autocorrect's dash) counts as `-n`. */
function matchFlag(flag: FlagWord): FlagKey | undefined {
  return ALL_FLAG_KEYS.find((k) => {
    const spec: FlagSpec = FLAGS[k];
    return flag.long ? spec.name === flag.name || (flag.name.length === 1 && spec.short === flag.name) : spec.short === flag.name;
  });
}

function flagForms(keys: readonly FlagKey[]): string[] {
  return keys.flatMap((k) => {
    const spec: FlagSpec = FLAGS[k];
    return spec.short === undefined ? [`--${spec.name}`] : [`--${spec.name}`, `-${spec.short}`];
  });
}

/** The closest flag to a typo, or for `-nkube-system` the spaced-out `-n kube-system`. */
function flagSuggestion(flag: FlagWord, keys: readonly FlagKey[]): string | undefined {
  const close = didYouMean(flag.typed, flagForms(keys));
  if (close !== undefined) return close;
  if (!flag.long && flag.name.length > 1) {
    const short = keys.find((k) => {
      const spec: FlagSpec = FLAGS[k];
      return spec.short === flag.name[0] && spec.value !== undefined;
    });
    if (short !== undefined) return `-${flag.name[0]} ${flag.name.slice(1)}`;
  }
  return undefined;
}

function checkFlagName(flag: FlagWord): void {
  if (flag.name === '') {
    throw new GrammarProblem(`"${flag.typed}" on its own is not a flag: write the flag's name right after the dashes, e.g. --port`);
  }
  const refusal = refusalFor(flag.name);
  if (refusal !== undefined) throw new GrammarProblem(refusal);
}

/**
 * Where the subcommand is: the first word that is neither a flag nor a flag's value (`/svc -n dev
 * list` is `/svc list -n dev`, as with kubectl). `strict`: an unknown or refused flag before it is an error.
 */
function locateSubcommand(words: readonly string[], strict: boolean): number | undefined {
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (!isFlagWord(word)) return i;
    const flag = splitFlag(word);
    const key = matchFlag(flag);
    if (strict) {
      checkFlagName(flag);
      if (key === undefined) throw new GrammarProblem(`unknown flag ${flag.typed}`, flagSuggestion(flag, ALL_FLAG_KEYS));
    }
    const spec: FlagSpec | undefined = key === undefined ? undefined : FLAGS[key];
    if (spec?.value !== undefined && flag.inline === undefined) i++;
  }
  return undefined;
}

interface Args {
  positionals: string[];
  values: Map<FlagKey, string[]>;
  switches: Map<FlagKey, boolean>;
}

function notTaken(flag: FlagWord, sub: SubcommandSpec, commandName: string): GrammarProblem {
  const why =
    sub.kind === 'expose' && flag.name === 'selector'
      ? `: it uses the deployment's selector (to choose one, use ${commandName} create)`
      : '';
  return new GrammarProblem(`${commandName} ${sub.kind} does not take ${flag.typed}${why}`, flagSuggestion(flag, sub.flags));
}

function parseSwitch(flag: FlagWord): boolean {
  if (flag.inline === undefined) return true;
  const v = flag.inline.toLowerCase();
  if (v === 'true' || v === 'false') return v === 'true';
  throw new GrammarProblem(`${flag.typed} is an on/off switch: write ${flag.typed} alone (or ${flag.typed}=false)`);
}

/** Sort the words after the subcommand into flag values, switches and positional arguments. */
function readArgs(words: readonly string[], sub: SubcommandSpec, commandName: string): Args {
  const args: Args = { positionals: [], values: new Map(), switches: new Map() };
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (!isFlagWord(word)) {
      args.positionals.push(word);
      continue;
    }
    const flag = splitFlag(word);
    checkFlagName(flag);
    const key = matchFlag(flag);
    if (key === undefined) throw new GrammarProblem(`unknown flag ${flag.typed}`, flagSuggestion(flag, sub.flags));
    if (!sub.flags.includes(key)) throw notTaken(flag, sub, commandName);
    const spec: FlagSpec = FLAGS[key];
    if (spec.value === undefined) {
      if (args.switches.has(key)) throw new GrammarProblem(`${flagLabel(spec)} is given twice: give it once`);
      args.switches.set(key, parseSwitch(flag));
      continue;
    }
    let value = flag.inline;
    if (value === undefined) {
      const next = words[i + 1];
      if (next !== undefined && !isFlagWord(next)) {
        value = next;
        i++;
      }
    }
    if (value === undefined || value === '') {
      throw new GrammarProblem(`${flag.typed} needs a value: ${flag.typed} ${spec.value}`);
    }
    const earlier = args.values.get(key);
    if (earlier === undefined) {
      args.values.set(key, [value]);
    } else if (spec.repeatable === true) {
      earlier.push(value);
    } else {
      throw new GrammarProblem(
        `${flagLabel(spec)} is given twice (${quote(earlier[0]!)} and ${quote(value)}): give it once`,
      );
    }
  }
  return args;
}

function single(args: Args, key: FlagKey): string | undefined {
  return args.values.get(key)?.[0];
}

function scopeOf(args: Args): Scope {
  const namespace = single(args, 'namespace');
  const cluster = single(args, 'cluster');
  const scope: Scope = { namespace: namespace === undefined ? 'default' : checkNamespace(namespace) };
  if (cluster !== undefined) scope.cluster = checkClusterName(cluster);
  return scope;
}

function typeOf(args: Args): ServiceType | undefined {
  const type = single(args, 'type');
  return type === undefined ? undefined : parseServiceType(type);
}

function portsOf(args: Args): PortSpec[] {
  const ports = (args.values.get('port') ?? []).map(parsePort);
  checkPorts(ports);
  return ports;
}

const PORT_LIKE = /^([a-z0-9-]+=)?\d+(:[a-z0-9-]+)?(\/[a-z]+)?$/i;
const SELECTOR_LIKE = /^[^=\s]+=[^=\s]*$/;

/** A positional argument too many, with a guess at what it was meant to be. */
function extraArgument(word: string, sub: SubcommandSpec, commandName: string): GrammarProblem {
  const extra = `unexpected extra argument ${quote(word)}`;
  switch (sub.kind) {
    case 'create':
    case 'expose':
      if (PORT_LIKE.test(word)) return new GrammarProblem(`${extra}: is it another --port?`, `--port ${word}`);
      if (sub.kind === 'create' && SELECTOR_LIKE.test(word)) {
        return new GrammarProblem(`${extra}: is it part of --selector?`, `--selector ${word}`);
      }
      return new GrammarProblem(extra);
    case 'list':
      if (/^(svc|svcs|services?)$/i.test(word)) {
        return new GrammarProblem(`${extra}: ${commandName} list always lists Services`, `${commandName} list`);
      }
      return isServiceName(word)
        ? new GrammarProblem(`${extra}: to see one Service, use ${commandName} describe ${word}`, `${commandName} describe ${word}`)
        : new GrammarProblem(extra);
    case 'delete':
    case 'describe':
      return new GrammarProblem(`${extra}: ${sub.kind} takes one Service at a time`);
    default:
      return new GrammarProblem(extra);
  }
}

/** Exactly `min`..`max` positional arguments, or the message for the first missing one / the first extra one. */
function positionals(
  args: Args,
  sub: SubcommandSpec,
  commandName: string,
  missing: readonly string[],
  max = missing.length,
): string[] {
  const got = args.positionals;
  if (got.length < missing.length) throw new GrammarProblem(missing[got.length]!);
  if (got.length > max) throw extraArgument(got[max]!, sub, commandName);
  return got;
}

const DEPLOYMENT_RESOURCES = ['deployment', 'deployments', 'deploy', 'deployment.apps', 'deployments.apps'];
const ONLY_DEPLOYMENTS = 'only deployments can be exposed: deployment/NAME';

/** `deployment/NAME` (or `deploy/NAME`, `deployments/NAME`, `deployment NAME`) -> NAME. */
function deploymentOf(words: readonly string[], sub: SubcommandSpec, commandName: string): string {
  const [first = '', second] = words;
  const slash = first.indexOf('/');
  if (slash === -1) {
    if (DEPLOYMENT_RESOURCES.includes(first.toLowerCase())) {
      if (second === undefined) throw new GrammarProblem(`missing the deployment's name: ${first}/NAME`);
      if (words.length > 2) throw extraArgument(words[2]!, sub, commandName);
      return checkDeploymentName(second);
    }
    throw new GrammarProblem(ONLY_DEPLOYMENTS, isServiceName(first) ? `deployment/${first}` : undefined);
  }
  if (second !== undefined) throw extraArgument(second, sub, commandName);
  const resource = first.slice(0, slash);
  const name = first.slice(slash + 1);
  if (!DEPLOYMENT_RESOURCES.includes(resource.toLowerCase())) {
    throw new GrammarProblem(ONLY_DEPLOYMENTS, isServiceName(name) ? `deployment/${name}` : undefined);
  }
  if (name === '') throw new GrammarProblem(`missing the deployment's name after "${resource}/"`);
  return checkDeploymentName(name);
}

function build(sub: SubcommandSpec, args: Args, commandName: string): Command {
  switch (sub.kind) {
    case 'help': {
      const [topic] = positionals(args, sub, commandName, [], 1);
      if (topic === undefined) return { kind: 'help' };
      const spec = findSubcommand(topic);
      if (spec === undefined) throw unknownSubcommand(topic, commandName, true);
      return { kind: 'help', topic: spec.kind };
    }
    case 'create': {
      const [nameWord = ''] = positionals(args, sub, commandName, ['missing the name of the Service to create']);
      const name = checkServiceName(nameWord);
      const selectors = args.values.get('selector');
      const hasPorts = args.values.has('port');
      if (selectors === undefined && !hasPorts) {
        throw new GrammarProblem(
          'missing --selector (which pods get the traffic) and --port (which port to open), e.g. --selector app=alpine --port 8080:80',
        );
      }
      if (selectors === undefined) {
        throw new GrammarProblem('missing --selector: which pods should get the traffic? e.g. --selector app=alpine');
      }
      if (!hasPorts) throw new GrammarProblem('missing --port: which port should the Service open? e.g. --port 8080:80');
      const selector = parseSelector(selectors);
      const ports = portsOf(args);
      return {
        kind: 'create',
        name,
        selector,
        ports,
        type: typeOf(args) ?? 'ClusterIP',
        scope: scopeOf(args),
        dryRun: args.switches.get('dryRun') ?? false,
      };
    }
    case 'expose': {
      const words = positionals(args, sub, commandName, ['missing the deployment to expose: deployment/NAME'], 2);
      const deployment = deploymentOf(words, sub, commandName);
      const nameWord = single(args, 'name');
      if (nameWord === undefined && !isServiceName(deployment)) {
        const cleaned = deployment.replace(/[^a-z0-9-]+/g, '-').replace(/^[^a-z]+|-+$/g, '');
        throw new GrammarProblem(
          `the deployment's name ${quote(deployment)} can't be the Service's name (use lowercase letters, digits and "-", ` +
            'starting with a letter, at most 63 characters): give the Service a name with --name',
          isServiceName(cleaned) ? `--name ${cleaned}` : undefined,
        );
      }
      if (!args.values.has('port')) {
        throw new GrammarProblem('missing --port: which port should the Service open? e.g. --port 8080:80');
      }
      const ports = portsOf(args);
      const command: Command = {
        kind: 'expose',
        deployment,
        ports,
        type: typeOf(args) ?? 'ClusterIP',
        scope: scopeOf(args),
        dryRun: args.switches.get('dryRun') ?? false,
      };
      if (nameWord !== undefined) command.name = checkServiceName(nameWord);
      return command;
    }
    case 'type': {
      const [nameWord = '', typeWord = ''] = positionals(args, sub, commandName, [
        'missing the Service name and its new type (clusterip, nodeport or loadbalancer)',
        'missing the new type: clusterip, nodeport or loadbalancer',
      ]);
      const name = checkServiceName(nameWord);
      return { kind: 'type', name, type: parseServiceType(typeWord), scope: scopeOf(args) };
    }
    case 'delete':
    case 'describe': {
      const [nameWord = ''] = positionals(args, sub, commandName, [`missing the name of the Service to ${sub.kind}`]);
      return { kind: sub.kind, name: checkServiceName(nameWord), scope: scopeOf(args) };
    }
    case 'list': {
      positionals(args, sub, commandName, []);
      const allNamespaces = args.switches.get('allNamespaces') ?? false;
      if (allNamespaces && args.values.has('namespace')) {
        throw new GrammarProblem(
          "-n/--namespace and -A/--all-namespaces don't go together: use -n NAMESPACE for one namespace or -A for all",
        );
      }
      const type = typeOf(args);
      const command: Command = { kind: 'list', scope: scopeOf(args), allNamespaces };
      if (type !== undefined) command.type = type;
      return command;
    }
    case 'jobs': {
      positionals(args, sub, commandName, []);
      const scope = scopeOf(args);
      return { kind: 'jobs', scope, ...(args.values.has('namespace') ? { onlyNamespace: scope.namespace } : {}) };
    }
    case 'cancel': {
      const [id = ''] = positionals(args, sub, commandName, [
        `missing the ID of the job to cancel (${commandName} jobs lists them)`,
      ]);
      return { kind: 'cancel', jobId: checkJobId(id) };
    }
    case 'approvals': {
      positionals(args, sub, commandName, []);
      const cluster = single(args, 'cluster');
      return cluster === undefined ? { kind: 'approvals' } : { kind: 'approvals', cluster: checkClusterName(cluster) };
    }
    case 'approve':
    case 'withdraw': {
      const [id = ''] = positionals(args, sub, commandName, [
        `missing the ID of the request to ${sub.kind} (${commandName} approvals lists them)`,
      ]);
      return { kind: sub.kind, id: checkRequestId(id, commandName) };
    }
    case 'reject': {
      const [id = '', ...words] = positionals(
        args,
        sub,
        commandName,
        [`missing the ID of the request to reject (${commandName} approvals lists them)`],
        Number.POSITIVE_INFINITY,
      );
      const command: Command = { kind: 'reject', id: checkRequestId(id, commandName) };
      const reason = words.join(' ').trim();
      if (reason.length > MAX_REASON_LENGTH) {
        throw new GrammarProblem(`the reason is too long (${reason.length} characters, at most ${MAX_REASON_LENGTH})`);
      }
      if (reason !== '') command.reason = reason;
      return command;
    }
    case 'audit': {
      const [count] = positionals(args, sub, commandName, [], 1);
      let limit = DEFAULT_AUDIT_ENTRIES;
      if (count !== undefined) {
        if (!/^\d{1,4}$/.test(count) || Number(count) < 1 || Number(count) > MAX_AUDIT_ENTRIES) {
          throw new GrammarProblem(
            `${quote(count)} is not a number of entries: give one from 1 to ${MAX_AUDIT_ENTRIES}`,
            isServiceName(count) ? `--service ${count}` : undefined,
          );
        }
        limit = Number(count);
      }
      const command: Command = { kind: 'audit', limit };
      const service = single(args, 'service');
      if (service !== undefined) command.service = checkServiceName(service);
      const user = single(args, 'user');
      if (user !== undefined) command.user = parseUserFilter(user);
      return command;
    }
    case 'orphans':
      positionals(args, sub, commandName, []);
      return buildOrphans(args);
    case 'orphan':
      return buildOrphan(args, sub, commandName);
    case 'allow':
      return buildAllow(args, sub, commandName);
  }
}

/** `allow NAME --from CIDR [--for D]`, `allow --list`, `allow --revoke GRANT`: one of the three, never mixed. */
function buildAllow(args: Args, sub: SubcommandSpec, commandName: string): Command {
  const list = args.switches.get('list') ?? false;
  const revoke = single(args, 'revoke');
  const opening = (['from', 'for', 'namespace'] as const).filter((k) => args.values.has(k)).map((k) => flagLabel(FLAGS[k]));
  if (list && revoke !== undefined) {
    throw new GrammarProblem('--list and --revoke don\'t go together: list the openings first, then revoke one by its ID');
  }
  if (list || revoke !== undefined) {
    const what = list ? '--list' : '--revoke';
    if (args.positionals.length > 0) throw new GrammarProblem(`${what} takes no Service name: ${quote(args.positionals[0]!)} is one too many`);
    if (opening.length > 0) throw new GrammarProblem(`${what} takes no ${opening.join(' or ')}: those open a port (${commandName} allow NAME --from CIDR)`);
    if (revoke !== undefined) {
      if (args.values.has('cluster')) throw new GrammarProblem('--revoke takes no --cluster: the grant ID says where it is');
      return { kind: 'allow', action: 'revoke', id: checkGrantId(revoke, commandName) };
    }
    const cluster = single(args, 'cluster');
    return cluster === undefined ? { kind: 'allow', action: 'list' } : { kind: 'allow', action: 'list', cluster: checkClusterName(cluster) };
  }
  const [nameWord = ''] = positionals(args, sub, commandName, [
    `missing the Service whose port to open: ${commandName} allow NAME --from CIDR (or --list, --revoke GRANT)`,
  ]);
  const name = checkServiceName(nameWord);
  const from = single(args, 'from');
  if (from === undefined) {
    throw new GrammarProblem(`missing --from: which addresses may connect? e.g. --from 203.0.113.0/24 (your office) or --from 198.51.100.7/32 (one address)`);
  }
  const cidr = parseCidr(from).text;
  const forWord = single(args, 'for');
  const command: Command = { kind: 'allow', action: 'grant', name, cidr, scope: scopeOf(args) };
  if (forWord !== undefined) command.durationMs = parseGrantDuration(forWord);
  return command;
}

/** A grant's ID: 8 hex digits, as `allow --list` shows it. */
function checkGrantId(value: string, commandName: string): string {
  const id = value.toLowerCase();
  if (/^[0-9a-f]{8}$/.test(id)) return id;
  throw new GrammarProblem(`${quote(value)} is not a grant ID: use the 8 characters ${commandName} allow --list shows`);
}

const ORPHAN_ACTIONS: readonly OrphanAction[] = ['delete', 'snooze', 'ignore', 'unignore'];
/** Pages of an orphan report a command may ask for (a report of 10,000 orphans has 1,000). */
const MAX_ORPHAN_PAGE = 10_000;

function buildOrphans(args: Args): Command {
  const ignored = args.switches.get('ignored') ?? false;
  const all = args.switches.get('all') ?? false;
  const pageWord = single(args, 'page');
  if (ignored && (all || pageWord !== undefined)) {
    throw new GrammarProblem('--ignored lists the ignored load balancers: it takes neither --all nor --page');
  }
  let page = 0;
  if (pageWord !== undefined) {
    if (!/^\d{1,5}$/.test(pageWord) || Number(pageWord) < 1 || Number(pageWord) > MAX_ORPHAN_PAGE) {
      throw new GrammarProblem(`${quote(pageWord)} is not a page number: give one from 1 to ${MAX_ORPHAN_PAGE}`);
    }
    page = Number(pageWord) - 1;
  }
  const cluster = single(args, 'cluster');
  const region = single(args, 'region');
  return {
    kind: 'orphans',
    all,
    ignored,
    page,
    ...(cluster === undefined ? {} : { cluster: checkClusterName(cluster) }),
    ...(region === undefined ? {} : { region: checkRegion(region) }),
  };
}

function buildOrphan(args: Args, sub: SubcommandSpec, commandName: string): Command {
  const [actionWord = '', key = '', ...words] = positionals(
    args,
    sub,
    commandName,
    [
      `missing what to do: ${ORPHAN_ACTIONS.join(', ')} (then the load balancer, as ${commandName} orphans shows it)`,
      `missing the load balancer: REGION/NAME or an NLB/ALB's ARN, as ${commandName} orphans shows it`,
    ],
    Number.POSITIVE_INFINITY,
  );
  const action = ORPHAN_ACTIONS.find((a) => a === actionWord.toLowerCase());
  if (action === undefined) {
    throw new GrammarProblem(`${quote(actionWord)} is not something to do with a load balancer: use one of ${ORPHAN_ACTIONS.join(', ')}`, didYouMean(actionWord.toLowerCase(), ORPHAN_ACTIONS));
  }
  const command: Command = { kind: 'orphan', action, key: checkLoadBalancerKey(key, commandName) };
  const reason = words.join(' ').trim();
  if (action !== 'ignore') {
    if (words.length > 0) throw extraArgument(words[0]!, sub, commandName);
    return command;
  }
  if (reason === '') {
    throw new GrammarProblem(`missing the reason to ignore it (kept with your name, for whoever wonders later): ${commandName} orphan ignore ${key} REASON`);
  }
  if (reason.length > MAX_REASON_LENGTH) {
    throw new GrammarProblem(`the reason is too long (${reason.length} characters, at most ${MAX_REASON_LENGTH})`);
  }
  return { ...command, reason };
}

function isCommandName(word: string, commandName: string): boolean {
  const lower = word.toLowerCase();
  const name = commandName.toLowerCase();
  return lower === name || (lower === name.replace(/^\//, '') && findSubcommand(word) === undefined);
}

/**
 * Parse the text of a `/svc` command (as Slack sends it: escaped, maybe with smart quotes, long
 * dashes and the command name in front). Empty text and `--help`/`-h` anywhere ask for help (about
 * the subcommand, if there is one).
 * @throws UsageError for anything wrong with the text, and nothing else.
 */
export function parseCommand(text: string, opts: ParseOptions = {}): Command {
  const commandName = opts.commandName ?? '/svc';
  const overview = usageLine('', commandName);
  if (text.length > MAX_COMMAND_LENGTH) {
    throw new UsageError(
      `the command is too long (${text.length} characters, at most ${MAX_COMMAND_LENGTH})`,
      overview,
    );
  }
  const words = tokenize(normalizeSlackText(text));
  if (words.length > 0 && isCommandName(words[0]!, commandName)) words.shift();
  const helpAsked = words.some(isHelpFlag);

  let at: number | undefined;
  try {
    at = locateSubcommand(words, !helpAsked);
  } catch (err) {
    if (err instanceof GrammarProblem) throw new UsageError(err.problem, overview, err.suggestion);
    throw err;
  }
  if (at === undefined) {
    if (helpAsked || words.length === 0) return { kind: 'help' };
    throw new UsageError(
      `missing a subcommand: start with one of ${SUBCOMMANDS.map((s) => s.kind).join(', ')}`,
      overview,
    );
  }
  const word = words[at]!;
  const sub = findSubcommand(word);
  if (sub === undefined) {
    // Asked for help with a word that is no subcommand: a typo gets its "did you mean", the rest the overview.
    const err = unknownSubcommand(word, commandName);
    if (helpAsked && err.suggestion === undefined) return { kind: 'help' };
    throw err;
  }
  if (helpAsked && sub.kind !== 'help') return { kind: 'help', topic: sub.kind };

  const rest = words.filter((w, i) => i !== at && !isHelpFlag(w));
  try {
    return build(sub, readArgs(rest, sub, commandName), commandName);
  } catch (err) {
    if (err instanceof GrammarProblem) throw new UsageError(err.problem, usageLine(sub.kind, commandName), err.suggestion);
    throw err;
  }
}

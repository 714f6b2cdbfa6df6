/**
 * What `/svc help` says, as data: someone else renders it (Block Kit, console). It teaches the
 * command: what each Service type means, what every flag does, examples to copy.
 */
import type { CommandKind, ServiceType } from './command.js';
import { FLAGS, type FlagKey, findSubcommand, specOf, unknownSubcommand, usageLine } from './grammar/spec.js';
import { DEFAULT_AUDIT_ENTRIES, MAX_AUDIT_ENTRIES } from './grammar/parse.js';
import { SERVICE_TYPE_ALIASES } from './grammar/validate.js';

export interface SubcommandHelp {
  name: CommandKind;
  aliases: string[];
  usage: string;
  summary: string;
  details: string[];
  examples: string[];
  flags: { flag: string; description: string }[];
}

export interface ServiceTypeHelp {
  type: ServiceType;
  /** Other spellings the commands accept (case-insensitive). */
  aliases: string[];
  meaning: string;
}

/** What each Service type means, for help and for anything that explains a type. */
export const SERVICE_TYPE_HELP: readonly ServiceTypeHelp[] = [
  {
    type: 'ClusterIP',
    aliases: [...SERVICE_TYPE_ALIASES.ClusterIP],
    meaning:
      'reachable inside the cluster only, at a stable address and the DNS name NAME.NAMESPACE.svc. The default.',
  },
  {
    type: 'NodePort',
    aliases: [...SERVICE_TYPE_ALIASES.NodePort],
    meaning:
      'also opens a port in the range 30000–32767 on every node, so anything that can reach a node can reach the Service.',
  },
  {
    type: 'LoadBalancer',
    aliases: [...SERVICE_TYPE_ALIASES.LoadBalancer],
    meaning:
      'also gets an AWS load balancer with a public DNS name. It costs money until the Service is deleted or ' +
      'changed back, and takes a few minutes to be ready.',
  },
];

const TYPE_LINES = SERVICE_TYPE_HELP.map((t) => `${t.type} (${t.aliases.join(', ')}): ${t.meaning}`);

const CAPTURE_RULE =
  'svcbot never sets externalIPs, loadBalancerIP, clusterIP or status, whatever the flag: ' +
  'they would let a Service capture other traffic (CVE-2020-8554).';

const PORT_LINE =
  '--port PORT[:TARGETPORT]: clients connect to PORT; the pods receive the traffic on TARGETPORT, a number or the ' +
  'name of a container port (the same as PORT when left out). Add /UDP or /SCTP for other protocols than TCP. ' +
  'With more than one port, name each one: --port http=8080:80 --port https=8443:443.';

function flagHelp(key: FlagKey, description: string): { flag: string; description: string } {
  const spec: { name: string; short?: string; value?: string } = FLAGS[key];
  const long = `--${spec.name}${spec.value === undefined ? '' : ` ${spec.value}`}`;
  return { flag: spec.short === undefined ? long : `-${spec.short}, ${long}`, description };
}

const NAMESPACE = flagHelp('namespace', 'The namespace to act in (default: default).');
const CLUSTER = flagHelp('cluster', 'Which configured cluster (default: the first one).');
const TYPE = flagHelp('type', 'ClusterIP (default), NodePort or LoadBalancer; also cip, np, lb.');
const PORT = flagHelp(
  'port',
  'A port to open; repeat for more. PORT:TARGETPORT sends PORT to TARGETPORT on the pods; NAME= names it; /UDP or /SCTP sets the protocol.',
);
const DRY_RUN = flagHelp('dryRun', 'Show the Service that would be made, without making it.');

function entries(cmd: string): SubcommandHelp[] {
  const usage = (kind: CommandKind): string => usageLine(kind, cmd);
  const aliases = (kind: CommandKind): string[] => [...specOf(kind).aliases];
  return [
    {
      name: 'create',
      aliases: aliases('create'),
      usage: usage('create'),
      summary: 'Create a Service that sends traffic to the pods with the given labels.',
      details: [
        'NAME: the Service\'s name: lowercase letters, digits and "-", starting with a letter, at most 63 characters.',
        '--selector KEY=VALUE: the pods that get the traffic are those with all these labels. Separate pairs with ' +
          'commas or repeat --selector.',
        PORT_LINE,
        ...TYPE_LINES,
        CAPTURE_RULE,
      ],
      examples: [
        `${cmd} create alpine-service --selector app=alpine --port 8080:80`,
        `${cmd} create web --selector app=web,tier=frontend --port http=80:8080 --port https=443:8443`,
        `${cmd} create api --selector app=api --port 80:http`,
        `${cmd} create dns --selector app=coredns --port dns=53/udp --port dns-tcp=53/tcp`,
        `${cmd} create alpine-service --selector app=alpine --port 8080:80 --type lb --dry-run`,
        `${cmd} create alpine-service --selector app=alpine --port 80 -n staging --cluster prod-eu`,
      ],
      flags: [
        flagHelp('selector', 'Labels of the pods that get the traffic (required); repeatable.'),
        { ...PORT, description: `${PORT.description} Required.` },
        TYPE,
        NAMESPACE,
        CLUSTER,
        DRY_RUN,
      ],
    },
    {
      name: 'expose',
      aliases: aliases('expose'),
      usage: usage('expose'),
      summary: "Create a Service for a deployment's pods, using the deployment's own selector.",
      details: [
        'deployment/NAME (also deploy/NAME, deployments/NAME): the deployment whose pods get the traffic. ' +
          'Only deployments can be exposed.',
        "--name SERVICE: the Service's name (default: the deployment's name).",
        PORT_LINE,
        ...TYPE_LINES,
        CAPTURE_RULE,
      ],
      examples: [
        `${cmd} expose deployment/alpine --port 8080:80`,
        `${cmd} expose deploy/web --port http=80:8080 --port https=443:8443 --name web-public --type lb`,
        `${cmd} expose deployment/api --port 80:http -n staging --dry-run`,
      ],
      flags: [
        { ...PORT, description: `${PORT.description} Required.` },
        TYPE,
        flagHelp('name', "The Service's name (default: the deployment's name)."),
        NAMESPACE,
        CLUSTER,
        DRY_RUN,
      ],
    },
    {
      name: 'list',
      aliases: aliases('list'),
      usage: usage('list'),
      summary: 'List the Services in a namespace, or in all of them.',
      details: ['-n NAMESPACE and -A do not go together.', ...TYPE_LINES],
      examples: [`${cmd} list`, `${cmd} ls -n staging`, `${cmd} list -A --type lb`, `${cmd} get --cluster prod-eu`],
      flags: [
        NAMESPACE,
        flagHelp('allNamespaces', 'List the Services of every namespace.'),
        { ...TYPE, description: 'Only Services of this type.' },
        CLUSTER,
      ],
    },
    {
      name: 'describe',
      aliases: aliases('describe'),
      usage: usage('describe'),
      summary: 'Show one Service: its type, ports, selector and where it can be reached.',
      details: [],
      examples: [`${cmd} describe alpine-service`, `${cmd} show alpine-service -n staging`],
      flags: [NAMESPACE, CLUSTER],
    },
    {
      name: 'type',
      aliases: aliases('type'),
      usage: usage('type'),
      summary: "Change a Service's type.",
      details: [
        ...TYPE_LINES,
        'Changing to LoadBalancer creates the AWS load balancer; changing away from it deletes it.',
      ],
      examples: [`${cmd} type alpine-service loadbalancer`, `${cmd} type alpine-service np -n staging`],
      flags: [NAMESPACE, CLUSTER],
    },
    {
      name: 'delete',
      aliases: aliases('delete'),
      usage: usage('delete'),
      summary: 'Delete a Service (and its AWS load balancer, if it has one).',
      details: ['One Service at a time.'],
      examples: [`${cmd} delete alpine-service`, `${cmd} rm alpine-service -n staging --cluster prod-eu`],
      flags: [NAMESPACE, CLUSTER],
    },
    {
      name: 'jobs',
      aliases: aliases('jobs'),
      usage: usage('jobs'),
      summary: 'List load-balancer jobs: queued, running, waiting, failed and recently finished.',
      details: [
        'Creating, changing or deleting a LoadBalancer Service is a job that follows AWS until the load balancer ' +
          'answers (or is gone); this lists the cluster\'s jobs with their IDs, step and age. Finished jobs stay listed for a day.',
      ],
      examples: [`${cmd} jobs`, `${cmd} jobs -n staging`],
      flags: [NAMESPACE, CLUSTER],
    },
    {
      name: 'cancel',
      aliases: aliases('cancel'),
      usage: usage('cancel'),
      summary: 'Cancel a load-balancer job that has not finished; the cluster is left as it is.',
      details: [
        `JOB: the job's ID, as ${cmd} jobs shows it (OPERATION.CLUSTER.NAMESPACE.NAME).`,
        `Cancelling stops svcbot following the change; it does not undo it. ${cmd} delete or ${cmd} type does that.`,
      ],
      examples: [`${cmd} cancel provision.prod.default.alpine-service`],
      flags: [],
    },
    {
      name: 'approvals',
      aliases: aliases('approvals'),
      usage: usage('approvals'),
      summary: 'List the approval requests still waiting for a decision.',
      details: [
        'Changes that cost money or destroy something wait for a second person: by default creating a load balancer ' +
          '(create or expose with --type loadbalancer, type … loadbalancer) and deleting a LoadBalancer or NodePort Service.',
        'Each request shows its ID, what it would do, who asked and when it expires. Approvers decide with the ' +
          `buttons on the request or with ${cmd} approve / ${cmd} reject; whoever asked can take it back with ${cmd} withdraw.`,
      ],
      examples: [`${cmd} approvals`, `${cmd} approvals --cluster prod-eu`],
      flags: [{ ...CLUSTER, description: 'Only the requests for this cluster.' }],
    },
    {
      name: 'approve',
      aliases: aliases('approve'),
      usage: usage('approve'),
      summary: 'Approve a waiting request: the change runs at once, as the person who asked.',
      details: [
        `REQUEST: the request's ID (8 characters), as its message and ${cmd} approvals show it.`,
        'Nobody approves their own request (four eyes) unless svcbot is set up to allow it; where approvers are ' +
          'configured, only they may. If the Service changed since the request, nothing runs: ask again.',
      ],
      examples: [`${cmd} approve 3f9c2a1b`],
      flags: [],
    },
    {
      name: 'reject',
      aliases: aliases('reject'),
      usage: usage('reject'),
      summary: 'Reject a waiting request, with a reason if you like; the person who asked is told.',
      details: [`REQUEST: the request's ID. REASON: the rest of the line (at most 500 characters).`],
      examples: [`${cmd} reject 3f9c2a1b`, `${cmd} reject 3f9c2a1b use the staging cluster for load tests`],
      flags: [],
    },
    {
      name: 'withdraw',
      aliases: aliases('withdraw'),
      usage: usage('withdraw'),
      summary: 'Take back a request you made that is still waiting.',
      details: ['Only the person who asked can withdraw a request.'],
      examples: [`${cmd} withdraw 3f9c2a1b`],
      flags: [],
    },
    {
      name: 'audit',
      aliases: aliases('audit'),
      usage: usage('audit'),
      summary: 'Show the newest audit entries: changes, approvals, refusals and job outcomes, with who and when.',
      details: [
        `N: how many entries (default ${DEFAULT_AUDIT_ENTRIES}, at most ${MAX_AUDIT_ENTRIES}), newest first.`,
        '--user takes an @name or a Slack user ID.',
      ],
      examples: [`${cmd} audit`, `${cmd} audit 50 --service web`, `${cmd} audit --user @jane`],
      flags: [
        flagHelp('service', 'Only entries about Services of this name.'),
        flagHelp('user', 'Only what this person did.'),
      ],
    },
    {
      name: 'orphans',
      aliases: aliases('orphans'),
      usage: usage('orphans'),
      summary: 'Report the load balancers that outlived their Service or cluster, and what they cost.',
      details: [
        'svcbot lists every load balancer (classic, NLB, ALB) of the configured regions and judges each by its tags: ' +
          'an orphan belongs to a configured cluster whose Service is gone, is no longer of type LoadBalancer, or was ' +
          'recreated with another load balancer. Load balancers of clusters svcbot does not know are listed apart; ' +
          'those with no cluster tag are only counted; those tagged `shared` are never offered for deletion.',
        'Load balancers younger than the grace period (ORPHAN_GRACE, 30 min) or with a svcbot job running are left out: ' +
          'they are being made or torn down. A region or cluster that cannot be reached is named, never judged.',
        'Costs are estimates from list prices (configurable); traffic is billed on top. Idle load balancers (nothing ' +
          'in service behind them) are listed with the Service they serve.',
        `Each orphan has Delete (asks for approval), Snooze 7 days and Ignore buttons; ${cmd} orphan does the same by name.`,
      ],
      examples: [`${cmd} orphans`, `${cmd} orphans --cluster prod-eu`, `${cmd} orphans --region eu-west-1 --all`, `${cmd} orphans --ignored`],
      flags: [
        { ...CLUSTER, description: 'Only the load balancers of this cluster.' },
        flagHelp('region', 'Only this AWS region (one of ORPHAN_REGIONS).'),
        flagHelp('all', 'Also list the load balancers that are not orphans: Ingresses\', settling and unknown ones.'),
        flagHelp('ignored', 'List the ignored load balancers instead, with who ignored them and why.'),
        flagHelp('page', 'Show this page of a long report (the "Show more" button does it).'),
      ],
    },
    {
      name: 'orphan',
      aliases: aliases('orphan'),
      usage: usage('orphan'),
      summary: 'Delete, snooze, ignore or un-ignore one orphaned load balancer.',
      details: [
        'LOADBALANCER: REGION/NAME (us-east-1/a1b2c3…), or the ARN of an NLB or ALB, as the report shows it.',
        'delete: asks for approval; once approved, svcbot records the load balancer\'s full description in the audit ' +
          'log (listeners, health check, instances or targets, tags, security groups) so that it could be recreated, ' +
          'deletes it, and checks until AWS no longer lists it.',
        'snooze: leaves it out of reports for 7 days. ignore REASON: leaves it out until un-ignored; the reason is kept ' +
          `with your name. unignore: takes it back into reports (${cmd} orphans --ignored lists the ignored ones).`,
        'Only orphans are acted on: never a load balancer in use, tagged `shared`, or without a cluster tag.',
      ],
      examples: [
        `${cmd} orphan delete us-east-1/a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6`,
        `${cmd} orphan snooze us-east-1/a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6`,
        `${cmd} orphan ignore us-east-1/legacy-api kept for the March migration`,
        `${cmd} orphan unignore us-east-1/legacy-api`,
      ],
      flags: [],
    },
    {
      name: 'allow',
      aliases: aliases('allow'),
      usage: usage('allow'),
      summary: 'Open a Service to a range of addresses for a while; svcbot closes it again by itself.',
      details: [
        'NodePort Service: opens each of its node ports in the nodes\' security group. LoadBalancer Service: opens its ' +
          'load balancer\'s listener ports in the load balancer\'s own security group. A ClusterIP Service has no ' +
          'address outside the cluster: there is nothing to open.',
        '--from CIDR: who may connect, as a network (203.0.113.0/24) or one address (/32, /128 for IPv6). ' +
          'Everyone (0.0.0.0/0, ::/0) is refused unless the policy allows it (policy.allow.worldOpen).',
        '--for DURATION: how long it stays open (30m, 2h, 1h30m, 1d; default 2h, at most the policy\'s ' +
          'policy.allow.maxDuration, 24h unless configured). It needs approval unless the policy says otherwise; ' +
          'the clock starts when it is opened.',
        'When the time is up, svcbot revokes the rule and says so in the thread. A rule that was already there ' +
          '(opened by hand, or by another grant) is never revoked by a grant that did not make it.',
        `${cmd} allow --list: the openings in force (who, which group, ports, range, until when, ID). ` +
          `${cmd} allow --revoke ID: close one now.`,
      ],
      examples: [
        `${cmd} allow web --from 203.0.113.0/24`,
        `${cmd} allow web --from 198.51.100.7/32 --for 30m -n shop`,
        `${cmd} allow --list`,
        `${cmd} allow --revoke 1a2b3c4d`,
      ],
      flags: [
        flagHelp('from', 'The addresses that may connect: a network like 203.0.113.0/24, or one address with /32 (/128).'),
        flagHelp('for', 'How long it stays open: 30m, 2h, 1d (default 2h).'),
        flagHelp('list', 'List the openings in force instead.'),
        flagHelp('revoke', 'Close the opening with this ID now (as --list shows it).'),
        NAMESPACE,
        CLUSTER,
      ],
    },
    {
      name: 'help',
      aliases: aliases('help'),
      usage: usage('help'),
      summary: 'Show this overview, or the help of one subcommand.',
      details: [`Also: ${cmd} with no text, --help or -h anywhere, ${cmd} SUBCOMMAND --help.`],
      examples: [`${cmd} help`, `${cmd} help create`, `${cmd} create --help`],
      flags: [],
    },
  ];
}

/**
 * The help on a topic (a subcommand or alias, case-insensitive), or the overview of all subcommands.
 * @throws UsageError with the closest subcommand for an unknown topic.
 */
export function helpFor(
  topic: string | undefined,
  commandName: string,
): { overview: SubcommandHelp[] } | { subcommand: SubcommandHelp } {
  const all = entries(commandName);
  if (topic === undefined) return { overview: all };
  const kind = findSubcommand(topic)?.kind;
  const entry = all.find((e) => e.name === kind);
  if (entry === undefined) throw unknownSubcommand(topic, commandName, true);
  return { subcommand: entry };
}

/** The usage line of a subcommand (name or alias), or the general usage line for anything else. */
export function usageOf(kind: string, commandName: string): string {
  return usageLine(kind, commandName);
}


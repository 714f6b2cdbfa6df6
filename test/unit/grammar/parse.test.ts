import type { Command } from '../../../src/domain/command.js';
import { UsageError } from '../../../src/domain/errors.js';
import { MAX_COMMAND_LENGTH, parseCommand } from '../../../src/domain/grammar/index.js';

/** The usage lines, spelled out here so that a change to them is a visible change to the tests. */
const USAGE = {
  overview: '/svc create|expose|list|describe|type|delete|jobs|cancel|approvals|approve|reject|withdraw|audit|orphans|orphan|allow|help … (/svc help SUBCOMMAND for details)',
  create:
    '/svc create NAME --selector KEY=VALUE[,KEY=VALUE…] --port [NAME=]PORT[:TARGETPORT][/PROTOCOL] [--port …] ' +
    '[--type clusterip|nodeport|loadbalancer] [-n NAMESPACE] [--cluster CLUSTER] [--dry-run]',
  expose:
    '/svc expose deployment/NAME --port [NAME=]PORT[:TARGETPORT][/PROTOCOL] [--port …] [--type clusterip|nodeport|loadbalancer] ' +
    '[--name SERVICE] [-n NAMESPACE] [--cluster CLUSTER] [--dry-run]',
  list: '/svc list [-n NAMESPACE | -A] [--type clusterip|nodeport|loadbalancer] [--cluster CLUSTER]',
  describe: '/svc describe NAME [-n NAMESPACE] [--cluster CLUSTER]',
  type: '/svc type NAME clusterip|nodeport|loadbalancer [-n NAMESPACE] [--cluster CLUSTER]',
  delete: '/svc delete NAME [-n NAMESPACE] [--cluster CLUSTER]',
  jobs: '/svc jobs [-n NAMESPACE] [--cluster CLUSTER]',
  cancel: '/svc cancel JOB',
  approvals: '/svc approvals [--cluster CLUSTER]',
  approve: '/svc approve REQUEST',
  reject: '/svc reject REQUEST [REASON…]',
  withdraw: '/svc withdraw REQUEST',
  audit: '/svc audit [N] [--service NAME] [--user @USER]',
  orphans: '/svc orphans [--cluster CLUSTER] [--region REGION] [--all] [--ignored] [--page N]',
  orphan: '/svc orphan delete|snooze|ignore|unignore LOADBALANCER [REASON…]',
  help: '/svc help [SUBCOMMAND]',
} as const;
type UsageKey = keyof typeof USAGE;

interface Failure {
  problem: string;
  usage: string | undefined;
  suggestion: string | undefined;
}

function failureOf(text: string, opts?: { commandName?: string }): Failure {
  try {
    parseCommand(text, opts);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    expect(err.code).toBe('usage');
    expect(err.userMessage).toBe(err.problem);
    return { problem: err.problem, usage: err.usage, suggestion: err.suggestion };
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

const DEFAULT = { namespace: 'default' };
const CLASSIC: Command = {
  kind: 'create',
  name: 'alpine-service',
  selector: { app: 'alpine' },
  ports: [{ port: 8080, targetPort: 80, protocol: 'TCP' }],
  type: 'ClusterIP',
  scope: DEFAULT,
  dryRun: false,
};
const CLASSIC_TEXT = 'create alpine-service --selector app=alpine --port 8080:80';

function create(overrides: Partial<Extract<Command, { kind: 'create' }>>): Command {
  return { ...CLASSIC, ...overrides } as Command;
}

describe('create', () => {
  test.each<[string, Command]>([
    [CLASSIC_TEXT, CLASSIC],
    ['create alpine-service --selector=app=alpine --port=8080:80', CLASSIC],
    ['create --selector app=alpine --port 8080:80 alpine-service', CLASSIC], // positional anywhere
    ['CREATE alpine-service --selector app=alpine --port 8080:80', CLASSIC],
    ['Create alpine-service --selector app=alpine --port 8080:80', CLASSIC],
    [`/svc ${CLASSIC_TEXT}`, CLASSIC], // the command name in front is tolerated
    [`svc ${CLASSIC_TEXT}`, CLASSIC],
    [`/SVC ${CLASSIC_TEXT}`, CLASSIC],
    [`  ${CLASSIC_TEXT}  `, CLASSIC],
    [`${CLASSIC_TEXT} -n staging`, create({ scope: { namespace: 'staging' } })],
    [`${CLASSIC_TEXT} -n=staging`, create({ scope: { namespace: 'staging' } })],
    [`${CLASSIC_TEXT} --namespace staging`, create({ scope: { namespace: 'staging' } })],
    [`${CLASSIC_TEXT} --namespace=staging`, create({ scope: { namespace: 'staging' } })],
    [`${CLASSIC_TEXT} --n staging`, create({ scope: { namespace: 'staging' } })], // "–n" after autocorrect
    [`${CLASSIC_TEXT} --cluster prod-eu`, create({ scope: { namespace: 'default', cluster: 'prod-eu' } })],
    [`${CLASSIC_TEXT} --cluster=prod-eu -n x`, create({ scope: { namespace: 'x', cluster: 'prod-eu' } })],
    [`${CLASSIC_TEXT} --type lb`, create({ type: 'LoadBalancer' })],
    [`${CLASSIC_TEXT} --type=NodePort`, create({ type: 'NodePort' })],
    [`${CLASSIC_TEXT} --type cluster-ip`, create({ type: 'ClusterIP' })],
    [`${CLASSIC_TEXT} --dry-run`, create({ dryRun: true })],
    [`${CLASSIC_TEXT} --dry-run=true`, create({ dryRun: true })],
    [`${CLASSIC_TEXT} --dry-run=TRUE`, create({ dryRun: true })],
    [`${CLASSIC_TEXT} --dry-run=false`, create({ dryRun: false })],
    [`--dry-run -n dev ${CLASSIC_TEXT}`, create({ dryRun: true, scope: { namespace: 'dev' } })], // flags before the subcommand
    [`--type=lb ${CLASSIC_TEXT}`, create({ type: 'LoadBalancer' })],
    [
      'create web --selector app=web,tier=frontend --port http=80:8080 --port https=443:8443',
      create({
        name: 'web',
        selector: { app: 'web', tier: 'frontend' },
        ports: [
          { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
          { name: 'https', port: 443, targetPort: 8443, protocol: 'TCP' },
        ],
      }),
    ],
    [
      'create web --selector app=web --selector tier=frontend --selector app=web --port 80',
      create({ name: 'web', selector: { app: 'web', tier: 'frontend' }, ports: [{ port: 80, protocol: 'TCP' }] }),
    ],
    [
      'create web --selector "app=web, tier=frontend" --port 80',
      create({ name: 'web', selector: { app: 'web', tier: 'frontend' }, ports: [{ port: 80, protocol: 'TCP' }] }),
    ],
    [
      'create api --selector app.kubernetes.io/name=api --port 80:http',
      create({
        name: 'api',
        selector: { 'app.kubernetes.io/name': 'api' },
        ports: [{ port: 80, targetPort: 'http', protocol: 'TCP' }],
      }),
    ],
    [
      'create dns --selector app=coredns --port dns=53/udp --port dns-tcp=53/tcp',
      create({
        name: 'dns',
        selector: { app: 'coredns' },
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, protocol: 'TCP' },
        ],
      }),
    ],
  ])('%s', (text, expected) => {
    expect(parseCommand(text)).toStrictEqual(expected);
  });

  test('a custom command name is tolerated in front and used in usage lines', () => {
    expect(parseCommand(`/kube ${CLASSIC_TEXT}`, { commandName: '/kube' })).toStrictEqual(CLASSIC);
    expect(parseCommand(`kube ${CLASSIC_TEXT}`, { commandName: '/kube' })).toStrictEqual(CLASSIC);
    expect(failureOf('create', { commandName: '/kube' }).usage).toBe(USAGE.create.replace('/svc', '/kube'));
  });

  test('a bare command name that is also a subcommand is the subcommand', () => {
    expect(parseCommand('list', { commandName: '/list' })).toStrictEqual({
      kind: 'list',
      scope: DEFAULT,
      allNamespaces: false,
    });
  });
});

describe('Slack text quirks', () => {
  test.each<[string, Command]>([
    ['create alpine-service \u2014selector app=alpine \u2014port 8080:80', CLASSIC], // em dash
    ['create alpine-service \u2013selector app=alpine \u2013port=8080:80', CLASSIC], // en dash
    ['create \u201calpine-service\u201d --selector \u2018app=alpine\u2019 --port "8080:80"', CLASSIC], // smart and straight quotes
    ["create 'alpine-service' --selector=\"app=alpine\" --port=\u201c8080:80\u201d", CLASSIC],
    ['create\u00a0alpine-service\u00a0--selector app=alpine  \t --port\n8080:80', CLASSIC], // odd whitespace
    ['create alpine\u200b-service --selector app=alpine --port 8080:80', CLASSIC], // zero-width space
    ['create alpine\u2011service --selector app=alpine --port 8080:80', CLASSIC], // non-breaking hyphen
    [`${CLASSIC_TEXT} \u2013n staging`, create({ scope: { namespace: 'staging' } })], // "–n": "-n" autocorrected
    [`${CLASSIC_TEXT} \u2014dry-run`, create({ dryRun: true })],
    [`${CLASSIC_TEXT} ---dry-run`, create({ dryRun: true })], // "—-" typed on a phone
  ])('%j', (text, expected) => {
    expect(parseCommand(text)).toStrictEqual(expected);
  });

  test.each<[string, Failure]>([
    [
      'create &lt;@U123&gt; --selector app=alpine --port 80',
      {
        problem:
          '"<@U123>" is not a valid Service name (Slack sent it as a mention): use lowercase letters, digits and "-", starting with a letter, at most 63 characters',
        usage: USAGE.create,
        suggestion: undefined,
      },
    ],
    [
      'create <@U123|bob> --selector app=alpine --port 80',
      {
        problem:
          '"<@U123|bob>" is not a valid Service name (Slack sent it as a mention): use lowercase letters, digits and "-", starting with a letter, at most 63 characters',
        usage: USAGE.create,
        suggestion: undefined,
      },
    ],
    [
      'delete web -n <http://staging.io|staging.io>',
      {
        problem:
          '"<http://staging.io|staging.io>" is not a valid namespace (Slack sent it as a link): use lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters',
        usage: USAGE.delete,
        suggestion: undefined,
      },
    ],
    [
      'list --cluster <#C024BE7LR|general>',
      {
        problem:
          '"<#C024BE7LR|general>" is not a valid cluster name (Slack sent it as a mention): use lowercase letters, digits and "-", starting and ending with a letter or digit',
        usage: USAGE.list,
        suggestion: undefined,
      },
    ],
    [
      'create web --selector app=<http://web.io|web.io> --port 80',
      {
        problem:
          '"<http://web.io|web.io>" is not a valid label value for "app" (Slack sent it as a link): use at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit, or leave it empty',
        usage: USAGE.create,
        suggestion: undefined,
      },
    ],
    [
      '<!here> list',
      {
        problem:
          '"<!here>" (Slack sent it as a mention) is not a subcommand: use one of create, expose, list, describe, type, delete, jobs, cancel, approvals, approve, reject, withdraw, audit, orphans, orphan, allow, help',
        usage: USAGE.overview,
        suggestion: undefined,
      },
    ],
    [
      'create web --selector app=a&amp;b --port 80',
      {
        problem:
          '"a&b" is not a valid label value for "app": use at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit, or leave it empty',
        usage: USAGE.create,
        suggestion: undefined,
      },
    ],
  ])('%j is refused', (text, expected) => {
    expect(failureOf(text)).toEqual(expected);
  });
});

describe('expose', () => {
  const EXPOSE: Command = {
    kind: 'expose',
    deployment: 'alpine',
    ports: [{ port: 8080, targetPort: 80, protocol: 'TCP' }],
    type: 'ClusterIP',
    scope: DEFAULT,
    dryRun: false,
  };
  test.each<[string, Command]>([
    ['expose deployment/alpine --port 8080:80', EXPOSE],
    ['expose deploy/alpine --port 8080:80', EXPOSE],
    ['expose deployments/alpine --port 8080:80', EXPOSE],
    ['expose Deployment/alpine --port 8080:80', EXPOSE],
    ['expose deployment.apps/alpine --port 8080:80', EXPOSE],
    ['expose deployments.apps/alpine --port=8080:80', EXPOSE],
    ['expose deployment alpine --port 8080:80', EXPOSE], // kubectl's TYPE NAME form
    ['EXPOSE deploy alpine --port 8080:80', EXPOSE],
    ['expose deployment/alpine --port 8080:80 --name alpine-service', { ...EXPOSE, name: 'alpine-service' }],
    ['expose deployment/alpine --port 8080:80 --name=alpine-service', { ...EXPOSE, name: 'alpine-service' }],
    ['expose deployment/my.app --port 8080:80 --name my-app', { ...EXPOSE, deployment: 'my.app', name: 'my-app' }],
    [
      'expose deployment/alpine --port 8080:80 --type lb --dry-run -n web --cluster prod',
      { ...EXPOSE, type: 'LoadBalancer', dryRun: true, scope: { namespace: 'web', cluster: 'prod' } },
    ],
    [
      'expose deployment/alpine --port http=80 --port https=443/tcp',
      {
        ...EXPOSE,
        ports: [
          { name: 'http', port: 80, protocol: 'TCP' },
          { name: 'https', port: 443, protocol: 'TCP' },
        ],
      },
    ],
  ])('%s', (text, expected) => {
    expect(parseCommand(text)).toStrictEqual(expected);
  });
});

describe('type, delete, describe, list, jobs, cancel', () => {
  test.each<[string, Command]>([
    ['type web lb', { kind: 'type', name: 'web', type: 'LoadBalancer', scope: DEFAULT }],
    ['type web clusterip', { kind: 'type', name: 'web', type: 'ClusterIP', scope: DEFAULT }],
    ['type web ClusterIP', { kind: 'type', name: 'web', type: 'ClusterIP', scope: DEFAULT }],
    ['type web cluster-ip', { kind: 'type', name: 'web', type: 'ClusterIP', scope: DEFAULT }],
    ['type web cip', { kind: 'type', name: 'web', type: 'ClusterIP', scope: DEFAULT }],
    ['type web NodePort', { kind: 'type', name: 'web', type: 'NodePort', scope: DEFAULT }],
    ['type web nodeport', { kind: 'type', name: 'web', type: 'NodePort', scope: DEFAULT }],
    ['type web np', { kind: 'type', name: 'web', type: 'NodePort', scope: DEFAULT }],
    ['type web LoadBalancer', { kind: 'type', name: 'web', type: 'LoadBalancer', scope: DEFAULT }],
    ['type web loadbalancer', { kind: 'type', name: 'web', type: 'LoadBalancer', scope: DEFAULT }],
    ['type web LB -n x --cluster c', { kind: 'type', name: 'web', type: 'LoadBalancer', scope: { namespace: 'x', cluster: 'c' } }],
    ['TYPE web np', { kind: 'type', name: 'web', type: 'NodePort', scope: DEFAULT }],
    ['delete web', { kind: 'delete', name: 'web', scope: DEFAULT }],
    ['rm web', { kind: 'delete', name: 'web', scope: DEFAULT }],
    ['del web', { kind: 'delete', name: 'web', scope: DEFAULT }],
    ['DEL web -n=x', { kind: 'delete', name: 'web', scope: { namespace: 'x' } }],
    ['delete web --namespace x --cluster=c', { kind: 'delete', name: 'web', scope: { namespace: 'x', cluster: 'c' } }],
    ['describe web', { kind: 'describe', name: 'web', scope: DEFAULT }],
    ['show web', { kind: 'describe', name: 'web', scope: DEFAULT }],
    ['Show web --namespace=x', { kind: 'describe', name: 'web', scope: { namespace: 'x' } }],
    ['list', { kind: 'list', scope: DEFAULT, allNamespaces: false }],
    ['ls', { kind: 'list', scope: DEFAULT, allNamespaces: false }],
    ['get', { kind: 'list', scope: DEFAULT, allNamespaces: false }],
    ['LS -n x', { kind: 'list', scope: { namespace: 'x' }, allNamespaces: false }],
    ['list -A', { kind: 'list', scope: DEFAULT, allNamespaces: true }],
    ['list --all-namespaces', { kind: 'list', scope: DEFAULT, allNamespaces: true }],
    ['list --all-namespaces=false', { kind: 'list', scope: DEFAULT, allNamespaces: false }],
    ['list --type lb', { kind: 'list', scope: DEFAULT, allNamespaces: false, type: 'LoadBalancer' }],
    ['list -A --type=np --cluster c', { kind: 'list', scope: { namespace: 'default', cluster: 'c' }, allNamespaces: true, type: 'NodePort' }],
    ['-A list', { kind: 'list', scope: DEFAULT, allNamespaces: true }],
    ['-n dev ls', { kind: 'list', scope: { namespace: 'dev' }, allNamespaces: false }],
    ['jobs', { kind: 'jobs', scope: DEFAULT }],
    ['jobs -n x --cluster c', { kind: 'jobs', scope: { namespace: 'x', cluster: 'c' }, onlyNamespace: 'x' }],
    ['jobs --namespace default', { kind: 'jobs', scope: DEFAULT, onlyNamespace: 'default' }],
    ['cancel 42', { kind: 'cancel', jobId: '42' }],
    ['cancel repeat:lb-web:1', { kind: 'cancel', jobId: 'repeat:lb-web:1' }],
  ])('%s', (text, expected) => {
    expect(parseCommand(text)).toStrictEqual(expected);
  });
});

describe('approvals, approve, reject, withdraw, audit', () => {
  test.each<[string, Command]>([
    ['approvals', { kind: 'approvals' }],
    ['requests --cluster prod-eu', { kind: 'approvals', cluster: 'prod-eu' }],
    ['approve 3f9c2a1b', { kind: 'approve', id: '3f9c2a1b' }],
    ['approve 3F9C2A1B', { kind: 'approve', id: '3f9c2a1b' }],
    ['withdraw 3f9c2a1b', { kind: 'withdraw', id: '3f9c2a1b' }],
    ['reject 3f9c2a1b', { kind: 'reject', id: '3f9c2a1b' }],
    ['reject 3f9c2a1b use   staging instead', { kind: 'reject', id: '3f9c2a1b', reason: 'use staging instead' }],
    ['deny 3f9c2a1b "not now, <!channel> *really*"', { kind: 'reject', id: '3f9c2a1b', reason: 'not now, <!channel> *really*' }],
    ['audit', { kind: 'audit', limit: 20 }],
    ['audit 50 --service web', { kind: 'audit', limit: 50, service: 'web' }],
    ['log --user @Jane.Doe', { kind: 'audit', limit: 20, user: 'jane.doe' }],
    ['audit --user U0123ABCD', { kind: 'audit', limit: 20, user: 'U0123ABCD' }],
    ['audit --user <@U0123ABCD|jane>', { kind: 'audit', limit: 20, user: 'U0123ABCD' }],
    ['audit 200', { kind: 'audit', limit: 200 }],
  ])('%s', (text, expected) => {
    expect(parseCommand(text)).toStrictEqual(expected);
  });
});

describe('help', () => {
  test.each<[string, Command]>([
    ['', { kind: 'help' }],
    ['   ', { kind: 'help' }],
    ['/svc', { kind: 'help' }],
    ['help', { kind: 'help' }],
    ['HELP', { kind: 'help' }],
    ['--help', { kind: 'help' }],
    ['-h', { kind: 'help' }],
    ['\u2014help', { kind: 'help' }],
    ['-help', { kind: 'help' }],
    ['--HELP', { kind: 'help' }],
    ['delete web \u2013h', { kind: 'help', topic: 'delete' }], // "–h": "-h" autocorrected
    ['-n foo --help', { kind: 'help' }],
    ['help create', { kind: 'help', topic: 'create' }],
    ['help CREATE', { kind: 'help', topic: 'create' }],
    ['help ls', { kind: 'help', topic: 'list' }],
    ['help get', { kind: 'help', topic: 'list' }],
    ['help rm', { kind: 'help', topic: 'delete' }],
    ['help show', { kind: 'help', topic: 'describe' }],
    ['help jobs', { kind: 'help', topic: 'jobs' }],
    ['help cancel', { kind: 'help', topic: 'cancel' }],
    ['help help', { kind: 'help', topic: 'help' }],
    ['help --help', { kind: 'help' }],
    ['help create --help', { kind: 'help', topic: 'create' }],
    ['create --help', { kind: 'help', topic: 'create' }],
    ['create -h', { kind: 'help', topic: 'create' }],
    ['ls --help', { kind: 'help', topic: 'list' }],
    ['rm -h', { kind: 'help', topic: 'delete' }],
    ['cancel --help', { kind: 'help', topic: 'cancel' }],
    // --help wins over anything else wrong with the line
    ['create Bad_Name --port 99999 --external-ip 1.2.3.4 --frob --help', { kind: 'help', topic: 'create' }],
    ['--frob x list --help', { kind: 'help' }], // "x" is where the subcommand should be
    ['banana --help', { kind: 'help' }],
    ['--external-ips=1.2.3.4 -h', { kind: 'help' }],
  ])('%j', (text, expected) => {
    expect(parseCommand(text)).toStrictEqual(expected);
  });
});

const SUBCOMMAND_LIST = 'create, expose, list, describe, type, delete, jobs, cancel, approvals, approve, reject, withdraw, audit, orphans, orphan, allow, help';
const SERVICE_RULE = 'use lowercase letters, digits and "-", starting with a letter, at most 63 characters';

/** [text, problem, usage, suggestion] */
type Row = [string, string, UsageKey, string | undefined];

function refused(rows: Row[]): void {
  test.each(rows)('%j', (text, problem, usage, suggestion) => {
    expect(failureOf(text)).toEqual({ problem, usage: USAGE[usage], suggestion });
  });
}

describe('subcommand errors', () => {
  refused([
    ['crate web', `"crate" is not a subcommand: use one of ${SUBCOMMAND_LIST}`, 'overview', 'create'],
    ['lsit', `"lsit" is not a subcommand: use one of ${SUBCOMMAND_LIST}`, 'overview', 'list'],
    ['desc web', `"desc" is not a subcommand: use one of ${SUBCOMMAND_LIST}`, 'overview', 'describe'],
    ['shwo web', `"shwo" is not a subcommand: use one of ${SUBCOMMAND_LIST}`, 'overview', 'describe'],
    ['dele web', `"dele" is not a subcommand: use one of ${SUBCOMMAND_LIST}`, 'overview', 'delete'],
    ['exposee deployment/a', `"exposee" is not a subcommand: use one of ${SUBCOMMAND_LIST}`, 'overview', 'expose'],
    ['frobnicate', `"frobnicate" is not a subcommand: use one of ${SUBCOMMAND_LIST}`, 'overview', undefined],
    ['crate --help', `"crate" is not a subcommand: use one of ${SUBCOMMAND_LIST}`, 'overview', 'create'],
    ['-n foo', `missing a subcommand: start with one of ${SUBCOMMAND_LIST}`, 'overview', undefined],
    ['--dry-run', `missing a subcommand: start with one of ${SUBCOMMAND_LIST}`, 'overview', undefined],
    ['--frob list', 'unknown flag --frob', 'overview', '--from'],
    ['--namepsace x list', 'unknown flag --namepsace', 'overview', '--namespace'],
    [
      '--external-ip 1.2.3.4 create web',
      'svcbot never sets externalIPs: they let a Service capture other traffic (CVE-2020-8554)',
      'overview',
      undefined,
    ],
    ['help crate', `there is no help on "crate": ask about one of ${SUBCOMMAND_LIST}`, 'help', 'create'],
    ['help banana', `there is no help on "banana": ask about one of ${SUBCOMMAND_LIST}`, 'help', undefined],
    ['help create list', 'unexpected extra argument "list"', 'help', undefined],
    ['help -n x', '/svc help does not take -n', 'help', undefined],
  ]);

  test('overlong text is refused before parsing', () => {
    const text = `create web --selector app=web --port 80 ${'x'.repeat(MAX_COMMAND_LENGTH)}`;
    expect(failureOf(text)).toEqual({
      problem: `the command is too long (${text.length} characters, at most 4000)`,
      usage: USAGE.overview,
      suggestion: undefined,
    });
  });
});

describe('flag errors', () => {
  refused([
    // unknown flags, with the closest flag of that subcommand
    ['create web --slector app=a --port 80', 'unknown flag --slector', 'create', '--selector'],
    ['create web --selector app=a --prot 80', 'unknown flag --prot', 'create', '--port'],
    ['create web --selector app=a --port 80 --dryrun', 'unknown flag --dryrun', 'create', '--dry-run'],
    ['create web --selector app=a --port 80 --typ lb', 'unknown flag --typ', 'create', '--type'],
    ['create web --selector app=a --port 80 --namespce x', 'unknown flag --namespce', 'create', '--namespace'],
    ['create web --selector app=a --port 80 --clutser x', 'unknown flag --clutser', 'create', '--cluster'],
    ['create web --selector app=a --port 80 --Port 81', 'unknown flag --Port', 'create', '--port'],
    ['create web --selector app=a --port 80 -N x', 'unknown flag -N', 'create', '-n'],
    ['create web --selector app=a --port 80 --frobnicate', 'unknown flag --frobnicate', 'create', undefined],
    ['create web --selector app=a --port 80 -x', 'unknown flag -x', 'create', undefined],
    ['expose deployment/a --port 80 -name web', 'unknown flag -name', 'expose', '--name'],
    ['list -a', 'unknown flag -a', 'list', '-A'],
    ['list --all', '/svc list does not take --all', 'list', '--all-namespaces'],
    ['list -nkube-system', 'unknown flag -nkube-system', 'list', '-n kube-system'],
    ['delete web --namespac=x', 'unknown flag --namespac', 'delete', '--namespace'],
    // flags of other subcommands
    ['list --selector app=a', '/svc list does not take --selector', 'list', undefined],
    ['delete web --dry-run', '/svc delete does not take --dry-run', 'delete', undefined],
    ['describe web -A', '/svc describe does not take -A', 'describe', undefined],
    ['type web lb --type np', '/svc type does not take --type', 'type', undefined],
    ['cancel 42 -n x', '/svc cancel does not take -n', 'cancel', undefined],
    ['create web --selector app=a --port 80 --name x', '/svc create does not take --name', 'create', '--namespace'],
    [
      'expose deployment/a --selector app=a --port 80',
      "/svc expose does not take --selector: it uses the deployment's selector (to choose one, use /svc create)",
      'expose',
      undefined,
    ],
    // flags without a value
    ['create web --selector app=a --port', '--port needs a value: --port [NAME=]PORT[:TARGETPORT][/PROTOCOL]', 'create', undefined],
    ['create web --selector app=a --port --type lb', '--port needs a value: --port [NAME=]PORT[:TARGETPORT][/PROTOCOL]', 'create', undefined],
    ['create web --selector app=a --port=', '--port needs a value: --port [NAME=]PORT[:TARGETPORT][/PROTOCOL]', 'create', undefined],
    ['create web --port 80 --selector', '--selector needs a value: --selector KEY=VALUE[,KEY=VALUE…]', 'create', undefined],
    ['create web --port 80 --selector= ', '--selector needs a value: --selector KEY=VALUE[,KEY=VALUE…]', 'create', undefined],
    ['list -n', '-n needs a value: -n NAMESPACE', 'list', undefined],
    ['list -n=', '-n needs a value: -n NAMESPACE', 'list', undefined],
    ['list -n -A', '-n needs a value: -n NAMESPACE', 'list', undefined],
    ['list --namespace', '--namespace needs a value: --namespace NAMESPACE', 'list', undefined],
    ['list --cluster', '--cluster needs a value: --cluster CLUSTER', 'list', undefined],
    ['list --type', '--type needs a value: --type clusterip|nodeport|loadbalancer', 'list', undefined],
    ['expose deployment/a --port 80 --name', '--name needs a value: --name SERVICE', 'expose', undefined],
    // switches given a value
    [`${CLASSIC_TEXT} --dry-run=yes`, '--dry-run is an on/off switch: write --dry-run alone (or --dry-run=false)', 'create', undefined],
    ['list -A=all', '-A is an on/off switch: write -A alone (or -A=false)', 'list', undefined],
    // flags given twice
    ['list -n a -n b', '-n/--namespace is given twice ("a" and "b"): give it once', 'list', undefined],
    ['list -n a --namespace=a', '-n/--namespace is given twice ("a" and "a"): give it once', 'list', undefined],
    ['list --cluster a --cluster b', '--cluster is given twice ("a" and "b"): give it once', 'list', undefined],
    ['list --type lb --type np', '--type is given twice ("lb" and "np"): give it once', 'list', undefined],
    ['list -A --all-namespaces', '-A/--all-namespaces is given twice: give it once', 'list', undefined],
    [`${CLASSIC_TEXT} --dry-run --dry-run`, '--dry-run is given twice: give it once', 'create', undefined],
    [
      'expose deployment/a --port 80 --name a --name b',
      '--name is given twice ("a" and "b"): give it once',
      'expose',
      undefined,
    ],
    // -n with -A
    [
      'list -n a -A',
      "-n/--namespace and -A/--all-namespaces don't go together: use -n NAMESPACE for one namespace or -A for all",
      'list',
      undefined,
    ],
    [
      'list --all-namespaces --namespace=a',
      "-n/--namespace and -A/--all-namespaces don't go together: use -n NAMESPACE for one namespace or -A for all",
      'list',
      undefined,
    ],
    // a lone "--"
    ['list --', '"--" on its own is not a flag: write the flag\'s name right after the dashes, e.g. --port', 'list', undefined],
    ['list \u2014 -A', '"--" on its own is not a flag: write the flag\'s name right after the dashes, e.g. --port', 'list', undefined],
  ]);
});

describe('flags that would let a Service capture traffic are refused, by name', () => {
  const EXTERNAL_IPS = 'svcbot never sets externalIPs: they let a Service capture other traffic (CVE-2020-8554)';
  const LB_IP =
    'svcbot never sets loadBalancerIP: a chosen load-balancer address lets a Service capture other traffic (CVE-2020-8554)';
  const STATUS =
    "svcbot never sets a Service's status: a forged load-balancer address lets a Service capture other traffic (CVE-2020-8554)";
  const CLUSTER_IP =
    'svcbot never sets clusterIP: Kubernetes assigns it, and a chosen address could capture other traffic (CVE-2020-8554 class)';
  const EXTERNAL_NAME = "svcbot never sets externalName: it points a Service name at any host, past the cluster's own routing";
  const OVERRIDES =
    'svcbot never takes --overrides: raw Service fields (externalIPs, status) could let a Service capture other traffic (CVE-2020-8554)';

  const flags: [string, string][] = [
    ['--external-ip 1.2.3.4', EXTERNAL_IPS],
    ['--external-ips 1.2.3.4', EXTERNAL_IPS],
    ['--external-ips=1.2.3.4,5.6.7.8', EXTERNAL_IPS],
    ['--externalIPs 1.2.3.4', EXTERNAL_IPS],
    ['--externalIP=1.2.3.4', EXTERNAL_IPS],
    ['--external_ips 1.2.3.4', EXTERNAL_IPS],
    ['--EXTERNAL-IP 1.2.3.4', EXTERNAL_IPS],
    ['\u2014external-ip 1.2.3.4', EXTERNAL_IPS],
    ['--external-ip', EXTERNAL_IPS], // refused even without a value
    ['--load-balancer-ip 1.2.3.4', LB_IP],
    ['--loadBalancerIP=1.2.3.4', LB_IP],
    ['--status {}', STATUS],
    ['--status=ingress', STATUS],
    ['--cluster-ip 10.0.0.1', CLUSTER_IP],
    ['--clusterIP=None', CLUSTER_IP],
    ['--cluster-ips 10.0.0.1', CLUSTER_IP],
    ['--external-name evil.example.com', EXTERNAL_NAME],
    ['--overrides {"spec":{}}', OVERRIDES],
  ];
  const commands: [string, UsageKey][] = [
    [CLASSIC_TEXT, 'create'],
    ['expose deployment/web --port 80', 'expose'],
    ['type web lb', 'type'],
    ['list', 'list'],
    ['delete web', 'delete'],
    ['describe web', 'describe'],
    ['jobs', 'jobs'],
  ];
  test.each(flags)('%s', (flag, problem) => {
    for (const [command, usage] of commands) {
      expect(failureOf(`${command} ${flag}`)).toEqual({ problem, usage: USAGE[usage], suggestion: undefined });
    }
  });
});

describe('argument errors', () => {
  refused([
    ['create', 'missing the name of the Service to create', 'create', undefined],
    ['create --selector app=a --port 80', 'missing the name of the Service to create', 'create', undefined],
    ['create web app=a --port 80', 'unexpected extra argument "app=a": is it part of --selector?', 'create', '--selector app=a'],
    ['create web --selector app=a 8080:80', 'unexpected extra argument "8080:80": is it another --port?', 'create', '--port 8080:80'],
    [
      'create web --selector app=a --port http=80 https=443',
      'unexpected extra argument "https=443": is it another --port?',
      'create',
      '--port https=443',
    ],
    ['create web other --selector app=a --port 80', 'unexpected extra argument "other"', 'create', undefined],
    ['create Web --selector app=a --port 80', `"Web" is not a valid Service name: ${SERVICE_RULE}`, 'create', 'web'],
    ['create my_web --selector app=a --port 80', `"my_web" is not a valid Service name: ${SERVICE_RULE}`, 'create', 'my-web'],
    ['create 1web --selector app=a --port 80', `"1web" is not a valid Service name: ${SERVICE_RULE}`, 'create', undefined],
    ['create "" --selector app=a --port 80', `"" is not a valid Service name: ${SERVICE_RULE}`, 'create', undefined],
    [
      `create ${'a'.repeat(64)} --selector app=a --port 80`,
      `"${'a'.repeat(59)}…" is not a valid Service name: ${SERVICE_RULE} (it has 64)`,
      'create',
      undefined,
    ],
    [
      'create web',
      'missing --selector (which pods get the traffic) and --port (which port to open), e.g. --selector app=alpine --port 8080:80',
      'create',
      undefined,
    ],
    ['create web --port 80', 'missing --selector: which pods should get the traffic? e.g. --selector app=alpine', 'create', undefined],
    ['create web --selector app=a', 'missing --port: which port should the Service open? e.g. --port 8080:80', 'create', undefined],
    ['create web --selector app --port 80', '--selector "app" is not KEY=VALUE (e.g. --selector app=alpine)', 'create', undefined],
    [
      'create web --selector app=a --selector app=b --port 80',
      'selector key "app" is given twice with different values ("a" and "b"): a label has one value per pod',
      'create',
      undefined,
    ],
    ['create web --selector app=a --port 0', 'port 0 is out of range: use 1–65535', 'create', undefined],
    ['create web --selector app=a --port -1', '"-1" is not a port number: use 1–65535', 'create', undefined],
    ['create web --selector app=a --port 80:99999', 'target port 99999 is out of range: use 1–65535', 'create', undefined],
    ['create web --selector app=a --port 80/icmp', '"icmp" is not a protocol: use TCP, UDP or SCTP', 'create', undefined],
    [
      'create web --selector app=a --port 80 --port 443',
      'with more than one port, every port needs a name, like this: --port http=80 --port https=443',
      'create',
      undefined,
    ],
    [
      'create web --selector app=a --port 8080:80 --port 8443:443',
      'with more than one port, every port needs a name, like this: --port http=8080:80 --port https=8443:443',
      'create',
      undefined,
    ],
    [
      'create web --selector app=a --port a=80 --port b=80',
      'port 80/TCP is given twice: each port number must be different (per protocol)',
      'create',
      undefined,
    ],
    ['create web --selector app=a --port a=80 --port a=81', 'port name "a" is used twice: give each port its own name', 'create', undefined],
    [
      'create web --selector app=a --port 80,443',
      '--port "80,443" holds several ports: give each port its own --port',
      'create',
      '--port 80 --port 443',
    ],
    [
      'create web --selector app=a --port 80 --type public',
      '"public" is not a Service type: use clusterip, nodeport or loadbalancer',
      'create',
      undefined,
    ],
    [
      'create web --selector app=a --port 80 --type lbb',
      '"lbb" is not a Service type: use clusterip, nodeport or loadbalancer',
      'create',
      'lb',
    ],
    [
      'create web --selector app=a --port 80 --type ExternalName',
      "svcbot never makes ExternalName Services: they send a name to any host you like, past the cluster's own routing; use clusterip, nodeport or loadbalancer",
      'create',
      undefined,
    ],
    [
      'create web --selector app=a --port 80 -n Kube_System',
      '"Kube_System" is not a valid namespace: use lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters',
      'create',
      'kube-system',
    ],
    [
      'create web --selector app=a --port 80 --cluster Prod',
      '"Prod" is not a valid cluster name: use lowercase letters, digits and "-", starting and ending with a letter or digit',
      'create',
      'prod',
    ],
    // expose
    ['expose', 'missing the deployment to expose: deployment/NAME', 'expose', undefined],
    ['expose --port 80', 'missing the deployment to expose: deployment/NAME', 'expose', undefined],
    ['expose pod/web --port 80', 'only deployments can be exposed: deployment/NAME', 'expose', 'deployment/web'],
    ['expose svc/web --port 80', 'only deployments can be exposed: deployment/NAME', 'expose', 'deployment/web'],
    ['expose statefulset/db --port 80', 'only deployments can be exposed: deployment/NAME', 'expose', 'deployment/db'],
    ['expose web --port 80', 'only deployments can be exposed: deployment/NAME', 'expose', 'deployment/web'],
    ['expose pod/Web_1 --port 80', 'only deployments can be exposed: deployment/NAME', 'expose', undefined],
    ['expose Web --port 80', 'only deployments can be exposed: deployment/NAME', 'expose', undefined],
    ['expose deployment/ --port 80', 'missing the deployment\'s name after "deployment/"', 'expose', undefined],
    ['expose deployment --port 80', "missing the deployment's name: deployment/NAME", 'expose', undefined],
    ['expose deploy --port 80', "missing the deployment's name: deploy/NAME", 'expose', undefined],
    ['expose deployment/web extra --port 80', 'unexpected extra argument "extra"', 'expose', undefined],
    ['expose deployment web extra --port 80', 'unexpected extra argument "extra"', 'expose', undefined],
    ['expose deployment/web 443 --port 80', 'unexpected extra argument "443": is it another --port?', 'expose', '--port 443'],
    [
      'expose deployment/Web --port 80',
      '"Web" is not a valid deployment name: use lowercase letters, digits, "-" and ".", starting and ending with a letter or digit, at most 253 characters',
      'expose',
      undefined,
    ],
    [
      'expose deployment/my.app --port 80',
      `the deployment's name "my.app" can't be the Service's name (${SERVICE_RULE}): give the Service a name with --name`,
      'expose',
      '--name my-app',
    ],
    [
      'expose deployment/1web --port 80',
      `the deployment's name "1web" can't be the Service's name (${SERVICE_RULE}): give the Service a name with --name`,
      'expose',
      '--name web',
    ],
    ['expose deployment/web', 'missing --port: which port should the Service open? e.g. --port 8080:80', 'expose', undefined],
    ['expose deployment/web --port 80 --name Web', `"Web" is not a valid Service name: ${SERVICE_RULE}`, 'expose', 'web'],
    [
      'expose deployment/web --port 80 --port 81',
      'with more than one port, every port needs a name, like this: --port http=80 --port port-81=81',
      'expose',
      undefined,
    ],
    // type
    ['type', 'missing the Service name and its new type (clusterip, nodeport or loadbalancer)', 'type', undefined],
    ['type web', 'missing the new type: clusterip, nodeport or loadbalancer', 'type', undefined],
    ['type web lb extra', 'unexpected extra argument "extra"', 'type', undefined],
    ['type Web lb', `"Web" is not a valid Service name: ${SERVICE_RULE}`, 'type', 'web'],
    ['type web loadbalancr', '"loadbalancr" is not a Service type: use clusterip, nodeport or loadbalancer', 'type', 'loadbalancer'],
    [
      'type web externalname',
      "svcbot never makes ExternalName Services: they send a name to any host you like, past the cluster's own routing; use clusterip, nodeport or loadbalancer",
      'type',
      undefined,
    ],
    // delete, describe
    ['delete', 'missing the name of the Service to delete', 'delete', undefined],
    ['rm -n x', 'missing the name of the Service to delete', 'delete', undefined],
    ['delete a b', 'unexpected extra argument "b": delete takes one Service at a time', 'delete', undefined],
    ['delete service/web', `"service/web" is not a valid Service name: ${SERVICE_RULE}`, 'delete', 'web'],
    ['describe', 'missing the name of the Service to describe', 'describe', undefined],
    ['show a b', 'unexpected extra argument "b": describe takes one Service at a time', 'describe', undefined],
    ['describe <@U1>', `"<@U1>" is not a valid Service name (Slack sent it as a mention): ${SERVICE_RULE}`, 'describe', undefined],
    // list, jobs, cancel
    ['get svc', 'unexpected extra argument "svc": /svc list always lists Services', 'list', '/svc list'],
    ['list services', 'unexpected extra argument "services": /svc list always lists Services', 'list', '/svc list'],
    ['get web', 'unexpected extra argument "web": to see one Service, use /svc describe web', 'list', '/svc describe web'],
    ['ls Web', 'unexpected extra argument "Web"', 'list', undefined],
    ['list --type nodeprot', '"nodeprot" is not a Service type: use clusterip, nodeport or loadbalancer', 'list', 'nodeport'],
    ['jobs x', 'unexpected extra argument "x"', 'jobs', undefined],
    ['cancel', 'missing the ID of the job to cancel (/svc jobs lists them)', 'cancel', undefined],
    [
      'cancel a/b',
      '"a/b" is not a valid job ID: use the ID exactly as the job list shows it (letters, digits, "-", "_", "." and ":")',
      'cancel',
      undefined,
    ],
    ['cancel 1 2', 'unexpected extra argument "2"', 'cancel', undefined],
    // approvals
    ['approve', 'missing the ID of the request to approve (/svc approvals lists them)', 'approve', undefined],
    ['approve web', '"web" is not a request ID: use the 8 characters the request shows (/svc approvals lists them)', 'approve', undefined],
    ['approve 3f9c2a1b 3f9c2a1c', 'unexpected extra argument "3f9c2a1c"', 'approve', undefined],
    ['withdraw', 'missing the ID of the request to withdraw (/svc approvals lists them)', 'withdraw', undefined],
    ['reject', 'missing the ID of the request to reject (/svc approvals lists them)', 'reject', undefined],
    [`reject 3f9c2a1b ${'x'.repeat(501)}`, 'the reason is too long (501 characters, at most 500)', 'reject', undefined],
    ['approvals -n x', '/svc approvals does not take -n', 'approvals', undefined],
    ['audit 0', '"0" is not a number of entries: give one from 1 to 200', 'audit', undefined],
    ['audit 201', '"201" is not a number of entries: give one from 1 to 200', 'audit', undefined],
    ['audit web', '"web" is not a number of entries: give one from 1 to 200', 'audit', '--service web'],
    ['audit --user "a b"', '"a b" is not a Slack user: give their @name or user ID, e.g. --user @jane', 'audit', undefined],
    ['audit --service Web', `"Web" is not a valid Service name: ${SERVICE_RULE}`, 'audit', 'web'],
  ]);
});

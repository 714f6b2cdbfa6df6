import { UsageError } from '../../../src/domain/errors.js';
import { FLAGS, SUBCOMMANDS, parseCommand } from '../../../src/domain/grammar/index.js';
import { SERVICE_TYPE_HELP, type SubcommandHelp, helpFor, usageOf } from '../../../src/domain/help.js';

function overview(commandName = '/svc'): SubcommandHelp[] {
  const help = helpFor(undefined, commandName);
  if (!('overview' in help)) throw new Error('expected the overview');
  return help.overview;
}

function entry(topic: string, commandName = '/svc'): SubcommandHelp {
  const help = helpFor(topic, commandName);
  if (!('subcommand' in help)) throw new Error('expected one subcommand');
  return help.subcommand;
}

describe('helpFor', () => {
  test('the overview covers every subcommand, jobs, approvals and audit included, in order', () => {
    expect(overview().map((e) => e.name)).toEqual([
      'create',
      'expose',
      'list',
      'describe',
      'type',
      'delete',
      'jobs',
      'cancel',
      'approvals',
      'approve',
      'reject',
      'withdraw',
      'audit',
      'orphans',
      'orphan',
      'allow',
      'help',
    ]);
    expect(overview().map((e) => e.name)).toEqual(SUBCOMMANDS.map((s) => s.kind));
  });

  test.each([
    ['create', 'create'],
    ['CREATE', 'create'],
    ['ls', 'list'],
    ['get', 'list'],
    ['rm', 'delete'],
    ['del', 'delete'],
    ['show', 'describe'],
    ['jobs', 'jobs'],
    ['cancel', 'cancel'],
    ['help', 'help'],
  ])('help on %s is the help of %s', (topic, name) => {
    expect(entry(topic).name).toBe(name);
  });

  test.each([
    ['crate', 'create'],
    ['lsit', 'list'],
    ['banana', undefined],
  ])('an unknown topic %j is a UsageError suggesting %j', (topic, suggestion) => {
    let caught: unknown;
    try {
      helpFor(topic, '/svc');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UsageError);
    const err = caught as UsageError;
    expect(err.problem).toBe(
      `there is no help on "${topic}": ask about one of create, expose, list, describe, type, delete, jobs, cancel, approvals, approve, reject, withdraw, audit, orphans, orphan, allow, help`,
    );
    expect(err.usage).toBe('/svc help [SUBCOMMAND]');
    expect(err.suggestion).toBe(suggestion);
  });

  test('aliases are documented', () => {
    const aliases = Object.fromEntries(overview().map((e) => [e.name, e.aliases]));
    expect(aliases).toEqual({
      create: [],
      expose: [],
      list: ['ls', 'get'],
      describe: ['show'],
      type: [],
      delete: ['rm', 'del'],
      jobs: [],
      cancel: [],
      approvals: ['requests'],
      approve: [],
      reject: ['deny'],
      withdraw: [],
      audit: ['log'],
      orphans: [],
      orphan: [],
      allow: [],
      help: [],
    });
  });

  test('every entry has a usage line, a summary and examples, all with the command name given', () => {
    for (const e of overview('/kube')) {
      expect(e.usage).toBe(usageOf(e.name, '/kube'));
      expect(e.usage.startsWith(`/kube ${e.name}`)).toBe(true);
      expect(e.summary.length).toBeGreaterThan(10);
      expect(e.examples.length).toBeGreaterThan(0);
      for (const example of e.examples) expect(example.startsWith('/kube ')).toBe(true);
      expect(JSON.stringify(e)).not.toContain('/svc');
    }
  });

  test('every example parses, as the subcommand it illustrates', () => {
    for (const e of overview()) {
      for (const example of e.examples) {
        const command = parseCommand(example);
        expect([example, command.kind]).toEqual([example, e.name]);
      }
    }
  });

  test('every flag a subcommand takes is explained in its help', () => {
    for (const sub of SUBCOMMANDS) {
      const documented = entry(sub.kind).flags.map((f) => f.flag);
      for (const key of sub.flags) {
        const flag: { name: string } = FLAGS[key];
        expect([sub.kind, documented.some((d) => d.includes(`--${flag.name}`))]).toEqual([sub.kind, true]);
      }
      for (const f of entry(sub.kind).flags) expect(f.description.length).toBeGreaterThan(10);
    }
  });

  test('the examples teach the classic, multi-port, named target port, dry-run and expose', () => {
    const examples = overview().flatMap((e) => e.examples);
    expect(examples).toContain('/svc create alpine-service --selector app=alpine --port 8080:80');
    expect(examples.some((x) => (x.match(/--port /g) ?? []).length > 1)).toBe(true);
    expect(examples.some((x) => /--port \S*:[a-z]/.test(x))).toBe(true);
    expect(examples.some((x) => x.includes('--dry-run'))).toBe(true);
    expect(examples.some((x) => x.startsWith('/svc expose deployment/'))).toBe(true);
  });

  test('the type help explains what each type means', () => {
    const text = entry('create').details.join('\n');
    expect(text).toMatch(/ClusterIP \(clusterip, cluster-ip, cip\): reachable inside the cluster only/);
    expect(text).toMatch(/NodePort \(nodeport, node-port, np\): .*30000–32767 on every node/);
    expect(text).toMatch(/LoadBalancer \(loadbalancer, load-balancer, lb\): .*AWS load balancer.*costs money.*minutes/);
    expect(entry('type').details.join('\n')).toContain('30000–32767');
    expect(SERVICE_TYPE_HELP.map((t) => t.type)).toEqual(['ClusterIP', 'NodePort', 'LoadBalancer']);
  });

  test('create and expose say which fields svcbot never sets', () => {
    for (const topic of ['create', 'expose']) {
      expect(entry(topic).details.join('\n')).toContain('never sets externalIPs');
    }
  });

  test('cancel says it leaves the cluster as it is, with a real job ID as its example', () => {
    expect(entry('cancel').summary).toContain('the cluster is left as it is');
    expect(entry('cancel').examples).toEqual(['/svc cancel provision.prod.default.alpine-service']);
  });
});

describe('usageOf', () => {
  test.each([
    ['delete', '/svc delete NAME [-n NAMESPACE] [--cluster CLUSTER]'],
    ['rm', '/svc delete NAME [-n NAMESPACE] [--cluster CLUSTER]'],
    ['cancel', '/svc cancel JOB'],
    ['nonsense', '/svc create|expose|list|describe|type|delete|jobs|cancel|approvals|approve|reject|withdraw|audit|orphans|orphan|allow|help … (/svc help SUBCOMMAND for details)'],
  ])('%s', (kind, usage) => {
    expect(usageOf(kind, '/svc')).toBe(usage);
  });
});

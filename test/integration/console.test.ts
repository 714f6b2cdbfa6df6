/**
 * `svcbot console` end to end, in-process: the real handler against the real sandbox, driven through
 * stdin/stdout streams the way a terminal would.
 */
import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { runConsoleCommand, type ConsoleDeps } from '../../src/console/command.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../sandbox/index.js';
import { screen, type Screen } from '../unit/console-screen.js';
import { sandboxClients } from '../helpers/sandbox-clients.js';
import { waitFor } from '../helpers/wait.js';

const FAST: SandboxOptions = { provisionDelayMs: 50, dnsDelayMs: 100, instanceWarmupMs: 50 };

let home: string;
/** Consoles a test started: ended after it, even when it failed half-way. */
const consoles: { signals: EventEmitter; code: Promise<number> }[] = [];
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'svcbot-console-home-'));
});
afterEach(async () => {
  const left = consoles.splice(0);
  for (const c of left) c.signals.emit('SIGTERM');
  await Promise.allSettled(left.map((c) => c.code));
  rmSync(home, { recursive: true, force: true });
});

function sink() {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  return { stream, text: () => text };
}

/** Runs `svcbot console ARGV` on a pretend terminal; `sandbox()` is the one it started, if any. */
function run(argv: string[], env: NodeJS.ProcessEnv = {}, deps: Partial<ConsoleDeps> = {}) {
  const s: Screen = screen();
  const stderr = sink();
  const signals = new EventEmitter();
  const started: Sandbox[] = [];
  const code = runConsoleCommand(argv, { stdin: s.input, stdout: s.output, stderr: stderr.stream }, env, {
    signals,
    homeDir: home,
    // Without load-balancer jobs unless a test asks for them.
    jobs: 'none',
    readFile: () => {
      throw new Error('no config file in this test');
    },
    loadSandbox: () =>
      Promise.resolve(async (options: SandboxOptions) => {
        const sandbox = await startSandbox({ ...options, ...FAST });
        started.push(sandbox);
        return sandbox;
      }),
    ...deps,
  });
  consoles.push({ signals, code });
  return { s, code, stderr: stderr.text, signals, sandbox: () => started[0], log: () => readFileSync(join(home, '.svcbot_console.log'), 'utf8') };
}

/** After a change that waits for approval: press Approve (choice 1) and confirm, as the console's own user may. */
async function approveIt(s: { waitFor(marker: string): Promise<string>; type(line: string): void }): Promise<string> {
  const request = await s.waitFor('svc> ');
  expect(request).toMatch(/\[1\] Approve {3}\[2\] Reject {3}\[3\] Withdraw/);
  s.type('1');
  expect(await s.waitFor('[y/N] ')).toMatch(/It runs as soon as you confirm/);
  s.type('y');
  return request;
}

describe('svcbot console against the sandbox', () => {
  it('create, list, describe, press Delete and confirm, a usage error, exit: the same handlers as Slack', async () => {
    const c = run(['--user', 'alice']);
    const banner = await c.s.waitFor('svc> ');
    expect(banner).toMatch(/^svcbot console: \/svc in your terminal/);
    expect(banner).toContain('Cluster: sandbox, simulated in this process');
    expect(banner).toContain('/svc create alpine-service --selector app=alpine --port 8080:80');
    expect(banner).toContain('You are @alice.');
    const sandbox = c.sandbox()!;

    c.s.type('/svc create alpine-service --selector app=alpine --port 8080:80');
    const created = await c.s.waitFor('svc> ');
    expect(created).toContain('(posted to the channel)');
    expect(created).toMatch(/Created ClusterIP Service `alpine-service` in namespace `default` on cluster `sandbox`/);
    expect(created).toMatch(/\[1\] Details {3}\[2\] Delete/);
    expect(sandbox.cluster.getService('default', 'alpine-service')?.spec?.ports?.[0]).toMatchObject({ port: 8080, targetPort: 80 });

    c.s.type('list');
    const list = await c.s.waitFor('svc> ');
    expect(list).toContain('(only you)');
    expect(list).toContain('alpine-service');

    c.s.type('describe alpine-service');
    const describe = await c.s.waitFor('svc> ');
    expect(describe).toContain('alpine-service');
    const deleteChoice = /\[(\d+)\] Delete/.exec(describe)?.[1];
    expect(deleteChoice).toBeDefined();

    c.s.type(deleteChoice!);
    expect(await c.s.waitFor('[y/N] ')).toContain('Delete Service alpine-service in namespace default on cluster sandbox?');
    c.s.type('y');
    const deleted = await c.s.waitFor('svc> ');
    expect(deleted).toContain('(Delete)');
    expect(deleted).toMatch(/Deleted ClusterIP Service `alpine-service`/i);
    expect(sandbox.cluster.getService('default', 'alpine-service')).toBeUndefined();

    c.s.type('create web --port 80');
    const usage = await c.s.waitFor('svc> ');
    expect(usage).toContain('(only you)');
    expect(usage).toMatch(/--selector/);

    c.s.type('exit');
    expect(await c.code).toBe(0);
    expect(c.stderr()).toBe('');
    // The sandbox is closed with the console.
    await expect(fetch(`${sandbox.info.kubeApi}/version`)).rejects.toThrow();
  });

  it("curl of a load balancer's address resolves it through the sandbox's DNS and shows what the pods answer", async () => {
    const c = run([]);
    await c.s.waitFor('svc> ');
    const sandbox = c.sandbox()!;
    c.s.type('curl http://nosuch-1.us-east-1.elb.amazonaws.com:8080');
    expect(await c.s.waitFor('svc> ')).toContain(`does not resolve through the DNS servers svcbot uses (${sandbox.info.dnsServer})`);

    const { core, resolver } = sandboxClients(sandbox);
    await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'web' }, spec: { type: 'LoadBalancer', selector: { app: 'alpine' }, ports: [{ port: 8080, targetPort: 80 }] } } });
    const hostname = await waitFor(async () => (await core.readNamespacedService({ name: 'web', namespace: 'default' })).status?.loadBalancer?.ingress?.[0]?.hostname, { what: 'the hostname' });
    await waitFor(() => resolver.resolve4(hostname), { what: `${hostname} to resolve` });
    const answer = await waitFor(async () => {
      c.s.type(`curl ${hostname}:8080`);
      const out = await c.s.waitFor('svc> ');
      return out.includes('answered HTTP 200') && out;
    }, { what: 'an instance in service' });
    expect(answer).toContain('It works!');
    c.s.type('exit');
    expect(await c.code).toBe(0);
  });

  it('SIGTERM ends it cleanly (exit 0) and closes the sandbox', async () => {
    const c = run([]);
    await c.s.waitFor('svc> ');
    c.signals.emit('SIGTERM');
    expect(await c.code).toBe(0);
    expect(c.signals.listenerCount('SIGTERM') + c.signals.listenerCount('SIGINT')).toBe(0);
    await expect(fetch(`${c.sandbox()!.info.kubeApi}/version`)).rejects.toThrow();
  });

  it('suggests your own ~/.kube/config when it falls back to the sandbox', async () => {
    const kube = join(home, '.kube');
    mkdirSync(kube);
    writeFileSync(join(kube, 'config'), 'apiVersion: v1\n');
    const c = run([]);
    const banner = await c.s.waitFor('svc> ');
    expect(banner).toContain(`(For your own cluster: KUBECONFIG=${join(kube, 'config')} svcbot console --no-sandbox;`);
    expect(banner).toContain(`in a checkout: KUBECONFIG=${join(kube, 'config')} npm run console -- --no-sandbox)`);
    c.s.input.end();
    expect(await c.code).toBe(0);
  });
});

describe('svcbot console with load-balancer jobs', () => {
  const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `svcbot-test-console-${Math.random().toString(36).slice(2, 10)}`;
  const keysOf = async (pattern: string) => {
    const redis = new Redis(REDIS_URL);
    try {
      return await redis.keys(pattern);
    } finally {
      redis.disconnect();
    }
  };
  afterAll(async () => {
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it.each(['memory', 'redis'] as const)(
    'the walkthrough with --jobs %s: lb with its progress and endpoint, delete with "no further charges"; the terminal shows only replies',
    async (jobs) => {
      const c = run(['--user', 'alice', '--jobs', jobs], { REDIS_PREFIX: prefix, JOB_PROGRESS_INTERVAL: '100ms' });
      const banner = await c.s.waitFor('svc> ');
      expect(banner).toMatch(jobs === 'memory' ? /Load-balancer jobs: in this process/ : new RegExp(`Load-balancer jobs: Redis at .*, under keys ${prefix}-console-[0-9a-f]+:\\*, removed when you quit`));
      expect(banner).toContain(`svcbot's own log: ${join(home, '.svcbot_console.log')}`);
      c.s.type('/svc create alpine-service --selector app=alpine --port 8080:80');
      await c.s.waitFor('svc> ');
      expect(banner).toContain('Approvals: you may approve your own requests here');
      c.s.type('/svc type alpine-service lb');
      const request = await approveIt(c.s);
      expect(request).toContain('Approval needed');
      expect(request).toContain('~$18.25/month');
      const ready = await c.s.waitFor('is reachable at');
      expect(ready).toContain('\u23f3');
      expect(ready).not.toContain(':hourglass_flowing_sand:');
      await c.s.waitFor('\u{1f7e2} Ready');
      c.s.type('/svc delete alpine-service');
      await approveIt(c.s);
      await c.s.waitFor('no further charges');
      c.s.type('exit');
      expect(await c.code).toBe(0);
      expect(c.s.text()).not.toMatch(/Stuck|\{"level"/);
      expect(c.stderr()).toBe('');
      expect(c.log()).toContain('"msg":"load-balancer job finished"');
      // Nothing of the session is left in Redis.
      expect(await keysOf(`${prefix}-console-*`)).toEqual([]);
    },
  );

  it('a job that fails (403 from the cluster) says so in its progress message; the failure is in the log, not the terminal', async () => {
    const c = run(['--user', 'alice', '--jobs', 'memory'], { JOB_PROGRESS_INTERVAL: '100ms' });
    await c.s.waitFor('svc> ');
    c.sandbox()!.faults.set({ deny: [{ verb: 'patch', resource: 'services' }] });
    c.s.type('create walled --selector app=alpine --port 80');
    await c.s.waitFor('svc> ');
    c.s.type('type walled lb');
    await approveIt(c.s);
    const stuck = await c.s.waitFor('or remove it with');
    expect(stuck).toMatch(/Stuck at Service created: svcbot.s service account .* is not allowed to patch services/);
    c.s.type('exit');
    expect(await c.code).toBe(0);
    expect(c.stderr()).toBe('');
    expect(c.log()).toMatch(/"msg":"load-balancer job failed"/);
  });

  it('quitting with a job running returns at once, and the next session sees none of this one\'s jobs', async () => {
    // A load balancer whose name takes a minute to resolve: the job is waiting when the user quits.
    const slowDns = () => Promise.resolve((options: SandboxOptions) => startSandbox({ ...options, ...FAST, dnsDelayMs: 60_000 }));
    const first = run(['--user', 'alice', '--jobs', 'redis'], { REDIS_PREFIX: prefix, JOB_PROGRESS_INTERVAL: '100ms' }, { loadSandbox: slowDns });
    await first.s.waitFor('svc> ');
    first.s.type('create slow --selector app=alpine --port 80 --type lb');
    await approveIt(first.s);
    await first.s.waitFor('to resolve');
    // The progress message shows the wait a moment before the job has parked: quit once it has (it is
    // in the queue's delayed set, not running).
    await waitFor(
      async () => {
        const delayed = (await keysOf(`${prefix}-console-*`)).filter((k) => k.endsWith(':delayed'));
        if (delayed.length === 0) return false;
        const redis = new Redis(REDIS_URL);
        try {
          return (await Promise.all(delayed.map((k) => redis.zcard(k)))).some((n) => n > 0);
        } finally {
          redis.disconnect();
        }
      },
      { what: 'the job to park waiting for DNS' },
    );
    const t0 = Date.now();
    first.s.type('exit');
    expect(await first.code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(first.log()).not.toContain('still running');
    expect(await keysOf(`${prefix}-console-*`)).toEqual([]);

    const second = run(['--user', 'alice', '--jobs', 'redis'], { REDIS_PREFIX: prefix });
    await second.s.waitFor('svc> ');
    second.s.type('jobs');
    const jobs = await second.s.waitFor('svc> ');
    expect(jobs).not.toContain('slow');
    second.s.type('exit');
    expect(await second.code).toBe(0);
  });

  it('Ctrl-C (SIGINT) with a job waiting: the session ends and removes its keys', async () => {
    const slowDns = () => Promise.resolve((options: SandboxOptions) => startSandbox({ ...options, ...FAST, dnsDelayMs: 60_000 }));
    const c = run(['--user', 'alice', '--jobs', 'redis'], { REDIS_PREFIX: prefix, JOB_PROGRESS_INTERVAL: '100ms' }, { loadSandbox: slowDns });
    await c.s.waitFor('svc> ');
    c.s.type('create waiting --selector app=alpine --port 80 --type lb');
    await approveIt(c.s);
    await c.s.waitFor('to resolve');
    expect((await keysOf(`${prefix}-console-*`)).length).toBeGreaterThan(0);
    c.signals.emit('SIGINT');
    expect(await c.code).toBe(0);
    expect(await keysOf(`${prefix}-console-*`)).toEqual([]);
  });

  it('--jobs redis when no Redis answers: one line, exit 1', async () => {
    const c = run(['--jobs', 'redis'], { REDIS_URL: 'redis://127.0.0.1:9' });
    expect(await c.code).toBe(1);
    expect(c.stderr()).toBe('svcbot console: --jobs redis: no Redis answers at 127.0.0.1:9 (REDIS_URL)\n');
  });
});

describe('svcbot console against configured clusters', () => {
  let external: Sandbox;
  let kubeconfig: string;
  beforeAll(async () => {
    external = await startSandbox({ kubeconfigPath: null, ...FAST });
  });
  afterAll(() => external.close());
  beforeEach(() => {
    kubeconfig = join(home, 'kubeconfig');
    writeFileSync(kubeconfig, external.kubeconfigYaml);
  });

  it('with KUBECONFIG set it uses that cluster and never starts the sandbox', async () => {
    const c = run([], { KUBECONFIG: kubeconfig, CLUSTER_NAME: 'prod' }, {
      loadSandbox: () => Promise.reject(new Error('the sandbox must not be loaded')),
    });
    const banner = await c.s.waitFor('svc> ');
    expect(banner).toContain(`Cluster: prod (kubeconfig ${kubeconfig})`);
    expect(banner).toContain('These are real clusters');
    c.s.type('list');
    expect(await c.s.waitFor('svc> ')).toMatch(/prod/);
    c.s.type('quit');
    expect(await c.code).toBe(0);
  });

  it('--sandbox wins over a configured kubeconfig', async () => {
    const c = run(['--sandbox'], { KUBECONFIG: kubeconfig });
    expect(await c.s.waitFor('svc> ')).toContain('Cluster: sandbox, simulated');
    expect(c.sandbox()).toBeDefined();
    c.s.input.end();
    expect(await c.code).toBe(0);
  });

  it('--no-sandbox without a kubeconfig, outside a pod, says what to do (exit 2)', async () => {
    const c = run(['--no-sandbox']);
    expect(await c.code).toBe(2);
    expect(c.stderr()).toMatch(/^svcbot console: cluster "kubernetes" has no kubeconfig \(KUBECONFIG is not set\) and svcbot is not running in a pod\.\n/);
    expect(c.stderr()).toContain('svcbot console --sandbox');
    expect(c.sandbox()).toBeUndefined();
  });

  it('a kubeconfig that cannot be loaded is one line (exit 1)', async () => {
    const c = run([], { KUBECONFIG: join(home, 'nope') });
    expect(await c.code).toBe(1);
    expect(c.stderr()).toMatch(/^svcbot console: cannot set up the clusters: .*nope/);
    expect(c.stderr().trim().split('\n')).toHaveLength(1);
  });
});

describe('svcbot console arguments', () => {
  it('--help prints the usage', async () => {
    const c = run(['--help']);
    expect(await c.code).toBe(0);
    expect(c.s.text()).toMatch(/^Usage: svcbot console \[--sandbox \| --no-sandbox\] \[--jobs WHERE\] \[--user NAME\] \[--verbose\]\n/);
    expect(c.s.text()).toContain('Needs no Slack app and no Redis');
  });

  it.each<[string[], string]>([
    [['--sandbox', '--no-sandbox'], '--sandbox and --no-sandbox contradict each other'],
    [['--user', 'a b'], '--user: a name of letters'],
    [['--users', 'x'], "unknown option '--users'"],
    [['now'], "unexpected argument 'now'"],
  ])('%j is a usage error (exit 2)', async (argv, message) => {
    const c = run(argv);
    expect(await c.code).toBe(2);
    expect(c.stderr()).toContain(`svcbot console: ${message}`);
    expect(c.stderr()).toContain('Usage: svcbot console');
  });

  it('invalid configuration is reported like svcbot start does (exit 2)', async () => {
    const c = run([], { LOG_LEVEL: 'chatty' });
    expect(await c.code).toBe(2);
    expect(c.stderr()).toContain('svcbot console: Invalid configuration (1 problem):\n  - LOG_LEVEL: must be one of');
  });

  it('svcbot\'s own log goes to ~/.svcbot_console.log (info; debug with --verbose), never to the terminal', async () => {
    const levels = (log: string) => log.trim().split('\n').map((l) => (JSON.parse(l) as { level: number; msg: string }));
    const quiet = run([]);
    await quiet.s.waitFor('svc> ');
    quiet.s.type('list');
    await quiet.s.waitFor('svc> ');
    quiet.s.input.end();
    expect(await quiet.code).toBe(0);
    expect(quiet.stderr()).toBe('');
    const quietLog = levels(quiet.log());
    expect(quietLog.map((l) => l.msg)).toEqual(expect.arrayContaining(['sandbox started', 'command']));
    expect(quietLog.every((l) => l.level >= 30)).toBe(true);

    const verbose = run(['--verbose']);
    await verbose.s.waitFor('svc> ');
    verbose.s.type('list');
    await verbose.s.waitFor('svc> ');
    verbose.s.input.end();
    expect(await verbose.code).toBe(0);
    expect(verbose.stderr()).toBe('');
    expect(levels(verbose.log()).some((l) => l.level < 30)).toBe(true);
  });
});

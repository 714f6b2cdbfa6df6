/**
 * The policy at start-up, through the real command line (README, "Policy and approvals" and "The command
 * line"): `svcbot start` with a policy that has problems stops with exit 2 and lists every one of them on
 * stderr — the file, line and key, or the variable — before anything starts; a valid policy starts, and
 * the start-up log says when anyone but the requester may approve (no approvers) and when self-approval
 * is on.
 *
 * The real CLI runs as a child process (src/cli.ts through test/ts-loader.js) against the sandbox, a
 * Slack stand-in and a private redis-server; `main` runs in-process where the test must see that the app
 * was never even loaded.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main, defaultDeps } from '../../src/cli.js';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/redis-server.js';
import { startSlackStub, type SlackStub } from '../helpers/slack-stub.js';
import { killAll, spawnSvcbot, withOutputOnFailure, type SvcbotProcess } from '../helpers/svcbot-process.js';
import { waitFor } from '../helpers/wait.js';

const LOADER = fileURLToPath(new URL('../ts-loader.js', import.meta.url));
const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const APPROVER_HELP =
  'must be a Slack user ID like U024BE7LH or user-group ID like S0614TZR7 (U, W or S, then uppercase letters and digits; not a name)';
const NO_APPROVERS = 'no approvers configured (SVCBOT_APPROVERS): any user but the requester may approve a request';
const SELF_APPROVAL = 'self-approval is on (SVCBOT_SELF_APPROVAL): a requester may approve their own request';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'svcbot-policy-cli-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));
afterEach(() => killAll());

/** Writes `content` to `name` in the test's directory; resolves with its path. */
async function file(name: string, content: string): Promise<string> {
  const path = join(tmp, name);
  await writeFile(path, content);
  return path;
}

/** Runs `svcbot ARGS…` to its end with exactly `env` (and PATH): its exit code, stdout and stderr apart. */
async function runSvcbot(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', LOADER, CLI, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

/** The lines of a policy with five problems, numbered as the file has them (line 1 first). */
const BAD_POLICY = [
  /* 1 */ 'slack:',
  /* 2 */ '  command: /svc',
  /* 3 */ 'clusters:',
  /* 4 */ '  - name: prod',
  /* 5 */ '    kubeconfig: kubeconfig',
  /* 6 */ '    clusterName: prod-eks',
  /* 7 */ 'policy:',
  /* 8 */ '  rules:',
  /* 9 */ '    - name: no-prod-changes',
  /* 10 */ '      deny: [changes]',
  /* 11 */ '      clusters: [prd]',
  /* 12 */ '    - name: ops-deletes',
  /* 13 */ '      allow: [create, delet]',
  /* 14 */ '      users: [U024BE7LH]',
  /* 15 */ '    - name: both-ways',
  /* 16 */ '      allow: [create]',
  /* 17 */ '      deny: [delete]',
  /* 18 */ '  approval:',
  /* 19 */ '    approvers: [U061F7AUR, alice]',
  /* 20 */ '    ttl: 10d',
  '',
].join('\n');

/** The five problems, each naming the file, the line and the key. */
const badPolicyProblems = (path: string) => [
  `${path}:11: policy.rules[0].clusters[0]: unknown cluster 'prd' (did you mean 'prod'?)`,
  `${path}:13: policy.rules[1].allow[1]: unknown subcommand 'delet' (did you mean 'delete'?)`,
  `${path}:15: policy.rules[2]: has both allow and deny: a rule does one of them (make it two rules)`,
  `${path}:19: policy.approval.approvers[1]: ${APPROVER_HELP} (got "alice")`,
  `${path}:20: policy.approval.ttl: must be a duration like 30m, 1h or 24h, between 1s and 168h (got "10d")`,
];

/** The problem lines of svcbot's "Invalid configuration" message, in the order given. */
function problemLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('  - '))
    .map((l) => l.slice(4));
}

describe('svcbot start with a policy that has problems', () => {
  const slackEnv = { SLACK_BOT_TOKEN: 'xoxb-policy-test', SLACK_SIGNING_SECRET: 'policy-test-secret' };

  test('five problems in the file: exit 2 and every one listed on stderr with its line and key, nothing logged or started', async () => {
    await file('kubeconfig', '');
    const path = await file('bad-policy.yaml', BAD_POLICY);
    const { code, stdout, stderr } = await runSvcbot(['start'], { ...slackEnv, SVCBOT_CONFIG: path, PORT: '0' });
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toBe('svcbot start: Invalid configuration (5 problems):');
    expect(problemLines(stderr).sort()).toEqual(badPolicyProblems(path).sort());
    // Nothing got as far as the logger, let alone the listener.
    expect(stdout).toBe('');
  });

  test('the same file in-process: exit 2 before the app is even loaded', async () => {
    await file('kubeconfig', '');
    const path = await file('bad-policy.yaml', BAD_POLICY);
    let stderr = '';
    const io = {
      stdout: new Writable({ write: (_c, _e, done) => done(new Error('nothing may be written to stdout')) }),
      stderr: new Writable({
        write(chunk: Buffer, _e, done) {
          stderr += chunk.toString();
          done();
        },
      }),
    };
    let loaded = false;
    const code = await main(['start'], io, { ...slackEnv, SVCBOT_CONFIG: path }, {
      ...defaultDeps,
      loadApp: () => {
        loaded = true;
        return Promise.reject(new Error('the app must not be loaded'));
      },
    });
    expect(code).toBe(2);
    expect(loaded).toBe(false);
    expect(problemLines(stderr).sort()).toEqual(badPolicyProblems(path).sort());
  });

  test('SVCBOT_APPROVERS with a bad ID: exit 2 naming the variable and the ID, along with a problem of the file', async () => {
    await file('kubeconfig', '');
    const path = await file('ttl.yaml', 'kubeconfig: kubeconfig\npolicy:\n  approval:\n    ttl: 0s\n');
    const { code, stdout, stderr } = await runSvcbot(['start'], { ...slackEnv, SVCBOT_CONFIG: path, SVCBOT_APPROVERS: 'U061F7AUR,@oncall,S0614TZR7' });
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toBe('svcbot start: Invalid configuration (2 problems):');
    expect(problemLines(stderr).sort()).toEqual(
      [
        `SVCBOT_APPROVERS: ${APPROVER_HELP} (got "@oncall")`,
        `${path}:4: policy.approval.ttl: must be a duration like 30m, 1h or 24h, between 1s and 168h (got "0s")`,
      ].sort(),
    );
    expect(stdout).toBe('');
  });
});

describe('svcbot start with a valid policy', () => {
  let sandbox: Sandbox;
  let slack: SlackStub;
  let redis: PrivateRedis;
  let env: Record<string, string>;

  beforeAll(async () => {
    sandbox = await startSandbox({ kubeconfigPath: join(tmp, 'sandbox-kubeconfig') });
    slack = await startSlackStub();
    redis = await startPrivateRedis();
    env = {
      ...sandbox.info.env,
      SLACK_BOT_TOKEN: 'xoxb-policy-test',
      SLACK_SIGNING_SECRET: 'policy-test-secret',
      SLACK_API_URL: slack.apiUrl,
      REDIS_URL: redis.url,
      PORT: '0',
    };
  });
  afterAll(async () => {
    await killAll();
    await redis.stop();
    await slack.close();
    await sandbox.close();
  });

  interface LogLine {
    level: number;
    msg: string;
    port?: number;
    rules?: string[];
    approvers?: { users: string[]; groups: string[] };
  }

  /** The JSON log lines svcbot wrote so far. */
  function logLines(svcbot: SvcbotProcess): LogLine[] {
    return svcbot
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as LogLine);
  }

  /** Starts `svcbot start`, waits until it listens and answers /healthz; resolves with its log lines up to then. */
  async function startAndListen(name: string, extraEnv: Record<string, string>): Promise<{ svcbot: SvcbotProcess; lines: LogLine[] }> {
    const svcbot = spawnSvcbot(name, ['start'], { ...env, ...extraEnv });
    const listening = await waitFor(() => logLines(svcbot).find((l) => l.msg === 'svcbot is listening for /svc'), {
      what: 'svcbot start to listen',
      timeoutMs: 15_000,
    });
    const health = await fetch(`http://127.0.0.1:${listening.port}/healthz`);
    expect(health.status).toBe(200);
    return { svcbot, lines: logLines(svcbot) };
  }

  test('a valid policy file starts: the policy is logged (rules, approvers), and neither warning is, with approvers set and four eyes', async () => {
    const path = await file(
      'good-policy.yaml',
      [
        'policy:',
        '  rules:',
        '    - name: no-sandbox-deletes',
        '      deny: [delete]',
        `      clusters: [${sandbox.info.clusterName}]`,
        '    - name: ops-changes',
        '      allow: [changes]',
        '      users: [U024BE7LH, W012A3CDE]',
        '      namespaces: [payments]',
        '  protectedNamespaces: [payments]',
        '  approval:',
        '    approvers: [U061F7AUR, S0614TZR7]',
        '    selfApproval: false',
        '    ttl: 30m',
        '',
      ].join('\n'),
    );
    await withOutputOnFailure(async () => {
      const { svcbot, lines } = await startAndListen('good-policy', { SVCBOT_CONFIG: path });
      const policy = lines.find((l) => l.msg === 'policy');
      expect(policy?.rules).toEqual(['no-sandbox-deletes', 'ops-changes']);
      expect(policy?.approvers).toEqual({ users: ['U061F7AUR'], groups: ['S0614TZR7'] });
      expect(lines.map((l) => l.msg)).not.toContain(NO_APPROVERS);
      expect(lines.map((l) => l.msg)).not.toContain(SELF_APPROVAL);
      expect(await svcbot.kill('SIGTERM')).toEqual({ code: 0, signal: null });
    });
  });

  test('no approvers and SVCBOT_SELF_APPROVAL=true: the start-up log warns that anyone but the requester may approve, and that self-approval is on', async () => {
    await withOutputOnFailure(async () => {
      const { svcbot, lines } = await startAndListen('no-approvers', { SVCBOT_SELF_APPROVAL: 'true' });
      const warnings = lines.filter((l) => l.level === 40).map((l) => l.msg);
      expect(warnings).toContain(NO_APPROVERS);
      expect(warnings).toContain(SELF_APPROVAL);
      // Said before it listens, so that whoever starts it reads it with the rest of the start-up.
      const msgs = lines.map((l) => l.msg);
      expect(msgs.indexOf(NO_APPROVERS)).toBeLessThan(msgs.indexOf('svcbot is listening for /svc'));
      expect(await svcbot.kill('SIGTERM')).toEqual({ code: 0, signal: null });
    });
  });
});

/**
 * makeCommandHandler, the one error boundary: real grammar, real operations over the in-memory fakes, a
 * real pino logger writing to memory. Usage problems and typed errors become the user's message; anything
 * else becomes "Something went wrong (ref: ID)" with the details (and the same ID) only in the log.
 */
import { jest } from '@jest/globals';
import { createMemoryLatestChanges } from '../../src/adapters/memory/latest-changes.js';
import { Writable } from 'node:stream';
import { makeCommandHandler, type CommandContext } from '../../handlers/command.js';
import { BotError } from '../../src/domain/errors.js';
import { makeOperations } from '../../src/domain/operations.js';
import type { OperationResult } from '../../src/domain/results.js';
import type { OrphanResult } from '../../src/domain/orphan-commands.js';
import { createLogger } from '../../src/logger.js';
import type { Reply } from '../../src/render/index.js';
import { fakeWorld, type InMemoryTarget } from '../fakes/index.js';
import type { Command } from '../../src/domain/command.js';
import type { CancelResult, JobCommands, JobsResult } from '../../src/domain/job-commands.js';
import { lbJobId, type LbJobData } from '../../src/domain/lb-jobs.js';
import type { Operations, Requester, ServiceCommand } from '../../src/domain/operations.js';
import type { CancelOutcome, LbJobQueue, LbJobSummary } from '../../src/ports/queue.js';
import { renderCancel, renderJobs } from '../../src/render/jobs.js';
import { renderQueued } from '../../src/render/queued.js';
import { testGovernance } from '../helpers/governance.js';

const CTX: CommandContext = { userId: 'U123ALICE', channelId: 'C42OPS' };

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

function setup(commandName = '/svc') {
  const { registry, targets } = fakeWorld(['prod', 'staging']);
  const [prod, staging] = targets as [InMemoryTarget, InMemoryTarget];
  let raw = '';
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      raw += chunk.toString();
      done();
    },
  });
  const logger = createLogger({ level: 'debug', destination });
  const gov = testGovernance();
  const operations = makeOperations({ clusters: registry, governance: gov.governance });
  const handle = makeCommandHandler({ operations, governance: gov.withOperations(operations, registry).commands, commandName, logger });
  return {
    prod,
    staging,
    handle: (text: string, ctx: CommandContext = CTX) => handle(text, ctx),
    logs: (): LogLine[] =>
      raw
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as LogLine),
    raw: () => raw,
  };
}

/** Everything the user sees: the fallback text and every text in the blocks. */
function visible(reply: Reply): string {
  return [reply.text, JSON.stringify(reply.blocks)].join('\n');
}

describe('a command that does not parse', () => {
  test('an ephemeral usage reply: the problem, the usage line, the help hint', async () => {
    const { handle } = setup();
    const reply = await handle('create web --port 80');
    expect(reply.responseType).toBe('ephemeral');
    expect(reply.text).toMatch(/^:warning: /);
    expect(reply.text).toContain('--selector');
    expect(reply.text).toContain('Usage: `/svc create NAME --selector KEY=VALUE[,KEY=VALUE…] --port');
    expect(reply.text).toContain('`/svc help` lists every command.');
  });

  test('a typo of a subcommand gets a did-you-mean', async () => {
    const { handle } = setup();
    const reply = await handle('lsit');
    expect(reply.responseType).toBe('ephemeral');
    expect(reply.text).toContain('Did you mean `list`?');
  });

  test("the usage line uses the command's configured name", async () => {
    const { handle } = setup('/k8s');
    const reply = await handle('describe');
    expect(reply.text).toContain('Usage: `/k8s describe NAME');
    expect(reply.text).toContain('`/k8s help`');
    expect(reply.text).not.toContain('/svc');
  });

  test.each(['create web --selector app=alpine --port 99999', 'delete', 'type web purple', 'frobnicate everything', 'list -n Not_A_Namespace'])(
    '%j changes nothing on any cluster',
    async (text) => {
      const { handle, prod, staging } = setup();
      const reply = await handle(text);
      expect(reply.responseType).toBe('ephemeral');
      expect(reply.text).toContain('Usage:');
      expect(prod.cluster.writes).toEqual([]);
      expect(staging.cluster.writes).toEqual([]);
      expect(prod.loadBalancers.lookups).toEqual([]);
    },
  );
});

describe('a typed error', () => {
  test("the error's own message, ephemeral, with a hint; logged at info with its code", async () => {
    const { handle, logs } = setup();
    const reply = await handle('describe nope -n kube-system');
    expect(reply.responseType).toBe('ephemeral');
    expect(reply.text).toBe(
      ':warning: No Service `nope` in namespace `kube-system` on cluster `prod`.\nCheck the name and the namespace; `/svc list` shows what exists.',
    );
    const failed = logs().find((l) => l.msg === 'command failed: not_found');
    expect(failed).toMatchObject({ level: 30, code: 'not_found', user: 'U123ALICE', channel: 'C42OPS' });
  });

  test('an unknown cluster: did-you-mean in the reply, and nothing changed', async () => {
    const { handle, prod, staging } = setup();
    const reply = await handle('create web --selector app=alpine --port 80 --cluster stagign');
    expect(reply.text).toContain('There is no cluster `stagign` configured. Did you mean `staging`?');
    expect(prod.cluster.writes).toEqual([]);
    expect(staging.cluster.writes).toEqual([]);
  });

  test('a failed create changes nothing', async () => {
    const { handle, prod } = setup();
    await handle('create web --selector app=alpine --port 80');
    const reply = await handle('create web --selector app=alpine --port 81 --type loadbalancer');
    expect(reply.text).toContain('already exists on cluster `prod`');
    expect(prod.cluster.writes).toEqual(['create default/web']);
    expect((await prod.cluster.getService('default', 'web')).type).toBe('ClusterIP');
  });

  test('text from the cluster is escaped for Slack', async () => {
    const { handle, prod } = setup();
    prod.cluster.failNext('listServices', new BotError('cluster_unreachable', 'Cluster `prod` answered 503 (<!channel> & co)'));
    const reply = await handle('list');
    expect(reply.text).toContain('(&lt;!channel&gt; &amp; co)');
    expect(visible(reply)).not.toContain('<!channel>');
  });

  test('jobs and cancel say that this svcbot has no load-balancer jobs', async () => {
    const { handle } = setup();
    for (const text of ['jobs', 'cancel j-1a2b3c']) {
      const reply = await handle(text);
      expect(reply.responseType).toBe('ephemeral');
      expect(reply.text).toContain('works when svcbot runs with load-balancer jobs (Redis)');
    }
  });
});

describe('an unexpected error', () => {
  function boom(): TypeError {
    const err = new TypeError("Cannot read properties of undefined (reading 'spec') at secret/internal/path.ts");
    err.stack = `TypeError: ${err.message}\n    at toServiceView (/app/src/adapters/kubernetes.ts:17:30)\n    at process.processTicksAndRejections`;
    return err;
  }

  test('"Something went wrong (ref: X)" to the user; the same ref, the error and its stack in the log', async () => {
    const { handle, prod, logs } = setup();
    await handle('create web --selector app=alpine --port 80');
    prod.cluster.failNext('getService', boom());
    const reply = await handle('describe web');

    expect(reply.responseType).toBe('ephemeral');
    const ref = /\(ref: `([0-9a-f]{8})`\)/.exec(reply.text)?.[1];
    expect(ref).toBeDefined();
    expect(reply.text).toBe(`:boom: Something went wrong (ref: \`${ref}\`). The details are in svcbot\u2019s log under that reference.`);
    const seen = visible(reply);
    for (const secret of ['TypeError', 'Cannot read properties', 'secret/internal', 'toServiceView', 'kubernetes.ts', '    at ']) {
      expect(seen).not.toContain(secret);
    }

    const entry = logs().find((l) => l.msg === 'unexpected error');
    expect(entry).toMatchObject({ level: 50, ref, user: 'U123ALICE', channel: 'C42OPS' });
    const err = entry!.err as { type: string; message: string; stack: string };
    expect(err.type).toBe('TypeError');
    expect(err.message).toContain("reading 'spec'");
    expect(err.stack).toContain('at toServiceView');
  });

  test('each failure gets its own ref', async () => {
    const { handle, prod, logs } = setup();
    prod.cluster.failNext('listServices', boom()).failNext('listServices', boom());
    const refs = [await handle('list'), await handle('list')].map((r) => /\(ref: `([0-9a-f]+)`\)/.exec(r.text)?.[1]);
    expect(refs[0]).not.toBe(refs[1]);
    expect(logs().filter((l) => l.msg === 'unexpected error').map((l) => l.ref)).toEqual(refs);
  });

  test('a non-Error thrown value is handled the same way', async () => {
    const { handle, prod, raw } = setup();
    prod.cluster.failNext('listServices', 'a string, not an Error');
    const reply = await handle('list');
    expect(reply.text).toMatch(/^:boom: Something went wrong \(ref: `[0-9a-f]{8}`\)/);
    expect(raw()).toContain('a string, not an Error');
  });
});

describe('success', () => {
  test('a change is announced in the channel; the command is logged with the user and channel', async () => {
    const { handle, logs } = setup();
    const reply = await handle('create web --selector app=alpine --port 8080:80');
    expect(reply.responseType).toBe('in_channel');
    expect(reply.text).toContain('web');
    expect(logs()).toContainEqual(expect.objectContaining({ msg: 'command', command: 'create', user: 'U123ALICE', channel: 'C42OPS' }));
  });

  test('a read is ephemeral; a context without channel logs none', async () => {
    const { handle, logs } = setup();
    const reply = await handle('list -A', { userId: 'U999' });
    expect(reply.responseType).toBe('ephemeral');
    const entry = logs().find((l) => l.msg === 'command');
    expect(entry).toMatchObject({ command: 'list', user: 'U999' });
    expect(entry).not.toHaveProperty('channel');
  });

  test('help', async () => {
    const { handle } = setup();
    const reply = await handle('help');
    expect(reply.responseType).toBe('ephemeral');
    expect(reply.text).toContain('/svc');
  });
});

/* ---------------------------------------------------------------- load-balancer jobs: jobs, cancel, requester */

const JOBS_AT = new Date('2025-06-01T12:00:00Z');

const RUNNING: LbJobSummary = {
  id: 'provision.staging.shop.web',
  operation: 'provision',
  cluster: 'staging',
  namespace: 'shop',
  name: 'web',
  state: 'active',
  step: 'allocated',
  createdAt: new Date(JOBS_AT.getTime() - 120_000),
  requesterId: 'U777BOB',
};

/** Operations that record what they were asked to run (and answer help). */
function recordingOperations() {
  const runs: { command: ServiceCommand; requester: Requester | undefined }[] = [];
  const operations: Operations = {
    run: (command, requester) => {
      runs.push({ command, requester });
      const result: OperationResult = { kind: 'help' };
      return Promise.resolve(result);
    },
  };
  return { operations, runs };
}

/** JobCommands that record their calls and answer fixed results (or reject with `failWith`). */
function recordingJobCommands() {
  const jobsCalls: Extract<Command, { kind: 'jobs' }>[] = [];
  const cancelCalls: { command: Extract<Command, { kind: 'cancel' }>; by: string }[] = [];
  const jobsResult: JobsResult = { cluster: 'staging', jobs: [RUNNING], now: JOBS_AT };
  const cancelResult: CancelResult = { jobId: RUNNING.id, outcome: 'cancelled', by: 'U123ALICE', job: { ...RUNNING, cancelRequested: true }, now: JOBS_AT };
  const state: { failWith: Error | undefined } = { failWith: undefined };
  const jobCommands: JobCommands = {
    jobs: (command) => {
      jobsCalls.push(command);
      return state.failWith === undefined ? Promise.resolve(jobsResult) : Promise.reject(state.failWith);
    },
    cancel: (command, acting) => {
      cancelCalls.push({ command, by: acting.userId });
      return state.failWith === undefined ? Promise.resolve(cancelResult) : Promise.reject(state.failWith);
    },
  };
  return { jobCommands, jobsCalls, cancelCalls, jobsResult, cancelResult, state };
}

function jobsSetup(opts: { commandName?: string; withJobs?: boolean } = {}) {
  const commandName = opts.commandName ?? '/svc';
  let raw = '';
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      raw += chunk.toString();
      done();
    },
  });
  const logger = createLogger({ level: 'debug', destination });
  const ops = recordingOperations();
  const jobs = recordingJobCommands();
  const handle = makeCommandHandler({
    operations: ops.operations,
    governance: testGovernance().withOperations(ops.operations, fakeWorld(['prod']).registry).commands,
    ...((opts.withJobs ?? true) ? { jobCommands: jobs.jobCommands } : {}),
    commandName,
    logger,
  });
  return {
    ...ops,
    ...jobs,
    commandName,
    handle: (text: string, ctx: CommandContext = CTX) => handle(text, ctx),
    logs: (): LogLine[] =>
      raw
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as LogLine),
  };
}

describe('jobs and cancel, when svcbot runs with load-balancer jobs', () => {
  test('`jobs` goes to jobCommands.jobs with its scope, and the reply is its rendering (with the command name)', async () => {
    const { handle, jobsCalls, cancelCalls, runs, jobsResult } = jobsSetup({ commandName: '/lb' });
    const reply = await handle('jobs --cluster staging -n shop');
    expect(jobsCalls).toEqual([{ kind: 'jobs', scope: { cluster: 'staging', namespace: 'shop' }, onlyNamespace: 'shop' }]);
    expect(reply).toEqual(renderJobs(jobsResult, { commandName: '/lb' }));
    expect(reply.text).toContain('provision.staging.shop.web');
    expect(cancelCalls).toEqual([]);
    expect(runs).toEqual([]);
  });

  test('`cancel ID` goes to jobCommands.cancel with the job id and the user who typed it', async () => {
    const { handle, cancelCalls, jobsCalls, runs, cancelResult } = jobsSetup({ commandName: '/lb' });
    const reply = await handle('cancel provision.staging.shop.web', { userId: 'U555CAROL', channelId: 'C42OPS' });
    expect(cancelCalls).toEqual([{ command: { kind: 'cancel', jobId: 'provision.staging.shop.web' }, by: 'U555CAROL' }]);
    expect(reply).toEqual(renderCancel(cancelResult, { commandName: '/lb' }));
    expect(jobsCalls).toEqual([]);
    expect(runs).toEqual([]);
  });

  test("the queue's typed errors become the user's message", async () => {
    const { handle, state, logs } = jobsSetup();
    state.failWith = new BotError('queue_unavailable', 'The job queue (Redis at 127.0.0.1:6379) cannot be reached.');
    for (const text of ['jobs', 'cancel provision.prod.default.web']) {
      const reply = await handle(text);
      expect(reply.responseType).toBe('ephemeral');
      expect(reply.text).toBe(
        ':warning: The job queue (Redis at 127.0.0.1:6379) cannot be reached.\nBackground jobs are unavailable right now; try again in a minute.',
      );
    }
    expect(logs().filter((l) => l.msg === 'command failed: queue_unavailable')).toHaveLength(2);
  });
});

describe('jobs and cancel, when svcbot runs without load-balancer jobs', () => {
  test.each([
    ['jobs', 'jobs'],
    ['jobs --cluster staging', 'jobs'],
    ['cancel provision.prod.default.web', 'cancel'],
  ])('%j answers queue_unavailable in words; no operation runs', async (text, kind) => {
    const { handle, runs, jobsCalls, cancelCalls, logs } = jobsSetup({ withJobs: false });
    const reply = await handle(text);
    expect(reply.responseType).toBe('ephemeral');
    expect(reply.text).toBe(
      `:warning: \`${kind}\` works when svcbot runs with load-balancer jobs (Redis); this svcbot runs without them.\n` +
        'Background jobs are unavailable right now; try again in a minute.',
    );
    expect(visible(reply)).not.toContain('Something went wrong');
    expect(runs).toEqual([]);
    expect(jobsCalls).toEqual([]);
    expect(cancelCalls).toEqual([]);
    expect(logs()).toContainEqual(expect.objectContaining({ msg: 'command failed: queue_unavailable', code: 'queue_unavailable' }));
  });
});

describe('the requester passed to operations.run', () => {
  test('the user and the channel the command came from', async () => {
    const { handle, runs } = jobsSetup();
    await handle('list -A');
    expect(runs).toEqual([{ command: expect.objectContaining({ kind: 'list', allNamespaces: true }), requester: { userId: 'U123ALICE', channelId: 'C42OPS', commandText: '/svc list -A' } }]);
  });

  test('without a channel, the user alone (no channelId at all)', async () => {
    const { handle, runs } = jobsSetup();
    await handle('describe web', { userId: 'U999' });
    expect(runs).toHaveLength(1);
    expect(runs[0]!.requester).toEqual({ userId: 'U999', commandText: '/svc describe web' });
    expect(runs[0]!.requester).not.toHaveProperty('channelId');
  });

  test('end to end over real operations: a load-balancer create is queued for the user in their channel, and the reply says so', async () => {
    const { registry, targets } = fakeWorld(['prod']);
    const [prod] = targets as [InMemoryTarget];
    const enqueued: LbJobData[] = [];
    const queue: LbJobQueue = {
      enqueue: (data) => {
        enqueued.push(data);
        return Promise.resolve({ jobId: lbJobId(data.operation, data.cluster, data.namespace, data.name), duplicate: false });
      },
      list: () => Promise.resolve([]),
      get: () => Promise.resolve(undefined),
      cancel: (): Promise<CancelOutcome> => Promise.resolve('not_found'),
      supersede: () => Promise.resolve(),
      counts: () => Promise.reject(new Error('not used')),
    };
    const gov = testGovernance();
    const operations = makeOperations({ clusters: registry, lbJobs: { queue, changes: createMemoryLatestChanges() }, governance: gov.governance });
    const handle = makeCommandHandler({
      operations,
      governance: gov.withOperations(operations, registry).commands,
      commandName: '/svc',
      logger: createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, done) => done() }) }),
    });
    const responseUrl = 'https://hooks.slack.test/commands/T1/2/xyz';
    const reply = await handle('create web --selector app=alpine --port 80 --type loadbalancer', { ...CTX, responseUrl });
    expect(enqueued).toHaveLength(1);
    // The response_url travels with the job: it reaches the user where svcbot is not a channel member.
    expect(enqueued[0]).toMatchObject({ operation: 'provision', name: 'web', requester: { userId: 'U123ALICE', channelId: 'C42OPS', responseUrl } });
    expect(reply).toEqual(
      renderQueued(
        { jobId: 'provision.prod.default.web', operation: 'provision', cluster: 'prod', namespace: 'default', name: 'web', duplicate: false },
        { commandName: '/svc' },
      ),
    );
    expect(prod.cluster.writes).toEqual([]);
  });
});

describe('a cluster that answers transient errors: the retry budget and the "still trying" notice', () => {
  /** Operations whose run retries as a failing gateway would: it reports `waits` to the budget (moving the clock), then fails or answers. */
  function retryingSetup(waits: number[], outcome: 'fail' | 'ok') {
    let t = 1_000_000;
    const budgets: { deadline: number }[] = [];
    const operations: Operations = {
      run: (_command, _requester, opts) => {
        const budget = opts?.budget;
        if (budget) budgets.push({ deadline: budget.deadline });
        for (const [i, waitMs] of waits.entries()) {
          budget?.onRetry?.({ cluster: 'prod', problem: 'HTTP 503', retry: i + 1, waitMs });
          t += waitMs;
        }
        if (outcome === 'fail') return Promise.reject(new BotError('cluster_unreachable', 'Cluster `prod` answered 503 — try again shortly.', { transient: true }));
        return Promise.resolve({ kind: 'help' } satisfies OperationResult);
      },
    };
    const logger = createLogger({ level: 'silent' });
    const handle = makeCommandHandler({
      operations,
      governance: testGovernance().withOperations(operations, fakeWorld(['prod']).registry).commands,
      commandName: '/svc',
      logger,
      retryBudgetMs: 20_000,
      stillTryingAfterMs: 2500,
      clock: () => t,
    });
    const interims: Reply[] = [];
    return { handle: (text: string) => handle(text, { ...CTX, interim: (r) => interims.push(r) }), interims, budgets, start: () => t };
  }

  test('the budget ends retryBudgetMs after the command started', async () => {
    const s = retryingSetup([], 'ok');
    const started = s.start();
    await s.handle('list');
    expect(s.budgets).toEqual([{ deadline: started + 20_000 }]);
  });

  test('retries that end within a moment: no notice', async () => {
    const s = retryingSetup([100, 200, 400, 800], 'ok');
    await s.handle('list');
    expect(s.interims).toEqual([]);
  });

  test('a retry that keeps the user waiting past the moment: told once, naming the cluster and the problem; then the error', async () => {
    const s = retryingSetup([100, 200, 400, 800, 1600, 2000, 2000], 'fail');
    const final = await s.handle('list');
    expect(s.interims.map((r) => r.text)).toEqual(['The cluster `prod` is answering errors (HTTP 503); still trying\u2026'].map((t) => `:hourglass_flowing_sand: ${t}`));
    expect(s.interims[0]?.responseType).toBe('ephemeral');
    expect(visible(final)).toContain('Cluster `prod` answered 503');
    expect(visible(final)).not.toMatch(/\bat \S+ \(/);
  });
});

describe('a long orphan scan', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function orphanSetup() {
    const { registry } = fakeWorld(['prod']);
    const gov = testGovernance();
    const operations = makeOperations({ clusters: registry, governance: gov.governance });
    let finish: (() => void) | undefined;
    const report = { scannedAt: 0, orphans: [], lostClusters: [], idle: [], others: [], unmanagedCount: 0, settlingCount: 0, snoozedCount: 0, ignoredCount: 0, missing: [], monthlyUsd: 0, soFarUsd: 0 };
    const orphans = {
      reportOf: () => Promise.reject(new Error('not asked')),
      run: () => new Promise<OrphanResult>((resolve) => (finish = () => resolve({ kind: 'report', report, query: { page: 0 } }))),
    };
    const handle = makeCommandHandler({ operations, governance: gov.withOperations(operations, registry).commands, orphans, commandName: '/svc', logger: createLogger({ level: 'silent' }), stillTryingAfterMs: 10 });
    const interims: Reply[] = [];
    return { handle: (text: string) => handle(text, { ...CTX, interim: (r) => interims.push(r) }), interims, finish: () => finish?.() };
  }

  it('says that it scans once it takes a while, then answers with the report', async () => {
    const s = orphanSetup();
    const answer = s.handle('orphans');
    await jest.advanceTimersByTimeAsync(9);
    expect(s.interims).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(s.interims.map((r) => r.text)).toEqual([expect.stringMatching(/^:hourglass_flowing_sand: Scanning every load balancer/)]);
    s.finish();
    expect((await answer).text).toMatch(/No orphaned load balancers/);
  });

  it('a quick one says nothing before the report', async () => {
    const s = orphanSetup();
    const answer = s.handle('orphans');
    await jest.advanceTimersByTimeAsync(5);
    s.finish();
    await answer;
    await jest.advanceTimersByTimeAsync(1000);
    expect(s.interims).toEqual([]);
  });
});

/**
 * The processors with fakes of every port (no Redis, no sandbox): one run does what the world needs and
 * then finishes or parks; cancel ends the job with the message saying so, a worker stopping hands it back
 * untouched; a run repeated after success changes nothing and posts nothing again.
 */
import { createMemoryLatestChanges } from '../../src/adapters/memory/latest-changes.js';
import type { LbJobContext, LbJobDeps } from '../../jobs/lb-job.js';
import { createProber } from '../../jobs/prober.js';
import { createProgressBoard } from '../../jobs/progress-board.js';
import { runProvision } from '../../jobs/provision.js';
import { runTeardown } from '../../jobs/teardown.js';
import { createWatchWakeups } from '../../jobs/wakeups.js';
import { BotError } from '../../src/domain/errors.js';
import { CHANGED_SINCE_APPROVED, type LbJobData } from '../../src/domain/lb-jobs.js';
import { serviceManifest } from '../../src/domain/manifest.js';
import { emptyState, type LbJobState } from '../../src/domain/progress.js';
import { JobParked, PermanentJobError, TransientJobError, type JobStop, type OnceGuard } from '../../src/ports/jobs.js';
import type { ChannelMessages } from '../../src/ports/replies.js';
import type { AnswerResult, AnswerTarget, EndpointProbe } from '../../src/ports/endpoint-probe.js';
import type { Message } from '../../src/render/blocks.js';
import type { ServiceWatch } from '../../src/ports/service-watch.js';
import pino from 'pino';
import type { ServiceView } from '../../src/domain/views.js';
import { expectBotError } from '../contract/expect-bot-error.js';
import { waitFor } from '../helpers/wait.js';
import { fakeWorld } from '../fakes/index.js';
import { testAuditTrail } from '../helpers/governance.js';

function memoryOnce(): OnceGuard {
  const done = new Map<string, unknown>();
  return {
    async run<T>(key: string, effect: () => Promise<T>): Promise<T> {
      if (done.has(key)) return done.get(key) as T;
      const result = await effect();
      done.set(key, result);
      return result;
    },
  };
}

const noWatch: ServiceWatch = {
  subscribe: () => () => undefined,
  get: () => undefined,
  ready: () => Promise.resolve(),
  close: () => Promise.resolve(),
};

function setup(resolves = true) {
  const world = fakeWorld(['prod']);
  const changes = createMemoryLatestChanges();
  const posts: { channel: string; message: Message; threadTs?: string }[] = [];
  const updates: Message[] = [];
  const notifier: ChannelMessages = {
    post: (channel, message, opts) => {
      posts.push({ channel, message, ...(opts?.threadTs ? { threadTs: opts.threadTs } : {}) });
      return Promise.resolve({ channel, ts: `${posts.length}.0` });
    },
    update: (_ref, message) => {
      updates.push(message);
      return Promise.resolve();
    },
    findPosted: () => Promise.resolve(undefined),
  };
  const wake = () => undefined;
  const probers = {
    dns: createProber({ name: 'dns', ratePerSecond: 100, wake }),
    elb: createProber({ name: 'elb', ratePerSecond: 100, wake }),
    kube: createProber({ name: 'kube', ratePerSecond: 100, wake }),
    answer: createProber({ name: 'answer', ratePerSecond: 100, wake }),
  };
  const board = createProgressBoard({ replies: notifier, minIntervalMs: 10, tickMs: 5 });
  const trail = testAuditTrail();
  const deps: LbJobDeps = {
    clusters: world.registry,
    resolver: { resolve4: () => Promise.resolve(resolves ? ['10.0.0.1'] : []) },
    replies: notifier,
    board,
    once: memoryOnce(),
    changes,
    watchWakeups: createWatchWakeups(noWatch, wake),
    audit: trail.audit,
    probers,
    logger: pino({ level: 'silent' }),
  };
  const close = async () => {
    await Promise.all([...Object.values(probers).map((p) => p.close()), board.close()]);
  };
  return { world, deps, posts, updates, probers, changes, close, auditEntries: trail.entries };
}

function context(data: LbJobData, opts: { state?: LbJobState; stop?: JobStop } = {}) {
  const saved: LbJobState[] = [];
  const parks: number[] = [];
  let state = opts.state ?? emptyState();
  const controller = new AbortController();
  if (opts.stop) controller.abort(opts.stop);
  const ctx: LbJobContext = {
    id: `${data.operation}.${data.cluster}.${data.namespace}.${data.name}`,
    data,
    attemptsMade: 0,
    lastAttempt: false,
    signal: controller.signal,
    get savedState() {
      return state;
    },
    saveState: (s) => {
      state = s as LbJobState;
      saved.push(state);
      return Promise.resolve();
    },
    park: (until) => {
      parks.push(until);
      return Promise.reject(new JobParked(until));
    },
  };
  return { ctx, saved, parks, state: () => state };
}

const manifest = serviceManifest({ name: 'web', namespace: 'default', selector: { app: 'web' }, ports: [{ port: 80, protocol: 'TCP' }], type: 'ClusterIP' });
const data = (operation: LbJobData['operation'], extra: Partial<LbJobData> = {}): LbJobData => ({
  version: 1,
  operation,
  cluster: 'prod',
  namespace: 'default',
  name: 'web',
  requester: { userId: 'U123ABC', channelId: 'C1' },
  requestedAt: Date.now(),
  ...extra,
});

test('provision: creates the Service as LoadBalancer and finishes with one endpoint post; a repeated run posts nothing more', async () => {
  const s = setup();
  try {
    const c = context(data('provision', { manifest }));
    await expect(runProvision(c.ctx, s.deps)).resolves.toMatchObject({ outcome: { kind: 'ready' } });
    const svc = await s.world.registry.get('prod').cluster.getService('default', 'web');
    expect(svc.type).toBe('LoadBalancer');
    expect(Object.keys(c.state().doneAt)).toEqual(['service', 'allocated', 'in-service', 'dns', 'answers', 'ready']);
    expect(s.posts.filter((p) => p.threadTs)).toHaveLength(1);
    // Again, as after a crash past the post: nothing created, nothing posted twice.
    const again = context(c.ctx.data, { state: c.state() });
    await expect(runProvision(again.ctx, s.deps)).resolves.toMatchObject({ outcome: { kind: 'ready' } });
    expect(s.posts.filter((p) => p.threadTs)).toHaveLength(1);
    // The outcome is in the audit trail once, tied to the job, as the requester's.
    expect(await s.auditEntries()).toEqual([
      expect.objectContaining({
        action: 'job',
        userId: 'U123ABC',
        cluster: 'prod',
        namespace: 'default',
        service: 'web',
        jobId: 'provision.prod.default.web',
        result: expect.stringMatching(/^type loadbalancer: ready at .+:80$/),
      }),
    ]);
    expect(s.posts.filter((p) => !p.threadTs)).toHaveLength(1); // the progress message, once
  } finally {
    await s.close();
  }
});

test('provision where Slack refuses the progress message (svcbot not in the channel): the change is still made and the endpoint posted through the response_url', async () => {
  const s = setup();
  const fallbacks: (string | undefined)[] = [];
  // The first post (the progress message) is refused outright; later ones go out through the response_url.
  s.deps.replies.post = (channel, message, opts) => {
    fallbacks.push(opts?.fallbackResponseUrl);
    if (fallbacks.length === 1) return Promise.reject(Object.assign(new Error('not_in_channel'), { code: 'slack_not_in_channel' }));
    s.posts.push({ channel, message });
    return Promise.resolve(undefined);
  };
  try {
    const responseUrl = 'https://hooks.slack.test/commands/T1/1/abc';
    const c = context(data('provision', { manifest, requester: { userId: 'U123ABC', channelId: 'CPRIVATE', responseUrl } }));
    await expect(runProvision(c.ctx, s.deps)).resolves.toMatchObject({ outcome: { kind: 'ready' } });
    expect((await s.world.registry.get('prod').cluster.getService('default', 'web')).type).toBe('LoadBalancer');
    // Both the progress message and the endpoint message were offered the response_url.
    expect(fallbacks).toEqual([responseUrl, responseUrl]);
    expect(s.posts.map((p) => p.message.text)).toEqual([expect.stringContaining('<@U123ABC>')]);
  } finally {
    await s.close();
  }
});

/**
 * A Slack that holds chat.postMessage of progress messages (no thread) until released, or until the post's
 * signal gives it up (as the send queue does with a post still waiting: nothing posted, undefined); logs
 * every call in order.
 */
function holdProgressPosts(s: ReturnType<typeof setup>) {
  const log: string[] = [];
  const held: (() => void)[] = [];
  let n = 0;
  s.deps.replies.post = (channel, message, opts) => {
    const ts = `${++n}.0`;
    if (opts?.threadTs || opts?.priority !== 'progress') {
      log.push(`post ${opts?.threadTs ? `in thread ${opts.threadTs}` : 'in channel'}`);
      s.posts.push({ channel, message, ...(opts?.threadTs ? { threadTs: opts.threadTs } : {}) });
      return Promise.resolve({ channel, ts });
    }
    log.push('progress requested');
    return new Promise((resolve) => {
      let done = false;
      opts.signal?.addEventListener('abort', () => {
        if (done) return;
        done = true;
        log.push('progress given up');
        resolve(undefined);
      });
      held.push(() => {
        if (done) return;
        done = true;
        log.push(`progress posted ${ts}`);
        s.posts.push({ channel, message });
        resolve({ channel, ts });
      });
    });
  };
  s.deps.replies.update = (ref, message) => {
    log.push(`update ${ref.ts}`);
    s.updates.push(message);
    return Promise.resolve();
  };
  return { log, held };
}

test('provision while Slack holds the progress message: the Service is made at once, the endpoint goes in the channel (after threadWaitMs); the message, still waiting, is given up', async () => {
  const s = setup();
  const slack = holdProgressPosts(s);
  s.deps.threadWaitMs = 50;
  try {
    const c = context(data('provision', { manifest }));
    // The job runs to its end while Slack still holds its progress message (the endpoint waits 50 ms for it).
    await expect(runProvision(c.ctx, s.deps)).resolves.toMatchObject({ outcome: { kind: 'ready' } });
    expect((await s.world.registry.get('prod').cluster.getService('default', 'web')).type).toBe('LoadBalancer');
    expect(s.posts[0]?.message.text).toContain('<@U123ABC>');
    // The endpoint in the channel says it all: the progress message would only repeat it, late, and need an update.
    expect(slack.log).toEqual(['progress requested', 'post in channel', 'progress given up']);
    await s.deps.board.close();
    expect(s.updates).toEqual([]);
    expect(c.state().progress).toBeUndefined();
  } finally {
    await s.close();
  }
});

test('a job that ends with a possible orphan before its progress message is posted keeps it: the warning in the channel points to its details', async () => {
  const s = setup();
  const slack = holdProgressPosts(s);
  s.deps.threadWaitMs = 50;
  try {
    const { cluster } = s.world.registry.get('prod');
    await cluster.createService({ ...manifest, spec: { ...manifest.spec, type: 'LoadBalancer' } });
    const hostname = (await cluster.getService('default', 'web')).loadBalancerHostnames[0]!;
    const c = context(data('delete', { requestedAt: Date.now() - 16 * 60_000 }), { state: { doneAt: {}, hostname } });
    await expect(runTeardown(c.ctx, s.deps)).rejects.toMatchObject({ message: 'orphan' });
    expect(slack.log).toEqual(['progress requested', 'post in channel']);
    slack.held[0]!();
    await waitFor(() => slack.log.includes('update 1.0') && s.deps.board.backlog === 0, { what: 'the final update' });
    expect(s.updates.at(-1)?.text).toContain('may be an orphan');
  } finally {
    await s.close();
  }
});

test('a job that parks and runs again while Slack holds its progress message: one post, shared; the park\'s update waits for it; once it is posted, the endpoint goes in its thread', async () => {
  const s = setup(false);
  const slack = holdProgressPosts(s);
  try {
    const c = context(data('provision', { manifest }));
    await expect(runProvision(c.ctx, s.deps)).rejects.toBeInstanceOf(JobParked);
    expect(c.state().doneAt['in-service']).toBeDefined();
    expect(slack.log).toEqual(['progress requested']); // no update before the message exists
    // Posted while the job is parked; woken (DNS resolves now): the second run posts no progress message.
    slack.held[0]!();
    await waitFor(() => slack.log.includes('update 1.0'), { what: 'the park\'s update' });
    s.deps.resolver = { resolve4: () => Promise.resolve(['10.0.0.1']) };
    const again = context(c.ctx.data, { state: c.state() });
    await expect(runProvision(again.ctx, s.deps)).resolves.toMatchObject({ outcome: { kind: 'ready' } });
    expect(again.state().progress).toEqual({ channel: 'C1', ts: '1.0' });
    expect(slack.log.filter((l) => l.startsWith('progress') || l.startsWith('post'))).toEqual(['progress requested', 'progress posted 1.0', 'post in thread 1.0']);
  } finally {
    await s.close();
  }
});

test('a run while another run\'s progress post still waits for Slack shares it: one progress message', async () => {
  const s = setup(false);
  const slack = holdProgressPosts(s);
  try {
    const c = context(data('provision', { manifest }));
    await expect(runProvision(c.ctx, s.deps)).rejects.toBeInstanceOf(JobParked);
    const again = context(c.ctx.data, { state: c.state() });
    await expect(runProvision(again.ctx, s.deps)).rejects.toBeInstanceOf(JobParked);
    expect(slack.log).toEqual(['progress requested']);
    slack.held[0]!();
    await waitFor(() => slack.log.includes('update 1.0') && s.deps.board.backlog === 0, { what: 'the updates' });
    expect(slack.log.filter((l) => l.startsWith('progress'))).toEqual(['progress requested', 'progress posted 1.0']);
  } finally {
    await s.close();
  }
});

test('provision while DNS does not resolve yet: parks (no slot held) with a DNS probe registered, until the timeout at most', async () => {
  const s = setup(false);
  try {
    const c = context(data('provision', { manifest }));
    await expect(runProvision(c.ctx, s.deps)).rejects.toBeInstanceOf(JobParked);
    expect(c.parks).toHaveLength(1);
    expect(c.parks[0]! - Date.now()).toBeLessThanOrEqual(30_000);
    expect(s.probers.dns.size).toBe(1);
    expect(c.state().doneAt['in-service']).toBeDefined();
    expect(c.state().doneAt.dns).toBeUndefined();
    expect(c.state().waitingFor).toMatch(/to resolve$/);
  } finally {
    await s.close();
  }
});

/** An endpoint probe that answers as told, recording what it was asked. */
function scriptedProbe(answer: () => AnswerResult) {
  const asked: AnswerTarget[] = [];
  const probe: EndpointProbe = {
    answers: (target) => {
      asked.push(target);
      return Promise.resolve(answer());
    },
  };
  return { probe, asked };
}

test('provision whose load balancer resolves but does not answer: parks on the answer prober, saying why; once it answers, ready', async () => {
  const s = setup();
  let answering = false;
  const { probe, asked } = scriptedProbe(() => (answering ? { answered: true, status: 200 } : { answered: false, error: 'ECONNRESET', localAddress: '10.1.2.3' }));
  s.deps.endpointProbe = probe;
  try {
    // Pods (app=alpine) are ready behind it: the connection's own failure is the reason.
    const served = serviceManifest({ name: 'web', namespace: 'default', selector: { app: 'alpine' }, ports: [{ port: 80, protocol: 'TCP' }], type: 'ClusterIP' });
    const c = context(data('provision', { manifest: served }));
    await expect(runProvision(c.ctx, s.deps)).rejects.toBeInstanceOf(JobParked);
    expect(c.state().doneAt.dns).toBeDefined();
    expect(c.state().doneAt.answers).toBeUndefined();
    expect(s.probers.answer.size).toBe(1);
    expect(c.state().waitingFor).toMatch(/^waiting for .+:80 to answer: it does not answer on port 80: the connection was reset$/);
    // Port 80 is a web port: an HTTP GET to the address DNS gave, with the load balancer's name as the Host.
    const hostname = (await s.world.registry.get('prod').cluster.getService('default', 'web')).loadBalancerHostnames[0];
    expect(asked[0]).toEqual({ host: hostname, address: '10.0.0.1', port: 80, scheme: 'http' });
    answering = true;
    const again = context(c.ctx.data, { state: c.state() });
    await expect(runProvision(again.ctx, s.deps)).resolves.toMatchObject({ outcome: { kind: 'ready' } });
    expect(again.state().doneAt.answers).toBeDefined();
    expect(s.posts.filter((p) => p.threadTs)).toHaveLength(1);
  } finally {
    await s.close();
  }
});

test('provision of a Service whose selector matches no pod: the wait says so, not "connection refused"', async () => {
  const s = setup();
  s.deps.endpointProbe = scriptedProbe(() => ({ answered: false, error: 'ECONNREFUSED' })).probe;
  try {
    const lonely = serviceManifest({ name: 'web', namespace: 'default', selector: { app: 'nothing-here' }, ports: [{ port: 8443, protocol: 'TCP' }], type: 'ClusterIP' });
    const c = context(data('provision', { manifest: lonely }));
    await expect(runProvision(c.ctx, s.deps)).rejects.toBeInstanceOf(JobParked);
    expect(c.state().waitingFor).toMatch(/to answer: no ready endpoint behind the Service: its selector app=nothing-here matches no ready pod$/);
  } finally {
    await s.close();
  }
});

test('parking: the recheck is jittered within the last quarter of the interval, and only this wait stays registered', async () => {
  const s = setup(false);
  try {
    const c = context(data('provision', { manifest }));
    // As if an earlier run had parked it waiting for AWS (a check of another prober).
    s.probers.kube.register(c.ctx.id, () => Promise.resolve(false));
    s.deps.maxParkMs = 40_000;
    s.deps.random = () => 0.999;
    const before = Date.now();
    await expect(runProvision(c.ctx, s.deps)).rejects.toBeInstanceOf(JobParked);
    expect(c.parks[0]! - before).toBeGreaterThanOrEqual(30_000);
    expect(c.parks[0]! - before).toBeLessThanOrEqual(30_100);
    expect(s.probers.kube.size).toBe(0);
    expect(s.probers.dns.size).toBe(1);
    s.deps.random = () => 0;
    const again = context(c.ctx.data, { state: c.state() });
    const t = Date.now();
    await expect(runProvision(again.ctx, s.deps)).rejects.toBeInstanceOf(JobParked);
    expect(again.parks[0]! - t).toBeGreaterThanOrEqual(40_000);
    expect(again.parks[0]! - t).toBeLessThanOrEqual(40_100);
  } finally {
    await s.close();
  }
});

test('parking: a recheck that would come at or after the deadline is none: the job sleeps until its deadline, its wake-ups as long', async () => {
  const s = setup(false);
  try {
    const c = context(data('provision', { manifest }));
    s.deps.timeoutMs = 15 * 60_000;
    s.deps.maxParkMs = 15 * 60_000;
    s.deps.random = () => 0.999;
    await expect(runProvision(c.ctx, s.deps)).rejects.toBeInstanceOf(JobParked);
    expect(c.parks[0]).toBe(c.ctx.data.requestedAt + 15 * 60_000);
    expect(s.probers.dns.size).toBe(1);
  } finally {
    await s.close();
  }
});

test('provision while the resolver times out: waits for DNS (the prober keeps asking), not a failed attempt to retry', async () => {
  const s = setup();
  s.deps.resolver = { resolve4: () => Promise.reject(Object.assign(new Error('queryA ETIMEOUT'), { code: 'ETIMEOUT' })) };
  try {
    const c = context(data('provision', { manifest }));
    await expect(runProvision(c.ctx, s.deps)).rejects.toBeInstanceOf(JobParked);
    expect(s.probers.dns.size).toBe(1);
    expect(c.state().doneAt.dns).toBeUndefined();
    expect(c.state().waitingFor).toMatch(/to resolve \(the last lookup failed: ETIMEOUT\)$/);
  } finally {
    await s.close();
  }
});

test('cancel (the port\'s `cancelled` stop): ends the job, the message says the cluster was left as it is', async () => {
  const s = setup();
  try {
    const c = context(data('provision', { manifest }), { stop: { kind: 'cancelled', by: 'U999' } });
    const err: unknown = await runProvision(c.ctx, s.deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentJobError);
    expect(err).toMatchObject({ message: 'cancelled by U999' });
    expect(s.updates.at(-1)?.text).toContain('Cancelled — the cluster was left as it is');
    await expect(s.world.registry.get('prod').cluster.getService('default', 'web')).rejects.toMatchObject({ code: 'not_found' });
  } finally {
    await s.close();
  }
});

test('a worker stopping (the `shutdown` stop): the job is handed back (transient), the message is not touched', async () => {
  const s = setup();
  try {
    const c = context(data('delete'), { stop: { kind: 'shutdown' } });
    await expect(runTeardown(c.ctx, s.deps)).rejects.toBeInstanceOf(TransientJobError);
    expect(s.updates).toHaveLength(0);
  } finally {
    await s.close();
  }
});

test('delete of a Service that does not exist: done at once (404 is success)', async () => {
  const s = setup();
  try {
    const c = context(data('delete'));
    await expect(runTeardown(c.ctx, s.deps)).resolves.toEqual({ outcome: { kind: 'deleted' } });
    expect(c.state().doneAt.done).toBeDefined();
    // The requester is told in the progress message's thread, once, even if the job runs again.
    const progressTs = '1.0'; // the fake notifier's ts of the first post: the progress message
    const told = () => s.posts.filter((p) => p.threadTs === progressTs);
    expect(told().map((p) => p.message.text)).toEqual(['<@U123ABC> `default/web` on `prod`: load balancer deleted — no further charges.']);
    await expect(runTeardown(context(c.ctx.data, { state: c.state() }).ctx, s.deps)).resolves.toEqual({ outcome: { kind: 'deleted' } });
    expect(told()).toHaveLength(1);
  } finally {
    await s.close();
  }
});

test('a timeout in teardown with the ELB still there reports a possible orphan', async () => {
  const s = setup();
  try {
    const { cluster } = s.world.registry.get('prod');
    await cluster.createService({ ...manifest, spec: { ...manifest.spec, type: 'LoadBalancer' } });
    const hostname = (await cluster.getService('default', 'web')).loadBalancerHostnames[0]!;
    // Requested 16 minutes ago: past the timeout. The fake's ELB stays after the Service is deleted.
    const c = context(data('delete', { requestedAt: Date.now() - 16 * 60_000 }), { state: { doneAt: {}, hostname } });
    const err: unknown = await runTeardown(c.ctx, s.deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentJobError);
    expect(err).toMatchObject({ message: 'orphan' });
    expect(s.updates.at(-1)?.text).toContain('may be an orphan');
    expect(s.updates.at(-1)?.text).toContain(':x: load balancer deleted');
  } finally {
    await s.close();
  }
});

describe('a stale job never acts on a newer world', () => {
  const WEB = { cluster: 'prod', namespace: 'default', name: 'web' };
  const newerDelete = (requestedAt: number) => ({ requestId: 'req-delete', requestedAt, change: 'delete', userId: 'U2BOB', jobId: 'delete.prod.default.web' });

  test('superseded before it started: stands down at once, posts nothing, creates nothing', async () => {
    const s = setup();
    try {
      const job = data('provision', { manifest, requestId: 'req-provision' });
      await s.changes.record(WEB, newerDelete(job.requestedAt + 1000));
      const c = context(job);
      await expect(runProvision(c.ctx, s.deps)).resolves.toEqual({ outcome: { kind: 'superseded', by: newerDelete(job.requestedAt + 1000) } });
      expect(s.posts).toEqual([]);
      expect(s.world.targets[0]!.cluster.writes).toEqual([]);
    } finally {
      await s.close();
    }
  });

  test('superseded while parked: its progress message says by what, quietly (no thread reply), and nothing is touched', async () => {
    const s = setup(false);
    try {
      const job = data('provision', { manifest, requestId: 'req-provision' });
      const first = context(job);
      await expect(runProvision(first.ctx, s.deps)).rejects.toBeInstanceOf(JobParked);
      const writes = [...s.world.targets[0]!.cluster.writes];
      const by = newerDelete(job.requestedAt + 1000);
      await s.changes.record(WEB, by);
      const again = context(job, { state: first.state() });
      await expect(runProvision(again.ctx, s.deps)).resolves.toEqual({ outcome: { kind: 'superseded', by } });
      await s.deps.board.close();
      expect(s.updates.at(-1)?.text).toContain('Superseded by `delete` (job `delete.prod.default.web`), asked by <@U2BOB>');
      expect(s.posts.filter((p) => p.threadTs)).toEqual([]);
      expect(s.world.targets[0]!.cluster.writes).toEqual(writes);
    } finally {
      await s.close();
    }
  });

  test("the signal's `superseded` stop ends a run that is under way the same way", async () => {
    const s = setup();
    try {
      const by = newerDelete(Date.now() + 1000);
      const c = context(data('delete'), { stop: { kind: 'superseded', by } });
      await expect(runTeardown(c.ctx, s.deps)).resolves.toEqual({ outcome: { kind: 'superseded', by } });
      expect(s.posts).toEqual([]);
    } finally {
      await s.close();
    }
  });

  test('the Service it created was deleted while it waited (as with kubectl): "deleted meanwhile", no endpoint, nothing re-created', async () => {
    const s = setup(false);
    try {
      const c = context(data('provision', { manifest }));
      await expect(runProvision(c.ctx, s.deps)).rejects.toBeInstanceOf(JobParked);
      expect(c.state().serviceUid).toEqual(expect.any(String));
      const { cluster } = s.world.registry.get('prod');
      await cluster.deleteService('default', 'web');
      await waitFor(() => cluster.getService('default', 'web').then(() => false, () => true), { what: 'the Service to be gone' });
      s.deps.resolver = { resolve4: () => Promise.resolve(['10.0.0.1']) }; // the name resolves now
      const again = context(c.ctx.data, { state: c.state() });
      await expect(runProvision(again.ctx, s.deps)).resolves.toEqual({ outcome: { kind: 'service-gone' } });
      await expectBotError(cluster.getService('default', 'web'), 'not_found');
      expect(s.posts.filter((p) => p.threadTs)).toEqual([]);
      await s.deps.board.close();
      expect(s.updates.at(-1)?.text).toContain('was deleted meanwhile: nothing left to do');
    } finally {
      await s.close();
    }
  });

  test('taken over after a crash between its create and its first save: a Service deleted since is not made again', async () => {
    const s = setup();
    try {
      // What a worker killed right after creating the Service left: the attempt saved, no UID yet.
      const c = context(data('provision', { manifest }), { state: { doneAt: {}, createAttempted: true } });
      await expect(runProvision(c.ctx, s.deps)).resolves.toEqual({ outcome: { kind: 'service-gone' } });
      expect(s.world.targets[0]!.cluster.writes).toEqual([]);
    } finally {
      await s.close();
    }
  });

  test('a Service of the same name made again (another UID) is not its business: not patched, not announced', async () => {
    const s = setup(false);
    try {
      const c = context(data('provision', { manifest }));
      await expect(runProvision(c.ctx, s.deps)).rejects.toBeInstanceOf(JobParked);
      const { cluster } = s.world.registry.get('prod');
      await cluster.deleteService('default', 'web');
      await waitFor(() => cluster.getService('default', 'web').then(() => false, () => true), { what: 'the Service to be gone' });
      await cluster.createService(manifest); // someone else's ClusterIP Service of the same name
      const writes = [...s.world.targets[0]!.cluster.writes];
      const again = context(c.ctx.data, { state: c.state() });
      await expect(runProvision(again.ctx, s.deps)).resolves.toEqual({ outcome: { kind: 'service-gone' } });
      expect((await cluster.getService('default', 'web')).type).toBe('ClusterIP');
      expect(s.world.targets[0]!.cluster.writes).toEqual(writes);
    } finally {
      await s.close();
    }
  });

  test('the DNS wait wakes the job when its Service is deleted or replaced, not on other changes', async () => {
    const s = setup(false);
    const waits: ((svc: ServiceView | undefined) => boolean)[] = [];
    s.deps.watchWakeups = { ...s.deps.watchWakeups, wakeOnChange: (_id, _ref, until) => void waits.push(until) };
    try {
      const c = context(data('provision', { manifest }));
      await expect(runProvision(c.ctx, s.deps)).rejects.toBeInstanceOf(JobParked);
      const until = waits.at(-1)!;
      const svc = await s.world.registry.get('prod').cluster.getService('default', 'web');
      expect(until(svc)).toBe(false);
      expect(until({ ...svc, loadBalancerHostnames: [...svc.loadBalancerHostnames] })).toBe(false);
      expect(until(undefined)).toBe(true);
      expect(until({ ...svc, deleting: true })).toBe(true);
      expect(until({ ...svc, uid: 'another' })).toBe(true);
    } finally {
      await s.close();
    }
  });

  test('teardown deletes only the Service it pinned: one made again meanwhile is left alone', async () => {
    const s = setup();
    try {
      const { cluster } = s.world.registry.get('prod');
      const first = await cluster.createService({ ...manifest, spec: { ...manifest.spec, type: 'NodePort' } });
      // A delete job that pinned the first Service, taken over after that Service was replaced.
      await cluster.deleteService('default', 'web');
      const second = await cluster.createService(manifest);
      const c = context(data('delete'), { state: { doneAt: {}, serviceUid: first.uid } });
      await expect(runTeardown(c.ctx, s.deps)).resolves.toEqual({ outcome: { kind: 'deleted' } });
      expect((await cluster.getService('default', 'web')).uid).toBe(second.uid);
    } finally {
      await s.close();
    }
  });
});

describe('approved for one version of the Service (expectResourceVersion): the job acts only on that state', () => {
  const lbManifest = { ...manifest, spec: { ...manifest.spec, type: 'LoadBalancer' as const } };

  /** Someone else changes the Service (to NodePort) right after the job's next read of it, before the job writes. */
  function changeRightAfterNextRead(cluster: ReturnType<typeof setup>['world']['targets'][number]['cluster']): void {
    const read = cluster.getService.bind(cluster);
    cluster.getService = async (namespace, name) => {
      const seen = await read(namespace, name);
      cluster.getService = read;
      await cluster.setServiceType(namespace, name, 'NodePort');
      return seen;
    };
  }

  async function expectChangedSinceApproved(run: Promise<unknown>, s: ReturnType<typeof setup>): Promise<void> {
    const err: unknown = await run.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentJobError);
    expect(err).toMatchObject({ message: CHANGED_SINCE_APPROVED });
    await s.deps.board.close();
    expect(s.updates.at(-1)?.text).toMatch(/Stuck at \*(Service created|Service deleted|type changed)\*: the Service changed since the request was approved — ask again/);
  }

  test('provision: changed between the job\'s read and its patch: the conditional patch is refused, the job fails, the type stays', async () => {
    const s = setup();
    try {
      const { cluster } = s.world.targets[0]!;
      const approved = await cluster.createService(manifest);
      changeRightAfterNextRead(cluster);
      await expectChangedSinceApproved(runProvision(context(data('provision', { expectResourceVersion: approved.resourceVersion })).ctx, s.deps), s);
      expect((await cluster.getService('default', 'web')).type).toBe('NodePort');
      expect(cluster.writes.filter((w) => w.includes('LoadBalancer'))).toEqual([]);
    } finally {
      await s.close();
    }
  });

  test('provision: a patch that failed (transient) is not retried on a Service changed since', async () => {
    const s = setup();
    try {
      const { cluster } = s.world.targets[0]!;
      const approved = await cluster.createService(manifest);
      cluster.failNext('setServiceType', new BotError('cluster_unreachable', 'Cluster `prod` answered 503 — try again shortly.', { transient: true }));
      const job = data('provision', { expectResourceVersion: approved.resourceVersion });
      const first = context(job);
      await expect(runProvision(first.ctx, s.deps)).rejects.toMatchObject({ code: 'cluster_unreachable' });
      expect(first.state().serviceUid).toBe(approved.uid);
      await cluster.setServiceType('default', 'web', 'NodePort'); // someone else, before the retry
      await expectChangedSinceApproved(runProvision(context(job, { state: first.state() }).ctx, s.deps), s);
      expect((await cluster.getService('default', 'web')).type).toBe('NodePort');
    } finally {
      await s.close();
    }
  });

  test('provision: a Service the job created itself is not checked (no version of it was approved)', async () => {
    const s = setup();
    try {
      const c = context(data('provision', { manifest, expectResourceVersion: 'of-something-else' }));
      await expect(runProvision(c.ctx, s.deps)).resolves.toMatchObject({ outcome: { kind: 'ready' } });
    } finally {
      await s.close();
    }
  });

  test('delete: changed between the job\'s read and its delete: refused (not taken for "ours is gone"), the Service stays', async () => {
    const s = setup();
    try {
      const { cluster } = s.world.targets[0]!;
      const approved = await cluster.createService(lbManifest);
      changeRightAfterNextRead(cluster);
      await expectChangedSinceApproved(runTeardown(context(data('delete', { expectResourceVersion: approved.resourceVersion })).ctx, s.deps), s);
      expect(await cluster.getService('default', 'web')).toMatchObject({ uid: approved.uid, type: 'NodePort', deleting: false });
      expect(cluster.writes.filter((w) => w.startsWith('delete'))).toEqual([]);
    } finally {
      await s.close();
    }
  });

  test('retype: changed since the approval: fails, the type stays', async () => {
    const s = setup();
    try {
      const { cluster } = s.world.targets[0]!;
      const approved = await cluster.createService(lbManifest);
      await cluster.setServiceType('default', 'web', 'NodePort'); // someone else, since the approval
      await cluster.setServiceType('default', 'web', 'LoadBalancer');
      const job = data('retype', { targetType: 'ClusterIP', expectResourceVersion: approved.resourceVersion });
      await expectChangedSinceApproved(runTeardown(context(job).ctx, s.deps), s);
      expect((await cluster.getService('default', 'web')).type).toBe('LoadBalancer');
    } finally {
      await s.close();
    }
  });

  test('retype: the Service still in that version: changed', async () => {
    const s = setup();
    try {
      const { cluster } = s.world.targets[0]!;
      const approved = await cluster.createService(lbManifest);
      const job = data('retype', { targetType: 'ClusterIP', expectResourceVersion: approved.resourceVersion });
      const c = context(job);
      // Changed; the job then waits for AWS to remove the load balancer.
      await expect(runTeardown(c.ctx, s.deps)).rejects.toBeInstanceOf(JobParked);
      expect(c.state().doneAt.service).toBeDefined();
      expect((await cluster.getService('default', 'web')).type).toBe('ClusterIP');
    } finally {
      await s.close();
    }
  });
});

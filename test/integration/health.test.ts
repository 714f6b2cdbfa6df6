/**
 * The probe endpoints of a running svcbot, over real HTTP: /healthz and /readyz on the web port (Redis,
 * every configured cluster's API server, Slack's verdict on the token), turning 503 and naming what is not
 * ready when a cluster's API server or Redis does not answer; the worker's own server on HEALTH_PORT,
 * closed when the worker stops.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { createSlackAdapters, endpointClients, startSvcbot } from '../../src/app.js';
import { createSlackAuthCheck } from '../../src/adapters/slack/index.js';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/logger.js';
import { BOT_TOKEN, newRedisPrefix, removeBotKeys, startBot, startBotSandbox, type BotUnderTest } from '../helpers/bot.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/redis-server.js';
import { startSlackStub } from '../helpers/slack-stub.js';
import { waitFor } from '../helpers/wait.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const UNREACHABLE_KUBECONFIG = `
apiVersion: v1
kind: Config
clusters: [{ name: gone, cluster: { server: "http://127.0.0.1:9" } }]
users: [{ name: gone, user: {} }]
contexts: [{ name: gone, context: { cluster: gone, user: gone } }]
current-context: gone
`;

async function get(url: string): Promise<{ status: number; body: string; json: () => unknown }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  const body = await res.text();
  return { status: res.status, body, json: () => JSON.parse(body) as unknown };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function bot(options: Parameters<typeof startBot>[0] = {}): Promise<BotUnderTest> {
  const started = await startBot(options);
  cleanups.push(() => started.stop());
  return started;
}

const base = (b: BotUnderTest) => `http://127.0.0.1:${b.app.port}`;

describe('the web port', () => {
  it('answers /healthz and /readyz: ready, each check named', async () => {
    const b = await bot();
    await expect(get(`${base(b)}/healthz`)).resolves.toMatchObject({ status: 200, body: '{"status":"ok"}' });
    const ready = await get(`${base(b)}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { redis: { ok: true }, [`cluster:${b.sandbox.info.clusterName}`]: { ok: true }, slack: { ok: true } } });
  });

  it("is not ready while a configured cluster's API server does not answer, and names it", async () => {
    // `gone`'s kubeconfig points at a port nothing listens on.
    const b = await bot({
      yaml: 'kubeconfig: /virtual/kubeconfig\nclusters:\n  - name: good\n    context: sandbox\n    clusterName: good\n  - name: gone\n    context: gone\n    clusterName: gone\n',
      kubeconfigs: { gone: UNREACHABLE_KUBECONFIG },
    });
    const ready = await get(`${base(b)}/readyz`);
    expect(ready.status).toBe(503);
    const body = ready.json() as { status: string; notReady: string[]; checks: Record<string, { ok: boolean; problem?: string }> };
    expect(body.status).toBe('not ready');
    expect(body.notReady).toEqual(['cluster:gone']);
    expect(body.checks['cluster:good']).toEqual({ ok: true });
    expect(body.checks['cluster:gone']?.problem).toMatch(/does not answer/);
  });

  it("is not ready while a cluster's API server is slower than the probe's bound, and ready again after", async () => {
    const b = await bot();
    const name = `cluster:${b.sandbox.info.clusterName}`;
    b.sandbox.faults.set({ kubeLatencyMs: 2000 });
    const started = Date.now();
    const slow = await waitFor(async () => {
      const r = await get(`${base(b)}/readyz`);
      return r.status === 503 ? r : undefined;
    }, { what: '/readyz to answer 503', timeoutMs: 15_000, intervalMs: 200 });
    expect(slow.json()).toMatchObject({ notReady: [name], checks: { [name]: { ok: false, problem: 'no answer within 800 ms' } } });
    // Each probe answers within about a second however slow the API server.
    const one = Date.now();
    await get(`${base(b)}/readyz`);
    expect(Date.now() - one).toBeLessThan(1500);
    expect(Date.now() - started).toBeLessThan(15_000);
    b.sandbox.faults.reset();
    await waitFor(async () => (await get(`${base(b)}/readyz`)).status === 200, { what: '/readyz to answer 200 again', timeoutMs: 15_000, intervalMs: 200 });
  });

  it('is not ready while Redis is down, and ready again once it is back', async () => {
    const redis: PrivateRedis = await startPrivateRedis();
    cleanups.push(() => redis.stop());
    const b = await bot({ env: { REDIS_URL: redis.url } });
    await waitFor(async () => (await get(`${base(b)}/readyz`)).status === 200, { what: '/readyz to answer 200', timeoutMs: 10_000, intervalMs: 100 });
    await redis.stop();
    const down = await waitFor(async () => {
      const r = await get(`${base(b)}/readyz`);
      return r.status === 503 ? r : undefined;
    }, { what: '/readyz to answer 503', timeoutMs: 15_000, intervalMs: 200 });
    expect(down.json()).toMatchObject({ status: 'not ready', notReady: ['redis'] });
    await redis.start();
    await waitFor(async () => (await get(`${base(b)}/readyz`)).status === 200, { what: '/readyz to answer 200 again', timeoutMs: 20_000, intervalMs: 200 });
  });
});

describe("the Slack check (Slack's verdict on the bot token)", () => {
  const slackConfig = (apiUrl: string) => loadConfig({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_API_URL: apiUrl }, () => '').slack;

  it('asks auth.test once per TTL whatever the probes, and fails once Slack refuses the token', async () => {
    const slack = await startSlackStub();
    cleanups.push(() => slack.close());
    let time = 0;
    const check = createSlackAuthCheck(slackConfig(slack.apiUrl), { ttlMs: 60_000, now: () => time });
    await Promise.all([check.check(), check.check(), check.check()]);
    await check.check();
    expect(slack.calls.filter((c) => c.method === 'auth.test')).toHaveLength(1);
    slack.override((call) => (call.method === 'auth.test' ? { body: { ok: false, error: 'token_revoked' } } : undefined));
    time = 60_000;
    // The stale verdict stands while the new one is asked for.
    await check.check();
    await slack.waitForCall((c) => c.method === 'auth.test' && slack.calls.filter((x) => x.method === 'auth.test').length === 2);
    await waitFor(() => check.check().then(() => false, (err: Error) => err.message), { what: 'the check to fail' }).then((message) =>
      expect(message).toBe('Slack refused SLACK_BOT_TOKEN (token_revoked)'),
    );
  });

  it("fails while Slack's API does not answer before any verdict; keeps the last verdict after one", async () => {
    const slack = await startSlackStub();
    cleanups.push(() => slack.close());
    const unreachable = createSlackAuthCheck(slackConfig('http://127.0.0.1:9/api/'));
    await expect(unreachable.check()).rejects.toThrow(/Slack's API does not answer auth.test/);
    let time = 0;
    const check = createSlackAuthCheck(slackConfig(slack.apiUrl), { ttlMs: 1000, now: () => time });
    await check.check();
    slack.override((call) => (call.method === 'auth.test' ? { status: 500, body: 'down' } : undefined));
    time = 5000;
    await check.check();
    await slack.waitForCall((c) => c.method === 'auth.test' && slack.calls.filter((x) => x.method === 'auth.test').length === 2);
    await expect(check.check()).resolves.toBeUndefined();
  });
});

describe('svcbot worker', () => {
  it('serves /healthz and /readyz on HEALTH_PORT, and closes it when it stops', async () => {
    const sandbox = await startBotSandbox();
    const slack = await startSlackStub();
    const prefix = newRedisPrefix();
    cleanups.push(async () => {
      await removeBotKeys(prefix);
      await slack.close();
      await sandbox.close();
    });
    const config = loadConfig(
      {
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_API_URL: slack.apiUrl,
        HEALTH_PORT: '0',
        CLUSTER_NAME: sandbox.info.clusterName,
        AWS_REGION: sandbox.info.region,
        REDIS_URL,
        REDIS_PREFIX: prefix,
        JOB_SHUTDOWN_GRACE: '500ms',
      },
      () => '',
    );
    const logger = createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, done) => done() }) });
    const clients = endpointClients({ kubeconfigYaml: sandbox.kubeconfigYaml, elbEndpoint: sandbox.info.elbEndpoint, ec2Endpoint: sandbox.info.ec2Endpoint, region: sandbox.info.region });
    const app = await startSvcbot(config, createSlackAdapters(config, logger, { role: 'worker', clients }), 'worker');
    expect(app.port).toBeUndefined();
    const url = `http://127.0.0.1:${app.healthPort}`;
    await expect(get(`${url}/healthz`)).resolves.toMatchObject({ status: 200, body: '{"status":"ok"}' });
    await waitFor(async () => (await get(`${url}/readyz`)).status === 200, { what: "the worker's /readyz to answer 200", timeoutMs: 10_000, intervalMs: 100 });
    await expect(get(`${url}/nothing`)).resolves.toMatchObject({ status: 404 });
    const metrics = await get(`${url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('# TYPE svcbot_jobs_total counter');
    // The readiness check's auth.test went through a metered client, as the worker's replies do.
    expect(metrics.body).toMatch(/^svcbot_slack_requests_total\{method="auth\.test",result="ok"\} [1-9]/m);
    const stopping = Date.now();
    await app.stop();
    expect(Date.now() - stopping).toBeLessThan(5000);
    await expect(fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
  });
});

describe('/metrics', () => {
  /** The sample of `series` (name and labels, as exposed) in `text`, or undefined. */
  function sample(text: string, series: string): number | undefined {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  }

  it('exposes commands, ack latency, Kubernetes, AWS and orphan series after commands through signed HTTP', async () => {
    const b = await bot({ approvals: false });
    expect((await b.command('list')).status).toBe(200);
    expect((await b.command('bogus-subcommand')).status).toBe(200);
    expect((await b.command('orphans')).status).toBe(200);
    const text = await waitFor(async () => {
      const r = await get(`${base(b)}/metrics`);
      expect(r.status).toBe(200);
      return sample(r.body, 'svcbot_commands_total{subcommand="orphans",result="ok"}') === 1 ? r.body : undefined;
    }, { what: 'the orphans command to be counted', timeoutMs: 15_000, intervalMs: 200 });
    expect(sample(text, 'svcbot_commands_total{subcommand="list",result="ok"}')).toBe(1);
    expect(sample(text, 'svcbot_commands_total{subcommand="unknown",result="usage_error"}')).toBe(1);
    expect(sample(text, 'svcbot_ack_seconds_count')).toBe(3);
    expect(sample(text, 'svcbot_kubernetes_requests_total{verb="list",resource="services",code="2xx"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'svcbot_aws_requests_total{api="elb",action="DescribeLoadBalancers",code="OK"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'svcbot_orphans')).toBe(0);
    expect(sample(text, 'svcbot_orphans_monthly_cost_usd')).toBe(0);
    expect(sample(text, 'svcbot_approvals_pending')).toBe(0);
    expect(text).toContain('# TYPE svcbot_ack_seconds histogram');
    // No unbounded label values: no user, channel or request IDs.
    expect(text).not.toMatch(/U[A-Z0-9]{6,}|C[A-Z0-9]{6,}/);
  });

  it("counts a load-balancer job's run and times its steps", async () => {
    const b = await bot({ approvals: false });
    expect((await b.command('create web --selector app=alpine --port 80 --type loadbalancer')).status).toBe(200);
    const text = await waitFor(async () => {
      const r = await get(`${base(b)}/metrics`);
      return sample(r.body, 'svcbot_jobs_total{operation="provision",outcome="completed"}') === 1 ? r.body : undefined;
    }, { what: 'the provisioning job to be counted', timeoutMs: 20_000, intervalMs: 200 });
    expect(text).toMatch(/svcbot_job_step_seconds_count\{operation="provision",step="[a-z-]+"\} 1/);
    expect(text).not.toContain('web');
  });

  it("counts Slack Web API calls by method and result (a refused one by Slack's error code), and a job parked waiting for DNS", async () => {
    // The audit channel's posts are refused (channel_not_found); the job's progress messages are not.
    const b = await bot({ approvals: false, sandbox: { dnsDelayMs: 60_000 }, env: { SVCBOT_AUDIT_CHANNEL: 'CAUDIT01' } });
    b.slack.override((call) => (call.method === 'chat.postMessage' && call.body.channel === 'CAUDIT01' ? { body: { ok: false, error: 'channel_not_found' } } : undefined));
    const before = (await get(`${base(b)}/metrics`)).body;
    expect(sample(before, 'svcbot_jobs_parked')).toBe(0);
    expect(sample(before, 'svcbot_jobs{state="waiting"}')).toBe(0);
    expect((await b.command('create slow-web --selector app=alpine --port 8080:80 --type lb')).status).toBe(200);
    // The job makes the Service, then parks until its hostname resolves (a minute here).
    const text = await waitFor(async () => {
      const r = await get(`${base(b)}/metrics`);
      const refused = sample(r.body, 'svcbot_slack_requests_total{method="chat.postMessage",result="channel_not_found"}') ?? 0;
      return sample(r.body, 'svcbot_jobs_parked') === 1 && refused >= 1 ? r.body : undefined;
    }, { what: 'the parked job and the refused audit post to be counted', timeoutMs: 20_000, intervalMs: 200 });
    expect(sample(text, 'svcbot_jobs{state="parked"}')).toBe(1);
    expect(sample(text, 'svcbot_slack_requests_total{method="chat.postMessage",result="ok"}')).toBeGreaterThanOrEqual(1);
    expect(b.slack.calls.some((c) => c.method === 'chat.postMessage' && c.body.channel !== 'CAUDIT01')).toBe(true);
    // Bounded label values only: methods and results from fixed sets, no channel or user IDs.
    const methods = new Set([...text.matchAll(/^svcbot_slack_requests_total\{method="([^"]+)",result="([^"]+)"\}/gm)].map((m) => `${m[1]} ${m[2]}`));
    for (const series of methods) expect(series).toMatch(/^(auth\.test|chat\.postMessage|chat\.update|users\.info|usergroups\.users\.list|unknown) [a-z_0-9]+$/);
    expect(text).not.toContain('CAUDIT01');
  });
});

describe('start-up checks', () => {
  it("warn loudly about a Redis without persistence or with an evicting policy; the sandbox's AWS and Kubernetes pass or say they cannot check", async () => {
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.stop());
    const { Redis } = await import('ioredis');
    const admin = new Redis(redis.url);
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    admin.disconnect();
    const b = await bot({ env: { REDIS_URL: redis.url } });
    const lines = () => b.logs().split('\n').filter((l) => l.includes('"component":"startup-checks"'));
    await waitFor(() => lines().some((l) => l.includes('persistence is OFF')), { what: 'the persistence warning' });
    await waitFor(() => lines().some((l) => l.includes('maxmemory-policy is allkeys-lru')), { what: 'the eviction warning' });
    // Each problem once, as its own line.
    expect(lines().filter((l) => l.includes('persistence is OFF'))).toHaveLength(1);
    await waitFor(() => b.logs().includes('start-up checks done'), { what: 'the checks to end' });
    // The sandbox answers SelfSubjectAccessReview under manifests/'s RBAC: checked, nothing missing
    // (the missing-permission lines: test/integration/startup-checks.test.ts).
    expect(lines().filter((l) => l.includes("cannot check svcbot's permissions"))).toEqual([]);
    expect(b.logs()).not.toContain('AWS: DescribeLoadBalancers');
    expect(b.logs()).not.toContain("svcbot's service account may not");
  });

  it('say nothing about a Redis with AOF and noeviction', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'svcbot-health-'));
    const redis = await startPrivateRedis({ persistDir: dir });
    cleanups.push(async () => {
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    const b = await bot({ env: { REDIS_URL: redis.url } });
    await waitFor(() => b.logs().includes('start-up checks done'), { what: 'the checks to end' });
    expect(b.logs()).not.toContain('persistence is OFF');
    expect(b.logs()).not.toContain('maxmemory-policy is');
  });
});

/**
 * An approved request whose run was cut short — the process that approved it died before its change — is
 * carried out by the sweeper of a running `svcbot web` (startSvcbot over the console's text chat, the Redis
 * approval store under a key prefix of its own, the sandbox's cluster). The dead process is the request
 * approved in Redis with nothing run, its lease already lapsed. On the shared Redis and on a local Redis
 * Cluster (test/helpers/bot-redis.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createConsoleAdapters, endpointClients, startSvcbot } from '../../src/app.js';
import { createRedisApprovalStore } from '../../src/adapters/redis/approvals.js';
import { DEFAULT_RUN_LEASE_MS } from '../../src/domain/approvals.js';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/logger.js';
import { renderToText } from '../../src/render/text.js';
import { startSandbox } from '../../sandbox/index.js';
import { onEachBotRedis } from '../helpers/bot-redis.js';
import { waitFor } from '../helpers/wait.js';

const ALICE = { userId: 'U0ALICE', channelId: 'C0OPS' };

/** Undone in reverse order after each test, whether it passed or not. */
let cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  cleanups = [];
});

onEachBotRedis((redis) => {
  test('the sweeper of svcbot web resumes an approved run whose process died: the change is made once, the requester told, all recorded', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'svcbot-approved-runs-'));
    cleanups.push(() => rm(tmp, { recursive: true, force: true }));
    const sandbox = await startSandbox({ kubeconfigPath: join(tmp, 'kubeconfig') });
    cleanups.push(() => sandbox.close());
    const prefix = `svcbot-test-${Math.random().toString(36).slice(2, 10)}`;
    const target = redis();
    cleanups.push(() => target.removeKeys(prefix));
    // A short TTL makes the sweeper run every second (a quarter of it).
    const config = loadConfig({ ...sandbox.info.env, ...target.env, REDIS_PREFIX: prefix, SLACK_BOT_TOKEN: 'xoxb-approved-runs', SVCBOT_APPROVAL_TTL: '4s' });
    let logText = '';
    const logger = createLogger({
      level: 'info',
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          logText += chunk.toString();
          done();
        },
      }),
    });
    let posted = '';
    const clients = endpointClients({ kubeconfigYaml: sandbox.kubeconfigYaml, elbEndpoint: sandbox.info.elbEndpoint, ec2Endpoint: sandbox.info.ec2Endpoint, region: sandbox.info.region });
    const adapters = createConsoleAdapters(config, logger, { role: 'web', clients, write: (text) => (posted += text) });
    const running = await startSvcbot(config, adapters, 'web');
    cleanups.push(() => running.stop());
    const say = async (text: string) => (await adapters.text.command(config.slack.command, text, ALICE)).map((reply) => renderToText(reply).text).join('\n');

    expect(await say('create web --selector app=web --port 80 --type nodeport')).toContain('web');
    const asked = await say('delete web');
    const id = /request `([0-9a-f]{8})`/.exec(asked + posted)?.[1];
    if (id === undefined) throw new Error(`no approval request in:\n${asked}\n${posted}`);

    // Another process approved it, then died before running it: approved in Redis, nothing run, lease lapsed.
    const store = createRedisApprovalStore(target.client, { prefix });
    const outcome = await store.decide(id, { status: 'approved', by: 'U0BOB', at: Date.now() - DEFAULT_RUN_LEASE_MS });
    expect(outcome.changed).toBe(true);

    expect(sandbox.cluster.getService('default', 'web')).toBeDefined();
    await waitFor(() => sandbox.cluster.getService('default', 'web') === undefined, { timeoutMs: 10_000, what: 'the resumed delete of web' });
    await waitFor(() => logText.includes('approved request ran, resumed after an interrupted run'), { timeoutMs: 5000, what: 'the log line of the resumed run' });
    expect(logText).toContain('resuming an approved request after an interrupted run');
    const audit = await say('audit --service web');
    expect(audit).toMatch(/deleted NodePort Service/);
    await waitFor(() => /was approved/.test(posted), { timeoutMs: 5000, what: 'the requester told' });
    expect(posted.match(/was approved/g)).toHaveLength(1);
    // The run is over: later sweeps leave it be.
    expect(await store.claimStalledRuns(Date.now() + 10 * DEFAULT_RUN_LEASE_MS, 1000)).toEqual([]);
  }, 30_000);
});

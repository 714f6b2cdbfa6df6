/**
 * SIGTERM, as Kubernetes sends it, to the real `svcbot web` and `svcbot worker` processes: the web side
 * stops taking connections but answers a request that was in flight (its body half sent when the signal
 * came), and each process exits 0 well within its grace period (Kubernetes' default is 30 s; svcbot's
 * own bound is 10 s).
 */
import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/redis-server.js';
import { slackSignature, slashCommandBody } from '../helpers/slack-request.js';
import { startSlackStub, type SlackStub } from '../helpers/slack-stub.js';
import { killAll, loggedLine, spawnSvcbot, type SvcbotProcess } from '../helpers/svcbot-process.js';
import { waitFor } from '../helpers/wait.js';

const SECRET = 'shutdown-test-secret';

let tmp: string;
let sandbox: Sandbox;
let slack: SlackStub;
let redis: PrivateRedis;
let env: Record<string, string>;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'svcbot-shutdown-'));
  sandbox = await startSandbox({ kubeconfigPath: join(tmp, 'kubeconfig') });
  slack = await startSlackStub();
  redis = await startPrivateRedis();
  env = {
    ...sandbox.info.env,
    SLACK_BOT_TOKEN: 'xoxb-shutdown-test',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: slack.apiUrl,
    REDIS_URL: redis.url,
    PORT: '0',
    JOB_SHUTDOWN_GRACE: '2s',
  };
});
afterAll(async () => {
  await killAll();
  await redis.stop();
  await slack.close();
  await sandbox.close();
  await rm(tmp, { recursive: true, force: true });
});

/** SIGTERM, and how long until the process had exited and how. */
async function terminate(svcbot: SvcbotProcess): Promise<{ ms: number; code: number | null; signal: NodeJS.Signals | null }> {
  const started = Date.now();
  const ended = await svcbot.kill('SIGTERM');
  return { ms: Date.now() - started, ...ended };
}

test('svcbot web: a request in flight when SIGTERM comes is answered; new connections are refused; exit 0 within 3 s', async () => {
  const web = spawnSvcbot('web', ['web'], env);
  const { port } = await waitFor(() => loggedLine(web, 'svcbot is listening for /svc'), { what: 'svcbot web to listen', timeoutMs: 20_000 });
  expect(port).toBeGreaterThan(0);

  // A slash command whose body is half written when the signal comes.
  const body = slashCommandBody({ text: 'help', response_url: slack.responseUrl('in-flight') });
  const ts = Math.floor(Date.now() / 1000);
  const socket = net.connect(port!, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  let answer = '';
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(
    [
      'POST /slack/events HTTP/1.1',
      `Host: 127.0.0.1:${port!}`,
      'Content-Type: application/x-www-form-urlencoded',
      `Content-Length: ${Buffer.byteLength(body)}`,
      `X-Slack-Request-Timestamp: ${ts}`,
      `X-Slack-Signature: ${slackSignature(SECRET, ts, body)}`,
      '',
      '',
    ].join('\r\n'),
  );
  const half = Math.floor(body.length / 2);
  socket.write(body.slice(0, half));

  const exited = terminate(web);
  await waitFor(() => loggedLine(web, 'stopping'), { what: 'svcbot web to start stopping', timeoutMs: 5000 });
  socket.write(body.slice(half));
  await waitFor(() => answer.includes('\r\n\r\n'), { what: 'the answer to the request in flight', timeoutMs: 5000 });
  socket.end();
  await closed;
  expect(answer).toMatch(/^HTTP\/1\.1 200 /);
  // Stopped taking connections: a new one is refused (or closed unanswered).
  const refused = await new Promise<boolean>((resolve) => {
    const late = net.connect(port!, '127.0.0.1');
    late.once('error', () => resolve(true));
    late.once('connect', () => late.once('close', () => resolve(true)).end());
  });
  expect(refused).toBe(true);

  const { ms, code, signal } = await exited;
  expect({ code, signal }).toEqual({ code: 0, signal: null });
  expect(ms).toBeLessThan(3000);
  // The request that was in flight was carried out too: its answer went to its response_url.
  await slack.waitForCall((c) => c.method === 'response_url' && c.responseId === 'in-flight');
}, 40_000);

test('svcbot worker: idle, it exits 0 within 1.5 s of SIGTERM (jobs-crash.test.ts stops one with a job running)', async () => {
  const idle = spawnSvcbot('worker-idle', ['worker'], env);
  await waitFor(() => loggedLine(idle, 'svcbot is running load-balancer jobs'), { what: 'svcbot worker to start', timeoutMs: 20_000 });
  const idleEnd = await terminate(idle);
  expect({ code: idleEnd.code, signal: idleEnd.signal }).toEqual({ code: 0, signal: null });
  expect(idleEnd.ms).toBeLessThan(1500);
}, 40_000);

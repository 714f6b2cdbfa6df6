/**
 * A load balancer is announced only once svcbot has connected to it, end to end: svcbot's GET goes
 * through the sandbox's real data path (DNS → the ELB's loopback listener → an InService node's node port
 * → a ready pod), and one that stays silent is never called ready: the job says why, in words.
 */
import type { Hop } from '../../sandbox/net/dataplane.js';
import { startBot, type BotUnderTest } from '../helpers/bot.js';
import type { RecordedCall } from '../helpers/slack-stub.js';
import { waitFor } from '../helpers/wait.js';

let bot: BotUnderTest;
const hops: Hop[] = [];

beforeAll(async () => {
  bot = await startBot({ approvals: false, env: { JOB_TIMEOUT: '10s' } });
  bot.sandbox.dataPlane.onHop((hop) => hops.push(hop));
});
afterAll(() => bot.stop());

const text = (c: RecordedCall) => String(c.body.text);
/** The job's messages about `name`: posts and updates. */
const about = (name: string) => bot.slack.calls.filter((c) => (c.method === 'chat.postMessage' || c.method === 'chat.update') && text(c).includes(`default/${name}`));

test('an httpd behind it: "reachable" only after svcbot\'s GET went through the load balancer to a pod; the progress shows the step', async () => {
  await bot.command('create answered --selector app=alpine --port 8080:80 --type lb');
  await waitFor(() => about('answered').find((c) => text(c).includes('is reachable at')), { what: 'the endpoint message', timeoutMs: 15_000 });
  const lb = bot.sandbox.elb.list().find((l) => l.tags.get('kubernetes.io/service-name') === 'default/answered');
  expect(hops).toContainEqual(expect.objectContaining({ kind: 'loadBalancer', name: lb?.name, port: 8080 }));
  expect(hops).toContainEqual(expect.objectContaining({ kind: 'pod', namespace: 'default', port: 80, serves: 'http' }));
  const final = await waitFor(() => about('answered').find((c) => c.method === 'chat.update' && text(c).includes('Ready')), { what: 'the final progress' });
  expect(JSON.stringify(final.body)).toContain(':white_check_mark: endpoint answers');
}, 30_000);

test('no pod behind it: never "reachable"; the job fails saying the selector matches no ready pod', async () => {
  await bot.command('create lonely --selector app=nobody --port 80 --type lb');
  const failed = await waitFor(() => about('lonely').find((c) => text(c).includes(':x: stuck at')), { what: 'the failure', timeoutMs: 25_000 });
  expect(text(failed)).toMatch(/no ready endpoint behind the Service: its selector app=nobody matches no ready pod/);
  expect(about('lonely').filter((c) => text(c).includes('is reachable at'))).toEqual([]);
  // While it waited, the progress message said why.
  expect(about('lonely').some((c) => c.method === 'chat.update' && JSON.stringify(c.body).includes('app=nobody matches no ready pod'))).toBe(true);
}, 40_000);

/**
 * A throttled AWS account (the sandbox's ELB API answering `Throttling` above a request rate), end to end
 * through the real bot: throttling slows svcbot down and never fails a job — every load-balancer job
 * completes with one Service, one ELB and one endpoints message.
 */
import { startBot, type BotUnderTest } from '../helpers/bot.js';
import { waitFor } from '../helpers/wait.js';

async function createLoadBalancers(bot: BotUnderTest, names: readonly string[]): Promise<void> {
  for (const name of names) {
    const res = await bot.command(`create ${name} --selector app=alpine --port 80 --type lb`);
    const answer = await waitFor(
      () => bot.slack.calls.find((c) => (c.method === 'response_url' && c.responseId === res.responseId) || (c.method === 'chat.postMessage' && String(c.body.text).includes(`\`default/${name}\``))),
      { what: `the answer to create ${name}` },
    );
    expect(String(answer.body.text)).not.toMatch(/^:warning:/);
  }
}

function outcomeOf(bot: BotUnderTest, names: readonly string[]) {
  const services = bot.sandbox.cluster.listServices();
  return names.map((name) => ({
    name,
    endpointMessages: bot.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.body.thread_ts && String(c.body.text).includes(`default/${name}`) && String(c.body.text).includes('is reachable at')).length,
    failures: bot.slack.calls.filter((c) => (c.method === 'chat.update' || c.method === 'chat.postMessage') && String(c.body.text).includes(`default/${name}`) && String(c.body.text).includes('Stuck at')).length,
    services: services.filter((s) => s.metadata.namespace === 'default' && s.metadata.name === name).length,
    elbs: bot.sandbox.elb.list().filter((lb) => lb.tags.get('kubernetes.io/service-name') === `default/${name}`).length,
  }));
}

describe('elbThrottleRatePerSecond: 1 (AWS throttles the account above one ELB call a second)', () => {
  let bot: BotUnderTest;
  beforeAll(async () => {
    bot = await startBot({ approvals: false, env: { JOB_TIMEOUT: '3m' } });
  });
  afterAll(() => bot.stop());

  test('5 provisioning jobs at once all complete: one Service, one ELB, one endpoints message each, none failed', async () => {
    bot.sandbox.faults.set({ elbThrottleRatePerSecond: 1 });
    const names = Array.from({ length: 5 }, (_, i) => `throttled-${i}`);
    const started = Date.now();
    await createLoadBalancers(bot, names);
    await waitFor(() => outcomeOf(bot, names).every((o) => o.endpointMessages > 0 || o.failures > 0), { what: 'every job to end', timeoutMs: 150_000 });
    if (process.env.SVCBOT_REPORT_FIGURES === '1') process.stderr.write(`5 jobs under ELB throttling at 1/s: ${Date.now() - started} ms, ${bot.logs().split('transient failure').length - 1} failed attempts\n`);
    const outcome = outcomeOf(bot, names);
    expect(outcome).toEqual(names.map((name) => ({ name, endpointMessages: 1, failures: 0, services: 1, elbs: 1 })));
    // Throttling cost no job an attempt (8 attempts would not survive a long spell): the ELB client slowed
    // down and retried, and what still came through throttled made the job wait (jobs-faults.test.ts).
    expect(bot.logs()).not.toContain('transient failure');
  }, 180_000);
});

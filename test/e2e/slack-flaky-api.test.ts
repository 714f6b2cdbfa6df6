/**
 * A flaky Kubernetes API server (the sandbox answering 500 to every Nth request), end to end through
 * the real bot: the five commands still succeed, load-balancer jobs complete with one Service, one ELB
 * and one endpoints message each, and a cluster that keeps failing gets a "still trying" notice, then a
 * clear error, within the command's retry budget.
 */
import { startBot, type BotUnderTest } from '../helpers/bot.js';
import type { RecordedCall } from '../helpers/slack-stub.js';
import { waitFor } from '../helpers/wait.js';

function allText(call: RecordedCall): string {
  return `${String(call.body.text)}\n${JSON.stringify(call.body.blocks ?? [])}`;
}

/** An interim "still trying…" notice: the command's retries passed the notice threshold (2.5 s), which a loaded machine can reach at every other request failing. */
const isInterim = (call: RecordedCall) => /^:hourglass_flowing_sand: The cluster .* still trying/.test(String(call.body.text));

/** The answer to `text` (not an interim notice): ephemeral through its response_url, or (a change) posted in the channel. One command at a time. */
async function replyTo(bot: BotUnderTest, text: string): Promise<string> {
  const before = bot.slack.calls.length;
  const res = await bot.command(text);
  const answer = await waitFor(
    () =>
      bot.slack.calls
        .slice(before)
        .find(
          (c) =>
            !isInterim(c) &&
            ((c.method === 'response_url' && c.responseId === res.responseId) || (c.method === 'chat.postMessage' && !c.body.thread_ts && !String(c.body.text).includes('Load balancer for'))),
        ),
    { what: `the answer to ${text}`, timeoutMs: 40_000 },
  );
  return String(answer.body.text);
}

/** The five commands, each with what its successful reply says. */
const COMMANDS = (name: string): [string, RegExp][] => [
  [`create ${name} --selector app=alpine --port 8080:80`, new RegExp(`created ClusterIP Service \`${name}\``)],
  [`describe ${name}`, new RegExp(name)],
  ['list', /Services? in/],
  [`type ${name} nodeport`, new RegExp(`changed Service \`${name}\`.* from ClusterIP to NodePort`)],
  [`delete ${name}`, new RegExp(`deleted NodePort Service \`${name}\``)],
];

/** Runs the five commands; the replies that are not the success each expects. */
async function runCommands(bot: BotUnderTest, name: string): Promise<{ ok: number; failures: string[] }> {
  const failures: string[] = [];
  for (const [text, success] of COMMANDS(name)) {
    const answer = await replyTo(bot, text);
    if (!success.test(answer) || answer.startsWith(':warning:')) failures.push(`${text} -> ${answer}`);
  }
  return { ok: COMMANDS(name).length - failures.length, failures };
}

/** Sends `count` load-balancer creates and waits for each job to post its endpoints; counts what there is of each. */
async function runLbJobs(bot: BotUnderTest, prefix: string, count: number) {
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  for (const name of names) {
    expect(await replyTo(bot, `create ${name} --selector app=alpine --port 80 --type lb`)).toMatch(/Queued/);
  }
  const endpointPosts = (name: string) =>
    bot.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.body.thread_ts && String(c.body.text).includes(`default/${name}`) && String(c.body.text).includes('is reachable at'));
  await waitFor(() => names.every((n) => endpointPosts(n).length > 0), { what: 'every job to post its endpoints', timeoutMs: 60_000 });
  const services = bot.sandbox.cluster.listServices();
  return names.map((name) => ({
    name,
    endpointMessages: endpointPosts(name).length,
    services: services.filter((s) => s.metadata.namespace === 'default' && s.metadata.name === name).length,
    elbs: bot.sandbox.elb.list().filter((lb) => lb.tags.get('kubernetes.io/service-name') === `default/${name}`).length,
  }));
}

describe('kubeErrorEveryN: 3 (every third API request answers 500)', () => {
  let bot: BotUnderTest;
  beforeAll(async () => {
    bot = await startBot({ approvals: false, env: { COMMAND_RETRY_BUDGET: '25s', KUBE_RETRY_DEADLINE: '10s' } });
  });
  afterAll(() => bot.stop());
  afterEach(() => bot.sandbox.faults.reset());

  test('create, describe, list, type change and delete all succeed', async () => {
    bot.sandbox.faults.set({ kubeErrorEveryN: 3 });
    const { ok, failures } = await runCommands(bot, 'flaky3');
    expect(failures).toEqual([]);
    expect(ok).toBe(5);
    expect(bot.sandbox.cluster.getService('default', 'flaky3')).toBeUndefined();
  });

  test('with latency too (kubeLatencyMs 100): the five commands succeed', async () => {
    bot.sandbox.faults.set({ kubeErrorEveryN: 3, kubeLatencyMs: 100 });
    expect((await runCommands(bot, 'slow3')).failures).toEqual([]);
  });

  test('5 load-balancer jobs complete: one Service, one ELB and one endpoints message each', async () => {
    bot.sandbox.faults.set({ kubeErrorEveryN: 3 });
    const outcome = await runLbJobs(bot, 'flakylb', 5);
    expect(outcome).toEqual(outcome.map(({ name }) => ({ name, endpointMessages: 1, services: 1, elbs: 1 })));
  }, 90_000);
});

describe('kubeErrorEveryN: 2 (every other API request answers 500)', () => {
  let bot: BotUnderTest;
  beforeAll(async () => {
    bot = await startBot({ approvals: false, env: { COMMAND_RETRY_BUDGET: '25s', KUBE_RETRY_DEADLINE: '10s' } });
  });
  afterAll(() => bot.stop());

  test('the five commands succeed, and 3 load-balancer jobs complete once each', async () => {
    bot.sandbox.faults.set({ kubeErrorEveryN: 2 });
    expect((await runCommands(bot, 'flaky2')).failures).toEqual([]);
    const outcome = await runLbJobs(bot, 'flaky2lb', 3);
    expect(outcome).toEqual(outcome.map(({ name }) => ({ name, endpointMessages: 1, services: 1, elbs: 1 })));
  }, 90_000);
});

describe('an API server that keeps failing', () => {
  let bot: BotUnderTest;
  beforeAll(async () => {
    bot = await startBot({ approvals: false, env: { COMMAND_RETRY_BUDGET: '6s' } });
  });
  afterAll(() => bot.stop());

  test('the user is told "still trying" once, then gets a clear error when the budget is spent; nothing is created', async () => {
    bot.sandbox.faults.set({ kubeErrorEveryN: 1 });
    const res = await bot.command('create never --selector app=alpine --port 80');
    const answers = await waitFor(() => {
      const calls = bot.slack.calls.filter((c) => c.method === 'response_url' && c.responseId === res.responseId);
      return calls.length >= 2 && calls;
    }, { what: 'the interim and the final answer', timeoutMs: 15_000 });
    const [interim, final] = answers.map((c) => String(c.body.text));
    expect(interim).toBe(`:hourglass_flowing_sand: The cluster \`${bot.sandbox.info.clusterName}\` is answering errors (HTTP 500); still trying\u2026`);
    expect(final).toMatch(new RegExp(`^:warning: Cluster \`${bot.sandbox.info.clusterName}\` answered 500`));
    expect(final).toContain('try again');
    expect(allText(answers[1]!)).not.toMatch(/\bat \S+ \(/); // no stack frames
    expect(answers).toHaveLength(2);
    bot.sandbox.faults.reset();
    expect(bot.sandbox.cluster.getService('default', 'never')).toBeUndefined();
  });

  test('a command that succeeds after a moment\'s retries gets no interim notice', async () => {
    bot.sandbox.faults.set({ kubeErrorEveryN: 2 });
    const res = await bot.command('list');
    const answer = await bot.slack.waitForCall((c) => c.method === 'response_url' && c.responseId === res.responseId);
    expect(String(answer.body.text)).toMatch(/Services? in/);
    expect(bot.slack.calls.filter((c) => c.method === 'response_url' && c.responseId === res.responseId)).toHaveLength(1);
    bot.sandbox.faults.reset();
  });
});

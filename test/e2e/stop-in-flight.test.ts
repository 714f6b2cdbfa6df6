/**
 * Stopping svcbot (SIGTERM) while a command it has acknowledged is still running: Slack was told
 * "received", so the command is carried out and its answer posted before stop() resolves, not dropped.
 */
import { startBot } from '../helpers/bot.js';

test('stop() waits for an acknowledged command to finish and post its answer', async () => {
  const bot = await startBot({ jobs: false });
  try {
    // The cluster answers slowly: the command is still working when stop() is called.
    bot.sandbox.faults.set({ kubeLatencyMs: 1500 });
    const ack = await bot.command('list');
    expect(ack.status).toBe(200);
    expect(bot.slack.calls.filter((c) => c.responseId === ack.responseId)).toEqual([]);
    await bot.app.stop();
    const answers = bot.slack.calls.filter((c) => c.method === 'response_url' && c.responseId === ack.responseId);
    expect(answers).toHaveLength(1);
    expect(String(answers[0]!.body.text)).toContain('on cluster `sandbox`');
  } finally {
    bot.sandbox.faults.set({ kubeLatencyMs: 0 });
    await bot.stop();
  }
});

/**
 * svcbot's Slack chat (src/adapters/slack: the receiver, Bolt, the transport) in a CHILD PROCESS, for
 * tests that measure the process's memory under attack: started through test/ts-loader.js with the
 * settings in its environment (as svcbot reads them), a `/svc` listener that only acknowledges, the
 * replay guard in memory. It prints `{"port":N}` once listening, samples its RSS every 10 ms, and answers
 * the IPC message `"memory"` with `{ rss, peak, acked, maxLagMs }` (bytes; `peak` and the event loop's
 * longest delay since the last `"reset-peak"`).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createMemoryReplayGuard } from '../../src/adapters/memory/replay-guard.js';
import { createSlackChat } from '../../src/adapters/slack/index.js';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/logger.js';

const config = loadConfig(process.env);
const logger = createLogger({ level: 'silent' });
const chat = createSlackChat({ slack: config.slack, http: config.http, replayGuard: createMemoryReplayGuard(), port: 0, logger });
let acked = 0;
chat.transport.onCommand(config.slack.command, () => {
  acked++;
  return Promise.resolve();
});
let peak = process.memoryUsage().rss;
const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();
setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 10);
process.on('message', (message) => {
  const rss = process.memoryUsage().rss;
  peak = Math.max(peak, rss);
  if (message === 'memory') process.send?.({ rss, peak, acked, maxLagMs: lag.max / 1e6 });
  if (message === 'reset-peak') {
    peak = rss;
    lag.reset();
    process.send?.({ rss, peak, acked, maxLagMs: 0 });
  }
});
process.on('disconnect', () => process.exit(0));
const { port } = await chat.transport.start();
process.stdout.write(`${JSON.stringify({ port })}\n`);

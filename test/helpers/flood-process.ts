/**
 * A flood of large unsigned bodies, from a CHILD PROCESS (so the test process measuring a legitimate
 * request's latency is not busy sending it): FLOOD_COUNT concurrent POSTs of FLOOD_MB MiB each to
 * 127.0.0.1:FLOOD_PORT/slack/events — a third without signature headers, a third with a fake signature
 * and a Content-Length, a third with a fake signature, chunked. Prints `{"event":"sending"}` as it starts,
 * `{"event":"started"}` once every request is under way, then `{"event":"done","statuses":{…}}` once the server has dealt with them all.
 */
import { rawRequest } from './raw-http.js';

const port = Number(process.env.FLOOD_PORT);
const count = Number(process.env.FLOOD_COUNT ?? '256');
const body = Buffer.alloc(Number(process.env.FLOOD_MB ?? '4') * 1024 * 1024, 'x');
const ts = Math.floor(Date.now() / 1000);
const fake = `X-Slack-Signature: v0=${'f'.repeat(64)}`;
const head = (lines: string[]) => ['POST /slack/events HTTP/1.1', 'Host: 127.0.0.1', 'Content-Type: application/x-www-form-urlencoded', ...lines].join('\r\n');

process.stdout.write(`${JSON.stringify({ event: 'sending' })}\n`);
let sent = 0;
const flood = Array.from({ length: count }, (_, i) => {
  const kind = i % 3;
  const lines =
    kind === 0
      ? [`Content-Length: ${body.length}`]
      : kind === 1
        ? [`Content-Length: ${body.length}`, `X-Slack-Request-Timestamp: ${ts}`, fake]
        : ['Transfer-Encoding: chunked', `X-Slack-Request-Timestamp: ${ts}`, fake];
  return rawRequest({
    port,
    head: head(lines),
    body,
    chunked: kind === 2,
    stopOnAnswer: false,
    timeoutMs: 30_000,
    onSent: () => {
      if (++sent === count) process.stdout.write(`${JSON.stringify({ event: 'started' })}\n`);
    },
  });
});
const answers = await Promise.all(flood);
const statuses: Record<string, number> = {};
for (const a of answers) statuses[String(a.status ?? 'closed')] = (statuses[String(a.status ?? 'closed')] ?? 0) + 1;
process.stdout.write(`${JSON.stringify({ event: 'done', statuses })}\n`);

/** The console prints svcbot's warnings and errors as one short line each: no JSON, no stack trace. */
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { consoleLogLines, logLine } from '../../src/console/log-lines.js';
import { BotError } from '../../src/domain/errors.js';

test('a record with an error: level, message and the error\'s first line', () => {
  const err = new BotError('forbidden', "svcbot's service account on cluster `sandbox` is not allowed to patch services.\nGrant it the verb.");
  const json = JSON.stringify({ level: 40, time: 1, msg: 'load-balancer job failed', err: { type: 'BotError', message: err.message, stack: err.stack } });
  expect(logLine(json)).toBe("svcbot: warning: load-balancer job failed (svcbot's service account on cluster `sandbox` is not allowed to patch services.)");
});

test('levels by name; a line that is not JSON is passed on as it is; an empty one is dropped', () => {
  expect(logLine('{"level":50,"msg":"could not deliver a reply"}')).toBe('svcbot: error: could not deliver a reply');
  expect(logLine('not json')).toBe('svcbot: not json');
  expect(logLine('')).toBe('');
});

test('as a pino destination: one line per record, however pino splits its writes', async () => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const logger = pino({ level: 'warn' }, consoleLogLines(out));
  logger.warn({ err: new Error('boom\n    at somewhere (file.ts:1:1)') }, 'job failed');
  logger.error('second');
  logger.info('not shown');
  await new Promise((resolve) => setImmediate(resolve));
  expect(text).toBe('svcbot: warning: job failed (boom)\nsvcbot: error: second\n');
});

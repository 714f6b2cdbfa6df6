/**
 * What the console prints of svcbot's own log (warnings and errors, unless --verbose): one short line
 * each, the message and the error's first line — never a JSON record or a stack trace in the middle of
 * the user's terminal. What went wrong with a job is also in its progress message, printed as it changes.
 */
import { Writable } from 'node:stream';

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warning', 50: 'error', 60: 'fatal' };

/** One line for a pino JSON record: `svcbot: warning: could not …: the error's message`. */
export function logLine(json: string): string {
  let record: { level?: unknown; msg?: unknown; err?: { message?: unknown } };
  try {
    record = JSON.parse(json) as typeof record;
  } catch {
    return json.trim() === '' ? '' : `svcbot: ${json.trim()}`;
  }
  const level = typeof record.level === 'number' ? (LEVELS[record.level] ?? 'log') : 'log';
  const msg = typeof record.msg === 'string' ? record.msg : '';
  const cause = typeof record.err?.message === 'string' ? (record.err.message.split('\n')[0] ?? '').trim() : '';
  return `svcbot: ${level}: ${msg}${cause ? ` (${cause})` : ''}`;
}

/** A pino destination that writes `logLine` of each record to `out`. */
export function consoleLogLines(out: NodeJS.WritableStream): Writable {
  let partial = '';
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const text = logLine(line);
        if (text !== '') out.write(`${text}\n`);
      }
      done();
    },
  });
}

/**
 * The console's log: svcbot's own log lines go to a file, so that the terminal shows only replies. The
 * file is `~/.svcbot_console.log` (started afresh by each session), or one in the system's temporary
 * directory where the home directory cannot be written.
 */
import { createWriteStream, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';

export interface LogFile {
  path: string;
  stream: Writable;
  /** Flushes and closes the file. */
  close(): Promise<void>;
}

function writable(path: string): boolean {
  try {
    closeSync(openSync(path, 'w'));
    return true;
  } catch {
    return false;
  }
}

export function openLogFile(preferred: string): LogFile {
  const path = writable(preferred) ? preferred : join(tmpdir(), `svcbot-console-${process.pid}.log`);
  const stream = createWriteStream(path, { flags: 'w' });
  stream.on('error', () => {
    // A log that cannot be written must not stop the console.
  });
  return {
    path,
    stream,
    close: () => new Promise<void>((resolve) => stream.end(() => resolve())),
  };
}

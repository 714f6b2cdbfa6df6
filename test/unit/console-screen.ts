/**
 * A pretend terminal for the console tests: `type` feeds a line into the input stream, `waitFor`
 * resolves once a marker appears in the output after what was already read (no sleeps: it checks on
 * every write), returning the text up to and including the marker.
 */
import { PassThrough, Writable } from 'node:stream';

export interface Screen {
  input: PassThrough;
  output: Writable & { isTTY?: boolean };
  /** Everything written so far. */
  text(): string;
  /** Sends raw keys (`\x03` is Ctrl-C). */
  keys(data: string): void;
  /** Sends a line and Enter. */
  type(line: string): void;
  /** The output from the last marker up to and including the next `marker`. */
  waitFor(marker: string, timeoutMs?: number): Promise<string>;
}

export function screen(): Screen {
  const input = new PassThrough();
  let text = '';
  let cursor = 0;
  let check: () => void = () => {};
  const output = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      text += chunk.toString();
      check();
      callback();
    },
  });
  return {
    input,
    output,
    text: () => text,
    keys: (data) => void input.write(data),
    type: (line) => void input.write(`${line}\n`),
    waitFor(marker, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          check = () => {};
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${JSON.stringify(marker)}; output since the last marker:\n${text.slice(cursor)}`));
        }, timeoutMs);
        check = () => {
          const at = text.indexOf(marker, cursor);
          if (at === -1) return;
          clearTimeout(timer);
          check = () => {};
          const seen = text.slice(cursor, at + marker.length);
          cursor = at + marker.length;
          resolve(seen);
        };
        check();
      });
    },
  };
}

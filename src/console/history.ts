/**
 * The console's command history on disk (`~/.svcbot_history`, one line per command, oldest first),
 * like a shell's. Optional: a file that can't be read or written is no history, never an error.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';

export interface HistoryFile {
  /** Earlier commands, newest first (what readline's `history` option takes). */
  load(): string[];
  /** Records one command line. */
  append(line: string): void;
}

/** No history on disk. */
export const noHistoryFile: HistoryFile = { load: () => [], append: () => {} };

export function historyFile(path: string, maxLines = 1000): HistoryFile {
  return {
    load() {
      let lines: string[];
      try {
        lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '');
      } catch {
        return [];
      }
      if (lines.length > maxLines) {
        lines = lines.slice(-maxLines);
        try {
          writeFileSync(path, `${lines.join('\n')}\n`, { mode: 0o600 });
        } catch {
          // read-only: keep using it as it is
        }
      }
      return lines.reverse();
    },
    append(line) {
      // A line with a newline in it would come back as two commands.
      if (/[\r\n]/.test(line)) return;
      try {
        appendFileSync(path, `${line}\n`, { mode: 0o600 });
      } catch {
        // not writable: the history stays in memory
      }
    },
  };
}

/**
 * The console's read-eval-print loop, driven by streams so that tests need no terminal: reads `/svc …`
 * lines, runs each (through the console's chat, the very listeners Slack's requests reach), prints the
 * replies as text and their buttons as numbered choices; typing a choice's number presses that button
 * (asking first when the button has a confirmation dialog).
 *
 * Keys (terminal mode): Ctrl-C clears the line, or on an empty line arms "press Ctrl-C again to
 * quit"; Ctrl-D on an empty line quits; `exit` and `quit` quit.
 */
import { createInterface, type Interface } from 'node:readline';
import { FLAGS, SUBCOMMANDS, type FlagSpec } from '../domain/grammar/index.js';
import type { Reply } from '../render/blocks.js';
import { renderToText, type TextChoice } from '../render/text.js';

export interface ConsoleOptions {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Runs one `/svc` line as typed (with or without the command name); resolves with the replies. */
  run: (line: string) => Promise<Reply[]>;
  /** Presses a button of the last reply; resolves with the replies (none if it did nothing). */
  press: (choice: TextChoice) => Promise<Reply[]>;
  /**
   * The console's own commands (e.g. `as NAME`): the text to print for a line it handles, or undefined
   * for a `/svc` line. They leave the numbered choices as they are.
   */
  consoleCommand?: (line: string) => string | Promise<string> | undefined;
  /** The slash command (default `/svc`): lines may start with it. */
  commandName?: string;
  /** Line editing, history keys and Ctrl-C handling (default: whether `output` is a TTY). */
  terminal?: boolean;
  /** ANSI dim for the console's own remarks (default: terminal mode). */
  color?: boolean;
  /** Earlier commands, newest first (arrow-up recalls them). */
  history?: string[];
  /** Called with each command line typed at the prompt, except buttons' numbers (to save the history). */
  onCommandLine?: (line: string) => void;
  /** Aborting ends the console as `exit` would (SIGTERM). */
  signal?: AbortSignal;
  prompt?: string;
}

const PROMPT = 'svc> ';

/** What the console reads next: a line, a Ctrl-C, or the end of input. */
type Input = { kind: 'line'; text: string } | { kind: 'interrupt' } | { kind: 'end' };

/** Lines from readline, one at a time, with Ctrl-C delivered to whoever waits. */
class InputQueue {
  private readonly buffered: Input[] = [];
  private waiter: ((input: Input) => void) | undefined;
  private ended = false;

  push(input: Input): void {
    if (this.ended) return;
    if (input.kind === 'end') this.ended = true;
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter(input);
    } else {
      this.buffered.push(input);
    }
  }

  /** The next input; a Ctrl-C reaches only a current waiter (buffered lines come first). */
  next(): Promise<Input> {
    const first = this.buffered.shift();
    if (first) return Promise.resolve(first);
    if (this.ended) return Promise.resolve({ kind: 'end' });
    return new Promise((resolve) => (this.waiter = resolve));
  }

  get waiting(): boolean {
    return this.waiter !== undefined;
  }
}

const QUIT_WORDS = new Set(['exit', 'quit']);

/** A choice typed at the prompt: `2` or `#2`. */
function choiceNumber(line: string): number | undefined {
  const m = /^#?(\d{1,3})$/.exec(line);
  return m ? Number(m[1]) : undefined;
}

/** Tab completion: subcommands first, then the flags of the subcommand on the line. */
export function completeLine(line: string, commandName = '/svc'): [string[], string] {
  const words = line.split(/\s+/);
  const last = words[words.length - 1] ?? '';
  const before = words.slice(0, -1).filter((w) => w !== '' && w !== commandName);
  if (before.length === 0) {
    const candidates = [...SUBCOMMANDS.map((s) => s.kind), ...QUIT_WORDS].map((w) => `${w} `);
    return [candidates.filter((c) => c.startsWith(last.toLowerCase())), last];
  }
  if (last.startsWith('-')) {
    const spec = SUBCOMMANDS.find((s) => s.kind === before[0]?.toLowerCase() || s.aliases.includes(before[0]?.toLowerCase() ?? ''));
    const flags = [...(spec?.flags ?? []), 'help' as const].map((k) => {
      const flag: FlagSpec = FLAGS[k];
      return `--${flag.name}${flag.value ? ' ' : ''}`;
    });
    return [flags.filter((f) => f.startsWith(last)), last];
  }
  return [[], last];
}

/**
 * Runs the console until `exit`/`quit`, the end of the input (Ctrl-D; lines read before it still
 * run), a second Ctrl-C or `signal` (these two abandon a running command). Never rejects for a failed
 * command (the handler answers every line with a reply).
 */
export async function runConsole(options: ConsoleOptions): Promise<void> {
  const { input, output } = options;
  const commandName = options.commandName ?? '/svc';
  const terminal = options.terminal ?? (output as { isTTY?: boolean }).isTTY === true;
  const color = options.color ?? terminal;
  const prompt = options.prompt ?? PROMPT;
  const dim = (s: string) => (color ? `\u001b[2m${s}\u001b[22m` : s);
  const write = (s: string) => void output.write(s);

  const rl: Interface = createInterface({
    input,
    output,
    terminal,
    prompt,
    history: [...(options.history ?? [])],
    historySize: 1000,
    removeHistoryDuplicates: true,
    completer: (line: string) => completeLine(line, commandName),
    tabSize: 4,
  });
  const queue = new InputQueue();
  /** readline is done: no more prompts, but lines read before the end of the input still run. */
  let closed = false;
  rl.on('line', (text) => queue.push({ kind: 'line', text }));
  rl.on('close', () => {
    closed = true;
    queue.push({ kind: 'end' });
  });
  /** Quit now (a second Ctrl-C, or `signal`): a running command is abandoned. */
  let quitting = false;
  let markQuit: () => void = () => {};
  const quit = new Promise<void>((resolve) => (markQuit = resolve));
  const quitNow = () => {
    quitting = true;
    markQuit();
    rl.close();
  };

  /** Set after a Ctrl-C on an empty prompt (or while waiting): the next one quits. */
  let armed = false;
  let busy = false;
  rl.on('SIGINT', () => {
    if (queue.waiting && rl.getPrompt() !== prompt) {
      // A yes/no question: Ctrl-C answers no.
      write('^C\n');
      queue.push({ kind: 'interrupt' });
      return;
    }
    if (rl.line !== '') {
      // Like a shell: leave what was typed on screen, marked ^C, and start a fresh line.
      rl.write(null, { ctrl: true, name: 'e' });
      write('^C\n');
      // `line` and `cursor` are read-only in the typings but plain properties of the interface:
      // resetting them is how readline's own REPL discards a line without submitting it.
      Object.assign(rl, { line: '', cursor: 0 });
      armed = false;
      rl.prompt();
      return;
    }
    if (armed) {
      write('^C\n');
      quitNow();
      return;
    }
    armed = true;
    if (busy) {
      write(dim('\n(still waiting for the reply; press Ctrl-C again to quit)\n'));
    } else {
      write(`^C\n${dim('(to quit, press Ctrl-C again, or type exit)')}\n`);
      rl.prompt();
    }
  });

  const onAbort = () => {
    // At a prompt, end its line; a second Ctrl-C has already.
    if (terminal && !quitting) write('\n');
    quitNow();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();

  const showPrompt = () => {
    if (!closed) rl.prompt();
    else if (!terminal) write(rl.getPrompt()); // lines still queued after the end of piped input
  };

  const echo = (text: string) => {
    // Without a terminal nothing echoes the input: show it after the prompt, as a transcript would.
    if (!terminal) write(`${text}\n`);
  };

  /** Shows the button's confirmation text, then asks `Label? [y/N]`; true only for y/yes. */
  const ask = async (text: string, label: string): Promise<boolean> => {
    write(`${text}\n`);
    rl.setPrompt(`${label}? [y/N] `);
    showPrompt();
    const answer = await queue.next();
    rl.setPrompt(prompt);
    if (answer.kind !== 'line') return false;
    echo(answer.text);
    // The answer is not a command: keep it out of the arrow-up history.
    const history = (rl as unknown as { history?: unknown }).history;
    if (Array.isArray(history) && history[0] === answer.text) history.shift();
    return /^(y|yes)$/i.test(answer.text.trim());
  };

  let choices: TextChoice[] = [];

  /** Prints a reply; resolves with its buttons. */
  const show = (reply: Reply): TextChoice[] => {
    const text = renderToText(reply);
    const where = reply.responseType === 'in_channel' ? '(posted to the channel)' : '(only you)';
    let out = `${dim(where)}\n${text.text}\n`;
    if (text.choices.length > 0) {
      const range = text.choices.length === 1 ? '1' : `1-${text.choices.length}`;
      out += dim(`(type ${range} to press a button)`) + '\n';
    }
    write(`${out}\n`);
    return text.choices;
  };

  /** Runs a line or a button and shows its replies (or `nothing`, if there are none); false when quitting. */
  const runAndShow = async (work: () => Promise<Reply[]>, nothing?: string): Promise<boolean> => {
    busy = true;
    try {
      const replies = await Promise.race([
        work().then(
          (r) => r,
          (err: unknown) => {
            // The command handler is the error boundary and answers every line; this is a last resort.
            write(`something went wrong: ${err instanceof Error ? err.message : String(err)}\n\n`);
            return undefined;
          },
        ),
        quit.then(() => undefined),
      ]);
      if (quitting) return false;
      if (replies?.length === 0 && nothing) write(`${nothing}\n\n`);
      // The buttons on offer are the last ones shown: an approval request's stay on offer under the
      // "waiting for approval" answer that follows it.
      let offered: TextChoice[] = [];
      for (const reply of replies ?? []) {
        const shown = show(reply);
        if (shown.length > 0) offered = shown;
      }
      choices = offered;
      return true;
    } finally {
      busy = false;
    }
  };

  const pick = async (n: number): Promise<void> => {
    const choice = choices.find((c) => c.n === n);
    if (!choice) {
      write(
        choices.length === 0
          ? `Nothing to pick: the last reply has no buttons.\n\n`
          : `There is no button ${n}: pick 1${choices.length > 1 ? `-${choices.length}` : ''}.\n\n`,
      );
      return;
    }
    if (choice.confirm !== undefined && !(await ask(choice.confirm, choice.label))) {
      if (!quitting) write(`${dim('(cancelled)')}\n\n`);
      return;
    }
    write(`${dim(`(${choice.label})`)}\n`);
    // The button goes to the same listener as a press in Slack, which checks its value part by part.
    await runAndShow(() => options.press(choice), `The ${choice.label} button did nothing.`);
  };

  try {
    for (;;) {
      if (quitting) break;
      showPrompt();
      const next = await queue.next();
      if (next.kind === 'end') {
        // Ctrl-D (or the end of piped input) leaves the cursor after the prompt.
        if (!quitting) write('\n');
        break;
      }
      if (next.kind === 'interrupt') continue;
      if (quitting) break;
      armed = false;
      echo(next.text);
      const line = next.text.trim();
      if (line === '') continue;
      const word = line.startsWith(`${commandName} `) ? line.slice(commandName.length).trim() : line;
      const n = choiceNumber(word);
      // A button's number means nothing in a later session: keep it out of the saved history.
      if (n === undefined) options.onCommandLine?.(line);
      if (QUIT_WORDS.has(word.toLowerCase())) break;
      const handled = n === undefined ? options.consoleCommand?.(line) : undefined;
      if (handled !== undefined) {
        busy = true;
        try {
          write(`${await handled}\n\n`);
        } finally {
          busy = false;
        }
      }
      else if (n !== undefined) await pick(n);
      else if (!(await runAndShow(() => options.run(line)))) break;
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    if (!closed) rl.close();
  }
}

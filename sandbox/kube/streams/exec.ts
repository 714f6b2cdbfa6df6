/**
 * `pods/NAME/exec` over WebSocket, the channel protocol kubectl 1.30+ and `@kubernetes/client-node`
 * speak (`v5.channel.k8s.io`, or `v4.channel.k8s.io`): every binary message starts with its channel —
 * 0 stdin, 1 stdout, 2 stderr, 3 the error channel (one meta/v1 Status, JSON, when the command ends),
 * 4 terminal resize — and v5 adds 255, "this channel is closed" (`[255, channel]`).
 *
 * The command runs in the pod's tiny shell (./shell.ts). `sh` (or `ash`) with stdin and no `-c` is an
 * interactive shell: lines from stdin, with a prompt and echo when a TTY was asked for. The Status is
 * `Success`, or a `NonZeroExitCode` Failure carrying the exit code, as the kubelet sends it.
 */
import type { WebSocket } from 'ws';
import type { Status } from '../types.js';
import { runCommand, runLine, ShellExit, type ShellContext, type ShellOutput } from './shell.js';

export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const CLOSE = 255;

export interface ExecRequest {
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

function exitStatus(code: number, command: string[]): Status {
  if (code === 0) return { metadata: {}, status: 'Success' } as Status;
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  } as Status;
}

/** Runs an exec session on an accepted WebSocket until the command ends; then closes it. */
export function serveExec(ws: WebSocket, protocol: string, req: ExecRequest, ctx: ShellContext): void {
  const v5 = protocol === 'v5.channel.k8s.io';
  const send = (channel: number, data: Buffer | string) => {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(Buffer.concat([Buffer.from([channel]), Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8')]));
  };
  // A TTY merges stderr into stdout and turns "\n" into "\r\n".
  const tty = (s: string) => (req.tty ? s.replace(/\r?\n/g, '\r\n') : s);
  const out: ShellOutput = {
    stdout: (s) => {
      if (req.stdout) send(STDOUT, tty(s));
    },
    stderr: (s) => {
      if (req.tty ? req.stdout : req.stderr) send(req.tty ? STDOUT : STDERR, tty(s));
    },
  };

  // stdin: bytes in arrival order, and its end (v5's close of channel 0, or the socket closing).
  const input: Buffer[] = [];
  let inputEnded = !req.stdin;
  let wake: (() => void) | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const msg = isBinary ? data : Buffer.from(data.toString('utf8'), 'utf8');
    if (msg.length === 0) return;
    const channel = msg[0]!;
    if (channel === STDIN && req.stdin) {
      input.push(msg.subarray(1));
      poke();
    } else if (v5 && channel === CLOSE && msg[1] === STDIN) {
      inputEnded = true;
      poke();
    }
    // Channel 4 (resize): the simulated terminal has no size to change.
  });
  ws.on('close', () => {
    inputEnded = true;
    poke();
  });
  const nextInput = async (): Promise<Buffer | undefined> => {
    for (;;) {
      const chunk = input.shift();
      if (chunk) return chunk;
      if (inputEnded) return undefined;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };

  const finish = (code: number) => {
    send(ERROR, JSON.stringify(exitStatus(code, req.command)));
    if (ws.readyState === ws.OPEN) ws.close(1000);
  };
  const run = async (): Promise<number> => {
    const [cmd, ...args] = req.command;
    const shellName = cmd?.replace(/^(\/usr)?\/s?bin\//, '');
    const interactive = req.stdin && (shellName === 'sh' || shellName === 'ash') && args.length === 0;
    try {
      return interactive ? await interactiveShell(nextInput, req.tty, ctx, out, (s) => send(STDOUT, s)) : await runCommand(req.command, ctx, out);
    } catch (err) {
      if (err instanceof ShellExit) return err.code;
      throw err;
    }
  };
  run().then(finish, (err: unknown) => {
    out.stderr(`sh: ${err instanceof Error ? err.message : String(err)}\n`);
    finish(1);
  });
}

/** The prompt of the tutorial's httpd:alpine image (its working directory). */
const PROMPT = '/usr/local/apache2 # ';

async function interactiveShell(
  nextInput: () => Promise<Buffer | undefined>,
  tty: boolean,
  ctx: ShellContext,
  out: ShellOutput,
  echo: (s: string) => void,
): Promise<number> {
  let status = 0;
  let line = '';
  if (tty) echo(PROMPT);
  for (;;) {
    const chunk = await nextInput();
    if (chunk === undefined) return !tty && line.trim() !== '' ? runLine(line, ctx, out) : status;
    for (const ch of chunk.toString('utf8')) {
      if (!tty) {
        if (ch === '\n') {
          status = await runLine(line, ctx, out);
          line = '';
        } else line += ch;
        continue;
      }
      if (ch === '\r' || ch === '\n') {
        echo('\r\n');
        if (line.trim() !== '') status = await runLine(line, ctx, out);
        line = '';
        echo(PROMPT);
      } else if (ch === '\x7f' || ch === '\b') {
        if (line.length > 0) {
          line = line.slice(0, -1);
          echo('\b \b');
        }
      } else if (ch === '\x03') {
        line = '';
        echo(`^C\r\n${PROMPT}`);
      } else if (ch === '\x04') {
        if (line === '') {
          echo('\r\n');
          return status;
        }
      } else if (ch >= ' ') {
        line += ch;
        echo(ch);
      }
    }
  }
}

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { registerButtons } from '../../handlers/buttons.js';
import type { CommandContext, CommandHandler } from '../../handlers/command.js';
import { registerSlashCommand } from '../../handlers/slash-command.js';
import { createTextChat } from '../../src/adapters/console/text-chat.js';
import { historyFile, noHistoryFile } from '../../src/console/history.js';
import { completeLine, runConsole, type ConsoleOptions } from '../../src/console/loop.js';
import { deleteButton, describeButton, type ServiceRef } from '../../src/render/actions.js';
import { actions, reply, section, type Reply } from '../../src/render/blocks.js';
import { screen, type Screen } from './console-screen.js';

const web: ServiceRef = { cluster: 'prod', namespace: 'default', name: 'web' };

const REPLIES: Record<string, Reply> = {
  list: reply('ephemeral', 'Services', [section('*Services* in `default`: `web`')]),
  created: reply('in_channel', 'Created web', [section(':white_check_mark: Created Service `web`.'), actions([describeButton(web), deleteButton(web)])]),
  bad: reply('ephemeral', 'bad', [
    section('A button with a bad value'),
    actions([{ ...describeButton(web), value: JSON.stringify({ cluster: 'prod', namespace: 'default', name: 'web --all' }) }]),
  ]),
};

/** A handler that answers from REPLIES by the line's first word after an optional /svc, and records its calls. */
function fakeHandler(answer: (text: string) => Promise<Reply> | Reply = (text) => REPLIES[text.replace(/^\/svc\s+/, '').split(' ')[0] ?? ''] ?? REPLIES.list!) {
  const calls: [string, CommandContext][] = [];
  const handle: CommandHandler = async (text, ctx) => {
    calls.push([text, ctx]);
    return answer(text);
  };
  return { handle, calls };
}

/**
 * Starts the console as `svcbot console` wires it (its text chat, svcbot's real slash-command and button
 * listeners) over `handle`, and waits for its first prompt; `done` settles when it ends.
 */
async function start(s: Screen, handle: CommandHandler, options: Partial<ConsoleOptions> = {}) {
  const chat = createTextChat(() => undefined);
  const deps = { handle, replies: chat.replies, logger: pino({ level: 'silent' }) };
  registerSlashCommand(chat.transport, { ...deps, commandName: '/svc' });
  registerButtons(chat.transport, { ...deps, commandName: '/svc' });
  const me = { userId: 'alice', channelId: 'console' };
  const done = runConsole({
    input: s.input,
    output: s.output,
    run: (line) => chat.command('/svc', line, me),
    press: (choice) => chat.press(choice.actionId, choice.value, me),
    terminal: false,
    ...options,
  });
  await s.waitFor('svc> ');
  return { done };
}

describe('runConsole (line mode, as with piped input)', () => {
  it('runs each line through the handler as the user, prints the reply as text, ignores empty lines, ends on exit', async () => {
    const s = screen();
    const h = fakeHandler();
    const { done } = await start(s, h.handle);
    s.type('/svc list');
    const out = await s.waitFor('svc> ');
    expect(out).toBe('/svc list\n(only you)\nServices in `default`: `web`\n\nsvc> ');
    s.type('   ');
    await s.waitFor('svc> ');
    s.type('list -A');
    await s.waitFor('svc> ');
    s.type('exit');
    await done;
    expect(h.calls).toEqual([
      ['/svc list', { userId: 'alice', channelId: 'console', responseUrl: expect.any(String), interim: expect.any(Function) }],
      ['list -A', { userId: 'alice', channelId: 'console', responseUrl: expect.any(String), interim: expect.any(Function) }],
    ]);
  });

  it("the console's own commands (curl …) answer in place of /svc, also when their answer takes a while; the next line waits for it", async () => {
    const s = screen();
    const h = fakeHandler();
    const { done } = await start(s, h.handle, {
      consoleCommand: (line) => (line.startsWith('curl') ? new Promise<string>((resolve) => setImmediate(() => resolve(`fetched ${line.slice(5)}`))) : undefined),
    });
    s.input.end('curl http://x:80\nlist\n');
    await done;
    expect(s.text()).toContain('svc> curl http://x:80\nfetched http://x:80\n\nsvc> list\n(only you)');
    expect(h.calls.map(([t]) => t)).toEqual(['list']);
  });

  it.each(['exit', 'quit', 'QUIT', '/svc exit'])('%s ends the console', async (word) => {
    const s = screen();
    const h = fakeHandler();
    const { done } = await start(s, h.handle);
    s.type(word);
    await done;
    expect(h.calls).toEqual([]);
  });

  it('ends at the end of the input (Ctrl-D), even with no prompt answered', async () => {
    const s = screen();
    const { done } = await start(s, fakeHandler().handle);
    s.input.end();
    await expect(done).resolves.toBeUndefined();
  });

  it('piped input: every line runs, in order, also those read before the end of the input', async () => {
    const s = screen();
    const h = fakeHandler(async (text) => {
      await new Promise((resolve) => setImmediate(resolve));
      return text === 'created' ? REPLIES.created! : REPLIES.list!;
    });
    const { done } = await start(s, h.handle);
    s.input.end('list\ncreated\n2\ny\n');
    await done;
    expect(h.calls.map(([t]) => t)).toEqual(['list', 'created', 'delete web -n default --cluster prod']);
    expect(s.text()).toMatch(/svc> created\n\(posted to the channel\)[\s\S]*svc> 2\n[\s\S]*Delete\? \[y\/N\] y\n\(Delete\)\n\(only you\)\nServices in `default`: `web`\n\nsvc> \n$/);
  });

  it('runs lines that arrive together one after another, in order', async () => {
    const s = screen();
    const order: string[] = [];
    const h = fakeHandler(async (text) => {
      order.push(`start ${text}`);
      await Promise.resolve();
      order.push(`end ${text}`);
      return REPLIES.list!;
    });
    const { done } = await start(s, h.handle);
    s.input.write('list a\nlist b\nexit\n');
    await done;
    expect(order).toEqual(['start list a', 'end list a', 'start list b', 'end list b']);
  });

  it('shows a channel reply as posted to the channel, its buttons as numbered choices', async () => {
    const s = screen();
    const { done } = await start(s, fakeHandler().handle);
    s.type('created');
    const out = await s.waitFor('svc> ');
    expect(out).toContain('(posted to the channel)\n✓ Created Service `web`.\n\n[1] Details   [2] Delete\n(type 1-2 to press a button)\n');
    s.type('exit');
    await done;
  });

  it('typing a number presses that button: the same listener and command as in Slack, as the same user', async () => {
    const s = screen();
    const h = fakeHandler();
    const { done } = await start(s, h.handle);
    s.type('created');
    await s.waitFor('svc> ');
    s.type('1');
    const out = await s.waitFor('svc> ');
    expect(out).toContain('(Details)\n(only you)');
    expect(h.calls[1]).toEqual(['describe web -n default --cluster prod', { userId: 'alice', channelId: 'console', responseUrl: expect.any(String), viaButton: true, interim: expect.any(Function) }]);
    s.type('exit');
    await done;
  });

  it('a button with a confirmation asks y/N first: anything but y keeps it', async () => {
    const s = screen();
    const h = fakeHandler();
    const { done } = await start(s, h.handle);
    s.type('created');
    await s.waitFor('svc> ');
    s.type('#2');
    const question = await s.waitFor('[y/N] ');
    expect(question).toBe(
      '#2\nDelete Service web in namespace default on cluster prod? Anything using its addresses stops working.\nDelete? [y/N] ',
    );
    s.type('n');
    expect(await s.waitFor('svc> ')).toBe('n\n(cancelled)\n\nsvc> ');
    expect(h.calls).toHaveLength(1);

    // The buttons of the last reply stay pickable after a cancelled question.
    s.type('2');
    await s.waitFor('[y/N] ');
    s.type('Yes');
    await s.waitFor('svc> ');
    expect(h.calls.map(([text]) => text)).toEqual(['created', 'delete web -n default --cluster prod']);
    s.type('exit');
    await done;
  });

  it('says so when there is nothing to pick or no such button', async () => {
    const s = screen();
    const h = fakeHandler();
    const { done } = await start(s, h.handle);
    s.type('1');
    expect(await s.waitFor('svc> ')).toBe('1\nNothing to pick: the last reply has no buttons.\n\nsvc> ');
    s.type('created');
    await s.waitFor('svc> ');
    s.type('3');
    expect(await s.waitFor('svc> ')).toBe('3\nThere is no button 3: pick 1-2.\n\nsvc> ');
    // A reply without buttons replaces the choices.
    s.type('list');
    await s.waitFor('svc> ');
    s.type('1');
    expect(await s.waitFor('svc> ')).toContain('Nothing to pick');
    s.type('exit');
    await done;
    expect(h.calls.map(([text]) => text)).toEqual(['created', 'list']);
  });

  it('a button whose value does not name a Service runs nothing (the listener refuses it, as in Slack)', async () => {
    const s = screen();
    const h = fakeHandler();
    const { done } = await start(s, h.handle);
    s.type('bad');
    await s.waitFor('svc> ');
    s.type('1');
    expect(await s.waitFor('svc> ')).toBe('1\n(Details)\nThe Details button did nothing.\n\nsvc> ');
    s.type('exit');
    await done;
    expect(h.calls).toHaveLength(1);
  });

  it('a handler that throws anyway gets a line, not a crash', async () => {
    const s = screen();
    const { done } = await start(s, () => Promise.reject(new Error('socket hang up')));
    s.type('list');
    expect(await s.waitFor('svc> ')).toBe('list\nsomething went wrong: socket hang up\n\nsvc> ');
    s.type('exit');
    await done;
  });

  it('the abort signal ends it, also while a command is still running', async () => {
    const s = screen();
    const abort = new AbortController();
    let started: () => void = () => {};
    const running = new Promise<void>((resolve) => (started = resolve));
    const { done } = await start(s, () => {
      started();
      return new Promise<Reply>(() => {});
    }, { signal: abort.signal });
    s.type('list');
    await running;
    abort.abort();
    await expect(done).resolves.toBeUndefined();
  });

  it('tells the history about each command line, not about answers or button numbers', async () => {
    const s = screen();
    const lines: string[] = [];
    const { done } = await start(s, fakeHandler().handle, { onCommandLine: (l) => lines.push(l) });
    s.type('created');
    await s.waitFor('svc> ');
    s.type('2');
    await s.waitFor('[y/N] ');
    s.type('n');
    await s.waitFor('svc> ');
    s.type('');
    await s.waitFor('svc> ');
    s.type('exit');
    await done;
    expect(lines).toEqual(['created', 'exit']);
  });
});

describe('runConsole (terminal mode: keys)', () => {
  const UP = '\u001b[A';
  const CTRL_C = '\u0003';
  const CTRL_D = '\u0004';

  it('Ctrl-C throws away the typed line; on an empty line it says how to quit; a second one quits', async () => {
    const s = screen();
    const h = fakeHandler();
    const { done } = await start(s, h.handle, { terminal: true });
    s.keys('delete web');
    await s.waitFor('delete web');
    s.keys(CTRL_C);
    await s.waitFor('^C\n');
    await s.waitFor('svc> ');
    s.keys(CTRL_C);
    await s.waitFor('(to quit, press Ctrl-C again, or type exit)');
    await s.waitFor('svc> ');
    s.keys(CTRL_C);
    await done;
    expect(h.calls).toEqual([]);
  });

  it('a line typed between two Ctrl-Cs disarms the quit', async () => {
    const s = screen();
    const h = fakeHandler();
    const { done } = await start(s, h.handle, { terminal: true });
    s.keys(CTRL_C);
    await s.waitFor('(to quit');
    s.keys('list\r');
    await s.waitFor('Services in');
    s.keys(CTRL_C);
    await s.waitFor('(to quit');
    s.keys('exit\r');
    await done;
    expect(h.calls.map(([t]) => t)).toEqual(['list']);
  });

  it('Ctrl-C while a command runs says it is still waiting; a second one quits without the reply', async () => {
    const s = screen();
    let started: () => void = () => {};
    const running = new Promise<void>((resolve) => (started = resolve));
    const { done } = await start(
      s,
      () => {
        started();
        return new Promise<Reply>(() => {});
      },
      { terminal: true },
    );
    s.keys('list\r');
    await running;
    s.keys(CTRL_C);
    await s.waitFor('(still waiting for the reply; press Ctrl-C again to quit)');
    s.keys(CTRL_C);
    await done;
  });

  it('Ctrl-C at a y/N question answers no', async () => {
    const s = screen();
    const h = fakeHandler();
    const { done } = await start(s, h.handle, { terminal: true });
    s.keys('created\r');
    await s.waitFor('(type 1-2');
    s.keys('2\r');
    await s.waitFor('[y/N] ');
    s.keys(CTRL_C);
    await s.waitFor('(cancelled)');
    s.keys('exit\r');
    await done;
    expect(h.calls).toHaveLength(1);
  });

  it('Ctrl-D on an empty line quits', async () => {
    const s = screen();
    const { done } = await start(s, fakeHandler().handle, { terminal: true });
    s.keys(CTRL_D);
    await done;
  });

  it('arrow-up recalls earlier commands, including those from the history file', async () => {
    const s = screen();
    const h = fakeHandler();
    const { done } = await start(s, h.handle, { terminal: true, history: ['list -n older', 'list -n oldest'] });
    s.keys('list -n new\r');
    await s.waitFor('Services in');
    s.keys(`${UP}${UP}\r`);
    await s.waitFor('Services in');
    s.keys('exit\r');
    await done;
    expect(h.calls.map(([t]) => t)).toEqual(['list -n new', 'list -n older']);
  });
});

describe('tab completion', () => {
  it.each<[string, string[]]>([
    ['', ['create ', 'expose ', 'list ', 'describe ', 'type ', 'delete ', 'jobs ', 'cancel ', 'approvals ', 'approve ', 'reject ', 'withdraw ', 'audit ', 'orphans ', 'orphan ', 'allow ', 'help ', 'exit ', 'quit ']],
    ['de', ['describe ', 'delete ']],
    ['/svc cr', ['create ']],
    ['create web --s', ['--selector ']],
    ['rm web --', ['--namespace ', '--cluster ', '--help']],
    ['create web x', []],
  ])('%j', (line, expected) => {
    const [candidates, word] = completeLine(line);
    expect(new Set(candidates)).toEqual(new Set(expected));
    expect(line.endsWith(word)).toBe(true);
  });
});

describe('history file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'svcbot-console-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('appends command lines and loads them newest first', () => {
    const h = historyFile(join(dir, 'history'));
    expect(h.load()).toEqual([]);
    h.append('list');
    h.append('create web --selector app=web --port 80');
    h.append('two\nlines');
    expect(h.load()).toEqual(['create web --selector app=web --port 80', 'list']);
  });

  it('keeps the newest lines when the file grows past the limit', () => {
    const file = join(dir, 'history');
    writeFileSync(file, ['a', 'b', 'c', 'd', ''].join('\n'));
    expect(historyFile(file, 2).load()).toEqual(['d', 'c']);
    expect(readFileSync(file, 'utf8')).toBe('c\nd\n');
  });

  it('a history file it cannot write is no history, not an error', () => {
    const h = historyFile(join(dir, 'missing-dir', 'history'));
    expect(() => h.append('list')).not.toThrow();
    expect(h.load()).toEqual([]);
    expect(noHistoryFile.load()).toEqual([]);
  });
});

/**
 * The Directory over Slack's Web API, against the Slack stand-in with the real WebClient: user groups'
 * members and users' names, cached for a period (the clock is the test's), one request per group however
 * many ask at once; a group Slack cannot list fails closed (groupsOf throws), said once per period.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LogLevel, WebClient } from '@slack/web-api';
import { pino } from 'pino';
import { createNoDirectory } from '../../../src/adapters/console/no-directory.js';
import { createSlackDirectory, type SlackDirectoryOptions } from '../../../src/adapters/slack/directory.js';
import { startSlackStub, type SlackStub } from '../../helpers/slack-stub.js';

let slack: SlackStub;
beforeAll(async () => {
  slack = await startSlackStub();
});
afterAll(() => slack.close());

const MINUTE = 60_000;

interface Line {
  level: number;
  msg: string;
  usergroup?: string;
  user?: string;
  slackError?: string;
}

/** A directory over the stand-in (or `apiUrl`), with a clock the test moves and the lines it logs. */
function directory(opts: Partial<SlackDirectoryOptions> & { apiUrl?: string } = {}) {
  const lines: Line[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Line) });
  const clock = { t: 1_000_000 };
  const client = new WebClient('xoxb-test', { slackApiUrl: opts.apiUrl ?? slack.apiUrl, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR });
  const { apiUrl: _apiUrl, ...rest } = opts;
  const dir = createSlackDirectory(client, { logger, now: () => clock.t, ...rest });
  const warnings = () => lines.filter((l) => l.level === 40);
  return { dir, lines, warnings, clock };
}

/** How many times the stand-in was asked for `usergroup`'s members. */
const listed = (usergroup: string) => slack.calls.filter((c) => c.method === 'usergroups.users.list' && c.body.usergroup === usergroup).length;
const infos = (user: string) => slack.calls.filter((c) => c.method === 'users.info' && c.body.user === user).length;

test('membership: the groups asked about whose members include the user, in the order asked', async () => {
  slack.setUserGroup('S0APPROVERS', ['U1', 'U2']);
  slack.setUserGroup('S0ONCALL', ['U2', 'U3']);
  slack.setUserGroup('S0EMPTY', []);
  const { dir, lines } = directory();
  const groups = ['S0ONCALL', 'S0APPROVERS', 'S0EMPTY'];
  expect(await dir.groupsOf('U2', groups)).toEqual(['S0ONCALL', 'S0APPROVERS']);
  expect(await dir.groupsOf('U1', groups)).toEqual(['S0APPROVERS']);
  expect(await dir.groupsOf('U3', [...groups, 'S0ONCALL'])).toEqual(['S0ONCALL']);
  expect(await dir.groupsOf('U9', groups)).toEqual([]);
  expect(await dir.groupsOf('U1', [])).toEqual([]);
  expect(lines).toEqual([]);
  // Each group asked once: the answers are cached.
  expect(groups.map(listed)).toEqual([1, 1, 1]);
  // With the bot token, as Slack expects.
  expect(slack.calls.find((c) => c.method === 'usergroups.users.list')?.authorization).toBe('Bearer xoxb-test');
});

test('the cache: within ttlMs no request; from ttlMs on Slack is asked again, and changes show', async () => {
  slack.setUserGroup('S0CACHE', ['U1']);
  const { dir, clock } = directory({ ttlMs: 5 * MINUTE });
  expect(await dir.groupsOf('U1', ['S0CACHE'])).toEqual(['S0CACHE']);
  slack.setUserGroup('S0CACHE', ['U2']);
  clock.t += 5 * MINUTE - 1;
  expect(await dir.groupsOf('U1', ['S0CACHE'])).toEqual(['S0CACHE']);
  expect(listed('S0CACHE')).toBe(1);
  clock.t += 1;
  expect(await dir.groupsOf('U1', ['S0CACHE'])).toEqual([]);
  expect(await dir.groupsOf('U2', ['S0CACHE'])).toEqual(['S0CACHE']);
  expect(listed('S0CACHE')).toBe(2);
});

test('the default period is 5 minutes', async () => {
  slack.setUserGroup('S0DEFAULT', ['U1']);
  const { dir, clock } = directory();
  await dir.groupsOf('U1', ['S0DEFAULT']);
  clock.t += 5 * MINUTE - 1;
  await dir.groupsOf('U1', ['S0DEFAULT']);
  expect(listed('S0DEFAULT')).toBe(1);
  clock.t += 1;
  await dir.groupsOf('U1', ['S0DEFAULT']);
  expect(listed('S0DEFAULT')).toBe(2);
});

test('concurrent lookups of one group share one request', async () => {
  slack.setUserGroup('S0SHARED', ['U1', 'U2']);
  slack.setUserGroup('S0OTHER', ['U3']);
  const { dir } = directory();
  const answers = await Promise.all([
    dir.groupsOf('U1', ['S0SHARED']),
    dir.groupsOf('U2', ['S0SHARED', 'S0OTHER']),
    dir.groupsOf('U3', ['S0OTHER', 'S0SHARED']),
  ]);
  expect(answers).toEqual([['S0SHARED'], ['S0SHARED'], ['S0OTHER']]);
  expect(listed('S0SHARED')).toBe(1);
  expect(listed('S0OTHER')).toBe(1);
});

/** groupsOf's refusal when Slack cannot say who is in a group: fail closed, never a guess. */
const CANNOT_TELL = (group: string): unknown =>
  expect.objectContaining({ code: 'slack_error', transient: true, userMessage: expect.stringContaining(`who is in user group ${group}, which its policy names`) });

test('a group Slack does not know (no_such_subteam): groupsOf refuses; one warning per period, the refusal remembered for it', async () => {
  slack.setUserGroup('S0KNOWN', ['U1']);
  const { dir, warnings, clock } = directory();
  await expect(dir.groupsOf('U1', ['S0NOSUCH', 'S0KNOWN'])).rejects.toEqual(CANNOT_TELL('S0NOSUCH'));
  expect(await dir.groupsOf('U1', ['S0KNOWN'])).toEqual(['S0KNOWN']);
  await expect(dir.groupsOf('U1', ['S0NOSUCH'])).rejects.toEqual(CANNOT_TELL('S0NOSUCH'));
  expect(listed('S0NOSUCH')).toBe(1);
  expect(warnings()).toEqual([
    expect.objectContaining({
      usergroup: 'S0NOSUCH',
      slackError: 'no_such_subteam',
      msg: 'cannot list the members of user group S0NOSUCH (Slack answered no_such_subteam); what depends on it is refused for the next 5 minutes',
    }),
  ]);
  clock.t += 5 * MINUTE;
  await expect(dir.groupsOf('U1', ['S0NOSUCH'])).rejects.toEqual(CANNOT_TELL('S0NOSUCH'));
  expect(listed('S0NOSUCH')).toBe(2);
  expect(warnings()).toHaveLength(2);
});

test('missing_scope: groupsOf refuses, and the warning says which scope to add; one per group per period', async () => {
  slack.setUserGroup('S0SCOPE1', ['U1']);
  slack.setUserGroup('S0SCOPE2', ['U1']);
  const remove = slack.override((c) =>
    c.method === 'usergroups.users.list' && String(c.body.usergroup).startsWith('S0SCOPE')
      ? { body: { ok: false, error: 'missing_scope', needed: 'usergroups:read', provided: 'commands,chat:write' } }
      : undefined,
  );
  try {
    const { dir, warnings, clock } = directory();
    await expect(dir.groupsOf('U1', ['S0SCOPE1', 'S0SCOPE2'])).rejects.toEqual(CANNOT_TELL('S0SCOPE1, S0SCOPE2'));
    await expect(dir.groupsOf('U1', ['S0SCOPE1', 'S0SCOPE2'])).rejects.toEqual(CANNOT_TELL('S0SCOPE1, S0SCOPE2'));
    expect(warnings().map((w) => w.msg)).toEqual(
      ['S0SCOPE1', 'S0SCOPE2'].map(
        (g) =>
          `cannot list the members of user group ${g} (missing_scope: add usergroups:read to the Slack app's bot scopes and reinstall it); what depends on it is refused for the next 5 minutes`,
      ),
    );
    clock.t += 5 * MINUTE;
    await expect(dir.groupsOf('U1', ['S0SCOPE1'])).rejects.toEqual(CANNOT_TELL('S0SCOPE1'));
    expect(warnings()).toHaveLength(3);
  } finally {
    remove();
  }
});

test('Slack unreachable: groupsOf refuses, one warning per period, and every lookup asks again', async () => {
  // Nothing listens on port 9 of loopback.
  const { dir, warnings, clock } = directory({ apiUrl: 'http://127.0.0.1:9/api/' });
  await expect(dir.groupsOf('U1', ['S0NET'])).rejects.toEqual(CANNOT_TELL('S0NET'));
  await expect(dir.groupsOf('U1', ['S0NET'])).rejects.toEqual(CANNOT_TELL('S0NET'));
  expect(warnings()).toEqual([
    expect.objectContaining({ usergroup: 'S0NET', msg: expect.stringMatching(/^cannot list the members of user group S0NET \(Slack could not be reached: .+\); what depends on it is refused until Slack answers$/) }),
  ]);
  clock.t += 5 * MINUTE;
  await expect(dir.groupsOf('U1', ['S0NET'])).rejects.toEqual(CANNOT_TELL('S0NET'));
  expect(warnings()).toHaveLength(2);
});

test('an HTTP 503 or rate limiting is not remembered: the next lookup asks again and finds the member', async () => {
  slack.setUserGroup('S0FLAKY', ['U1']);
  const refusals = [{ status: 503, body: { ok: false } }, { body: { ok: false, error: 'ratelimited' } }];
  const remove = slack.override((c) => (c.method === 'usergroups.users.list' && c.body.usergroup === 'S0FLAKY' ? refusals.shift() : undefined));
  try {
    const { dir, warnings } = directory();
    await expect(dir.groupsOf('U1', ['S0FLAKY'])).rejects.toEqual(CANNOT_TELL('S0FLAKY'));
    await expect(dir.groupsOf('U1', ['S0FLAKY'])).rejects.toEqual(CANNOT_TELL('S0FLAKY'));
    expect(await dir.groupsOf('U1', ['S0FLAKY'])).toEqual(['S0FLAKY']);
    expect(listed('S0FLAKY')).toBe(3);
    expect(warnings()).toEqual([expect.objectContaining({ msg: 'cannot list the members of user group S0FLAKY (Slack answered HTTP 503); what depends on it is refused until Slack answers' })]);
  } finally {
    remove();
  }
});

/** A Slack API that holds every request until `answer()` is called. */
async function heldSlack() {
  const held: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    held.push(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`,
    held,
    answer(users: string[]) {
      for (const res of held.splice(0)) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true, users }));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

test('Slack slow to answer: after timeoutMs the lookup gives up (a warning); the late answer still fills the cache', async () => {
  const held = await heldSlack();
  try {
    const { dir, warnings } = directory({ apiUrl: held.apiUrl, timeoutMs: 50 });
    await expect(dir.groupsOf('U1', ['S0SLOW'])).rejects.toEqual(CANNOT_TELL('S0SLOW'));
    expect(warnings()).toEqual([expect.objectContaining({ msg: 'cannot list the members of user group S0SLOW (Slack did not answer within 50 ms); what depends on it is refused until Slack answers' })]);
    // A second lookup while the first request is still out waits for that request, not a new one.
    await expect(dir.groupsOf('U1', ['S0SLOW'])).rejects.toEqual(CANNOT_TELL('S0SLOW'));
    expect(held.held).toHaveLength(1);
    expect(warnings()).toHaveLength(1);
    held.answer(['U1']);
    // Wait for the answer to land in the cache (poll with a deadline).
    const deadline = Date.now() + 5000;
    let groups: string[] = [];
    while (Date.now() < deadline && (groups = await dir.groupsOf('U1', ['S0SLOW']).catch(() => [])).length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(groups).toEqual(['S0SLOW']);
    expect(held.held).toHaveLength(0);
  } finally {
    await held.close();
  }
});

test("nameOf: the user's handle (user.name) from users.info, cached for an hour", async () => {
  slack.setUserName('UNAMED', { name: 'ada', real_name: 'Ada Lovelace' });
  const { dir, clock, lines } = directory();
  expect(await dir.nameOf('UNAMED')).toBe('ada');
  expect(await dir.nameOf('UDEFAULT')).toBe('udefault');
  const both = await Promise.all([dir.nameOf('UNAMED'), dir.nameOf('UNAMED')]);
  expect(both).toEqual(['ada', 'ada']);
  slack.setUserName('UNAMED', { name: 'ada.l' });
  clock.t += 60 * MINUTE - 1;
  expect(await dir.nameOf('UNAMED')).toBe('ada');
  expect(infos('UNAMED')).toBe(1);
  clock.t += 1;
  expect(await dir.nameOf('UNAMED')).toBe('ada.l');
  expect(infos('UNAMED')).toBe(2);
  expect(lines).toEqual([]);
});

test('nameOf: undefined when Slack refuses or cannot be reached, logged once at debug; never thrown', async () => {
  const remove = slack.override((c) => (c.method === 'users.info' && c.body.user === 'UGONE' ? { body: { ok: false, error: 'user_not_found' } } : undefined));
  try {
    const { dir, lines } = directory();
    expect(await dir.nameOf('UGONE')).toBeUndefined();
    expect(await dir.nameOf('UGONE')).toBeUndefined();
    expect(infos('UGONE')).toBe(1);
    expect(lines).toEqual([expect.objectContaining({ level: 20, user: 'UGONE', slackError: 'user_not_found', msg: 'cannot get the name of user UGONE (Slack answered user_not_found)' })]);
  } finally {
    remove();
  }
  const unreachable = directory({ apiUrl: 'http://127.0.0.1:9/api/' });
  expect(await unreachable.dir.nameOf('U1')).toBeUndefined();
  expect(await unreachable.dir.nameOf('U1')).toBeUndefined();
  expect(unreachable.lines).toEqual([expect.objectContaining({ level: 20, user: 'U1', msg: expect.stringMatching(/^cannot get the name of user U1 \(Slack could not be reached: .+\)$/) })]);
});

test('the console has no directory: nobody is in a group, nobody has a name', async () => {
  const dir = createNoDirectory();
  expect(await dir.groupsOf('U1', ['S0APPROVERS'])).toEqual([]);
  expect(await dir.nameOf('U1')).toBeUndefined();
});

#!/usr/bin/env node
/**
 * The README's Quick start, run the way a newcomer runs it: `npm run console` (after `npm ci`, which CI
 * has done), then the walkthrough lines of README.md's "Try the classic walkthrough" block — the
 * `svc> …` lines and the answers to confirmations (`Approve? [y/N] y`) — first typed one at a time, each
 * after the prompt it answers (and a command after the load balancer's "Ready" or the deletion's "no
 * further charges"), then piped all at once. Each session must end by itself with exit code 0,
 * without ":x: Stuck", a JSON log line or a stack trace in the terminal, and leave no key behind in Redis.
 *
 * `bash .ci/run` runs it after the tests. Plain JavaScript: it needs no build.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';
import { URL } from 'node:url';
import { Redis } from 'ioredis';

const SESSION_TIMEOUT_MS = 120_000;

function walkthrough() {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const block = /Try the classic walkthrough:\n\n```text\n([\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README.md has no "Try the classic walkthrough" block');
  const lines = [];
  for (const l of block[1].split('\n')) {
    if (l.startsWith('svc> ')) lines.push({ text: l.slice('svc> '.length).trim(), prompt: 'svc> ' });
    const answer = /^\S.*\? \[y\/N\] (.*)$/.exec(l);
    if (answer) lines.push({ text: answer[1].trim(), prompt: '[y/N] ' });
  }
  if (lines.length === 0) throw new Error('the walkthrough block has no `svc> ` lines');
  return lines;
}

/** A line that is a command (not a button's number, not the answer to a confirmation). */
const isCommand = (line) => line.prompt === 'svc> ' && !/^#?\d{1,3}$/.test(line.text);

const isLoadBalancer = (text) => /\btype\s+\S+\s+(lb|loadbalancer)\b/i.test(text);
const isDelete = (text) => /^(\/svc\s+)?(delete|rm)\b/.test(text);

function startConsole() {
  const child = spawn('npm', ['run', '--silent', 'console'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  let err = '';
  const waiters = [];
  child.stdout.on('data', (chunk) => {
    out += chunk.toString();
    for (const w of [...waiters]) w.check();
  });
  child.stderr.on('data', (chunk) => {
    err += chunk.toString();
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  /** Resolves once `text` appears `count` times in stdout. */
  const waitFor = (text, count = 1) =>
    new Promise((resolve, reject) => {
      const w = {
        check() {
          if (out.split(text).length - 1 >= count) {
            clearTimeout(timer);
            waiters.splice(waiters.indexOf(w), 1);
            resolve();
          }
        },
      };
      const timer = setTimeout(() => reject(new Error(`no "${text}" (×${count}) within ${SESSION_TIMEOUT_MS} ms; the console printed:\n${out.slice(-3000)}\n${err}`)), SESSION_TIMEOUT_MS);
      waiters.push(w);
      w.check();
    });
  return { child, exited, waitFor, output: () => out, errors: () => err };
}

function checkSession(name, session, result) {
  const problems = [];
  if (result.code !== 0) problems.push(`exit code ${result.code} (signal ${result.signal})`);
  const out = session.output();
  if (/Stuck at|:x:|\u274c/.test(out)) problems.push('a job got stuck');
  if (/\{"level"/.test(out + session.errors())) problems.push('a JSON log line in the terminal');
  if (/\n\s+at .+\(.+:\d+:\d+\)/.test(out + session.errors())) problems.push('a stack trace in the terminal');
  // stderr may say that a build ran; nothing else belongs there.
  const stderr = session.errors().split('\n').filter((l) => l.trim() !== '' && !/^svcbot: (building|built)|done \(/.test(l));
  if (stderr.length > 0) problems.push(`stderr: ${stderr.join(' | ')}`);
  if (problems.length > 0) throw new Error(`${name}: ${problems.join('; ')}\n--- output ---\n${out.slice(-4000)}`);
  process.stdout.write(`${name}: ok\n`);
}

async function typed(lines) {
  const session = startConsole();
  const seen = { 'svc> ': 0, '[y/N] ': 0 };
  /** Waits for the next `prompt` (counting those already answered). */
  const prompt = async (p) => {
    seen[p] += 1;
    await session.waitFor(p, seen[p]);
  };
  let loadBalancer = false;
  /** What a newcomer waits for before the next command: the load balancer ready, the deletion done. */
  let awaiting;
  for (const line of lines) {
    await prompt(line.prompt);
    if (isCommand(line) && awaiting) {
      await session.waitFor(awaiting);
      awaiting = undefined;
    }
    session.child.stdin.write(`${line.text}\n`);
    if (isCommand(line) && isLoadBalancer(line.text)) {
      loadBalancer = true;
      awaiting = 'Ready:';
    } else if (isCommand(line) && isDelete(line.text) && loadBalancer) {
      awaiting = 'no further charges';
    }
  }
  await prompt('svc> ');
  if (awaiting) await session.waitFor(awaiting);
  session.child.stdin.write('exit\n');
  checkSession('typed, a line at a time', session, await session.exited);
}

async function piped(lines) {
  const session = startConsole();
  session.child.stdin.end(`${lines.map((l) => l.text).join('\n')}\n`);
  const timer = setTimeout(() => session.child.kill('SIGKILL'), SESSION_TIMEOUT_MS);
  const result = await session.exited;
  clearTimeout(timer);
  checkSession('piped, all at once', session, result);
}

async function leftInRedis() {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
  } catch {
    return []; // no Redis: the console ran its jobs elsewhere
  }
  try {
    return await redis.keys(`${process.env.REDIS_PREFIX ?? 'svcbot'}-console-*`);
  } finally {
    redis.disconnect();
  }
}

const lines = walkthrough();
process.stdout.write(`README walkthrough: ${lines.map((l) => `"${l.text}"`).join(', ')}\n`);
await typed(lines);
await piped(lines);
const left = await leftInRedis();
if (left.length > 0) throw new Error(`the console left ${left.length} keys in Redis: ${left.slice(0, 5).join(', ')}`);
process.stdout.write('README quick start: ok\n');

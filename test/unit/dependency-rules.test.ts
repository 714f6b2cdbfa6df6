/**
 * The module boundaries in .dependency-cruiser.mjs (`npm run lint:deps`) bite: dependency-cruiser runs
 * with the project's real config on small fixture trees written to a temp dir (the repo's layout, a tiny
 * tsconfig, `.js` specifiers as NodeNext wants them, the repo's node_modules linked in). A clean tree has
 * no violations; a tree with one deliberate violation per rule has exactly those. The config's exceptions
 * and allow-list entries must name files and folders that exist in this repository.
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '../..');
const CONFIG = join(root, '.dependency-cruiser.mjs');
const DEPCRUISE = join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
/** What `npm run lint:deps` cruises. */
const CRUISED = ['src', 'handlers', 'jobs', 'sandbox'];

type Tree = Record<string, string>;

/** A tree that keeps every rule: each layer imports what it may (values, types, dynamic imports, builtins, npm packages). */
const CLEAN: Tree = {
  'tsconfig.json': JSON.stringify({
    compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, verbatimModuleSyntax: true },
    include: CRUISED,
  }),
  'package.json': JSON.stringify({ name: 'fixture', private: true, type: 'module' }),
  'src/domain/thing.ts': "export interface Thing { name: string }\nexport const label = (t: Thing): string => t.name;\n",
  'src/domain/operations.ts':
    "import type { Store } from '../ports/store.js';\nimport { label, type Thing } from './thing.js';\n" +
    'export const describe = async (store: Store): Promise<string[]> => (await store.list()).map((t: Thing) => label(t));\n',
  'src/render/text.ts': "import type { Thing } from '../domain/thing.js';\nexport const render = (t: Thing): string => `*${t.name}*`;\n",
  'src/ports/store.ts': "import type { Thing } from '../domain/thing.js';\nexport interface Store { list(): Promise<Thing[]> }\n",
  'src/ports/logger.ts': 'export interface Logger { info(msg: string): void }\n',
  'src/adapters/store.ts':
    "import { Redis } from 'ioredis';\nimport type { Store } from '../ports/store.js';\nimport { label } from '../domain/thing.js';\n" +
    'export const redisStore = (redis: Redis): Store => ({ list: async () => (await redis.keys(label({ name: "*" }))).map((name) => ({ name })) });\n',
  'src/config.ts': "import { readFileSync } from 'node:fs';\nexport const loadConfig = (path: string): string => readFileSync(path, 'utf8');\n",
  'src/logger.ts': "import { pino } from 'pino';\nexport const createLogger = () => pino();\n",
  'src/app.ts':
    "import { redisStore } from './adapters/store.js';\nimport { handle } from '../handlers/command.js';\nimport { runJob } from '../jobs/job.js';\n" +
    'export const start = () => ({ redisStore, handle, runJob });\n',
  'src/cli.ts':
    "import { readFileSync } from 'node:fs';\nimport { loadConfig } from './config.js';\n" +
    "export const loadApp = () => import('./app.js');\nexport const loadSandbox = () => import('../sandbox/main.js');\n" +
    "export const loadConsole = () => import('./console/loop.js');\nexport const version = () => readFileSync('package.json', 'utf8') + loadConfig('x');\n",
  'src/console/loop.ts':
    "import { handle } from '../../handlers/command.js';\nimport type { start } from '../app.js';\nimport { startSandbox } from './sandbox.js';\n" +
    'export const loop = (app: ReturnType<typeof start>) => [handle, app, startSandbox];\n',
  'src/console/sandbox.ts':
    "import type { SandboxOptions } from '../../sandbox/main.js';\nexport const startSandbox = async (o: SandboxOptions) => (await import('../../sandbox/main.js')).run(o);\n",
  'handlers/command.ts':
    "import { randomBytes } from 'node:crypto';\nimport { describe } from '../src/domain/operations.js';\nimport { render } from '../src/render/text.js';\n" +
    "import type { Logger } from '../src/ports/logger.js';\nimport type { Store } from '../src/ports/store.js';\nimport { ref } from './ref.js';\n" +
    'export const handle = async (store: Store, log: Logger) => { log.info(ref(randomBytes(4))); return (await describe(store)).map((name) => render({ name })); };\n',
  'handlers/ref.ts': "export const ref = (b: Uint8Array): string => Buffer.from(b).toString('hex');\n",
  'jobs/job.ts':
    "import { setTimeout as sleep } from 'node:timers/promises';\nimport { label } from '../src/domain/thing.js';\nimport type { Store } from '../src/ports/store.js';\n" +
    "import { step } from './step.js';\nexport const runJob = async (store: Store) => { await sleep(1); return step((await store.list()).map(label)); };\n",
  'jobs/step.ts': 'export const step = (names: string[]): number => names.length;\n',
  'sandbox/main.ts':
    "import { createServer } from 'node:http';\nimport { stringify } from 'yaml';\nimport { route } from './kube/server.js';\n" +
    'export interface SandboxOptions { port: number }\nexport const run = (o: SandboxOptions) => createServer(route).listen(o.port) && stringify(o);\n',
  'sandbox/kube/server.ts': "import type { IncomingMessage, ServerResponse } from 'node:http';\nexport const route = (_q: IncomingMessage, s: ServerResponse) => s.end();\n",
};

/** Deliberate violations: [file, its text, the violations it must be reported as (rule, to)]; an edge may break two rules. */
const VIOLATIONS: [file: string, text: string, expected: [rule: string, to: string][]][] = [
  [
    'handlers/bad-adapter.ts',
    "import { redisStore } from '../src/adapters/store.js';\nexport const x = redisStore;\n",
    [
      ['handlers-inward-only', 'src/adapters/store.ts'],
      ['adapters-only-from-composition-root', 'src/adapters/store.ts'],
    ],
  ],
  ['handlers/bad-logger.ts', "import type { createLogger } from '../src/logger.js';\nexport type L = typeof createLogger;\n", [['handlers-inward-only', 'src/logger.ts']]],
  ['handlers/bad-dynamic.ts', "export const load = () => import('../src/config.js');\n", [['handlers-inward-only', 'src/config.ts']]],
  ['handlers/bad-pino.ts', "import type { Logger } from 'pino';\nexport type L = Logger;\n", [['handlers-jobs-no-network-or-pino', 'pino']]],
  ['handlers/bad-sdk.ts', "import type { App } from '@slack/bolt';\nexport type A = App;\n", [['sdk-only-in-adapters', '@slack/bolt']]],
  ['jobs/bad-sdk.ts', "import { Queue } from 'bullmq';\nexport const q = Queue;\n", [['sdk-only-in-adapters', 'bullmq']]],
  ['jobs/bad-handler.ts', "import { handle } from '../handlers/command.js';\nexport const h = handle;\n", [['jobs-inward-only', 'handlers/command.ts']]],
  ['jobs/bad-net.ts', "import { connect } from 'node:net';\nexport const c = connect;\n", [['handlers-jobs-no-network-or-pino', 'net']]],
  ['jobs/bad-spawn.ts', "import { spawn } from 'child_process';\nexport const s = spawn;\n", [['handlers-jobs-no-network-or-pino', 'child_process']]],
  ['sandbox/bad.ts', "import { label } from '../src/domain/thing.js';\nexport const l = label;\n", [['sandbox-self-contained', 'src/domain/thing.ts']]],
  ['src/domain/bad-http.ts', "import { request } from 'node:http';\nexport const r = request;\n", [['domain-render-pure', 'http']]],
  ['src/render/bad-fs.ts', "import { readFile } from 'fs/promises';\nexport const r = readFile;\n", [['domain-render-pure', 'fs/promises']]],
  ['src/domain/bad-console.ts', "import type { loop } from '../console/loop.js';\nexport type L = typeof loop;\n", [['domain-render-pure', 'src/console/loop.ts']]],
  ['src/ports/bad.ts', "import type { loadConfig } from '../config.js';\nexport type C = typeof loadConfig;\n", [['ports-inward-only', 'src/config.ts']]],
  ['src/ports/bad-sdk.ts', "import type { Redis } from 'ioredis';\nexport type R = Redis;\n", [['sdk-only-in-adapters', 'ioredis']]],
  ['src/console/bad.ts', "import { redisStore } from '../adapters/store.js';\nexport const s = redisStore;\n", [['adapters-only-from-composition-root', 'src/adapters/store.ts']]],
  ['src/console/command.ts', "import type { SandboxOptions } from '../../sandbox/main.js';\nexport type O = SandboxOptions;\n", [['product-not-to-sandbox', 'sandbox/main.ts']]],
  ['src/domain/cycle-a.ts', "import { b } from './cycle-b.js';\nexport const a = (): number => b() + 1;\n", [['no-circular', 'src/domain/cycle-b.ts']]],
  // The cycle closes through a type-only import, and dependency-cruiser reports a cycle once, on its first edge.
  ['src/domain/cycle-b.ts', "import type { a } from './cycle-a.js';\nexport const b = (): number => 0;\nexport type A = typeof a;\n", []],
  ['src/domain/bad-missing.ts', "export { gone } from './missing.js';\n", [['not-to-unresolvable', './missing.js']]],
];

interface Violation {
  rule: { name: string; severity: string };
  from: string;
  to: string;
}
interface CruiseJson {
  modules: { source: string; dependencies: { resolved: string; couldNotResolve: boolean; dynamic: boolean; dependencyTypes: string[] }[] }[];
  summary: { violations: Violation[]; error: number };
}

/** Runs the depcruise CLI as `npm run lint:deps` does (the real config), in `cwd`, with JSON output. */
function depcruise(cwd: string, args: readonly string[]): Promise<CruiseJson> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      process.execPath,
      [DEPCRUISE, '--config', CONFIG, '--output-type', 'json', ...args],
      { cwd, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        try {
          resolvePromise(JSON.parse(stdout) as CruiseJson);
        } catch {
          reject(new Error(`depcruise failed in ${cwd}: ${error?.message ?? 'no output'}\n${stderr}`));
        }
      },
    );
  });
}

async function writeTree(dir: string, tree: Tree): Promise<void> {
  for (const [file, text] of Object.entries(tree)) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await writeFile(join(dir, file), text);
  }
  // npm imports resolve as in the repo: to the packages installed there.
  await symlink(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
}

/** `node_modules/@slack/bolt/dist/index.js` → `@slack/bolt`, `…/node_modules/pino/pino.js` → `pino`; anything else as is. */
function shortTarget(to: string): string {
  const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(to);
  return match?.[1] ?? to;
}

const summary = (violations: Violation[]) => violations.map((v) => `${v.rule.name}: ${v.from} -> ${shortTarget(v.to)}`).sort();

let dir: string;
let clean: CruiseJson;
let dirty: CruiseJson;
let repo: CruiseJson;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'svcbot-dep-rules-'));
  const dirtyTree: Tree = { ...CLEAN, ...Object.fromEntries(VIOLATIONS.map(([file, text]) => [file, text])) };
  await Promise.all([writeTree(join(dir, 'clean'), CLEAN), writeTree(join(dir, 'dirty'), dirtyTree)]);
  [clean, dirty, repo] = await Promise.all([
    depcruise(join(dir, 'clean'), CRUISED),
    depcruise(join(dir, 'dirty'), CRUISED),
    // The real repo, only the first hop from the composition root and the CLI: do the imports resolve?
    depcruise(root, ['--max-depth', '1', 'src/app.ts', 'src/cli.ts']),
  ]);
}, 30_000);

afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

test('the clean tree has no violations, and its imports were all seen and resolved (relative .js to .ts, type-only, dynamic, npm)', () => {
  expect(summary(clean.summary.violations)).toEqual([]);
  const edges = clean.modules.flatMap((m) => m.dependencies.map((d) => ({ from: m.source, ...d })));
  expect(edges.filter((e) => e.couldNotResolve)).toEqual([]);
  const seen = edges.map((e) => `${e.from} -> ${shortTarget(e.resolved)}`);
  expect(seen).toEqual(
    expect.arrayContaining([
      'src/app.ts -> src/adapters/store.ts',
      'src/cli.ts -> sandbox/main.ts', // dynamic import()
      'src/console/sandbox.ts -> sandbox/main.ts', // type-only and dynamic
      'handlers/command.ts -> src/ports/logger.ts', // type-only
      'src/adapters/store.ts -> ioredis',
      'jobs/job.ts -> timers/promises',
    ]),
  );
  expect(edges.find((e) => e.from === 'src/cli.ts' && e.resolved === 'sandbox/main.ts')?.dynamic).toBe(true);
});

test('each rule reports its deliberate violation, and nothing else is reported', () => {
  const expected = VIOLATIONS.flatMap(([file, , violations]) => violations.map(([rule, to]) => `${rule}: ${file} -> ${to}`)).sort();
  expect(summary(dirty.summary.violations)).toEqual(expected);
  expect(dirty.summary.violations.every((v) => v.rule.severity === 'error')).toBe(true);
});

test('every rule in the config is exercised by a deliberate violation', async () => {
  const config = (await import(pathToFileURL(CONFIG).href)) as { default: { forbidden: { name: string }[] } };
  const exercised = new Set(VIOLATIONS.flatMap(([, , violations]) => violations.map(([rule]) => rule)));
  expect(config.default.forbidden.map((rule) => rule.name).sort()).toEqual([...exercised].sort());
});

test('on the real repo the imports resolve: the composition root reaches adapters, the CLI reaches the sandbox dynamically', () => {
  const edges = repo.modules.flatMap((m) => m.dependencies.map((d) => ({ from: m.source, ...d })));
  expect(edges.filter((e) => e.couldNotResolve)).toEqual([]);
  expect(edges.filter((e) => e.from === 'src/app.ts' && e.resolved.startsWith('src/adapters/') && e.resolved.endsWith('.ts')).length).toBeGreaterThan(0);
  expect(edges.find((e) => e.from === 'src/cli.ts' && e.resolved === 'sandbox/main.ts')).toMatchObject({ dynamic: true });
});

/** Files and folders of the repo, as repo-relative paths (folders with a trailing slash). */
function repoPaths(rel = ''): string[] {
  return readdirSync(join(root, rel), { withFileTypes: true })
    .filter((e) => !['node_modules', '.git', 'dist', 'coverage'].includes(e.name))
    .flatMap((e) => (e.isDirectory() ? [`${rel}${e.name}/`, ...repoPaths(`${rel}${e.name}/`)] : [`${rel}${e.name}`]));
}

test('the config has no blanket exceptions, and every exception or allow-list entry names something in this repo', async () => {
  type Part = { path?: string | string[]; pathNot?: string | string[] };
  type Rule = { name: string; severity: string; from: Part; to: Part };
  const config = (await import(pathToFileURL(CONFIG).href)) as { default: { forbidden: Rule[]; allowed?: unknown; options: Record<string, unknown> } };
  const { forbidden, allowed, options } = config.default;
  expect(allowed).toBeUndefined();
  for (const option of ['exclude', 'includeOnly', 'knownViolations', 'knownViolationsFile', 'focus', 'reaches']) {
    expect(options[option]).toBeUndefined();
  }
  expect(forbidden.every((rule) => rule.severity === 'error')).toBe(true);

  const paths = repoPaths();
  const entries = forbidden.flatMap((rule) =>
    [rule.from.pathNot, rule.to.pathNot].flatMap((p) => (p === undefined ? [] : Array.isArray(p) ? p : [p])).map((pattern) => ({ rule: rule.name, pattern })),
  );
  expect(entries.length).toBeGreaterThan(0);
  const missing = entries.filter(({ pattern }) => !paths.some((path) => new RegExp(pattern).test(path)));
  expect(missing).toEqual([]);
});

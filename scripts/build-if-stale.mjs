#!/usr/bin/env node
/**
 * `npm run console|sandbox|start|bench` run this before dist/: it builds only when the sources changed
 * since its last successful build, and says so in one line on stderr; otherwise it exits at once.
 * Plain JavaScript, so it needs no build itself. `npm run build` is the explicit full build (tsc alone).
 *
 * A build is needed when:
 * - it has no record of the last build (STAMP, written after it, its mtime set to when it started);
 * - a source (.ts/.json under SOURCE_DIRS) or a CONFIG_FILES entry is newer than that record;
 * - the set of sources differs from the recorded one (added, deleted, renamed: a rename keeps the mtime);
 * - a .js the last build wrote is missing from dist/ (tsc's incremental build would not write it again,
 *   so the build starts over without tsc's build info);
 * - the last build failed.
 * The build is `tsc -p tsconfig.build.json`, incremental (tsconfig.build.json keeps tsc's build info
 * under dist/), so it recompiles what changed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE_DIRS = ['src', 'handlers', 'jobs', 'sandbox', 'bench'];
// package.json: its "type" decides the module format tsc emits (NodeNext).
const CONFIG_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package.json'];
const DIST = join(root, 'dist');
const BUILD_INFO = join(DIST, 'tsconfig.build.tsbuildinfo'); // tsc's, as named in tsconfig.build.json
const STAMP = join(DIST, 'build-if-stale.json'); // ours: { sources: [...], failed?: true } of the last build

/** Source files (paths relative to the root, with /), sorted. */
function sources() {
  const found = [];
  const walk = (dir) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|json)$/.test(entry.name)) found.push(path);
    }
  };
  for (const dir of SOURCE_DIRS) if (existsSync(join(root, dir))) walk(dir);
  return found.sort();
}

/** Why a build is needed ({ reason, full }: full = without tsc's build info), or undefined when dist/ is up to date. */
function staleness(files) {
  let stamp;
  try {
    stamp = { ...JSON.parse(readFileSync(STAMP, 'utf8')), builtAt: statSync(STAMP).mtimeMs };
  } catch {
    stamp = undefined;
  }
  if (!stamp && !existsSync(join(DIST, 'src', 'cli.js'))) return { reason: 'first build', full: true };
  // Outputs the last build wrote (of sources it compiled that have not changed since) that are gone now.
  const built = new Set(Array.isArray(stamp?.sources) ? stamp.sources : []);
  const output = (f) => `dist/${f.replace(/\.ts$/, '.js')}`;
  const missing = files.find(
    (f) =>
      f.endsWith('.ts') &&
      !f.endsWith('.d.ts') &&
      (!stamp || (built.has(f) && statSync(join(root, f)).mtimeMs < stamp.builtAt)) &&
      !existsSync(join(root, output(f))),
  );
  if (missing) return { reason: `${output(missing)} is missing`, full: true };
  if (!stamp) return { reason: 'no record of the last build', full: false };
  if (stamp.failed === true) return { reason: 'the last build failed', full: false };
  const changed = [...CONFIG_FILES, ...files].filter((f) => statSync(join(root, f)).mtimeMs >= stamp.builtAt);
  if (changed.length > 0) {
    const more = changed.length > 1 ? ` and ${changed.length - 1} more file${changed.length > 2 ? 's' : ''}` : '';
    return { reason: `${changed[0]}${more} changed since the last build`, full: false };
  }
  const added = files.find((f) => !built.has(f));
  if (added) return { reason: `${added} is new since the last build`, full: false };
  const gone = [...built].find((f) => !files.includes(f));
  if (gone) return { reason: `${gone} was removed or renamed since the last build`, full: false };
  return undefined;
}

function tscPath() {
  try {
    return createRequire(import.meta.url).resolve('typescript/bin/tsc');
  } catch {
    process.stderr.write('svcbot: cannot build: TypeScript is not installed (npm ci installs the dev dependencies too)\n');
    process.exit(1);
  }
}

const files = sources();
const stale = staleness(files);
if (stale === undefined) process.exit(0);
const { reason, full } = stale;

const tsc = tscPath();
const startedAt = Date.now();
process.stderr.write(`svcbot: building (${reason})…`);
// No record while tsc runs: an interrupted build is not a successful one.
rmSync(STAMP, { force: true });
if (full) rmSync(BUILD_INFO, { force: true });
// tsc's messages (on its stdout) are collected and shown after our line, so nothing else lands on stdout.
const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', ...(process.stderr.isTTY ? ['--pretty'] : [])], {
  cwd: root,
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
});
const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
mkdirSync(DIST, { recursive: true });
if (result.status !== 0) {
  writeFileSync(STAMP, `${JSON.stringify({ failed: true, sources: files })}\n`);
  utimesSync(STAMP, startedAt / 1000, startedAt / 1000);
  process.stderr.write(` failed (${seconds} s):\n${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? `${result.error.message}\n` : ''}`);
  process.exit(result.status ?? 1);
}
writeFileSync(STAMP, `${JSON.stringify({ sources: files })}\n`);
// A source saved while tsc ran is newer than this and is built next time.
utimesSync(STAMP, startedAt / 1000, startedAt / 1000);
process.stderr.write(` done (${seconds} s)\n`);

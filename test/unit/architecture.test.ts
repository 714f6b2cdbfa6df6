/**
 * The module boundaries the design depends on, checked on the import statements themselves:
 * - the sandbox is an independent implementation: it imports nothing of svcbot's own code, and product
 *   code never imports it (only the CLI's sandbox and console commands start it);
 * - only adapters (and the composition root / handlers that register on Bolt) import the SDKs;
 * - the domain is pure: no SDK, no node:http.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');

function files(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(join(root, path)).isDirectory()) return files(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map(
    (m) => m[1] ?? m[2] ?? '',
  );
}

/** Repo-relative path of a relative import. */
function target(file: string, spec: string): string | undefined {
  return spec.startsWith('.') ? relative(root, resolve(root, dirname(file), spec)) : undefined;
}

const productFiles = [...files('src'), ...files('handlers'), ...(safeFiles('jobs'))].filter((f) => !f.startsWith('sandbox/'));
const sandboxFiles = files('sandbox');

function safeFiles(dir: string): string[] {
  try {
    return files(dir);
  } catch {
    return [];
  }
}

const SDKS = ['@kubernetes/client-node', '@aws-sdk/', '@slack/', 'bullmq', 'ioredis'];
/** Files allowed to import an SDK besides src/adapters/**. */
const SDK_ALLOWED = new Set(['src/app.ts', 'handlers/slash-command.ts', 'handlers/buttons.ts', 'handlers/run-and-deliver.ts']);

test('the import scanner sees static, type-only and dynamic imports (a control for the checks below)', () => {
  expect(imports('src/adapters/kubernetes.ts')).toContain('@kubernetes/client-node');
  expect(imports('src/cli.ts')).toContain('../sandbox/main.js');
  expect(imports('sandbox/index.ts')).toContain('./kube/cluster.js');
});

test('the sandbox imports nothing from svcbot outside sandbox/', () => {
  const offending = sandboxFiles.flatMap((f) =>
    imports(f)
      .map((spec) => target(f, spec))
      .filter((t): t is string => t !== undefined && !t.startsWith('sandbox'))
      .map((t) => `${f} -> ${t}`),
  );
  expect(offending).toEqual([]);
});

test('product code never imports the sandbox, except the CLI commands that start it', () => {
  const allowed = new Set(['src/cli.ts', 'src/console/sandbox.ts', 'src/console/command.ts', 'src/console/index.ts']);
  const offending = productFiles.flatMap((f) =>
    imports(f)
      .map((spec) => target(f, spec))
      .filter((t): t is string => t !== undefined && t.startsWith('sandbox/'))
      .filter(() => !allowed.has(f))
      .map((t) => `${f} -> ${t}`),
  );
  expect(offending).toEqual([]);
});

test('only adapters (and the composition root and Bolt handlers) import SDKs', () => {
  const offending = productFiles
    .filter((f) => !f.startsWith('src/adapters/') && !SDK_ALLOWED.has(f) && !f.startsWith('src/console/'))
    .flatMap((f) => imports(f).filter((spec) => SDKS.some((sdk) => spec.startsWith(sdk))).map((spec) => `${f} -> ${spec}`));
  expect(offending).toEqual([]);
});

test('the domain and the renderers are pure: no SDK, no network, no filesystem', () => {
  const pure = productFiles.filter((f) => f.startsWith('src/domain/') || f.startsWith('src/render/'));
  expect(pure.length).toBeGreaterThan(10);
  const offending = pure.flatMap((f) =>
    imports(f)
      .filter((spec) => SDKS.some((sdk) => spec.startsWith(sdk)) || /^node:(http|https|net|dgram|fs|child_process)/.test(spec))
      .map((spec) => `${f} -> ${spec}`),
  );
  expect(offending).toEqual([]);
});

/**
 * What the container image is built from and what it carries: a base pinned by digest on a Node.js line
 * that still gets security fixes, and production dependencies that the product itself imports (the
 * sandbox, a development tool, stays out of the image with the libraries only it uses).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

/** End of security support of each even (LTS) Node.js line, from the Node.js release schedule. */
const NODE_END_OF_LIFE: Record<number, string> = { 20: '2026-04-30', 22: '2027-04-30', 24: '2028-04-30', 26: '2029-04-30' };

/** The image each FROM names, with `${ARG}` replaced by the ARG's default. */
function baseImages(): string[] {
  const args = new Map([...dockerfile.matchAll(/^ARG (\w+)=(\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
  return [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]!.replace(/\$\{(\w+)\}/g, (_s, name: string) => args.get(name) ?? ''));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** The packages the product code (src/, handlers/, jobs/) imports at run time (type-only imports left out). */
function productImports(): Set<string> {
  const found = new Set<string>();
  for (const file of ['src', 'handlers', 'jobs'].flatMap((d) => sourceFiles(join(ROOT, d)))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^import (?!type )[^;]*?from '([^'.][^']*)'|import\('([^'.][^']*)'\)/gm)) {
      const spec = (m[1] ?? m[2])!;
      if (spec.startsWith('node:')) continue;
      found.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  }
  return found;
}

describe('the container image', () => {
  it('pins every base image by digest', () => {
    const images = baseImages();
    expect(images.length).toBeGreaterThanOrEqual(2);
    for (const image of images) expect(image).toMatch(/^[\w./-]+(:[\w.-]+)?@sha256:[0-9a-f]{64}$/);
  });

  it('runs on a Node.js LTS line that gets security fixes for at least 90 more days', () => {
    const runtime = baseImages().at(-1)!;
    const major = Number(/^node:(\d+)/.exec(runtime)?.[1]);
    const endOfLife = NODE_END_OF_LIFE[major];
    expect(endOfLife).toBeDefined();
    expect(new Date(endOfLife!).getTime() - Date.now()).toBeGreaterThan(90 * 24 * 3600 * 1000);
  });

  it('copies the compiled product only: not the sandbox, not the benchmarks', () => {
    const copied = [...dockerfile.matchAll(/^COPY --from=build (\S+)/gm)].map((m) => m[1]!);
    expect(copied).toEqual(['/app/dist/src', '/app/dist/handlers', '/app/dist/jobs']);
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev /m);
  });
});

describe('production dependencies', () => {
  it('are each imported by the product itself (what serves only the sandbox or tests is a dev dependency)', () => {
    const imported = productImports();
    expect(Object.keys(pkg.dependencies).filter((dep) => !imported.has(dep))).toEqual([]);
  });

  it('cover everything the product imports at run time', () => {
    const missing = [...productImports()].filter((dep) => !(dep in pkg.dependencies));
    expect(missing).toEqual([]);
  });

  it('are pinned to exact versions, like the dev dependencies', () => {
    for (const version of [...Object.values(pkg.dependencies), ...Object.values(pkg.devDependencies)]) expect(version).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

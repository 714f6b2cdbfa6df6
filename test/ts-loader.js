/**
 * Runs svcbot's TypeScript sources directly in a child `node` process (Node 20 cannot strip types):
 *
 *   node --import ./test/ts-loader.js src/cli.ts worker
 *
 * Imported with --import, this module registers itself as Node's module hooks (`module.register`); in
 * the hooks thread it resolves relative `./x.js` specifiers to `./x.ts` when only the .ts file exists
 * (the sources import with `.js`, as NodeNext wants) and loads `.ts` files transpiled to ES modules by
 * SWC, with the same settings jest uses (jest.config.js). No type checking: `npm run typecheck` does that.
 * (It sits in test/ rather than test/helpers/ because ESLint's config lints `test/*.js` as plain JS.)
 */
import { existsSync, readFileSync } from 'node:fs';
import { register } from 'node:module';
import { URL, fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';

if (isMainThread) register(import.meta.url);

/** @type {import('node:module').ResolveHook} */
export async function resolve(specifier, context, nextResolve) {
  const relative = specifier.startsWith('./') || specifier.startsWith('../');
  if (relative && specifier.endsWith('.js') && context.parentURL?.startsWith('file:')) {
    const ts = new URL(`${specifier.slice(0, -'.js'.length)}.ts`, context.parentURL);
    if (existsSync(fileURLToPath(ts)) && !existsSync(fileURLToPath(new URL(specifier, context.parentURL)))) {
      return { url: ts.href, format: 'module', shortCircuit: true };
    }
  }
  return nextResolve(specifier, context);
}

/** @type {import('node:module').LoadHook} */
export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const { transformSync } = await import('@swc/core');
  const filename = fileURLToPath(url);
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  });
  return { format: 'module', source: code, shortCircuit: true };
}

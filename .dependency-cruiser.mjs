/**
 * svcbot's module boundaries, checked by dependency-cruiser (`npm run lint:deps`; docs/ARCHITECTURE.md
 * describes the layers). Product code is src/, handlers/ and jobs/; the sandbox (sandbox/) is a
 * separate program; tests and benchmarks are not checked.
 *
 * Conventions:
 * - Paths are repo-relative regular expressions. Every `pathNot` entry is an exception or an
 *   allow-list entry, one per array element, and test/unit/dependency-rules.test.ts checks that each
 *   one names something that exists in the repository.
 * - Type-only imports count (`tsPreCompilationDeps: true`), and so do dynamic `import()`s.
 * - An import that cannot be resolved is itself an error (`not-to-unresolvable`), so that no edge
 *   slips past the other rules because it was not resolved to a file.
 */

/** Product code: what svcbot runs. */
const PRODUCT = ['^src/', '^handlers/', '^jobs/'];

/**
 * The SDKs only adapters may import: resolved (`node_modules/bullmq/…`, at any depth) or, when not
 * installed, as written.
 */
const SDKS = [
  '(^|/)node_modules/@(slack|kubernetes|aws-sdk)/',
  '(^|/)node_modules/(bullmq|ioredis)/',
  '^@(slack|kubernetes|aws-sdk)/',
  '^(bullmq|ioredis)$',
];

/** A Node.js builtin among `names`, with or without the `node:` prefix, and its subpaths (fs/promises). */
const builtin = (names) => `^(node:)?(${names.join('|')})(/|$)`;

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Product code has no import cycles (type-only imports included).',
      from: { path: PRODUCT },
      to: { circular: true },
    },
    {
      name: 'domain-render-pure',
      severity: 'error',
      comment:
        'src/domain and src/render are pure: no network, filesystem or process I/O, and nothing from ' +
        'the outer layers (adapters, the composition root, handlers, jobs, the console, the sandbox). ' +
        'SDKs are covered by sdk-only-in-adapters.',
      from: { path: ['^src/domain/', '^src/render/'] },
      to: {
        path: [
          builtin(['http', 'https', 'net', 'dgram', 'fs', 'child_process']),
          '^src/adapters/',
          '^src/app\\.ts$',
          '^handlers/',
          '^jobs/',
          '^src/console/',
          '^sandbox/',
        ],
      },
    },
    {
      name: 'ports-inward-only',
      severity: 'error',
      comment: 'src/ports (interfaces) import only src/domain, src/render and other ports. SDKs are covered by sdk-only-in-adapters.',
      from: { path: '^src/ports/' },
      to: { dependencyTypes: ['local'], pathNot: ['^src/domain/', '^src/render/', '^src/ports/'] },
    },
    {
      name: 'handlers-inward-only',
      severity: 'error',
      comment:
        'handlers/ import only src/domain, src/render, src/ports and other handlers: not adapters, ' +
        'the composition root, config, the logger module (a Logger port is the way), the console, jobs/ or the sandbox.',
      from: { path: '^handlers/' },
      to: { dependencyTypes: ['local'], pathNot: ['^src/domain/', '^src/render/', '^src/ports/', '^handlers/'] },
    },
    {
      name: 'jobs-inward-only',
      severity: 'error',
      comment:
        'jobs/ import only src/domain, src/render, src/ports and other jobs: not adapters, the ' +
        'composition root, config, the logger module (a Logger port is the way), the console, handlers/ or the sandbox.',
      from: { path: '^jobs/' },
      to: { dependencyTypes: ['local'], pathNot: ['^src/domain/', '^src/render/', '^src/ports/', '^jobs/'] },
    },
    {
      name: 'handlers-jobs-no-network-or-pino',
      severity: 'error',
      comment:
        'handlers/ and jobs/ open no sockets and start no processes (node:http, https, net, dgram, ' +
        'child_process) and do not import pino: they log through the Logger port. SDKs are covered by sdk-only-in-adapters.',
      from: { path: ['^handlers/', '^jobs/'] },
      to: { path: [builtin(['http', 'https', 'net', 'dgram', 'child_process']), '(^|/)node_modules/pino/', '^pino$'] },
    },
    {
      name: 'sdk-only-in-adapters',
      severity: 'error',
      comment: 'Among product code only src/adapters imports the SDKs (@slack/*, @kubernetes/*, @aws-sdk/*, bullmq, ioredis).',
      from: { path: PRODUCT, pathNot: ['^src/adapters/'] },
      to: { path: SDKS },
    },
    {
      name: 'adapters-only-from-composition-root',
      severity: 'error',
      comment: 'src/app.ts, the composition root, is the one product file outside src/adapters that imports src/adapters.',
      from: { path: PRODUCT, pathNot: ['^src/adapters/', '^src/app\\.ts$'] },
      to: { path: '^src/adapters/' },
    },
    {
      name: 'sandbox-self-contained',
      severity: 'error',
      comment: 'The sandbox is an independent implementation: it imports nothing outside sandbox/ but npm packages and Node.js builtins.',
      from: { path: '^sandbox/' },
      to: { dependencyTypes: ['local'], pathNot: ['^sandbox/'] },
    },
    {
      name: 'product-not-to-sandbox',
      severity: 'error',
      comment: 'Product code never imports the sandbox, except the two entry points that start it (svcbot sandbox / svcbot console).',
      from: { path: PRODUCT, pathNot: ['^src/cli\\.ts$', '^src/console/sandbox\\.ts$'] },
      to: { path: '^sandbox/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'Every import resolves to a file, an npm package or a Node.js builtin; an unresolved one would escape the rules above.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Type-only imports (`import type`, `export type … from`) are dependencies too.
    tsPreCompilationDeps: true,
    // The project's compiler settings (NodeNext): `./x.js` in a .ts file resolves to ./x.ts.
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: ['(^|/)node_modules/'] },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};

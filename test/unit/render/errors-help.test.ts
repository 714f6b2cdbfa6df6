import { describe, expect, it } from '@jest/globals';
import { BotError, UsageError, type ErrorCode } from '../../../src/domain/errors.js';
import { helpFor } from '../../../src/domain/help.js';
import { blockKitViolations } from '../../../src/render/blocks.js';
import { renderError, renderUsageError } from '../../../src/render/errors.js';
import { renderHelp, type SubcommandHelpView } from '../../../src/render/help.js';
import { renderToText } from '../../../src/render/text.js';
import { EVIL, everything, slackConstructs } from './fixtures.js';

describe('renderUsageError', () => {
  it('shows the problem, the usage line and a suggestion, to the asker only', () => {
    const r = renderUsageError(new UsageError('unknown subcommand "lsit"', '/svc list [--namespace NS]', 'list'));
    expect(r.responseType).toBe('ephemeral');
    expect(r.text).toBe(
      ':warning: unknown subcommand "lsit"\nUsage: `/svc list [--namespace NS]`\nDid you mean `list`?\n`/svc help` lists every command.',
    );
    expect(blockKitViolations(r)).toEqual([]);
  });

  it('leaves out what it does not know, and uses the installed command name', () => {
    const r = renderUsageError(new UsageError('missing NAME'), { commandName: '/k8s' });
    expect(r.text).toBe(':warning: missing NAME\n`/k8s help` lists every command.');
  });

  it('escapes the user\u2019s own words', () => {
    const r = renderUsageError(new UsageError(`"${EVIL.text}" is not a port`, `/svc create ${EVIL.name}`, EVIL.cluster));
    expect(slackConstructs(everything(r))).toEqual([]);
    expect(r.text).toContain('&lt;!everyone&gt;');
  });
});

describe('renderError', () => {
  const codes: ErrorCode[] = [
    'not_found',
    'already_exists',
    'invalid',
    'forbidden',
    'conflict',
    'cluster_unreachable',
    'unknown_cluster',
    'aws_error',
    'queue_unavailable',
    'slack_not_in_channel',
  ];

  it.each(codes)('%s: the error\u2019s own message, escaped, to the asker only', (code) => {
    const r = renderError(new BotError(code, `Service "${EVIL.name}" in ${EVIL.namespace}: failed`));
    expect(r.responseType).toBe('ephemeral');
    expect(r.text).toContain(':warning: Service "&lt;@U999&gt;&amp;co" in &lt;!here|here&gt;: failed');
    expect(slackConstructs(everything(r))).toEqual([]);
    expect(blockKitViolations(r)).toEqual([]);
  });

  it('hints at what to do next, with the command name', () => {
    expect(renderError(new BotError('not_found', 'no Service "web"'), { commandName: '/k8s' }).text).toContain('`/k8s list` shows what exists');
  });

  it('renders a UsageError as a usage error', () => {
    expect(renderError(new UsageError('bad', '/svc x', 'y')).text).toContain('Did you mean `y`?');
  });

  it('says only "something went wrong" and the reference for anything else', () => {
    const r = renderError({ ref: 'req-7f3a' });
    expect(r.responseType).toBe('ephemeral');
    expect(r.text).toContain('Something went wrong (ref: `req-7f3a`)');
    expect(renderError({ ref: EVIL.cluster }).text).toContain('&lt;!channel&gt;');
  });
});

describe('renderHelp', () => {
  it('the overview lists every subcommand\u2019s usage and summary, within the limits', () => {
    const help = helpFor(undefined, '/svc');
    const r = renderHelp(help);
    expect(r.responseType).toBe('ephemeral');
    expect(blockKitViolations(r)).toEqual([]);
    if (!('overview' in help)) throw new Error('expected an overview');
    for (const s of help.overview) expect(r.text).toContain(s.summary.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
    expect(r.text).toContain('`/svc help SUBCOMMAND`');
  });

  const overview = helpFor(undefined, '/svc');
  const names = 'overview' in overview ? overview.overview.map((s) => s.name) : [];

  it('has subcommands to render', () => {
    expect(names.length).toBeGreaterThan(3);
  });

  it.each(names)('`help %s` renders within the limits', (name) => {
    const r = renderHelp(helpFor(name, '/svc'));
    expect(blockKitViolations(r)).toEqual([]);
    expect(r.text).toContain(`\`/svc ${name}\``);
  });

  it('a subcommand shows usage, details, options, examples and aliases; the console reads them too', () => {
    const help: SubcommandHelpView = {
      name: 'create',
      aliases: ['new', 'add'],
      usage: '/svc create NAME --selector K=V --port P',
      summary: 'Create a Service.',
      details: ['It selects pods <by label>.', 'Second paragraph.'],
      examples: ['/svc create web --selector app=web --port 80:8080', '/svc create db --selector app=db --port 5432 --type clusterip'],
      flags: [{ flag: '--type TYPE', description: 'ClusterIP, NodePort or LoadBalancer' }],
    };
    const r = renderHelp({ subcommand: help });
    expect(blockKitViolations(r)).toEqual([]);
    const all = everything(r);
    expect(all).toContain('*Usage:* `/svc create NAME --selector K=V --port P`');
    expect(all).toContain('It selects pods &lt;by label&gt;.');
    expect(all).toContain('• `--type TYPE` ClusterIP, NodePort or LoadBalancer');
    expect(all).toContain('Also spelled `new` and `add`.');
    const console = renderToText(r).text;
    expect(console).toContain('/svc create\n===========');
    expect(console).toContain('It selects pods <by label>.');
    expect(console).toContain('  /svc create web --selector app=web --port 80:8080\n  /svc create db');
  });
});

import { createMemoryOrphanState } from '../../src/adapters/memory/orphan-state.js';
import { buildReport, DEFAULT_LOAD_BALANCER_PRICES, type MissingPart } from '../../src/domain/orphan-report.js';
import type { ClassifyContext, ScannedLoadBalancer } from '../../src/domain/orphans.js';
import type { Message } from '../../src/render/blocks.js';
import { postScheduledOrphanReport } from '../../jobs/orphan-report.js';
import { quietLogger } from '../helpers/governance.js';

const NOW = Date.UTC(2026, 11, 7, 9, 0, 0);

function orphan(name: string): ScannedLoadBalancer {
  return { region: 'us-east-1', name, kind: 'classic', dnsName: `${name}.elb`, createdAt: NOW - 86_400_000, tags: { 'kubernetes.io/cluster/prod-eks': 'owned', 'kubernetes.io/service-name': `default/${name}` } };
}

const CTX: ClassifyContext = { clusters: [{ name: 'prod', awsName: 'prod-eks', region: undefined }], services: new Map([['prod', new Map()]]), busy: new Set(), graceMs: 0, now: NOW };

function setup(options: { quietWhenNone?: boolean } = {}) {
  const state = createMemoryOrphanState();
  const posted: { channel: string; message: Message }[] = [];
  let world: { lbs: ScannedLoadBalancer[]; missing: MissingPart[] } = { lbs: [], missing: [] };
  const deps = {
    report: () => Promise.resolve(buildReport(world.lbs, CTX, { prices: DEFAULT_LOAD_BALANCER_PRICES, missing: world.missing })),
    state,
    replies: {
      post(channel: string, message: Message) {
        posted.push({ channel, message });
        return Promise.resolve({ channel, ts: String(posted.length) });
      },
    },
    channel: 'C-FINOPS',
    quietWhenNone: options.quietWhenNone ?? false,
    commandName: '/svc',
    logger: quietLogger,
  };
  return { deps, posted, set: (lbs: ScannedLoadBalancer[], missing: MissingPart[] = []) => (world = { lbs, missing }), run: () => postScheduledOrphanReport(deps, { dueAt: NOW, signal: new AbortController().signal }) };
}

describe('the scheduled orphan report', () => {
  it('posts the report in the channel, then says what is new and what has gone since the previous one', async () => {
    const { posted, set, run } = setup();
    set([orphan('a'), orphan('b')]);
    expect(await run()).toBe('posted');
    expect(posted[0]).toMatchObject({ channel: 'C-FINOPS' });
    expect(posted[0]!.message.text).toMatch(/^\*2 orphaned load balancers\*/);
    expect(posted[0]!.message.text).not.toMatch(/Since the last report/);
    set([orphan('b'), orphan('c')]);
    await run();
    expect(posted[1]!.message.text).toMatch(/Since the last report: 1 new, 1 gone \(`us-east-1\/a`\)\./);
    expect(JSON.stringify(posted[1]!.message.blocks)).toMatch(/`c`\*? :new:/);
  });

  it('says "no orphans", or posts nothing when asked to be quiet', async () => {
    const loud = setup();
    expect(await loud.run()).toBe('posted');
    expect(loud.posted[0]!.message.text).toMatch(/^\*No orphaned load balancers\*/);
    const quiet = setup({ quietWhenNone: true });
    expect(await quiet.run()).toBe('quiet');
    expect(quiet.posted).toEqual([]);
    quiet.set([orphan('a')]);
    expect(await quiet.run()).toBe('posted');
  });

  it('a scan that missed a region never calls the unseen gone: they are carried to the next report', async () => {
    const { posted, set, run } = setup({ quietWhenNone: true });
    set([orphan('a'), orphan('b')]);
    await run();
    set([orphan('b')], [{ kind: 'region', name: 'us-east-1', problem: 'unreachable' }]);
    expect(await run()).toBe('posted');
    expect(posted[1]!.message.text).toMatch(/Since the last report: 0 new, 0 gone|Nothing new since the last report/);
    expect(posted[1]!.message.text).toMatch(/Not in this report/);
    set([orphan('b')]);
    await run();
    expect(posted[2]!.message.text).toMatch(/Since the last report: 0 new, 1 gone \(`us-east-1\/a`\)/);
  });
});

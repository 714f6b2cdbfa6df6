/** Queue shards: names, placement by Service, and the registry of the queues in use (shards.ts, shard-workers.ts). */
import { lbJobId } from '../../../src/domain/lb-jobs.js';
import { createQueueRegistry, createQueueSet, queueOfJob, queueRegistryKey, shardOf, shardQueueNames, type RegistryRedis } from '../../../src/adapters/queue/shards.js';
import { perQueueConcurrency } from '../../../src/adapters/queue/shard-workers.js';

describe('shardQueueNames', () => {
  it('one shard is the queue svcbot always had; more are numbered', () => {
    expect(shardQueueNames(1)).toEqual(['lb-jobs']);
    expect(shardQueueNames(3)).toEqual(['lb-jobs-0', 'lb-jobs-1', 'lb-jobs-2']);
  });

  it('refuses a count that is not a positive integer', () => {
    expect(() => shardQueueNames(0)).toThrow(/positive integer/);
    expect(() => shardQueueNames(1.5)).toThrow(/positive integer/);
  });
});

describe('placement by Service', () => {
  const names = shardQueueNames(8);

  it("puts every operation of one Service in one queue, and the same queue in every process (a fixed hash)", () => {
    for (let i = 0; i < 50; i++) {
      const queues = (['provision', 'retype', 'delete'] as const).map((op) => queueOfJob(lbJobId(op, 'prod', 'team-a', `web-${i}`), names));
      expect(new Set(queues).size).toBe(1);
    }
    // Pinned (FNV-1a of `cluster/namespace/name`): a change of the hash would put a new submission of an
    // unfinished job in another queue than the job after an upgrade.
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((i) => shardOf({ cluster: `c${i}`, namespace: 'default', name: 'web' }, 8))).toEqual([5, 6, 3, 4, 1, 2, 7, 0]);
  });

  it('spreads 10,000 Services over 8 shards within 10% of an even share', () => {
    const perShard = new Array<number>(8).fill(0);
    for (let i = 0; i < 10_000; i++) perShard[shardOf({ cluster: `cluster-${i % 8}`, namespace: 'default', name: `bench-${i}` }, 8)]! += 1;
    for (const n of perShard) expect(Math.abs(n - 1250)).toBeLessThan(125);
  });

  it('a job id that is not svcbot\'s goes to the first queue; one shard takes everything', () => {
    expect(queueOfJob('not-a-job-id', names)).toBe('lb-jobs-0');
    expect(queueOfJob(lbJobId('provision', 'prod', 'default', 'web'), ['lb-jobs'])).toBe('lb-jobs');
  });
});

/** A Redis set in memory, counting the reads. */
function fakeRedis(initial: string[] = []) {
  const sets = new Map<string, Set<string>>();
  const reads = { count: 0 };
  const redis: RegistryRedis = {
    sadd(key, ...members) {
      const set = sets.get(key) ?? new Set<string>();
      sets.set(key, set);
      const before = set.size;
      for (const m of members) set.add(m);
      return Promise.resolve(set.size - before);
    },
    smembers(key) {
      reads.count += 1;
      return Promise.resolve([...(sets.get(key) ?? [])]);
    },
  };
  if (initial.length > 0) void redis.sadd(queueRegistryKey('p'), ...initial);
  return { redis, sets, reads };
}

describe('the registry of the queues in use', () => {
  it('records the configured shards and lists the others after them, in shard order, ignoring what is not a queue name', async () => {
    const { redis, sets } = fakeRedis(['lb-jobs', 'lb-jobs-10', 'lb-jobs-2', 'junk', 'lb-jobs-x']);
    const registry = createQueueRegistry(redis, { prefix: 'p', shards: 2 });
    expect(await registry.register()).toEqual(['lb-jobs-0', 'lb-jobs-1', 'lb-jobs', 'lb-jobs-2', 'lb-jobs-10']);
    expect([...sets.get('p:svcbot:queues')!]).toEqual(expect.arrayContaining(['lb-jobs-0', 'lb-jobs-1']));
  });

  it('answers known() from what it read until refreshMs has passed, then reads again (a newer configuration\'s queues appear)', async () => {
    let now = 1000;
    const { redis, reads } = fakeRedis();
    const registry = createQueueRegistry(redis, { prefix: 'p', shards: 1, refreshMs: 30_000, now: () => now });
    expect(await registry.known()).toEqual(['lb-jobs']);
    await redis.sadd('p:svcbot:queues', 'lb-jobs-0', 'lb-jobs-1');
    now += 29_000;
    expect(await registry.known()).toEqual(['lb-jobs']);
    expect(reads.count).toBe(1);
    now += 1000;
    expect(await registry.known()).toEqual(['lb-jobs', 'lb-jobs-0', 'lb-jobs-1']);
    expect(reads.count).toBe(2);
  });

  it('a queue of its own (tests) replaces the shards', async () => {
    const { redis } = fakeRedis();
    const registry = createQueueRegistry(redis, { prefix: 'p', shards: 4, names: ['mine'] });
    expect(registry.configured).toEqual(['mine']);
    expect(await registry.known()).toEqual(['mine']);
  });
});

describe('the set of queues in use', () => {
  it('makes a queue when first needed, looks a job up in its home queue first and only then in the others', async () => {
    const { redis } = fakeRedis(['lb-jobs']);
    const made: string[] = [];
    const asked: string[] = [];
    const set = createQueueSet(createQueueRegistry(redis, { prefix: 'p', shards: 2 }), (name) => (made.push(name), { name }));
    const jobId = lbJobId('provision', 'prod', 'default', 'web');
    const home = set.home(jobId);
    expect(made).toEqual([home.name]);
    // In its home queue: no other queue is asked (or made).
    expect(await set.locate(jobId, (q) => (asked.push(q.name), Promise.resolve(q === home ? 'job' : undefined)))).toEqual({ at: home, job: 'job' });
    expect(asked).toEqual([home.name]);
    // In a queue of an earlier shard count: found there, every queue in use asked.
    asked.length = 0;
    const found = await set.locate(jobId, (q) => (asked.push(q.name), Promise.resolve(q.name === 'lb-jobs' ? 'old' : undefined)));
    expect(found).toEqual({ at: { name: 'lb-jobs' }, job: 'old' });
    expect(asked.sort()).toEqual(['lb-jobs', 'lb-jobs-0', 'lb-jobs-1']);
    expect(await set.locate(jobId, () => Promise.resolve(undefined))).toBeUndefined();
    expect(set.made().map((q) => q.name).sort()).toEqual(['lb-jobs', 'lb-jobs-0', 'lb-jobs-1']);
  });
});

describe('perQueueConcurrency', () => {
  it("shares the process's slots over its shards, at least one each", () => {
    expect(perQueueConcurrency(50, 1)).toBe(50);
    expect(perQueueConcurrency(50, 8)).toBe(7);
    expect(perQueueConcurrency(2, 8)).toBe(1);
  });
});

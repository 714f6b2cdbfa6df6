/**
 * The contract of the ApprovalStore port (src/ports/approvals.ts), run against the Redis store on the real
 * Redis (test/integration/approval-stores.test.ts) and the in-memory one (test/unit/memory-approval-stores.test.ts).
 * Concurrent calls go through several stores over one backing (Redis: a connection each, as from several
 * processes), and the races run 50 times.
 */
import { DEFAULT_RUN_LEASE_MS, type ApprovalDecision, type ApprovalRequest } from '../../src/domain/approvals.js';
import type { ApprovalStore, DecideOutcome } from '../../src/ports/approvals.js';
import { waitFor } from '../helpers/wait.js';
import { expectBotError } from './expect-bot-error.js';

interface ApprovalStoreUnderTest {
  store: ApprovalStore;
  /** At least three stores over the same requests as `store`, as other processes see them. */
  peers: ApprovalStore[];
  teardown(): Promise<void>;
}

export type MakeApprovalStore = (options: { retentionMs?: number; runLeaseMs?: number }) => Promise<ApprovalStoreUnderTest>;

const T0 = 1_760_000_000_000;
const HOUR = 3600_000;
const RUNS = 50;

/** An approval id (8 hex digits) from a number. */
const idOf = (n: number) => n.toString(16).padStart(8, '0');

function request(id: string, overrides: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    id,
    status: 'pending',
    commandText: '/svc type web loadbalancer -n shop',
    command: { kind: 'type', name: 'web', type: 'LoadBalancer', scope: { namespace: 'shop', cluster: 'prod' } },
    // One Service per request: requests for one change are one while they wait (a test of its own).
    change: { kind: 'type', cluster: 'prod', namespace: 'shop', name: `web-${id}`, fromType: 'ClusterIP', toType: 'LoadBalancer', ports: ['8080:80/TCP'] },
    why: 'creates a load balancer',
    cost: { region: 'us-east-1', hourlyUsd: 0.025, monthlyUsd: 18.25 },
    requester: { userId: 'U1', channelId: 'C1', responseUrl: 'https://hooks.example.test/actions/T1/1/abc' },
    resourceVersion: '4711',
    createdAt: T0,
    expiresAt: T0 + HOUR,
    ...overrides,
  };
}

const approve = (by: string, at = T0 + 60_000): ApprovalDecision => ({ status: 'approved', by, at });

export function approvalStoreContract(label: string, make: MakeApprovalStore): void {
  describe(`ApprovalStore contract: ${label}`, () => {
    let under: ApprovalStoreUnderTest | undefined;
    let store: ApprovalStore;
    /** The store for the i-th of several concurrent callers. */
    let caller: (i: number) => ApprovalStore;
    const use = async (options: { retentionMs?: number; runLeaseMs?: number } = {}) => {
      await under?.teardown();
      under = await make(options);
      store = under.store;
      const all = [under.store, ...under.peers];
      caller = (i) => all[i % all.length]!;
    };
    beforeEach(() => use());
    afterEach(async () => {
      await under?.teardown();
      under = undefined;
    });

    test('a created request comes back exactly as given: empty lists and objects, fractions, large numbers, unicode and Slack markup', async () => {
      const r = request(idOf(1), {
        commandText: '/svc delete café-☕ -n shop <@U1|alice> *bold* &amp; "quoted" \\ back/slash\nnext line 💥',
        command: { kind: 'create', name: 'web', selector: {}, ports: [], type: 'LoadBalancer', scope: { namespace: 'shop' }, dryRun: false },
        change: { kind: 'create', cluster: 'prod', namespace: 'shop', name: 'web', toType: 'LoadBalancer', ports: [] },
        cost: { region: 'eu-west-1', hourlyUsd: 0.1 + 0.2, monthlyUsd: 219.00000000000003 },
        createdAt: 1_760_000_000_123.5,
        expiresAt: Number.MAX_SAFE_INTEGER,
      });
      await store.create(r);
      expect(await store.get(r.id)).toStrictEqual(r);
      expect(await caller(1).get(r.id)).toStrictEqual(r);
      expect(await store.listPending()).toStrictEqual([r]);
    });

    test('what the store returns is a copy: changing it changes nothing kept', async () => {
      const r = request(idOf(1));
      await store.create(r);
      r.why = 'changed after create';
      const got = (await store.get(r.id))!;
      expect(got.why).toBe('creates a load balancer');
      got.change.ports.push('9999:1/TCP');
      expect((await store.get(r.id))!.change.ports).toEqual(['8080:80/TCP']);
    });

    test('listPending is oldest first (by createdAt, whatever the order of creation or of expiry)', async () => {
      const made = [3, 1, 4, 0, 2].map((n) => request(idOf(n + 1), { createdAt: T0 + n * 1000, expiresAt: T0 + HOUR - n * 1000 }));
      for (const r of made) await store.create(r);
      expect((await store.listPending()).map((r) => r.id)).toEqual([1, 2, 3, 4, 5].map(idOf));
    });

    test('listPending is empty when nothing waits', async () => {
      expect(await store.listPending()).toEqual([]);
    });

    test('creating an id that exists fails (already_exists) and leaves the first request as it was, pending or decided', async () => {
      const first = request(idOf(1));
      await store.create(first);
      await expectBotError(store.create(request(idOf(1), { why: 'deletes a NodePort Service' })), 'already_exists');
      expect(await store.get(first.id)).toEqual(first);
      await store.decide(first.id, approve('U2'));
      await expectBotError(caller(1).create(request(idOf(1))), 'already_exists');
      expect((await store.get(first.id))!.status).toBe('approved');
      expect(await store.listPending()).toEqual([]);
    });

    test('a second request for a change already waiting is not kept: create answers with the one waiting', async () => {
      const first = request(idOf(1));
      const sameChange = { change: first.change };
      expect(await store.create(first)).toStrictEqual({ created: true });
      const again = await caller(1).create(request(idOf(2), { ...sameChange, requester: { userId: 'U7', channelId: 'C7' }, createdAt: T0 + 1000 }));
      expect(again).toStrictEqual({ created: false, waiting: first });
      expect(await store.get(idOf(2))).toBeUndefined();
      expect((await store.listPending()).map((r) => r.id)).toEqual([idOf(1)]);
      // Another change of the same Service, or the same change elsewhere, is another request.
      expect(await store.create(request(idOf(3), { change: { ...first.change, toType: 'NodePort' } }))).toStrictEqual({ created: true });
      expect(await store.create(request(idOf(4), { change: { ...first.change, namespace: 'other' } }))).toStrictEqual({ created: true });
    });

    test('once the waiting request is decided, or past its time, the same change may be asked for again', async () => {
      const first = request(idOf(1));
      await store.create(first);
      await store.decide(first.id, { status: 'rejected', by: 'U2', at: T0 + 1000 });
      expect(await store.create(request(idOf(2), { change: first.change, createdAt: T0 + 2000 }))).toStrictEqual({ created: true });
      // Past its time (not swept yet): no longer waiting.
      expect(await store.create(request(idOf(3), { change: first.change, createdAt: T0 + 2000 + HOUR }))).toStrictEqual({ created: true });
      expect((await store.listPending()).map((r) => r.id).sort()).toEqual([idOf(2), idOf(3)]);
    });

    test(`concurrent requests for one change: exactly one is kept, the others get it (${RUNS} runs)`, async () => {
      for (let round = 0; round < RUNS; round++) {
        const change = { ...request(idOf(0)).change, name: `race-${round}` };
        const ids = [1, 2, 3, 4].map((n) => idOf(round * 10 + n));
        const outcomes = await Promise.all(ids.map((id, i) => caller(i).create(request(id, { change }))));
        const kept = outcomes.flatMap((o, i) => (o.created ? [ids[i]!] : []));
        expect(kept).toHaveLength(1);
        for (const o of outcomes) if (!o.created) expect(o.waiting.id).toBe(kept[0]);
      }
    });

    test('only a pending request can be created (invalid)', async () => {
      await expectBotError(store.create(request(idOf(1), { status: 'approved' })), 'invalid');
      expect(await store.get(idOf(1))).toBeUndefined();
    });

    test('an unknown id: get is undefined, decide changes nothing, setMessage makes nothing', async () => {
      expect(await store.get(idOf(9))).toBeUndefined();
      expect(await store.decide(idOf(9), approve('U2'))).toEqual({ changed: false, request: undefined });
      await store.setMessage(idOf(9), { channel: 'C1', ts: '1.2' });
      expect(await store.get(idOf(9))).toBeUndefined();
      expect(await store.listPending()).toEqual([]);
    });

    test('approved: status, decidedBy and decidedAt set, no reason; it leaves the pending list', async () => {
      const r = request(idOf(1));
      await store.create(r);
      await store.create(request(idOf(2), { createdAt: T0 + 1 }));
      const outcome = await store.decide(r.id, approve('U2', T0 + 5000));
      const decided = { ...r, status: 'approved', decidedBy: 'U2', decidedAt: T0 + 5000 };
      expect(outcome).toStrictEqual({ changed: true, request: decided });
      expect(await store.get(r.id)).toStrictEqual(decided);
      expect((await store.listPending()).map((p) => p.id)).toEqual([idOf(2)]);
    });

    test('rejected with a reason keeps the reason; without one, has none', async () => {
      await store.create(request(idOf(1)));
      await store.create(request(idOf(2)));
      const withReason = await store.decide(idOf(1), { status: 'rejected', by: 'U2', at: T0 + 1, reason: 'not on a Friday — ask <@U3> ✋' });
      expect(withReason.changed).toBe(true);
      expect(withReason.request).toMatchObject({ status: 'rejected', decidedBy: 'U2', decidedAt: T0 + 1, reason: 'not on a Friday — ask <@U3> ✋' });
      expect(await store.get(idOf(1))).toEqual(withReason.request);
      const without = await store.decide(idOf(2), { status: 'rejected', by: 'U2', at: T0 + 2 });
      expect(without.request).toMatchObject({ status: 'rejected', decidedBy: 'U2' });
      expect(without.request).not.toHaveProperty('reason');
      expect(await store.listPending()).toEqual([]);
    });

    test('an approval can carry a reason too', async () => {
      await store.create(request(idOf(1)));
      const outcome = await store.decide(idOf(1), { status: 'approved', by: 'U2', at: T0 + 1, reason: 'fine for the launch' });
      expect(outcome.request).toMatchObject({ status: 'approved', reason: 'fine for the launch' });
    });

    test('withdrawn by its requester', async () => {
      await store.create(request(idOf(1)));
      const outcome = await store.decide(idOf(1), { status: 'withdrawn', by: 'U1', at: T0 + 7 });
      expect(outcome).toEqual({ changed: true, request: { ...request(idOf(1)), status: 'withdrawn', decidedBy: 'U1', decidedAt: T0 + 7 } });
      expect(await store.listPending()).toEqual([]);
    });

    test('an expired decision has no decidedBy', async () => {
      await store.create(request(idOf(1)));
      const outcome = await store.decide(idOf(1), { status: 'expired', at: T0 + HOUR });
      expect(outcome.changed).toBe(true);
      expect(outcome.request).toStrictEqual({ ...request(idOf(1)), status: 'expired', decidedAt: T0 + HOUR });
    });

    test('a second decision changes nothing and gets the request as the first decided it', async () => {
      await store.create(request(idOf(1)));
      const first = await store.decide(idOf(1), { status: 'rejected', by: 'U2', at: T0 + 1, reason: 'no' });
      for (const second of [approve('U3', T0 + 2), { status: 'withdrawn', by: 'U1', at: T0 + 3 } as const, { status: 'expired', at: T0 + 4 } as const]) {
        expect(await caller(1).decide(idOf(1), second)).toStrictEqual({ changed: false, request: first.request });
      }
      expect(await store.get(idOf(1))).toStrictEqual(first.request);
    });

    const race = (n: number) =>
      test(`${n} concurrent decisions of one request: exactly one changes it, all see its decision (${RUNS} runs)`, async () => {
        for (let run = 0; run < RUNS; run++) {
          const id = idOf(run + 1);
          await store.create(request(id));
          const decisions: ApprovalDecision[] = Array.from({ length: n }, (_, i) =>
            i % 3 === 0 ? approve(`U${i}`, T0 + i) : i % 3 === 1 ? { status: 'rejected', by: `U${i}`, at: T0 + i, reason: `no ${i}` } : { status: 'withdrawn', by: 'U1', at: T0 + i },
          );
          // Started in a rotated order each run, so that a different caller is first to send.
          const calls: Promise<DecideOutcome>[] = [];
          for (let k = 0; k < n; k++) {
            const i = (k + run) % n;
            calls[i] = caller(i).decide(id, decisions[i]!);
          }
          const outcomes = await Promise.all(calls);
          const changed = outcomes.flatMap((o, i) => (o.changed ? [i] : []));
          expect(changed).toHaveLength(1);
          const winner = changed[0]!;
          const decided = outcomes[winner]!.request;
          expect(decided).toMatchObject({ status: decisions[winner]!.status, decidedAt: decisions[winner]!.at });
          for (const o of outcomes) expect(o.request).toStrictEqual(decided);
          expect(await store.get(id)).toStrictEqual(decided);
        }
        expect(await store.listPending()).toEqual([]);
      });
    race(2);
    race(10);

    test(`a decision racing an expiry sweep: exactly one of them wins (${RUNS} runs)`, async () => {
      for (let run = 0; run < RUNS; run++) {
        const id = idOf(run + 1);
        await store.create(request(id, { expiresAt: T0 + HOUR }));
        const decide = () => caller(run).decide(id, approve('U2', T0 + HOUR));
        const sweep = () => caller(run + 1).expireDue(T0 + HOUR);
        let outcome: DecideOutcome;
        let swept: ApprovalRequest[];
        // Every other run the sweep is sent first.
        if (run % 2 === 0) [outcome, swept] = await Promise.all([decide(), sweep()]);
        else [swept, outcome] = await Promise.all([sweep(), decide()]);
        if (outcome.changed) {
          expect(swept).toEqual([]);
          expect(outcome.request!.status).toBe('approved');
        } else {
          expect(swept.map((r) => r.id)).toEqual([id]);
          expect(outcome.request).toStrictEqual(swept[0]);
          expect(outcome.request).toMatchObject({ status: 'expired', decidedAt: T0 + HOUR });
        }
        expect(await store.get(id)).toStrictEqual(outcome.request);
      }
      expect(await store.listPending()).toEqual([]);
    });

    test('expireDue expires the due requests (expiresAt ≤ now), once, and not the ones decided or not yet due', async () => {
      const now = T0 + HOUR;
      await store.create(request(idOf(1), { expiresAt: now - 1000 }));
      await store.create(request(idOf(2), { expiresAt: now }));
      await store.create(request(idOf(3), { expiresAt: now + 1 }));
      await store.create(request(idOf(4), { expiresAt: now - 2000 }));
      await store.decide(idOf(4), approve('U2'));
      const swept = await store.expireDue(now);
      expect(swept.map((r) => r.id).sort()).toEqual([idOf(1), idOf(2)]);
      for (const r of swept) {
        expect(r).toStrictEqual({ ...request(r.id, { expiresAt: r.expiresAt }), status: 'expired', decidedAt: now });
        expect(await store.get(r.id)).toStrictEqual(r);
      }
      expect((await store.get(idOf(4)))!.status).toBe('approved');
      expect((await store.listPending()).map((r) => r.id)).toEqual([idOf(3)]);
      expect(await store.expireDue(now)).toEqual([]);
      expect(await store.decide(idOf(1), approve('U2'))).toMatchObject({ changed: false, request: { status: 'expired' } });
      expect((await store.expireDue(now + 1)).map((r) => r.id)).toEqual([idOf(3)]);
    });

    test('expireDue with nothing due expires nothing', async () => {
      await store.create(request(idOf(1)));
      expect(await store.expireDue(T0)).toEqual([]);
      expect(await store.listPending()).toHaveLength(1);
    });

    test('three concurrent sweeps over 30 due requests: each is returned exactly once overall (10 rounds)', async () => {
      for (let round = 0; round < 10; round++) {
        const now = T0 + (round + 1) * HOUR;
        const due = Array.from({ length: 30 }, (_, i) => idOf(round * 100 + i + 1));
        for (const id of due) await store.create(request(id, { expiresAt: now - (id.charCodeAt(7) % 5) }));
        await store.create(request(idOf(round * 100 + 99), { expiresAt: now + HOUR * 100 }));
        const sweeps = await Promise.all([0, 1, 2].map((i) => caller(i).expireDue(now)));
        const ids = sweeps.flat().map((r) => r.id);
        expect([...ids].sort()).toEqual(due);
        for (const r of sweeps.flat()) expect(r).toMatchObject({ status: 'expired', decidedAt: now });
      }
      expect(await store.listPending()).toHaveLength(10);
    });

    test('more due requests than one sweep takes at a time are all expired, each once, by concurrent sweeps', async () => {
      const now = T0 + HOUR;
      const due = Array.from({ length: 250 }, (_, i) => idOf(i + 1));
      await Promise.all(due.map((id, i) => caller(i).create(request(id, { expiresAt: now - (i % 7) }))));
      const sweeps = await Promise.all([0, 1, 2].map((i) => caller(i).expireDue(now)));
      expect(sweeps.flatMap((sweep) => sweep.map((r) => r.id)).sort()).toEqual(due);
      expect(await store.listPending()).toEqual([]);
    });

    test('setMessage remembers the message; a decision keeps it and it can be set after one', async () => {
      await store.create(request(idOf(1)));
      await store.setMessage(idOf(1), { channel: 'C9', ts: '1760000000.000100' });
      expect((await store.get(idOf(1)))!.message).toEqual({ channel: 'C9', ts: '1760000000.000100' });
      expect((await store.listPending())[0]!.message).toEqual({ channel: 'C9', ts: '1760000000.000100' });
      const outcome = await store.decide(idOf(1), approve('U2'));
      expect(outcome.request!.message).toEqual({ channel: 'C9', ts: '1760000000.000100' });
      await store.setMessage(idOf(1), { channel: 'C9', ts: '1760000000.000200' });
      expect(await store.get(idOf(1))).toStrictEqual({ ...outcome.request, message: { channel: 'C9', ts: '1760000000.000200' } });
    });

    test(`setMessage concurrent with a decision: neither is lost (${RUNS} runs)`, async () => {
      for (let run = 0; run < RUNS; run++) {
        const id = idOf(run + 1);
        await store.create(request(id));
        const message = { channel: 'C1', ts: `1760000000.${String(run).padStart(6, '0')}` };
        const [, outcome] = await Promise.all([caller(run).setMessage(id, message), caller(run + 1).decide(id, { status: 'rejected', by: 'U2', at: T0 + run, reason: 'no' })]);
        expect(outcome.changed).toBe(true);
        expect(await store.get(id)).toMatchObject({ status: 'rejected', decidedBy: 'U2', decidedAt: T0 + run, reason: 'no', message });
      }
    });

    test('a decided request is forgotten once its retention has passed; a pending one is kept', async () => {
      await use({ retentionMs: 50 });
      await store.create(request(idOf(1)));
      await store.create(request(idOf(2)));
      await store.decide(idOf(1), approve('U2'));
      await waitFor(async () => (await store.get(idOf(1))) === undefined, { timeoutMs: 5000, what: 'the decided request to be forgotten (retention 50 ms)' });
      expect(await store.decide(idOf(1), approve('U3'))).toEqual({ changed: false, request: undefined });
      expect((await store.listPending()).map((r) => r.id)).toEqual([idOf(2)]);
    });

    describe('the run of an approved request', () => {
      const LEASE = 60_000;

      test('approving starts the run: it is stalled only once decidedAt + runLeaseMs has passed, then claimed as decided, its lease renewed', async () => {
        await use({ runLeaseMs: LEASE });
        await store.create(request(idOf(1)));
        await store.setMessage(idOf(1), { channel: 'C9', ts: '1760000000.000100' });
        const at = T0 + 1000;
        const { request: approved } = await store.decide(idOf(1), approve('U2', at));
        expect(await store.claimStalledRuns(at, 30_000)).toEqual([]);
        expect(await caller(1).claimStalledRuns(at + LEASE - 1, 30_000)).toEqual([]);
        expect(await caller(1).claimStalledRuns(at + LEASE, 30_000)).toStrictEqual([approved]);
        // Renewed to now + 30 s: nobody else gets it before that lease lapses too.
        expect(await caller(2).claimStalledRuns(at + LEASE, 30_000)).toEqual([]);
        expect(await caller(2).claimStalledRuns(at + LEASE + 29_999, 30_000)).toEqual([]);
        expect(await caller(2).claimStalledRuns(at + LEASE + 30_000, 30_000)).toStrictEqual([approved]);
        expect(await store.get(idOf(1))).toStrictEqual(approved);
      });

      test(`the run's lease is ${DEFAULT_RUN_LEASE_MS / 60_000} minutes unless configured`, async () => {
        await store.create(request(idOf(1)));
        await store.decide(idOf(1), approve('U2', T0));
        expect(await store.claimStalledRuns(T0 + DEFAULT_RUN_LEASE_MS - 1, 1000)).toEqual([]);
        expect((await store.claimStalledRuns(T0 + DEFAULT_RUN_LEASE_MS, 1000)).map((r) => r.id)).toEqual([idOf(1)]);
      });

      test('a finished run is never claimed: finished before its lease lapsed, or after a claim', async () => {
        await use({ runLeaseMs: LEASE });
        await store.create(request(idOf(1)));
        await store.create(request(idOf(2)));
        await store.decide(idOf(1), approve('U2', T0));
        await store.decide(idOf(2), approve('U2', T0));
        await caller(1).finishRun(idOf(1));
        expect((await store.claimStalledRuns(T0 + LEASE, 1000)).map((r) => r.id)).toEqual([idOf(2)]);
        await caller(2).finishRun(idOf(2));
        expect(await store.claimStalledRuns(T0 + 100 * HOUR, 1000)).toEqual([]);
        expect((await store.get(idOf(1)))!.status).toBe('approved');
        expect((await store.get(idOf(2)))!.status).toBe('approved');
      });

      test('finishRun of an unknown id, a finished run, or a pending request changes nothing; approved later, that request still runs', async () => {
        await use({ runLeaseMs: LEASE });
        await store.finishRun(idOf(9));
        expect(await store.get(idOf(9))).toBeUndefined();
        await store.create(request(idOf(1)));
        await store.finishRun(idOf(1));
        expect(await store.get(idOf(1))).toStrictEqual(request(idOf(1)));
        expect((await store.listPending()).map((r) => r.id)).toEqual([idOf(1)]);
        await store.decide(idOf(1), approve('U2', T0));
        expect((await store.claimStalledRuns(T0 + LEASE, 1000)).map((r) => r.id)).toEqual([idOf(1)]);
        await store.finishRun(idOf(1));
        await store.finishRun(idOf(1));
        expect(await store.claimStalledRuns(T0 + 100 * HOUR, 1000)).toEqual([]);
      });

      test('a request not approved is never claimed: pending, rejected, withdrawn, expired', async () => {
        await use({ runLeaseMs: LEASE });
        for (const n of [1, 2, 3, 4, 5]) await store.create(request(idOf(n), { expiresAt: n === 1 ? T0 + 1000 * HOUR : T0 + HOUR }));
        await store.decide(idOf(2), { status: 'rejected', by: 'U2', at: T0, reason: 'no' });
        await store.decide(idOf(3), { status: 'withdrawn', by: 'U1', at: T0 });
        await store.decide(idOf(4), { status: 'expired', at: T0 });
        expect((await store.expireDue(T0 + HOUR)).map((r) => r.id)).toEqual([idOf(5)]);
        expect(await store.claimStalledRuns(T0 + 100 * HOUR, 1000)).toEqual([]);
        expect((await store.listPending()).map((r) => r.id)).toEqual([idOf(1)]);
      });

      test(`several claimers at once: each stalled run is claimed exactly once; finished and unlapsed ones not at all (${RUNS} rounds)`, async () => {
        await use({ runLeaseMs: LEASE });
        for (let round = 0; round < RUNS; round++) {
          const at = T0 + round * HOUR;
          const now = at + LEASE;
          const ids = Array.from({ length: 8 }, (_, i) => idOf(round * 100 + i + 1));
          for (const id of ids) await store.create(request(id));
          // 0–5 stalled (approved at `at` or a little before), 6 finished, 7 approved later: its lease has not lapsed.
          for (const [i, id] of ids.entries()) await caller(i).decide(id, approve('U2', i === 7 ? at + 1 : at - (i % 3)));
          await caller(round).finishRun(ids[6]!);
          const claims = await Promise.all([0, 1, 2, 3].map((k) => caller(k + round).claimStalledRuns(now, LEASE)));
          const claimed = claims.flat().map((r) => r.id);
          expect([...claimed].sort()).toEqual(ids.slice(0, 6));
          for (const r of claims.flat()) expect(r).toMatchObject({ status: 'approved', decidedBy: 'U2' });
          for (const id of ids) await store.finishRun(id);
        }
        expect(await store.claimStalledRuns(T0 + 1000 * HOUR, LEASE)).toEqual([]);
      });

      test(`a claim racing finishRun: the run is claimed at most once, and never after both (${RUNS} runs)`, async () => {
        await use({ runLeaseMs: LEASE });
        for (let run = 0; run < RUNS; run++) {
          const id = idOf(run + 1);
          const at = T0 + run * HOUR;
          await store.create(request(id));
          await store.decide(id, approve('U2', at));
          const finish = () => caller(run).finishRun(id);
          const claim = () => caller(run + 1).claimStalledRuns(at + LEASE, LEASE);
          let claimed: ApprovalRequest[];
          if (run % 2 === 0) [, claimed] = await Promise.all([finish(), claim()]);
          else [claimed] = await Promise.all([claim(), finish()]);
          expect(claimed.length).toBeLessThanOrEqual(1);
          expect(await store.claimStalledRuns(at + 100 * HOUR, LEASE)).toEqual([]);
        }
      });

      test('more stalled runs than one claim takes at a time are all claimed, each once, by concurrent claimers', async () => {
        await use({ runLeaseMs: LEASE });
        const ids = Array.from({ length: 250 }, (_, i) => idOf(i + 1));
        await Promise.all(ids.map((id, i) => caller(i).create(request(id))));
        await Promise.all(ids.map((id, i) => caller(i).decide(id, approve('U2', T0 - (i % 7)))));
        const claims = await Promise.all([0, 1, 2].map((i) => caller(i).claimStalledRuns(T0 + LEASE, LEASE)));
        expect(claims.flatMap((claim) => claim.map((r) => r.id)).sort()).toEqual(ids);
      });

      test('an unfinished run is forgotten with its request, once the retention has passed', async () => {
        await use({ retentionMs: 50, runLeaseMs: 1 });
        await store.create(request(idOf(1)));
        await store.create(request(idOf(2)));
        await store.decide(idOf(1), approve('U2', T0));
        await waitFor(async () => (await store.get(idOf(1))) === undefined, { timeoutMs: 5000, what: 'the approved request to be forgotten (retention 50 ms)' });
        expect(await store.claimStalledRuns(T0 + HOUR, 1000)).toEqual([]);
        expect((await store.listPending()).map((r) => r.id)).toEqual([idOf(2)]);
      });
    });
  });
}

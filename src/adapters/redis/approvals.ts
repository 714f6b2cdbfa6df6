/**
 * ApprovalStore on Redis. Every key of the store carries the hash tag `{a}`, so that a Redis Cluster keeps
 * them in one slot and each Lua script below touches one slot only:
 *
 * - `${prefix}:approvals:{a}:req:<id>` — a hash per request: `request` (the request as created, JSON,
 *   exactly as given), `status`, and what happened since: `decidedBy`, `decidedAt`, `reason` and `message`
 *   (a MessageRef as JSON). Those fields override the JSON's. Pending requests have no expiry; a decided
 *   one expires `retentionMs` after its decision.
 * - `${prefix}:approvals:{a}:pending` — a sorted set of the pending requests' ids, scored by `expiresAt`.
 * - `${prefix}:approvals:{a}:running` — a sorted set of the approved requests whose run is not over,
 *   scored by when their lease lapses: added by the approval, renewed by a claim, removed when the run
 *   is finished (or by a claim that finds the request gone: forgotten after its retention).
 *
 * The request stays a string that Lua never decodes: Redis's cjson would turn `[]` into `{}` and keep
 * only 14 significant digits of a number. Each change (create, decide, expire, setMessage, finishRun,
 * claim) is one script; nothing is read in JavaScript and then written.
 *
 * The sweep and the listing build a request's key from its id inside the script (the id is only known
 * there), as BullMQ's scripts do: the keys share the `{a}` tag of the declared key, so they are local to
 * the node that runs the script.
 */
import { approvalChangeKey, DEFAULT_RUN_LEASE_MS, type ApprovalDecision, type ApprovalRequest, type ApprovalStatus } from '../../domain/approvals.js';
import { BotError } from '../../domain/errors.js';
import type { ApprovalStore } from '../../ports/approvals.js';

/** The Redis commands the store uses (an ioredis client fits). */
export interface ApprovalsRedis {
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  hgetall(key: string): Promise<Record<string, string>>;
}

export interface RedisApprovalStoreOptions {
  /** Key prefix (REDIS_PREFIX). */
  prefix: string;
  /** How long a decided request is kept after its decision. Default 7 days. */
  retentionMs?: number;
  /** An approved request's run is stalled this long after its approval if not finished. Default DEFAULT_RUN_LEASE_MS. */
  runLeaseMs?: number;
}

/** Requests one sweep (or claim) script takes at most (a call runs as many as it takes). */
const SWEEP_BATCH = 100;
/** Scripts one expireDue (or claimStalledRuns) call runs at most: SWEEP_BATCH × this many requests. */
const SWEEP_ROUNDS = 100;

/**
 * KEYS[1] the request's key, KEYS[2] the pending set, KEYS[3] the change's open key (the id of the request
 * waiting for that change); ARGV[1] the id, ARGV[2] its expiresAt, ARGV[3] the request (JSON), ARGV[4] its
 * createdAt, ARGV[5] how long the open key lives (ms, an integer: computed in JavaScript, as Lua would
 * print a large number in exponent form). Returns {1} when it kept the request, {0} when the id exists already, {2, id} when the
 * request `id` for the same change is still pending and not past its time (then nothing is kept). The
 * open key lapses with the request's time; a decided request leaves the pending set, so its open key
 * no longer counts.
 */
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return {0} end
local open = redis.call('GET', KEYS[3])
if open then
  local due = redis.call('ZSCORE', KEYS[2], open)
  if due and tonumber(due) > tonumber(ARGV[4]) then return {2, open} end
end
redis.call('HSET', KEYS[1], 'request', ARGV[3], 'status', 'pending')
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[5])
return {1}
`;

/**
 * KEYS[1] the request's key, KEYS[2] the pending set, KEYS[3] the running set; ARGV[1] the id, ARGV[2] the
 * retention (ms), ARGV[3] when the run's lease lapses (approved; '' for any other decision), ARGV[4…] the
 * decision's fields and values (status, decidedAt, decidedBy?, reason?). If the request is pending: sets
 * them, removes the id from the pending set, adds it to the running set when approved, expires the key
 * after the retention and returns {1, fields}. Otherwise returns {0, fields} as they are ({0} for an
 * unknown id).
 */
const DECIDE = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {0} end
if status ~= 'pending' then return {0, redis.call('HGETALL', KEYS[1])} end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('ZREM', KEYS[2], ARGV[1])
if ARGV[3] ~= '' then redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1]) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, redis.call('HGETALL', KEYS[1])}
`;

/** KEYS[1] the running set; ARGV[1] the id. The run is over: the id leaves the set (1), or was not in it (0). */
const FINISH_RUN = `
return redis.call('ZREM', KEYS[1], ARGV[1])
`;

/**
 * KEYS[1] the running set; ARGV[1] the requests' key prefix, ARGV[2] now, ARGV[3] at most this many,
 * ARGV[4] when the new lease lapses (> now; computed in JavaScript: Lua's numbers print with 14 digits).
 * Takes the ids whose lease has lapsed at `now` (soonest first); each request still there and approved
 * gets its lease renewed to ARGV[4] and is returned, any other id (its request forgotten after the
 * retention) leaves the set. Returns {ids taken, {fields of each request claimed}}: a claimed id is not
 * due at `now` any more, so no other claim gets it until its new lease lapses.
 */
const CLAIM_STALLED = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local claimed = {}
for _, id in ipairs(ids) do
  local key = ARGV[1] .. id
  if redis.call('HGET', key, 'status') == 'approved' then
    redis.call('ZADD', KEYS[1], ARGV[4], id)
    claimed[#claimed + 1] = redis.call('HGETALL', key)
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return {#ids, claimed}
`;

/**
 * KEYS[1] the pending set; ARGV[1] the requests' key prefix (`…:{a}:req:`), ARGV[2] now, ARGV[3] at most
 * this many, ARGV[4] the retention (ms). Takes the ids due at `now` (expiresAt ≤ now, soonest first) out
 * of the pending set, moves each request still pending to `expired` (decidedAt = now) with the retention,
 * and returns {ids taken, {fields of each request expired}}: a request taken by one sweep is gone from the
 * set for every other.
 */
const SWEEP = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local expired = {}
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  local key = ARGV[1] .. id
  if redis.call('HGET', key, 'status') == 'pending' then
    redis.call('HSET', key, 'status', 'expired', 'decidedAt', ARGV[2])
    redis.call('PEXPIRE', key, ARGV[4])
    expired[#expired + 1] = redis.call('HGETALL', key)
  end
end
return {#ids, expired}
`;

/** KEYS[1] the request's key; ARGV[1] the message (JSON). Sets it if the request exists (1), else nothing (0). */
const SET_MESSAGE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'message', ARGV[1])
return 1
`;

/** KEYS[1] the pending set; ARGV[1] the requests' key prefix. The fields of every pending request. */
const LIST_PENDING = `
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local fields = redis.call('HGETALL', ARGV[1] .. id)
  if #fields > 0 then out[#out + 1] = fields end
end
return out
`;

/** A request from its hash's fields (HGETALL's object, or the flat list a script returns). */
function fromFields(fields: Record<string, string> | string[]): ApprovalRequest | undefined {
  const f = Array.isArray(fields) ? pairs(fields) : fields;
  if (f.request === undefined) return undefined;
  const request = JSON.parse(f.request) as ApprovalRequest;
  if (f.status !== undefined) request.status = f.status as ApprovalStatus;
  if (f.decidedBy !== undefined) request.decidedBy = f.decidedBy;
  if (f.decidedAt !== undefined) request.decidedAt = Number(f.decidedAt);
  if (f.reason !== undefined) request.reason = f.reason;
  if (f.message !== undefined) request.message = JSON.parse(f.message) as ApprovalRequest['message'];
  return request;
}

function pairs(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}

/** The hash fields a decision sets. */
function decisionFields(decision: ApprovalDecision): string[] {
  const fields = ['status', decision.status, 'decidedAt', String(decision.at)];
  if (decision.status !== 'expired') fields.push('decidedBy', decision.by);
  if ((decision.status === 'approved' || decision.status === 'rejected') && decision.reason !== undefined) fields.push('reason', decision.reason);
  return fields;
}

/** Pending requests oldest first (by createdAt, then id). */
const byAge = (a: ApprovalRequest, b: ApprovalRequest) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function createRedisApprovalStore(redis: ApprovalsRedis, options: RedisApprovalStoreOptions): ApprovalStore {
  const ttl = Math.max(1, Math.round(options.retentionMs ?? 7 * 24 * 3600_000));
  const runLeaseMs = Math.max(1, Math.round(options.runLeaseMs ?? DEFAULT_RUN_LEASE_MS));
  const base = `${options.prefix}:approvals:{a}`;
  const reqPrefix = `${base}:req:`;
  const pending = `${base}:pending`;
  const running = `${base}:running`;
  const keyOf = (id: string) => `${reqPrefix}${id}`;
  const get = async (id: string): Promise<ApprovalRequest | undefined> => fromFields(await redis.hgetall(keyOf(id)));

  /**
   * Runs a batch script (SWEEP, CLAIM_STALLED: KEYS[1] the set, ARGV the request key prefix, now, the batch
   * size and `last`) until a batch comes back short, at most SWEEP_ROUNDS times; the requests it handed out.
   */
  async function inBatches(script: string, set: string, now: number, last: number): Promise<ApprovalRequest[]> {
    const out: ApprovalRequest[] = [];
    for (let round = 0; round < SWEEP_ROUNDS; round++) {
      const [taken, batch] = (await redis.eval(script, 1, set, reqPrefix, now, SWEEP_BATCH, last)) as [number, string[][]];
      for (const fields of batch) {
        const request = fromFields(fields);
        if (request) out.push(request);
      }
      if (taken < SWEEP_BATCH) break;
    }
    return out;
  }

  return {
    async create(request) {
      if (request.status !== 'pending') throw new BotError('invalid', `Approval request ${request.id} is ${request.status}: only a pending request can be created.`);
      const open = `${base}:open:${approvalChangeKey(request.change)}`;
      // The open key lives as long as the request can wait (at most a month: no TTL is longer).
      const openMs = Math.max(1, Math.min(Math.floor(request.expiresAt - request.createdAt), 31 * 24 * 3600_000));
      // A request for the same change that is decided between the script and the read is no longer waiting: try again.
      for (let attempt = 0; attempt < 3; attempt++) {
        const [outcome, waitingId] = (await redis.eval(CREATE, 3, keyOf(request.id), pending, open, request.id, request.expiresAt, JSON.stringify(request), request.createdAt, openMs)) as [number, string?];
        if (Number(outcome) === 1) return { created: true };
        if (Number(outcome) === 0) throw new BotError('already_exists', `Approval request ${request.id} exists already.`);
        const waiting = waitingId === undefined ? undefined : await get(waitingId);
        if (waiting?.status === 'pending') return { created: false, waiting };
      }
      throw new BotError('conflict', 'The same change was asked for and decided several times at this moment; ask again.', { transient: true });
    },

    get,

    async listPending() {
      const all = (await redis.eval(LIST_PENDING, 1, pending, reqPrefix)) as string[][];
      return all
        .map((fields) => fromFields(fields))
        .filter((r): r is ApprovalRequest => r?.status === 'pending')
        .sort(byAge);
    },

    async decide(id, decision) {
      const runUntil = decision.status === 'approved' ? decision.at + runLeaseMs : '';
      const [changed, fields] = (await redis.eval(DECIDE, 3, keyOf(id), pending, running, id, ttl, runUntil, ...decisionFields(decision))) as [number, string[]?];
      return { changed: changed === 1, request: fields ? fromFields(fields) : undefined };
    },

    expireDue(now) {
      return inBatches(SWEEP, pending, now, ttl);
    },

    async finishRun(id) {
      await redis.eval(FINISH_RUN, 1, running, id);
    },

    async claimStalledRuns(now, leaseMs) {
      // A lease of at least 1 ms: a claimed run is not due again at `now`, so the next round takes the next ones.
      return inBatches(CLAIM_STALLED, running, now, now + Math.max(1, Math.round(leaseMs)));
    },

    async setMessage(id, message) {
      await redis.eval(SET_MESSAGE, 1, keyOf(id), JSON.stringify({ channel: message.channel, ts: message.ts }));
    },
  };
}

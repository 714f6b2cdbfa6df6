/**
 * GrantStore on Redis. Every key carries the hash tag `{i}`, so that on a Redis Cluster they share one
 * slot and each script below touches one slot only:
 *
 * - `${prefix}:ingress:{i}:grant:<id>` — a hash per grant: `grant` (the grant as created, JSON, never
 *   decoded by Lua), `status`, `owned:<n>` ('1'/'0' per rule, once its authorize is settled), `openedAt`,
 *   and the close: `closer`, `closeLeaseUntil`, `closeReason`, `closedBy`, `closedAt`. A closed grant
 *   expires `retentionMs` after its close.
 * - `${prefix}:ingress:{i}:active` — a sorted set of the grants not yet closed, scored by `expiresAt`.
 * - `${prefix}:ingress:{i}:rule:<group/proto/port/cidr>` — a hash per rule svcbot is acting on or made:
 *   `created` ('1': svcbot's authorize added it), `lock`/`lockKind`/`lockUntil` (a grant's authorize or
 *   revoke in progress).
 * - `${prefix}:ingress:{i}:holders:<group/proto/port/cidr>` — the set of grants holding a rule svcbot made.
 *
 * Every decision (create, claim, settle, release, open, close) is one script: nothing is read in
 * JavaScript and then written.
 */
import { BotError } from '../../domain/errors.js';
import { ruleKey, type GrantStatus, type IngressGrant } from '../../domain/ingress-grants-model.js';
import type { CloseClaim, GrantStore, RuleClaim, RuleRelease } from '../../ports/ingress-grants.js';

/** The Redis commands the store uses (an ioredis client fits). */
export interface GrantsRedis {
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  hgetall(key: string): Promise<Record<string, string>>;
  zrange(key: string, start: number, stop: number): Promise<string[]>;
}

/** KEYS: grant, active. ARGV: id, grant JSON, expiresAt. 1 when kept, 0 when the id exists. */
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'grant', ARGV[2], 'status', 'opening')
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
`;

/** KEYS: rule, grant. ARGV: grant id, now, lock ms, rule index. */
const CLAIM_RULE = `
local lock = redis.call('HGET', KEYS[1], 'lock')
local lockUntil = tonumber(redis.call('HGET', KEYS[1], 'lockUntil') or '0')
if lock and lock ~= ARGV[1] and lockUntil > tonumber(ARGV[2]) then return 'busy' end
redis.call('HSET', KEYS[1], 'lock', ARGV[1], 'lockKind', 'authorize', 'lockUntil', tonumber(ARGV[2]) + tonumber(ARGV[3]))
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('HSET', KEYS[2], 'claimed:' .. ARGV[4], '1') end
return 'ok'
`;

/** KEYS: rule, holders, grant. ARGV: grant id, rule index, 'added' | 'existed'. Returns 1 when the grant holds the rule. */
const SETTLE_RULE = `
local created = redis.call('HGET', KEYS[1], 'created')
local owned = 0
if ARGV[3] == 'added' then
  redis.call('HSET', KEYS[1], 'created', '1')
  created = '1'
  owned = 1
elseif created == '1' then
  owned = 1
end
if owned == 1 then redis.call('SADD', KEYS[2], ARGV[1]) end
if redis.call('HGET', KEYS[1], 'lock') == ARGV[1] then redis.call('HDEL', KEYS[1], 'lock', 'lockKind', 'lockUntil') end
if created ~= '1' and redis.call('SCARD', KEYS[2]) == 0 and not redis.call('HGET', KEYS[1], 'lock') then redis.call('DEL', KEYS[1]) end
redis.call('HSET', KEYS[3], 'owned:' .. ARGV[2], tostring(owned))
return owned
`;

/**
 * KEYS: rule, holders. ARGV: grant id, now, lock ms. A revoke of this grant's still locked (its earlier
 * attempt failed): revoke again. This grant's own unsettled authorize (it never learnt whether it added
 * the rule): let go, revoke nothing — a rule opened by hand must never be revoked on a guess.
 */
const RELEASE_RULE = `
local lock = redis.call('HGET', KEYS[1], 'lock')
local kind = redis.call('HGET', KEYS[1], 'lockKind')
local lockUntil = tonumber(redis.call('HGET', KEYS[1], 'lockUntil') or '0')
local now = tonumber(ARGV[2])
if lock == ARGV[1] and kind == 'revoke' then
  redis.call('HSET', KEYS[1], 'lockUntil', now + tonumber(ARGV[3]))
  return 'revoke'
end
if lock == ARGV[1] then
  redis.call('HDEL', KEYS[1], 'lock', 'lockKind', 'lockUntil')
elseif lock and lockUntil > now then
  return 'busy'
end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0 then return 'keep' end
redis.call('SREM', KEYS[2], ARGV[1])
if redis.call('SCARD', KEYS[2]) > 0 then return 'keep' end
if redis.call('HGET', KEYS[1], 'created') ~= '1' then
  redis.call('DEL', KEYS[1])
  return 'keep'
end
redis.call('HSET', KEYS[1], 'lock', ARGV[1], 'lockKind', 'revoke', 'lockUntil', now + tonumber(ARGV[3]))
return 'revoke'
`;

/** KEYS: rule, holders. ARGV: grant id. */
const FINISH_RELEASE = `
if redis.call('HGET', KEYS[1], 'lock') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'lockKind') ~= 'revoke' then return 0 end
if redis.call('SCARD', KEYS[2]) == 0 then
  redis.call('DEL', KEYS[1], KEYS[2])
else
  redis.call('HDEL', KEYS[1], 'lock', 'lockKind', 'lockUntil', 'created')
end
return 1
`;

/** KEYS: grant. ARGV: at. */
const MARK_OPEN = `
if redis.call('HGET', KEYS[1], 'status') ~= 'opening' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'open', 'openedAt', ARGV[1])
return 1
`;

/** KEYS: grant. ARGV: closer, reason, by, at, lease ms. Returns {outcome, fields}. */
const BEGIN_CLOSE = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {'missing'} end
local at = tonumber(ARGV[4])
if status == 'closed' then return {'closed', redis.call('HGETALL', KEYS[1])} end
if status == 'closing' then
  local closer = redis.call('HGET', KEYS[1], 'closer')
  local leaseUntil = tonumber(redis.call('HGET', KEYS[1], 'closeLeaseUntil') or '0')
  if closer ~= ARGV[1] and leaseUntil > at then return {'other', redis.call('HGETALL', KEYS[1])} end
  redis.call('HSET', KEYS[1], 'closer', ARGV[1], 'closeLeaseUntil', at + tonumber(ARGV[5]))
  return {'mine', redis.call('HGETALL', KEYS[1])}
end
redis.call('HSET', KEYS[1], 'status', 'closing', 'closer', ARGV[1], 'closeReason', ARGV[2], 'closedBy', ARGV[3], 'closeLeaseUntil', at + tonumber(ARGV[5]))
return {'mine', redis.call('HGETALL', KEYS[1])}
`;

/** KEYS: grant, active. ARGV: id, closer, at, retention ms. */
const FINISH_CLOSE = `
if redis.call('HGET', KEYS[1], 'status') ~= 'closing' or redis.call('HGET', KEYS[1], 'closer') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'status', 'closed', 'closedAt', ARGV[3])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`;

function pairs(list: unknown[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) out[String(list[i])] = String(list[i + 1]);
  return out;
}

const STATUSES: readonly GrantStatus[] = ['opening', 'open', 'closing', 'closed'];
const REASONS = ['expired', 'revoked', 'failed'] as const;

/** The grant a hash holds (the JSON as created, with what happened since over it), or undefined. */
function fromFields(f: Record<string, string>): IngressGrant | undefined {
  if (f.grant === undefined) return undefined;
  const grant = JSON.parse(f.grant) as IngressGrant;
  const status = STATUSES.find((s) => s === f.status);
  if (status) grant.status = status;
  grant.rules = grant.rules.map((rule, i) => {
    const owned = f[`owned:${i}`];
    if (owned !== undefined) return { ...rule, owned: owned === '1' };
    return f[`claimed:${i}`] === undefined ? rule : { ...rule, unsettled: true as const };
  });
  if (f.openedAt !== undefined) grant.openedAt = Number(f.openedAt);
  if (f.closedAt !== undefined) grant.closedAt = Number(f.closedAt);
  if (f.closedBy !== undefined) grant.closedBy = f.closedBy;
  const reason = REASONS.find((r) => r === f.closeReason);
  if (reason) grant.closeReason = reason;
  return grant;
}

export interface RedisGrantStoreOptions {
  prefix: string;
  /** How long a closed grant is kept. Default 7 days. */
  retentionMs?: number;
}

export function createRedisGrantStore(redis: GrantsRedis, options: RedisGrantStoreOptions): GrantStore {
  const base = `${options.prefix}:ingress:{i}`;
  const retentionMs = options.retentionMs ?? 7 * 24 * 3_600_000;
  const grantKey = (id: string) => `${base}:grant:${id}`;
  const activeKey = `${base}:active`;
  const ruleKeys = (rule: Parameters<typeof ruleKey>[0]) => [`${base}:rule:${ruleKey(rule)}`, `${base}:holders:${ruleKey(rule)}`] as const;
  const get = async (id: string) => fromFields(await redis.hgetall(grantKey(id)));

  return {
    async create(grant) {
      const kept = await redis.eval(CREATE, 2, grantKey(grant.id), activeKey, grant.id, JSON.stringify(grant), grant.expiresAt);
      if (kept === 1) return { created: true, grant };
      const existing = await get(grant.id);
      if (!existing) throw new BotError('queue_unavailable', `Grant ${grant.id} vanished while it was made: try again.`, { transient: true });
      return { created: false, grant: existing };
    },

    get,

    async listActive() {
      const ids = await redis.zrange(activeKey, 0, -1);
      const grants = await Promise.all(ids.map(get));
      return grants.filter((g): g is IngressGrant => g !== undefined);
    },

    async claimRule(grantId, index, rule, now, lockMs) {
      const [r] = ruleKeys(rule);
      return (await redis.eval(CLAIM_RULE, 2, r, grantKey(grantId), grantId, now, lockMs, index)) as RuleClaim;
    },

    async settleRule(grantId, index, rule, result) {
      const [r, h] = ruleKeys(rule);
      return (await redis.eval(SETTLE_RULE, 3, r, h, grantKey(grantId), grantId, index, result)) === 1;
    },

    async releaseRule(grantId, rule, now, lockMs) {
      const [r, h] = ruleKeys(rule);
      return (await redis.eval(RELEASE_RULE, 2, r, h, grantId, now, lockMs)) as RuleRelease;
    },

    async finishRelease(grantId, rule) {
      const [r, h] = ruleKeys(rule);
      await redis.eval(FINISH_RELEASE, 2, r, h, grantId);
    },

    async markOpen(id, at) {
      return (await redis.eval(MARK_OPEN, 1, grantKey(id), at)) === 1;
    },

    async beginClose(id, close): Promise<CloseClaim> {
      const answer = (await redis.eval(BEGIN_CLOSE, 1, grantKey(id), close.closer, close.reason, close.by, close.at, close.leaseMs)) as unknown[];
      const outcome = String(answer[0]);
      if (outcome === 'missing') return { outcome: 'missing' };
      const grant = fromFields(pairs((answer[1] ?? []) as unknown[]));
      if (!grant) return { outcome: 'missing' };
      return { outcome: outcome === 'mine' ? 'mine' : outcome === 'other' ? 'other' : 'closed', grant };
    },

    async finishClose(id, closer, at) {
      return (await redis.eval(FINISH_CLOSE, 2, grantKey(id), activeKey, id, closer, at, retentionMs)) === 1;
    },
  };
}

import type Keyv from 'keyv';
import type { BudgetRefusal, PerBudget } from '../budget.js';
import type { Platform } from '../domain.js';
import { readMany, setOrThrow } from './kv.js';
import type { ScriptRunner } from './redis.js';

/**
 * The day's unit budgets as counters, in hundredths of a video unit (src/budget.ts). Per server and
 * day one ledger: a field per user plus `*` for the server; per day one counter for the whole bot.
 * A new task's units are checked and counted in the same step as its record (`Collections.admit`),
 * and moved once more when the task settles or is released.
 */

/** The ledger field that holds the server's own total (no user id is `*`). */
export const GUILD_FIELD = '*';

export const unitsLedgerKey = (platform: Platform, guildId: string, day: string) =>
  `units:${platform}:${guildId}:${day}`;
export const botUnitsKey = (day: string) => `units:bot:${day}`;

/** Where one task's units are counted. */
export interface UnitsKeys {
  ledgerKey: string;
  userField: string;
  botKey: string;
}

/** A new task's units and the caps they must fit (all in hundredths; a cap of 0 = unlimited). */
export interface UnitsCharge extends UnitsKeys {
  amount: number;
  caps: PerBudget;
  ttlMs: number;
}

/** Why an admission was refused: the server's daily task cap, or one of the unit budgets. */
export type AdmitRefusal = { kind: 'guild_tasks' } | ({ kind: 'units' } & BudgetRefusal);

/** A day's ledger: hundredths per user id, and the server's total under GUILD_FIELD. */
export type Ledger = Record<string, number>;

/** The day's unit budgets, read and moved; a new task's units are counted by its admission (`TaskStore.admit`). */
export interface UnitsStore {
  /** A server's units on one UTC day (hundredths per user id and `*` for the server) and the whole bot's. */
  on(platform: Platform, guildId: string, day: string): Promise<{ ledger: Ledger; bot: number }>;
  /** Moves a task's units by `delta` hundredths (settled or released); a day already expired is left alone. */
  adjust(k: UnitsKeys, delta: number, ttlMs: number): Promise<void>;
}

export const ledgerOf = (raw: unknown): Ledger => {
  const out: Ledger = {};
  if (typeof raw !== 'object' || raw === null) return out;
  for (const [k, v] of Object.entries(raw)) {
    const n = Number(v);
    if (Number.isFinite(n)) out[k] = n;
  }
  return out;
};

/**
 * On keyv a server's day is kept in parts, so that counting one task reads and writes a few small
 * objects, not one that grows with every member who used the bot that day (a group commit wrote it
 * whole per batch: at 2,000 users, 60 kB parsed and written per batch, the main cost of a burst's
 * admissions, bench/burst.ts). The ledger's own key holds the server's total (`*`); each user's
 * count lives in one of LEDGER_SHARDS parts of it. A user field in the ledger's own key was written
 * by a version before the parts (that day only) and still counts.
 */
export const LEDGER_SHARDS = 256;

/** The part a user's count lives in (FNV-1a of the user id: ids a few apart land in different parts). */
export function ledgerShardKey(ledgerKey: string, userField: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < userField.length; i++) h = Math.imul(h ^ userField.charCodeAt(i), 0x01000193);
  return `${ledgerKey}:${(h >>> 0) % LEDGER_SHARDS}`;
}

export const ledgerShardKeys = (ledgerKey: string) =>
  Array.from({ length: LEDGER_SHARDS }, (_, i) => `${ledgerKey}:${i}`);

/** What one user has used: their part's count plus any an earlier version left in the ledger's own key. */
export const usedBy = (main: Ledger, shard: Ledger, userField: string) =>
  (main[userField] ?? 0) + (shard[userField] ?? 0);

/**
 * Moves one user's count and the server's by `delta` (never below zero), in place. A decrease the
 * user's part cannot take (their units were counted by an earlier version) comes off the ledger's
 * own key.
 */
export function moveUnits(main: Ledger, shard: Ledger, userField: string, delta: number): void {
  const had = shard[userField] ?? 0;
  shard[userField] = Math.max(0, had + delta);
  const rest = delta - (shard[userField] - had);
  if (rest < 0 && main[userField] !== undefined) main[userField] = Math.max(0, main[userField] + rest);
  main[GUILD_FIELD] = Math.max(0, (main[GUILD_FIELD] ?? 0) + delta);
}

/** The whole day, as one ledger: the ledger's own key with every part's users added in. */
export function mergedLedger(main: Ledger, shards: readonly Ledger[]): Ledger {
  const out: Ledger = { ...main };
  for (const shard of shards)
    for (const [user, n] of Object.entries(shard)) if (user !== GUILD_FIELD) out[user] = (out[user] ?? 0) + n;
  return out;
}

/** keyv (one process): the ledger in parts (LEDGER_SHARDS), the bot's total a number, every change under one lock. */
export class KeyvUnits implements UnitsStore {
  constructor(
    private readonly kv: Keyv,
    private readonly lock: <T>(work: () => Promise<T>) => Promise<T>,
  ) {}

  /** Moves a task's count by `delta` hundredths (settled or released); a day already expired is left alone. */
  adjust(k: UnitsKeys, delta: number, ttlMs: number): Promise<void> {
    return this.lock(async () => {
      if (delta === 0) return;
      const shardKey = ledgerShardKey(k.ledgerKey, k.userField);
      const [raw, shardRaw, botRaw] = await readMany(this.kv, [k.ledgerKey, shardKey, k.botKey]);
      if (raw === undefined) return;
      const main = ledgerOf(raw);
      const shard = ledgerOf(shardRaw);
      moveUnits(main, shard, k.userField, delta);
      await setOrThrow(this.kv, shardKey, shard, ttlMs);
      await setOrThrow(this.kv, k.ledgerKey, main, ttlMs);
      await setOrThrow(this.kv, k.botKey, Math.max(0, botCount(botRaw) + delta), ttlMs);
    });
  }

  async on(platform: Platform, guildId: string, day: string): Promise<{ ledger: Ledger; bot: number }> {
    const key = unitsLedgerKey(platform, guildId, day);
    // One read of the ledger, its parts and the bot's total (a native getMany on SQLite: one query, not 258).
    const [main, bot, ...shards] = await readMany(this.kv, [key, botUnitsKey(day), ...ledgerShardKeys(key)]);
    return { ledger: mergedLedger(ledgerOf(main), shards.map(ledgerOf)), bot: botCount(bot) };
  }
}

/** The bot's stored day total (0 when absent or unreadable). */
function botCount(raw: unknown): number {
  const n = Number(raw);
  return Number.isFinite(n) ? n : 0;
}

/**
 * Redis: the admission script's unit check (KEYS[4] ledger, KEYS[5] bot counter; ARGV[6] amount,
 * ARGV[7] user field, ARGV[8..10] user/server/bot caps), the same rule as `overBudget`. It sets
 * `refused` to the budget's name and what it has used when the task does not fit.
 */
export const REDIS_UNITS_CHECK = `local amount = tonumber(ARGV[6])
if amount > 0 then
  local used = { tonumber(redis.call('HGET', KEYS[4], ARGV[7]) or '0'),
    tonumber(redis.call('HGET', KEYS[4], '${GUILD_FIELD}') or '0'), tonumber(redis.call('GET', KEYS[5]) or '0') }
  local names = { 'user', 'guild', 'bot' }
  for i = 1, 3 do
    local cap = tonumber(ARGV[7 + i])
    if cap > 0 and used[i] + amount > cap then return 'units:' .. names[i] .. ':' .. used[i] end
  end
end`;

/** The admission script's unit count, once everything else is written. */
export const REDIS_UNITS_COUNT = `if amount > 0 then
  redis.call('HINCRBY', KEYS[4], ARGV[7], amount)
  redis.call('HINCRBY', KEYS[4], '${GUILD_FIELD}', amount)
  redis.call('PEXPIRE', KEYS[4], ARGV[2])
  redis.call('INCRBY', KEYS[5], amount)
  redis.call('PEXPIRE', KEYS[5], ARGV[2])
end`;

/** KEYS: ledger, bot counter. ARGV: user field, delta. Never below zero; a day already expired is left alone. */
const ADJUST = `if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local d = tonumber(ARGV[2])
for _, f in ipairs({ ARGV[1], '${GUILD_FIELD}' }) do
  if tonumber(redis.call('HINCRBY', KEYS[1], f, d)) < 0 then redis.call('HSET', KEYS[1], f, 0) end
end
if tonumber(redis.call('INCRBY', KEYS[2], d)) < 0 then redis.call('SET', KEYS[2], 0, 'KEEPTTL') end
return 1`;
const HGETALL = `return redis.call('HGETALL', KEYS[1])`;
const GET = `return redis.call('GET', KEYS[1])`;

/** The admission script's answer for a refused budget, back into a refusal. */
export function parseUnitsRefusal(answer: string, charge: UnitsCharge): AdmitRefusal | undefined {
  const m = /^units:(user|guild|bot):(\d+)$/.exec(answer);
  const budget = m?.[1] as 'user' | 'guild' | 'bot' | undefined;
  if (!m || !budget) return undefined;
  return { kind: 'units', budget, cap: charge.caps[budget], used: Number(m[2]), needs: charge.amount };
}

export class RedisUnits implements UnitsStore {
  constructor(
    private readonly redis: () => Promise<ScriptRunner>,
    private readonly prefix: string,
  ) {}

  async adjust(k: UnitsKeys, delta: number): Promise<void> {
    if (delta === 0) return;
    await (
      await this.redis()
    ).eval(ADJUST, {
      keys: [`${this.prefix}${k.ledgerKey}`, `${this.prefix}${k.botKey}`],
      arguments: [k.userField, String(delta)],
    });
  }

  async on(platform: Platform, guildId: string, day: string): Promise<{ ledger: Ledger; bot: number }> {
    const client = await this.redis();
    const raw = await client.eval(GET, { keys: [`${this.prefix}${botUnitsKey(day)}`], arguments: [] });
    const bot = Number(raw ?? 0);
    return { ledger: await this.ledger(unitsLedgerKey(platform, guildId, day)), bot: Number.isFinite(bot) ? bot : 0 };
  }

  private async ledger(key: string): Promise<Ledger> {
    const raw = await (await this.redis()).eval(HGETALL, { keys: [`${this.prefix}${key}`], arguments: [] });
    // node-redis answers HGETALL from a script as a flat [field, value, …] list.
    const flat = Array.isArray(raw) ? raw.map(String) : [];
    const out: Ledger = {};
    for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i] ?? ''] = Number(flat[i + 1]);
    return ledgerOf(out);
  }
}

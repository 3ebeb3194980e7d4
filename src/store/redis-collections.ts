import type { TaskRecord } from '../domain.js';
import type { Admission, Collections } from './collections.js';
import { klingKey, recordKey } from './keys.js';
import { redisKeysWithPrefix } from './scan-ids.js';
import { decodeRecord, encodeRecord } from './record-codec.js';
import type { ScriptRunner } from './redis.js';
import { parseUnitsRefusal, REDIS_UNITS_CHECK, REDIS_UNITS_COUNT, type AdmitRefusal } from './units-ledger.js';

/**
 * Redis: every index is a list (RPUSH, LRANGE), the in-flight set a set (SADD, SREM, SMEMBERS),
 * each counter a number (INCR); a new task's writes and its server-cap check are one script, so
 * replicas never overwrite each other's work and N commands at once can't pass the cap together.
 * Records and the Kling-id index are text at `kb::t:<id>` and `kb::k:<kling id>` (record-codec.ts),
 * where keyv kept them in earlier versions.
 */

/** Where keyv (namespace `kb`, @keyv/redis's `::` separator) kept its keys: records and Kling ids are still there. */
export const RECORD_PREFIX = 'kb::';

/**
 * KEYS: counter, record, in-flight set, units ledger, bot units, then each index. ARGV: cap, counter
 * ttl ms, record, id, in-flight flag, then the units (units-ledger.ts). Answers 'ok', or the cap or
 * budget that refused (nothing written).
 */
const ADMIT = `local cap = tonumber(ARGV[1])
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if cap > 0 and n >= cap then return 'guild_tasks' end
${REDIS_UNITS_CHECK}
redis.call('SET', KEYS[2], ARGV[3])
for i = 6, #KEYS do redis.call('RPUSH', KEYS[i], ARGV[4]) end
if ARGV[5] == '1' then redis.call('SADD', KEYS[3], ARGV[4]) end
redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
${REDIS_UNITS_COUNT}
return 'ok'`;

const LENGTH = `return redis.call('LLEN', KEYS[1])`;
const RANGE = `return redis.call('LRANGE', KEYS[1], ARGV[1], ARGV[2])`;
const ADD = `return redis.call('SADD', KEYS[1], ARGV[1])`;
const REMOVE = `return redis.call('SREM', KEYS[1], ARGV[1])`;
const MEMBERS = `return redis.call('SMEMBERS', KEYS[1])`;
const GET = `return redis.call('GET', KEYS[1])`;
const INCR = `return redis.call('INCR', KEYS[1])`;
const MGET = `return redis.call('MGET', unpack(KEYS))`;
const SET = `return redis.call('SET', KEYS[1], ARGV[1])`;

const READ_SLICE = 500;

const stringsOf = (raw: unknown): string[] =>
  Array.isArray(raw) ? raw.filter((x): x is string => typeof x === 'string') : [];

export class RedisCollections implements Collections {
  constructor(
    private readonly redis: () => Promise<ScriptRunner>,
    private readonly prefix = 'kb:',
    private readonly now: () => number = Date.now,
  ) {}

  private async run(script: string, keys: string[], args: Array<string | number> = []): Promise<unknown> {
    return (await this.redis()).eval(script, { keys, arguments: args.map(String) });
  }

  async recordIds(): Promise<string[]> {
    const prefix = RECORD_PREFIX + recordKey('');
    return (await redisKeysWithPrefix(await this.redis(), prefix)).map((k) => k.slice(prefix.length));
  }

  async readRecords(ids: readonly string[]): Promise<unknown[]> {
    const out: unknown[] = [];
    // In slices: a script's arguments are unpacked onto Lua's stack, which holds a few thousand.
    for (let i = 0; i < ids.length; i += READ_SLICE) {
      const slice = ids.slice(i, i + READ_SLICE);
      const raw = await this.run(
        MGET,
        slice.map((id) => RECORD_PREFIX + recordKey(id)),
      );
      const now = this.now();
      out.push(...slice.map((_, j) => decodeRecord(Array.isArray(raw) ? raw[j] : undefined, now)));
    }
    return out;
  }

  async writeRecord(record: TaskRecord): Promise<void> {
    await this.run(SET, [RECORD_PREFIX + recordKey(record.id)], [encodeRecord(record)]);
  }

  async klingTarget(klingTaskId: string): Promise<unknown> {
    return decodeRecord(await this.run(GET, [RECORD_PREFIX + klingKey(klingTaskId)]), this.now());
  }

  async setKlingTarget(klingTaskId: string, id: string): Promise<void> {
    await this.run(SET, [RECORD_PREFIX + klingKey(klingTaskId)], [encodeRecord(id)]);
  }

  async admit(a: Admission): Promise<AdmitRefusal | undefined> {
    const u = a.units;
    const keys = [
      `${this.prefix}${a.counter.key}`,
      RECORD_PREFIX + recordKey(a.record.id),
      `${this.prefix}inflight`,
      `${this.prefix}${u?.ledgerKey ?? 'units:none'}`,
      `${this.prefix}${u?.botKey ?? 'units:none'}`,
      ...a.indexes.map((i) => `${this.prefix}ix:${i}`),
    ];
    const answer = String(
      await this.run(ADMIT, keys, [
        a.counter.cap,
        Math.max(1, Math.round(u ? Math.max(u.ttlMs, a.counter.ttlMs) : a.counter.ttlMs)),
        encodeRecord(a.record),
        a.record.id,
        a.inflight ? '1' : '0',
        u?.amount ?? 0,
        u?.userField ?? '',
        u?.caps.user ?? 0,
        u?.caps.guild ?? 0,
        u?.caps.bot ?? 0,
      ]),
    );
    if (answer === 'ok') return undefined;
    if (answer === 'guild_tasks') return { kind: 'guild_tasks' };
    const refused = u ? parseUnitsRefusal(answer, u) : undefined;
    if (refused) return refused;
    throw new Error('the Redis admission script gave an unknown answer');
  }

  async indexLength(index: string): Promise<number> {
    return Number(await this.run(LENGTH, [`${this.prefix}ix:${index}`]));
  }

  async newest(index: string, from: number, count: number): Promise<string[]> {
    if (count <= 0) return [];
    // Negative positions count from the tail, where the newest ids are.
    const ids = stringsOf(await this.run(RANGE, [`${this.prefix}ix:${index}`], [-(from + count), -(from + 1)]));
    return ids.reverse();
  }

  async setInflight(id: string, present: boolean): Promise<void> {
    await this.run(present ? ADD : REMOVE, [`${this.prefix}inflight`], [id]);
  }

  async inflightIds(): Promise<string[]> {
    return stringsOf(await this.run(MEMBERS, [`${this.prefix}inflight`]));
  }

  async counter(key: string): Promise<number> {
    const raw = await this.run(GET, [`${this.prefix}${key}`]);
    const n = Number(raw ?? 0);
    return Number.isFinite(n) ? n : 0;
  }

  async increment(key: string): Promise<void> {
    await this.run(INCR, [`${this.prefix}${key}`]);
  }
}

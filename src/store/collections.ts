import type Keyv from 'keyv';
import { KeyedMutex } from './kv.js';
import { KeyvUnits, type AdmitRefusal, type Ledger, type UnitsCharge, type UnitsKeys } from './units-ledger.js';

/**
 * The store's lists, sets and counters, beside the records. Two backends: keyv (SQLite or memory:
 * one process, so an in-process mutex per key makes read-modify-writes safe) and Redis (several
 * replicas: native lists, sets and counters, each change one atomic command or script).
 */

/** A new task's writes, done together by `Collections.admit`. */
export interface Admission {
  id: string;
  /** The record's keyv key (`t:<id>`) and value. */
  recordKey: string;
  record: unknown;
  /** Lists the id is appended to (newest last). */
  indexes: readonly string[];
  /** Whether the id joins the in-flight set (what a restart resumes). */
  inflight: boolean;
  /**
   * The server's day counter: the admission is refused, with nothing written, when it is already at `cap` (0 = no cap).
   */
  counter: { key: string; cap: number; ttlMs: number };
  /** The task's units, checked against the day's budgets and counted in the same step. */
  units?: UnitsCharge;
}

export interface Collections {
  /**
   * Writes a new record, its index entries, its in-flight mark and the day counts; the refusal, with nothing written,
   * when a cap or budget would be passed.
   */
  admit(a: Admission): Promise<AdmitRefusal | undefined>;
  indexLength(index: string): Promise<number>;
  /** Up to `count` ids, newest first, starting `from` places back from the newest (0 = the newest). */
  newest(index: string, from: number, count: number): Promise<string[]>;
  setInflight(id: string, present: boolean): Promise<void>;
  inflightIds(): Promise<string[]>;
  counter(key: string): Promise<number>;
  /** Adds one to a counter that never expires. */
  increment(key: string): Promise<void>;
  /** Takes one from a day counter (a released task's slot), never below zero. */
  decrement(key: string, ttlMs: number): Promise<void>;
  /** Moves a task's units by `delta` hundredths (settled or released). */
  adjustUnits(k: UnitsKeys, delta: number, ttlMs: number): Promise<void>;
  /** A server's day of units: hundredths per user, and the server's total (units-ledger.ts). */
  unitsLedger(key: string): Promise<Ledger>;
  /** True the first time `key` is seen within `ttlMs` (across replicas on Redis), false after. */
  firstSighting(key: string, ttlMs: number): Promise<boolean>;
}

/** A keyv write that reports `false` failed as surely as one that threw. */
export async function setOrThrow(kv: Keyv, key: string, value: unknown, ttlMs?: number): Promise<void> {
  if ((await kv.set(key, value, ttlMs)) === false)
    throw new Error(`the store did not write ${key.split(':')[0] ?? 'a key'}`);
}

/**
 * Reads many keys; a failed read throws. keyv's own getMany turns a failed read into "absent"
 * for stores without a native getMany (it settles each get and keeps only the values).
 */
export async function readMany(kv: Keyv, keys: readonly string[]): Promise<unknown[]> {
  if (keys.length === 0) return [];
  const store: unknown = kv.store;
  const native =
    typeof store === 'object' && store !== null && 'getMany' in store && typeof store.getMany === 'function';
  if (native) return kv.getMany([...keys]);
  return Promise.all(keys.map((k) => kv.get(k)));
}

const CHUNK = 200;
/** Enough shards that each in-flight write stays small even with 10,000 tasks in flight. */
const INFLIGHT_SHARDS = 512;

function shardOf(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) | 0;
  return Math.abs(h) % INFLIGHT_SHARDS;
}

const strings = (raw: unknown): string[] =>
  Array.isArray(raw) ? raw.filter((x): x is string => typeof x === 'string') : [];

/**
 * keyv: append-only chunked arrays per index (`<index>:n` holds the length), a sharded
 * in-flight set, numeric counters; the layout existing SQLite files already have.
 */
export class KeyvCollections implements Collections {
  private readonly units: KeyvUnits;

  constructor(
    private readonly kv: Keyv,
    private readonly mutex: KeyedMutex = new KeyedMutex(),
    private readonly now: () => number = Date.now,
  ) {
    this.units = new KeyvUnits(kv, (work) => this.mutex.run('units', work));
  }

  async admit(a: Admission): Promise<AdmitRefusal | undefined> {
    // Reserve the day's slot first, so two commands at once can't both take the last one.
    const reserved = await this.mutex.run(a.counter.key, async () => {
      const n = await this.counter(a.counter.key);
      if (a.counter.cap > 0 && n >= a.counter.cap) return false;
      await setOrThrow(this.kv, a.counter.key, n + 1, a.counter.ttlMs);
      return true;
    });
    if (!reserved) return { kind: 'guild_tasks' };
    const refused = a.units
      ? await this.units.reserve(a.units).catch(async (err: unknown) => {
          await this.decrement(a.counter.key, a.counter.ttlMs).catch(() => undefined);
          throw err;
        })
      : undefined;
    if (refused) {
      await this.decrement(a.counter.key, a.counter.ttlMs);
      return { kind: 'units', ...refused };
    }
    try {
      await setOrThrow(this.kv, a.recordKey, a.record);
      for (const index of a.indexes) await this.append(index, a.id);
      // Last: once in the in-flight set a restart would resume it, so only a complete task goes there.
      if (a.inflight) await this.setInflight(a.id, true);
      return undefined;
    } catch (err) {
      await this.undo(a);
      throw err;
    }
  }

  /**
   * Best effort after a failed admission: the record, its index entries and the in-flight mark go, the slot is given
   * back.
   */
  private async undo(a: Admission): Promise<void> {
    await this.kv.delete(a.recordKey).catch(() => undefined);
    for (const index of a.indexes) await this.unappend(index, a.id).catch(() => undefined);
    await this.setInflight(a.id, false).catch(() => undefined);
    await this.decrement(a.counter.key, a.counter.ttlMs).catch(() => undefined);
    if (a.units) await this.units.adjust(a.units, -a.units.amount, a.units.ttlMs).catch(() => undefined);
  }

  decrement(key: string, ttlMs: number): Promise<void> {
    return this.mutex.run(key, async () => {
      const n = await this.counter(key);
      if (n > 0) await setOrThrow(this.kv, key, n - 1, ttlMs);
    });
  }

  adjustUnits(k: UnitsKeys, delta: number, ttlMs: number): Promise<void> {
    return this.units.adjust(k, delta, ttlMs);
  }

  unitsLedger(key: string): Promise<Ledger> {
    return this.units.ledger(key);
  }

  async indexLength(index: string): Promise<number> {
    const n: unknown = await this.kv.get(`${index}:n`);
    return typeof n === 'number' ? n : 0;
  }

  async newest(index: string, from: number, count: number): Promise<string[]> {
    const length = await this.indexLength(index);
    const last = length - 1 - from;
    const first = Math.max(0, last - count + 1);
    if (last < 0 || count <= 0) return [];
    const chunks: number[] = [];
    for (let c = Math.floor(first / CHUNK); c <= Math.floor(last / CHUNK); c++) chunks.push(c);
    const raw = await readMany(
      this.kv,
      chunks.map((c) => `${index}:${c}`),
    );
    const ids: string[] = [];
    chunks.forEach((c, i) => {
      const chunk = raw[i];
      const list = Array.isArray(chunk) ? (chunk as unknown[]) : [];
      for (let pos = 0; pos < list.length; pos++) {
        const at = c * CHUNK + pos;
        const id = list[pos];
        if (at >= first && at <= last && typeof id === 'string') ids.push(id);
      }
    });
    return ids.reverse();
  }

  private append(index: string, id: string): Promise<void> {
    return this.mutex.run(index, async () => {
      const count = await this.indexLength(index);
      const chunkKey = `${index}:${Math.floor(count / CHUNK)}`;
      const ids = strings(await this.kv.get(chunkKey));
      ids.push(id);
      await setOrThrow(this.kv, chunkKey, ids);
      await setOrThrow(this.kv, `${index}:n`, count + 1);
    });
  }

  /** Takes `id` off the end of the index if it is still the newest entry (nothing was appended after it). */
  private unappend(index: string, id: string): Promise<void> {
    return this.mutex.run(index, async () => {
      const count = await this.indexLength(index);
      if (count === 0) return;
      const chunkKey = `${index}:${Math.floor((count - 1) / CHUNK)}`;
      const ids = strings(await this.kv.get(chunkKey));
      if (ids.length !== ((count - 1) % CHUNK) + 1 || ids[ids.length - 1] !== id) return;
      ids.pop();
      await setOrThrow(this.kv, chunkKey, ids);
      await setOrThrow(this.kv, `${index}:n`, count - 1);
    });
  }

  setInflight(id: string, present: boolean): Promise<void> {
    const key = `if:${shardOf(id)}`;
    return this.mutex.run(key, async () => {
      const ids = new Set(strings(await this.kv.get(key)));
      if (present === ids.has(id)) return;
      if (present) ids.add(id);
      else ids.delete(id);
      await setOrThrow(this.kv, key, [...ids]);
    });
  }

  async inflightIds(): Promise<string[]> {
    const shards = await readMany(
      this.kv,
      Array.from({ length: INFLIGHT_SHARDS }, (_, i) => `if:${i}`),
    );
    return shards.flatMap(strings);
  }

  async counter(key: string): Promise<number> {
    const n: unknown = await this.kv.get(key);
    return typeof n === 'number' ? n : 0;
  }

  increment(key: string): Promise<void> {
    return this.mutex.run(key, async () => {
      await setOrThrow(this.kv, key, (await this.counter(key)) + 1);
    });
  }

  firstSighting(key: string, ttlMs: number): Promise<boolean> {
    return this.mutex.run(key, async () => {
      const until: unknown = await this.kv.get(key);
      if (typeof until === 'number' && until > this.now()) return false;
      await setOrThrow(this.kv, key, this.now() + ttlMs, ttlMs);
      return true;
    });
  }
}

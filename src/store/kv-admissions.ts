import type Keyv from 'keyv';
import { overBudget } from '../budget.js';
import { readMany, type KeyedMutex } from './kv.js';
import type { Admission } from './collections.js';
import { recordKey } from './keys.js';
import {
  GUILD_FIELD,
  ledgerOf,
  ledgerShardKey,
  moveUnits,
  usedBy,
  type AdmitRefusal,
  type Ledger,
} from './units-ledger.js';

/** Ids per stored chunk of an index (`<index>:<chunk>`; `<index>:n` holds the length). */
export const CHUNK = 200;
/** Enough shards that each in-flight write stays small even with 10,000 tasks in flight. */
const INFLIGHT_SHARDS = 512;
/** The lock the unit budgets are counted under (units-ledger.ts KeyvUnits). */
export const UNITS_LOCK = 'units';

export function shardKeyOf(id: string): string {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) | 0;
  return `if:${Math.abs(h) % INFLIGHT_SHARDS}`;
}
export const allShardKeys = () => Array.from({ length: INFLIGHT_SHARDS }, (_, i) => `if:${i}`);

export const idsOf = (raw: unknown): string[] =>
  Array.isArray(raw) ? raw.filter((x): x is string => typeof x === 'string') : [];
const numberOf = (raw: unknown): number => (typeof raw === 'number' && Number.isFinite(raw) ? raw : 0);

interface Waiting {
  admission: Admission;
  resolve: (refusal: AdmitRefusal | undefined) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for keyv (SQLite or memory): the admissions that arrive while one batch is written
 * are written together as the next. Each key a batch touches (day counters, unit budgets, index
 * lengths and chunks, in-flight shards) is read once and written once, under the locks every other
 * writer of those keys takes, and all of it goes to the store in one `setMany` (one SQLite
 * transaction). Each admission is checked against the caps on its own, in arrival order: one that a
 * cap refuses counts nothing and leaves the others as they are. A failed write fails every admission
 * of the batch, with nothing of it left.
 */
export class KeyvAdmissions {
  private queue: Waiting[] = [];
  private writing = false;

  constructor(
    private readonly kv: Keyv,
    private readonly mutex: KeyedMutex,
  ) {}

  admit(admission: Admission): Promise<AdmitRefusal | undefined> {
    return new Promise((resolve, reject) => {
      this.queue.push({ admission, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0);
        try {
          const outcomes = await this.write(batch.map((w) => w.admission));
          batch.forEach((w, i) => w.resolve(outcomes[i]));
        } catch (err) {
          for (const w of batch) w.reject(err);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private write(batch: readonly Admission[]): Promise<Array<AdmitRefusal | undefined>> {
    const locks = new Set<string>([UNITS_LOCK]);
    for (const a of batch) {
      locks.add(a.counter.key);
      for (const index of a.indexes) locks.add(index);
      if (a.inflight) locks.add(shardKeyOf(a.record.id));
    }
    return this.mutex.runAll([...locks], () => this.writeLocked(batch));
  }

  private async writeLocked(batch: readonly Admission[]): Promise<Array<AdmitRefusal | undefined>> {
    const state = await Snapshot.read(this.kv, batch);
    const outcomes = batch.map((a) => state.apply(a));
    const changed = state.changes();
    try {
      // One transaction on SQLite (sqlite-store.ts setMany); a store without one gets its entries one by one.
      const written = await this.kv.setMany(changed);
      if (written.some((ok) => !ok)) throw new Error('the store did not write a new task');
    } catch (err) {
      await state.restore(this.kv);
      throw err;
    }
    return outcomes;
  }
}

/** What a batch read, parsed once and changed in place as each admission is applied. */
class Snapshot {
  private readonly numbers = new Map<string, number>();
  private readonly lists = new Map<string, string[]>();
  private readonly ledgers = new Map<string, Ledger>();
  private readonly records = new Map<string, unknown>();
  /** The keys changed, with the expiry each is written with. */
  private readonly changed = new Map<string, number | undefined>();

  /** Every key the batch may write, with what the store held (undefined: absent). */
  private constructor(private readonly before: ReadonlyMap<string, unknown>) {}

  static async read(kv: Keyv, batch: readonly Admission[]): Promise<Snapshot> {
    const keys = new Set<string>();
    const appends = new Map<string, number>();
    for (const a of batch) {
      keys.add(a.counter.key);
      if (a.units)
        keys.add(a.units.ledgerKey).add(ledgerShardKey(a.units.ledgerKey, a.units.userField)).add(a.units.botKey);
      for (const index of a.indexes) {
        keys.add(`${index}:n`);
        appends.set(index, (appends.get(index) ?? 0) + 1);
      }
      if (a.inflight) keys.add(shardKeyOf(a.record.id));
    }
    const first = [...keys];
    const values = new Map(zip(first, await readMany(kv, first)));
    // The chunks the appends may reach, from each index's length now.
    const chunks: string[] = [];
    for (const [index, count] of appends) {
      const n = numberOf(values.get(`${index}:n`));
      for (let c = Math.floor(n / CHUNK); c <= Math.floor((n + count - 1) / CHUNK); c++) chunks.push(`${index}:${c}`);
    }
    for (const [key, value] of zip(chunks, await readMany(kv, chunks))) values.set(key, value);
    for (const a of batch) values.set(recordKey(a.record.id), undefined);
    return new Snapshot(values);
  }

  /** Checks one admission against the caps as they stand and counts it; the refusal, counting nothing. */
  apply(a: Admission): AdmitRefusal | undefined {
    const count = this.number(a.counter.key);
    if (a.counter.cap > 0 && count >= a.counter.cap) return { kind: 'guild_tasks' };
    const u = a.units;
    if (u) {
      const main = this.ledger(u.ledgerKey);
      const shardKey = ledgerShardKey(u.ledgerKey, u.userField);
      const shard = this.ledger(shardKey);
      const bot = this.number(u.botKey);
      const used = { user: usedBy(main, shard, u.userField), guild: main[GUILD_FIELD] ?? 0, bot };
      const refused = overBudget(used, u.amount, u.caps);
      if (refused) return { kind: 'units', ...refused };
      if (u.amount > 0) {
        moveUnits(main, shard, u.userField, u.amount);
        this.touch(u.ledgerKey, u.ttlMs);
        this.touch(shardKey, u.ttlMs);
        this.numbers.set(u.botKey, Math.max(0, bot + u.amount));
        this.touch(u.botKey, u.ttlMs);
      }
    }
    this.numbers.set(a.counter.key, count + 1);
    this.touch(a.counter.key, a.counter.ttlMs);
    this.records.set(recordKey(a.record.id), a.record);
    this.touch(recordKey(a.record.id));
    for (const index of a.indexes) {
      const n = this.number(`${index}:n`);
      const chunkKey = `${index}:${Math.floor(n / CHUNK)}`;
      this.list(chunkKey).push(a.record.id);
      this.touch(chunkKey);
      this.numbers.set(`${index}:n`, n + 1);
      this.touch(`${index}:n`);
    }
    if (a.inflight) {
      const shard = this.list(shardKeyOf(a.record.id));
      if (!shard.includes(a.record.id)) shard.push(a.record.id);
      this.touch(shardKeyOf(a.record.id));
    }
    return undefined;
  }

  changes(): Array<{ key: string; value: unknown; ttl?: number }> {
    return [...this.changed].map(([key, ttl]) => {
      const value = this.numbers.get(key) ?? this.lists.get(key) ?? this.ledgers.get(key) ?? this.records.get(key);
      return ttl === undefined ? { key, value } : { key, value, ttl };
    });
  }

  /** After a failed write (a store without transactions may have taken part of it): every key as it was. */
  async restore(kv: Keyv): Promise<void> {
    await Promise.all(
      [...this.changed].map(([key, ttl]) => {
        const was = this.before.get(key);
        return (was === undefined ? kv.delete(key) : kv.set(key, was, ttl)).catch(() => undefined);
      }),
    );
  }

  private number(key: string): number {
    const n = this.numbers.get(key) ?? numberOf(Number(this.before.get(key) ?? 0));
    this.numbers.set(key, n);
    return n;
  }

  private list(key: string): string[] {
    let list = this.lists.get(key);
    if (!list) this.lists.set(key, (list = idsOf(this.before.get(key))));
    return list;
  }

  private ledger(key: string): Ledger {
    let ledger = this.ledgers.get(key);
    if (!ledger) this.ledgers.set(key, (ledger = ledgerOf(this.before.get(key))));
    return ledger;
  }

  private touch(key: string, ttl?: number): void {
    this.changed.set(key, ttl);
  }
}

function zip<A, B>(a: readonly A[], b: readonly B[]): Array<[A, B | undefined]> {
  return a.map((x, i) => [x, b[i]]);
}

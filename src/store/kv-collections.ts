import type Keyv from 'keyv';
import type { TaskRecord } from '../domain.js';
import { readMany, setOrThrow, type Admission, type Collections } from './collections.js';
import type { KeyvDayCounts } from './day-counts.js';
import { klingKey, recordKey } from './keys.js';
import { keyvKeysWithPrefix } from './scan-ids.js';
import type { KeyedMutex } from './kv.js';
import type { AdmitRefusal, KeyvUnits } from './units-ledger.js';

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
 * keyv (SQLite or memory; keyv serialises the records): append-only chunked arrays per index
 * (`<index>:n` holds the length), a sharded in-flight set, numeric counters; the layout existing
 * SQLite files already have.
 */
export class KeyvCollections implements Collections {
  constructor(
    private readonly kv: Keyv,
    private readonly mutex: KeyedMutex,
    private readonly counts: KeyvDayCounts,
    private readonly units: KeyvUnits,
  ) {}

  readRecords(ids: readonly string[]): Promise<unknown[]> {
    return readMany(this.kv, ids.map(recordKey));
  }

  async recordIds(): Promise<string[]> {
    return keyvKeysWithPrefix(this.kv, recordKey('')).map((k) => k.slice(recordKey('').length));
  }

  writeRecord(record: TaskRecord): Promise<void> {
    return setOrThrow(this.kv, recordKey(record.id), record);
  }

  klingTarget(klingTaskId: string): Promise<unknown> {
    return this.kv.get(klingKey(klingTaskId));
  }

  setKlingTarget(klingTaskId: string, id: string): Promise<void> {
    return setOrThrow(this.kv, klingKey(klingTaskId), id);
  }

  async admit(a: Admission): Promise<AdmitRefusal | undefined> {
    const { id } = a.record;
    // Reserve the day's slot first, so two commands at once can't both take the last one.
    if (!(await this.counts.reserve(a.counter.key, a.counter.cap, a.counter.ttlMs))) return { kind: 'guild_tasks' };
    const refused = a.units
      ? await this.units.reserve(a.units).catch(async (err: unknown) => {
          await this.counts.giveBack(a.counter.key, a.counter.ttlMs).catch(() => undefined);
          throw err;
        })
      : undefined;
    if (refused) {
      await this.counts.giveBack(a.counter.key, a.counter.ttlMs);
      return { kind: 'units', ...refused };
    }
    try {
      await this.writeRecord(a.record);
      for (const index of a.indexes) await this.append(index, id);
      // Last: once in the in-flight set a restart would resume it, so only a complete task goes there.
      if (a.inflight) await this.setInflight(id, true);
      return undefined;
    } catch (err) {
      await this.undo(a);
      throw err;
    }
  }

  /** Best effort after a failed admission: the record, its index entries and in-flight mark go, the slot comes back. */
  private async undo(a: Admission): Promise<void> {
    const { id } = a.record;
    await this.kv.delete(recordKey(id)).catch(() => undefined);
    for (const index of a.indexes) await this.unappend(index, id).catch(() => undefined);
    await this.setInflight(id, false).catch(() => undefined);
    await this.counts.giveBack(a.counter.key, a.counter.ttlMs).catch(() => undefined);
    if (a.units) await this.units.adjust(a.units, -a.units.amount, a.units.ttlMs).catch(() => undefined);
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
}

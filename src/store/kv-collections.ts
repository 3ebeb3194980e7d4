import type Keyv from 'keyv';
import type { TaskRecord } from '../domain.js';
import type { Admission, Collections } from './collections.js';
import { readMany, setOrThrow, type KeyedMutex } from './kv.js';
import { klingKey, recordKey } from './keys.js';
import { keyvKeysWithPrefix } from './scan-ids.js';
import type { AdmitRefusal } from './units-ledger.js';
import { allShardKeys, CHUNK, idsOf as strings, KeyvAdmissions, shardKeyOf } from './kv-admissions.js';

/**
 * keyv (SQLite or memory; keyv serialises the records): append-only chunked arrays per index
 * (`<index>:n` holds the length), a sharded in-flight set, numeric counters; the layout existing
 * SQLite files already have.
 */
export class KeyvCollections implements Collections {
  private readonly admissions: KeyvAdmissions;

  constructor(
    private readonly kv: Keyv,
    private readonly mutex: KeyedMutex,
  ) {
    this.admissions = new KeyvAdmissions(kv, mutex);
  }

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

  /** Written with the admissions that arrive together (kv-admissions.ts: one transaction on SQLite). */
  admit(a: Admission): Promise<AdmitRefusal | undefined> {
    return this.admissions.admit(a);
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

  setInflight(id: string, present: boolean): Promise<void> {
    const key = shardKeyOf(id);
    return this.mutex.run(key, async () => {
      const ids = new Set(strings(await this.kv.get(key)));
      if (present === ids.has(id)) return;
      if (present) ids.add(id);
      else ids.delete(id);
      await setOrThrow(this.kv, key, [...ids]);
    });
  }

  async inflightIds(): Promise<string[]> {
    const shards = await readMany(this.kv, allShardKeys());
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

import Keyv from 'keyv';
import { keyvStorage, type Storage } from '../../src/store/storage.js';
import type { TaskStore } from '../../src/store/task-store.js';

/** Which keyv keys fail: a read that throws, a write that throws. */
export interface Faults {
  read?: (key: string) => boolean;
  write?: (key: string) => boolean;
}

/**
 * A working in-memory keyv backend (a Map) whose reads and writes fail on demand, as a store
 * that times out or refuses would. Keys are keyv's (`kb:t:<id>`, `kb:cnt:…`).
 */
export class FlakyMap extends Map<string, unknown> {
  faults: Faults = {};
  failedReads = 0;
  failedWrites = 0;

  override get(key: string): unknown {
    if (this.faults.read?.(key)) {
      this.failedReads++;
      throw new Error(`injected read failure (${key})`);
    }
    return super.get(key);
  }

  override set(key: string, value: unknown): this {
    if (this.faults.write?.(key)) {
      this.failedWrites++;
      throw new Error(`injected write failure (${key})`);
    }
    return super.set(key, value);
  }
}

/** The stores over a FlakyMap (`store` is its task records). */
export function flakyStore(): { storage: Storage; store: TaskStore; map: FlakyMap } {
  const map = new FlakyMap();
  const storage = keyvStorage(new Keyv({ store: map, namespace: 'kb' }));
  return { storage, store: storage.tasks, map };
}

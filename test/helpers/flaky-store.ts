import Keyv from 'keyv';
import { TaskStore } from '../../src/store/task-store.js';

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

/** A TaskStore over a FlakyMap. */
export function flakyStore(): { store: TaskStore; map: FlakyMap } {
  const map = new FlakyMap();
  return { store: new TaskStore(new Keyv({ store: map, namespace: 'kb' })), map };
}

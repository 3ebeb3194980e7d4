import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Keyv, { type DeserializedData, type KeyvOptions } from 'keyv';
import { decodeStored, encodeStored } from './record-codec.js';
import type { SharedLock } from './redis.js';
import { SqliteStore } from './sqlite-store.js';

/**
 * How keyv is opened: errors are thrown, not turned into "absent" and `false` (keyv's default); the text is keyv's
 * default text, written and read faster (record-codec.ts).
 */
export const KEYV_OPTIONS = {
  namespace: 'kb',
  throwOnErrors: true,
  serialize: encodeStored,
  deserialize,
} satisfies KeyvOptions;

/** keyv reads back the envelope (`{ value, expires }`) it handed the serializer. */
function deserialize<Value>(text: string): DeserializedData<Value> | undefined {
  return decodeStored(text) as DeserializedData<Value> | undefined;
}

/** Opens the keyv store for sqlite:// (a file, or `:memory:`) or memory:// (a Map, for tests and the demo). */
export function openKeyv(url: string): Keyv {
  if (url.startsWith('memory://')) return new Keyv(KEYV_OPTIONS);
  const file = url.replace(/^sqlite:\/\//, '');
  if (file !== ':memory:') mkdirSync(dirname(resolve(file)), { recursive: true });
  const store = new SqliteStore(file, { busyTimeoutMs: 10_000 });
  store.sweep.start(Date.now);
  return new Keyv({ store, ...KEYV_OPTIONS });
}

/**
 * Serialises read-modify-write sequences per key: in this process always, and across processes
 * too when a shared lock is given (several replicas on one Redis).
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(private readonly shared?: SharedLock) {}

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const shared = this.shared;
    const guarded = shared
      ? async () => {
          const release = await shared(key);
          try {
            return await work();
          } finally {
            await release();
          }
        }
      : work;
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(guarded, guarded);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }

  /** Runs `work` holding every one of `keys`, taken in one order (sorted) so two holders of several never deadlock. */
  runAll<T>(keys: readonly string[], work: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const from = (i: number): Promise<T> => {
      const key = sorted[i];
      return key === undefined ? work() : this.run(key, () => from(i + 1));
    };
    return from(0);
  }
}

import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Keyv, { type DeserializedData, type KeyvOptions } from 'keyv';
import type { SharedLock } from './redis.js';
import { SqliteStore } from './sqlite-store.js';

/**
 * How keyv is opened: errors are thrown, not turned into "absent" and `false` (keyv's default); the text is keyv's
 * default text, written and read faster (`encodeStored`, `decodeStored` below).
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
  store.startUpkeep(Date.now);
  return new Keyv({ store, ...KEYV_OPTIONS });
}

/**
 * Serialises read-modify-write sequences per key: in this process always, and across processes
 * too when a shared lock is given (several replicas on one Redis).
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(private readonly shared?: SharedLock) {}

  /**
   * Runs `work` holding `key`. A shared lock is given back after `work` has ended, but its caller does not wait for
   * that round trip (under a burst on Redis it was one of each command's few sequential round trips before its
   * answer); the next holder in this process does. A release that fails lapses by itself (redisLock's TTL).
   */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const shared = this.shared;
    let released: Promise<unknown> = Promise.resolve();
    const guarded = shared
      ? async () => {
          const release = await shared(key);
          try {
            return await work();
          } finally {
            released = release().catch(() => undefined);
          }
        }
      : work;
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(guarded, guarded);
    const tail = next.then(
      () => released,
      () => released,
    );
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

/*
 * The text the store keeps is keyv's default serializer's (@keyv/serialize), so data an earlier version wrote still
 * reads, and an earlier version still reads what this one writes (the Redis records too: record-codec.ts). It is
 * written and read faster than keyv's own for the data the bot keeps: keyv's serializer builds the text string by
 * string in JavaScript and its deserializer calls a reviver for every value; under a burst of commands they were a
 * tenth of the bot's work and much of its garbage (bench/burst.ts). Plain JSON data with no string starting with `:`
 * (all of it, in practice) is written by `JSON.stringify`, the same text; anything else goes to keyv's own functions.
 */

/** keyv's default serializer and deserializer, as keyv hands them out (the fallback, and the reference). */
const keyvDefaults = new Keyv();

/** A string keyv escapes (or, reading, unescapes): it starts with `:`. */
export const escaped = (s: string) => s.charCodeAt(0) === 58;

/**
 * True when `JSON.stringify(data)` is exactly keyv's text for it: plain objects and dense arrays of numbers, booleans,
 * null and strings that do not start with `:` (undefined only where both drop it or both write null). Anything with a
 * prototype of its own (a Buffer, a Date, anything with `toJSON`) or a function is not.
 */
function stringifiesAlike(data: unknown, top = true): boolean {
  switch (typeof data) {
    case 'string':
      return !escaped(data);
    case 'number':
    case 'boolean':
      return true;
    case 'undefined':
      return !top;
    case 'object': {
      if (data === null) return true;
      if (Array.isArray(data)) {
        if (Object.getPrototypeOf(data) !== Array.prototype) return false;
        for (let i = 0; i < data.length; i++) if (!(i in data) || !stringifiesAlike(data[i], false)) return false;
        return true;
      }
      if (Object.getPrototypeOf(data) !== Object.prototype || Object.hasOwn(data, 'toJSON')) return false;
      for (const key in data) if (!stringifiesAlike((data as Record<string, unknown>)[key], false)) return false;
      return true;
    }
    default:
      return false;
  }
}

/** True when parsed JSON holds a string that starts with `:` (which a reviver would change). */
export function holdsEscaped(value: unknown): boolean {
  if (typeof value === 'string') return escaped(value);
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return value.some(holdsEscaped);
  for (const key in value) if (holdsEscaped((value as Record<string, unknown>)[key])) return true;
  return false;
}

/** keyv's text for `data` (the `{ value, expires }` keyv hands its serializer, or anything else). */
export function encodeStored(data: unknown): string {
  if (stringifiesAlike(data)) return JSON.stringify(data);
  const text: unknown = keyvDefaults.serialize?.(data as DeserializedData<unknown>);
  if (typeof text !== 'string') throw new Error('keyv did not serialise to text');
  return text;
}

/** What keyv's default deserializer reads from `text`. */
export function decodeStored(text: string): unknown {
  const parsed: unknown = JSON.parse(text);
  return holdsEscaped(parsed) ? keyvDefaults.deserialize?.(text) : parsed;
}

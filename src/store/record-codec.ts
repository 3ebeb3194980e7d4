import Keyv, { type DeserializedData } from 'keyv';

/**
 * The text the store keeps: keyv's default serializer's (@keyv/serialize: `{"value":…}` with `expires` when the key
 * has one, and a string that starts with `:` escaped by one more `:`), so data an earlier version wrote still reads,
 * and an earlier version still reads what this one writes. The Redis backend writes its records in it; keyv (SQLite,
 * memory) is given the same codec (kv.ts).
 *
 * Faster than keyv's own for the data the bot keeps: keyv's serializer builds the text string by string in
 * JavaScript and its deserializer calls a reviver for every value; under a burst of commands they were a tenth of the
 * bot's work and much of its garbage (bench/burst.ts). Plain JSON data with no string starting with `:` (all of it,
 * in practice) is written by `JSON.stringify`, the same text; anything else goes to keyv's own functions.
 */

/** keyv's default serializer and deserializer, as keyv hands them out (the fallback, and the reference). */
const keyvDefaults = new Keyv();

/** A string keyv escapes (or, reading, unescapes): it starts with `:`. */
const escaped = (s: string) => s.charCodeAt(0) === 58;

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
function holdsEscaped(value: unknown): boolean {
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

/** The stored text of `value` (no expiry: records live until deleted). */
export function encodeRecord(value: unknown): string {
  return encodeStored({ value });
}

/** A stored string, unescaped (how this backend has always read its records: no `:base64:` Buffers). */
const unescape = (_key: string, v: unknown): unknown => (typeof v === 'string' && escaped(v) ? v.slice(1) : v);

/** The value inside stored text, with its expiry if it has one; undefined for text that is not such an envelope. */
export function decodeEnvelope(text: string): { value: unknown; expires?: number } | undefined {
  let parsed: unknown = JSON.parse(text);
  if (holdsEscaped(parsed)) parsed = JSON.parse(text, unescape);
  if (typeof parsed !== 'object' || parsed === null || !('value' in parsed)) return undefined;
  const expires = 'expires' in parsed && typeof parsed.expires === 'number' ? parsed.expires : undefined;
  return { value: parsed.value, ...(expires !== undefined ? { expires } : {}) };
}

/** The value inside stored text (undefined when absent or lapsed). */
export function decodeRecord(text: unknown, now: number = Date.now()): unknown {
  if (typeof text !== 'string') return undefined;
  const envelope = decodeEnvelope(text);
  if (!envelope || (envelope.expires !== undefined && envelope.expires <= now)) return undefined;
  return envelope.value;
}

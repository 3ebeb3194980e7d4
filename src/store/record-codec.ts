import { encodeStored, escaped, holdsEscaped } from './kv.js';

/**
 * How the Redis backend writes a record: the text keyv wrote there before (keyv's default serializer,
 * @keyv/serialize: `{"value":…}` with `expires` when the key has one, and a string that starts with `:` escaped by
 * one more `:`), so data an earlier version wrote still reads, and an earlier version still reads what this one
 * writes. The text is written and read as keyv (SQLite, memory) is given it (kv.ts `encodeStored`).
 */

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

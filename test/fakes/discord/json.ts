/** JSON helpers shared by the fake Discord (no `any`: everything incoming is `unknown` and narrowed). */

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isJson(v: unknown): v is Json {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every(isJson);
  if (isRecord(v)) return Object.values(v).every((x) => x === undefined || isJson(x));
  return false;
}

/** Deep copy through JSON (drops `undefined`), narrowing to Json. */
export function toJson(v: unknown): Json {
  if (v === undefined) return null;
  const parsed: unknown = JSON.parse(JSON.stringify(v));
  if (!isJson(parsed)) throw new Error('value is not JSON-serialisable');
  return parsed;
}

export function toJsonObject(v: unknown): JsonObject {
  const j = toJson(v);
  if (!isRecord(j)) throw new Error('value is not a JSON object');
  return j as JsonObject;
}

export function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

export function isSnowflake(v: unknown): v is string {
  return typeof v === 'string' && /^\d{17,20}$/.test(v);
}

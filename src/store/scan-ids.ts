import type Keyv from 'keyv';
import type { ScriptRunner } from './redis.js';
import { SqliteStore } from './sqlite-store.js';

/**
 * Every key under one prefix, for operators' tools that walk the whole store (`npm run rehost`),
 * never for the bot's own paths: it reads every key name. Redis: SCAN (no KEYS, which blocks the
 * server); SQLite: one range query on the primary key; memory: the map.
 */
const SCAN = `return redis.call('SCAN', ARGV[1], 'MATCH', ARGV[2], 'COUNT', 500)`;

const strings = (raw: unknown): string[] =>
  Array.isArray(raw) ? raw.filter((x): x is string => typeof x === 'string') : [];

/** The Redis keys that start with `prefix`, whole. */
export async function redisKeysWithPrefix(client: ScriptRunner, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const reply = await client.eval(SCAN, { keys: [], arguments: [cursor, `${prefix}*`] });
    if (!Array.isArray(reply) || reply.length < 2) break;
    cursor = String(reply[0]);
    found.push(...strings(reply[1]));
  } while (cursor !== '0');
  return found;
}

/** The keyv keys (without keyv's namespace) that start with `prefix`. */
export function keyvKeysWithPrefix(kv: Keyv, prefix: string): string[] {
  const store: unknown = kv.store;
  const namespace = kv.namespace ? `${kv.namespace}:` : '';
  const names =
    store instanceof SqliteStore
      ? store.keysStartingWith(`${namespace}${prefix}`)
      : store instanceof Map
        ? [...store.keys()].filter((k): k is string => typeof k === 'string')
        : [];
  return names.filter((k) => k.startsWith(`${namespace}${prefix}`)).map((k) => k.slice(namespace.length));
}

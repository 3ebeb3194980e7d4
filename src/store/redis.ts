import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type Keyv from 'keyv';

/**
 * What keyv cannot do atomically on Redis (the tracker lease, locks across replicas), done with
 * small Lua scripts on the connection keyv already holds.
 */

/** The one thing needed of a node-redis client. */
export interface ScriptRunner {
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/** Deletes the key only while it still holds the caller's token (a lapsed claim may be someone else's now). */
export const RELEASE_IF_HELD = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

const LOCK = `if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0`;

/** The Redis connection behind a keyv opened on `redis://`; undefined for every other store. */
export function redisOf(kv: Keyv): (() => Promise<ScriptRunner>) | undefined {
  const store: unknown = kv.store;
  if (typeof store !== 'object' || store === null || !('getClient' in store) || typeof store.getClient !== 'function')
    return undefined;
  const getClient = store.getClient as () => Promise<unknown>;
  return async () => {
    const client: unknown = await getClient.call(store);
    if (typeof client !== 'object' || client === null || !('eval' in client) || typeof client.eval !== 'function')
      throw new Error('the Redis store cannot run scripts');
    return client as ScriptRunner;
  };
}

/** Takes a cross-process lock on `key`; resolves to its release. */
export type SharedLock = (key: string) => Promise<() => Promise<void>>;

/**
 * A lock per key in Redis (SET NX PX, released only by its taker). It lapses after `ttlMs`, so a
 * replica that dies holding one delays the others, never blocks them; the work it guards takes
 * milliseconds.
 */
export function redisLock(
  redis: () => Promise<ScriptRunner>,
  options: { ttlMs?: number; waitMs?: number } = {},
): SharedLock {
  const ttlMs = options.ttlMs ?? 5000;
  const waitMs = options.waitMs ?? 15_000;
  return async (key) => {
    const client = await redis();
    const lockKey = `kb:lock:${key}`;
    const token = randomBytes(9).toString('base64url');
    const deadline = Date.now() + waitMs;
    while (Number(await client.eval(LOCK, { keys: [lockKey], arguments: [token, String(ttlMs)] })) !== 1) {
      if (Date.now() > deadline) throw new Error(`the store stayed locked for ${waitMs} ms (${key})`);
      await sleep(2 + Math.random() * 8);
    }
    return async () => {
      await client.eval(RELEASE_IF_HELD, { keys: [lockKey], arguments: [token] });
    };
  };
}

import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log.js';

/**
 * The Redis connection (node-redis's `@redis/client`), and what needs atomicity across
 * replicas (locks, the tracker lease): small Lua scripts.
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

/** What `cachedScripts` needs of a node-redis client. */
export interface ScriptClient extends ScriptRunner {
  evalSha(sha1: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/**
 * Runs each script by its SHA1 (EVALSHA: 40 characters sent, and nothing for Redis to hash, instead of the script's
 * text on every call), and by its text (EVAL, which also caches it) when Redis does not hold it: its first use, or
 * after a restart or SCRIPT FLUSH (https://redis.io/docs/latest/develop/programmability/eval-intro/). Every store
 * call is a script, several per command: under a burst, sending each script whole was work for both processes.
 */
export function cachedScripts(client: ScriptClient): ScriptRunner {
  const shas = new Map<string, string>();
  return {
    async eval(script, options) {
      let sha = shas.get(script);
      if (sha === undefined) shas.set(script, (sha = createHash('sha1').update(script).digest('hex')));
      try {
        return await client.evalSha(sha, options);
      } catch (err) {
        if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
        return client.eval(script, options);
      }
    },
  };
}

/** A connected node-redis client and how to close it. */
export interface RedisConnection {
  client: () => Promise<ScriptRunner>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Connects to `url` and waits until it is ready (database selected). A Redis that is down fails
 * each call at once (no offline queue holding commands until it is back, no endless first
 * connect): a store error is an answer the bot can give, a hang is not.
 */
export async function openRedis(url: string, log: Logger): Promise<RedisConnection> {
  const { createClient } = await import('@redis/client');
  const client = createClient({ url, disableOfflineQueue: true, socket: { connectTimeout: 5000 } });
  // Reconnects are node-redis's own; say once that the connection is lost, not at every attempt.
  let down = false;
  client.on('error', (err: unknown) => {
    if (down) return;
    down = true;
    log.warn({ err }, 'the Redis connection failed; reconnecting');
  });
  client.on('ready', () => {
    down = false;
  });
  await Promise.race([
    client.connect(),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('Redis did not become ready within 5 s')), 5000).unref(),
    ),
  ]).catch(async (err: unknown) => {
    await client.destroy();
    throw err;
  });
  const runner = cachedScripts(client);
  return {
    client: async () => runner,
    ping: async () => {
      await client.ping();
    },
    close: async () => {
      if (client.isOpen) await client.close();
    },
  };
}

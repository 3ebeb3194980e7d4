import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Keyv from 'keyv';
import type { ScriptRunner } from './lease.js';

/** Opens the keyv backend named by STORE_URL: sqlite:// (default), redis:// or memory://. */
export async function openKeyv(url: string): Promise<Keyv> {
  if (url.startsWith('memory://')) return new Keyv({ namespace: 'kb' });
  if (url.startsWith('redis://') || url.startsWith('rediss://')) {
    const { default: KeyvRedis } = await import('@keyv/redis');
    return new Keyv({ store: new KeyvRedis(url), namespace: 'kb', useKeyPrefix: false });
  }
  const file = url.replace(/^sqlite:\/\//, '');
  if (file !== ':memory:') mkdirSync(dirname(resolve(file)), { recursive: true });
  const { KeyvSqlite } = await import('@keyv/sqlite');
  const sqlite = new KeyvSqlite({ uri: `sqlite://${file}`, busyTimeout: 10_000 });
  // WAL keeps a write from blocking readers and avoids an fsync per statement.
  await sqlite.query('PRAGMA journal_mode=WAL');
  await sqlite.query('PRAGMA synchronous=NORMAL');
  return new Keyv({ store: sqlite, namespace: 'kb' });
}

/**
 * The Redis connection behind a keyv opened on `redis://`, for what keyv cannot do atomically
 * (the tracker lease, locks across replicas); undefined for every other store.
 */
export function redisOf(kv: Keyv): (() => Promise<ScriptRunner>) | undefined {
  const store: unknown = kv.store;
  if (typeof store !== 'object' || store === null || !('getClient' in store) || typeof store.getClient !== 'function') return undefined;
  const getClient = store.getClient as () => Promise<unknown>;
  return async () => {
    const client: unknown = await getClient.call(store);
    if (typeof client !== 'object' || client === null || !('eval' in client) || typeof client.eval !== 'function') throw new Error('the Redis store cannot run scripts');
    return client as ScriptRunner;
  };
}

/** Takes a cross-process lock on `key`; resolves to its release. */
export type SharedLock = (key: string) => Promise<() => Promise<void>>;

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
}

const LOCK = `if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0`;
const UNLOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * A lock per key in Redis (SET NX PX, released only by its taker). It lapses after `ttlMs`, so a
 * replica that dies holding one delays the others, never blocks them; the work it guards takes
 * milliseconds.
 */
export function redisLock(redis: () => Promise<ScriptRunner>, options: { ttlMs?: number; waitMs?: number } = {}): SharedLock {
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
      await client.eval(UNLOCK, { keys: [lockKey], arguments: [token] });
    };
  };
}

import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
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
 * The Redis connection behind a keyv opened on `redis://`, for the few things keyv cannot do
 * atomically (the tracker lease); undefined for every other store.
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

/** Serialises read-modify-write sequences per key inside one process. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(work, work);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}
